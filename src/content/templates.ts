import type { ContentType } from '../domain/content-types.js';
import { THREAD_MAX_TWEETS, THREAD_MIN_TWEETS } from '../domain/validation.js';

/** How many tweets a thread may have: validation owns the numbers; the schema and template reuse them. */
export { THREAD_MAX_TWEETS, THREAD_MIN_TWEETS };

/** One prompt template: which output shape it asks for, and what the post should do. */
export interface ContentTemplate {
  /** `thread` asks for 2 to 6 tweets; `tweet` for exactly one. */
  readonly format: 'tweet' | 'thread';
  /** The instructions for this kind of post, written to the model. */
  readonly instructions: string;
}

/**
 * One template per content type, in the spirit of the original design: content about Pump.fun,
 * the Solana token launchpad. The hard rules live in the system prompt, not here, so that no
 * template can weaken them.
 */
export const CONTENT_TEMPLATES: Readonly<Record<ContentType, ContentTemplate>> = {
  market_insight: {
    format: 'tweet',
    instructions: [
      'Write one tweet with a market insight about the Pump.fun / Solana memecoin scene:',
      'an observation about launch activity, bonding curves, liquidity, trader behaviour or narratives.',
      'Frame it as an observation or a question, never as a prediction or a tip. No prices, no targets.',
    ].join(' '),
  },
  launch_tips: {
    format: 'tweet',
    instructions: [
      'Write one tweet with a practical tip for creators launching a token on Pump.fun:',
      'a clear name and ticker, honest description, good image, community building, being transparent.',
      'Concrete and actionable, not hype.',
    ].join(' '),
  },
  education: {
    format: 'tweet',
    instructions: [
      'Write one educational tweet that explains one concept clearly to a newcomer:',
      'for example how a bonding curve works, what migration to a DEX means, what slippage or market cap is,',
      'or how Solana wallets and fees work. One idea, explained simply and accurately.',
    ].join(' '),
  },
  safety: {
    format: 'tweet',
    instructions: [
      'Write one tweet about staying safe: spotting rug pulls and scams, fake support accounts and DMs,',
      'wallet drainers, never sharing a seed phrase, checking what you sign, only risking what you can afford to lose.',
      'Protective and calm, not fear-mongering.',
    ].join(' '),
  },
  community: {
    format: 'tweet',
    instructions: [
      'Write one community tweet: celebrate builders and creators in general terms, ask an open question,',
      'or invite people to share what they are working on. Warm and inclusive; do not name or tag real people.',
    ].join(' '),
  },
  meme: {
    format: 'tweet',
    instructions: [
      'Write one short, funny, meme-style tweet about life in the memecoin trenches',
      '(degen culture, chart watching, launch-day energy). Playful and self-aware, never mean,',
      'never mocking a real person or project, and never implying anyone will get rich.',
    ].join(' '),
  },
  thread: {
    format: 'thread',
    instructions: [
      `Write a thread of ${THREAD_MIN_TWEETS} to ${THREAD_MAX_TWEETS} tweets that goes deeper on the topic:`,
      'the first tweet is a hook that stands on its own, each following tweet adds one clear point,',
      'and the last tweet wraps up (a takeaway or a question). Do not number the tweets yourself',
      'unless it reads naturally; each tweet must make sense when read in the feed.',
    ].join(' '),
  },
};

/** The template for a content type. */
export function templateFor(contentType: ContentType): ContentTemplate {
  return CONTENT_TEMPLATES[contentType];
}
