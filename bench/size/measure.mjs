// Bundle size as an app pays it, measured the way the Angular CLI measures its bundles:
// esbuild, minified, tree-shaken, ES modules for the browser, code splitting on (a dynamic
// `import()` becomes a lazy chunk, as an Angular lazy route does), gzip -9 per file.
// rxjs is external (the app has it anyway); every other dependency is bundled.
// "initial" is what a page loads before the scenario runs (the entry and the chunks it
// imports statically); "lazy" is what loads on demand, later, if ever.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The scenarios: a tiny entry file each, ours and the reference client's (`oursOnly`: ours alone, an internal probe). */
export const SCENARIOS = [
  { name: 'live JSON read', file: 'live-json-read.mjs' },
  { name: 'read-only app', file: 'read-only.mjs' },
  { name: 'producer app', file: 'producer.mjs' },
  { name: 'producer app with an IndexedDB outbox', file: 'producer-outbox.mjs', oursOnly: true },
  { name: 'one-shot operations', file: 'one-shot.mjs' },
  { name: 'everything', file: 'everything.mjs' },
  { name: 'read path alone (probe)', file: 'read-path.mjs', oursOnly: true },
];

export const CONTENDERS = ['ours', 'reference'];

/**
 * One bundle of a scenario: { bytes, gzipBytes, lazyBytes, lazyGzipBytes, initialFiles, metafile, modules }.
 * bytes/gzipBytes are the initial chunks'; `modules` lists the package-relative paths of the
 * modules in them. `source` picks what ours is built from: 'dist' (the built package, what
 * users install) or 'lib' (the TypeScript sources, no build needed; what the size spec uses).
 * `stub`: module paths (relative to the repository) replaced by empty exports, for leave-one-out.
 */
export async function measure(contender, file, { platform = 'browser', source = 'dist', stub = [] } = {}) {
  const outdir = join(ROOT, '.size-out');
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`./${contender}/${file}`, import.meta.url))],
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    splitting: true,
    format: 'esm',
    platform,
    target: 'es2022',
    external: ['rxjs', 'rxjs/*'],
    outdir,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [ourPackage(source), stubs(stub)],
  });
  const files = new Map(result.outputFiles.map((output) => [relative(ROOT, output.path), output.contents]));
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((path) => outputs[path].entryPoint);
  // The initial chunks: the entry and what it imports statically, transitively.
  const initial = new Set();
  const visit = (path) => {
    if (initial.has(path) || !files.has(path)) return;
    initial.add(path);
    for (const { path: imported, kind } of outputs[path].imports) if (kind === 'import-statement') visit(imported);
  };
  visit(entry);
  const sizes = { bytes: 0, gzipBytes: 0, lazyBytes: 0, lazyGzipBytes: 0 };
  const modules = [];
  for (const [path, code] of files) {
    if (!path.endsWith('.js')) continue;
    const lazy = !initial.has(path);
    sizes[lazy ? 'lazyBytes' : 'bytes'] += code.length;
    sizes[lazy ? 'lazyGzipBytes' : 'gzipBytes'] += gzipSync(code, { level: 9 }).length;
    if (!lazy)
      for (const [input, { bytesInOutput }] of Object.entries(outputs[path].inputs))
        if (bytesInOutput > 0) modules.push({ module: short(input), bytes: bytesInOutput });
  }
  return {
    ...sizes,
    initialFiles: initial.size,
    metafile: result.metafile,
    modules: modules.sort((a, b) => b.bytes - a.bytes).filter((row) => !row.module.startsWith('bench/')),
  };
}

/**
 * Minified bytes each module contributes to the initial chunks, largest first: [{ module, bytes }],
 * paths package-relative (dist/esm/... or lib/..., or the dependency's).
 */
export const contributors = (bundle) => bundle.modules;

/**
 * What each of our modules in a scenario's initial chunks costs, leave-one-out: the gzip
 * bytes that go when the module alone is replaced by empty exports (so it counts what only
 * it pulls in). Gzip is not additive; this says where cutting pays. Largest first.
 */
export async function retained(file, options = {}) {
  const base = await measure('ours', file, options);
  const rows = [];
  for (const { module, bytes } of base.modules) {
    if (!module.startsWith('lib/') && !module.startsWith('dist/')) continue;
    try {
      const without = await measure('ours', file, { ...options, stub: [module] });
      rows.push({ module, bytes, retainedGzipBytes: base.gzipBytes - without.gzipBytes });
    } catch {
      // A module whose exports the stub cannot stand in for (a re-export * chain): left out.
    }
  }
  return rows.sort((a, b) => b.retainedGzipBytes - a.retainedGzipBytes);
}

export const kib = (bytes) => bytes / 1024;

const short = (path) => path.replace(/^.*node_modules\//, '').replace(/^(\.\.\/)+/, '');

/**
 * Resolves our package by its own name to lib/ (TypeScript) or dist/esm, entry points by
 * package.json "exports"; `#internal/<path>.js` reaches any module (probes only).
 */
function ourPackage(source) {
  const exports = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).exports;
  const toSource = (distPath) =>
    source === 'lib' ? distPath.replace(/^\.\/dist\/esm\//, './lib/').replace(/\.js$/, '.ts') : distPath;
  return {
    name: 'durable-streams-rx',
    setup(builder) {
      builder.onResolve({ filter: /^durable-streams-rx(\/.*)?$/ }, ({ path }) => {
        const entry = exports['.' + path.slice('durable-streams-rx'.length)];
        if (!entry?.import) return { errors: [{ text: `${path} is not an entry point of the package` }] };
        return { path: join(ROOT, toSource(entry.import.default)) };
      });
      builder.onResolve({ filter: /^#internal\// }, ({ path }) => ({
        path: join(ROOT, toSource(`./dist/esm/${path.slice('#internal/'.length)}`)),
      }));
    },
  };
}

/** Replaces the given modules by stand-ins that export the same names, as undefined. */
function stubs(paths) {
  const absolute = new Set(paths.map((path) => join(ROOT, path)));
  return {
    name: 'stub',
    setup(builder) {
      builder.onLoad({ filter: /\.(ts|js|mjs)$/ }, ({ path }) =>
        absolute.has(path) ? { contents: standIn(readFileSync(path, 'utf8')), loader: 'js' } : undefined,
      );
    },
  };
}

function standIn(text) {
  const names = new Set();
  for (const [, name] of text.matchAll(
    /export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|enum)\s+([\w$]+)/g,
  ))
    names.add(name);
  for (const [, list] of text.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const part of list.split(',')) {
      const trimmed = part.trim();
      if (trimmed && !trimmed.startsWith('type '))
        names.add(
          trimmed
            .split(/\s+as\s+/)
            .pop()
            .trim(),
        );
    }
  }
  return [...names]
    .map((name) => (name === 'default' ? 'export default void 0;' : `export const ${name} = void 0;`))
    .join('\n');
}
