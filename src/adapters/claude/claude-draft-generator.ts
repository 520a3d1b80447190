import type { AppConfig } from '../../config/index.js';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { z } from 'zod';
import { buildPrompt } from '../../content/build-prompt.js';
import { imagesForClaude } from './claude-image-input.js';
import { templateFor, THREAD_MAX_TWEETS, THREAD_MIN_TWEETS } from '../../content/templates.js';
import { GenerationError, type GeneratedContent, type GenerationRequest } from '../../domain/generation.js';
import type { DraftGenerator } from '../../services/ports.js';
import { lazyClaudeSdk, readStructuredAnswer, schemaIssues, type AnswerWording, type LoadedSdk } from './claude-messages.js';
import type { ClaudeSdk } from './claude-sdk.js';

/** The smallest logger the adapter needs; winston loggers and test spies both fit. */
export interface GeneratorLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface ClaudeDraftGeneratorOptions {
  readonly apiKey: string;
  readonly model: string;
  /** Undefined means the public API, https://api.anthropic.com. */
  readonly baseUrl: string | undefined;
  /** Handed to the SDK, which retries 408/409/429/5xx/529 and connection errors itself. */
  readonly maxRetries: number;
  /** Per attempt; the SDK retries timeouts too. */
  readonly timeoutMs: number;
  readonly maxHashtags: number;
  readonly allowedLinkDomains: readonly string[];
  /** The account's voice paragraph; null or absent: the built-in one. */
  readonly voice?: string | null | undefined;
  /** Output budget per draft; a 6-tweet thread in JSON stays well under it. */
  readonly maxTokens?: number;
  readonly logger?: GeneratorLogger;
}

// The error type lives in the domain so the pipeline can read `retryable` without importing an adapter.
export { GenerationError, type GenerationErrorKind } from '../../domain/generation.js';

const DEFAULT_MAX_TOKENS = 1_024;
/** Upper bound on the start-up access check. */
const ACCESS_CHECK_TIMEOUT_MS = 10_000;

const TweetDraftSchema = z.object({
  kind: z.literal('tweet'),
  text: z.string().min(1).describe('The single tweet, at most 280 characters.'),
});
const ThreadDraftSchema = z.object({
  kind: z.literal('thread'),
  tweets: z
    .array(z.string().min(1))
    .min(THREAD_MIN_TWEETS)
    .max(THREAD_MAX_TWEETS)
    .describe(`The thread, ${THREAD_MIN_TWEETS} to ${THREAD_MAX_TWEETS} tweets of at most 280 characters each, in order.`),
});

/**
 * The structured output Claude must produce, one schema per requested kind: a request for a
 * thread admits only a thread, so the model cannot answer with the other kind (a union let a
 * thread request come back as a tweet). The draft sits under a `draft` key because the API
 * documents an object at the root of an output schema. The SDK's schema transform moves
 * `minItems: 2`/`maxItems` (and `minLength`) into the description, since structured outputs
 * only enforce `minItems` of 0 or 1; the answer is validated against this zod schema
 * afterwards, so the bounds still hold.
 */
export const DraftOutputSchemas = {
  tweet: z.object({ draft: TweetDraftSchema }),
  thread: z.object({ draft: ThreadDraftSchema }),
} as const;

export type DraftOutput = z.infer<(typeof DraftOutputSchemas)['tweet' | 'thread']>;

/** How a draft's answer names itself in errors and logs. */
const DRAFT_WORDING: AnswerWording = {
  refused: 'Claude refused to write this draft',
  answer: "Claude's answer",
  schema: 'the draft schema',
  finishedLog: 'claude generation finished',
  unusableLog: 'claude answer unusable',
};

/** Writes drafts with Claude through the official SDK, using structured outputs. */
export class ClaudeDraftGenerator implements DraftGenerator {
  /**
   * The SDK and its client, loaded by the first generation (issue 16: about 5 MB of heap and
   * 8 MB of resident memory a bot that has not written anything yet does not need). The
   * start-up key check is one plain GET and does without it.
   */
  private readonly loadSdk: () => Promise<LoadedSdk<{ outputFormats: ReturnType<ClaudeSdk['outputFormatsOf']> }>>;

