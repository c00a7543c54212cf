import type { StandardSchemaV1 } from '@standard-schema/spec';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { isPromiseLike } from '../util/is-promise-like.js';

/** What a Standard Schema said of a value: its output, or why it does not match. */
export type Validated =
  { readonly value: unknown; readonly issues?: undefined } | { readonly issues: readonly StandardSchemaV1.Issue[] };

/**
 * Validates `value` with `schema`, synchronously: a state's view is built in
 * the tick its batch arrives, so a schema whose `validate` answers with a
 * promise (an async refinement) cannot be used. No schema: the value as is.
 */
export function validateEntity(schema: StandardSchemaV1 | undefined, value: unknown, collection: string): Validated {
  if (!schema) return { value };
  const result = schema['~standard'].validate(value);
  if (isPromiseLike(result)) {
    // A rejection nobody awaits would be reported as unhandled.
    Promise.resolve(result).catch(() => undefined);
    throw new InvalidArgumentError(
      `The schema of collection "${collection}" validates asynchronously; state schemas must validate synchronously (drop async refinements)`,
    );
  }
  return result.issues ? { issues: result.issues } : { value: result.value };
}

/** The issues as one line: `title: Expected string; done: Required`. */
export function describeIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  return issues
    .map(({ message, path }) => {
      const at = path?.map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.');
      return at ? `${at}: ${message}` : message;
    })
    .join('; ');
}
