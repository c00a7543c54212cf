// Bundle size as an app pays it, measured the way the Angular CLI measures its bundles:
// esbuild, minified, tree-shaken, one ES module per scenario for the browser, gzip.
// rxjs is external (the app has it anyway); every other dependency is bundled.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** The scenarios: a tiny entry file each, ours and the reference client's. */
export const SCENARIOS = [
  { name: 'live JSON read', file: 'live-json-read.mjs' },
  { name: 'read-only app', file: 'read-only.mjs' },
  { name: 'producer app', file: 'producer.mjs' },
  { name: 'one-shot operations', file: 'one-shot.mjs' },
  { name: 'everything', file: 'everything.mjs' },
];

export const CONTENDERS = ['ours', 'reference'];

/** One bundle: { bytes, gzipBytes, metafile, text }. `contender` is 'ours' or 'reference'. */
export async function measure(contender, file, { platform = 'browser' } = {}) {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`./${contender}/${file}`, import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    external: ['rxjs', 'rxjs/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, metafile: result.metafile, text: result.outputFiles[0].text };
}

/**
 * Minified bytes each module contributes to a bundle, largest first: [{ module, bytes }].
 * Module paths are shortened to the package-relative path.
 */
export function contributors(metafile) {
  const [output] = Object.values(metafile.outputs);
  return Object.entries(output.inputs)
    .map(([path, { bytesInOutput }]) => ({ module: path.replace(/^.*node_modules\//, '').replace(/^(\.\.\/)+/, ''), bytes: bytesInOutput }))
    .filter((row) => row.bytes > 0 && !row.module.startsWith('bench/'))
    .sort((a, b) => b.bytes - a.bytes);
}

export const kib = (bytes) => bytes / 1024;
