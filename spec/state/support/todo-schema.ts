import type { StandardSchemaV1 } from '@standard-schema/spec';

export interface Todo {
  readonly id: string;
  readonly title: string;
  readonly done: boolean;
}

/** A hand-made Standard Schema (what Zod, Valibot or ArkType provide): a todo with a string id and title and a boolean done. */
export const todoSchema: StandardSchemaV1<Todo> = {
  '~standard': {
    version: 1,
    vendor: 'spec',
    validate(value) {
      const issues: StandardSchemaV1.Issue[] = [];
      if (typeof value !== 'object' || value === null) return { issues: [{ message: 'Expected an object' }] };
      const { id, title, done } = value as Record<string, unknown>;
      if (typeof id !== 'string') issues.push({ message: 'Expected string', path: ['id'] });
      if (typeof title !== 'string') issues.push({ message: 'Expected string', path: ['title'] });
      if (typeof done !== 'boolean') issues.push({ message: 'Expected boolean', path: ['done'] });
      return issues.length > 0 ? { issues } : { value: value as Todo };
    },
  },
};

export interface Tag {
  readonly name: string;
  readonly color: string;
}

export const tagSchema: StandardSchemaV1<Tag> = {
  '~standard': {
    version: 1,
    vendor: 'spec',
    validate: (value) =>
      typeof (value as Partial<Tag> | null)?.name === 'string' && typeof (value as Tag).color === 'string'
        ? { value: value as Tag }
        : { issues: [{ message: 'Expected { name, color }' }] },
  },
};

/** A Standard Schema that takes every value as it is. */
export function anything<T>(): StandardSchemaV1<T> {
  return { '~standard': { version: 1, vendor: 'spec', validate: (value) => ({ value: value as T }) } };
}
