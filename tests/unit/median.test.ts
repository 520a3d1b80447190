import { describe, expect, it } from 'vitest';
import { countedMedian, median } from '../../src/domain/median.js';
import { mulberry32 } from '../support/seeded-random.js';

describe('countedMedian', () => {
  it('GIVEN random figures with repeat counts (odd and even totals, duplicates, zero counts) THEN the median equals median() of the list with each figure repeated', () => {
    const rng = mulberry32(1616);
    for (let round = 0; round < 500; round++) {
      const values = Array.from({ length: 1 + Math.floor(rng() * 12) }, () => ({
        value: Math.floor(rng() * 40) - 5 + (rng() < 0.2 ? 0.5 : 0),
        count: Math.floor(rng() * 6),
      }));
      const expanded = values.flatMap((v) => Array.from({ length: v.count }, () => v.value));
      expect(countedMedian(values), JSON.stringify(values)).toBe(median(expanded));
    }
  });

  it('GIVEN no figures, or only zero counts THEN there is no median (null)', () => {
    expect(countedMedian([])).toBeNull();
    expect(countedMedian([{ value: 3, count: 0 }])).toBeNull();
  });

  it('GIVEN 3 × 1 and 1 × 9 THEN 1; GIVEN 2 × 1 and 2 × 9 THEN 5 (the mean of the middle two)', () => {
    expect(
      countedMedian([
        { value: 9, count: 1 },
        { value: 1, count: 3 },
      ]),
    ).toBe(1);
    expect(
      countedMedian([
        { value: 9, count: 2 },
        { value: 1, count: 2 },
      ]),
    ).toBe(5);
  });
});
