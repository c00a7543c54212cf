/** @jest-environment ./spec/support/angular-dom-environment.cjs */
import '@angular/compiler'; // JIT: the spec's component is compiled at run time
import {
  ApplicationRef,
  Component,
  inject,
  Injector,
  makeStateKey,
  provideZonelessChangeDetection,
  signal,
  TransferState,
} from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import {
  DurableStreamsClient,
  provideDurableStreams,
  streamResource,
  type StreamResourceRef,
} from '../../lib/angular/index';
import { DurableStreamsTestingController, provideDurableStreamsTesting } from '../../lib/angular/testing/index';
import { InvalidArgumentError, StreamNotFoundError } from '../../lib/index';

TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting(), { teardown: { destroyAfterEach: true } });

const BASE = 'http://streams.test/v1/stream';
let controller: DurableStreamsTestingController;

beforeEach(() => {
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideDurableStreams({ baseUrl: BASE }),
      provideDurableStreamsTesting(),
    ],
  });
  controller = TestBed.inject(DurableStreamsTestingController);
});

/** A resource made in the TestBed's injection context, its read opened (effects run on tick). */
function resource<V>(make: () => StreamResourceRef<V>): StreamResourceRef<V> {
  const ref = TestBed.runInInjectionContext(make);
  TestBed.tick();
  return ref;
}

const stable = (): Promise<void> => TestBed.inject(ApplicationRef).whenStable();

