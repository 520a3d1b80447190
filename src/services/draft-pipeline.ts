import type { ContentType } from '../domain/content-types.js';
import type { Actor, Draft } from '../domain/draft.js';
import type { DuplicateLookup } from '../domain/duplicates.js';
import { editDraftMedia, revisionRiskFlags, type DraftMedia, type ImageEdits } from '../domain/media.js';
import { findBidiControls, sanitiseFreeText } from '../domain/sanitise.js';
import { ZERO_USAGE, type TokenUsage } from '../domain/generation.js';
import type { DraftSignal } from '../domain/learning.js';
import { armShares, lastUsedTopicId, selectArm, topicApprovals, type ArmShare, type TopicApprovals } from '../domain/topic-selection.js';
import type { Violation } from '../domain/validation.js';
import type { Logger } from '../logging/index.js';
import { checkContent, GenerationFailure, generateValidContent, type ContentPolicy, type ContentResult } from './content-generation.js';
import type { LearnedVoiceSource } from './learning-contract.js';
import type { PreparedImage } from './media-contract.js';
import type {
  Clock,
  DraftContent,
  DraftGenerator,
  DraftRepository,
  GenerationRunRepository,
  LearningSignalRepository,
  MediaFileStore,
  PostRepository,
  SettingsRepository,
  Topic,
  TopicRepository,
} from './ports.js';
import { SETTINGS } from './settings-keys.js';

/** How many recent texts the prompt shows the model so it does not repeat itself. */
const RECENT_POSTS_FOR_PROMPT = 10;

/**
 * How many of the latest decisions topic selection learns from: about a year of a busy account,
 * and it keeps the draw's cost bounded (and lets an old taste fade out).
 */
export const TOPIC_LEARNING_WINDOW = 1_000;

export interface DraftPipelineOptions extends ContentPolicy {
  readonly moderationTimeoutMs: number;
  readonly maxPendingDrafts: number;
  /** LEARNING and TOPIC_REPEAT_FACTOR, for the topic draw (the account's). */
  readonly learning: { readonly enabled: boolean; readonly repeatFactor: number };
}

/** What `/topics list` shows for one account: each topic, its arms' chances and its approval rate since the reset. */
export interface TopicsView {
  readonly topics: Topic[];
  /** Each (topic, content type) the draw can choose, with its learned share and its chance next. */
  readonly arms: ArmShare[];
  /** Moderator decisions per topic id since the last /topics reset-learning. */
  readonly approvals: Map<number, TopicApprovals>;
  readonly lastUsedTopicId: number | null;
  readonly learningEnabled: boolean;
  readonly repeatFactor: number;
  /** The last /topics reset-learning, or null. */
  readonly resetAt: number | null;
}

export interface DraftPipelineDependencies {
  readonly drafts: DraftRepository;
  readonly topics: TopicRepository;
  readonly posts: PostRepository;
  readonly generationRuns: GenerationRunRepository;
  /** The account's decisions, which topic selection learns from. */
  readonly learning: Pick<LearningSignalRepository, 'decisions'>;
  /** The account's settings: the /topics reset-learning mark. */
  readonly settings: SettingsRepository;
  readonly duplicates: DuplicateLookup;
  readonly generator: DraftGenerator;
  /** Where the draft's image files are: Regenerate shows Claude the images the new text goes with. */
  readonly mediaFiles: MediaFileStore;
  readonly clock: Clock;
  readonly rng: () => number;
  readonly logger: Logger;
  readonly options: DraftPipelineOptions;
  /**
   * The account's learned block (issue 15: examples, edits, avoid notes), sent as the second
   * cached system block of every new draft and regeneration; absent: none.
   */
  readonly learnedVoice?: LearnedVoiceSource | undefined;
}

export interface GenerateDraftOptions {
  readonly trigger: 'schedule' | 'command' | 'cli' | 'keep_ahead';
  readonly topicName?: string | undefined;
  /** The moderator's choice (`/draft type:`); absent: the topic's content type. */
  readonly contentType?: ContentType | undefined;
  /** Images the post is about (`/draft image:`), prepared by MediaService.prepareImages. */
  readonly images?: readonly PreparedImage[] | undefined;
}

