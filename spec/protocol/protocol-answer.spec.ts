import { missingProtocolHeaders, type AnsweredOperation } from '../../lib/protocol/protocol-answer';

const headers = (record: Record<string, string>) => ({ get: (name: string) => record[name] ?? null });

describe('missingProtocolHeaders: is this answer the protocol’s?', () => {
  const operations: AnsweredOperation[] = ['read', 'head', 'create', 'append', 'close', 'producer-append'];

  it.each(operations)('%s: an answer with Stream-Next-Offset is', (operation) => {
    expect(missingProtocolHeaders(operation, 200, headers({ 'stream-next-offset': '0001' }))).toBeUndefined();
    expect(missingProtocolHeaders(operation, 204, headers({ 'stream-next-offset': '0001' }))).toBeUndefined();
  });

  it.each(operations)('%s: a plain 200, an SPA page, a bare 204 are not', (operation) => {
    expect(missingProtocolHeaders(operation, 200, headers({}))).toMatch(/Stream-Next-Offset/);
    expect(missingProtocolHeaders(operation, 200, headers({ 'content-type': 'text/html' }))).toMatch(
      /Stream-Next-Offset/,
    );
    expect(missingProtocolHeaders(operation, 204, headers({}))).toMatch(/Stream-Next-Offset/);
    expect(missingProtocolHeaders(operation, 200, headers({ 'stream-next-offset': '' }))).toMatch(/Stream-Next-Offset/);
  });

  it("a producer's duplicate (204 with Producer-Epoch and Producer-Seq) is, for the producer only", () => {
    const duplicate = headers({ 'producer-epoch': '0', 'producer-seq': '4' });
    expect(missingProtocolHeaders('producer-append', 204, duplicate)).toBeUndefined();
    expect(missingProtocolHeaders('producer-append', 200, duplicate)).toMatch(/Producer-Epoch/);
    expect(missingProtocolHeaders('producer-append', 204, headers({ 'producer-epoch': '0' }))).toBeDefined();
    expect(missingProtocolHeaders('append', 204, duplicate)).toBeDefined();
  });
});