describe('streamResource()', () => {
  it('goes idle → connecting → catching-up → live, accumulating the items, with upToDate and checkpoint', async () => {
    const messages = TestBed.runInInjectionContext(() =>
      streamResource<string>(() => ({ stream: 'chat/1', live: 'long-poll' })),
    );
    expect(messages.status()).toBe('idle');
    expect(messages.hasValue()).toBe(false);
    TestBed.tick();
    expect(messages.status()).toBe('connecting');
    expect(messages.isLoading()).toBe(true);

    const read = controller.expectRead('chat/1');
    expect(read.requests[0].request.url).toBe(`${BASE}/chat/1?offset=-1`);
    await read.push(['a', 'b'], { upToDate: false });
    expect(messages.status()).toBe('catching-up');
    expect(messages.value()).toEqual(['a', 'b']);
    expect(messages.upToDate()).toBe(false);
    expect(messages.hasValue()).toBe(true);

    await read.push(['c']);
    expect(messages.status()).toBe('live');
    expect(messages.isLoading()).toBe(false);
    expect(messages.upToDate()).toBe(true);
    expect(messages.value()).toEqual(['a', 'b', 'c']);
    expect(messages.checkpoint()).toEqual({ offset: read.offset });
    expect(read.mode).toBe('long-poll');

    await read.push(['d']);
    expect(messages.value()).toEqual(['a', 'b', 'c', 'd']);
    controller.verify();
  });

  it('tears the read down and opens the new one when the request signals change', async () => {
    const room = signal<string | undefined>('a');
    const messages = resource(() =>
      streamResource<number>(() => (room() ? { stream: `room/${room()}`, live: 'sse' } : undefined)),
    );
    const first = controller.expectRead('room/a');
    await first.push([1, 2]);
    expect(first.mode).toBe('sse');
    expect(messages.value()).toEqual([1, 2]);

    room.set('b');
    TestBed.tick();
    expect(first.cancelled).toBe(true);
    expect(messages.status()).toBe('connecting');
    expect(messages.value()).toEqual([]);
    expect(messages.hasValue()).toBe(false);
    const second = controller.expectRead('room/b');
    await second.push([10]);
    expect(messages.value()).toEqual([10]);
    expect(messages.status()).toBe('live');

    room.set(undefined);
    TestBed.tick();
    expect(second.cancelled).toBe(true);
    expect(messages.status()).toBe('idle');
    controller.verify();
  });

  it('starts its read at `from`, an offset or a checkpoint; the deprecated offset and checkpoint likewise', () => {
    resource(() => streamResource(() => ({ stream: 'at-offset', from: '0_5', live: false })));
    resource(() => streamResource(() => ({ stream: 'at-checkpoint', from: { offset: '0_7', cursor: 'c7' } })));
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the old names work for one more release
    resource(() => streamResource(() => ({ stream: 'old-offset', offset: '0_9', live: false })));
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- as above
    resource(() => streamResource(() => ({ stream: 'old-checkpoint', checkpoint: { offset: '0_3' }, live: false })));
    const firstUrl = (path: string) => controller.expectRead(path).requests[0].request.url;
    expect(firstUrl('at-offset')).toBe(`${BASE}/at-offset?offset=0_5`);
    expect(firstUrl('at-checkpoint')).toBe(`${BASE}/at-checkpoint?offset=0_7`);
    expect(firstUrl('old-offset')).toBe(`${BASE}/old-offset?offset=0_9`);
    expect(firstUrl('old-checkpoint')).toBe(`${BASE}/old-checkpoint?offset=0_3`);
  });

  it("fails with the read's InvalidArgumentError when the request names its start twice", () => {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the old name, given beside the new one
    const twice = resource(() => streamResource(() => ({ stream: 'twice', from: '0_1', offset: '0_2' })));
    expect(twice.status()).toBe('error');
    expect(twice.error()).toBeInstanceOf(InvalidArgumentError);
    controller.expectNone('twice');
  });

  it('takes a handle as the stream, typed by it, and reads through the handle', async () => {
    interface Message {
      readonly text: string;
    }
    const messages = resource(() => {
      const client = inject(DurableStreamsClient);
      return streamResource(() => ({ stream: client.stream<Message>('chat/handle'), live: 'long-poll' }));
    });
    const read = controller.expectRead('chat/handle');
    expect(read.requests[0].request.url).toBe(`${BASE}/chat/handle?offset=-1`);
    await read.push([{ text: 'hi' }]);
    const texts: string[] = messages.value().map((message) => message.text); // Message, from the handle
    expect(texts).toEqual(['hi']);
  });

  it('a handle made anew by each evaluation of the request is the same stream: no reopen; another URL reopens', async () => {
    const tick = signal(0);
    const room = signal('a');
    const messages = resource(() => {
      const client = inject(DurableStreamsClient);
      return streamResource<number>(() => (tick(), { stream: client.stream(`room/${room()}`), live: 'long-poll' }));
    });
    const read = controller.expectRead('room/a');
    await read.push([1]);
    tick.set(1);
    TestBed.tick();
    expect(read.cancelled).toBe(false);
    controller.expectNone('room/a');
    room.set('b');
    TestBed.tick();
    expect(read.cancelled).toBe(true);
    await controller.expectRead('room/b').push([2]);
    expect(messages.value()).toEqual([2]);
  });

  it('a stream that is neither a handle nor a path is an error of the resource, and no request', () => {
    const broken = resource(() => streamResource(() => ({ stream: { url: 'http://elsewhere/x' } as never })));
    expect(broken.status()).toBe('error');
    expect(broken.error()).toBeInstanceOf(InvalidArgumentError);
    controller.verify();
  });

  it('does not reopen when the request is recomputed with equal fields', async () => {
    const tick = signal(0);
    const messages = resource(() =>
      streamResource<number>(() => (tick(), { stream: 'steady', from: { offset: '-1' }, live: 'long-poll' })),
    );
    const read = controller.expectRead('steady');
    await read.push([1]);
    tick.set(1);
    TestBed.tick();
    expect(read.cancelled).toBe(false);
    expect(messages.value()).toEqual([1]);
    controller.expectNone('steady');
  });

  it('ends the read when its injector is destroyed, and on destroy()', async () => {
    streamResource(() => 'kept', { injector: TestBed.inject(Injector) });
    const messages = resource(() => streamResource<number>(() => 'gone'));
    TestBed.tick();
    const read = controller.expectRead('gone');
    await read.push([1]);
    messages.destroy();
    expect(read.cancelled).toBe(true);
    expect(messages.status()).toBe('idle');
    expect(messages.reload()).toBe(false);

    const kept = controller.expectRead('kept');
    TestBed.resetTestingModule(); // destroys the environment injector: the resource's read ends with it
    expect(kept.cancelled).toBe(true);
  });

  it('fails with the typed error, keeps the value, and reload() reads again from the start', async () => {
    const messages = resource(() => streamResource<number>(() => ({ stream: 'flaky', live: 'long-poll' })));
    const read = controller.expectRead('flaky');
    await read.push([1, 2]);
    await read.error(404, 'no such stream');
    expect(messages.status()).toBe('error');
    expect(messages.error()).toBeInstanceOf(StreamNotFoundError);
    expect(messages.value()).toEqual([1, 2]);

    expect(messages.reload()).toBe(true);
    TestBed.tick();
    expect(messages.status()).toBe('connecting');
    expect(messages.error()).toBeUndefined();
    expect(messages.value()).toEqual([1, 2]); // kept until the new read's first batch
    const again = controller.expectRead('flaky');
    expect(new URL(again.requests[0].request.url).searchParams.get('offset')).toBe('-1');
    await again.push([1, 2, 3]);
    expect(messages.value()).toEqual([1, 2, 3]);
    expect(messages.status()).toBe('live');
  });

  it("ends 'closed' at EOF, and 'resolved' when the read is not live", async () => {
    const closed = resource(() => streamResource<number>(() => 'ended'));
    const read = controller.expectRead('ended');
    await read.close([7]);
    expect(closed.status()).toBe('closed');
    expect(closed.value()).toEqual([7]);

    const once = resource(() => streamResource<number>(() => ({ stream: 'snapshot', live: false })));
    await controller.expectRead('snapshot').push([1]);
    expect(once.status()).toBe('resolved');
    expect(once.value()).toEqual([1]);
    controller.verify();
  });

  it('builds the value with a reducer, or with materialize() for State Protocol streams', async () => {
    const total = resource(() =>
      streamResource<number, number>(() => 'sums', {
        reduce: (sum, batch) => batch.items.reduce((a, b) => a + b, sum),
        initialValue: 0,
      }),
    );
    await controller.expectRead('sums').push([1, 2, 3], { upToDate: false });
    expect(total.value()).toBe(6);

    const state = resource(() =>
      streamResource<{ user: { name: string } }>(() => 'users', { materialize: { types: ['user'] } }),
    );
    expect(state.value()).toEqual({});
    const read = controller.expectRead('users');
    await read.push([
      { type: 'user', key: '1', value: { name: 'Ada' }, headers: { operation: 'insert' } },
      { type: 'user', key: '2', value: { name: 'Alan' }, headers: { operation: 'insert' } },
    ]);
    await read.push([{ type: 'user', key: '1', headers: { operation: 'delete' } }]);
    expect(state.value()).toEqual({ user: { '2': { name: 'Alan' } } });
  });

  it('holds the application unstable while catching up, not while live', async () => {
    const messages = resource(() => streamResource<number>(() => ({ stream: 'stability', live: 'long-poll' })));
    let isStable = false;
    const whenStable = stable().then(() => (isStable = true));
    const read = controller.expectRead('stability');
    await read.push([1], { upToDate: false });
    expect(isStable).toBe(false);
    await read.push([2]);
    await whenStable;
    expect(isStable).toBe(true);
    expect(messages.status()).toBe('live'); // the live long-poll is still open
    expect(read.cancelled).toBe(false);
  });

  it("resumes live from the server's checkpoint handed over in TransferState, without reading the history again", async () => {
    const handed = { value: ['a', 'b'], checkpoint: { offset: '0000000000000002' }, upToDate: true, closed: false };
    TestBed.inject(TransferState).set(makeStateKey<unknown>(`dsrx:items:-1:${BASE}/feed`), handed);
    const feed = resource(() => streamResource<string>(() => ({ stream: 'feed', live: 'long-poll' })));
    expect(feed.value()).toEqual(['a', 'b']); // at once, as the server rendered it
    expect(feed.hasValue()).toBe(true);
    expect(feed.checkpoint()).toEqual({ offset: '0000000000000002' });
    const read = controller.expectRead('feed');
    expect(new URL(read.requests[0].request.url).searchParams.get('offset')).toBe('0000000000000002');
    await read.upToDate();
    expect(feed.status()).toBe('live');
    await read.push(['c']);
    expect(feed.value()).toEqual(['a', 'b', 'c']);
    expect(TestBed.inject(TransferState).hasKey(makeStateKey<unknown>(`dsrx:items:-1:${BASE}/feed`))).toBe(false); // taken once

    feed.reload(); // a reload reads the request from its start, not from the handed-over state
    TestBed.tick();
    expect(new URL(controller.expectRead('feed').requests[0].request.url).searchParams.get('offset')).toBe('-1');
  });

  it('reads nothing for a handed-over closed stream, and ignores a malformed entry', async () => {
    const state = TestBed.inject(TransferState);
    state.set(makeStateKey<unknown>(`dsrx:items:-1:${BASE}/done`), {
      value: [1],
      checkpoint: { offset: '0000000000000001' },
      upToDate: true,
      closed: true,
    });
    state.set(makeStateKey<unknown>(`dsrx:items:-1:${BASE}/odd`), { value: [1], checkpoint: 'nope' });
    const done = resource(() => streamResource<number>(() => 'done'));
    expect(done.status()).toBe('closed');
    expect(done.value()).toEqual([1]);
    controller.expectNone('done');
    const odd = resource(() => streamResource<number>(() => 'odd'));
    expect(odd.value()).toEqual([]);
    expect(new URL(controller.expectRead('odd').requests[0].request.url).searchParams.get('offset')).toBe('-1');
  });

  it('needs an injection context or the injector option', () => {
    expect(() => streamResource(() => 'x')).toThrow(/NG0203|injection context/);
    const ref = streamResource(() => 'x', { injector: TestBed.inject(Injector) });
    expect(ref.status()).toBe('idle');
  });

  it('drives a component in TestBed: the template shows what the controller pushes', async () => {
    // A decorator called as a function: the spec compiler (swc) is not configured for decorator syntax.
    class RoomComponent {
      readonly room = signal('x'); // an input() needs the AOT compiler's metadata
      readonly messages = streamResource<string>(() => ({ stream: `room/${this.room()}`, live: 'long-poll' }));
    }
    Component({
      selector: 'app-room',
      template: `{{ messages.status() }}:@for (m of messages.value(); track $index) {[{{ m }}]}`,
    })(RoomComponent);
    const fixture = TestBed.createComponent(RoomComponent);
    fixture.detectChanges();
    const read = controller.expectRead('room/x');
    await read.push(['hi', 'there']);
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).textContent).toBe('live:[hi][there]');

    fixture.componentInstance.room.set('y');
    fixture.detectChanges();
    expect(read.cancelled).toBe(true);
    await controller.expectRead('room/y').push(['new room']);
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).textContent).toBe('live:[new room]');
  });
});
