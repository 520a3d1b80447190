/** Records of counters (drafts by status, token totals, publication totals) added field by field. */

/** Adds two records of counters field by field (both have the same keys). */
export function addCounts<T extends { readonly [K in keyof T]: number }>(a: T, b: T): T {
  const sum = { ...a } as { [K in keyof T]: number };
  for (const key of Object.keys(b) as Array<keyof T>) sum[key] = a[key] + b[key];
  return sum as T;
}

/** Adds several records of counters with the same keys, e.g. one per account. There must be at least one: an empty record has no keys to say what it counts. */
export function sumCounts<T extends { readonly [K in keyof T]: number }>(records: readonly T[]): T {
  const [first, ...rest] = records;
  if (first === undefined) throw new RangeError('sumCounts needs at least one record');
  return rest.reduce((sum, record) => addCounts(sum, record), first);
}
