import { defer, distinctUntilChanged, fromEvent, map, NEVER, startWith, type Observable } from 'rxjs';
import { mustBe } from '../errors/argument-checks.js';

/** The part of `Document` that {@link documentVisibility} uses. */
export interface VisibilitySource {
  /** `'hidden'` when the page is not visible (as `document.visibilityState`). */
  readonly visibilityState: string;
  /** Starts listening for visibility changes. */
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  /** Stops listening. */
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/**
 * Whether the page is visible: the current state on subscribe, then every
 * change (`visibilitychange`). Where there is no document (Node, a server
 * render) it emits `true` once and never completes. The listener is removed
 * on unsubscribe.
 */
export function documentVisibility(
  doc: VisibilitySource | undefined = (globalThis as { document?: VisibilitySource }).document,
): Observable<boolean> {
  if (doc && typeof (doc as Partial<VisibilitySource>).addEventListener !== 'function')
    throw mustBe(
      'documentVisibility(source): source',
      'a document, or an object with visibilityState and addEventListener',
      doc,
    );
  return defer(() => {
    if (!doc) return NEVER.pipe(startWith(true));
    const visible = (): boolean => doc.visibilityState !== 'hidden';
    return fromEvent(doc, 'visibilitychange').pipe(map(visible), startWith(visible()), distinctUntilChanged());
  });
}
