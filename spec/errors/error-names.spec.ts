/**
 * Error names survive a production build. A minifier renames classes (`NetworkError` becomes `W`), so a name taken
 * from the class (`new.target.name`) reads `W` in the user's logs: every error class names itself with a literal.
 * Every entry of package.json "exports" is built from lib/ with esbuild, minified (as spec/size-budget.spec.ts
 * builds), and every error class it exports is constructed from the bundle.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import * as main from '../../lib/index';
import * as subscriptions from '../../lib/subscriptions/index';
import * as state from '../../lib/state/index';
import '@angular/compiler'; // the Angular entry imports partially compiled Angular packages
import * as angular from '../../lib/angular/index';

interface Row {
  readonly entry: string;
  readonly exported: string;
  readonly className?: string;
  readonly name?: string;
  readonly stackHead?: string;
  readonly toString?: string;
  readonly thrown?: string;
}

const root = join(__dirname, '..', '..');
let rows: Row[];

beforeAll(async () => {
  // In a child process: esbuild's API wants the real realm's typed arrays, not the test sandbox's.
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['spec/support/minified-errors.mjs'],
      { cwd: root, maxBuffer: 16 << 20 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    ),
  );
  rows = JSON.parse(stdout) as Row[];
}, 60_000);

const errorClasses = (entry: Record<string, unknown>) =>
  Object.keys(entry)
    .filter((key) => {
      const value = entry[key];
      return typeof value === 'function' && (value as { prototype: unknown }).prototype instanceof Error;
    })
    .sort();

it('finds every error class each entry exports in its minified bundle, each constructed', () => {
  const found = (entry: string) =>
    rows
      .filter((row) => row.entry === entry)
      .map((row) => row.exported)
      .sort();
  expect(found('.')).toEqual(errorClasses(main));
  expect(found('./subscriptions')).toEqual(errorClasses(subscriptions));
  expect(found('./state')).toEqual(errorClasses(state));
  expect(found('./angular')).toEqual(errorClasses(angular));
  expect(found('./angular')).toEqual(['ResponseTooLargeError']);
  expect(found('.')).toEqual(expect.arrayContaining(['DurableStreamError', 'NetworkError', 'ProducerClosedError']));
  expect(rows.filter((row) => row.thrown)).toEqual([]);
});

it('minifies the class names (what would leak into `name` without a literal)', () => {
  const network = rows.find((row) => row.entry === '.' && row.exported === 'NetworkError')!;
  expect(network.className).not.toBe('NetworkError');
  expect(rows.filter((row) => row.className === row.exported)).toEqual([]);
});

it('names every error by its exported class name: `name`, the stack and toString()', () => {
  for (const { entry, exported, name, stackHead, toString } of rows) {
    expect({ entry, exported, name, stackHead, toString }).toEqual({
      entry,
      exported,
      name: exported,
      stackHead: exported,
      toString: exported,
    });
  }
  expect(rows.length).toBeGreaterThanOrEqual(44);
});
