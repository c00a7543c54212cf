/**
 * One way to name a stream in Angular (issue #22 item 2): wherever the
 * Angular entry names a stream (`streamResource()`'s request,
 * `injectStateStore()`, `withDurableState()`, the testing controller), a
 * handle is accepted beside a path, and a typed handle types what comes out.
 * Checked by the compiler: `typeLevel()` is never called, and each of its
 * `@ts-expect-error` lines must be an error (an unused directive fails `npm
 * run typecheck`); the jest case compiles this file with TypeScript, so the
 * claims hold in `npx jest` alone too.
 */
import '@angular/compiler'; // @angular/common's partial declarations are JIT-linked in specs
import { join } from 'node:path';
import { signalStore } from '@ngrx/signals';
import ts from 'typescript';
import {
  DurableStreamsClient,
  injectStateStore,
  streamResource,
  type StreamResourceRef,
  type StreamResourceStatus,
} from '../../lib/angular/index';
import { withDurableState } from '../../lib/angular/signals/index';
import type { DurableStreamsTestingController } from '../../lib/angular/testing/index';
import type { JsonBatch } from '../../lib/index';
import { createStateSchema, type CollectionDefinition, type Collections } from '../../lib/state/index';
import { hasType } from '../support/type-equality';

interface Order {
  readonly id: string;
  readonly total: number;
}
interface Refund {
  readonly id: string;
  readonly amount: number;
}
interface Todo {
  readonly id: string;
  readonly title: string;
}
const schema = createStateSchema<{ todos: CollectionDefinition<Todo> }>({ todos: { type: 'todo', primaryKey: 'id' } });

export function typeLevel(client: DurableStreamsClient, controller: DurableStreamsTestingController): void {
  const orders = client.stream<Order>('orders');
  const untyped = client.stream('misc');

  // streamResource(): a typed handle types the items, with no type argument; a path or an untyped handle reads unknown.
  hasType<StreamResourceRef<readonly Order[]>>()(streamResource(() => ({ stream: orders, live: 'sse' })));
  hasType<StreamResourceRef<readonly Order[]>>()(streamResource(() => (orders.url ? { stream: orders } : undefined)));
  hasType<StreamResourceRef<readonly unknown[]>>()(streamResource(() => ({ stream: untyped })));
  hasType<StreamResourceRef<readonly unknown[]>>()(streamResource(() => 'orders'));
  // An explicit type argument declares what a path or an untyped handle holds, and must agree with a typed handle.
  hasType<StreamResourceRef<readonly Order[]>>()(streamResource<Order>(() => 'orders'));
  hasType<StreamResourceRef<readonly Order[]>>()(streamResource<Order>(() => ({ stream: untyped })));
  hasType<StreamResourceRef<readonly Order[]>>()(streamResource<Order>(() => ({ stream: orders })));
  // @ts-expect-error a stream of orders is not read as refunds
  streamResource<Refund>(() => ({ stream: orders }));
  // @ts-expect-error a stream is a handle or a path, nothing else
  streamResource(() => ({ stream: 42 }));

  // A reducer's batches are the handle's type.
  hasType<StreamResourceRef<number>>()(
    streamResource(() => ({ stream: orders }), {
      reduce: (sum, batch) => sum + batch.items.reduce((total, order) => total + order.total, 0),
      initialValue: 0,
    }),
  );
  // @ts-expect-error a reducer of refunds on a stream of orders
  streamResource(() => ({ stream: orders }), { reduce: (n: number, _batch: JsonBatch<Refund>) => n, initialValue: 0 });

  // materialize(): the collections come from the type argument; any handle names the stream.
  hasType<StreamResourceRef<Collections<{ todo: Todo }>>>()(
    streamResource<{ todo: Todo }>(() => ({ stream: untyped }), { materialize: { types: ['todo'] } }),
  );

  // The status speaks ConnectionState's words; the old 'loading' is gone (a comparison with it does not compile).
  const statuses: StreamResourceStatus[] = ['idle', 'connecting', 'offline', 'resolved', 'error'];
  // @ts-expect-error 'loading' is now 'connecting'
  statuses.push('loading');

  // The state store's stream: a handle or a path; the schema types it.
  injectStateStore(client.stream('boards/1'), schema);
  injectStateStore('boards/1', schema);
  // @ts-expect-error a stream is a handle or a path
  injectStateStore({ path: 'boards/1' }, schema);
  signalStore(withDurableState(() => client.stream('boards/1'), schema));
  signalStore(withDurableState(() => 'boards/1', schema));

  // The testing controller names a stream by its handle too.
  controller.expectRead(orders);
  controller.expectAppend(orders);
  controller.expectNone(untyped);
  controller.expectRequest('HEAD', 'orders');
  // @ts-expect-error a stream is a handle or a path
  controller.expectRead({ path: 'orders' });
}

describe('a handle wherever the Angular entry names a stream (types)', () => {
  it('this spec compiles with every @ts-expect-error of typeLevel() used: each marks a real error', () => {
    const file = join(__dirname, 'typed-handles.spec.ts');
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node', 'jest'],
    });
    const messages = ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(messages).toEqual([]);
  }, 120_000);
});
