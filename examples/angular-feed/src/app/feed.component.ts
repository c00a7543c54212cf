import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { documentVisibility, materialize, pauseWhileHidden, resumable } from 'durable-streams-rx';
import { DurableStreamsClient } from 'durable-streams-rx/angular';
import { FEED_CONFIG } from './feed-config';
import { FeedStore, feedList, type FeedEntities } from './feed-store';

/**
 * A live list of the stream's `message` entities, materialized from State
 * Protocol change messages. Survives reloads (collections and checkpoint in
 * localStorage), closes its connection while the tab is hidden and when the
 * component is destroyed.
 */
@Component({
  selector: 'app-feed',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <p class="status" data-testid="status">{{ visible() ? status() : 'paused while the tab is hidden' }}</p>
    @if (error(); as message) {
      <p class="error" data-testid="error">{{ message }}</p>
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
  private readonly stream = inject(DurableStreamsClient).stream(this.config.stream);
  private readonly store = new FeedStore(localStorage, this.config.stream);

  private readonly collections = signal(this.store.saved);
  /** Sorted again only when the state changed: materialize() keeps the identity of what a batch left unchanged. */
  readonly items = computed(() => feedList(this.collections()));
  readonly status = signal('connecting…');
  readonly error = signal<string | undefined>(undefined);
  readonly visible = toSignal(documentVisibility(), { initialValue: true });

  constructor() {
    // Load the saved checkpoint, read from it while the tab is visible, save each processed batch's checkpoint.
    resumable(localStorage, this.store.checkpointKey, (saved) =>
      pauseWhileHidden((checkpoint) => this.stream.readJson({ checkpoint, live: this.config.live }), { checkpoint: saved }),
    )
      .pipe(
        // Continue from the state saved with that checkpoint: each batch is applied on top of it.
        materialize<FeedEntities>({ types: ['message'], initial: this.store.saved }),
        takeUntilDestroyed(), // destroying the component aborts the read: its connection closes
      )
      .subscribe({
        next: (state) => {
          // Saved in the same task as the batch's checkpoint, which resumable() writes once this returns.
          if (state.collections !== this.collections()) this.store.save(state.collections);
          this.collections.set(state.collections);
          this.error.set(undefined);
          this.status.set(state.closed ? 'the stream is closed' : state.upToDate ? 'live' : 'catching up…');
        },
        error: (error: unknown) => {
          this.status.set('stopped');
          this.error.set(error instanceof Error ? error.message : String(error));
        },
      });
  }
}
