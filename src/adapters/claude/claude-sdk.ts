import { BaseAnthropic, type ClientOptions } from '@anthropic-ai/sdk/client';
import { AnthropicError, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk/core/error';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { Messages } from '@anthropic-ai/sdk/resources/messages/messages';
import { GenerationError } from '../../domain/generation.js';
import { classifyApiStatus, type DraftOutputSchemas } from './claude-draft-generator.js';
import type { AvoidNotesOutputSchema } from './claude-avoid-notes.js';
import type { ImageReviewOutputSchema } from './claude-image-describer.js';

/**
 * The SDK's client with the Messages API only: the bot calls nothing else. The SDK's `Anthropic`
 * class builds every resource (beta, files, skills, models, ...) and its module pulls all of their
 * code in; `BaseAnthropic` is the same client (auth, retries, timeouts, errors) without them, and
 * the SDK is marked free of side effects, so the bundle keeps only what this client uses (issue
 * 16: the first draft's memory).
 */
export class MessagesClient extends BaseAnthropic {
  readonly messages: Messages = new Messages(this);
}

/**
 * Everything that needs the Anthropic SDK, in one module the generator imports on its first
 * generation only (issue 16: idle memory). Nothing else imports the SDK at start-up.
 */
export const claudeSdk = {
  createClient(options: ClientOptions): MessagesClient {
    return new MessagesClient(options);
  },
  /** The structured-output format of each draft schema, as the Messages API takes it. */
  outputFormatsOf(schemas: typeof DraftOutputSchemas) {
    return { tweet: zodOutputFormat(schemas.tweet), thread: zodOutputFormat(schemas.thread) } as const;
  },
  /** The structured-output format of an image description (issue 14). */
  imageReviewFormatOf(schema: typeof ImageReviewOutputSchema) {
    return zodOutputFormat(schema);
  },
  /** The structured-output format of the daily avoid notes (issue 15). */
  avoidNotesFormatOf(schema: typeof AvoidNotesOutputSchema) {
    return zodOutputFormat(schema);
  },
  classifySdkError,
};

export type ClaudeSdk = typeof claudeSdk;

/** The SDK's exceptions, classified. Exported for unit tests of the mapping. */
export function classifySdkError(error: unknown, redact: (text: string) => string = (t) => t): GenerationError {
  if (error instanceof GenerationError) return error;
  // Order matters: the timeout and abort errors are subclasses of APIError with no status.
  if (error instanceof APIConnectionTimeoutError) {
    return new GenerationError('timeout', 'Claude request timed out after all retries', { retryable: true, cause: error });
  }
  if (error instanceof APIUserAbortError || error instanceof APIConnectionError) {
    return new GenerationError('connection', `Could not reach the Claude API: ${redact(error.message)}`, {
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    return classifyApiStatus(status, redact(error.apiMessage ?? error.message), error.requestID ?? undefined, error);
  }
  if (error instanceof AnthropicError) {
    // What `messages.parse` throws when the text is not JSON or does not match the schema.
    return new GenerationError('invalid_output', `Claude's answer did not match the draft schema: ${redact(error.message)}`, {
      retryable: true,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GenerationError('connection', `Unexpected error while calling Claude: ${redact(message)}`, {
    retryable: true,
    cause: error,
  });
}
