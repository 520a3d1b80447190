import { buildLearnedVoiceBlock, followsRules, selectAvoidNotes, type LearnedVoiceLimits } from '../content/learned-voice-block.js';
import type { AvoidNote, DraftSignal, EditPair } from '../domain/learning.js';
import { localDayOf } from '../domain/local-day.js';
import { DAY_MS } from '../domain/rate-limits.js';
import type { ContentRules } from '../domain/validation.js';
import type { Logger } from '../logging/index.js';
import type { LearnedVoice, LearnedVoiceSource } from './learning-contract.js';
import type { LearningSignalRepository, SettingsRepository } from './ports.js';
import { SETTINGS, type SettingKey } from './settings-keys.js';

/** How many published drafts the builder ranks: the account's recent history, plus every pin. */
const CANDIDATE_LIMIT = 200;
/** Edit pairs read per rebuild: spares for the ones a rule check drops. */
const EDIT_PAIRS_READ_FACTOR = 5;

export interface LearnedVoiceDependencies {
  readonly learning: LearningSignalRepository;
  readonly settings: SettingsRepository;
  readonly logger: Logger;
  readonly config: LearnedVoiceLimits & { readonly enabled: boolean };
  /** The account's content rules: no example that breaks one reaches the prompt. */
  readonly rules: ContentRules;
  /** The account's TIMEZONE: the block is rebuilt on the first draft of each of its local days. */
  readonly timeZone: string;
}

/** No block: learning is off, or nothing is learned yet. */
export const EMPTY_LEARNED_VOICE: LearnedVoice = { text: '', builtAt: null, examples: [], editPairs: [], avoidNotes: [] };

/** The block as SETTINGS.learnedVoice stores it. */
type StoredVoice = typeof SETTINGS.learnedVoice extends SettingKey<infer T> ? T : never;

/**
 * The account's learned block (issue 15 §2), kept in SETTINGS.learnedVoice and rebuilt at most
 * once per local day of the account: the first draft of a day rebuilds it, the others that day
 * send the same bytes, so the API's prompt cache reads it instead of writing it again. A
 * moderator's /voice change (`invalidate`) makes the next draft rebuild it. With learning off
 * there is no block.
 */
export class LearnedVoiceService implements LearnedVoiceSource {
  /** One rebuild at a time: two drafts starting together build the day's block once. */
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: LearnedVoiceDependencies) {}

  async current(now: number): Promise<LearnedVoice> {
    if (!this.deps.config.enabled) return EMPTY_LEARNED_VOICE;
    const run = this.pending.then(() => this.currentNow(now));
    this.pending = run.catch(() => undefined);
    return run;
  }

  async invalidate(now: number): Promise<void> {
    const run = this.pending.then(async () => {
      const stored = await this.deps.settings.get(SETTINGS.learnedVoice);
      if (stored && !stored.stale) await this.deps.settings.set(SETTINGS.learnedVoice, { ...stored, stale: true }, now);
    });
    this.pending = run.catch(() => undefined);
    return run;
  }

  private async currentNow(now: number): Promise<LearnedVoice> {
    const today = this.dayOf(now);
    const stored = await this.deps.settings.get(SETTINGS.learnedVoice);
    // An earlier day, or a /voice change: rebuilt. A later day (the clock stepped back) keeps it.
    if (stored && !stored.stale && stored.day >= today) {
      const shown = await this.shown(stored);
      if (shown.stillValid) return shown.voice;
      this.deps.logger.info('learned voice no longer fits the configuration; rebuilding it today', { day: stored.day });
    }
    return this.rebuild(now, today);
  }

  private async rebuild(now: number, today: string): Promise<LearnedVoice> {
    const { learning, settings, config } = this.deps;
    const [candidates, editPairs, pinned, notes] = await Promise.all([
      learning.exampleCandidates(CANDIDATE_LIMIT),
      learning.editPairs(Math.max(1, config.maxEditPairs) * EDIT_PAIRS_READ_FACTOR),
      learning.pinned(),
      this.avoidNotes(),
    ]);
    const block = buildLearnedVoiceBlock({
      candidates,
      editPairs,
      avoidNotes: notes,
      pinnedOut: pinned.filter((signal) => signal.pin === 'out').map((signal) => signal.draftId),
      limits: config,
      rules: this.deps.rules,
    });
    await settings.set(
      SETTINGS.learnedVoice,
      {
        text: block.text,
        builtAt: now,
        day: today,
        exampleDraftIds: block.examples.map((signal) => signal.draftId),
        editDraftIds: block.editPairs.map((pair) => pair.draftId),
        noteIds: block.avoidNotes.map((note) => note.id),
        stale: false,
      },
      now,
    );
    this.deps.logger.info('learned voice rebuilt', {
      day: today,
      examples: block.examples.length,
      editPairs: block.editPairs.length,
      avoidNotes: block.avoidNotes.length,
      chars: block.text.length,
    });
    return { text: block.text, builtAt: now, examples: block.examples, editPairs: block.editPairs, avoidNotes: block.avoidNotes };
  }

  /**
   * The stored block with what it shows, for /voice show. The text is the stored one, byte for
   * byte (the cache depends on it); the examples, edits and notes are read back by their ids.
   */
  private async shown(stored: StoredVoice): Promise<{ voice: LearnedVoice; stillValid: boolean }> {
    const { learning, config, rules } = this.deps;
    const examples = (await Promise.all(stored.exampleDraftIds.map((id) => learning.findByDraft(id)))).filter((s): s is DraftSignal => s !== null);
    const wantedEdits = new Set(stored.editDraftIds);
    const editPairs: EditPair[] =
      wantedEdits.size === 0
        ? []
        : (await learning.editPairs(Math.max(1, config.maxEditPairs) * EDIT_PAIRS_READ_FACTOR)).filter((pair) => wantedEdits.delete(pair.draftId));
    const noteIds = new Set(stored.noteIds);
    const storedNotes = noteIds.size === 0 ? [] : (await this.avoidNotes()).filter((note) => noteIds.has(note.id));
    const avoidNotes = selectAvoidNotes(storedNotes);
    // The day's bytes are kept for the cache, but never against the rules: a restart with tighter
    // content rules, a stricter note check or smaller limits, or a shown text that can no longer
    // be checked, rebuilds it.
    const stillValid =
      examples.length === stored.exampleDraftIds.length &&
      editPairs.length === stored.editDraftIds.length &&
      examples.length <= config.maxExamples &&
      editPairs.length <= config.maxEditPairs &&
      avoidNotes.length === storedNotes.length &&
      examples.every((signal) => followsRules(signal.tweets, rules)) &&
      editPairs.every((pair) => followsRules(pair.before, rules) && followsRules(pair.after, rules));
    return { voice: { text: stored.text, builtAt: stored.builtAt, examples, editPairs, avoidNotes }, stillValid };
  }

  private async avoidNotes(): Promise<AvoidNote[]> {
    const stored = await this.deps.settings.get(SETTINGS.avoidNotes);
    return stored ? stored.notes.map((note) => ({ id: note.id, text: note.text, createdAt: note.createdAt })) : [];
  }

  /** The account's local day as YYYY-MM-DD: strings of that shape order as the days do. */
  private dayOf(now: number): string {
    return new Date(localDayOf(now, this.deps.timeZone) * DAY_MS).toISOString().slice(0, 10);
  }
}
