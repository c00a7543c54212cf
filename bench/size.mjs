// Bundle size (BENCH_ONLY=size): what each scenario adds to a browser app, ours beside
// @durable-streams/client, and what our live read is made of. Sizes depend only on the
// code and the tool versions (esbuild, zlib), not on the machine or its load.
import { CONTENDERS, SCENARIOS, contributors, kib, measure } from './size/measure.mjs';

/** The issue #17 budget, for the record: the size spec enforces it once it holds. */
const BUDGET = { liveReadKiB: 10, everythingRatio: 1.35 };

export async function run() {
  const rows = [];
  for (const scenario of SCENARIOS) {
    const [ours, reference] = await Promise.all(CONTENDERS.map((contender) => measure(contender, scenario.file)));
    rows.push({ name: scenario.name, ours, reference });
  }
  console.log('\nbundle size (esbuild --bundle --minify, ESM, platform browser, rxjs external; gzip -9), KiB');
  const width = Math.max(...rows.map((row) => row.name.length));
  console.log(`  ${'scenario'.padEnd(width)}  ${'ours min'.padStart(8)}  ${'ours gz'.padStart(7)}  ${'ref min'.padStart(7)}  ${'ref gz'.padStart(6)}  ours/ref gz`);
  for (const { name, ours, reference } of rows) {
    const cells = [kib(ours.bytes).toFixed(1).padStart(8), kib(ours.gzipBytes).toFixed(1).padStart(7), kib(reference.bytes).toFixed(1).padStart(7), kib(reference.gzipBytes).toFixed(1).padStart(6)];
    console.log(`  ${name.padEnd(width)}  ${cells.join('  ')}  ${(ours.gzipBytes / reference.gzipBytes).toFixed(2).padStart(11)}`);
  }

  const [nodeOurs, nodeReference] = await Promise.all(CONTENDERS.map((contender) => measure(contender, 'live-json-read.mjs', { platform: 'node' })));
  console.log(`\nthe live JSON read bundled for Node (platform node, rxjs external): ours ${kib(nodeOurs.bytes).toFixed(1)} KiB min / ${kib(nodeOurs.gzipBytes).toFixed(1)} gz, reference ${kib(nodeReference.bytes).toFixed(1)} / ${kib(nodeReference.gzipBytes).toFixed(1)}`);

  const live = rows.find((row) => row.name === 'live JSON read').ours;
  const everything = rows.find((row) => row.name === 'everything');
  const modules = contributors(live.metafile);
  console.log(`\nour live JSON read by module, minified bytes (gzip is not additive; total ${live.bytes} min, ${live.gzipBytes} gz)`);
  const byFolder = new Map();
  for (const { module, bytes } of modules) {
    const folder = module.startsWith('dist/') ? module.split('/').slice(0, -1).join('/').replace(/^dist\/esm\/?/, 'lib/') || 'lib' : module.split('/')[0];
    byFolder.set(folder, (byFolder.get(folder) ?? 0) + bytes);
  }
  for (const [folder, bytes] of [...byFolder].sort((a, b) => b[1] - a[1])) console.log(`  ${folder.padEnd(28)} ${String(bytes).padStart(6)}  ${((100 * bytes) / live.bytes).toFixed(0).padStart(3)} %`);
  console.log('  largest modules:');
  for (const { module, bytes } of modules.slice(0, 12)) console.log(`    ${module.padEnd(48)} ${String(bytes).padStart(6)}`);

  const everythingRatio = everything.ours.gzipBytes / everything.reference.gzipBytes;
  console.log(`\nbudget: live JSON read ${kib(live.gzipBytes).toFixed(1)} KiB gz (<= ${BUDGET.liveReadKiB}: ${kib(live.gzipBytes) <= BUDGET.liveReadKiB ? 'met' : 'over'}); everything ${everythingRatio.toFixed(2)}x the reference's (<= ${BUDGET.everythingRatio}: ${everythingRatio <= BUDGET.everythingRatio ? 'met' : 'over'})`);
  const readOnly = rows.find((row) => row.name === 'read-only app').ours;
  const producerInReadOnly = contributors(readOnly.metafile).some(({ module }) => module.includes('/produce/'));
  console.log(`        read-only app without the producer: ${producerInReadOnly ? 'no, it contains lib/produce' : 'yes'}`);
}