export type GenerateDraftOutcome =
  | { readonly status: 'created'; readonly draft: Draft }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'failed'; readonly reason: string };

export type ReviseOutcome =
  | { readonly status: 'revised'; readonly draft: Draft }
  | { readonly status: 'invalid'; readonly violations: readonly Violation[] }
  | { readonly status: 'stale'; readonly draft: Draft | null }
  | { readonly status: 'failed'; readonly reason: string };

/** A topic name nobody configured; the message lists the ones that exist. */
export class UnknownTopicError extends Error {
  constructor(
    readonly topicName: string,
    readonly known: readonly string[],
  ) {
    super(`Unknown topic "${topicName}". Known topics: ${known.join(', ')}`);
    this.name = 'UnknownTopicError';
  }
}

/**
 * The content pipeline: select a topic, build the prompt, generate, sanitise, validate, dedupe,
 * then save a pending draft with everything moderators need. Every cycle is recorded in
 * generation_runs with its outcome and tokens, including the ones that produced nothing.
 */
export class DraftPipelineService {
  constructor(private readonly deps: DraftPipelineDependencies) {}

  /**
   * Generates one pending draft, for `topicName` or a weighted-random topic. `contentType`
   * overrides the topic's (a moderator's choice); `images` (`/draft image:`, already checked,
   * stored and described) go to Claude as image blocks, so the post is about them, and become
   * the draft's media.
   */
  async generateDraft(options: GenerateDraftOptions): Promise<GenerateDraftOutcome> {
    const { drafts, topics, clock, logger } = this.deps;
    const startedAt = clock.now();
    const pending = (await drafts.countByStatus()).pending;
    if (pending >= this.deps.options.maxPendingDrafts) {
      const reason = `pending cap full: ${pending} of ${this.deps.options.maxPendingDrafts} drafts await moderation`;
      await this.recordRun({ trigger: options.trigger, outcome: 'skipped', reason, startedAt });
      return { status: 'skipped', reason };
    }

    const drawn = options.topicName !== undefined ? { topic: await this.requireTopic(options.topicName), contentType: undefined } : await this.pickTopic();
    if (!drawn) {
      const reason = 'no enabled topic with a weight above 0';
      await this.recordRun({ trigger: options.trigger, outcome: 'skipped', reason, startedAt });
      return { status: 'skipped', reason };
    }
    const { topic } = drawn;
    const log = logger.child({ topic: topic.name, trigger: options.trigger });
    // A moderator's /draft type: wins, then the drawn pair's type, then the topic's own.
    const contentType = options.contentType ?? drawn.contentType ?? topic.contentType;
    const images = options.images ?? [];

    let result;
    try {
      result = await generateValidContent(
        {
          contentType,
          topicName: topic.name,
          topicDescription: topic.description,
          recentPosts: await this.recentPosts(),
          learnedVoice: await this.learnedVoiceText(log),
          ...(images.length > 0 ? { images: images.map((image) => ({ mimeType: image.media.mimeType, data: image.data })) } : {}),
        },
        { generator: this.deps.generator, duplicates: this.deps.duplicates, policy: this.deps.options, logger: log },
      );
    } catch (error) {
      const reason = `generation failed: ${(error as Error).message}`;
      log.error('generation failed', { error });
      await this.recordRun({
        trigger: options.trigger,
        outcome: 'failed',
        reason,
        startedAt,
        topicName: topic.name,
        usage: usageOf(error),
        attempts: attemptsOf(error),
      });
      return { status: 'failed', reason };
    }
    if (!result.ok) {
      log.warn('no valid draft this cycle', { reason: result.reason });
      await this.recordRun({
        trigger: options.trigger,
        outcome: 'failed',
        reason: result.reason,
        startedAt,
        topicName: topic.name,
        attempts: result.attempts.length,
        usage: result.usage,
      });
      return { status: 'failed', reason: result.reason };
    }

    const now = clock.now();
    // Checked again when saving: the check above ran before the (slow) Claude call, and another
    // generation may have filled the cap meanwhile. The paid-for text is dropped, its cost recorded.
    const saved = await drafts.createWithinPendingCap(
      {
        topicId: topic.id,
        topicName: topic.name,
        contentType,
        // The images' findings (Claude's review) are risk flags of the revision that carries them.
        ...this.storedContent(
          result,
          now,
          images.map((image) => image.media),
        ),
        ...(images.length > 0 ? { media: images.map((image) => image.media) } : {}),
        // The deadline starts when the card is posted (ModerationService): nobody sees the draft before.
        deadlineAt: null,
        model: result.model,
        usage: result.usage,
        generationAttempts: result.attempts.length,
      },
      now,
      this.deps.options.maxPendingDrafts,
    );
    if (saved.status === 'over_cap') {
      const reason = `pending cap full when saving: ${saved.pending} of ${saved.maxPending} drafts await moderation; the generated text was discarded`;
      log.warn('generated draft discarded: the pending cap filled during generation', { pending: saved.pending, maxPending: saved.maxPending });
      await this.recordRun({
        trigger: options.trigger,
        outcome: 'skipped',
        reason,
        startedAt,
        topicName: topic.name,
        attempts: result.attempts.length,
        usage: result.usage,
      });
      return { status: 'skipped', reason };
    }
    const { draft } = saved;
    // A use is a draft made: usage_count weighs the topic's engagement as if each use were a
    // post, so a failed or skipped cycle must not count.
    await topics.markUsed(topic.id, startedAt);
    await this.recordRun({
      trigger: options.trigger,
      outcome: 'created',
      reason: null,
      startedAt,
      topicName: topic.name,
      draftId: draft.id,
      attempts: result.attempts.length,
      usage: result.usage,
    });
    log.info('draft created', { draftId: draft.id, kind: draft.kind, attempts: result.attempts.length });
    return { status: 'created', draft };
  }

