/** The integers from `from` up to, not including, `to`. */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
