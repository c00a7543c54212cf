import { isPlatformBrowser } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, PLATFORM_ID } from '@angular/core';
import { indexedDbOutbox } from 'durable-streams-rx';
import { injectStateStore } from 'durable-streams-rx/angular';
import { FEED_CONFIG } from './feed-config';
import { todoState } from './todo-schema';

let added = 0;

/**
 * A todo list shared by everyone on the stream (`?view=todos&stream=...`),
 * edited with optimistic mutations (`injectStateStore()`): a change shows at
 * once, marked as waiting, and is written to the stream; once read back it is
 * the stream's, in the stream's order, so every page converges. Each change is
 * saved in this browser's IndexedDB outbox first, so changes made offline
 * survive a reload and are delivered, each once, when the network is back.
 * Rendered on the server (the list in the HTML), then live in the browser.
 */
@Component({
  selector: 'app-todos',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form data-testid="todo-form" (submit)="add($event, title)">
      <input #title data-testid="todo-title" placeholder="Something to do" autocomplete="off" />
      <button type="submit" data-testid="todo-add">Add</button>
    </form>
    <ul data-testid="todos" class="todos">
      @for (todo of todos(); track todo.id) {
        <li
          data-testid="todo"
          [attr.data-id]="todo.id"
          [attr.data-title]="todo.title"
          [attr.data-done]="todo.done"
          [attr.data-waiting]="waiting().has(todo.id)"
          [class.waiting]="waiting().has(todo.id)"
        >
          <label>
            <input type="checkbox" data-testid="todo-done" [checked]="todo.done" (change)="toggle(todo.id)" />
            {{ todo.title }}
          </label>
          <button type="button" data-testid="todo-delete" (click)="remove(todo.id)">Delete</button>
        </li>
      }
    </ul>
    <p
      class="status"
      data-testid="todo-status"
      [attr.data-status]="board.status()"
      [attr.data-pending]="board.pending().length"
      [attr.data-up-to-date]="board.upToDate()"
      [attr.data-browser]="browser"
    >
      {{ label() }}
    </p>
    @if (board.error(); as error) {
      <p class="error" data-testid="todo-error">{{ error.message }}</p>
    }
    @if (board.lastFailure(); as failure) {
      <p class="error" data-testid="todo-rolled-back" [attr.data-txid]="failure.txid">
        Not saved, taken back: {{ failure.message }}
      </p>
    }
  `,
})
export class TodosComponent {
  private readonly config = inject(FEED_CONFIG);
  /** True in the browser (after hydration): the outbox and the mutations live there. */
  readonly browser = isPlatformBrowser(inject(PLATFORM_ID));
  /**
   * The store: one read of the stream, the pending mutations on top. Its outbox (this browser's, one per stream)
   * keeps them through a reload; a server render has none (no IndexedDB there) and makes no mutation.
   */
  readonly board = injectStateStore(this.config.stream, todoState, {
    live: this.config.live,
    outbox: this.browser ? indexedDbOutbox(`todos ${this.config.stream}`) : undefined,
  });
  /** In the order they were added, then by id. */
  readonly todos = computed(() =>
    [...this.board.collections.todos()].sort(
      (a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    ),
  );
  /** The todos a pending mutation changes: shown as waiting. */
  readonly waiting = computed(
    () => new Set(this.board.pending().flatMap((mutation) => mutation.changes.map((change) => change.key))),
  );
  readonly label = computed(() => {
    const waiting = this.board.pending().length;
    const status = this.board.status();
    const where = status === 'live' ? 'live' : status === 'offline' ? 'offline' : status;
    return waiting === 0 ? `${where}, every change saved` : `${where}, ${waiting} waiting (kept through a reload)`;
  });

  add(event: Event, input: HTMLInputElement): void {
    event.preventDefault();
    const title = input.value.trim();
    if (!title) return;
    const created = Date.now();
    const id = `${created.toString(36)}-${(added++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    this.apply((tx) => tx.todos.insert({ id, title, done: false, created }));
    input.value = '';
  }

  toggle(id: string): void {
    this.apply((tx) => {
      const todo = tx.todos.get(id);
      if (todo) tx.todos.update({ ...todo, done: !todo.done }, { oldValue: todo });
    });
  }

  remove(id: string): void {
    this.apply((tx) => tx.todos.delete(id, { oldValue: tx.todos.get(id) }));
  }

  /**
   * Shown at once; confirmed when read back; a refused write takes it back, and `board.lastFailure()` says which
   * and why (one made here, or one made before a reload that the outbox kept and the server then refused).
   */
  private apply(recipe: Parameters<typeof this.board.mutate>[0]): void {
    this.board.mutate(recipe).subscribe({ error: () => undefined });
  }
}