  /**
   * Writes a new revision of a pending draft, steered by the moderator's (untrusted) feedback.
   * The deadline starts over; the old revision's buttons become stale.
   */
  async regenerate(draftId: number, expectedRevision: number, rawFeedback: string | null, actor: Actor): Promise<ReviseOutcome> {
    const { drafts, clock } = this.deps;
    const draft = await drafts.findById(draftId);
    if (!draft || draft.status !== 'pending' || draft.revision !== expectedRevision) return { status: 'stale', draft };
    // The feedback is echoed on the card and sent to the model: the same invisible-character
    // rules as a tweet. Invisible-only feedback is no feedback.
    const feedback = sanitiseFreeText(rawFeedback);
    const bidi = feedback === null ? [] : findBidiControls(feedback);
    if (bidi.length > 0) {
      return {
        status: 'failed',
        reason: `the feedback contains ${bidi.join(', ')}; bidi override and isolate characters are not allowed because they make the text display in a different order than it reads. Remove them and try again`,
      };
    }
    const startedAt = clock.now();
    const topic = draft.topicId !== null ? await this.deps.topics.findById(draft.topicId) : null;
    const log = this.deps.logger.child({ draftId, revision: expectedRevision });
    let result;
    try {
      // The images stay with the new text, so Claude writes it looking at them, as `/draft image:` did.
      const images = await Promise.all(
        (draft.media ?? []).map(async (image) => ({ mimeType: image.mimeType, data: await this.deps.mediaFiles.read(image.sha256) })),
      );
      result = await generateValidContent(
        {
          contentType: draft.contentType,
          topicName: draft.topicName,
          topicDescription: topic?.description,
          recentPosts: await this.recentPosts(),
          feedback: feedback ?? undefined,
          previousDraft: draft.tweets,
          excludeDraftId: draft.id,
          learnedVoice: await this.learnedVoiceText(log),
          ...(images.length > 0 ? { images } : {}),
        },
        { generator: this.deps.generator, duplicates: this.deps.duplicates, policy: this.deps.options, logger: log },
      );
    } catch (error) {
      const reason = `generation failed: ${(error as Error).message}`;
      await this.recordRun({
        trigger: 'regenerate',
        outcome: 'failed',
        reason,
        startedAt,
        topicName: draft.topicName,
        draftId,
        usage: usageOf(error),
        attempts: attemptsOf(error),
      });
      return { status: 'failed', reason };
    }
    if (!result.ok) {
      await this.recordRun({
        trigger: 'regenerate',
        outcome: 'failed',
        reason: result.reason,
        startedAt,
        topicName: draft.topicName,
        draftId,
        attempts: result.attempts.length,
        usage: result.usage,
      });
      return { status: 'failed', reason: result.reason };
    }
    const now = clock.now();
    const revised = await drafts.replaceContent(
      draftId,
      expectedRevision,
      {
        // The images stay (no `media`): the new words keep their images, and those their flags.
        ...this.storedContent(result, now, draft.media ?? []),
        additionalUsage: result.usage,
        model: result.model,
        feedback,
      },
      now,
    );
    await this.recordRun({
      trigger: 'regenerate',
      outcome: revised ? 'created' : 'skipped',
      reason: revised ? null : 'the draft was decided while regenerating',
      startedAt,
      topicName: draft.topicName,
      draftId,
      attempts: result.attempts.length,
      usage: result.usage,
    });
    if (!revised) return { status: 'stale', draft: await drafts.findById(draftId) };
    log.info('draft regenerated', { revision: revised.revision, byUserId: actor.id });
    return { status: 'revised', draft: revised };
  }

