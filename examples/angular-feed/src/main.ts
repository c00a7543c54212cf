import { inject, provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { provideDurableStreams } from 'durable-streams-rx/angular';
import { AppComponent } from './app/app.component';
import { FEED_CONFIG } from './app/feed-config';

bootstrapApplication(AppComponent, {
  providers: [
    provideZonelessChangeDetection(),
    // A function, run in the injection context: the server URL comes from the page's query.
    provideDurableStreams(() => ({ baseUrl: `${inject(FEED_CONFIG).server}/v1/stream` })),
  ],
}).catch((error: unknown) => console.error(error));
