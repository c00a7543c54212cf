/** The part of `sessionStorage` a tab's producer id is kept in. */
export interface TabStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Where the page's `pagehide` and `pageshow` fire (`window`). */
export interface PageEvents {
  addEventListener(type: 'pagehide' | 'pageshow', listener: () => void): void;
}

/** What is kept per tab and outbox: the id, and whether a document of the tab runs with it now. */
interface KeptId {
  readonly id: string;
  readonly running: boolean;
}

/** Ids handed out in this page, by key: a page asks the storage once, and marks it running once. */
const givenHere = new Map<string, string>();

/**
 * The producer id of this tab for `key`: kept in the tab's session storage,
 * so a reload (and a tab the browser restores) writes on with the id and
 * outbox it had; new for every other tab.
 *
 * The browser copies session storage into a duplicated tab (and a window
 * the page opens), so an id found there may belong to a tab that still
 * runs. Whether a document runs with it is kept beside it: set while the
 * page is shown, cleared on `pagehide` (which a reload and a closed tab
 * fire, and a crash does not). An id whose mark is set is not taken: a new
 * one is made. A crashed tab's reload then gets a new id too, and its old
 * outbox is delivered as a closed tab's would be; never two tabs with one id.
 */
export function tabProducerId(
  key: string,
  storage: TabStorage | undefined,
  events: PageEvents | undefined,
  makeId: () => string,
): string {
  const given = givenHere.get(key);
  if (given) return given;
  const kept = read(storage, key);
  const id = kept && !kept.running ? kept.id : makeId();
  givenHere.set(key, id);
  const mark = (running: boolean) => write(storage, key, { id, running });
  mark(true);
  events?.addEventListener('pagehide', () => mark(false));
  events?.addEventListener('pageshow', () => mark(true));
  return id;
}

/** A fresh producer id: random, and visible ASCII as the `Producer-Id` header needs. */
export function randomProducerId(): string {
  const { crypto } = globalThis as { readonly crypto?: { randomUUID?: () => string } };
  const random =
    typeof crypto?.randomUUID === 'function'
      ? crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  return `tab-${random}`;
}

/** The page's session storage and window, where they exist (not on a server, nor where storage is blocked). */
export function pageSession(): { readonly storage: TabStorage | undefined; readonly events: PageEvents | undefined } {
  const globals = globalThis as { readonly sessionStorage?: TabStorage; readonly window?: PageEvents };
  let storage: TabStorage | undefined;
  try {
    // Reading it throws where the user blocks storage for the site.
    storage = globals.sessionStorage;
  } catch {
    storage = undefined;
  }
  return { storage, events: globals.window };
}

function read(storage: TabStorage | undefined, key: string): KeptId | undefined {
  try {
    const kept = JSON.parse(storage?.getItem(key) ?? 'null') as Partial<KeptId> | null;
    return typeof kept?.id === 'string' && kept.id !== '' ? { id: kept.id, running: kept.running === true } : undefined;
  } catch {
    return undefined;
  }
}

function write(storage: TabStorage | undefined, key: string, kept: KeptId): void {
  try {
    storage?.setItem(key, JSON.stringify(kept));
  } catch {
    // Storage full or blocked: the next load of this tab gets a new id, and delivers this one's outbox as an orphan.
  }
}
