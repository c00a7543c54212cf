import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { streamResource, type StreamResourceStatus } from 'durable-streams-rx/angular';
import { FEED_CONFIG } from './feed-config';
import { feedList, type FeedEntities } from './feed-list';

const STATUS: Record<StreamResourceStatus, string> = {
  idle: 'idle',
  connecting: 'connecting…',
  'catching-up': 'catching up…',
  live: 'live',
  reconnecting: 'reconnecting…',
  offline: 'offline: waiting for the network…',
  resolved: 'rendered on the server',
  closed: 'the stream is closed',
  error: 'stopped',
};

/**
 * A live list of the stream's `message` entities, materialized from State
 * Protocol change messages by `streamResource()`. Rendered on the server
 * (the history, in the HTML), hydrated in the browser, which goes live from
 * the server's checkpoint; destroying the component closes its connection.
 */
@Component({
  selector: 'app-feed',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <p class="status" data-testid="status">{{ status() }}</p>
    @if (feed.error(); as error) {
      <p class="error" data-testid="error">{{ error.message }}</p>
    }
    <ol data-testid="items">
      @for (item of items(); track item.key) {
        <li data-testid="item">{{ item.text }}</li>
      }
    </ol>
  `,
})
export class FeedComponent {
  private readonly config = inject(FEED_CONFIG);
  readonly feed = streamResource<FeedEntities>(() => ({ stream: this.config.stream, live: this.config.live }), {
    materialize: { types: ['message'] },
  });
  /** Sorted again only when the state changed: materialize() keeps the identity of what a batch left unchanged. */
  readonly items = computed(() => feedList(this.feed.value()));
  /** The status in words; while reconnecting, which attempt and when the next one is ("retrying in 4 s"). */
  readonly status = computed(() => {
    const connection = this.feed.connection();
    return connection?.status === 'reconnecting'
      ? `reconnecting… (attempt ${connection.attempt}, next try in ${Math.ceil(connection.retryInMs / 1000)} s)`
      : STATUS[this.feed.status()];
  });
}
