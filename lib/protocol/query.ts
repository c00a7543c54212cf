/** Protocol query parameter names of a read (PROTOCOL.md 5.6-5.8). */
export const ReadParam = { offset: 'offset', live: 'live', cursor: 'cursor' } as const;
