import { assignAvoidNoteIds, avoidNoteKey, cleanAvoidNotes, rememberForgotten } from '../domain/avoid-notes.js';
import { GenerationError, ZERO_USAGE, type TokenUsage } from '../domain/generation.js';
import type { AvoidNote, FeedbackSignal } from '../domain/learning.js';
import { localDayOf } from '../domain/local-day.js';
import type { Logger } from '../logging/index.js';
import type { LearnedVoiceSource, VoiceChangeOutcome, VoiceOperations, VoiceRequest, VoiceView } from './learning-contract.js';
import type { AvoidNoteCondenser, Clock, GenerationRunRepository, LearningSignalRepository, ModerationEventRepository, SettingsRepository } from './ports.js';
import { SETTINGS } from './settings-keys.js';

/** The stored avoid notes of one account (SETTINGS.avoidNotes). */
interface AvoidNotesState {
  readonly notes: readonly AvoidNote[];
  readonly forgotten: readonly string[];
  readonly lastFeedbackId: number;
  readonly condensedAt: number | null;
  readonly nextNoteId: number;
}

const EMPTY_STATE: AvoidNotesState = { notes: [], forgotten: [], lastFeedbackId: 0, condensedAt: null, nextNoteId: 1 };

/** At most this many pieces of feedback go to one condensing: the newest, so a backlog cannot make the call expensive. */
export const MAX_FEEDBACK_PER_CONDENSING = 40;
/** Feedback is read in pages of this size while looking for the newest. */
const FEEDBACK_PAGE = 200;

/** The audit actions of /voice. */
export const VOICE_ACTIONS = { forget: 'voice_forget', pin: 'voice_pin', unpin: 'voice_unpin' } as const;

export interface VoiceServiceDeps {
  readonly learning: LearningSignalRepository;
  readonly settings: SettingsRepository;
  readonly moderationEvents: ModerationEventRepository;
  readonly generationRuns: GenerationRunRepository;
  readonly condenser: AvoidNoteCondenser;
  readonly learnedVoice: LearnedVoiceSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: {
    /** LEARNING: off, nothing is condensed (signals are still recorded). */
    readonly learningEnabled: boolean;
    /** The account's TIMEZONE: "once a day" is its local day. */
    readonly timeZone: string;
    /** The voice paragraph in force (the account's, or the built-in one) and which it is. */
    readonly voice: string;
    readonly voiceIsBuiltIn: boolean;
  };
}

/** What one daily condensing did, for the job's record. */
export type CondenseOutcome =
  | { readonly status: 'condensed'; readonly notes: readonly AvoidNote[]; readonly feedback: number; readonly usage: TokenUsage }
  | { readonly status: 'skipped'; readonly reason: string; readonly code: 'learning_off' | 'done_today' | 'no_new_feedback' }
  | { readonly status: 'failed'; readonly reason: string };

/** The daily job's run, in the shape the scheduler records (JobRunResult) without this layer naming it. */
export interface VoiceNotesRun {
  readonly outcome: 'ok' | 'skipped' | 'failed';
  readonly reason: string | null;
  readonly detail?: Readonly<Record<string, string | number>>;
}

/**
 * One account's voice (issue 15 §3): the daily avoid notes condensed from moderator feedback,
 * and /voice's view and changes (forget a note, pin a draft in or out of the examples). Every
 * change is audited and makes the learned block rebuild at the next draft.
 */
export class VoiceService implements VoiceOperations {
  private readonly log: Logger;
  /** The notes are one stored value: its read-change-writes (a condensing's, a forget's) take turns. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: VoiceServiceDeps) {
    this.log = deps.logger.child({ component: 'voice' });
  }

  /**
   * The daily job: once per local day, and only when moderators wrote feedback with text since
   * the last condensing, one condenser call turns the current notes and that feedback into the
   * new notes. A failure leaves the notes and the read position as they were, so the next day's
   * run tries again with the same feedback (and whatever came since).
   */
  async condenseIfDue(now: number): Promise<CondenseOutcome> {
    const { config } = this.deps;
    if (!config.learningEnabled) return { status: 'skipped', code: 'learning_off', reason: 'learning is off (LEARNING=off)' };
    const state = await this.state();
    if (state.condensedAt !== null && localDayOf(state.condensedAt, config.timeZone) === localDayOf(now, config.timeZone)) {
      return { status: 'skipped', code: 'done_today', reason: 'the avoid notes were already condensed today' };
    }
    const { feedback, lastId } = await this.newFeedback(state.lastFeedbackId);
    if (feedback.length === 0) return { status: 'skipped', code: 'no_new_feedback', reason: 'no new reject reasons or Regenerate feedback' };

    const startedAt = this.deps.clock.now();
    let result;
    try {
      result = await this.deps.condenser.condense({ current: state.notes.map((note) => note.text), feedback, forgotten: state.forgotten });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.log.warn('avoid notes not condensed: the notes stay as they were, and the next daily run tries again', { error, feedback: feedback.length });
      await this.recordRun('failed', reason, error instanceof GenerationError && error.usage ? error.usage : ZERO_USAGE, startedAt);
      return { status: 'failed', reason };
    }
    const condensed = result;
    const notes = await this.inTurn(async () => {
      // Read again: a /voice forget during the call must not be undone by its answer.
      const fresh = await this.state();
      const texts = cleanAvoidNotes(condensed.notes, fresh.forgotten);
      const assigned = assignAvoidNoteIds(fresh.notes, texts, fresh.nextNoteId, now);
      await this.save(
        { ...fresh, notes: assigned.notes, nextNoteId: assigned.nextNoteId, lastFeedbackId: Math.max(fresh.lastFeedbackId, lastId), condensedAt: now },
        now,
      );
      return assigned.notes;
    });
    await this.recordRun('created', null, result.usage, startedAt);
    await this.deps.learnedVoice.invalidate(now);
    this.log.info('avoid notes condensed', { notes: notes.length, feedback: feedback.length, model: result.model, ...result.usage });
    return { status: 'condensed', notes, feedback: feedback.length, usage: result.usage };
  }

