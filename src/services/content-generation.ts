import type { AppConfig } from '../config/index.js';
import { computeFingerprint, findDuplicate, type DuplicateLookup, type Fingerprint } from '../domain/duplicates.js';
import {
  addUsage,
  GenerationError,
  isRetryableInCycle,
  ZERO_USAGE,
  type GenerationErrorKind,
  type GenerationRequest,
  type TokenUsage,
} from '../domain/generation.js';
import { detectRiskFlags, type RiskFlag } from '../domain/risk-flags.js';
import { sanitiseContent, type SanitiseChange, type TextSource } from '../domain/sanitise.js';
import { validateContent, type ContentRules, type Violation } from '../domain/validation.js';
import type { Logger } from '../logging/index.js';
import type { DraftGenerator } from './ports.js';

/** What one generation asks for; retries add the previous attempt's violations themselves. */
export interface ContentRequest extends Omit<GenerationRequest, 'previousViolations'> {
  /** The draft being regenerated, so its own earlier revision is not a duplicate of itself. */
  readonly excludeDraftId?: number | undefined;
}

export interface ContentPolicy {
  readonly rules: ContentRules;
  readonly duplicateThreshold: number;
  readonly maxAttempts: number;
}

/** The content policy the configuration describes. */
export function contentPolicyFrom(content: AppConfig['content']): ContentPolicy {
  return {
    rules: { maxHashtags: content.maxHashtags, allowedLinkDomains: content.allowedLinkDomains, bannedPatterns: content.bannedPatterns },
    duplicateThreshold: content.duplicateThreshold,
    maxAttempts: content.generationAttempts,
  };
}

/** One attempt's result, kept so the CLI and the logs can show why an attempt was refused. */
export interface AttemptReport {
  readonly tweets: readonly string[];
  readonly violations: readonly Violation[];
  readonly sanitiserChanges: readonly SanitiseChange[];
}

export type ContentResult =
  | {
      readonly ok: true;
      readonly kind: 'tweet' | 'thread';
      readonly tweets: readonly string[];
      readonly sanitiserChanges: readonly SanitiseChange[];
      readonly riskFlags: readonly RiskFlag[];
      readonly fingerprint: Fingerprint;
      readonly usage: TokenUsage;
      readonly model: string;
      readonly attempts: readonly AttemptReport[];
    }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly usage: TokenUsage;
      readonly attempts: readonly AttemptReport[];
    };

/** What the retry prompt says about an unusable answer, instead of the raw error. */
const PROMPT_HINT: Partial<Record<GenerationErrorKind, string>> = {
  refused: 'The previous attempt was a refusal. Write a safe, educational draft on the topic that follows every rule.',
  truncated: 'The previous answer was cut off at the output token limit. Write noticeably shorter tweets and nothing but the JSON.',
  invalid_output: 'The previous answer did not match the required JSON format and kind. Answer with exactly the requested JSON object.',
};

/**
 * A generator error that ended the cycle, with the tokens every attempt of the cycle spent
 * (the failed one included), so the run is recorded with its real cost.
 */
