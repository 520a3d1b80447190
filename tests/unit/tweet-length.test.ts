import { describe, expect, it } from 'vitest';
import { MAX_TWEET_WEIGHT, measureTweet, weightedLength } from '../../src/domain/tweet-length.js';

describe('weightedLength', () => {
  it('GIVEN plain Latin text THEN each character counts 1', () => {
    expect(weightedLength('hello world')).toBe(11);
  });

  it('GIVEN a URL THEN it counts 23 whatever its length', () => {
    expect(weightedLength('see https://example.com/a/very/long/path/that/goes/on/and/on')).toBe(4 + 23);
    expect(weightedLength('see https://x.co')).toBe(4 + 23);
  });

  it('GIVEN a bare domain X auto-links THEN it counts 23 too', () => {
    expect(weightedLength('Pump.fun')).toBe(23);
  });

  it('GIVEN emoji, including a ZWJ family sequence THEN each emoji counts 2', () => {
    expect(weightedLength('🚀')).toBe(2);
    expect(weightedLength('👨‍👩‍👧')).toBe(2);
    expect(weightedLength('🏳️‍🌈 ok')).toBe(2 + 3);
  });

  it('GIVEN CJK characters THEN each counts 2', () => {
    expect(weightedLength('日本語')).toBe(6);
  });
});

describe('measureTweet', () => {
  it('GIVEN exactly 280 Latin characters THEN it is valid at 1000 permille', () => {
    expect(MAX_TWEET_WEIGHT).toBe(280);
    expect(measureTweet('a'.repeat(280))).toEqual({ weightedLength: 280, valid: true, permillage: 1000 });
  });

  it('GIVEN 281 characters THEN it is invalid', () => {
    const measure = measureTweet('a'.repeat(281));
    expect(measure.weightedLength).toBe(281);
    expect(measure.valid).toBe(false);
  });

  it('GIVEN 141 CJK characters THEN it is over the limit at 282', () => {
    const measure = measureTweet('語'.repeat(141));
    expect(measure.weightedLength).toBe(282);
    expect(measure.valid).toBe(false);
  });

  it('GIVEN an empty text THEN it is not valid', () => {
    expect(measureTweet('').valid).toBe(false);
  });
});
