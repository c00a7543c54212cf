import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { injectProducer } from 'durable-streams-rx/angular';
import { FEED_CONFIG } from './feed-config';
import type { FeedMessage } from './feed-list';

/** A State Protocol change message inserting one `message` entity: what the feed lists. */
export interface FeedInsert {
  readonly type: 'message';
  readonly key: string;
  readonly value: FeedMessage;
  readonly headers: { readonly operation: 'insert' };
}

let sent = 0;

/**
 * A compose box whose messages survive the page: each is saved in this tab's
 * IndexedDB outbox before it is sent (`injectProducer()`), so a reload mid-send,
 * a crash, a lost network or a closed tab loses none and writes none twice (a
 * closed tab's are sent by the next tab of the app). The line under it says
 * how many wait, and why.
 */
@Component({
  selector: 'app-compose',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form data-testid="compose" (submit)="send($event, text)">
      <input #text data-testid="compose-text" placeholder="Say something" autocomplete="off" />
      <button type="submit" data-testid="send">Send</button>
    </form>
    <p
      class="status"
      data-testid="outbox"
      [attr.data-state]="outbox.status()"
      [attr.data-pending]="outbox.pending()"
      [attr.data-saved]="outbox.saved()"
      [attr.data-producer]="outbox.producer?.producerId"
    >
      {{ label() }}
    </p>
    @if (outbox.error(); as error) {
      <p class="error" data-testid="outbox-error">{{ error.message }}</p>
    }
  `,
})
export class ComposeComponent {
  private readonly config = inject(FEED_CONFIG);
  /** This tab's producer on the feed's stream, its outbox named 'compose'. */
  readonly outbox = injectProducer<FeedInsert>(this.config.stream, 'compose', { contentType: 'application/json' });
  readonly label = computed(() => {
    const pending = this.outbox.pending();
    switch (this.outbox.status()) {
      case 'delivered':
        return 'Every message sent';
      case 'offline':
        return `${pending} waiting for the network (saved: they survive a reload)`;
      case 'saved':
        return `${pending} saved, about to be sent`;
      default:
        return `Sending ${pending}…`;
    }
  });

  send(event: Event, input: HTMLInputElement): void {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    // Ordered by the time it was written; the key is unique to this message.
    const id = Date.now() * 1000 + (sent++ % 1000);
    this.outbox.append({
      type: 'message',
      key: `${id.toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
      value: { id, text },
      headers: { operation: 'insert' },
    });
    input.value = '';
  }
}