  constructor(private readonly options: ClaudeDraftGeneratorOptions) {
    this.loadSdk = lazyClaudeSdk(options, (sdk) => ({ outputFormats: sdk.outputFormatsOf(DraftOutputSchemas) }));
  }

  async generate(request: GenerationRequest): Promise<GeneratedContent> {
    // Claude gets a copy of any image over its limits (the original is what X gets).
    const images = request.images && request.images.length > 0 ? await imagesForClaude(request.images) : undefined;
    const { system, messages } = buildPrompt(images ? { ...request, images } : request, {
      maxHashtags: this.options.maxHashtags,
      allowedLinkDomains: this.options.allowedLinkDomains,
      voice: this.options.voice,
    });
    const expected = templateFor(request.contentType).format;
    const { sdk, client, outputFormats } = await this.loadSdk();
    const format = outputFormats[expected];
    const maxTokens = this.options.maxTokens ?? DEFAULT_MAX_TOKENS;

    let message;
    try {
      // `create`, not `parse`: `parse` throws on a cut-off or refused answer before we could read
      // its usage, and those tokens were paid for.
      message = await client.messages.create({
        model: this.options.model,
        max_tokens: maxTokens,
        system,
        messages,
        output_config: { format },
      });
    } catch (error) {
      throw this.classify(sdk.classifySdkError(error, (text) => this.redact(text)));
    }

    const { json, usage, messageId, unusable } = readStructuredAnswer(message, {
      maxTokens,
      logger: this.options.logger,
      wording: DRAFT_WORDING,
      logMeta: { contentType: request.contentType },
    });
    const answeredKind = (json as { draft?: { kind?: unknown } } | null)?.draft?.kind;
    if ((answeredKind === 'tweet' || answeredKind === 'thread') && answeredKind !== expected) {
      throw unusable(
        'invalid_output',
        `Claude returned a ${answeredKind} but a ${expected} was asked for (content type ${request.contentType}, message ${messageId})`,
      );
    }
    const parsed = DraftOutputSchemas[expected].safeParse(json);
    if (!parsed.success) {
      throw unusable('invalid_output', `Claude's answer did not match the draft schema: ${schemaIssues(parsed.error)} (message ${messageId})`);
    }
    const draft = parsed.data.draft;
    const tweets = draft.kind === 'tweet' ? [draft.text.trim()] : draft.tweets.map((t) => t.trim());
    if (tweets.some((t) => t.length === 0)) {
      throw unusable('invalid_output', 'Claude returned an empty tweet');
    }
    return { kind: draft.kind, tweets, usage, model: message.model };
  }

  /**
   * A zero-cost check that the key works and the configured model exists: GET
   * /v1/models/{model_id} (the Models API). One try, and a short timeout, because it only
   * informs /healthz and must not hold up anything.
   *
   * @throws GenerationError `auth` for a bad key, `bad_request` with status 404 for an unknown model.
   */
  async checkAccess(): Promise<void> {
    // The request `client.models.retrieve` sends, without loading the SDK for it (see `sdk`).
    // Not logged here: the caller decides what a failed check means and logs it once.
    const base = (this.options.baseUrl ?? 'https://api.anthropic.com').replace(/\/+$/, '');
    const url = new URL(`${base}/v1/models/${encodeURIComponent(this.options.model)}`);
    const timeoutMs = Math.min(this.options.timeoutMs, ACCESS_CHECK_TIMEOUT_MS);
    const answer = await getJson(
      url,
      { 'x-api-key': this.options.apiKey, 'anthropic-version': ANTHROPIC_VERSION, accept: 'application/json' },
      timeoutMs,
    ).catch((error: unknown) => {
      if (error instanceof AccessCheckTimeout) {
        throw new GenerationError('timeout', 'Claude request timed out after all retries', { retryable: true, cause: error });
      }
      throw new GenerationError('connection', `Could not reach the Claude API: ${this.redact((error as Error).message)}`, { retryable: true, cause: error });
    });
    if (answer.status >= 200 && answer.status < 300) return;
    const body = answer.body as { error?: { message?: unknown } } | null;
    const apiMessage = typeof body?.error?.message === 'string' ? body.error.message : null;
    // The SDK's APIError message when the body has no error message: "<status> <body as JSON>".
    const detail = this.redact(apiMessage ?? `${answer.status} ${answer.body === null ? answer.text : JSON.stringify(answer.body)}`);
    throw classifyApiStatus(answer.status, detail, answer.requestId, { status: answer.status, body: answer.body });
  }

