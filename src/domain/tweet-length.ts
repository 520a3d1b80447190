import { twitterText } from './twitter-text.js';

/** X's limit for a standard (non-Premium) post, in weighted characters. */
export const MAX_TWEET_WEIGHT = 280;

/** How X would count one tweet. */
export interface TweetMeasure {
  /** Weighted length: URLs count 23, emoji (incl. ZWJ sequences) and CJK count 2, most Latin 1. */
  readonly weightedLength: number;
  /** True when the text is non-empty, has no invalid characters and fits {@link MAX_TWEET_WEIGHT}. */
  readonly valid: boolean;
  /** weightedLength relative to the limit, in thousandths (1000 = exactly full). */
  readonly permillage: number;
}

/**
 * Measures a tweet the way X does, using twitter-text's `parseTweet` (the v3 config with
 * emoji parsing), so our limit check agrees with what the API will accept.
 */
export function measureTweet(text: string): TweetMeasure {
  const parsed = twitterText().parseTweet(text);
  return { weightedLength: parsed.weightedLength, valid: parsed.valid, permillage: parsed.permillage };
}

/** The weighted length of a tweet as X counts it; see {@link measureTweet}. */
export function weightedLength(text: string): number {
  return twitterText().parseTweet(text).weightedLength;
}
