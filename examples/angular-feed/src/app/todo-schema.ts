import type { StandardSchemaV1 } from '@standard-schema/spec';
import { createStateSchema } from 'durable-streams-rx/state';

/** One todo, the `value` of a State Protocol change message of type `todo`, keyed by `id`. */
export interface Todo {
  readonly id: string;
  readonly title: string;
  readonly done: boolean;
  /** When it was added (ms since the epoch): the list's order. */
  readonly created: number;
}

/**
 * A Standard Schema for {@link Todo}, written by hand to keep the example free
 * of a validation library (Zod, Valibot or ArkType schemas plug in the same
 * way). The store validates every todo it reads with it, and every todo a
 * mutation writes.
 */
const todoSchema: StandardSchemaV1<Todo> = {
  '~standard': {
    version: 1,
    vendor: 'angular-feed',
    validate(value) {
      const todo = value as Partial<Todo> | null;
      const issues: StandardSchemaV1.Issue[] = [];
      if (typeof todo !== 'object' || todo === null) return { issues: [{ message: 'a todo is an object' }] };
      if (typeof todo.id !== 'string' || todo.id === '')
        issues.push({ message: 'id: a non-empty string', path: ['id'] });
      if (typeof todo.title !== 'string') issues.push({ message: 'title: a string', path: ['title'] });
      if (typeof todo.done !== 'boolean') issues.push({ message: 'done: a boolean', path: ['done'] });
      if (typeof todo.created !== 'number') issues.push({ message: 'created: a number', path: ['created'] });
      return issues.length > 0 ? { issues } : { value: todo as Todo };
    },
  },
};

/** The todo list's one collection, `todos`: change messages of type `todo`, keyed by `id`. */
export const todoState = createStateSchema({
  todos: { schema: todoSchema, type: 'todo', primaryKey: 'id' },
});
