/**
 * zone.js patches the prototypes of the event classes it finds on the global
 * object. In Jest's Node environment those classes (EventTarget, MessagePort,
 * BroadcastChannel, ...) are the worker process's own, shared by every spec
 * file the worker runs after this one: left patched, their listeners call into
 * a zone that is gone. Import this module BEFORE 'zone.js' and call
 * `restoreSharedPrototypes()` in afterAll.
 */
const SHARED = [
  'EventTarget',
  'MessagePort',
  'MessageChannel',
  'BroadcastChannel',
  'AbortSignal',
  'Event',
  'WebSocket',
  'Worker',
] as const;

type Snapshot = { readonly target: object; readonly descriptors: Map<PropertyKey, PropertyDescriptor> };

const snapshots: Snapshot[] = SHARED.flatMap((name) => {
  const prototype = (globalThis as unknown as Record<string, { prototype?: object } | undefined>)[name]?.prototype;
  if (!prototype) return [];
  const descriptors = new Map(
    Reflect.ownKeys(prototype).map((key) => [key, Object.getOwnPropertyDescriptor(prototype, key)!]),
  );
  return [{ target: prototype, descriptors }];
});

/** Puts the shared prototypes back as they were before zone.js was imported. */
export function restoreSharedPrototypes(): void {
  for (const { target, descriptors } of snapshots) {
    for (const key of Reflect.ownKeys(target)) if (!descriptors.has(key)) Reflect.deleteProperty(target, key);
    for (const [key, descriptor] of descriptors) Object.defineProperty(target, key, descriptor);
  }
}
