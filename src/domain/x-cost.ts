import { twitterText } from './twitter-text.js';

/** What X charges per created post (pay-per-use API pricing), from configuration. */
export interface XPostPrices {
  readonly perPostUsd: number;
  /** Charged instead of `perPostUsd` when the post contains a link. */
  readonly perPostWithUrlUsd: number;
}

/**
 * Whether X would see a link in the text. Uses twitter-text's own URL extraction, which also
 * recognises bare domains: "Pump.fun" is a URL to X, so a post naming the brand pays the URL price.
 */
export function containsUrl(text: string): boolean {
  return twitterText().extractUrls(text).length > 0;
}

/** The X cost of one tweet. */
export function tweetCostUsd(text: string, prices: XPostPrices): number {
  return containsUrl(text) ? prices.perPostWithUrlUsd : prices.perPostUsd;
}

/** The X cost of a publication: a thread costs the sum of its tweets. Rounded to 1/10000 of a cent. */
export function publicationCostUsd(tweets: readonly string[], prices: XPostPrices): number {
  const total = tweets.reduce((sum, text) => sum + tweetCostUsd(text, prices), 0);
  return Math.round(total * 1_000_000) / 1_000_000;
}
