// Server renders with the Angular version installed beside this file (run by run.mjs, with that version's Node,
// from its scratch directory): the app's own read (toSignal(readJson(...)), zoneless and with zone.js) and
// streamResource() show the data; with withHttpClientTransport(), a catch-up over Angular's limit on response bodies
// (NG02825, where this version has it) renders status 'error' and reports a ResponseTooLargeError to the console,
// and renders every item once provideServerRendering({ maxResponseBodySize }) raises the limit.
// Prints one JSON line per check: { check, ok, detail }.
import '@angular/compiler'; // the components below are compiled at run time (JIT)
import * as http from '@angular/common/http';
import { ChangeDetectionStrategy, Component, inject, provideZoneChangeDetection, VERSION } from '@angular/core';
import * as core from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { bootstrapApplication } from '@angular/platform-browser';
import { provideServerRendering, renderApplication } from '@angular/platform-server';
import { append, appendJson, createStream, DurableStreamsClient, readJson } from 'durable-streams-rx';
import {
  provideDurableStreams,
  ResponseTooLargeError,
  streamResource,
  withHttpClientTransport,
} from 'durable-streams-rx/angular';
import { firstValueFrom, scan } from 'rxjs';

const base = `${process.argv[2]}/v1/stream`;
const run = `${process.pid}-${Date.now().toString(36)}`;
const writer = new DurableStreamsClient({ baseUrl: base });
const app = { stream: '' };

async function feed(name, items, { asOneAppend = false } = {}) {
  const stream = writer.stream(`${name}-${run}`);
  await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
  if (asOneAppend) await firstValueFrom(append(stream, JSON.stringify(items), { contentType: 'application/json' }));
  else for (const item of items) await firstValueFrom(appendJson(stream, item));
  return `${name}-${run}`;
}

const LIST = `<p id="status">{{ status() }}</p><ol>@for (item of items(); track $index) {<li>{{ item }}</li>}</ol>`;

/** The app reads the stream itself, with a live mode, through the provided client. */
class OwnReadComponent {
  items = toSignal(
    readJson(inject(DurableStreamsClient).stream(app.stream), { live: 'sse' }).pipe(
      scan((all, batch) => [...all, ...batch.items], []),
    ),
    { initialValue: [] },
  );
  status = () => 'own';
}
Component({ selector: 'app-root', changeDetection: ChangeDetectionStrategy.OnPush, template: LIST })(OwnReadComponent);

class ResourceComponent {
  feed = streamResource(() => ({ stream: app.stream, live: 'sse' }));
  items = () => this.feed.value();
  status = () => this.feed.status();
}
Component({ selector: 'app-root', changeDetection: ChangeDetectionStrategy.OnPush, template: LIST })(ResourceComponent);

async function render(component, stream, providers, features = []) {
  app.stream = stream;
  const started = Date.now();
  const html = await renderApplication(
    (context) =>
      bootstrapApplication(
        component,
        { providers: [...providers, provideDurableStreams({ baseUrl: base }, ...features)] },
        context,
      ),
    {
      document: '<html><head></head><body><app-root></app-root></body></html>',
      url: 'http://127.0.0.1/',
      allowedHosts: ['127.0.0.1'],
    },
  );
  return {
    ms: Date.now() - started,
    status: /<p id="status">([^<]*)<\/p>/.exec(html)?.[1],
    items: [...html.matchAll(/<li>([^<]*)<\/li>/g)].map((match) => match[1]),
  };
}

/** What the console's error channel was told during `work`. */
async function errorsDuring(work) {
  const told = [];
  const original = console.error;
  console.error = (...args) => void told.push(...args);
  try {
    return { result: await work(), told };
  } finally {
    console.error = original;
  }
}

function report(check, ok, detail) {
  console.log(JSON.stringify({ check: `Angular ${VERSION.full}: ${check}`, ok, detail }));
}

console.log = (
  (log) =>
  (...args) =>
    String(args[0]).startsWith('Angular is running') ? undefined : log(...args)
)(console.log);
const zoneless = core.provideZonelessChangeDetection ?? core.provideExperimentalZonelessChangeDetection;
const five = ['one', 'two', 'three', 'four', 'five'];

const own = await feed('own', five);
for (const [name, component] of [
  ['toSignal(readJson(...)) with live: sse', OwnReadComponent],
  ['streamResource()', ResourceComponent],
]) {
  const rendered = await render(component, own, [provideServerRendering(), zoneless()]);
  report(
    `zoneless server render of ${name} shows the data`,
    rendered.items.join() === five.join() && rendered.ms < 5_000,
    rendered,
  );
}

// A history over 1 MiB, as one catch-up response: 3 000 items of about 400 bytes.
const big = await feed(
  'big',
  Array.from({ length: 3_000 }, (_, index) => `${String(index).padStart(4, '0')} ${'x'.repeat(390)}`),
  { asOneAppend: true },
);
const limited = 'ɵHTTP_FETCH_MAX_RESPONSE_SIZE' in http || 'HTTP_FETCH_MAX_RESPONSE_SIZE' in http;
const viaHttpClient = [http.provideHttpClient(http.withFetch()), zoneless()];
if (limited) {
  const cut = await errorsDuring(() =>
    render(ResourceComponent, big, [provideServerRendering(), ...viaHttpClient], [withHttpClientTransport()]),
  );
  const reported = cut.told.filter((value) => value instanceof ResponseTooLargeError);
  report(
    "a catch-up over Angular's 1 MiB server limit (NG02825) renders status 'error' and tells the console",
    cut.result.status === 'error' && cut.result.items.length === 0 && reported.length === 1,
    { ...cut.result, reported: reported.map((error) => error.message) },
  );
  const raised = await errorsDuring(() =>
    render(
      ResourceComponent,
      big,
      [provideServerRendering({ maxResponseBodySize: 4 * 1024 * 1024 }), ...viaHttpClient],
      [withHttpClientTransport()],
    ),
  );
  report(
    'the same render with provideServerRendering({ maxResponseBodySize: 4 MiB }) shows every item',
    raised.result.status === 'resolved' && raised.result.items.length === 3_000,
    { status: raised.result.status, items: raised.result.items.length, told: raised.told.map(String) },
  );
} else {
  const whole = await render(
    ResourceComponent,
    big,
    [provideServerRendering(), ...viaHttpClient],
    [withHttpClientTransport()],
  );
  report(
    'without a limit on response bodies, a 1.2 MiB catch-up through HttpClient renders every item',
    whole.status === 'resolved' && whole.items.length === 3_000,
    { status: whole.status, items: whole.items.length },
  );
}

// zone.js last: it patches the process for good.
await import('zone.js');
const zoned = await render(OwnReadComponent, own, [provideServerRendering(), provideZoneChangeDetection()]);
report(
  'server render with zone.js of toSignal(readJson(...)) with live: sse shows the data, stable at once',
  zoned.items.join() === five.join() && zoned.ms < 5_000,
  zoned,
);
process.exit(0);
