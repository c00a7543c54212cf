import '@angular/compiler'; // the spec's components are compiled at run time (JIT)
import {
  ChangeDetectionStrategy,
  Component,
  type ApplicationConfig,
  type EnvironmentProviders,
  type Provider,
  type Type,
} from '@angular/core';
import { bootstrapApplication, provideClientHydration, type BootstrapContext } from '@angular/platform-browser';
import { provideServerRendering, renderApplication } from '@angular/platform-server';
import { provideDurableStreams, streamResource, type DurableStreamsFeature } from '../../../lib/angular/index';
import type { HttpTransport } from '../../../lib/index';

/** A feed as an app shows it: the status and every item of a live read. */
export class FeedComponent {
  readonly feed = streamResource<string>(() => ({
    stream: (globalThis as { feedStream?: string }).feedStream ?? 'feed',
    live: 'sse',
  }));
}
// A decorator called as a function: the spec compiler (swc) is not configured for decorator syntax.
Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<p id="status">{{ feed.status() }}</p><ol>@for (item of feed.value(); track $index) {<li>{{ item }}</li>}</ol>`,
})(FeedComponent);

/** Renders the app for `url`, with `baseUrl` for the client, as @angular/ssr would for a request. */
export async function renderFeed(options: {
  readonly stream: string;
  readonly baseUrl: string;
  readonly url: string;
  readonly providers?: Array<Provider | EnvironmentProviders>;
  readonly transport?: HttpTransport;
  /** Features of provideDurableStreams() (`withHttpClientTransport()`). */
  readonly features?: DurableStreamsFeature[];
  /** The root component (`app-root`); default {@link FeedComponent}. */
  readonly component?: Type<unknown>;
}): Promise<{ html: string; ms: number }> {
  (globalThis as { feedStream?: string }).feedStream = options.stream;
  const config: ApplicationConfig = {
    providers: [
      ...(options.providers ?? []),
      provideServerRendering(),
      provideClientHydration(),
      provideDurableStreams(
        {
          baseUrl: options.baseUrl,
          ...(options.transport ? { transport: options.transport } : {}),
        },
        ...(options.features ?? []),
      ),
    ],
  };
  const started = Date.now();
  const html = await renderApplication(
    (context: BootstrapContext) => bootstrapApplication(options.component ?? FeedComponent, config, context),
    {
      document: '<html><head></head><body><app-root></app-root></body></html>',
      url: options.url,
      allowedHosts: [new URL(options.url).hostname],
    },
  );
  return { html, ms: Date.now() - started };
}

/** The TransferState the page carries (`<script id="ng-state">`). */
export function transferState(html: string): Record<string, unknown> {
  const match = /<script id="ng-state" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  return match ? (JSON.parse(match[1].replace(/&q;/g, '"')) as Record<string, unknown>) : {};
}

/** The list items of the rendered feed. */
export const renderedItems = (html: string): string[] =>
  [...html.matchAll(/<li>([^<]*)<\/li>/g)].map((match) => match[1]);
