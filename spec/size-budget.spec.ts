/**
 * The size budget of issue #23 item 5, measured as the Angular CLI measures bundles (esbuild,
 * minified, ES modules for the browser, rxjs external, gzip -9, lazy chunks apart), ours
 * built from lib/ and @durable-streams/client's from its package, in one run. The scenarios
 * and the budget live in bench/size/ (`BENCH_ONLY=size npm run bench` prints the same from
 * dist/, with what each module costs). Sizes depend on the code and esbuild's version only.
 *
 * The budget: a live JSON read at most 13 KiB gzip initial (the code only a live read needs,
 * SSE and the shared tail, loads lazily while it catches up), a producer app at most 1.35x the
 * reference's producer app; "everything" (an `export *`, no user's app) is measured, not budgeted.
 * Where the budget does not hold yet, its check is `it.failing`: it passes while the budget
 * is missed and fails the day it holds, to be turned into a plain `it` then. The ceilings
 * hold now, so that nothing grows unseen in the meantime.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

interface Bundle {
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly lazyBytes: number;
  readonly lazyGzipBytes: number;
  readonly modules: readonly string[];
}

interface Report {
  readonly rows: ReadonlyArray<{ readonly name: string; readonly ours: Bundle; readonly reference?: Bundle }>;
  readonly checks: ReadonlyArray<{ readonly check: string; readonly met: boolean; readonly detail: string }>;
}

const root = join(__dirname, '..');
/** Scenarios the reference client has nothing to compare with. */
const OURS_ONLY: ReadonlySet<string> = new Set(['producer app with an IndexedDB outbox']);
let report: Report;

beforeAll(async () => {
  // In a child process: esbuild's API wants the real realm's typed arrays, not the test sandbox's.
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['bench/size/budget.mjs', '--json', '--source', 'lib'],
      { cwd: root, maxBuffer: 16 << 20 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    ),
  );
  report = JSON.parse(stdout) as Report;
}, 60_000);

const check = (name: string) => {
  const found = report.checks.find((candidate) => candidate.check === name);
  if (!found) throw new Error(`no check named ${name}`);
  return found;
};
const row = (name: string) => report.rows.find((candidate) => candidate.name === name)!;

describe('size budget (issue #23 item 5)', () => {
  it('measures every scenario, ours beside the reference client', () => {
    for (const { name, ours, reference } of report.rows) {
      expect({ name, bytes: ours.bytes > 0, gzip: ours.gzipBytes > 0 }).toEqual({ name, bytes: true, gzip: true });
      if (name.includes('probe') || OURS_ONLY.has(name)) continue;
      expect(reference?.gzipBytes).toBeGreaterThan(1024);
    }
    // The reference's producer app is the yardstick of the ratio: its producer, not a stub.
    expect(row('producer app').reference!.gzipBytes).toBeGreaterThan(row('live JSON read').reference!.gzipBytes);
  });

  it('the read path alone (an internal probe: executor, transport, live JSON read) stays under its ceiling', () => {
    const { met, detail } = check('read path alone (probe) ceiling');
    expect({ met, detail }).toEqual({ met: true, detail });
  });

  it('a live JSON read (the public API) stays under its ceiling', () => {
    const { met, detail } = check('live JSON read ceiling');
    expect({ met, detail }).toEqual({ met: true, detail });
  });

  it('a producer app stays under its ceiling', () => {
    const { met, detail } = check('producer app ceiling');
    expect({ met, detail }).toEqual({ met: true, detail });
  });

  it("loads the code only a live read needs (SSE, shared tails, cross-tabs, budget) lazily, splitting no scenario's initial code", () => {
    const { met, detail } = check('live code lazy');
    expect({ met, detail }).toEqual({ met: true, detail });
  });

  it('tells a bundle that contains the producer from one that does not', () => {
    expect(row('producer app').ours.modules.some((module) => module.startsWith('lib/produce/'))).toBe(true);
    expect(row('read path alone (probe)').ours.modules.some((module) => module.startsWith('lib/produce/'))).toBe(false);
  });

  it('an app that does not import an outbox carries none of it (issue #24)', () => {
    const { met, detail } = check('no outbox without importing one');
    expect({ met, detail }).toEqual({ met: true, detail });
  });

  it('an app that does not import sharedCatchUps() carries none of its code (issue #23 item 6)', () => {
    const SHARED = 'lib/read/shared-catch-up.ts';
    for (const name of ['live JSON read', 'read-only app', 'read path alone (probe)']) {
      expect({ name, carries: row(name).ours.modules.includes(SHARED) }).toEqual({ name, carries: false });
    }
    // The check can see it: the everything bundle imports it.
    expect(row('everything').ours.modules).toContain(SHARED);
  });

  it('a live JSON read is at most 13 KiB gzip (initial chunks)', () => {
    const { met, detail } = check('live JSON read');
    expect({ met, detail }).toEqual({ met: true, detail });
  });

  it('a producer app that gives no outbox carries none of its code (issue #24)', () => {
    const { met, detail } = check('producer app without an outbox');
    expect({ met, detail }).toEqual({ met: true, detail });
    // The check can see one: the everything bundle holds the outboxes themselves.
    expect(row('everything').ours.modules).toEqual(
      expect.arrayContaining(['lib/produce/outbox/memory-outbox.ts', 'lib/produce/outbox/discard-outbox.ts']),
    );
  });

  it("loads the producer's running code (delivery, sequencing, status, 413 split) lazily (issue #23 item 5)", () => {
    const { met, detail } = check('producer running code lazy');
    expect({ met, detail }).toEqual({ met: true, detail });
  });

  it('a read-only app contains no lib/produce module', () => {
    const { met, detail } = check('read-only app without the producer');
    expect({ met, detail }).toEqual({ met: true, detail });
  });

  it("a producer app is at most 1.35x the reference's producer app (gzip, initial chunks)", () => {
    const { met, detail } = check('producer app');
    expect({ met, detail }).toEqual({ met: true, detail });
  });
});
