// Builds dist/esm (ES modules), dist/cjs (CommonJS) and dist/types (declarations) from lib/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const tsc = (...args) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
tsc('--module', 'ES2022', '--moduleResolution', 'bundler', '--outDir', 'dist/esm', '--declaration', 'false');
tsc('--module', 'CommonJS', '--moduleResolution', 'node10', '--outDir', 'dist/cjs', '--declaration', 'false');
rmSync('dist/cjs/angular', { recursive: true, force: true }); // the Angular entry is ESM only, like Angular itself
tsc('--outDir', 'dist/types', '--emitDeclarationOnly');
for (const [dir, type] of [['dist/esm', 'module'], ['dist/cjs', 'commonjs']]) {
  mkdirSync(dir, { recursive: true });
  // index.node registers undici as the default transport: the only module with a side effect.
  writeFileSync(`${dir}/package.json`, JSON.stringify({ type, sideEffects: ['./index.node.js'] }) + '\n');
}
