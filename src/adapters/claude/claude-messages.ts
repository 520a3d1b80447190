import type { Message, MessageCreateParamsNonStreaming, Usage } from '@anthropic-ai/sdk/resources/messages';
import type { z } from 'zod';
import { GenerationError, type TokenUsage } from '../../domain/generation.js';
import type { ClaudeDraftGeneratorOptions, GeneratorLogger } from './claude-draft-generator.js';
import type { ClaudeSdk, MessagesClient } from './claude-sdk.js';

/**
 * What the draft generator, the image describer and the avoid-notes condenser share about one structured-output Messages
 * call: the SDK loaded on first use, and the reading of the answer (a refusal, a cut-off, text that
 * is not JSON are unusable answers whose tokens were paid for). Only types of the SDK are imported
 * here, so the SDK still loads on the first call only (issue 16: idle memory).
 */

/** The SDK, its client and whatever a caller derives from the SDK once (its output formats). */
export type LoadedSdk<T> = { readonly sdk: ClaudeSdk; readonly client: MessagesClient } & T;

/**
 * A loader of the SDK: the first call imports it and builds the client from `options`; a failed
 * load is tried again by the next call.
 */
export function lazyClaudeSdk<T>(
  options: Pick<ClaudeDraftGeneratorOptions, 'apiKey' | 'baseUrl' | 'maxRetries' | 'timeoutMs' | 'logger'>,
  derive: (sdk: ClaudeSdk) => T,
): () => Promise<LoadedSdk<T>> {
  let loaded: Promise<LoadedSdk<T>> | undefined;
  return () => {
    loaded ??= import('./claude-sdk.js').then(({ claudeSdk: sdk }) => ({
      sdk,
      client: sdk.createClient({
        apiKey: options.apiKey,
        // Passed explicitly so the SDK never falls back to ANTHROPIC_BASE_URL: config is the only env reader.
        baseURL: options.baseUrl ?? 'https://api.anthropic.com',
        maxRetries: options.maxRetries,
        timeout: options.timeoutMs,
        ...(options.logger ? { logger: toSdkLogger(options.logger) } : {}),
      }),
      ...derive(sdk),
    }));
    // A failed load is tried again by the next call.
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
}

/**
 * One structured-output Messages call of the image describer or the avoid-notes condenser. A
 * failure is classified as a GenerationError (the API key redacted from its text), logged as
 * `failedLog`, and thrown. `create`, not `parse`: a refused or cut-off answer's usage was paid
 * for and is recorded by the caller (readStructuredAnswer).
 */
export async function createStructuredMessage(
  loaded: Pick<LoadedSdk<unknown>, 'sdk' | 'client'>,
  params: MessageCreateParamsNonStreaming,
  context: { readonly apiKey: string; readonly logger?: GeneratorLogger | undefined; readonly failedLog: string },
): Promise<Message> {
  try {
    return await loaded.client.messages.create(params);
  } catch (error) {
    const classified = loaded.sdk.classifySdkError(error, (text) => (context.apiKey ? text.split(context.apiKey).join('[redacted]') : text));
    context.logger?.[classified.kind === 'invalid_output' ? 'warn' : 'error'](context.failedLog, {
      kind: classified.kind,
      status: classified.status,
      requestId: classified.requestId,
      retryable: classified.retryable,
      message: classified.message,
    });
    throw classified;
  }
}

/** How one kind of call names itself in its errors and logs. */
export interface AnswerWording {
  /** "Claude refused to write this draft". */
  readonly refused: string;
  /** "Claude's answer", "Claude's image description". */
  readonly answer: string;
  /** "the draft schema", "its schema". */
  readonly schema: string;
  readonly finishedLog: string;
  readonly unusableLog: string;
}

/** A structured answer that came back whole: its JSON (not validated yet), its tokens and a maker of unusable-answer errors. */
export interface StructuredAnswer {
  readonly json: unknown;
  readonly usage: TokenUsage;
  readonly messageId: string;
  /** A GenerationError carrying the tokens of this answer, logged as unusable. */
  unusable(kind: 'refused' | 'truncated' | 'invalid_output', text: string): GenerationError;
}

/**
 * Reads a Messages answer: logs it, refuses a refusal or a cut-off, and parses its text as JSON.
 * `logMeta` goes between the model and the stop reason of the "finished" log line.
 *
 * @throws GenerationError refused, truncated or invalid_output (not JSON), with the answer's usage.
 */
export function readStructuredAnswer(
  message: Message,
  options: {
    readonly maxTokens: number;
    readonly logger?: GeneratorLogger | undefined;
    readonly wording: AnswerWording;
    readonly logMeta: Record<string, unknown>;
  },
): StructuredAnswer {
  const { logger, wording } = options;
  const usage = toTokenUsage(message.usage);
  // The SDK keeps the request id on the response for failures only, so a successful call is
  // traced by its message id.
  const messageId = message.id;
  logger?.debug(wording.finishedLog, { model: message.model, ...options.logMeta, stopReason: message.stop_reason, messageId, ...usage });
  const unusable = (kind: 'refused' | 'truncated' | 'invalid_output', text: string) => {
    const error = new GenerationError(kind, text, { retryable: true, usage });
    logger?.warn(wording.unusableLog, { kind, messageId, stopReason: message.stop_reason, message: text, ...usage });
    return error;
  };

  if (message.stop_reason === 'refusal') {
    throw unusable('refused', `${wording.refused} (stop_reason refusal, message ${messageId})`);
  }
  if (message.stop_reason === 'max_tokens') {
    throw unusable(
      'truncated',
      `${wording.answer} was cut off at the token limit (stop_reason max_tokens after ${usage.outputTokens} of ${options.maxTokens} output tokens, message ${messageId})`,
    );
  }
  const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw unusable('invalid_output', `${wording.answer} did not match ${wording.schema}: not JSON (${(error as Error).message}, message ${messageId})`);
  }
  return { json, usage, messageId, unusable };
}

/** The first five issues of a failed schema check, for the error message. */
export function schemaIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}

/** The SDK's usage block in our terms (absent cache figures are 0). */
export function toTokenUsage(usage: Usage): TokenUsage {
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheReadTokens: usage.cache_read_input_tokens ?? 0,
    cacheCreationTokens: usage.cache_creation_input_tokens ?? 0,
  };
}

/** The SDK logs with `(message, ...args)`; ours takes `(message, meta)`. */
export function toSdkLogger(logger: GeneratorLogger) {
  const wrap =
    (level: keyof GeneratorLogger) =>
    (message: string, ...args: unknown[]) =>
      logger[level](`anthropic-sdk: ${message}`, args.length > 0 ? { args } : undefined);
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
