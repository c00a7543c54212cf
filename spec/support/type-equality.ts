/** True when `A` and `B` are the same type (not merely assignable: `any` is equal only to `any`). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- X only compares A and B
export type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;

/** `hasType<E>()(value)` compiles only when `value`'s type is exactly `E`. */
export const hasType =
  <Expected>() =>
  <Actual>(_value: Actual, ..._exactly: Equal<Actual, Expected> extends true ? [] : ['a different type']): void =>
    undefined;
