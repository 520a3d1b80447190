import { createRequire } from 'node:module';

type TwitterText = typeof import('twitter-text');

const requireModule = createRequire(import.meta.url);
let loaded: TwitterText | undefined;

/**
 * twitter-text, loaded at its first use rather than at start: its CommonJS build pulls in about a
 * hundred core-js polyfill modules, a sizeable share of the start-up imports (issue 16 §3), and
 * nothing before 'ready' needs it unless a card is reconciled.
 */
export function twitterText(): TwitterText {
  loaded ??= requireModule('twitter-text') as TwitterText;
  return loaded;
}
