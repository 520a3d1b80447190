import type { PublishErrorClass } from './draft.js';
import type { XRateState } from './rate-limits.js';

/**
 * X failures, classified once in the adapter so services decide by class, never by parsing
 * messages: wait for the reset (`rate_limited`), back off (`transient`), or fail the draft.
 */
export class XApiError extends Error {
  readonly errorClass: PublishErrorClass;
  /** HTTP status when X answered; undefined for timeouts and connection errors. */
  readonly status: number | undefined;
  /** Epoch ms when a rate limit resets (429 only, when X said so). */
  readonly resetAt: number | undefined;
  /**
   * True when the request may have reached X and been acted on although no answer came back
   * (timeout or connection dropped after sending): the post may exist, so reconcile before retrying.
   */
  readonly maybePosted: boolean;
  /** X's own error text (problem `detail`), when it sent one. */
  readonly detail: string | undefined;
  /** The rate-limit headers of the failed response, so they are recorded like a success's. */
  readonly rateLimit: XRateState | undefined;

  constructor(
    message: string,
    init: {
      errorClass: PublishErrorClass;
      status?: number | undefined;
      resetAt?: number | undefined;
      maybePosted?: boolean;
      detail?: string | undefined;
      rateLimit?: XRateState | undefined;
      cause?: unknown;
    },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'XApiError';
    this.errorClass = init.errorClass;
    this.status = init.status;
    this.resetAt = init.resetAt;
    this.maybePosted = init.maybePosted ?? false;
    this.detail = init.detail;
    this.rateLimit = init.rateLimit;
  }

  /** Whether waiting (for a reset or a backoff) can make the same request succeed. */
  get retryable(): boolean {
    return this.errorClass === 'rate_limited' || this.errorClass === 'transient';
  }
}

/** X's words for a duplicate tweet (403 `detail`); matched loosely because X has reworded it before. */
const DUPLICATE_PATTERN = /duplicate content|duplicate tweet|status is a duplicate/i;

/** Whether an X error text says the tweet duplicates one already posted. */
export function isDuplicateContentMessage(text: string | undefined): boolean {
  return text !== undefined && DUPLICATE_PATTERN.test(text);
}

/**
 * The class of an HTTP error answer from X:
 * 429 -> rate_limited; 5xx (and 408) -> transient; 401 -> auth; 403 duplicate -> duplicate;
 * other 403 -> forbidden; any other 4xx -> invalid (the request itself is wrong; retrying won't help).
 */
export function classifyXHttpStatus(status: number, detail?: string): PublishErrorClass {
  if (status === 429) return 'rate_limited';
  if (status >= 500 || status === 408) return 'transient';
  if (status === 401) return 'auth';
  if (status === 403) return isDuplicateContentMessage(detail) ? 'duplicate' : 'forbidden';
  return 'invalid';
}

/** Connection errors raised before anything was sent: the request certainly did not reach X. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED']);

/** Whether a transport failure (no HTTP answer) may have happened after X received the request. */
export function transportFailureMaybePosted(code: string | undefined): boolean {
  return code === undefined || !NOT_SENT_CODES.has(code);
}
