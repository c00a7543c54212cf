import { asyncScheduler, firstValueFrom, NEVER, Observable, toArray, type Subscription } from 'rxjs';
import { budgetedOpen } from '../../../lib/read/budget/budgeted-open';
import { pageSlots, type LiveSlots } from '../../../lib/read/budget/live-slots';
import type { ReadRequest, ReadStep } from '../../../lib/read/read-step';
import { sleep, until } from '../../support/until';

const request = (kind: ReadRequest['kind'], offset = '1'): ReadRequest => ({
  kind,
  offset,
  headers: undefined,
  params: undefined,
});
const step: ReadStep<string> = { payload: '', offset: '1', upToDate: true, closed: false };

/** A fake `open` that logs the kind of each request it makes; live requests hang until unsubscribed unless told otherwise. */
function fakeOpen(liveAnswers: 'hang' | 'at-once' = 'hang') {
  const made: string[] = [];
  let open = 0;
  const fn = (r: ReadRequest) =>
    new Observable<ReadStep<string>>((subscriber) => {
      made.push(r.kind);
      open++;
      if (r.kind === 'catch-up' || liveAnswers === 'at-once') {
        subscriber.next(step);
        subscriber.complete();
      }
      return () => open--;
    });
  return { fn, made, open: () => open };
}

/** Slots with counts, to see what is held and who waits. */
function countedSlots(size: number) {
  const slots = pageSlots(size);
  let held = 0;
  let waiting = 0;
  const counted: LiveSlots = {
    take: async () => {
      const free = await slots.take();
      if (!free) return undefined;
      held++;
      let freed = false;
      return () => {
        if (!freed) held--;
        freed = true;
        free();
      };
    },
    wait: () => {
      waiting++;
      const stop = slots.wait();
      return () => {
        waiting--;
        stop();
      };
    },
    contended: () => slots.contended(),
  };
  /** The budget as a read asks for it; `warn` stands for the console warning. */
  const of =
    (warn: () => void = () => undefined) =>
    () => ({ size, slots: counted, warn });
  return { slots: counted, of, held: () => held, waiting: () => waiting };
}

