import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { documentVisibility, pauseWhileHidden, resumable } from 'durable-streams-rx';
import { DurableStreamsClient } from 'durable-streams-rx/angular';
import { FEED_CONFIG } from './feed-config';
import { FeedStore, itemText, type FeedItem } from './feed-store';

/**
 * A live list of the stream's messages. Survives reloads (items and
 * checkpoint in localStorage), closes its connection while the tab is hidden
 * and when the component is destroyed.
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
      @for (item of items(); track $index) {
        <li data-testid="item">{{ text(item) }}</li>
      }
    </ol>
  `,
})
export class FeedComponent {
  private readonly config = inject(FEED_CONFIG);
  private readonly stream = inject(DurableStreamsClient).stream(this.config.stream);
  private readonly store = new FeedStore(localStorage, this.config.stream);

  readonly items = signal(this.store.items());
  readonly status = signal('connecting…');
  readonly error = signal<string | undefined>(undefined);
  readonly visible = toSignal(documentVisibility(), { initialValue: true });
  readonly text = itemText;

  constructor() {
    // Load the saved checkpoint, read from it while the tab is visible, save each processed batch's checkpoint.
    resumable(localStorage, this.store.checkpointKey, (saved) =>
      pauseWhileHidden((checkpoint) => this.stream.readJson<FeedItem>({ checkpoint, live: this.config.live }), { checkpoint: saved }),
    )
      .pipe(takeUntilDestroyed()) // destroying the component aborts the read: its connection closes
      .subscribe({
        next: (batch) => {
          if (batch.items.length > 0) this.items.set(this.store.append(batch.items));
          this.error.set(undefined);
          this.status.set(batch.closed ? 'the stream is closed' : batch.upToDate ? 'live' : 'catching up…');
        },
        error: (error: unknown) => {
          this.status.set('stopped');
          this.error.set(error instanceof Error ? error.message : String(error));
        },
      });
  }
}
