#!/usr/bin/env node
// The Angular majors we claim beyond the one our specs run on (package.json peerDependencies): for each, in a
// scratch directory, installs that Angular from the npm registry with the Node it needs (Node itself from npm:
// the node-<platform>-<arch> package, pinned), installs this package as `npm pack` makes it, builds
// examples/angular-feed with that Angular's CLI, serves it and checks the server's render of a feed, then runs
// render-check.mjs there (the app's own reads, NG02825). Never touches the repository's lockfile or node_modules.
//
//   node e2e/angular-versions/run.mjs [major...]      (default: every major below; KEEP_SCRATCH=1 keeps the scratch)
//
// Needs dist/ (npm run build) unless DS_BUILD=1 builds it. Prints "Tests: N passed, N failed" like jest.
import { DurableStreamTestServer } from '@durable-streams/server';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/**
 * The majors checked here. 20, the oldest we claim (peerDependencies >= 20): 19 is past its support (LTS ended
 * May 2026) and cannot build the example unchanged (zoneless was experimental under another name, and server
 * rendering was configured from other packages). 22, the current major, needs Node >= 22.22. Our own specs,
 * example and e2e run on the devDependencies' Angular (21).
 */
const MAJORS = {
  20: {
    node: 'current',
    packages: {
      '@angular/common': '20.3.35',
      '@angular/compiler': '20.3.35',
      '@angular/compiler-cli': '20.3.35',
      '@angular/core': '20.3.35',
      '@angular/platform-browser': '20.3.35',
      '@angular/platform-server': '20.3.35',
      '@angular/router': '20.3.35',
      '@angular/build': '20.3.43',
      '@angular/cli': '20.3.43',
      '@angular/ssr': '20.3.43',
      typescript: '5.9.3',
      'zone.js': '0.15.1',
    },
  },
  22: {
    node: '22.23.5',
    packages: {
      '@angular/common': '22.2.6',
      '@angular/compiler': '22.2.6',
      '@angular/compiler-cli': '22.2.6',
      '@angular/core': '22.2.6',
      '@angular/platform-browser': '22.2.6',
      '@angular/platform-server': '22.2.6',
      '@angular/router': '22.2.6',
      '@angular/build': '22.2.7',
      '@angular/cli': '22.2.7',
      '@angular/ssr': '22.2.7',
      typescript: '6.0.3',
      'zone.js': '0.16.3',
    },
  },
};
const COMMON = { rxjs: '7.8.2', '@types/node': '20.19.43' };

const results = [];

/** What one major reports, printed as a block once it is done (the majors run at once). */
function reporter(major) {
  const lines = [];
  return {
    log: (line) => lines.push(`  ${line}`),
    check: (name, ok, detail) => {
      results.push({ name, ok });
      lines.push(`  ${ok ? '✓' : '✕'} ${name}${ok ? '' : `\n    ${JSON.stringify(detail)}`}`);
    },
    print: () => console.log([`Angular ${major}:`, ...lines].join('\n')),
  };
}

/** Runs `command args` in `cwd` to its end, without blocking this process (the streams server runs in it): its stdout. */
function run(command, args, cwd, env = {}) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data) => (stdout += data));
  child.stderr.on('data', (data) => (stderr += data));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} ${args.join(' ')} exited (${code}):\n${stdout}${stderr}`)),
    );
  });
}

const npm = (args, cwd) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], cwd);

/** Node `version` from the npm registry (the platform's node-<os>-<arch> package), in `dir`; 'current': this one. */
async function nodeBinary(version, dir) {
  if (version === 'current') return process.execPath;
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
  await npm(['install', '--prefix', dir, `node-${os}-${process.arch}@${version}`], root);
  const binary = join(dir, 'node_modules', `node-${os}-${process.arch}`, 'bin', 'node');
  const reported = (await run(binary, ['--version'], dir)).trim();
  if (reported !== `v${version}`) throw new Error(`installed Node says ${reported}, expected v${version}`);
  return binary;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `node args` in `cwd` until it prints `ready` (then returns it running), or fails with its output. */
function start(node, args, cwd, env, ready) {
  const child = spawn(node, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 30 s:\n${output}`)), 30_000);
    const seen = (data) => {
      output += data;
      if (!output.includes(ready)) return;
      clearTimeout(timer);
      resolve({ child, output: () => output });
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', (data) => (output += data));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`exited (${code}):\n${output}`))));
  });
}

async function seedFeed(streams, path, texts) {
  const url = `${streams}/v1/stream/${path}`;
  await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' } });
  const changes = texts.map((text, index) => ({
    type: 'message',
    key: String(index + 1),
    value: { id: index + 1, text },
    headers: { operation: 'insert' },
  }));
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(changes),
  });
  if (!response.ok) throw new Error(`seeding ${path}: ${response.status}`);
}