  /**
   * Replaces a pending draft's text with a moderator's edit, after the same checks as generated
   * text. `images` (the Edit modal's alt texts and removals) change the images in the SAME new
   * revision, so the card the moderators approve always shows words and images together; a bad
   * alt text is refused like a bad tweet. Without `images` the images stay as they are.
   */
  async applyEdit(draftId: number, expectedRevision: number, tweets: readonly string[], actor: Actor, images?: ImageEdits): Promise<ReviseOutcome> {
    const { drafts, clock } = this.deps;
    const draft = await drafts.findById(draftId);
    if (!draft || draft.status !== 'pending' || draft.revision !== expectedRevision) return { status: 'stale', draft };
    // The same sanitiser and validator as generated text, with only the invisible fixes.
    const checked = await checkContent(tweets, draft.kind, 'human', {
      duplicates: this.deps.duplicates,
      policy: this.deps.options,
      excludeDraftId: draftId,
    });
    const edited = images ? editDraftMedia(draft.media ?? [], images) : null;
    const imageViolations = edited && 'violations' in edited ? edited.violations : [];
    if (checked.violations.length > 0 || imageViolations.length > 0) return { status: 'invalid', violations: [...checked.violations, ...imageViolations] };
    const media = edited && 'media' in edited ? edited.media : undefined;
    const { fingerprint } = checked;
    const now = clock.now();
    const revised = await drafts.replaceContent(
      draftId,
      expectedRevision,
      {
        kind: draft.kind,
        tweets: checked.tweets,
        contentHash: fingerprint.contentHash,
        bandKeys: fingerprint.bandKeys,
        riskFlags: revisionRiskFlags(checked.riskFlags, media ?? draft.media ?? []),
        sanitiserChanges: checked.sanitiserChanges.map((c) => c.description),
        deadlineAt: now + this.deps.options.moderationTimeoutMs,
        editedBy: actor,
        media,
      },
      now,
    );
    if (!revised) return { status: 'stale', draft: await drafts.findById(draftId) };
    return { status: 'revised', draft: revised };
  }

  /** The topics with what the draw would do next and each one's approval rate, for `/topics list`. */
  async topicsWithContext(): Promise<TopicsView> {
    // The approval rates are shown with learning off too, so the decisions are read either way.
    const { topics, signals, resetAt } = await this.selectionInputs(true);
    const { enabled, repeatFactor } = this.deps.options.learning;
    const lastUsed = lastUsedTopicId(topics);
    return {
      topics,
      arms: armShares(topics, signals, { learning: enabled, repeatFactor, lastUsedTopicId: lastUsed }),
      approvals: topicApprovals(topics, signals),
      lastUsedTopicId: lastUsed,
      learningEnabled: enabled,
      repeatFactor,
      resetAt,
    };
  }

