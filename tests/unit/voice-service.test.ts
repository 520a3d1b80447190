import { describe, expect, it } from 'vitest';
import { GenerationError, type TokenUsage } from '../../src/domain/generation.js';
import type { DraftSignal, ExamplePin, FeedbackSignal } from '../../src/domain/learning.js';
import { createSilentLogger } from '../../src/logging/index.js';
import type { LearnedVoiceSource } from '../../src/services/learning-contract.js';
import type { AvoidNoteCondenser, GenerationRun, LearningSignalRepository, ModerationEvent, SettingsRepository } from '../../src/services/ports.js';
import { SETTINGS, type SettingKey } from '../../src/services/settings-keys.js';
import { MAX_FEEDBACK_PER_CONDENSING, VoiceService } from '../../src/services/voice-service.js';
import { ManualClock } from '../support/manual-clock.js';

const HOUR = 3_600_000;
const USAGE: TokenUsage = { inputTokens: 900, outputTokens: 120, cacheReadTokens: 0, cacheCreationTokens: 0 };
const MOD = { actor: { id: '42', name: 'Mia' }, interactionId: 'i-1' };

class MemorySettings implements SettingsRepository {
  readonly values = new Map<string, string>();
  async get<T>({ key }: SettingKey<T>): Promise<T | null> {
    const value = this.values.get(key);
    return value === undefined ? null : (JSON.parse(value) as T);
  }
  async set<T>({ key }: SettingKey<T>, value: T | null): Promise<void> {
    if (value === null) this.values.delete(key);
    else this.values.set(key, JSON.stringify(value));
  }
}

class MemorySignals implements Pick<LearningSignalRepository, 'feedbackAfter' | 'findByDraft' | 'setPin' | 'pinned'> {
  feedback: FeedbackSignal[] = [];
  signals: DraftSignal[] = [];
  async feedbackAfter(afterId: number, limit: number): Promise<FeedbackSignal[]> {
    return this.feedback.filter((f) => f.id > afterId && f.text !== null).slice(0, limit);
  }
  async findByDraft(draftId: number): Promise<DraftSignal | null> {
    return this.signals.find((s) => s.draftId === draftId) ?? null;
  }
  async setPin(draftId: number, pin: ExamplePin | null): Promise<boolean> {
    const index = this.signals.findIndex((s) => s.draftId === draftId);
    if (index < 0) return false;
    this.signals[index] = { ...(this.signals[index] as DraftSignal), pin };
    return true;
  }
  async pinned(): Promise<DraftSignal[]> {
    return this.signals.filter((s) => s.pin !== null);
  }
  reject(text: string): FeedbackSignal {
    const signal: FeedbackSignal = {
      id: this.feedback.length + 1,
      draftId: 100 + this.feedback.length,
      kind: 'reject',
      text,
      before: null,
      after: null,
      topicName: 'education',
      contentType: 'education',
      createdAt: 0,
    };
    this.feedback.push(signal);
    return signal;
  }
}

/** A condenser that answers what it is told and remembers what it was given. */
class ScriptedCondenser implements AvoidNoteCondenser {
  calls: Array<Parameters<AvoidNoteCondenser['condense']>[0]> = [];
  answers: Array<readonly string[] | Error> = [];
  async condense(input: Parameters<AvoidNoteCondenser['condense']>[0]) {
    this.calls.push(input);
    const answer = this.answers.shift() ?? [];
    if (answer instanceof Error) throw answer;
    return { notes: answer, usage: USAGE, model: 'claude-haiku-4-5' };
  }
}

function signal(draftId: number, overrides: Partial<DraftSignal> = {}): DraftSignal {
  return {
    draftId,
    topicId: 1,
    topicName: 'education',
    contentType: 'education',
    decision: 'approved',
    decidedAt: 1,
    rejectReason: null,
    hadRiskFlags: false,
    tweets: ['A tweet'],
    publishedAt: 2,
    dryRun: false,
    engagement24h: null,
    engagement7d: null,
    pin: null,
    ...overrides,
  };
}

