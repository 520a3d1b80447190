import type { ValueTransformer } from 'typeorm';

/** Stores a JSON value in a TEXT column. Explicit, so the schema never depends on reflection. */
export const jsonText = <T>(fallback: T): ValueTransformer => ({
  to: (value: T | undefined | null) => JSON.stringify(value ?? fallback),
  // TypeORM also runs `from` over values it already holds after an insert, and over '' for an
  // unset default: only a non-empty string is JSON text to parse.
  from: (value: unknown) => {
    if (typeof value !== 'string') return value ?? fallback;
    return value === '' ? fallback : (JSON.parse(value) as T);
  },
});

/** SQLite has no boolean: store 0/1 and read back a real boolean. */
export const booleanInteger: ValueTransformer = {
  to: (value: boolean | undefined | null) => (value ? 1 : 0),
  from: (value: unknown) => value === 1 || value === true,
};

/** A nullable JSON value in a TEXT column: null (or absent) is stored as SQL NULL, not the text 'null'. */
export const nullableJsonText: ValueTransformer = {
  to: (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value)),
  from: (value: unknown) => (typeof value === 'string' && value !== '' ? (JSON.parse(value) as unknown) : null),
};