export class GenerationFailure extends Error {
  override readonly name = 'GenerationFailure';
  constructor(
    override readonly cause: unknown,
    readonly usage: TokenUsage,
    readonly attempts: number,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Tokens an error says were spent (a GenerationError carries them when the answer was unusable). */
function usageOf(error: unknown): TokenUsage {
  return error instanceof GenerationError && error.usage ? error.usage : ZERO_USAGE;
}

/**
 * Asks the model, sanitises, validates and dedupes, up to `maxAttempts` times. Each retry names
 * the previous attempt's violations in the prompt. An unusable answer (refusal, cut off at
 * max_tokens, wrong kind, not the schema) uses the next attempt too, and its tokens are
 * counted. Other generator errors (auth, a bad request, transport failures the SDK already
 * retried) end the cycle as a {@link GenerationFailure} carrying the tokens spent so far.
 */
export async function generateValidContent(
  request: ContentRequest,
  deps: { generator: DraftGenerator; duplicates: DuplicateLookup; policy: ContentPolicy; logger: Logger },
): Promise<ContentResult> {
  const { generator, duplicates, policy, logger } = deps;
  const wantsThread = request.contentType === 'thread';
  const attempts: AttemptReport[] = [];
  let usage = ZERO_USAGE;
  let previousViolations: string[] | undefined;

  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    let generated;
    try {
      generated = await generator.generate({
        contentType: request.contentType,
        topicName: request.topicName,
        topicDescription: request.topicDescription,
        recentPosts: request.recentPosts,
        feedback: request.feedback,
        previousDraft: request.previousDraft,
        previousViolations,
        images: request.images,
        learnedVoice: request.learnedVoice,
      });
    } catch (error) {
      // Tokens an unusable answer cost are counted, whether or not another attempt follows.
      usage = addUsage(usage, usageOf(error));
      if (!isRetryableInCycle(error)) throw new GenerationFailure(error, usage, attempts.length + 1);
      const violation: Violation = { rule: 'unusable_answer', tweetIndex: null, message: error.message };
      attempts.push({ tweets: [], violations: [violation], sanitiserChanges: [] });
      logger.info('generated answer unusable', { attempt, kind: error.kind, reason: error.message });
      previousViolations = [PROMPT_HINT[error.kind] ?? error.message];
      continue;
    }
    usage = addUsage(usage, generated.usage);
    const checked = await checkContent(generated.tweets, wantsThread ? 'thread' : 'tweet', 'generated', {
      duplicates,
      policy,
      excludeDraftId: request.excludeDraftId,
    });
    const { violations } = checked;
    attempts.push({ tweets: checked.tweets, violations, sanitiserChanges: checked.sanitiserChanges });
    if (violations.length === 0) {
      return {
        ok: true,
        kind: wantsThread ? 'thread' : 'tweet',
        tweets: checked.tweets,
        sanitiserChanges: checked.sanitiserChanges,
        riskFlags: checked.riskFlags,
        fingerprint: checked.fingerprint,
        usage,
        model: generated.model,
        attempts,
      };
    }
    logger.info('generated content refused', { attempt, violations: violations.map((v) => v.message) });
    previousViolations = violations.map((v) => v.message);
  }
  const last = attempts[attempts.length - 1];
  return {
    ok: false,
    reason: `no valid draft after ${policy.maxAttempts} attempt${policy.maxAttempts === 1 ? '' : 's'}: ${
      last?.violations.map((v) => v.message).join('; ') ?? 'nothing generated'
    }`,
    usage,
    attempts,
  };
}

/** Text after the one sanitiser and the one validator, with what the card needs if it passed. */
export interface CheckedContent {
  readonly tweets: string[];
  readonly violations: Violation[];
  readonly sanitiserChanges: SanitiseChange[];
  readonly riskFlags: RiskFlag[];
  readonly fingerprint: Fingerprint;
}

/**
 * The one gate for every text that can be published: sanitise (every fix for the model's text,
 * only the invisible ones for a person's), validate, then look for duplicates. Generated and
 * edited text both pass here, so a zero-width space cannot hide a banned phrase or a risk flag
 * in one path and not the other. Risk flags are computed on the sanitised text.
 */
export async function checkContent(
  tweets: readonly string[],
  kind: 'tweet' | 'thread',
  source: TextSource,
  deps: { duplicates: DuplicateLookup; policy: ContentPolicy; excludeDraftId?: number | undefined },
): Promise<CheckedContent> {
  const sanitised = sanitiseContent(tweets, { maxHashtags: deps.policy.rules.maxHashtags, source });
  const violations = validateContent(sanitised.tweets, kind, deps.policy.rules);
  if (violations.length === 0) {
    const duplicate = await findDuplicate(sanitised.tweets, deps.duplicates, deps.policy.duplicateThreshold, {
      ...(deps.excludeDraftId !== undefined ? { excludeDraftId: deps.excludeDraftId } : {}),
    });
    if (duplicate) {
      violations.push({
        rule: 'duplicate',
        tweetIndex: null,
        message: duplicate.exact
          ? `It repeats draft #${duplicate.draftId} word for word; say something new`
          : `It is ${Math.round(duplicate.similarity * 100)}% similar to draft #${duplicate.draftId} (the limit is ${Math.round(
              deps.policy.duplicateThreshold * 100,
            )}%); take a different angle`,
      });
    }
  }
  return {
    tweets: sanitised.tweets,
    violations,
    sanitiserChanges: sanitised.changes,
    riskFlags: detectRiskFlags(sanitised.tweets),
    fingerprint: computeFingerprint(sanitised.tweets),
  };
}