  /** The daily job (VOICE_NOTES_SCHEDULE, the account's local time): condenseIfDue now, as the job records it. */
  async scheduledRun(): Promise<VoiceNotesRun> {
    const outcome = await this.condenseIfDue(this.deps.clock.now());
    switch (outcome.status) {
      case 'condensed':
        return { outcome: 'ok', reason: null, detail: { notes: outcome.notes.length, feedback: outcome.feedback } };
      case 'skipped':
        return { outcome: 'skipped', reason: outcome.reason, detail: { code: outcome.code } };
      case 'failed':
        return { outcome: 'failed', reason: outcome.reason };
    }
  }

  async show(): Promise<VoiceView> {
    const now = this.deps.clock.now();
    const [learned, pinned, state] = await Promise.all([this.deps.learnedVoice.current(now), this.deps.learning.pinned(), this.state()]);
    return {
      voice: this.deps.config.voice,
      voiceIsBuiltIn: this.deps.config.voiceIsBuiltIn,
      learningEnabled: this.deps.config.learningEnabled,
      learned,
      notes: state.notes,
      pinned,
      notesCondensedAt: state.condensedAt,
    };
  }

  async notes(): Promise<readonly AvoidNote[]> {
    return (await this.state()).notes;
  }

  async forgetNote(noteId: string, request: VoiceRequest): Promise<VoiceChangeOutcome> {
    const now = this.deps.clock.now();
    const outcome = await this.inTurn(() => this.forgetNow(noteId, now));
    if (outcome.status === 'applied') await this.deps.learnedVoice.invalidate(now);
    await this.audit(request, VOICE_ACTIONS.forget, null, outcome, now);
    return outcome;
  }

