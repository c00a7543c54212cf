/**
 * The package as users install it. Packs the tarball once (`npm pack`, whose
 * `prepack` builds dist/), then: publint and are-the-types-wrong on it;
 * installed into a temp folder (a copy of the tarball's contents, its
 * declared dependencies linked from ours, so an undeclared one fails), every
 * entry of `exports` imported with `require` and with `import` in child
 * processes; and a consumer type-checked under node16, nodenext and bundler
 * resolution. Also: the main entry never reaches undici, and importing an
 * entry changes no process-wide state (Node's own `fetch` keeps its own
 * dispatcher).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { streamBase, uniquePath } from './support/real-server';

const root = join(__dirname, '..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

interface Manifest {
  readonly exports: Record<string, unknown>;
  readonly typesVersions?: Record<string, Record<string, string[]>>;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly files?: string[];
  readonly type?: string;
  readonly license?: string;
  readonly repository?: unknown;
  readonly homepage?: string;
  readonly bugs?: unknown;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; never rejects (the exit code is in the result). */
function run(file: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, maxBuffer: 64 << 20, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const node = (args: readonly string[], cwd: string) => run(process.execPath, args, cwd);

/** Every module `entry` reaches through static imports, re-exports (type-only ones excluded) and `import()`. */
function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(join(root, file), 'utf8');
    for (const match of source.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;]*?from\s+)?'([^']+)';/gms)) {
      const [, typeOnly, specifier] = match as unknown as [string, string | undefined, string];
      // A package imported for its types only (`@standard-schema/spec`) is still one the entry's declarations need.
      if (specifier.startsWith('.')) {
        if (!typeOnly) visit(normalize(join(dirname(file), specifier.replace(/\.js$/, '.ts'))));
      } else if (!specifier.startsWith('node:'))
        packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
    }
    // A module loaded on demand (a lazy chunk in a bundle) is reached all the same.
    for (const [, specifier = ''] of source.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g))
      visit(normalize(join(dirname(file), specifier.replace(/\.js$/, '.ts'))));
  };
  visit(entry);
  return { files, packages };
}