function setup(options: { learningEnabled?: boolean; shows?: (pinnedIn: DraftSignal) => boolean } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 4, 35));
  const settings = new MemorySettings();
  const learning = new MemorySignals();
  const condenser = new ScriptedCondenser();
  const runs: GenerationRun[] = [];
  const audit: ModerationEvent[] = [];
  const invalidated: number[] = [];
  const learnedVoice: LearnedVoiceSource = {
    // The block shows the drafts pinned in (unless `shows` says the builder leaves one out).
    current: async () => ({
      text: '',
      builtAt: null,
      examples: learning.signals.filter((s) => s.pin === 'in' && (options.shows?.(s) ?? true)),
      editPairs: [],
      avoidNotes: [],
    }),
    invalidate: async (now) => void invalidated.push(now),
  };
  const service = new VoiceService({
    learning: learning as unknown as LearningSignalRepository,
    settings,
    moderationEvents: { record: async (event) => void audit.push(event), listForDraft: async () => [] },
    generationRuns: { record: async (run) => void runs.push(run), tokenTotals: async () => ({ input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }) },
    condenser,
    learnedVoice,
    clock,
    logger: createSilentLogger(),
    config: { learningEnabled: options.learningEnabled ?? true, timeZone: 'UTC', voice: 'Plain and friendly.', voiceIsBuiltIn: true },
  });
  const stored = async () => settings.get(SETTINGS.avoidNotes);
  return { clock, settings, learning, condenser, runs, audit, invalidated, service, stored };
}

describe('VoiceService.condenseIfDue: the daily avoid notes', () => {
  it('GIVEN new reject reasons WHEN the daily run comes THEN one condenser call gets them, the notes are stored as n1, n2 with the read position, the tokens are an avoid_notes run, and the learned block is invalidated', async () => {
    const { clock, learning, condenser, runs, invalidated, service, stored } = setup();
    learning.reject('Too much hype, tone it down');
    learning.reject('No price talk please');
    condenser.answers.push(['Avoid hype', 'Avoid price talk']);

    const outcome = await service.condenseIfDue(clock.now());

    expect(outcome.status).toBe('condensed');
    expect(condenser.calls).toHaveLength(1);
    expect(condenser.calls[0]?.current).toEqual([]);
    expect(condenser.calls[0]?.feedback.map((f) => f.text)).toEqual(['Too much hype, tone it down', 'No price talk please']);
    expect(await stored()).toEqual({
      notes: [
        { id: 'n1', text: 'Avoid hype', createdAt: clock.now() },
        { id: 'n2', text: 'Avoid price talk', createdAt: clock.now() },
      ],
      forgotten: [],
      lastFeedbackId: 2,
      condensedAt: clock.now(),
      nextNoteId: 3,
    });
    expect(runs).toEqual([expect.objectContaining({ trigger: 'avoid_notes', outcome: 'created', usage: USAGE, draftId: null })]);
    expect(invalidated).toEqual([clock.now()]);
  });

  it('GIVEN the notes were condensed today WHEN the run comes again the same day, even with new feedback THEN Claude is not called; the next day it is', async () => {
    const { clock, learning, condenser, service } = setup();
    learning.reject('Too long');
    condenser.answers.push(['Keep it short'], ['Keep it short', 'No emojis']);
    await service.condenseIfDue(clock.now());
    learning.reject('Too many emojis');
    clock.advance(10 * HOUR);
    expect(await service.condenseIfDue(clock.now())).toMatchObject({ status: 'skipped', code: 'done_today' });
    expect(condenser.calls).toHaveLength(1);
    clock.advance(14 * HOUR);
    expect(await service.condenseIfDue(clock.now())).toMatchObject({ status: 'condensed' });
    expect(condenser.calls).toHaveLength(2);
    expect(condenser.calls[1]?.current).toEqual(['Keep it short']);
    expect(condenser.calls[1]?.feedback.map((f) => f.text)).toEqual(['Too many emojis']);
  });

  it('GIVEN no feedback since the last condensing THEN Claude is not called and nothing changes', async () => {
    const { clock, learning, condenser, service, stored, runs } = setup();
    expect(await service.condenseIfDue(clock.now())).toMatchObject({ status: 'skipped', code: 'no_new_feedback' });
    learning.reject('Too long');
    condenser.answers.push(['Keep it short']);
    await service.condenseIfDue(clock.now());
    const before = await stored();
    clock.advance(24 * HOUR);
    expect(await service.condenseIfDue(clock.now())).toMatchObject({ status: 'skipped', code: 'no_new_feedback' });
    expect(condenser.calls).toHaveLength(1);
    expect(runs).toHaveLength(1);
    expect(await stored()).toEqual(before);
  });

  it('GIVEN Claude fails THEN the notes and the read position stay as they were, the failed call is a run with its tokens, and the next day the same feedback is condensed', async () => {
    const { clock, learning, condenser, service, stored, runs, invalidated } = setup();
    learning.reject('Too long');
    condenser.answers.push(['Keep it short']);
    await service.condenseIfDue(clock.now());
    const before = await stored();
    learning.reject('No emojis');
    clock.advance(24 * HOUR);
    condenser.answers.push(new GenerationError('invalid_output', 'not JSON', { retryable: true, usage: { ...USAGE, outputTokens: 7 } }));
    expect(await service.condenseIfDue(clock.now())).toMatchObject({ status: 'failed', reason: 'not JSON' });
    expect(await stored()).toEqual(before);
    expect(runs.at(-1)).toMatchObject({ trigger: 'avoid_notes', outcome: 'failed', reason: 'not JSON', usage: { outputTokens: 7 } });
    expect(invalidated).toHaveLength(1);

    clock.advance(24 * HOUR);
    condenser.answers.push(['Keep it short', 'No emojis']);
    expect(await service.condenseIfDue(clock.now())).toMatchObject({ status: 'condensed' });
    expect(condenser.calls.at(-1)?.feedback.map((f) => f.text)).toEqual(['No emojis']);
    expect((await stored())?.notes.map((n) => [n.id, n.text])).toEqual([
      ['n1', 'Keep it short'],
      ['n2', 'No emojis'],
    ]);
  });

  it('GIVEN learning is off THEN nothing is condensed, whatever the feedback', async () => {
    const { clock, learning, condenser, service, stored } = setup({ learningEnabled: false });
    learning.reject('Too long');
    expect(await service.condenseIfDue(clock.now())).toMatchObject({ status: 'skipped', code: 'learning_off' });
    expect(condenser.calls).toHaveLength(0);
    expect(await stored()).toBeNull();
  });

  it('GIVEN learning off and notes kept from before THEN show gives them (what /voice forget offers), while the learned block is empty', async () => {
    const { settings, service } = setup({ learningEnabled: false });
    await settings.set(SETTINGS.avoidNotes, {
      notes: [{ id: 'n2', text: 'Avoid price talk', createdAt: 1 }],
      forgotten: [],
      lastFeedbackId: 3,
      condensedAt: 1,
      nextNoteId: 3,
    });
    const view = await service.show();
    expect(view.learningEnabled).toBe(false);
    expect(view.learned.avoidNotes).toEqual([]);
    expect(view.notes).toEqual([{ id: 'n2', text: 'Avoid price talk', createdAt: 1 }]);
    expect(await service.notes()).toEqual(view.notes);
  });

  it(`GIVEN more feedback than ${MAX_FEEDBACK_PER_CONDENSING} (over several pages) THEN the newest ${MAX_FEEDBACK_PER_CONDENSING} go to Claude and all of it counts as read`, async () => {
    const { clock, learning, condenser, service, stored } = setup();
    for (let i = 1; i <= 450; i += 1) learning.reject(`reason ${i}`);
    await service.condenseIfDue(clock.now());
    const texts = condenser.calls[0]?.feedback.map((f) => f.text);
    expect(texts).toHaveLength(MAX_FEEDBACK_PER_CONDENSING);
    expect(texts?.[0]).toBe(`reason ${450 - MAX_FEEDBACK_PER_CONDENSING + 1}`);
    expect(texts?.at(-1)).toBe('reason 450');
    expect((await stored())?.lastFeedbackId).toBe(450);
  });

  it('GIVEN a rule-breaking or duplicate note in the answer THEN it is not stored (the service cleans whatever the condenser returns)', async () => {
    const { clock, learning, condenser, service, stored } = setup();
    learning.reject('Stop tagging people');
    condenser.answers.push(['Do not tag @pumpdotfun', 'Avoid tagging accounts', 'avoid  tagging accounts']);
    await service.condenseIfDue(clock.now());
    expect((await stored())?.notes.map((n) => n.text)).toEqual(['Avoid tagging accounts']);
  });
});

