import { describe, expect, it } from 'vitest';
import { containsUrl, publicationCostUsd, tweetCostUsd } from '../../src/domain/x-cost.js';

const prices = { perPostUsd: 0.015, perPostWithUrlUsd: 0.2 };

describe('X cost', () => {
  it('GIVEN plain text THEN a post costs the base price', () => {
    expect(containsUrl('Bonding curves set the price.')).toBe(false);
    expect(tweetCostUsd('Bonding curves set the price.', prices)).toBe(0.015);
  });

  it('GIVEN a link or a bare domain like Pump.fun THEN twitter-text sees a URL and the URL price applies', () => {
    expect(containsUrl('Launch on Pump.fun today')).toBe(true);
    expect(tweetCostUsd('Launch on Pump.fun today', prices)).toBe(0.2);
    expect(tweetCostUsd('docs: https://example.com/a', prices)).toBe(0.2);
    expect(containsUrl('pump dot fun')).toBe(false);
  });

  it('GIVEN a thread THEN its cost is the sum of its tweets', () => {
    expect(publicationCostUsd(['1/3 Pump.fun', '2/3 curve', '3/3 end'], prices)).toBeCloseTo(0.23, 9);
    expect(publicationCostUsd(['a', 'b'], { perPostUsd: 0.1, perPostWithUrlUsd: 1 })).toBe(0.2);
    expect(publicationCostUsd([], prices)).toBe(0);
  });
});
