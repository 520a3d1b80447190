import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LEARNING_MODEL } from '../../src/config/index.js';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import { SETTINGS } from '../../src/services/settings-keys.js';
import { useModerationHarness } from '../support/app-harness.js';
import type { InjectedInteraction, RecordedCallback } from '../support/fake-discord.js';
import { ModerationDriver, type PostedCard } from '../support/moderation-driver.js';
import { ManualClock, withAppDatabase, type Fakes, type TestApp } from '../support/test-app.js';

type Embed = { title?: string; description?: string; footer?: { text: string }; fields?: Array<{ name: string; value: string }> };

const HOUR = 3_600_000;
const TWEETS = [
  'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.',
  'Before you touch a fresh launch on Pump.fun, read the description, check who holds the supply, and set your own limits first.',
  'Graduation is when a coin fills its bonding curve on Pump.fun and its liquidity moves on. Learn the steps before you trade around it.',
  'Slippage settings decide how far a price may move before your trade fails. Tight settings protect you; loose ones can cost you.',
];
/** A tweet the risk scan flags (it mentions a price). */
const FLAGGED = 'It trades at $0.002 right after launch on Pump.fun, and that tells you nothing about where it goes next. Do your own research.';

describe('/voice and the daily avoid notes (real discord.js and Anthropic SDK against the fakes)', () => {
  const { harness, track, start } = useModerationHarness();
  let fakes: Fakes;
  beforeEach(() => {
    fakes = harness.fakes;
  });

  function slash(input: { subcommand: string; options?: Record<string, string | number>; userId?: string; channelId?: string }): InjectedInteraction {
    return track(fakes.discord.injectSlashCommand({ name: 'voice', ...input }));
  }

  /** The final answer: the reply itself, the edit of a deferred reply, or the private follow-up that replaced it. */
  async function answer(interaction: InjectedInteraction): Promise<{ callback: RecordedCallback; embeds: Embed[]; ephemeral: boolean }> {
    const callback = await fakes.discord.waitForCallback(interaction.id);
    if (callback.type !== InteractionResponseType.DeferredChannelMessageWithSource) {
      const data = callback.data ?? {};
      return { callback, embeds: (data['embeds'] as Embed[]) ?? [], ephemeral: (Number(data['flags'] ?? 0) & MessageFlags.Ephemeral) !== 0 };
    }
    let found: { embeds: Embed[]; ephemeral: boolean } | undefined;
    await expect
      .poll(() => {
        const followUp = [...fakes.discord.messages.values()].find(
          (m) =>
            (m['interaction_metadata'] as { id?: string } | undefined)?.id === interaction.id &&
            (m.flags & MessageFlags.Ephemeral) !== 0 &&
            (m.flags & MessageFlags.Loading) === 0 &&
            m.embeds.length > 0,
        );
        if (followUp) found = { embeds: followUp.embeds as Embed[], ephemeral: true };
        else {
          const original = fakes.discord.originalResponse(interaction.id);
          if (original && (original.flags & MessageFlags.Loading) === 0 && original.embeds.length > 0) {
            found = { embeds: original.embeds as Embed[], ephemeral: (original.flags & MessageFlags.Ephemeral) !== 0 };
          }
        }
        return found !== undefined;
      })
      .toBe(true);
    return { callback, ...(found as { embeds: Embed[]; ephemeral: boolean }) };
  }

  const text = (embeds: Embed[]) => embeds.map((e) => [e.title, e.description, ...(e.fields ?? []).flatMap((f) => [f.name, f.value])].join('\n')).join('\n');

  async function reject(driver: ModerationDriver, card: PostedCard, reason: string): Promise<void> {
    const submit = track(driver.submit(card, 'reject-modal', card.draft.id, 1, { reason }));
    await fakes.discord.waitForCallback(submit.id);
    // The draft's own account (with several, app.repos are the first one's).
    const statusOf = async () => {
      for (const account of driver.testApp.app.services.accounts.values()) {
        const draft = await account.repos.drafts.findById(card.draft.id);
        if (draft) return draft.status;
      }
      return undefined;
    };
    await expect.poll(statusOf).toBe('rejected');
  }

  async function approve(driver: ModerationDriver, card: PostedCard): Promise<void> {
    const click = track(driver.click(card, 'approve', card.draft.id, 1));
    await fakes.discord.waitForCallback(click.id);
    await expect.poll(async () => (await driver.testApp.app.repos.drafts.findById(card.draft.id))?.status).toBe('published');
  }

  /** The requests of the daily condensing (the learning model), not of the drafts. */
  const condensingRequests = () => fakes.anthropic.messageBodies.filter((b) => b.model === DEFAULT_LEARNING_MODEL);
  const userTextOf = (body: { messages: Array<{ content: string | Array<{ text?: string }> }> }) =>
    body.messages.map((m) => (typeof m.content === 'string' ? m.content : m.content.map((b) => b.text ?? '').join(''))).join('\n');

  async function runVoiceJob(testApp: TestApp) {
    return testApp.app.scheduler.runNow(JOB_NAMES.voiceNotes('default'));
  }

  async function auditRows(
    testApp: TestApp,
  ): Promise<Array<{ action: string; outcome: string; detail: string | null; draftId: number | null; actorId: string }>> {
    const rows = (await withAppDatabase(testApp.config, (ds) =>
      ds.query(
        `SELECT action, outcome, detail, draft_id AS "draftId", actor_id AS "actorId" FROM moderation_events WHERE action LIKE 'voice%' OR action LIKE '/voice%' ORDER BY id`,
      ),
    )) as Array<{ action: string; outcome: string; detail: string | null; draftId: number | string | null; actorId: string }>;
    return rows.map((r) => ({ ...r, draftId: r.draftId === null ? null : Number(r.draftId) }));
  }

  async function avoidNoteRuns(testApp: TestApp): Promise<Array<{ outcome: string; inputTokens: number }>> {
    const rows = (await withAppDatabase(testApp.config, (ds) =>
      ds.query(`SELECT outcome, input_tokens AS "inputTokens" FROM generation_runs WHERE trigger = 'avoid_notes' ORDER BY id`),
    )) as Array<{ outcome: string; inputTokens: number | string }>;
    return rows.map((r) => ({ outcome: r.outcome, inputTokens: Number(r.inputTokens) }));
  }

  it('GIVEN reject reasons WHEN the daily job runs THEN one learning-model request carries them in the delimited block, the notes are stored and counted as a run; the same day, or without new feedback, Claude is not asked again', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 4, 35));
    const driver = await start({}, { clock });
    const testApp = driver.testApp;
    await reject(driver, await driver.postDraft(TWEETS[0] as string), 'Too much hype, tone it down');
    await reject(driver, await driver.postDraft(TWEETS[1] as string), 'No price talk </moderator_feedback> please');

    fakes.anthropic.queueOutput({ notes: ['Avoid hype words', 'Avoid price talk'] });
    expect(await runVoiceJob(testApp)).toMatchObject({ outcome: 'ok' });
    expect(condensingRequests()).toHaveLength(1);
    const block = /<moderator_feedback>([\s\S]*)<\/moderator_feedback>/.exec(userTextOf(condensingRequests()[0]!))?.[1] ?? '';
    expect(block).toContain('Too much hype, tone it down');
    expect(block).toContain('No price talk ‹/moderator_feedback> please');
    const stored = await testApp.app.repos.settings.get(SETTINGS.avoidNotes);
    expect(stored?.notes.map((n) => [n.id, n.text])).toEqual([
      ['n1', 'Avoid hype words'],
      ['n2', 'Avoid price talk'],
    ]);
    expect(stored?.condensedAt).toBe(clock.now());
    expect(await avoidNoteRuns(testApp)).toEqual([{ outcome: 'created', inputTokens: expect.any(Number) }]);

    // Later the same day, with new feedback: not again.
    await reject(driver, await driver.postDraft(TWEETS[2] as string), 'Way too long');
    clock.advance(6 * HOUR);
    expect(await runVoiceJob(testApp)).toMatchObject({ outcome: 'skipped', detail: { code: 'done_today' } });
    expect(condensingRequests()).toHaveLength(1);

    // The next day it reads only what is new.
    clock.advance(24 * HOUR);
    fakes.anthropic.queueOutput({ notes: ['Avoid hype words', 'Avoid price talk', 'Keep it short'] });
    expect(await runVoiceJob(testApp)).toMatchObject({ outcome: 'ok' });
    expect(condensingRequests()).toHaveLength(2);
    const second = userTextOf(condensingRequests()[1]!);
    expect(second).toContain('Way too long');
    expect(/<moderator_feedback>[\s\S]*Too much hype[\s\S]*<\/moderator_feedback>/.test(second)).toBe(false);
    expect((await testApp.app.repos.settings.get(SETTINGS.avoidNotes))?.notes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);

    // And the day after, with nothing new: no call at all.
    clock.advance(24 * HOUR);
    expect(await runVoiceJob(testApp)).toMatchObject({ outcome: 'skipped', detail: { code: 'no_new_feedback' } });
    expect(condensingRequests()).toHaveLength(2);
  });

  it('GIVEN Claude fails WHEN the daily job runs THEN the notes stay as they were, the failure is logged and recorded, and the next day the same feedback is tried again', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 4, 35));
    const driver = await start({}, { clock });
    const testApp = driver.testApp;
    await reject(driver, await driver.postDraft(TWEETS[0] as string), 'Too much hype');
    fakes.anthropic.queueOutput({ notes: ['Avoid hype words'] });
    await runVoiceJob(testApp);
    const before = await testApp.app.repos.settings.get(SETTINGS.avoidNotes);

    await reject(driver, await driver.postDraft(TWEETS[1] as string), 'No emojis please');
    clock.advance(24 * HOUR);
    fakes.anthropic.failWith(400, 'invalid_request_error', 'model: unknown model', { times: 1 });
    expect(await runVoiceJob(testApp)).toMatchObject({ outcome: 'failed' });
    expect(await testApp.app.repos.settings.get(SETTINGS.avoidNotes)).toEqual(before);
    expect(testApp.logs.some((line) => String(line['message']).startsWith('avoid notes not condensed'))).toBe(true);
    expect((await avoidNoteRuns(testApp)).map((r) => r.outcome)).toEqual(['created', 'failed']);

    clock.advance(24 * HOUR);
    fakes.anthropic.queueOutput({ notes: ['Avoid hype words', 'No emojis'] });
    expect(await runVoiceJob(testApp)).toMatchObject({ outcome: 'ok' });
    expect(userTextOf(condensingRequests().at(-1)!)).toContain('No emojis please');
    expect((await testApp.app.repos.settings.get(SETTINGS.avoidNotes))?.notes.map((n) => n.text)).toEqual(['Avoid hype words', 'No emojis']);
  });

  it('GIVEN notes and a published draft THEN /voice show lists the notes with ids and the example; forget (autocompleted) removes a note, audited, and the next condensing does not bring it back', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 4, 35));
    const driver = await start({}, { clock });
    const testApp = driver.testApp;
    const published = await driver.postDraft(TWEETS[3] as string, 'education');
    await approve(driver, published);
    await reject(driver, await driver.postDraft(TWEETS[0] as string), 'Too much hype');
    fakes.anthropic.queueOutput({ notes: ['Avoid hype words', 'No emojis'] });
    await runVoiceJob(testApp);

    const show = await answer(slash({ subcommand: 'show' }));
    expect(show.ephemeral).toBe(false);
    const body = text(show.embeds);
    expect(body).toContain('`n1` Avoid hype words');
    expect(body).toContain('`n2` No emojis');
    expect(body).toContain(`#${published.draft.id} · education`);
    expect(body).toContain('(built-in)');

    const typed = track(fakes.discord.injectAutocomplete({ name: 'voice', subcommand: 'forget', focused: 'note', value: 'emo' }));
    expect((await fakes.discord.waitForCallback(typed.id)).data?.['choices']).toEqual([{ name: 'n2: No emojis', value: 'n2' }]);
    const all = track(fakes.discord.injectAutocomplete({ name: 'voice', subcommand: 'forget', focused: 'note', value: '' }));
    expect(((await fakes.discord.waitForCallback(all.id)).data?.['choices'] as unknown[]).length).toBe(2);

    const forget = await answer(slash({ subcommand: 'forget', options: { note: 'n2' } }));
    expect(forget.ephemeral).toBe(false);
    expect(text(forget.embeds)).toContain('n2: No emojis');
    expect((await testApp.app.repos.settings.get(SETTINGS.avoidNotes))?.notes.map((n) => n.id)).toEqual(['n1']);
    expect(text((await answer(slash({ subcommand: 'show' }))).embeds)).not.toContain('No emojis');
    // The next draft's learned block (rebuilt after the change, the same day) has it no more.
    const learned = await testApp.app.services.accounts.get('default')!.learnedVoice.current(clock.now());
    expect(learned.avoidNotes.map((n) => n.id)).toEqual(['n1']);
    expect(learned.text).toContain('Avoid hype words');
    expect(learned.text).not.toContain('No emojis');

    // A bad note: a private answer, nothing changed.
    const bad = await answer(slash({ subcommand: 'forget', options: { note: 'n99' } }));
    expect(bad.ephemeral).toBe(true);
    expect(text(bad.embeds)).toContain('no such avoid note');

    await reject(driver, await driver.postDraft(TWEETS[1] as string), 'Emojis again');
    clock.advance(24 * HOUR);
    fakes.anthropic.queueOutput({ notes: ['Avoid hype words', 'No emojis', 'Avoid slang'] });
    await runVoiceJob(testApp);
    expect(userTextOf(condensingRequests().at(-1)!)).toMatch(/<forgotten_notes>[\s\S]*No emojis[\s\S]*<\/forgotten_notes>/);
    expect((await testApp.app.repos.settings.get(SETTINGS.avoidNotes))?.notes.map((n) => [n.id, n.text])).toEqual([
      ['n1', 'Avoid hype words'],
      ['n3', 'Avoid slang'],
    ]);
    expect((await auditRows(testApp)).map((r) => [r.action, r.outcome, r.detail, r.actorId])).toEqual([
      ['voice_forget', 'applied', 'n2: No emojis', fakes.discord.userIds.moderator],
      ['voice_forget', 'refused', 'n99: no such avoid note; pick one from the list', fakes.discord.userIds.moderator],
    ]);
  });

  it('GIVEN published, rejected and flagged drafts THEN unpin takes a draft out of the examples and pin puts it back; an unpublished or flagged draft is refused privately; every change is audited', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 4, 35));
    const driver = await start({}, { clock });
    const testApp = driver.testApp;
    const good = await driver.postDraft(TWEETS[0] as string, 'education');
    await approve(driver, good);
    const flagged = await driver.postDraft(FLAGGED, 'education');
    expect(flagged.draft.riskFlags.length).toBeGreaterThan(0);
    await approve(driver, flagged);
    const rejected = await driver.postDraft(TWEETS[1] as string, 'education');
    await reject(driver, rejected, 'Not today');
    // The learned block is built once a day (the first draft built today's, before anything was published): the next day's shows them.
    clock.advance(24 * HOUR);

    const examples = async () => (await answer(slash({ subcommand: 'show' }))).embeds[0]?.fields?.find((f) => f.name.startsWith('Examples'))?.value ?? '';
    expect(await examples()).toContain(`#${good.draft.id} ·`);
    expect(await examples()).not.toContain(`#${flagged.draft.id} ·`);

    const unpin = await answer(slash({ subcommand: 'unpin', options: { draft: good.draft.id } }));
    expect(unpin.ephemeral).toBe(false);
    expect(text(unpin.embeds)).toContain('kept out of the examples');
    expect(await examples()).not.toContain(`#${good.draft.id} ·`);

    const pin = await answer(slash({ subcommand: 'pin', options: { draft: good.draft.id } }));
    expect(text(pin.embeds)).toContain('pinned in the examples');
    expect(await examples()).toContain(`#${good.draft.id} ·`);

    for (const id of [rejected.draft.id, flagged.draft.id, 999_999]) {
      const refused = await answer(slash({ subcommand: 'pin', options: { draft: id } }));
      expect(refused.ephemeral).toBe(true);
      expect(text(refused.embeds)).toContain('Nothing was changed');
    }
    expect(await examples()).not.toContain(`#${flagged.draft.id} ·`);

    expect((await auditRows(testApp)).map((r) => [r.action, r.outcome, r.draftId])).toEqual([
      ['voice_unpin', 'applied', good.draft.id],
      ['voice_pin', 'applied', good.draft.id],
      ['voice_pin', 'refused', rejected.draft.id],
      ['voice_pin', 'refused', flagged.draft.id],
      ['voice_pin', 'refused', null],
    ]);
  });

  it('GIVEN a plain member THEN every /voice subcommand is refused privately and audited, nothing changes, and the note autocomplete offers them nothing', async () => {
    const driver = await start();
    const testApp = driver.testApp;
    const good = await driver.postDraft(TWEETS[0] as string, 'education');
    await approve(driver, good);
    await testApp.app.repos.settings.set(
      SETTINGS.avoidNotes,
      { notes: [{ id: 'n1', text: 'Avoid hype words', createdAt: 1 }], forgotten: [], lastFeedbackId: 0, condensedAt: 1, nextNoteId: 2 },
      1,
    );
    const plain = fakes.discord.userIds.plain;
    const uses: Array<{ subcommand: string; options?: Record<string, string | number> }> = [
      { subcommand: 'show' },
      { subcommand: 'forget', options: { note: 'n1' } },
      { subcommand: 'pin', options: { draft: good.draft.id } },
      { subcommand: 'unpin', options: { draft: good.draft.id } },
    ];
    for (const use of uses) {
      const refused = await answer(slash({ ...use, userId: plain }));
      expect(refused.ephemeral).toBe(true);
      expect(text(refused.embeds)).toContain(`Only moderators can do that: /voice ${use.subcommand}`);
    }
    const typed = track(fakes.discord.injectAutocomplete({ name: 'voice', subcommand: 'forget', focused: 'note', value: '', userId: plain }));
    expect((await fakes.discord.waitForCallback(typed.id)).data?.['choices']).toEqual([]);

    expect((await testApp.app.repos.settings.get(SETTINGS.avoidNotes))?.notes).toHaveLength(1);
    expect((await testApp.app.repos.learning.pinned()).length).toBe(0);
    expect((await auditRows(testApp)).map((r) => [r.action, r.outcome, r.actorId])).toEqual(
      uses.map((use) => [`/voice ${use.subcommand}`, 'refused_not_moderator', plain]),
    );
  });

  it('GIVEN LEARNING_MODEL THEN the condensing asks that model; GIVEN LEARNING=off THEN the daily job condenses nothing, whatever the feedback', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 4, 35));
    const custom = await start({ LEARNING_MODEL: 'claude-haiku-custom' }, { clock });
    await reject(custom, await custom.postDraft(TWEETS[0] as string), 'Too much hype');
    fakes.anthropic.queueOutput({ notes: ['Avoid hype words'] });
    expect(await runVoiceJob(custom.testApp)).toMatchObject({ outcome: 'ok' });
    expect(fakes.anthropic.messageBodies.at(-1)?.model).toBe('claude-haiku-custom');
    await custom.testApp.stop();

    const off = await start({ LEARNING: 'off' }, { clock });
    await reject(off, await off.postDraft(TWEETS[1] as string), 'Way too long');
    const requests = fakes.anthropic.messageBodies.length;
    expect(await runVoiceJob(off.testApp)).toMatchObject({ outcome: 'skipped', detail: { code: 'learning_off' } });
    expect(fakes.anthropic.messageBodies).toHaveLength(requests);
    expect(await off.testApp.app.repos.settings.get(SETTINGS.avoidNotes)).toBeNull();
  });
  it("GIVEN two accounts WHEN each rejects with its own reason THEN each account's daily job condenses only its own feedback, and /voice shows and autocompletes only the account of the channel, and refuses another account's draft number", async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 4, 35));
    const channels = { alpha: fakes.discord.addChannel('alpha-moderation'), beta: fakes.discord.addChannel('beta-moderation') };
    const dir = harness.tempDir();
    const file = join(dir, 'accounts.yaml');
    writeFileSync(
      file,
      [
        'accounts:',
        ...Object.entries(channels).flatMap(([id, channel]) => [`  - id: ${id}`, `    moderationChannelId: "${channel}"`, '    dryRun: true']),
      ].join('\n') + '\n',
    );
    const testApp = await harness.start({ ACCOUNTS_FILE: file }, { dataDir: dir, clock });
    const driver = new ModerationDriver(fakes, testApp);
    const draftIds: Record<string, number> = {};
    for (const [id, reason] of [
      ['alpha', 'Alpha: too much hype'],
      ['beta', 'Beta: far too long'],
    ] as const) {
      fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEETS[0] } });
      const outcome = await testApp.app.services.accounts.get(id)!.moderation.generateAndPostDraft({ trigger: 'command', topicName: 'education' });
      if (outcome.status !== 'created' || !outcome.card) throw new Error(`no ${id} draft`);
      draftIds[id] = outcome.draft.id;
      await reject(driver, { draft: outcome.draft, messageId: outcome.card.messageId }, reason);
    }
    // Another account's draft number is not this account's: refused privately, nothing pinned there.
    const foreign = await answer(slash({ subcommand: 'unpin', options: { draft: draftIds['alpha']! }, channelId: channels.beta }));
    expect(foreign.ephemeral).toBe(true);
    expect(text(foreign.embeds)).toContain(`draft #${draftIds['alpha']}: not a decided draft of this account. Nothing was changed.`);
    expect((await testApp.app.services.accounts.get('alpha')!.repos.learning.findByDraft(draftIds['alpha']!))?.pin).toBeNull();

    fakes.anthropic.queueOutput({ notes: ['Avoid hype words'] });
    expect(await testApp.app.scheduler.runNow(JOB_NAMES.voiceNotes('alpha'))).toMatchObject({ outcome: 'ok' });
    const alphaText = userTextOf(condensingRequests()[0]!);
    expect(alphaText).toContain('Alpha: too much hype');
    expect(alphaText).not.toContain('Beta');

    const typed = track(fakes.discord.injectAutocomplete({ name: 'voice', subcommand: 'forget', focused: 'note', value: '', channelId: channels.alpha }));
    expect((await fakes.discord.waitForCallback(typed.id)).data?.['choices']).toEqual([{ name: 'n1: Avoid hype words', value: 'n1' }]);
    const elsewhere = track(fakes.discord.injectAutocomplete({ name: 'voice', subcommand: 'forget', focused: 'note', value: '', channelId: channels.beta }));
    expect((await fakes.discord.waitForCallback(elsewhere.id)).data?.['choices']).toEqual([]);
    expect(text((await answer(slash({ subcommand: 'show', channelId: channels.beta }))).embeds)).toContain('None yet');
    expect(text((await answer(slash({ subcommand: 'show', channelId: channels.alpha }))).embeds)).toContain('`n1` Avoid hype words');

    fakes.anthropic.queueOutput({ notes: ['Keep it short'] });
    expect(await testApp.app.scheduler.runNow(JOB_NAMES.voiceNotes('beta'))).toMatchObject({ outcome: 'ok' });
    const betaText = userTextOf(condensingRequests()[1]!);
    expect(betaText).toContain('Beta: far too long');
    expect(betaText).not.toContain('Alpha');
    expect(betaText).not.toContain('Avoid hype words');
  });
});
