import { resolveStreamUrl, withQuery } from '../../lib/protocol/url';
import { isTrueFlag, parseRetryAfterMs } from '../../lib/protocol/headers';

describe('withQuery', () => {
  it('orders parameters lexicographically and encodes values', () => {
    expect(withQuery('http://h/s', { offset: 'a/b&c', live: 'long-poll', cursor: '12' })).toBe(
      'http://h/s?cursor=12&live=long-poll&offset=a%2Fb%26c',
    );
  });

  it('merges with parameters already on the URL, later values winning', () => {
    expect(withQuery('http://h/s?z=1&offset=old', { offset: '-1', a: 'x' })).toBe('http://h/s?a=x&offset=-1&z=1');
  });

  it('leaves out undefined values and keeps a bare URL bare', () => {
    expect(withQuery('http://h/s', { cursor: undefined })).toBe('http://h/s');
  });
});

describe('resolveStreamUrl', () => {
  it('joins paths to the base URL with one slash', () => {
    expect(resolveStreamUrl('http://h/v1/stream/', '/chat/1')).toBe('http://h/v1/stream/chat/1');
    expect(resolveStreamUrl('http://h/v1/stream', 'chat')).toBe('http://h/v1/stream/chat');
  });

  it('passes absolute URLs through and refuses a path without a base', () => {
    expect(resolveStreamUrl(undefined, 'https://o/x')).toBe('https://o/x');
    expect(() => resolveStreamUrl(undefined, 'x')).toThrow(/no baseUrl/);
  });
});

describe('protocol header values', () => {
  it('reads boolean flags as true only for "true", any case', () => {
    expect([isTrueFlag('true'), isTrueFlag('TRUE'), isTrueFlag('1'), isTrueFlag(''), isTrueFlag(null)]).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfterMs('3')).toBe(3000);
    expect(parseRetryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfterMs('soon')).toBeUndefined();
  });
});
