/** The median of a list of numbers (the mean of the two middle ones for an even count); null when empty. */
export function median(values: ArrayLike<number>): number | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A figure and how many times it occurs. */
export interface CountedValue {
  readonly value: number;
  readonly count: number;
}

/**
 * The median of figures given with how many times each occurs: the same as median() of the list
 * with each value repeated `count` times, without building that list (a month of drafts is
 * thousands of figures but a few hundred distinct ones). Counts below 1 count for nothing.
 */
export function countedMedian(values: readonly CountedValue[]): number | null {
  const sorted = values.filter((v) => v.count >= 1).sort((a, b) => a.value - b.value);
  const n = sorted.reduce((sum, v) => sum + v.count, 0);
  if (n === 0) return null;
  // The 0-based positions of the middle figure(s) in the expanded, sorted list.
  const low = Math.floor((n - 1) / 2);
  const high = Math.floor(n / 2);
  let seen = 0;
  let lowValue: number | undefined;
  for (const v of sorted) {
    seen += v.count;
    if (lowValue === undefined && seen > low) lowValue = v.value;
    if (seen > high) return ((lowValue as number) + v.value) / 2;
  }
  return lowValue ?? null;
}