/** The source of an export's ESM file: `./dist/esm/undici.js` -> `lib/undici.ts`. */
const sourceOf = (target: string) => target.replace(/^\.\/dist\/esm\//, 'lib/').replace(/\.js$/, '.ts');

/** What a child process prints after importing `specifier` both ways: its export names, and what it did to globalThis. */
const probe = (specifier: string, how: 'import' | 'require', preload: readonly string[]) => `
const key = Symbol.for('undici.globalDispatcher.1');
const keys = () => Reflect.ownKeys(globalThis).map(String);
(async () => {
  for (const name of ${JSON.stringify(preload)}) await import(name);
  const before = new Set(keys());
  const entry = ${how === 'import' ? `await import(${JSON.stringify(specifier)})` : `require(${JSON.stringify(specifier)})`};
  const added = keys().filter((name) => !before.has(name));
  const dispatcher = globalThis[key];
  const npmUndici = require('undici');
  let fetched;
  if (dispatcher !== undefined) {
    // Node's own fetch still works, through Node's own dispatcher.
    const server = require('node:http').createServer((request, response) => response.end('pong'));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    fetched = await (await fetch('http://127.0.0.1:' + server.address().port + '/')).text();
    server.close();
  }
  console.log(JSON.stringify({
    names: Object.keys(entry).filter((name) => name !== 'default' && name !== '__esModule' && name !== 'module.exports').sort(),
    added: added.filter((name) => name !== key.toString()),
    npmUndiciDispatcher: dispatcher instanceof npmUndici.Agent,
    fetched,
  }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('packaging', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
  const entries = Object.keys(manifest.exports).filter((subpath) => subpath !== './package.json');
  const specifierOf = (subpath: string) => `durable-streams-rx${subpath.slice(1)}`;
  const target = (subpath: string, condition: 'import' | 'require') =>
    (manifest.exports[subpath] as Record<string, { types: string; default: string }>)[condition];

  describe('sources', () => {
    it('the main entry never reaches undici nor Angular, nor the modules of another entry (a browser bundle never carries them)', () => {
      const { files, packages } = reachable('lib/index.ts');
      expect([...packages].sort()).toEqual(['eventsource-parser', 'rxjs']);
      expect(
        [...files].filter(
          (file) => /^lib\/(angular|subscriptions|state|node)\//.test(file) || file === 'lib/undici.ts',
        ),
      ).toEqual([]);
    });

    it('undici is reached only through durable-streams-rx/undici, Angular only through the Angular entries, rxjs by all but those two', () => {
      for (const subpath of entries) {
        const { packages } = reachable(sourceOf(target(subpath, 'import').default));
        const angular = [...packages].some((name) => name.startsWith('@angular/'));
        expect({ subpath, undici: packages.has('undici'), angular, rxjs: packages.has('rxjs') }).toEqual({
          subpath,
          undici: subpath === './undici',
          angular: subpath.startsWith('./angular'),
          // The Node entry's outbox is plain promises: no rxjs either.
          rxjs: subpath !== './undici' && subpath !== './node',
        });
      }
    });

    it('every runtime dependency and peer is used by an entry, and every package an entry uses is declared', () => {
      const used = new Set(
        entries.flatMap((subpath) => [...reachable(sourceOf(target(subpath, 'import').default)).packages]),
      );
      const declared = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
      expect([...used].sort()).toEqual(declared.sort());
      expect(manifest.dependencies).not.toHaveProperty('rxjs');
      expect(manifest.peerDependencies).toHaveProperty('rxjs', '^7.8.0');
    });

    it('every entry has its ESM and CommonJS files and declarations, and a node10 path for its types', () => {
      for (const subpath of entries) {
        const name = subpath.slice(2);
        const [esm, cjs] = [target(subpath, 'import'), target(subpath, 'require')];
        expect(esm).toEqual({
          types: expect.stringMatching(/^\.\/dist\/esm\/.*\.d\.ts$/),
          default: esm.types.replace(/\.d\.ts$/, '.js'),
        });
        expect(cjs).toEqual({
          types: esm.types.replace('/esm/', '/cjs/'),
          default: esm.default.replace('/esm/', '/cjs/'),
        });
        if (subpath !== '.') expect(manifest.typesVersions?.['*']?.[name]).toEqual([cjs.types]);
      }
    });

    it('has the metadata of a published package', () => {
      expect(manifest).toMatchObject({ type: 'commonjs', license: 'Apache-2.0', homepage: expect.any(String) });
      expect(manifest.repository).toMatchObject({ type: 'git', url: expect.any(String) });
      expect(manifest.bugs).toMatchObject({ url: expect.any(String) });
      expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toContain(
        'Apache License\n                           Version 2.0, January 2004',
      );
    });
  });

  describe('the packed tarball', () => {
    let work: string;
    let tarball: string;
    let consumer: string;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'dsrx-packaging-'));
      const packed = await run('npm', ['pack', '--pack-destination', work, '--silent'], root);
      if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stdout}\n${packed.stderr}`);
      tarball = join(
        work,
        readdirSync(work).find((file) => file.endsWith('.tgz'))!,
      );

      // Installed as an app would have it, offline: the tarball's contents, and its declared
      // dependencies and peers linked from ours, plus what an app brings: @types/node, and
      // Angular's compiler (an Angular app has it or the CLI's linker). Nothing else is reachable.
      consumer = join(work, 'consumer');
      const modules = join(consumer, 'node_modules');
      mkdirSync(join(modules, 'durable-streams-rx'), { recursive: true });
      const untar = await run(
        'tar',
        ['-xzf', tarball, '-C', join(modules, 'durable-streams-rx'), '--strip-components=1'],
        work,
      );
      if (untar.code !== 0) throw new Error(untar.stderr);
      for (const name of [
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
        '@types/node',
        '@angular/compiler',
      ]) {
        mkdirSync(dirname(join(modules, name)), { recursive: true });
        symlinkSync(join(root, 'node_modules', name), join(modules, name), 'dir');
      }
      writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    }, 180_000);

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('publint finds nothing, warnings and suggestions included', async () => {
      const result = await node(
        [join(root, 'node_modules/publint/src/cli.js'), 'run', tarball, '--strict', '--level', 'suggestion'],
        work,
      );
      expect({ code: result.code, output: result.stdout.trim().split('\n').slice(-1)[0] }).toEqual({
        code: 0,
        output: 'All good!',
      });
    }, 60_000);

    it('are-the-types-wrong finds nothing for any entry under node10, node16 (CJS and ESM) and bundler', async () => {
      const result = await node(
        [
          join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js'),
          tarball,
          '--format',
          'json',
          '--no-definitely-typed',
        ],
        work,
      );
      const report = JSON.parse(result.stdout) as {
        analysis: { entrypoints: Record<string, { resolutions: Record<string, unknown> }>; problems: unknown[] };
      };
      expect(report.analysis.problems).toEqual([]);
      expect(Object.keys(report.analysis.entrypoints).sort()).toEqual([...entries, './package.json'].sort());
      for (const entry of Object.values(report.analysis.entrypoints)) {
        expect(Object.keys(entry.resolutions).sort()).toEqual(['bundler', 'node10', 'node16-cjs', 'node16-esm']);
      }
      expect(result.code).toBe(0);
    }, 60_000);

    it('ships dist, the docs and LICENSE; no source maps, no tests, no sources', () => {
      const listing = readdirSync(join(consumer, 'node_modules/durable-streams-rx'), { recursive: true }).map(String);
      expect(listing).toEqual(
        expect.arrayContaining([
          'LICENSE',
          'README.md',
          'CHANGELOG.md',
          'package.json',
          'dist/esm/package.json',
          'dist/cjs/package.json',
        ]),
      );
      expect(listing.filter((file) => /\.map$|\.spec\.|^lib\/|^spec\/|^bin\//.test(file))).toEqual([]);
    });

    it('every entry loads with import and with require, both export the same names, and the process is left as it was', async () => {
      const loads = await Promise.all(
        entries.flatMap((subpath) =>
          (['import', 'require'] as const).map(async (how) => {
            // Angular's own globals are not ours; outside the Angular CLI's linker, Angular's
            // partially compiled libraries need its JIT compiler loaded first, as in any Node test of an Angular app.
            const preload = subpath.startsWith('./angular')
              ? ['@angular/compiler', '@angular/core', '@angular/common']
              : [];
            const result = await node(['-e', probe(specifierOf(subpath), how, preload)], consumer);
            if (result.code !== 0) throw new Error(`${how} ${specifierOf(subpath)} failed:\n${result.stderr}`);
            return {
              subpath,
              how,
              ...(JSON.parse(result.stdout) as {
                names: string[];
                added: string[];
                npmUndiciDispatcher: boolean;
                fetched?: string;
              }),
            };
          }),
        ),
      );
      for (const { subpath, how, names, added, npmUndiciDispatcher, fetched } of loads) {
        expect({
          subpath,
          how,
          exports: names.length > 0,
          added,
          npmUndiciDispatcher,
          fetched: fetched ?? 'pong',
        }).toEqual({
          subpath,
          how,
          exports: true,
          added: [],
          npmUndiciDispatcher: false,
          fetched: 'pong',
        });
        const other = loads.find((load) => load.subpath === subpath && load.how !== how)!;
        expect({ subpath, names }).toEqual({ subpath, names: other.names });
      }
      expect(loads.find((load) => load.subpath === './undici')?.names).toContain('undiciTransport');
      expect(loads.find((load) => load.subpath === '.')?.names).toContain('DurableStreamsClient');
      expect(loads.find((load) => load.subpath === './node')?.names).toEqual(['fileOutbox']);
    }, 60_000);

    it("in Node, the main entry loads the producer's running code with it: a producer runs at once, under import and require", async () => {
      // In a browser bundle that code is a lazy chunk, and a producer's status$ emits once it has loaded.
      const script = (how: 'import' | 'require') => `
(async () => {
  const { DurableStreamsClient, idempotentProducer } = ${how === 'import' ? 'await import' : 'require'}('durable-streams-rx');
  const stream = new DurableStreamsClient({ baseUrl: 'http://127.0.0.1:9' }).stream('s', { contentType: 'application/json' });
  const producer = idempotentProducer(stream, 'p');
  const states = [];
  producer.status$.subscribe(({ state }) => states.push(state)).unsubscribe();
  producer.abort();
  console.log(JSON.stringify(states));
})().catch((error) => { console.error(error); process.exit(1); });
`;
      const results = await Promise.all(
        (['import', 'require'] as const).map(async (how) => {
          const result = await node(['-e', script(how)], consumer);
          return { how, code: result.code, out: result.stdout.trim() || result.stderr };
        }),
      );
      expect(results).toEqual([
        { how: 'import', code: 0, out: '["delivered"]' },
        { how: 'require', code: 0, out: '["delivered"]' },
      ]);
    }, 60_000);

    it('a live read loads its live code (a module loaded on demand) under import and require, as on a server', async () => {
      // An SSE read fails at once with SseUnavailableError ('not-loaded') where that code does not load.
      const script = (how: 'import' | 'require', path: string) => `
(async () => {
  const { firstValueFrom } = require('rxjs');
  const { DurableStreamsClient, appendJson, createStream, readJson } = ${how === 'import' ? 'await import' : 'require'}('durable-streams-rx');
  const stream = new DurableStreamsClient({ baseUrl: ${JSON.stringify(streamBase())} }).stream(${JSON.stringify(path)});
  await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
  await firstValueFrom(appendJson(stream, 'before'));
  const items = [];
  await new Promise((resolve, reject) => {
    const read = readJson(stream, { live: 'sse' }).subscribe({
      next: (batch) => {
        items.push(...batch.items);
        if (items.length === 1) void firstValueFrom(appendJson(stream, 'live'));
        if (items.length === 2) setTimeout(() => (read.unsubscribe(), resolve()));
      },
      error: reject,
    });
  });
  console.log(JSON.stringify(items));
})().catch((error) => { console.error(error); process.exit(1); });
`;
      const results = await Promise.all(
        (['import', 'require'] as const).map(async (how) => {
          const result = await node(['-e', script(how, uniquePath(`packaged-live-${how}`))], consumer);
          return { how, code: result.code, out: result.stdout.trim() || result.stderr };
        }),
      );
      expect(results).toEqual([
        { how: 'import', code: 0, out: '["before","live"]' },
        { how: 'require', code: 0, out: '["before","live"]' },
      ]);
    }, 60_000);

    it('a consumer type-checks under node16, nodenext and bundler resolution, from ESM and CommonJS', async () => {
      // A Node service (main entry and undici; Node's types, not the DOM's) and a browser app
      // (main entry; the DOM's types, not Node's). Our .d.ts are checked too (skipLibCheck off),
      // under node16 with @types/node and under bundler; nodenext skips library checks, the
      // costly part (the same .d.ts, and @types/node), and checks the consumer's use of them.
      const read = `
import { DurableStreamsClient, fetchTransport, readJson, type JsonBatch } from 'durable-streams-rx';
import { materialize, type StateSnapshot } from 'durable-streams-rx/state';
import type { Observable } from 'rxjs';

const client = new DurableStreamsClient({ baseUrl: 'http://localhost:4437/v1/stream', transport: fetchTransport() });
export const batches: Observable<JsonBatch<{ readonly text: string }>> = readJson<{ readonly text: string }>(client.stream('chat'), { live: 'auto' });
type Todos = { todo: { readonly title: string } };
export const todos: Observable<StateSnapshot<Todos>> = readJson(client.stream('todos')).pipe(materialize<Todos>({ types: ['todo'] }));
`;
      const service = `${read}
import { idempotentProducer, type ProducerOutbox } from 'durable-streams-rx';
import { fileOutbox } from 'durable-streams-rx/node';
import { undiciTransport, type UndiciTransport } from 'durable-streams-rx/undici';

export const transport: UndiciTransport = undiciTransport();
const outbox: ProducerOutbox = fileOutbox('/var/lib/writer-1/outbox');
export const producer = idempotentProducer<{ readonly n: number }>(new DurableStreamsClient({ transport }).stream('http://localhost:4437/v1/stream/log'), 'writer-1', { outbox });
`;
      writeFileSync(join(consumer, 'esm.mts'), service);
      writeFileSync(join(consumer, 'cjs.cts'), service);
      writeFileSync(join(consumer, 'app.ts'), read);
      const config = (module: string, files: string[], lib: string[], types: string[], skipLibCheck: boolean) =>
        JSON.stringify({
          compilerOptions: {
            module,
            moduleResolution: module === 'preserve' ? 'bundler' : module,
            target: 'ES2022',
            lib,
            types,
            strict: true,
            noEmit: true,
            skipLibCheck,
            skipDefaultLibCheck: true,
          },
          files,
        });
      const configs: [string, string][] = [
        ['tsconfig.node16.json', config('node16', ['esm.mts', 'cjs.cts'], ['ES2022'], ['node'], false)],
        ['tsconfig.nodenext.json', config('nodenext', ['esm.mts', 'cjs.cts'], ['ES2022'], ['node'], true)],
        ['tsconfig.bundler.json', config('preserve', ['app.ts'], ['ES2022', 'DOM', 'DOM.Iterable'], [], false)],
      ];
      for (const [name, text] of configs) writeFileSync(join(consumer, name), text);
      const results = await Promise.all(configs.map(([name]) => node([tsc, '-p', name], consumer)));
      expect(
        results.map((result, index) => ({
          config: configs[index][0],
          code: result.code,
          errors: result.stdout.trim(),
        })),
      ).toEqual(configs.map(([name]) => ({ config: name, code: 0, errors: '' })));
    }, 90_000);
  });
});
