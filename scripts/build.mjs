// Builds the package from lib/: dist/esm (ES modules) and dist/cjs (CommonJS), each
// with its own declarations beside its .js files. A package.json in each folder sets
// its module format ("type"), which Node, bundlers and TypeScript all read from the
// nearest package.json: so the .d.ts in dist/esm describe ES modules and those in
// dist/cjs CommonJS ones, and every resolver agrees (publint, are-the-types-wrong).
// Entry points are package.json "exports" (and "typesVersions" for node10 resolution);
// every module of lib/ is built in both formats. No source maps: the .js is tsc's
// unminified output, one module per source file, readable as it is.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/** [output folder, the folder's "type"] */
const FORMATS = [
  ['dist/esm', 'module'],
  ['dist/cjs', 'commonjs'],
];

/** Modules with an effect on import, relative to a format's folder: bundlers must keep them. */
const SIDE_EFFECTS = ['./transport/undici/node-dispatcher-first.js', './index.node.js'];

const files = (dir) =>
  readdirSync(dir, { recursive: true }).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.spec.ts'),
  );

rmSync('dist', { recursive: true, force: true });
// ES modules and declarations, type-checked: the one full compilation.
execFileSync(
  process.execPath,
  [
    'node_modules/typescript/bin/tsc',
    '-p',
    'tsconfig.build.json',
    '--module',
    'ES2022',
    '--moduleResolution',
    'bundler',
    '--outDir',
    'dist/esm',
  ],
  { stdio: 'inherit' },
);
// CommonJS: TypeScript's own emitter, module by module (lib/ compiles with isolatedModules,
// so this is what a second full compilation would emit), and the same declarations.
// The Angular entries are built in both formats too (issue #15 part 5): each imports the main
// entry of its own format ('../index.js'), so under `require` the client a component injects is
// the class the provider made, not a second copy from the other format (NG0201).
for (const file of files('lib')) {
  const { outputText } = ts.transpileModule(readFileSync(join('lib', file), 'utf8'), {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      removeComments: false,
    },
  });
  const out = join('dist/cjs', file.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, outputText);
  copyFileSync(join('dist/esm', file.replace(/\.ts$/, '.d.ts')), out.replace(/\.js$/, '.d.ts'));
}
for (const [dir, type] of FORMATS) {
  // sideEffects here too: webpack reads it from the nearest package.json, not the package root's.
  writeFileSync(`${dir}/package.json`, JSON.stringify({ type, sideEffects: SIDE_EFFECTS }) + '\n');
}