async function checkMajor(major, tarball, streams, { log, check }) {
  const { node: nodeVersion, packages } = MAJORS[major];
  const scratch = mkdtempSync(join(tmpdir(), `ds-angular-${major}-`));
  log(scratch);
  const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(0)} s`;
  try {
    let started = Date.now();
    const node = await nodeBinary(nodeVersion, join(scratch, '.node'));
    log(
      `Node ${(await run(node, ['--version'], scratch)).trim()}${nodeVersion === 'current' ? '' : `, installed in ${seconds(started)}`}`,
    );
    writeFileSync(
      join(scratch, 'package.json'),
      JSON.stringify(
        {
          name: `angular-${major}-check`,
          private: true,
          type: 'module',
          dependencies: { ...packages, ...COMMON, 'durable-streams-rx': `file:${tarball}` },
        },
        null,
        2,
      ),
    );
    started = Date.now();
    await npm(['install'], scratch);
    log(`Angular installed in ${seconds(started)}`);

    // The example as it is, its CLI cache inside the scratch directory.
    const example = join(root, 'examples', 'angular-feed');
    cpSync(join(example, 'src'), join(scratch, 'src'), { recursive: true });
    cpSync(join(example, 'tsconfig.json'), join(scratch, 'tsconfig.json'));
    const workspace = JSON.parse(readFileSync(join(example, 'angular.json'), 'utf8'));
    workspace.projects['angular-feed'].cli = { cache: { path: '.angular/cache' }, analytics: false };
    writeFileSync(join(scratch, 'angular.json'), JSON.stringify(workspace, null, 2));
    started = Date.now();
    try {
      await run(node, [join(scratch, 'node_modules/@angular/cli/bin/ng.js'), 'build'], scratch, {
        NG_CLI_ANALYTICS: 'false',
        CI: 'true',
      });
      check(`Angular ${major}: ng build of examples/angular-feed (${seconds(started)})`, true);
    } catch (error) {
      check(`Angular ${major}: ng build of examples/angular-feed`, false, String(error));
      return;
    }

    // The example's server renders a feed with the data, and hands it over (TransferState).
    const path = `feed-${major}-${Date.now().toString(36)}`;
    await seedFeed(streams, path, ['alpha', 'beta', 'gamma']);
    const port = await freePort();
    const server = await start(
      node,
      ['dist/server/server.mjs'],
      scratch,
      { PORT: String(port), STREAMS_URL: streams },
      'listening on',
    );
    try {
      const html = await (await fetch(`http://127.0.0.1:${port}/?stream=${path}`)).text();
      const items = [...html.matchAll(/<li[^>]*data-testid="item"[^>]*>([^<]*)<\/li>/g)].map((match) => match[1]);
      check(
        `Angular ${major}: the example's server renders the feed with its data and hands it over`,
        items.join() === 'alpha,beta,gamma' &&
          html.includes('rendered on the server') &&
          /<script id="ng-state"[^>]*>[^<]*dsrx:/.test(html),
        { items, status: /data-testid="status"[^>]*>([^<]*)</.exec(html)?.[1], output: server.output() },
      );
    } finally {
      server.child.kill('SIGTERM');
    }

    // The app's own reads and the body limit, rendered with this Angular.
    cpSync(join(import.meta.dirname, 'render-check.mjs'), join(scratch, 'render-check.mjs'));
    const output = await run(node, ['render-check.mjs', streams], scratch);
    for (const line of output.split('\n').filter((text) => text.startsWith('{'))) {
      const { check: name, ok, detail } = JSON.parse(line);
      check(name, ok, detail);
    }
  } finally {
    if (process.env.KEEP_SCRATCH !== '1') rmSync(scratch, { recursive: true, force: true });
  }
}

const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(MAJORS);
for (const major of majors) if (!MAJORS[major]) throw new Error(`no Angular ${major} here: ${Object.keys(MAJORS)}`);
if (process.env.DS_BUILD === '1') await run('npm', ['run', 'build'], root);
if (!existsSync(join(root, 'dist', 'esm', 'index.js'))) throw new Error('dist/ is missing: npm run build first');
const packed = mkdtempSync(join(tmpdir(), 'ds-angular-pack-'));
const streamsServer = new DurableStreamTestServer({ port: 0, host: '127.0.0.1' });
const streams = await streamsServer.start();
const started = Date.now();
try {
  await npm(['pack', '--pack-destination', packed], root);
  const tarball = join(packed, readdirSync(packed)[0]);
  // The majors at once: mostly downloads and waiting; each prints its block when done.
  await Promise.all(
    majors.map(async (major) => {
      const report = reporter(major);
      try {
        await checkMajor(major, tarball, streams, report);
      } catch (error) {
        report.check(`Angular ${major}`, false, String(error?.stack ?? error));
      }
      report.print();
    }),
  );
} finally {
  await streamsServer.stop();
  rmSync(packed, { recursive: true, force: true });
}
const failed = results.filter((result) => !result.ok).length;
console.log(`Angular versions checked in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`Tests: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
