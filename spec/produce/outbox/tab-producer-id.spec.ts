import { randomProducerId, tabProducerId, type TabStorage } from '../../../lib/produce/outbox/tabs/tab-producer-id';

/** One tab's session storage, copied into a duplicate as the browser does. */
class TabSession implements TabStorage {
  constructor(private readonly items = new Map<string, string>()) {}
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  duplicate(): TabSession {
    return new TabSession(new Map(this.items));
  }
}

/** One document's window: `pagehide` when it goes (reload, close), `pageshow` when it comes back from the cache. */
class Page {
  private readonly listeners = new Map<string, Array<() => void>>();
  addEventListener(type: string, listener: () => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  fire(type: 'pagehide' | 'pageshow'): void {
    for (const listener of this.listeners.get(type) ?? []) listener();
  }
}

let made = 0;
const makeId = () => `id-${++made}`;

/**
 * `tabProducerId` of a new document: a realm that has handed out no id yet
 * (the module loaded afresh), as after a reload or in another tab.
 */
function newDocument(): typeof tabProducerId {
  let fresh!: typeof tabProducerId;
  jest.isolateModules(() => {
    fresh = (require('../../../lib/produce/outbox/tabs/tab-producer-id') as { tabProducerId: typeof tabProducerId })
      .tabProducerId;
  });
  return fresh;
}

/** A document of a tab: its producer id for 'compose', and its window. */
function load(storage: TabStorage | undefined) {
  const page = new Page();
  return { id: newDocument()('compose', storage, page, makeId), page };
}

describe('tabProducerId(): one producer id per tab, kept across its reloads', () => {
  it('keeps the id of a tab across a reload (pagehide, then a new document)', () => {
    const tab = new TabSession();
    const first = load(tab);
    first.page.fire('pagehide');
    expect(load(tab).id).toBe(first.id);
  });

  it('gives a duplicated tab (session storage copied while the tab runs) an id of its own, kept across its reloads', () => {
    const tab = new TabSession();
    const original = load(tab);
    const copy = tab.duplicate();
    const duplicated = load(copy);
    expect(duplicated.id).not.toBe(original.id);
    duplicated.page.fire('pagehide');
    expect(load(copy).id).toBe(duplicated.id);
    // the original keeps its own
    original.page.fire('pagehide');
    expect(load(tab).id).toBe(original.id);
  });

  it('gives a tab whose last document crashed (no pagehide) a new id: its outbox is then delivered as an orphan', () => {
    const tab = new TabSession();
    const crashed = load(tab);
    expect(load(tab).id).not.toBe(crashed.id);
  });

  it('marks the id running again when the page comes back from the back-forward cache', () => {
    const tab = new TabSession();
    const { id, page } = load(tab);
    page.fire('pagehide');
    page.fire('pageshow');
    expect(load(tab.duplicate()).id).not.toBe(id);
  });

  it('answers the same id to every producer of the page asking with one key, another to another key', () => {
    const tab = new TabSession();
    const inPage = newDocument();
    const first = inPage('compose', tab, new Page(), makeId);
    expect(inPage('compose', tab, new Page(), makeId)).toBe(first);
    expect(inPage('drafts', tab, new Page(), makeId)).not.toBe(first);
  });

  it('makes one per document where there is no session storage, or where it throws', () => {
    expect(load(undefined).id).toMatch(/^id-\d+$/);
    const throwing: TabStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const first = load(throwing);
    first.page.fire('pagehide');
    expect(load(throwing).id).not.toBe(first.id);
  });

  it('makes random ids the Producer-Id header can carry', () => {
    const ids = new Set(Array.from({ length: 100 }, randomProducerId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^tab-[\x21-\x7e]+$/);
  });
});
