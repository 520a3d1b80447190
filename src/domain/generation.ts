import type { ContentType } from './content-types.js';

/** Tokens one generation consumed, as the Anthropic API reported them. */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheCreationTokens: number;
}

export const ZERO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 };

/** Adds two usages, e.g. across the attempts of one draft. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheCreationTokens: a.cacheCreationTokens + b.cacheCreationTokens,
  };
}

/** Everything the prompt needs to ask for one draft. */
export interface GenerationRequest {
  readonly contentType: ContentType;
  readonly topicName: string;
  /** Optional free text describing the topic (from the topics table). */
  readonly topicDescription?: string | undefined;
  /** Recent published/pending texts, newest first, so the model avoids repeating itself. */
  readonly recentPosts: readonly string[];
  /** Untrusted moderator feedback from Regenerate; must be delimited in the prompt. */
  readonly feedback?: string | undefined;
  /** The previous revision's tweets, when regenerating. */
  readonly previousDraft?: readonly string[] | undefined;
  /** Rule violations of the previous attempt, named so the model can fix them. */
  readonly previousViolations?: readonly string[] | undefined;
}

/** What the model produced: one tweet, or a thread of 2 to 6 tweets. */
export interface GeneratedContent {
  readonly kind: 'tweet' | 'thread';
  readonly tweets: readonly string[];
  readonly usage: TokenUsage;
  readonly model: string;
}