  private async forgetNow(noteId: string, now: number): Promise<VoiceChangeOutcome> {
    const state = await this.state();
    const wanted = noteId.trim();
    // The autocomplete sends the id; a moderator may also type the note's text.
    const note = state.notes.find((n) => n.id.toLowerCase() === wanted.toLowerCase()) ?? state.notes.find((n) => avoidNoteKey(n.text) === avoidNoteKey(wanted));
    let outcome: VoiceChangeOutcome;
    if (!note) {
      const issued = /^n(\d+)$/i.exec(wanted);
      outcome =
        issued && Number(issued[1]) < state.nextNoteId
          ? { status: 'unchanged', detail: `${wanted}: not among the avoid notes any more (already forgotten, or replaced by a later condensing)` }
          : { status: 'refused', detail: `${wanted.slice(0, 100)}: no such avoid note; pick one from the list` };
    } else {
      await this.save({ ...state, notes: state.notes.filter((n) => n.id !== note.id), forgotten: rememberForgotten(state.forgotten, note.text) }, now);
      outcome = { status: 'applied', detail: `${note.id}: ${note.text}` };
    }
    return outcome;
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work);
    this.writes = run.catch(() => undefined);
    return run;
  }

  async pin(draftId: number, request: VoiceRequest): Promise<VoiceChangeOutcome> {
    const now = this.deps.clock.now();
    const signal = await this.deps.learning.findByDraft(draftId);
    let outcome: VoiceChangeOutcome;
    if (!signal) {
      outcome = { status: 'refused', detail: `draft #${draftId}: not a decided draft of this account` };
    } else if (signal.publishedAt === null) {
      outcome = { status: 'refused', detail: `draft #${draftId}: not published; only a published draft can be an example` };
    } else if (signal.hadRiskFlags) {
      outcome = { status: 'refused', detail: `draft #${draftId}: it had risk flags; a flagged draft is never an example` };
    } else if (signal.pin === 'in') {
      outcome = { status: 'unchanged', detail: `draft #${draftId}: already pinned in the examples` };
    } else if (!(await this.deps.learning.setPin(draftId, 'in', now))) {
      outcome = { status: 'refused', detail: `draft #${draftId}: not a decided draft of this account` };
    } else {
      await this.deps.learnedVoice.invalidate(now);
      outcome = { status: 'applied', detail: await this.pinnedDetail(draftId, now) };
    }
    await this.audit(request, VOICE_ACTIONS.pin, signal ? draftId : null, outcome, now);
    return outcome;
  }

  /**
   * What a pin came to, truthfully: the block is rebuilt now (the reply was deferred) to see
   * whether the draft is among the examples. A pin the block cannot show is kept, and said so:
   * its text breaks a content rule today, or more drafts are pinned than VOICE_EXAMPLES.
   */
  private async pinnedDetail(draftId: number, now: number): Promise<string> {
    if (!this.deps.config.learningEnabled)
      return `draft #${draftId}: pinned; learning is off (LEARNING=off), so the prompt has no examples until it is back on`;
    let shown: boolean;
    try {
      shown = (await this.deps.learnedVoice.current(now)).examples.some((example) => example.draftId === draftId);
    } catch (error) {
      // The pin is stored and the next draft rebuilds the block; only this check is lost.
      this.log.warn('could not rebuild the learned voice after a pin', { error, draftId });
      return `draft #${draftId}: pinned in the examples from the next draft`;
    }
    return shown
      ? `draft #${draftId}: pinned in the examples`
      : `draft #${draftId}: pinned, but not among the examples now: its text breaks a content rule today, or more drafts are pinned than VOICE_EXAMPLES allows`;
  }

  async unpin(draftId: number, request: VoiceRequest): Promise<VoiceChangeOutcome> {
    const now = this.deps.clock.now();
    const signal = await this.deps.learning.findByDraft(draftId);
    let outcome: VoiceChangeOutcome;
    if (!signal) {
      outcome = { status: 'refused', detail: `draft #${draftId}: not a decided draft of this account` };
    } else if (signal.pin === 'out') {
      outcome = { status: 'unchanged', detail: `draft #${draftId}: already kept out of the examples` };
    } else if (!(await this.deps.learning.setPin(draftId, 'out', now))) {
      outcome = { status: 'refused', detail: `draft #${draftId}: not a decided draft of this account` };
    } else {
      await this.deps.learnedVoice.invalidate(now);
      outcome = { status: 'applied', detail: `draft #${draftId}: kept out of the examples` };
    }
    await this.audit(request, VOICE_ACTIONS.unpin, signal ? draftId : null, outcome, now);
    return outcome;
  }

  /** The newest MAX_FEEDBACK_PER_CONDENSING pieces of feedback after `afterId` (oldest first), and the last id read. */
  private async newFeedback(afterId: number): Promise<{ feedback: FeedbackSignal[]; lastId: number }> {
    let kept: FeedbackSignal[] = [];
    let lastId = afterId;
    for (;;) {
      const page = await this.deps.learning.feedbackAfter(lastId, FEEDBACK_PAGE);
      if (page.length === 0) break;
      lastId = Math.max(lastId, ...page.map((f) => f.id));
      kept = [...kept, ...page.filter((f) => f.text !== null && f.text.trim() !== '')].slice(-MAX_FEEDBACK_PER_CONDENSING);
      if (page.length < FEEDBACK_PAGE) break;
    }
    return { feedback: kept, lastId };
  }

  private async state(): Promise<AvoidNotesState> {
    return (await this.deps.settings.get(SETTINGS.avoidNotes)) ?? EMPTY_STATE;
  }

  private async save(state: AvoidNotesState, now: number): Promise<void> {
    await this.deps.settings.set(
      SETTINGS.avoidNotes,
      {
        notes: state.notes.map((n) => ({ id: n.id, text: n.text, createdAt: n.createdAt })),
        forgotten: [...state.forgotten],
        lastFeedbackId: state.lastFeedbackId,
        condensedAt: state.condensedAt,
        nextNoteId: state.nextNoteId,
      },
      now,
    );
  }

  /** One generation_runs row (and its /stats rollup) for the condensing call, so its tokens and cost count. */
  private async recordRun(outcome: 'created' | 'failed', reason: string | null, usage: TokenUsage, startedAt: number): Promise<void> {
    await this.deps.generationRuns.record({
      trigger: 'avoid_notes',
      outcome,
      reason: reason === null ? null : reason.slice(0, 500),
      draftId: null,
      topicName: null,
      attempts: 1,
      usage,
      startedAt,
      finishedAt: this.deps.clock.now(),
    });
  }

  private async audit(request: VoiceRequest, action: string, draftId: number | null, outcome: VoiceChangeOutcome, now: number): Promise<void> {
    await this.deps.moderationEvents.record(
      { draftId, revision: null, actor: request.actor, action, outcome: outcome.status, detail: outcome.detail, interactionId: request.interactionId ?? null },
      now,
    );
  }
}