  private redact(text: string): string {
    return this.options.apiKey ? text.split(this.options.apiKey).join('[redacted]') : text;
  }

  /** Logs the `GenerationError` the SDK's failure became; the SDK has already done its retries. */
  private classify(generationError: GenerationError): GenerationError {
    const log = generationError.kind === 'invalid_output' ? 'warn' : 'error';
    this.options.logger?.[log]('claude generation failed', {
      kind: generationError.kind,
      status: generationError.status,
      requestId: generationError.requestId,
      retryable: generationError.retryable,
      message: generationError.message,
    });
    return generationError;
  }
}

/**
 * What an HTTP error status from the Claude API means for the bot. Shared by the SDK's errors
 * (claude-sdk.ts) and the start-up key check, which does without the SDK.
 */
export function classifyApiStatus(status: number | undefined, detail: string, requestId: string | undefined, cause: unknown): GenerationError {
  const base = { status, requestId, cause };
  if (status === 401 || status === 403) {
    return new GenerationError('auth', `Claude rejected the credentials (${status}): ${detail}`, { ...base, retryable: false });
  }
  if (status === 429) {
    return new GenerationError('rate_limited', `Claude rate limit still hit after retries: ${detail}`, { ...base, retryable: true });
  }
  if (status === 529) {
    return new GenerationError('overloaded', `Claude is overloaded (529) after retries: ${detail}`, { ...base, retryable: true });
  }
  if (status === 408 || status === 504) {
    return new GenerationError('timeout', `Claude request timed out (${status}): ${detail}`, { ...base, retryable: true });
  }
  if (status !== undefined && (status >= 500 || status === 409)) {
    return new GenerationError('server', `Claude API error (${status}) after retries: ${detail}`, { ...base, retryable: true });
  }
  // 400, 402 (billing), 404 (unknown model), 413, 422: sending the same request again cannot help.
  return new GenerationError('bad_request', `Claude refused the request (${status ?? 'no status'}): ${detail}`, {
    ...base,
    retryable: false,
  });
}

/** The API version the SDK sends (its client.mjs), sent by the key check too. */
const ANTHROPIC_VERSION = '2026-10-21';

class AccessCheckTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'AccessCheckTimeout';
  }
}

/** One GET, no retries: status, request id and the body (parsed when it is JSON). */
function getJson(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; requestId: string | undefined; body: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const request = send(url, { method: 'GET', headers }, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? (JSON.parse(text) as unknown) : null;
        } catch {
          body = null;
        }
        const requestId = response.headers['request-id'];
        resolve({ status: response.statusCode ?? 0, requestId: typeof requestId === 'string' ? requestId : undefined, body, text });
      });
    });
    const timer = setTimeout(() => request.destroy(new AccessCheckTimeout(timeoutMs)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end();
  });
}

/** Builds the generator from the validated configuration (the app and `npm run draft` share it). */
export function createClaudeDraftGenerator(
  config: { readonly anthropic: AppConfig['anthropic']; readonly content: AppConfig['content'] & { readonly voice?: string | null | undefined } },
  logger?: GeneratorLogger,
): ClaudeDraftGenerator {
  return new ClaudeDraftGenerator({
    apiKey: config.anthropic.apiKey,
    model: config.anthropic.model,
    baseUrl: config.anthropic.baseUrl,
    maxRetries: config.anthropic.maxRetries,
    timeoutMs: config.anthropic.timeoutMs,
    maxHashtags: config.content.maxHashtags,
    allowedLinkDomains: config.content.allowedLinkDomains,
    voice: config.content.voice ?? null,
    ...(logger ? { logger } : {}),
  });
}
