import { AsyncPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { scan } from 'rxjs';
import { DurableStreamsClient } from '../../../lib/angular/index';
import { readJson, type LiveMode } from '../../../lib/index';

/** The stream and live mode the next rendered app reads (a spec sets them before rendering). */
export const plainRead: { stream: string; live: LiveMode } = { stream: 'feed', live: 'sse' };

/** The app reads the stream itself, as a first Angular app does, through the provided client: every item so far. */
const items = () =>
  readJson<string>(inject(DurableStreamsClient).stream(plainRead.stream), { live: plainRead.live }).pipe(
    scan((all: string[], batch) => [...all, ...batch.items], []),
  );

const LIST = `<ol>@for (item of items; track $index) {<li>{{ item }}</li>}</ol>`;

/** `toSignal(readJson(...))`. */
export class SignalFeedComponent {
  readonly items = toSignal(items(), { initialValue: [] });
}
// A decorator called as a function: the spec compiler (swc) is not configured for decorator syntax.
Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: LIST.replace('of items;', 'of items();'),
})(SignalFeedComponent);

/** `readJson(...)` through the `async` pipe. */
export class AsyncFeedComponent {
  readonly items$ = items();
}
Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [AsyncPipe],
  template: LIST.replace('of items;', 'of (items$ | async) ?? [];'),
})(AsyncFeedComponent);