describe('budgetedOpen', () => {
  const subscriptions: Subscription[] = [];
  afterEach(() => subscriptions.splice(0).forEach((s) => s.unsubscribe()));
  const config = (leaseMs = 60_000) => ({ leaseMs, scheduler: asyncScheduler });

  it('sends live requests live while slots are free, and frees each slot when its request ends', async () => {
    const budget = countedSlots(2);
    const open = fakeOpen();
    const readers = [budgetedOpen(open.fn, budget.of(), config()), budgetedOpen(open.fn, budget.of(), config())];
    readers.forEach((reader) => subscriptions.push(reader.open(request('long-poll')).subscribe()));
    await until(
      () => open.made.length === 2,
      () => 'two requests',
    );
    expect(open.made).toEqual(['long-poll', 'long-poll']);
    expect(budget.held()).toBe(2);
    subscriptions.splice(0).forEach((s) => s.unsubscribe());
    expect(budget.held()).toBe(0);
  });

  it('polls with a plain read when no slot is free, says once that it waits, and stops waiting once it has a slot', async () => {
    const budget = countedSlots(1);
    const open = fakeOpen();
    const onWait = jest.fn();
    const holder = budgetedOpen(open.fn, budget.of(), config());
    const waiter = budgetedOpen(open.fn, budget.of(onWait), config());
    const held = holder.open(request('sse')).subscribe();
    await until(
      () => budget.held() === 1,
      () => 'the holder to take the slot',
    );
    expect(await firstValueFrom(waiter.open(request('sse')).pipe(toArray()))).toEqual([step]);
    expect(await firstValueFrom(waiter.open(request('long-poll')).pipe(toArray()))).toEqual([step]);
    expect(open.made).toEqual(['sse', 'catch-up', 'catch-up']);
    expect(onWait).toHaveBeenCalledTimes(1);
    expect(budget.waiting()).toBe(1);
    held.unsubscribe();
    subscriptions.push(waiter.open(request('long-poll')).subscribe());
    await until(
      () => open.made.length === 4,
      () => 'the waiter to go live',
    );
    expect(open.made[3]).toBe('long-poll');
    expect(budget.waiting()).toBe(0);
  });

  it('gives its slot up for one round when others wait, so slots rotate', async () => {
    const budget = countedSlots(1);
    const open = fakeOpen('at-once');
    const holder = budgetedOpen(open.fn, budget.of(), config());
    const waiter = budgetedOpen(open.fn, budget.of(), config());
    await firstValueFrom(holder.open(request('long-poll')));
    // The waiter polls while the holder's next request is in flight.
    const blocking = fakeOpen();
    const busy = budgetedOpen(blocking.fn, budget.of(), config());
    const busyRequest = busy.open(request('long-poll')).subscribe();
    await until(
      () => budget.held() === 1,
      () => 'the slot to be taken',
    );
    await firstValueFrom(waiter.open(request('long-poll')));
    busyRequest.unsubscribe();
    expect(budget.waiting()).toBe(1);
    // The holder had a slot last round and someone waits: it polls this round.
    const kinds = open.made.length;
    await firstValueFrom(holder.open(request('long-poll')));
    expect(open.made.slice(kinds)).toEqual(['catch-up']);
    // The waiter takes the free slot.
    await firstValueFrom(waiter.open(request('long-poll')));
    expect(open.made.at(-1)).toBe('long-poll');
  });

  it('ends a live request at the end of its lease when others wait (an SSE connection is reopened later)', async () => {
    const budget = countedSlots(1);
    const open = fakeOpen();
    const holder = budgetedOpen(open.fn, budget.of(), config(30));
    const waiter = budgetedOpen(open.fn, budget.of(), config());
    let ended = false;
    subscriptions.push(holder.open(request('sse')).subscribe({ complete: () => (ended = true) }));
    await until(
      () => budget.held() === 1,
      () => 'the holder to take the slot',
    );
    await firstValueFrom(waiter.open(request('sse')));
    await until(
      () => ended,
      () => 'the lease to end the connection',
      2_000,
    );
    expect(budget.held()).toBe(0);
    expect(open.open()).toBe(0);
  });

  it("keeps a lone holder's connection beyond its lease when nobody waits", async () => {
    const budget = countedSlots(1);
    const open = fakeOpen();
    const holder = budgetedOpen(open.fn, budget.of(), config(20));
    let ended = false;
    subscriptions.push(holder.open(request('sse')).subscribe({ complete: () => (ended = true) }));
    await sleep(120);
    expect(ended).toBe(false);
    expect(budget.held()).toBe(1);
  });

  it('sends live requests as they are while there is no budget (an origin not known to be HTTP/1.1 yet)', async () => {
    const open = fakeOpen('at-once');
    let budget: ReturnType<ReturnType<ReturnType<typeof countedSlots>['of']>> | undefined;
    const reader = budgetedOpen(open.fn, () => budget, config());
    await firstValueFrom(reader.open(request('sse')));
    expect(open.made).toEqual(['sse']);
    const slots = countedSlots(1);
    budget = slots.of()();
    await firstValueFrom(reader.open(request('sse')));
    expect(open.made).toEqual(['sse', 'sse']);
    expect(slots.held()).toBe(0);
  });

  it('frees a slot that arrives after the request was unsubscribed, and stops waiting on close()', async () => {
    const budget = countedSlots(1);
    const open = fakeOpen();
    const reader = budgetedOpen(open.fn, budget.of(), config());
    reader.open(request('long-poll')).subscribe().unsubscribe();
    await sleep(10);
    expect(budget.held()).toBe(0);
    expect(open.made).toEqual([]);
    const holder = budgetedOpen(() => NEVER, budget.of(), config());
    subscriptions.push(holder.open(request('long-poll')).subscribe());
    await until(
      () => budget.held() === 1,
      () => 'the holder to take the slot',
    );
    await firstValueFrom(reader.open(request('long-poll')));
    expect(budget.waiting()).toBe(1);
    reader.close();
    expect(budget.waiting()).toBe(0);
  });
});
