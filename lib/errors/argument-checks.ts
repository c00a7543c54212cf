import { describeValue } from '../util/describe-value.js';
import { InvalidArgumentError } from './client-errors.js';

/**
 * The error of a bad argument, as every public function throws it at the
 * call: `<name> must be <what>, got <value>`, naming the argument and what
 * to pass (`url`: the stream it was for, when there is one).
 */
export function mustBe(name: string, what: string, value: unknown, url?: string): InvalidArgumentError {
  return new InvalidArgumentError(`${name} must be ${what}, got ${describeValue(value)}`, url);
}

/** Checks a call's `options`: an object, or nothing (undefined). */
export function checkOptionsObject(value: unknown, url?: string, name = 'options'): void {
  if (value !== undefined && (value === null || typeof value !== 'object')) throw mustBe(name, 'an object', value, url);
}

/** Checks an argument that must be a function (a handler, a callback). */
export function checkFunction(name: string, value: unknown, url?: string): void {
  if (typeof value !== 'function') throw mustBe(name, 'a function', value, url);
}
