// Bundle size (BENCH_ONLY=size): what each scenario adds to a browser app, ours beside
// @durable-streams/client, what our read path is made of, and the issue #17 budget.
// Sizes depend only on the code and the tool versions (esbuild, zlib), not on the machine
// or its load. Ours is measured from dist/ (what users install); the size spec measures
// the same scenarios from lib/ (the two agree within a few bytes of gzip).
import { budgetChecks, measureAll } from './size/budget.mjs';
import { kib, measure, retained } from './size/measure.mjs';

export async function run() {
  const rows = await measureAll({ source: 'dist' });
  console.log(
    '\nbundle size (esbuild --bundle --minify --splitting, ESM, platform browser, rxjs external; gzip -9 per file), KiB',
  );
  console.log('  initial: the entry and the chunks it imports statically; lazy: chunks loaded by import() on demand');
  const width = Math.max(...rows.map((row) => row.name.length));
  console.log(
    `  ${'scenario'.padEnd(width)}  ${'ours min'.padStart(8)}  ${'ours gz'.padStart(7)}  ${'lazy gz'.padStart(7)}  ` +
      `${'ref min'.padStart(7)}  ${'ref gz'.padStart(6)}  ours/ref gz`,
  );
  for (const { name, ours, reference } of rows) {
    const cell = (bytes, width) => (bytes === undefined ? '-' : kib(bytes).toFixed(1)).padStart(width);
    const ratio = reference ? (ours.gzipBytes / reference.gzipBytes).toFixed(2) : '-';
    console.log(
      `  ${name.padEnd(width)}  ${cell(ours.bytes, 8)}  ${cell(ours.gzipBytes, 7)}  ${cell(ours.lazyGzipBytes, 7)}  ` +
        `${cell(reference?.bytes, 7)}  ${cell(reference?.gzipBytes, 6)}  ${ratio.padStart(11)}`,
    );
  }

  const [nodeOurs, nodeReference] = await Promise.all(
    ['ours', 'reference'].map((contender) => measure(contender, 'live-json-read.mjs', { platform: 'node' })),
  );
  console.log(
    `\nthe live JSON read bundled for Node (platform node, rxjs external): ` +
      `ours ${kib(nodeOurs.bytes).toFixed(1)} KiB min / ${kib(nodeOurs.gzipBytes).toFixed(1)} gz, ` +
      `reference ${kib(nodeReference.bytes).toFixed(1)} / ${kib(nodeReference.gzipBytes).toFixed(1)}`,
  );

  const probe = rows.find((row) => row.name === 'read path alone (probe)').ours;
  console.log(
    `\nthe read path alone (probe) by folder, minified bytes (total ${probe.bytes} min, ${probe.gzipBytes} gz)`,
  );
  const byFolder = new Map();
  for (const { module, bytes } of probe.modules) {
    const folder = module.startsWith('dist/')
      ? module
          .split('/')
          .slice(0, -1)
          .join('/')
          .replace(/^dist\/esm\/?/, 'lib/') || 'lib'
      : module.split('/')[0];
    byFolder.set(folder, (byFolder.get(folder) ?? 0) + bytes);
  }
  for (const [folder, bytes] of [...byFolder].sort((a, b) => b[1] - a[1]))
    console.log(
      `  ${folder.padEnd(28)} ${String(bytes).padStart(6)}  ${((100 * bytes) / probe.bytes).toFixed(0).padStart(3)} %`,
    );
  console.log('  what each module costs, leave-one-out (gzip bytes gone when it alone is stubbed; not additive):');
  for (const { module, bytes, retainedGzipBytes } of (await retained('read-path.mjs')).slice(0, 15)) {
    console.log(
      `    ${module.padEnd(48)} ${String(bytes).padStart(6)} min  ${String(retainedGzipBytes).padStart(6)} gz`,
    );
  }

  console.log('\nbudget (issue #17):');
  for (const { check, met, detail } of budgetChecks(rows))
    console.log(`  ${met ? 'met ' : 'OVER'}  ${check}: ${detail}`);
}
