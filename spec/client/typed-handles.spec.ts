/**
 * Typed handles: `client.stream<T>(path)` is a `DurableStream<T>`, and the
 * operations take their `T` from it. Most of this spec is checked by the
 * compiler: `typeLevel()` is never called, its `@ts-expect-error` lines must
 * each be an error (an unused directive fails `npm run typecheck`), and the
 * jest cases below compile this file and snippets with TypeScript, so the
 * claims hold in `npx jest` alone too, with the errors they are meant to be.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { map, of, type Observable } from 'rxjs';
import ts from 'typescript';
import {
  append,
  appendJson,
  consume,
  createStream,
  DurableStreamsClient,
  forkStream,
  headStream,
  idempotentProducer,
  readBytes,
  readJson,
  readText,
  type DurableStream,
  type IdempotentProducer,
  type JsonBatch,
} from '../../lib/index';
import { hasType } from '../support/type-equality';

interface Order {
  readonly id: string;
  readonly total: number;
}
interface Refund {
  readonly id: string;
  readonly amount: number;
}
interface PriorityOrder extends Order {
  readonly priority: true;
}
const order: Order = { id: 'o1', total: 3 };
const refund: Refund = { id: 'r1', amount: 3 };
const storage = { getItem: () => null, setItem: () => undefined };
const takesOrders = (_stream: DurableStream<Order>): void => undefined;
const takesPriorityOrders = (_stream: DurableStream<PriorityOrder>): void => undefined;
const takesOrdersOrRefunds = (_stream: DurableStream<Order | Refund>): void => undefined;
const takesAnyHandle = (_stream: DurableStream): void => undefined;

export function typeLevel(client: DurableStreamsClient): void {
  const orders = client.stream<Order>('orders');
  const untyped = client.stream('misc');
  hasType<DurableStream<Order>>()(orders);
  hasType<DurableStream>()(untyped);

  // Reads take their type from the handle, in generic code too; the untyped handle reads unknown (never any);
  // an explicit type argument declares it.
  hasType<Observable<JsonBatch<Order>>>()(readJson(orders));
  const readAny = <T>(stream: DurableStream<T>) => readJson(stream);
  hasType<Observable<JsonBatch<Order>>>()(readAny(orders));
  hasType<Observable<JsonBatch>>()(readJson(untyped));
  hasType<Observable<JsonBatch<Order>>>()(readJson<Order>(untyped));
  // @ts-expect-error a stream of orders is not read as refunds
  readJson<Refund>(orders);

  // A wrong value appended to a typed handle does not compile.
  appendJson(orders, order);
  appendJson(orders, { id: 'o2', total: 1 });
  // @ts-expect-error a refund is not an order
  appendJson(orders, refund);
  // @ts-expect-error a field missing
  appendJson(orders, { id: 'o2' });
  // @ts-expect-error a field of the wrong type
  appendJson(orders, { id: 'o2', total: '1' });
  // @ts-expect-error not even an object
  appendJson(orders, 42);
  // The untyped handle takes any value, unless a type argument declares it.
  appendJson(untyped, 42);
  appendJson(untyped, refund);
  appendJson<Order>(untyped, order);
  // @ts-expect-error declared a stream of orders
  appendJson<Order>(untyped, refund);

  // The producer's values are the handle's type: append, tryAppend, next, closeStream's last value, as an Observer.
  const producer = idempotentProducer(orders, 'p1');
  hasType<IdempotentProducer<Order>>()(producer);
  producer.append(order);
  producer.next(order);
  producer.tryAppend(order);
  of(order).subscribe(producer);
  // @ts-expect-error append() takes orders
  producer.append(refund);
  // @ts-expect-error next() takes orders
  producer.next(refund);
  // @ts-expect-error tryAppend() takes orders
  producer.tryAppend(42);
  // @ts-expect-error closeStream's last value is an order
  producer.closeStream(refund);
  // @ts-expect-error a source of refunds
  of(refund).subscribe(producer);
  hasType<IdempotentProducer>()(idempotentProducer(untyped, 'p2'));
  hasType<IdempotentProducer<Order>>()(idempotentProducer<Order>(untyped, 'p3'));
  // @ts-expect-error a producer of refunds on a stream of orders
  idempotentProducer<Refund>(orders, 'p4');

  // consume() hands the handler the handle's type; on the untyped handle the handler may declare it, as before.
  consume(orders, (batch) => hasType<JsonBatch<Order>>()(batch), { storage, key: 'k' });
  hasType<Observable<JsonBatch<Order>>>()(
    consume(untyped, (_batch: JsonBatch<Order>) => undefined, { storage, key: 'k' }),
  );
  // @ts-expect-error a handler of refunds on a stream of orders
  consume(orders, (_batch: JsonBatch<Refund>) => undefined, { storage, key: 'k' });

  // A fork is a stream of the same type.
  hasType<Observable<DurableStream<Order>>>()(forkStream(orders, 'orders-copy').pipe(map((result) => result.stream)));
  // Its target is a path or a handle: an untyped one, or one of the same type.
  forkStream(orders, client.stream('orders-copy'));
  forkStream(orders, client.stream<Order>('orders-copy'));
  // @ts-expect-error a fork of a stream of orders is no stream of refunds
  forkStream(orders, client.stream<Refund>('refunds'));

  // The type argument binds both ways between declared types.
  const priority = client.stream<PriorityOrder>('vip');
  // @ts-expect-error plain orders could be written to a stream of priority orders
  takesOrders(priority);
  // @ts-expect-error a stream of orders would be read as priority orders
  takesPriorityOrders(orders);
  // @ts-expect-error a refund could be written to a stream of orders
  takesOrdersOrRefunds(orders);
  // @ts-expect-error nor does a producer of orders take a stream of refunds
  idempotentProducer<Order>(client.stream<Refund>('refunds'), 'p5');
  // The untyped handle passes as any handle, and any handle as it (byte-level operations take every handle).
  takesAnyHandle(orders);
  takesOrders(untyped);
  readBytes(orders);
  readText(orders);
  append(orders, 'raw');
  createStream(orders);
  headStream(priority);
}

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node', 'jest'],
};

/** Compiles this spec and the snippets (each a file beside it, importing what this spec imports): diagnostics per file. */
function compile(snippets: Record<string, string>): Record<string, string[]> {
  const self = join(__dirname, 'typed-handles.spec.ts');
  const header = readFileSync(self, 'utf8').split('\nexport function typeLevel')[0];
  const files = new Map(
    Object.entries(snippets).map(([name, body]) => [join(__dirname, `${name}.snippet.ts`), `${header}\n${body}\n`]),
  );
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (file) => files.has(file) || ts.sys.fileExists(file);
  host.readFile = (file) => files.get(file) ?? readFile(file);
  host.getSourceFile = (file, version) =>
    files.has(file) ? ts.createSourceFile(file, files.get(file)!, version) : getSourceFile(file, version);
  const program = ts.createProgram([self, ...files.keys()], options, host);
  const out: Record<string, string[]> = { self: [] };
  for (const name of Object.keys(snippets)) out[name] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file?.fileName ?? '';
    const name =
      file === self ? 'self' : (Object.keys(snippets).find((key) => file.endsWith(`${key}.snippet.ts`)) ?? '?');
    (out[name] ??= []).push(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  }
  return out;
}

