// Jest environment for Angular TestBed specs: jsdom (a DOM for TestBed and components)
// with the Node globals jsdom leaves out and the SDK uses (as a browser has them).
const { TestEnvironment } = require('jest-environment-jsdom');

class AngularDomEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const { TextEncoder, TextDecoder } = require('node:util');
    Object.assign(this.global, {
      TextEncoder,
      TextDecoder,
      ReadableStream,
      structuredClone,
      setImmediate,
      clearImmediate,
    });
    // Node's fetch with Node's abort signals (fetch rejects jsdom's), for specs against the real server.
    Object.assign(this.global, { fetch, Headers, Request, Response, AbortController, AbortSignal, DOMException });
  }
}

module.exports = AngularDomEnvironment;
