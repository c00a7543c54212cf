import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FEED_CONFIG } from './feed-config';
import { ComposeComponent } from './compose.component';
import { FeedComponent } from './feed.component';
import { TodosComponent } from './todos.component';

@Component({
  selector: 'app-root',
  imports: [ComposeComponent, FeedComponent, TodosComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (config.view === 'todos') {
      <h1>Durable Streams todos</h1>
      <p>
        Stream <code>{{ config.stream }}</code> on <code>{{ config.server }}</code>
      </p>
      <app-todos />
    } @else {
      <h1>Durable Streams feed</h1>
      <p>
        Stream <code>{{ config.stream }}</code> on <code>{{ config.server }}</code>
        <button type="button" data-testid="toggle" (click)="feedOn.set(!feedOn())">
          {{ feedOn() ? 'Stop feed' : 'Start feed' }}
        </button>
      </p>
      <app-compose />
      @if (feedOn()) {
        <app-feed />
      }
    }
  `,
})
export class AppComponent {
  readonly config = inject(FEED_CONFIG);
  readonly feedOn = signal(true);
}
