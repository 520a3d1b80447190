import type { MediaMimeType } from './media.js';
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
  /** Images the post is about (issue 14: `/draft image:`), sent to the model as image blocks. */
  readonly images?: readonly GenerationImage[] | undefined;
  /**
   * The account's learned block (issue 15: approved examples, moderator edits, avoid notes), sent
   * as a second cached system block after the voice and hard rules; empty or absent: none.
   */
  readonly learnedVoice?: string | undefined;
}

/** An image the model looks at: its bytes and real type (checked before it gets here). */
export interface GenerationImage {
  readonly mimeType: MediaMimeType;
  readonly data: Uint8Array;
}

/** What the model produced: one tweet, or a thread of 2 to 6 tweets. */
export interface GeneratedContent {
  readonly kind: 'tweet' | 'thread';
  readonly tweets: readonly string[];
  readonly usage: TokenUsage;
  readonly model: string;
}

export type GenerationErrorKind =
  | 'auth'
  | 'rate_limited'
  | 'overloaded'
  | 'server'
  | 'timeout'
  | 'connection'
  | 'invalid_output'
  /** stop_reason `refusal`: the model declined; another attempt may not. */
  | 'refused'
  /** stop_reason `max_tokens`: the answer was cut off. */
  | 'truncated'
  | 'bad_request';

/**
 * Why a generation failed once the SDK had used up its retries (or the failure was not
 * retryable). `retryable` says whether trying again later could succeed. The message never
 * contains the API key.
 */
export class GenerationError extends Error {
  readonly kind: GenerationErrorKind;
  readonly status?: number;
  readonly requestId?: string;
  readonly retryable: boolean;
  /** Tokens already spent when the call itself succeeded but its output was unusable. */
  readonly usage?: TokenUsage;

  constructor(
    kind: GenerationErrorKind,
    message: string,
    details: {
      status?: number | undefined;
      requestId?: string | undefined;
      retryable: boolean;
      usage?: TokenUsage | undefined;
      cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GenerationError';
    this.kind = kind;
    if (details.status !== undefined) this.status = details.status;
    if (details.requestId !== undefined) this.requestId = details.requestId;
    this.retryable = details.retryable;
    if (details.usage !== undefined) this.usage = details.usage;
  }
}

/**
 * Kinds where the call worked but the answer was unusable: another attempt in the same cycle
 * may well succeed, and costs one more call. Transport failures (rate limit, overload, 5xx,
 * timeout, connection) are not here although `retryable`: the SDK has already retried them
 * with backoff (ANTHROPIC_MAX_RETRIES), and repeating that per attempt would multiply the wait
 * of a `/draft` command; the next cycle tries again.
 */
const RETRY_IN_CYCLE: ReadonlySet<GenerationErrorKind> = new Set(['invalid_output', 'refused', 'truncated']);

/** True when the pipeline should spend another of its GENERATION_ATTEMPTS after `error`. */
export function isRetryableInCycle(error: unknown): error is GenerationError {
  return error instanceof GenerationError && error.retryable && RETRY_IN_CYCLE.has(error.kind);
}
