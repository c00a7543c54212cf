/**
 * Imported before undici, for its effect alone. npm's undici, when its
 * module runs, installs its own Agent as the global dispatcher of Node's
 * `fetch` (a non-configurable property of `globalThis`) unless one is
 * already there. Reading one of Node's lazily loaded fetch globals loads
 * Node's bundled undici first, which puts Node's own dispatcher there, as
 * the first `fetch` would have. So importing our undici transport leaves
 * the process's `fetch` as it was.
 */
Reflect.get(globalThis, 'Response'); // the read is the point: it runs Node's lazy getter

export {};
