import { inject, provideZonelessChangeDetection, type ApplicationConfig } from '@angular/core';
import { provideClientHydration, withEventReplay } from '@angular/platform-browser';
import { provideDurableStreams } from 'durable-streams-rx/angular';
import { FEED_CONFIG } from './feed-config';

/** The app's providers, in the browser and on the server. */
export const appConfig: ApplicationConfig = {
  providers: [
    provideZonelessChangeDetection(),
    provideClientHydration(withEventReplay()),
    // A function, run in the injection context: the streams server comes from the server's configuration.
    provideDurableStreams(() => ({ baseUrl: `${inject(FEED_CONFIG).server}/v1/stream` })),
  ],
};
