// Builds dist/esm (ES modules), dist/cjs (CommonJS) and dist/types (declarations) from lib/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const tsc = (...args) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
tsc('--module', 'ES2022', '--moduleResolution', 'bundler', '--outDir', 'dist/esm', '--declaration', 'false');
// NodeNext emits CommonJS here (package.json has no "type"), the same output as `--module CommonJS`, and
// resolves subpath exports such as '@angular/common/http', which node10 resolution cannot.
tsc('--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--outDir', 'dist/cjs', '--declaration', 'false');
// The Angular entries are built in both formats too (issue #15 part 5): each imports the main entry of its
// own format ('../index.js'), so under `require` (Jest's CommonJS mode) the client a component injects is
// the class the provider made, not a second copy from the other format (NG0201).
tsc('--outDir', 'dist/types', '--emitDeclarationOnly');
for (const [dir, type] of [['dist/esm', 'module'], ['dist/cjs', 'commonjs']]) {
  mkdirSync(dir, { recursive: true });
  // index.node registers undici as the default transport: the only module with a side effect.
  writeFileSync(`${dir}/package.json`, JSON.stringify({ type, sideEffects: ['./index.node.js'] }) + '\n');
}