describe('VoiceService: /voice forget, pin and unpin', () => {
  it('GIVEN a note WHEN a moderator forgets it THEN it is removed, remembered, the block invalidated, the change audited, and a later condensing does not bring it back', async () => {
    const { clock, learning, condenser, service, stored, audit, invalidated } = setup();
    learning.reject('Too long');
    condenser.answers.push(['Keep it short', 'No emojis']);
    await service.condenseIfDue(clock.now());

    expect(await service.forgetNote('n2', MOD)).toEqual({ status: 'applied', detail: 'n2: No emojis' });
    expect((await service.notes()).map((n) => n.id)).toEqual(['n1']);
    expect(await service.forgetNote('n2', MOD)).toMatchObject({ status: 'unchanged' });
    expect((await stored())?.forgotten).toEqual(['No emojis']);
    expect(invalidated).toHaveLength(2);
    expect(audit).toEqual([
      { draftId: null, revision: null, actor: MOD.actor, action: 'voice_forget', outcome: 'applied', detail: 'n2: No emojis', interactionId: 'i-1' },
      expect.objectContaining({ action: 'voice_forget', outcome: 'unchanged' }),
    ]);

    learning.reject('Emojis again');
    clock.advance(24 * HOUR);
    condenser.answers.push(['Keep it short', 'no  emojis', 'Avoid slang']);
    await service.condenseIfDue(clock.now());
    expect(condenser.calls.at(-1)?.forgotten).toEqual(['No emojis']);
    expect((await service.notes()).map((n) => [n.id, n.text])).toEqual([
      ['n1', 'Keep it short'],
      ['n3', 'Avoid slang'],
    ]);
  });

  it('GIVEN a moderator forgets a note while Claude is condensing THEN the answer does not bring it back', async () => {
    const { clock, learning, condenser, service } = setup();
    learning.reject('Too long');
    condenser.answers.push(['Keep it short', 'No emojis']);
    await service.condenseIfDue(clock.now());
    learning.reject('Emojis again');
    clock.advance(24 * HOUR);
    const original = condenser.condense.bind(condenser);
    condenser.condense = async (input) => {
      await service.forgetNote('n2', MOD);
      return original(input);
    };
    condenser.answers.push(['Keep it short', 'No emojis']);
    await service.condenseIfDue(clock.now());
    expect((await service.notes()).map((n) => n.text)).toEqual(['Keep it short']);
  });

  it('GIVEN an id that was never issued THEN forget refuses, audited', async () => {
    const { service, audit } = setup();
    expect(await service.forgetNote('n7', MOD)).toMatchObject({ status: 'refused' });
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([['voice_forget', 'refused']]);
  });

  it('GIVEN a published draft without risk flags THEN pin sets it in (audited with its id, block invalidated); pinning again is unchanged; unpin sets it out', async () => {
    const { learning, service, audit, invalidated } = setup();
    learning.signals.push(signal(7));
    expect(await service.pin(7, MOD)).toMatchObject({ status: 'applied' });
    expect(learning.signals[0]?.pin).toBe('in');
    expect(await service.pin(7, MOD)).toMatchObject({ status: 'unchanged' });
    expect(await service.unpin(7, MOD)).toMatchObject({ status: 'applied' });
    expect(learning.signals[0]?.pin).toBe('out');
    expect(invalidated).toHaveLength(2);
    expect(audit.map((e) => [e.action, e.outcome, e.draftId, e.detail])).toEqual([
      ['voice_pin', 'applied', 7, 'draft #7: pinned in the examples'],
      ['voice_pin', 'unchanged', 7, 'draft #7: already pinned in the examples'],
      ['voice_unpin', 'applied', 7, 'draft #7: kept out of the examples'],
    ]);
  });

  it('GIVEN a pin the examples cannot show (its text breaks a rule today, or more pins than VOICE_EXAMPLES) THEN the pin is kept but the reply says it is not among the examples now; GIVEN learning off THEN it says so', async () => {
    const hidden = setup({ shows: (s) => s.draftId !== 7 });
    hidden.learning.signals.push(signal(7));
    expect(await hidden.service.pin(7, MOD)).toEqual({
      status: 'applied',
      detail: 'draft #7: pinned, but not among the examples now: its text breaks a content rule today, or more drafts are pinned than VOICE_EXAMPLES allows',
    });
    expect(hidden.learning.signals[0]?.pin).toBe('in');
    const off = setup({ learningEnabled: false });
    off.learning.signals.push(signal(7));
    expect(await off.service.pin(7, MOD)).toEqual({
      status: 'applied',
      detail: 'draft #7: pinned; learning is off (LEARNING=off), so the prompt has no examples until it is back on',
    });
  });

  it('GIVEN an unpublished, a flagged or an unknown draft THEN pin refuses, changes nothing and audits the refusal', async () => {
    const { learning, service, audit, invalidated } = setup();
    learning.signals.push(signal(8, { publishedAt: null, decision: 'rejected' }), signal(9, { hadRiskFlags: true }));
    expect(await service.pin(8, MOD)).toMatchObject({ status: 'refused', detail: expect.stringContaining('not published') });
    expect(await service.pin(9, MOD)).toMatchObject({ status: 'refused', detail: expect.stringContaining('risk flags') });
    expect(await service.pin(404, MOD)).toMatchObject({ status: 'refused', detail: expect.stringContaining('not a decided draft of this account') });
    expect(learning.signals.map((s) => s.pin)).toEqual([null, null]);
    expect(invalidated).toEqual([]);
    expect(audit.map((e) => [e.action, e.outcome, e.draftId])).toEqual([
      ['voice_pin', 'refused', 8],
      ['voice_pin', 'refused', 9],
      ['voice_pin', 'refused', null],
    ]);
  });
});
