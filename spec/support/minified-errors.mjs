// Builds every package entry from lib/ minified with esbuild (as a production bundler does: classes renamed), imports
// each bundle, constructs every exported error class and prints, as JSON, the name each instance reports beside the
// name it is exported under. Run by spec/errors/error-names.spec.ts in a child process (esbuild wants the real realm).
import { build } from 'esbuild';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// The Angular entries import partially compiled Angular packages, which need the JIT compiler loaded to evaluate.
await import('@angular/compiler');

const root = join(import.meta.dirname, '..', '..');
const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

// Constructor arguments of the classes that take something other than one init object.
const init = {
  url: 'https://streams.example/v1/stream/s',
  what: 'what',
  reason: 'unsupported',
  unsent: [],
  cause: new Error('x'),
};
const ARGS = {
  DurableStreamError: ['CODE', 'what', init],
  SubscriptionError: ['CODE', 'what', init],
  InvalidArgumentError: ['message', init.url],
  StateProtocolError: ['problem', {}],
  StateValidationError: [
    { ...init, collection: 'todos', entityType: 'todo', key: 'k', offset: '1', issues: [], value: 1, during: 'read' },
  ],
  CheckpointStorageError: ['load', 'key', 'what'],
  MutationFailedError: [{ ...init, txid: 'tx-1', changes: [], restored: false }],
};

// Under node_modules, so that the bundles' externals (Angular, rxjs) resolve from the repository's node_modules.
const out = await mkdtemp(join(root, 'node_modules', '.minified-errors-'));
try {
  const entries = Object.entries(manifest.exports)
    .filter(([, target]) => typeof target === 'object' && target.import)
    .map(([subpath, target]) => [
      subpath,
      target.import.default.replace(/^\.\/dist\/esm\//, 'lib/').replace(/\.js$/, '.ts'),
    ]);
  const report = [];
  for (const [subpath, source] of entries) {
    const outfile = join(out, `${subpath.replace(/\W+/g, '_')}.mjs`);
    await build({
      entryPoints: [join(root, source)],
      outfile,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      external: ['@angular/*', 'rxjs', 'rxjs/*', 'undici', 'eventsource-parser', 'node:*'],
      logLevel: 'silent',
    });
    const bundle = await import(pathToFileURL(outfile).href);
    for (const [exported, value] of Object.entries(bundle)) {
      if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
      let error;
      try {
        error = Reflect.construct(value, ARGS[exported] ?? [init]);
      } catch (thrown) {
        report.push({ entry: subpath, exported, thrown: String(thrown) });
        continue;
      }
      report.push({
        entry: subpath,
        exported,
        className: value.name,
        name: error.name,
        stackHead: /^\w*/.exec(String(error.stack))[0],
        toString: String(error).split(':')[0],
      });
    }
  }
  process.stdout.write(JSON.stringify(report));
} finally {
  await rm(out, { recursive: true, force: true });
}