  /** A generated revision as stored: fingerprinted, with its fixes, its images' flags and a fresh deadline. */
  private storedContent(result: Extract<ContentResult, { ok: true }>, now: number, media: readonly DraftMedia[] = []): DraftContent {
    return {
      kind: result.kind,
      tweets: result.tweets,
      contentHash: result.fingerprint.contentHash,
      bandKeys: result.fingerprint.bandKeys,
      riskFlags: revisionRiskFlags(result.riskFlags, media),
      sanitiserChanges: result.sanitiserChanges.map((c) => c.description),
      deadlineAt: now + this.deps.options.moderationTimeoutMs,
    };
  }

  /** Draws the next (topic, content type) by Thompson sampling over the account's decisions since its last reset. */
  private async pickTopic(): Promise<{ topic: Topic; contentType: ContentType } | null> {
    const { enabled, repeatFactor } = this.deps.options.learning;
    // With learning off nothing is read: the draw uses the weights alone.
    const { topics, signals } = await this.selectionInputs(enabled);
    const chosen = selectArm(topics, signals, { learning: enabled, repeatFactor, lastUsedTopicId: lastUsedTopicId(topics), rng: this.deps.rng });
    const topic = chosen ? topics.find((t) => t.id === chosen.topicId) : undefined;
    return chosen && topic ? { topic, contentType: chosen.contentType } : null;
  }

  /** The topics and, when `withSignals`, the account's decisions since its last /topics reset-learning. */
  private async selectionInputs(withSignals: boolean): Promise<{ topics: Topic[]; signals: DraftSignal[]; resetAt: number | null }> {
    const topics = await this.deps.topics.list();
    const resetAt = (await this.deps.settings.get(SETTINGS.learningReset))?.at ?? null;
    const signals = withSignals ? await this.deps.learning.decisions({ since: resetAt, limit: TOPIC_LEARNING_WINDOW }) : [];
    return { topics, signals, resetAt };
  }

  private async requireTopic(name: string): Promise<Topic> {
    const topic = await this.deps.topics.findByName(name);
    if (!topic)
      throw new UnknownTopicError(
        name,
        (await this.deps.topics.list()).map((t) => t.name),
      );
    return topic;
  }

  /**
   * The learned block's text for this draft. A failure to read or rebuild it costs the draft its
   * examples, not the draft: it is logged and the prompt goes without the second block.
   */
  private async learnedVoiceText(log: Logger): Promise<string> {
    if (!this.deps.learnedVoice) return '';
    try {
      return (await this.deps.learnedVoice.current(this.deps.clock.now())).text;
    } catch (error) {
      log.error('learned voice unavailable; drafting without it', { error });
      return '';
    }
  }

  private async recentPosts(): Promise<string[]> {
    const texts = await this.deps.drafts.recentTexts(['published', 'publishing', 'approved', 'pending'], RECENT_POSTS_FOR_PROMPT);
    return texts.map((tweets) => tweets.join('\n'));
  }

  private async recordRun(run: {
    trigger: 'schedule' | 'command' | 'regenerate' | 'cli' | 'keep_ahead';
    outcome: 'created' | 'skipped' | 'failed';
    reason: string | null;
    startedAt: number;
    topicName?: string;
    draftId?: number;
    attempts?: number | undefined;
    usage?: TokenUsage;
  }): Promise<void> {
    await this.deps.generationRuns.record({
      trigger: run.trigger,
      outcome: run.outcome,
      reason: run.reason,
      draftId: run.draftId ?? null,
      topicName: run.topicName ?? null,
      attempts: run.attempts ?? 0,
      usage: run.usage ?? ZERO_USAGE,
      startedAt: run.startedAt,
      finishedAt: this.deps.clock.now(),
    });
  }
}

/** Tokens a failed cycle spent, all attempts included (see GenerationFailure). */
function usageOf(error: unknown): TokenUsage {
  const usage = (error as { usage?: TokenUsage } | null)?.usage;
  return usage ?? ZERO_USAGE;
}

/** Attempts a failed cycle made, when the error says. */
function attemptsOf(error: unknown): number | undefined {
  return error instanceof GenerationFailure ? error.attempts : undefined;
}
