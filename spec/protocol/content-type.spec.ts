import { framingOf, isJsonContentType, mediaType } from '../../lib/protocol/content-type';

describe('content types', () => {
  it('selects JSON framing for application/json only, parameters and case aside', () => {
    expect(framingOf('application/json')).toBe('json');
    expect(framingOf('Application/JSON; charset=utf-8')).toBe('json');
    expect(framingOf('application/ld+json')).toBe('bytes');
    expect(framingOf('text/plain')).toBe('bytes');
  });

  it('compares media types without parameters or case, and knows none in an empty header', () => {
    expect(mediaType(' Text/Event-Stream ; charset=utf-8')).toBe('text/event-stream');
    expect(mediaType('')).toBeUndefined();
    expect(mediaType(undefined)).toBeUndefined();
    expect(isJsonContentType('application/json;charset=utf-8')).toBe(true);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});