describe('typed handles', () => {
  it('a typed handle is, at runtime, the same frozen { url } as an untyped one: the type is not there', () => {
    const client = new DurableStreamsClient({ baseUrl: 'http://streams.test/v1/stream' });
    const typed = client.stream<Order>('orders');
    expect(Reflect.ownKeys(typed)).toEqual(['url']);
    expect(Object.isFrozen(typed)).toBe(true);
    expect(typed).toEqual(client.stream('orders'));
  });

  describe('checked by the compiler', () => {
    const diagnostics = compile({
      wrongAppend: `appendJson(new DurableStreamsClient().stream<Order>('o'), refund);`,
      wrongNext: `idempotentProducer(new DurableStreamsClient().stream<Order>('o'), 'p').next({ id: 'x' });`,
      wrongHandle: `const s: DurableStream<Order> = new DurableStreamsClient().stream<PriorityOrder>('o'); void s;`,
      inferred: `readJson(new DurableStreamsClient().stream<Order>('o')).subscribe((b) => { const n: string = b.items[0].total; void n; });`,
      untypedIsUnknown: `readJson(new DurableStreamsClient().stream('o')).subscribe((b) => { b.items[0].total; });`,
    });

    it('this spec compiles with every @ts-expect-error of typeLevel() used: each marks a real error', () => {
      expect(diagnostics.self).toEqual([]);
    });

    it('each snippet below fails on its one line and for its one reason', () => {
      for (const [name, messages] of Object.entries(diagnostics))
        expect([name, messages.length]).toEqual([name, name === 'self' ? 0 : 1]);
    });

    it('a wrong value appended to a typed handle is refused, naming what is wrong', () => {
      expect(diagnostics.wrongAppend.join('\n')).toMatch(/'Refund' is not assignable to parameter of type 'Order'/);
      expect(diagnostics.wrongNext.join('\n')).toMatch(/Property 'total' is missing/);
    });

    it('a handle of one type is not a handle of another', () => {
      expect(diagnostics.wrongHandle.join('\n')).toMatch(
        /'\(value: PriorityOrder\) => PriorityOrder' is not assignable to type '\(value: Order\) => Order'/,
      );
    });

    it('reads infer the type from the handle (orders have a numeric total), and the untyped handle reads unknown', () => {
      expect(diagnostics.inferred.join('\n')).toMatch(/Type 'number' is not assignable to type 'string'/);
      expect(diagnostics.untypedIsUnknown.join('\n')).toMatch(/is of type 'unknown'/);
    });
  });
});
