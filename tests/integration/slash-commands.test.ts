import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ApplicationCommandOptionType, InteractionResponseType, MessageFlags, PermissionFlagsBits, REST, type SlashCommandBuilder } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import { commands } from '../../commands/index.js';
import { humanDuration } from '../../src/adapters/discord/command-replies.js';
import { registerGuildCommands } from '../../src/adapters/discord/command-router.js';
import { readAppVersion } from '../../src/config/version.js';
import type { InjectedInteraction, RecordedCallback } from '../support/fake-discord.js';
import type { RecordedRequest } from '../support/fake-http.js';
import { expectCleanDiscordTraffic, useAppHarness } from '../support/app-harness.js';
import { ModerationDriver } from '../support/moderation-driver.js';
import { loadSpecValidator } from '../support/spec-validator.js';
import { fakeEnvironment, ManualClock, withAppDatabase, type Fakes, type TestApp } from '../support/test-app.js';
import { loadConfig } from '../../src/config/index.js';
import { createRepositories } from '../../src/db/index.js';
import { onPostgres } from '../support/postgres.js';
import { SETTINGS } from '../../src/services/settings-keys.js';
import { PAUSE_HOLD_REASON, resumeSpacingMs } from '../../src/domain/schedule.js';
import { CONTENT_TYPE_LABELS, CONTENT_TYPES } from '../../src/domain/content-types.js';

const SAFE_TWEET = 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.';
const OTHER_TWEET = 'Your wallet seed phrase is the only key to your funds. No support agent, bot or moderator will ever need it. Never share it.';
const MANAGE_GUILD = Number(PermissionFlagsBits.ManageGuild);
const HOUR = 3_600_000;

type Json = Record<string, unknown>;
interface Embed {
  title?: string;
  description?: string;
  fields?: Array<{ name: string; value: string }>;
  image?: { url: string };
}

describe('slash commands through the Discord fake (real discord.js, real app)', () => {
  const harness = useAppHarness();
  let fakes: Fakes;
  beforeEach(() => {
    fakes = harness.fakes;
  });
  // Every test's traffic: no message could ping anyone, and every request matched Discord's spec.
  afterEach(async () => {
    await expectCleanDiscordTraffic(fakes);
  });

  function start(env: Record<string, string> = {}, options: { dataDir?: string; clock?: ManualClock } = {}): Promise<TestApp> {
    return harness.start(env, options);
  }

  function slash(name: string, input: { options?: Record<string, string | number>; subcommand?: string; userId?: string } = {}): InjectedInteraction {
    return harness.track(fakes.discord.injectSlashCommand({ name, ...input }));
  }

  /** The final answer: the reply itself, or the edit of a deferred reply. */
  async function answer(interaction: InjectedInteraction): Promise<{ callback: RecordedCallback; embeds: Embed[]; ephemeral: boolean; payload: Json }> {
    const callback = await fakes.discord.waitForCallback(interaction.id);
    if (callback.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      const edited = await waitFor(() => {
        const message = fakes.discord.originalResponse(interaction.id);
        return message && (message.flags & MessageFlags.Loading) === 0 ? message : undefined;
      });
      const payloads = fakes.discord.messagePayloads(edited.id);
      return {
        callback,
        embeds: edited.embeds as Embed[],
        ephemeral: (edited.flags & MessageFlags.Ephemeral) !== 0,
        payload: payloads[payloads.length - 1] ?? {},
      };
    }
    const data = callback.data ?? {};
    return { callback, embeds: (data['embeds'] as Embed[]) ?? [], ephemeral: (Number(data['flags'] ?? 0) & MessageFlags.Ephemeral) !== 0, payload: data };
  }

  const text = (embeds: Embed[]) => embeds.map((e) => [e.title, e.description, ...(e.fields ?? []).flatMap((f) => [f.name, f.value])].join('\n')).join('\n');

  it("GIVEN the app starts THEN it bulk-overwrites the guild commands with a body Discord's spec accepts, and the names and options are the contract", async () => {
    await start();
    const puts = fakes.discord.requestsTo('PUT', `/api/v10/applications/${fakes.discord.applicationId}/guilds/${fakes.discord.guildId}/commands`);
    expect(puts).toHaveLength(1);
    const validator = await loadSpecValidator('discord');
    expect(validator.validate(puts[0] as RecordedRequest)).toEqual([]);

    const body = (puts[0] as RecordedRequest).body as Json[];
    const byName = new Map(body.map((c) => [c['name'] as string, c]));
    expect([...byName.keys()].sort()).toEqual(['backup', 'draft', 'pause', 'queue', 'ratelimit', 'resume', 'stats', 'status', 'topics', 'voice']);
    // State-changing commands default to Manage Guild; read-only ones are open.
    for (const name of ['pause', 'resume', 'draft', 'topics', 'backup', 'voice']) expect(byName.get(name)?.['default_member_permissions']).toBe(MANAGE_GUILD);
    // /queue lists for anyone; its actions are guarded per component (moderators of the account).
    for (const name of ['status', 'stats', 'ratelimit', 'queue']) expect(byName.get(name)?.['default_member_permissions'] ?? null).toBeNull();

    const option = (command: string, name: string, sub?: string) => {
      let options = (byName.get(command)?.['options'] as Json[]) ?? [];
      if (sub) options = (options.find((o) => o['name'] === sub)?.['options'] as Json[]) ?? [];
      return options.find((o) => o['name'] === name);
    };
    expect(option('pause', 'reason')).toMatchObject({ type: ApplicationCommandOptionType.String, required: false });
    // Issue 13: what a pause holds, and what a resume releases.
    for (const command of ['pause', 'resume']) {
      expect(option(command, 'scope')).toMatchObject({
        type: ApplicationCommandOptionType.String,
        required: false,
        choices: ['all', 'generation', 'publishing'].map((s) => ({ name: s, value: s })),
      });
    }
    expect(option('draft', 'topic')).toMatchObject({ type: ApplicationCommandOptionType.String, required: false, autocomplete: true });
    // Issue 14: the moderator's content type, and an image the post is about.
    expect(option('draft', 'type')).toMatchObject({
      type: ApplicationCommandOptionType.String,
      required: false,
      choices: CONTENT_TYPES.map((value) => ({ name: CONTENT_TYPE_LABELS[value], value })),
    });
    expect(option('draft', 'image')).toMatchObject({ type: ApplicationCommandOptionType.Attachment, required: false });
    expect(option('draft', 'alt')).toMatchObject({ type: ApplicationCommandOptionType.String, required: false, max_length: 1000 });
    expect(option('stats', 'period')).toMatchObject({
      type: ApplicationCommandOptionType.String,
      choices: ['24h', '7d', '30d', 'all'].map((p) => ({ name: p, value: p })),
    });
    // Issue 15 §5: the learning view; the overview stays the default.
    expect(option('stats', 'view')).toMatchObject({
      type: ApplicationCommandOptionType.String,
      required: false,
      choices: ['overview', 'learning'].map((v) => ({ name: v, value: v })),
    });
    const subcommands = ((byName.get('topics')?.['options'] as Json[]) ?? []).map((o) => [o['name'], o['type']]);
    expect(subcommands).toEqual(['list', 'set', 'enable', 'disable', 'reset-learning'].map((n) => [n, ApplicationCommandOptionType.Subcommand]));
    expect(option('topics', 'weight', 'set')).toMatchObject({ type: ApplicationCommandOptionType.Integer, min_value: 0, max_value: 100, required: true });
    for (const sub of ['set', 'enable', 'disable']) expect(option('topics', 'topic', sub)).toMatchObject({ autocomplete: true, required: true });
    // Issue 15: /voice show|forget|pin|unpin; forget's note autocompletes, pin and unpin take a draft number.
    expect(((byName.get('voice')?.['options'] as Json[]) ?? []).map((o) => o['name'])).toEqual(['show', 'forget', 'pin', 'unpin']);
    expect(option('voice', 'note', 'forget')).toMatchObject({ type: ApplicationCommandOptionType.String, autocomplete: true, required: true });
    for (const sub of ['pin', 'unpin'])
      expect(option('voice', 'draft', sub)).toMatchObject({ type: ApplicationCommandOptionType.Integer, min_value: 1, required: true });
    // The fake stored exactly what the bot registered.
    expect(fakes.discord.commands.map((c) => c.name).sort()).toEqual([...byName.keys()].sort());
  });

  describe('registration skipped while the commands are unchanged (issue 16 §3)', () => {
    const commandPuts = () => fakes.discord.requestsTo('PUT', `/api/v10/applications/${fakes.discord.applicationId}/guilds/${fakes.discord.guildId}/commands`);
    const registrationLine = (testApp: TestApp) => testApp.logs.find((line) => String(line['message']).startsWith('slash commands '));

    /** Starts on `dataDir`, then stops: one start of the bot, as a restart would be. */
    async function startOnce(dataDir: string, env: Record<string, string> = {}): Promise<TestApp> {
      const testApp = await start(env, { dataDir });
      await testApp.stop();
      return testApp;
    }

    it('GIVEN a start registered the commands WHEN the bot restarts with the same commands THEN it sends no PUT, and the commands still answer', async () => {
      const dataDir = harness.tempDir();
      const first = await startOnce(dataDir);
      expect(commandPuts()).toHaveLength(1);
      expect(registrationLine(first)).toMatchObject({ message: 'slash commands registered', forced: false });

      const second = await start({}, { dataDir });
      expect(commandPuts()).toHaveLength(1);
      expect(registrationLine(second)).toMatchObject({ message: 'slash commands unchanged since the last registration: not registering them again' });
      // Discord kept the last registration: the commands are there and answer.
      expect(fakes.discord.commands.map((c) => c.name).sort()).toEqual(commands.map((c) => c.data.name).sort());
      const reply = await answer(slash('status'));
      expect(reply.embeds.length).toBeGreaterThan(0);
    });

    it('GIVEN a registered start WHEN a command definition changes THEN the next start registers the new body, and the one after skips again', async () => {
      const dataDir = harness.tempDir();
      await startOnce(dataDir);
      // The command's own builder, changed in place as an edit of commands/status.ts would.
      const status = commands.find((c) => c.data.name === 'status')!.data as unknown as SlashCommandBuilder;
      const description = status.description;
      status.setDescription(`${description} (changed)`);
      try {
        await startOnce(dataDir);
        const puts = commandPuts();
        expect(puts).toHaveLength(2);
        const body = (puts[1] as RecordedRequest).body as Json[];
        expect(body.find((c) => c['name'] === 'status')?.['description']).toBe(`${description} (changed)`);
        await startOnce(dataDir);
        expect(commandPuts()).toHaveLength(2);
      } finally {
        status.setDescription(description);
      }
      // Back to the original definition: a change again.
      await startOnce(dataDir);
      expect(commandPuts()).toHaveLength(3);
    });

    it('GIVEN unchanged commands WHEN the start is forced (DISCORD_FORCE_REGISTER, as --force-register) THEN it registers anyway', async () => {
      const dataDir = harness.tempDir();
      await startOnce(dataDir);
      const forced = await startOnce(dataDir, { DISCORD_FORCE_REGISTER: 'true' });
      expect(commandPuts()).toHaveLength(2);
      expect(registrationLine(forced)).toMatchObject({ message: 'slash commands registered', forced: true });
    });

    it('GIVEN the PUT of a first start fails THEN no hash is stored and the next start registers', async () => {
      const dataDir = harness.tempDir();
      fakes.discord.injectFault(
        { method: 'PUT', path: `/applications/${fakes.discord.applicationId}/guilds/${fakes.discord.guildId}/commands` },
        { status: 400, body: { code: 50035, message: 'Invalid Form Body' } },
      );
      await expect(start({}, { dataDir })).rejects.toThrow();
      expect(commandPuts()).toHaveLength(1);
      const stored = await withAppDatabase(loadConfig(fakeEnvironment(fakes, dataDir)), (dataSource) =>
        createRepositories(dataSource).botSettings.get(SETTINGS.commandRegistration),
      );
      expect(stored).toBeNull();

      await startOnce(dataDir);
      expect(commandPuts()).toHaveLength(2);
      expect(fakes.discord.commands.map((c) => c.name).sort()).toEqual(commands.map((c) => c.data.name).sort());
    });
  });

  it("GIVEN the register script's path (REST only, no gateway) THEN the same bulk overwrite is sent and accepted", async () => {
    const rest = new REST({ api: fakes.discord.apiBase }).setToken(fakes.discord.botToken);
    const registered = await registerGuildCommands(rest, fakes.discord.applicationId, fakes.discord.guildId, commands);
    expect(registered.map((c) => c.name)).toEqual(['status', 'pause', 'resume', 'draft', 'stats', 'topics', 'ratelimit', 'queue', 'backup', 'voice']);
    const validator = await loadSpecValidator('discord');
    const put = fakes.discord.requestsTo('PUT', `/api/v10/applications/${fakes.discord.applicationId}/guilds/${fakes.discord.guildId}/commands`)[0];
    expect(validator.validate(put as RecordedRequest)).toEqual([]);
  });

  it('GIVEN a pending draft and a publication THEN /status shows running, the next run, the draft with its deadline, the last publish, DRY RUN, version and uptime', async () => {
    const clock = new ManualClock();
    const testApp = await start({}, { clock });
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    const generated = await testApp.app.services.moderation.generateAndPostDraft({ trigger: 'command', topicName: 'education' });
    expect(generated.status).toBe('created');
    if (generated.status !== 'created') return;
    await testApp.app.repos.posts.recordPosted({
      draftId: generated.draft.id,
      tweetId: 'dryrun-99-1',
      content: OTHER_TWEET,
      contentType: 'education',
      isThread: false,
      threadId: null,
      threadPosition: 0,
      dryRun: true,
      postedAt: clock.now() - HOUR,
    });
    clock.advance(90 * 60_000 + 5_000);

    const reply = await answer(slash('status', { userId: fakes.discord.userIds.plain }));
    expect(reply.callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(reply.ephemeral).toBe(false);
    expect(reply.payload['allowed_mentions']).toEqual({ parse: [] });
    const [embed] = reply.embeds;
    expect(embed?.title).toBe('draftgate status · DRY RUN');
    const body = text(reply.embeds);
    expect(body).toContain('▶️ **Running**');
    expect(body).toContain('DRY RUN');
    const nextRunAt = (await testApp.app.scheduler.status()).nextRunAt as number;
    expect(body).toContain(`<t:${Math.floor(nextRunAt / 1000)}:f>`);
    expect(body).toContain('Pending drafts (1/3)');
    expect(body).toContain(`#${generated.draft.id} education · due <t:${Math.floor((generated.draft.deadlineAt as number) / 1000)}:R>`);
    expect(body).toContain(`<t:${Math.floor((clock.now() - 90 * 60_000 - 5_000 - HOUR) / 1000)}:f>`);
    expect(body).toContain(`v${readAppVersion()}`);
    expect(readAppVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(embed?.fields?.find((f) => f.name === 'Uptime')?.value).toBe('1h 30m');
    // Issue 12: which instance answered, in which term, and whether it keeps its lease.
    // (A renewal may land between the reply and this line, so the time is matched loosely.)
    expect(embed?.fields?.find((f) => f.name === 'Instance')?.value).toMatch(/^active · epoch 1 · lease renewed <t:\d+:R>$/);
  });

  it('GIVEN eight pending drafts with cards THEN /status lists as many as fit a field (Discord allows 1,024 characters) and counts the rest, instead of failing', async () => {
    const testApp = await start({ MAX_PENDING_DRAFTS: '10' });
    const driver = new ModerationDriver(fakes, testApp);
    const texts = [
      'Bonding curves price each buy a little higher than the last one.',
      'Never share your seed phrase: no support agent will ever ask for it.',
      'A rug pull drains liquidity in one block; check who holds the supply.',
      'Slippage is the price you accept for speed when a pool is thin.',
      'Read the contract before you ape: renounced ownership is not a guarantee.',
      'Gas spikes at launch; a failed transaction still costs you the fee.',
      'Volume without holders is wash trading until proven otherwise.',
      'Take profits in steps; nobody sells the exact top on purpose.',
    ];
    for (const text of texts) await driver.postDraft(text);
    const reply = await answer(slash('status'));
    const field = reply.embeds[0]?.fields?.find((f) => f.name.startsWith('Pending drafts'));
    expect(field?.name).toBe('Pending drafts (8/10)');
    expect(field!.value.length).toBeLessThanOrEqual(1_024);
    const listed = field!.value.split('\n').filter((line) => line.startsWith('#')).length;
    expect(listed).toBeGreaterThan(0);
    if (listed < 8) expect(field!.value).toContain(`…and ${8 - listed} more`);
  });

  it('GIVEN a plain member WHEN they use /pause, /resume, /draft or /topics set THEN each is refused ephemerally, audited, and nothing changes', async () => {
    const testApp = await start();
    const plain = fakes.discord.userIds.plain;
    const refusals = [
      slash('pause', { userId: plain, options: { reason: 'just because' } }),
      slash('resume', { userId: plain }),
      slash('draft', { userId: plain }),
      slash('topics', { userId: plain, subcommand: 'set', options: { topic: 'education', weight: 99 } }),
    ];
    for (const interaction of refusals) {
      const reply = await answer(interaction);
      expect(reply.embeds.length).toBeGreaterThan(0);
      expect(text(reply.embeds)).toMatch(/Only moderators can do that: \/(pause|resume|draft|topics set) is limited to members with the <@&\d+> role\./);
      expect(reply.payload['allowed_mentions']).toEqual({ parse: [] });
    }
    expect(await testApp.app.repos.settings.get(SETTINGS.pause)).toBeNull();
    expect((await testApp.app.repos.topics.findByName('education'))?.weight).not.toBe(99);
    expect(fakes.anthropic.messageBodies).toHaveLength(0);
    const audit = await auditRows(testApp);
    expect(audit.filter((r) => r.outcome === 'refused_not_moderator').map((r) => [r.action, r.actor.id])).toEqual([
      ['/pause', plain],
      ['/resume', plain],
      ['/draft', plain],
      ['/topics set', plain],
    ]);
  });

  it('GIVEN a plain member WHEN they use /topics list or autocomplete a guarded command THEN they are answered and nothing is refused or audited', async () => {
    const testApp = await start();
    const plain = fakes.discord.userIds.plain;
    const list = await answer(slash('topics', { userId: plain, subcommand: 'list' }));
    expect(list.embeds[0]?.title).toBe('Topics (7 of 7 enabled)');
    const typed = harness.track(fakes.discord.injectAutocomplete({ name: 'topics', subcommand: 'set', focused: 'topic', value: 'ed', userId: plain }));
    expect((await fakes.discord.waitForCallback(typed.id)).data?.['choices']).toEqual([{ name: 'education', value: 'education' }]);
    expect(await auditRows(testApp)).toEqual([]);
  });

  it('GIVEN /pause by a moderator WHEN the bot restarts THEN it is still paused (who, since, why), scheduled runs are skipped, and /resume restarts them', async () => {
    const clock = new ManualClock();
    const first = await start({}, { clock });
    const pausedAt = clock.now();
    const pause = await answer(slash('pause', { options: { reason: 'launch week freeze' } }));
    expect(pause.ephemeral).toBe(false);
    expect(text(pause.embeds)).toContain('⏸️ Posting paused');
    expect(text(pause.embeds)).toContain('launch week freeze');
    // Announced in the moderation channel too.
    const announcement = await fakes.discord.waitForMessage(
      (m) => (m.embeds[0] as Embed | undefined)?.title === '⏸️ Posting paused' && !m['interaction_metadata'],
    );
    expect(announcement.channel_id).toBe(fakes.discord.channelId);
    expect((announcement.embeds[0] as Embed).description).toContain('launch week freeze');
    await first.stop();

    clock.advance(3 * HOUR);
    const second = await start({}, { dataDir: first.dataDir, clock });
    const status = await answer(slash('status'));
    const body = text(status.embeds);
    expect(body).toContain('⏸️ **Paused** by');
    expect(body).toContain(`since <t:${Math.floor(pausedAt / 1000)}:f>`);
    expect(body).toContain('Reason: launch week freeze');
    expect(body).toContain('(skipped while paused)');
    // The run planned for 14:00 (+ jitter) fell in the 3 hours the bot was down: reported, not replayed.
    expect(body).toContain('1 scheduled run passed while the bot was down');
    expect(fakes.anthropic.messageBodies).toHaveLength(0);

    clock.set(second.app.scheduler.postJob().nextRunAt as number);
    const run = await second.app.scheduler.runDue();
    expect(run['post:default']).toMatchObject({ outcome: 'skipped', detail: { code: 'paused' } });
    expect(fakes.anthropic.messageBodies).toHaveLength(0);

    const resume = await answer(slash('resume'));
    expect(text(resume.embeds)).toContain('▶️ Posting resumed');
    expect(text(resume.embeds)).toContain(`after ${humanDuration(clock.now() - pausedAt)} paused by`);
    expect(await second.app.repos.settings.get(SETTINGS.pause)).toBeNull();
    const again = await answer(slash('resume'));
    expect(again.ephemeral).toBe(true);
    expect(text(again.embeds)).toContain('Posting is already running');

    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    clock.set(second.app.scheduler.postJob().nextRunAt as number);
    expect((await second.app.scheduler.runDue())['post:default']?.outcome).toBe('ok');
    expect((await second.app.repos.drafts.countByStatus()).pending).toBe(1);
    const audit = (await auditRows(second)).map((r) => `${r.action}:${r.outcome}`);
    expect(audit).toEqual(expect.arrayContaining(['pause:paused', 'resume:resumed', 'resume:not_paused']));
  });

  it('GIVEN TIMEOUT_ACTION=publish and /pause THEN an overdue draft is held, an explicit Approve is recorded but its draft waits (issue 13: nothing goes to X), and /resume releases both', async () => {
    const clock = new ManualClock();
    const testApp = await start({ TIMEOUT_ACTION: 'publish' }, { clock });
    const driver = new ModerationDriver(fakes, testApp);
    const held = await driver.postDraft(SAFE_TWEET);
    const approved = await driver.postDraft(OTHER_TWEET, 'safety');
    await answer(slash('pause', { options: { reason: 'incident' } }));

    clock.advance(3 * HOUR);
    await testApp.app.services.deadlines.runNow();
    expect(await testApp.app.services.moderation.sweepOverdue()).toMatchObject({ status: 'held' });
    expect(await testApp.app.scheduler.job('timeout-sweep')?.trigger('manual')).toMatchObject({ outcome: 'skipped', detail: { code: 'paused' } });
    expect((await testApp.app.repos.drafts.findById(held.draft.id))?.status).toBe('pending');

    const click = driver.click(approved, 'approve', approved.draft.id, 1);
    harness.track(click);
    // The decision is recorded; the draft waits, queued, and says why.
    await expect.poll(async () => (await testApp.app.repos.drafts.findById(approved.draft.id))?.queueReason).toBe(PAUSE_HOLD_REASON);
    expect((await testApp.app.repos.drafts.findById(approved.draft.id))?.status).toBe('approved');
    expect((await testApp.app.repos.drafts.findById(held.draft.id))?.status).toBe('pending');

    // /resume first lets the deadline approve the overdue draft (still held), then spreads both, oldest decision first.
    clock.advance(60_000);
    await answer(slash('resume'));
    await expect.poll(async () => (await testApp.app.repos.drafts.findById(approved.draft.id))?.status, { timeout: 10_000 }).toBe('published');
    // MAX_POSTS_PER_HOUR spaces what /resume releases: the overdue draft goes out after the spacing.
    expect(await testApp.app.repos.drafts.findById(held.draft.id)).toMatchObject({ status: 'approved', notBefore: clock.now() + resumeSpacingMs(2) }); // MAX_POSTS_PER_HOUR defaults to 2
    clock.advance(3 * HOUR);
    // A queue run of its own: the one /resume started may still be updating the first card.
    await expect
      .poll(async () => (await testApp.app.scheduler.runNow(JOB_NAMES.publishQueue))?.reason, { timeout: 10_000 })
      .not.toBe('the previous run is still in progress');
    await expect.poll(async () => (await testApp.app.repos.drafts.findById(held.draft.id))?.status, { timeout: 10_000 }).toBe('published');
    expect((await testApp.app.repos.drafts.findById(held.draft.id))?.decisionSource).toBe('timeout');
  });

  it('GIVEN a timeout-approved draft queued by the hourly cap WHEN /pause and the cap window passes THEN nothing is posted until /resume, then it is posted once (issue 10 item 5)', async () => {
    const clock = new ManualClock();
    const testApp = await start({ DRY_RUN: 'false', TIMEOUT_ACTION: 'publish', MAX_POSTS_PER_HOUR: '1', MODERATION_TIMEOUT: '10m' }, { clock });
    const driver = new ModerationDriver(fakes, testApp);
    const first = await driver.postDraft(SAFE_TWEET);
    const queued = await driver.postDraft(OTHER_TWEET, 'safety');
    harness.track(driver.click(first, 'approve', first.draft.id, 1));
    await expect.poll(async () => (await testApp.app.repos.drafts.findById(first.draft.id))?.status).toBe('published');

    // The deadline approves the second draft; the hourly cap (1) queues it.
    clock.advance(11 * 60_000);
    await testApp.app.services.moderation.sweepOverdue();
    const waiting = (await testApp.app.repos.drafts.findById(queued.draft.id))!;
    expect(waiting).toMatchObject({ status: 'approved', decisionSource: 'timeout' });
    expect(waiting.notBefore).toBeGreaterThan(clock.now());

    const pause = await answer(slash('pause', { options: { reason: 'incident' } }));
    const promise = text(pause.embeds);
    expect(promise).toContain('1 approved draft waiting in the publish queue');
    expect(promise).toContain('Approve or Retry on a card records the decision; the draft waits in the queue');
    const status = text((await answer(slash('status'))).embeds);
    expect(status).toContain('1 approved draft waiting in the publish queue');
    const announcement = await fakes.discord.waitForMessage(
      (m) => (m.embeds[0] as Embed | undefined)?.title === '⏸️ Posting paused' && !m['interaction_metadata'],
    );
    expect((announcement.embeds[0] as Embed).description).toContain('the publish queue and the scheduled slots (approved drafts stay approved)');
    expect((announcement.embeds[0] as Embed).description).toContain('an Approve or Retry (the decision is recorded, the draft waits)');

    // The cap window passes while paused: the queue must hold the draft.
    clock.advance(2 * HOUR);
    const runs = await testApp.app.scheduler.runDue();
    expect(runs['publish-queue']).toMatchObject({ outcome: 'skipped', detail: { code: 'paused' } });
    expect((await testApp.app.repos.drafts.findById(queued.draft.id))?.status).toBe('approved');
    const postsOf = (t: string) => fakes.x.requestsTo('POST', '/2/tweets').filter((r) => (r.body as { text?: string }).text === t);
    expect(postsOf(OTHER_TWEET)).toHaveLength(0);

    // /resume runs the queue at once, without waiting for its next tick.
    await answer(slash('resume'));
    await expect.poll(async () => (await testApp.app.repos.drafts.findById(queued.draft.id))?.status).toBe('published');
    expect(postsOf(OTHER_TWEET)).toHaveLength(1);
    expect(fakes.x.tweets.filter((t) => t.text === OTHER_TWEET)).toHaveLength(1);
  });

  it('GIVEN two queued drafts and a publish-queue run posting the first WHEN /pause lands while that POST is in flight THEN the run stops there: the second stays approved and is posted only after /resume (issue 10 item 5)', async () => {
    const clock = new ManualClock();
    const testApp = await start({ DRY_RUN: 'false' }, { clock });
    const driver = new ModerationDriver(fakes, testApp);
    const drafts = testApp.app.repos.drafts;
    const cards = [await driver.postDraft(SAFE_TWEET), await driver.postDraft(OTHER_TWEET, 'safety')];
    for (const card of cards) {
      await drafts.decide(card.draft.id, 1, { to: 'approved', actor: { id: '1', name: 'mod' }, source: 'moderator' }, clock.now());
      await testApp.app.repos.publications.deferApproved(card.draft.id, clock.now() + 60_000, 'waiting for the hourly cap', clock.now());
    }
    clock.advance(2 * 60_000);
    const slow = fakes.x.hold();
    const run = testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    await fakes.x.http.waitForRequest((r) => r.method === 'POST' && r.path.endsWith('/2/tweets'), 5_000);

    await answer(slash('pause', { options: { reason: 'incident' } }));
    slow.release();
    await run;

    const postsOf = (t: string) => fakes.x.requestsTo('POST', '/2/tweets').filter((r) => (r.body as { text?: string }).text === t);
    expect(postsOf(SAFE_TWEET)).toHaveLength(1); // already at X when /pause came
    expect(postsOf(OTHER_TWEET)).toHaveLength(0);
    expect((await drafts.findById(cards[1]!.draft.id))?.status).toBe('approved');

    await answer(slash('resume'));
    await expect.poll(async () => (await drafts.findById(cards[1]!.draft.id))?.status).toBe('published');
    expect(fakes.x.tweets.filter((t) => t.text === OTHER_TWEET)).toHaveLength(1);
    expect(fakes.x.tweets.filter((t) => t.text === SAFE_TWEET)).toHaveLength(1);
  });

  it('GIVEN TIMEOUT_ACTION=publish and two overdue drafts WHEN /pause lands while the sweep posts the first THEN the second is neither approved nor posted until /resume (issue 10 item 5)', async () => {
    const clock = new ManualClock();
    const testApp = await start({ DRY_RUN: 'false', TIMEOUT_ACTION: 'publish', MODERATION_TIMEOUT: '10m' }, { clock });
    const driver = new ModerationDriver(fakes, testApp);
    const drafts = testApp.app.repos.drafts;
    const first = await driver.postDraft(SAFE_TWEET);
    const second = await driver.postDraft(OTHER_TWEET, 'safety');
    clock.advance(11 * 60_000);
    const slow = fakes.x.hold();
    const sweep = testApp.app.services.moderation.sweepOverdue();
    await fakes.x.http.waitForRequest((r) => r.method === 'POST' && r.path.endsWith('/2/tweets'), 5_000);

    await answer(slash('pause', { options: { reason: 'incident' } }));
    slow.release();
    await sweep;

    const postsOf = (t: string) => fakes.x.requestsTo('POST', '/2/tweets').filter((r) => (r.body as { text?: string }).text === t);
    expect(postsOf(SAFE_TWEET)).toHaveLength(1); // already at X when /pause came
    expect((await drafts.findById(first.draft.id))?.status).toBe('published');
    expect(postsOf(OTHER_TWEET)).toHaveLength(0);
    expect((await drafts.findById(second.draft.id))?.status).toBe('pending');

    await answer(slash('resume'));
    await expect.poll(async () => (await drafts.findById(second.draft.id))?.status).toBe('published');
    expect(fakes.x.tweets.filter((t) => t.text === OTHER_TWEET)).toHaveLength(1);
  });

  it('GIVEN /pause and a publication a crash interrupted WHEN the bot restarts THEN it is not resumed until /resume, then it is posted once (issue 10 item 5)', async () => {
    const clock = new ManualClock();
    const first = await start({ DRY_RUN: 'false' }, { clock });
    const driver = new ModerationDriver(fakes, first);
    const card = await driver.postDraft(OTHER_TWEET, 'safety');
    await answer(slash('pause', { options: { reason: 'incident' } }));
    const drafts = first.app.repos.drafts;
    await drafts.decide(card.draft.id, 1, { to: 'approved', actor: { id: '1', name: 'mod' }, source: 'moderator' }, clock.now());
    // A process that crashed right after claiming it: the lease expires while the bot is down.
    await first.app.repos.publications.claimForPublishing(card.draft.id, 'crashed-process', 'attempt-1', clock.now(), 60_000);
    await first.stop();

    clock.advance(HOUR);
    const second = await start({ DRY_RUN: 'false' }, { dataDir: first.dataDir, clock });
    expect((await second.app.repos.drafts.findById(card.draft.id))?.status).toBe('publishing');
    clock.advance(60_000);
    expect((await second.app.scheduler.runDue())['publish-queue']).toMatchObject({ outcome: 'skipped', detail: { code: 'paused' } });
    expect((await second.app.repos.drafts.findById(card.draft.id))?.status).toBe('publishing');
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    expect(text((await answer(slash('status'))).embeds)).toContain('publications a crash interrupted are not resumed (1 now)');

    await answer(slash('resume'));
    await expect.poll(async () => (await second.app.repos.drafts.findById(card.draft.id))?.status).toBe('published');
    expect(fakes.x.tweets.filter((t) => t.text === OTHER_TWEET)).toHaveLength(1);
  });

  it('GIVEN /draft with a topic THEN it defers, generates, posts the card and links it; at the pending cap the next /draft is refused', async () => {
    const testApp = await start({ MAX_PENDING_DRAFTS: '1' });
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    const interaction = slash('draft', { options: { topic: 'Education' } });
    const reply = await answer(interaction);
    expect(reply.callback.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect(reply.ephemeral).toBe(true);
    const [draft] = await testApp.app.repos.drafts.findByStatuses(['pending']);
    expect(draft?.topicName).toBe('education');
    expect(reply.embeds[0]?.title).toBe(`Draft #${draft?.id} ready for moderation`);
    expect(reply.embeds[0]?.description).toContain(
      `https://discord.com/channels/${fakes.discord.guildId}/${fakes.discord.channelId}/${draft?.moderationMessageId}`,
    );
    expect(reply.payload['allowed_mentions']).toEqual({ parse: [] });
    expect(fakes.discord.messages.get(draft?.moderationMessageId as string)).toBeDefined();

    const capped = await answer(slash('draft'));
    expect(capped.callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(capped.ephemeral).toBe(true);
    expect(text(capped.embeds)).toContain('The pending cap is full: 1 of 1 drafts await moderation.');
    expect(fakes.anthropic.messageBodies).toHaveLength(1);
  });

  it('GIVEN bad options THEN each gets an ephemeral message saying what is allowed', async () => {
    const testApp = await start();
    const before = (await testApp.app.repos.topics.findByName('education'))?.weight;

    const unknownDraftTopic = await answer(slash('draft', { options: { topic: 'moon-soon' } }));
    expect(unknownDraftTopic.ephemeral).toBe(true);
    expect(text(unknownDraftTopic.embeds)).toMatch(/Unknown topic "moon-soon"\. Pick one of: .*`education`.*`safety`/);

    // Discord's client enforces min/max, but the handler must not trust that.
    const tooHeavy = await answer(slash('topics', { subcommand: 'set', options: { topic: 'education', weight: 150 } }));
    expect(tooHeavy.ephemeral).toBe(true);
    expect(text(tooHeavy.embeds)).toContain('Weight must be a whole number from 0 to 100');
    const negative = await answer(slash('topics', { subcommand: 'set', options: { topic: 'education', weight: -1 } }));
    expect(text(negative.embeds)).toContain('Weight must be a whole number from 0 to 100');
    expect((await testApp.app.repos.topics.findByName('education'))?.weight).toBe(before);

    const unknownTopic = await answer(slash('topics', { subcommand: 'disable', options: { topic: 'nope' } }));
    expect(unknownTopic.ephemeral).toBe(true);
    expect(text(unknownTopic.embeds)).toContain('Unknown topic "nope"');

    const badPeriod = await answer(slash('stats', { options: { period: '1y' } }));
    expect(badPeriod.ephemeral).toBe(true);
    expect(text(badPeriod.embeds)).toContain('Unknown period "1y". Allowed: 24h, 7d, 30d, all.');
    expect(fakes.anthropic.messageBodies).toHaveLength(0);
  });

  it('GIVEN a moderator typing a topic THEN autocomplete offers matching names (prefix first, at most 25) for /draft and /topics', async () => {
    await start();
    const typed = fakes.discord.injectAutocomplete({ name: 'draft', focused: 'ed', value: 'ed' });
    harness.track(typed);
    const callback = await fakes.discord.waitForCallback(typed.id);
    expect(callback.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    expect(callback.data?.['choices']).toEqual([{ name: 'education', value: 'education' }]);

    const contains = fakes.discord.injectAutocomplete({ name: 'topics', subcommand: 'enable', focused: 'topic', value: 's' });
    harness.track(contains);
    const choices = (await fakes.discord.waitForCallback(contains.id)).data?.['choices'] as Array<{ value: string }>;
    const values = choices.map((c) => c.value);
    // Names starting with "s" come before names merely containing it.
    expect(values[0]).toBe('safety');
    expect(values.slice(1).sort()).toEqual(['launch-tips', 'market-insight', 'memes']);
    expect(values.length).toBeLessThanOrEqual(25);

    const all = fakes.discord.injectAutocomplete({ name: 'topics', subcommand: 'set', focused: 'topic', value: '' });
    harness.track(all);
    expect(((await fakes.discord.waitForCallback(all.id)).data?.['choices'] as unknown[]).length).toBe(7);
  });

  it('GIVEN /topics list, set, disable and enable THEN the table shows every column and changes are stored and audited', async () => {
    const testApp = await start();
    const educationWeight = (await testApp.app.repos.topics.findByName('education'))?.weight;
    const list = await answer(slash('topics', { subcommand: 'list' }));
    const body = text(list.embeds);
    expect(list.embeds[0]?.title).toBe('Topics (7 of 7 enabled)');
    for (const topic of await testApp.app.repos.topics.list()) expect(body).toContain(`**${topic.name}**`);
    expect(body).toMatch(/✅ \*\*education\*\* · .+\nweight \d+ · learned share [\d.]+% · next [\d.]+% · uses 0\napproval –/);
    expect(list.embeds[0] as { footer?: { text: string } }).toMatchObject({
      footer: { text: expect.stringContaining('Learned share: how often the draw picks the topic') },
    });

    const set = await answer(slash('topics', { subcommand: 'set', options: { topic: 'education', weight: 42 } }));
    expect(text(set.embeds)).toContain('**education**:');
    expect(text(set.embeds)).toContain('→ **42**');
    expect((await testApp.app.repos.topics.findByName('education'))?.weight).toBe(42);

    const disable = await answer(slash('topics', { subcommand: 'disable', options: { topic: 'memes' } }));
    expect(text(disable.embeds)).toContain('**memes** is now disabled');
    expect((await testApp.app.repos.topics.findByName('memes'))?.enabled).toBe(false);
    const listed = text((await answer(slash('topics', { subcommand: 'list' }))).embeds);
    expect(listed).toContain('⛔ **memes**');
    expect(listed).toContain('Topics (6 of 7 enabled)');
    const enable = await answer(slash('topics', { subcommand: 'enable', options: { topic: 'memes' } }));
    expect(text(enable.embeds)).toContain('**memes** is now enabled');
    expect((await testApp.app.repos.topics.findByName('memes'))?.enabled).toBe(true);

    const audit = (await auditRows(testApp)).map((r) => `${r.action}:${r.outcome}:${r.detail}`);
    expect(audit).toEqual(
      expect.arrayContaining([`topic_weight:changed:education: ${educationWeight} -> 42`, 'topic_disable:changed:memes', 'topic_enable:changed:memes']),
    );
  });

  it('GIVEN LEARNING=off WHEN a moderator runs /topics reset-learning twice THEN the reply says what it did and kept, that learning is off (so the draw uses the weights until it is on), and names the reset it replaced', async () => {
    await start({ LEARNING: 'off' });
    const first = text((await answer(slash('topics', { subcommand: 'reset-learning' }))).embeds);
    expect(first).toContain('Topic choice starts over from the weights');
    expect(first).toContain('The recorded decisions stay');
    expect(first).toContain('Learning is off for this account (LEARNING=off)');
    expect(first).not.toContain('replaces the reset of');
    const second = text((await answer(slash('topics', { subcommand: 'reset-learning' }))).embeds);
    expect(second).toMatch(/replaces the reset of <t:\d+:f>/);
  });

  it('GIVEN moderator decisions THEN /topics list shows each topic its approval rate and learned share; WHEN a moderator runs /topics reset-learning THEN it is stored and audited, and the list starts over from the weights (issue 15)', async () => {
    const testApp = await start();
    const driver = new ModerationDriver(fakes, testApp);
    const moderator = { id: fakes.discord.userIds.moderator, name: 'mod' };
    const { moderation } = testApp.app.services;
    // education: 2 approved, 1 rejected; safety: 1 rejected.
    const decide = async (text: string, topic: string, approve: boolean) => {
      const card = await driver.postDraft(text, topic);
      const request = { draftId: card.draft.id, revision: 1, actor: moderator, messageId: card.messageId };
      const result = approve ? await moderation.approve(request) : await moderation.reject({ ...request, reason: 'not for us' });
      expect(result.status).toBe('applied');
      testApp.clock.advance(HOUR);
    };
    await decide(SAFE_TWEET, 'education', true);
    await decide(OTHER_TWEET, 'education', true);
    await decide('Slippage is the gap between the price you see and the price you get. Set it on purpose, not by accident.', 'education', false);
    await decide('Before you buy, read who holds the supply. A few wallets holding most of it is a warning, not a detail.', 'safety', false);

    const before = text((await answer(slash('topics', { subcommand: 'list' }))).embeds);
    expect(before).toMatch(/\*\*education\*\* · .+\nweight \d+ · learned share [\d.]+% · next [\d.]+% · uses 3\napproval 66\.7% \(2 of 3\)/);
    expect(before).toMatch(/\*\*safety\*\* · .+\nweight \d+ · learned share [\d.]+% · next [\d.]+% \(just used\) · uses 1\napproval 0% \(0 of 1\)/);
    const shareOf = (listed: string, topic: string) =>
      Number(new RegExp(`\\*\\*${topic}\\*\\*[^\\n]*\\nweight \\d+ · learned share ([\\d.]+)%`).exec(listed)?.[1]);
    const topics = await testApp.app.repos.topics.list();
    const totalWeight = topics.reduce((sum, t) => sum + t.weight, 0);
    const educationPrior = (100 * topics.find((t) => t.name === 'education')!.weight) / totalWeight;
    expect(shareOf(before, 'education')).not.toBeCloseTo(educationPrior, 1);

    // A plain member may not reset it: refused, audited, nothing stored.
    const refused = await answer(slash('topics', { userId: fakes.discord.userIds.plain, subcommand: 'reset-learning' }));
    expect(text(refused.embeds)).toMatch(/Only moderators can do that: \/topics reset-learning is limited/);
    expect(await testApp.app.repos.settings.get(SETTINGS.learningReset)).toBeNull();

    testApp.clock.advance(HOUR);
    const reset = await answer(slash('topics', { subcommand: 'reset-learning' }));
    expect(text(reset.embeds)).toContain('Topic choice starts over from the weights');
    expect(await testApp.app.repos.settings.get(SETTINGS.learningReset)).toEqual({
      at: testApp.clock.now(),
      by: { id: fakes.discord.userIds.moderator, name: expect.any(String) },
    });
    const after = text((await answer(slash('topics', { subcommand: 'list' }))).embeds);
    expect(after).toContain('Learning since <t:');
    expect(after).toMatch(/\*\*education\*\* · .+\nweight \d+ · learned share [\d.]+% · next [\d.]+% · uses 3\napproval –/);
    expect(shareOf(after, 'education')).toBeCloseTo(educationPrior, 0);
    // The signals stay: only the draw forgets them.
    expect(await testApp.app.repos.learning.decisions({ since: null, limit: 10 })).toHaveLength(4);

    const audit = await auditRows(testApp);
    expect(
      audit.filter((r) => r.action === 'topics_reset_learning' || r.action === '/topics reset-learning').map((r) => [r.action, r.outcome, r.actor.id]),
    ).toEqual([
      ['/topics reset-learning', 'refused_not_moderator', fakes.discord.userIds.plain],
      ['topics_reset_learning', 'changed', fakes.discord.userIds.moderator],
    ]);
  });

  it('GIVEN drafts, decisions and posts THEN /stats defers and answers with the counts and a PNG chart attached in the multipart request', async () => {
    const clock = new ManualClock();
    const testApp = await start({}, { clock });
    const { drafts, posts } = testApp.app.repos;
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } }, { usage: { input_tokens: 1_000_000, output_tokens: 100_000 } });
    const created = await testApp.app.services.moderation.generateAndPostDraft({ trigger: 'command', topicName: 'education' });
    if (created.status !== 'created') throw new Error('no draft');
    clock.advance(10 * 60_000);
    await drafts.decide(created.draft.id, 1, { to: 'rejected', actor: { id: '1', name: 'A' }, source: 'moderator' }, clock.now());
    await posts.recordPosted({
      draftId: created.draft.id,
      tweetId: '1900000000000000001',
      content: SAFE_TWEET,
      contentType: 'education',
      isThread: false,
      threadId: null,
      threadPosition: 0,
      dryRun: false,
      postedAt: clock.now() - 2 * HOUR,
    });
    await posts.updateMetrics('1900000000000000001', { likes: 7, retweets: 2, replies: 1, quotes: 0, impressions: 500 }, clock.now());

    const interaction = slash('stats', { options: { period: '7d' } });
    const reply = await answer(interaction);
    expect(reply.callback.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const body = text(reply.embeds);
    expect(reply.embeds[0]?.title).toBe('Stats · last 7 days incl. today · DRY RUN');
    expect(body).toContain('Generated **1**');
    expect(body).toContain('rejected **1**');
    expect(body).toContain('Approval rate **0%** · median decision (last 24 h) 10m 0s');
    expect(body).toContain('Published **1** · 1 tweets');
    expect(body).toContain('Engagement **10**');
    // 1M input tokens at $3 + 100k output at $15 per MTok.
    expect(body).toContain('≈ **$4.50**');
    expect(body).toContain('**education**: 0% approved · avg eng 10 · 1 drafts');
    expect(reply.embeds[0]?.image?.url).toMatch(/stats\.png/);

    // The chart travelled as a real PNG in the multipart edit of the deferred reply.
    const edit = fakes.discord.requests.find(
      (r) =>
        r.method === 'PATCH' &&
        /\/messages\/(%40|@)original$/.test(r.path) &&
        r.path.includes(`/webhooks/${fakes.discord.applicationId}/`) &&
        r.multipart !== undefined,
    );
    const file = edit?.multipart?.find((p) => p.filename === 'stats.png');
    expect(file?.data.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(file?.data.length).toBeGreaterThan(8_000);
    const payloadJson = JSON.parse(edit?.multipart?.find((p) => p.name === 'payload_json')?.data.toString('utf8') ?? '{}') as Json;
    expect(payloadJson['allowed_mentions']).toEqual({ parse: [] });
    const validator = await loadSpecValidator('discord');
    expect(validator.validate(edit as RecordedRequest)).toEqual([]);
  });

  it('GIVEN X reported limits and one publication this hour THEN /ratelimit shows our caps used and left, X buckets with resets, and the next slot', async () => {
    const clock = new ManualClock();
    // Not in dry run: a dry-run account's target reports no X buckets (it sends nothing to X).
    const testApp = await start({ DRY_RUN: 'false', MAX_POSTS_PER_HOUR: '1', MAX_POSTS_PER_DAY: '5' }, { clock });
    const now = clock.now();
    await testApp.app.repos.posts.recordPosted({
      draftId: null as unknown as number,
      tweetId: 'dryrun-1-1',
      content: SAFE_TWEET,
      contentType: 'education',
      isThread: false,
      threadId: null,
      threadPosition: 0,
      dryRun: true,
      postedAt: now - 20 * 60_000,
    });
    await testApp.app.repos.settings.set(
      SETTINGS.xRateLimit.post,
      {
        endpoint: { limit: 100, remaining: 97, resetAt: now + 10 * 60_000 },
        user24h: { limit: 100, remaining: 40, resetAt: now + 5 * HOUR },
        app24h: { limit: 10_000, remaining: 9_000, resetAt: now + 7 * HOUR },
        observedAt: now - 60_000,
      },
      now,
    );
    const reply = await answer(slash('ratelimit', { userId: fakes.discord.userIds.plain }));
    const body = text(reply.embeds);
    expect(body).toContain('This hour: **1/1** used · 0 left');
    expect(body).toContain('Last 24 h: **1/5** used · 4 left');
    expect(body).toContain(`Per 15 min: **97/100** left · resets <t:${Math.floor((now + 10 * 60_000) / 1000)}:R>`);
    expect(body).toContain(`Per user, 24 h: **40/100** left · resets <t:${Math.floor((now + 5 * HOUR) / 1000)}:R>`);
    expect(body).toContain(`Per app, 24 h: **9000/10000** left · resets <t:${Math.floor((now + 7 * HOUR) / 1000)}:R>`);
    // The hourly cap frees when the publication turns an hour old: 40 minutes from now.
    expect(body).toContain(`<t:${Math.floor((now + 40 * 60_000) / 1000)}:f>`);
    expect(body).toContain('hourly cap reached (1/1)');
  });

  // A SQLite file backup: on PostgreSQL /backup points to pg_dump instead (tested where that is built).
  it.skipIf(onPostgres)('GIVEN /backup THEN a moderator gets a fresh backup file and a non-moderator is refused', async () => {
    const testApp = await start();
    const refused = await answer(slash('backup', { userId: fakes.discord.userIds.plain }));
    expect(refused.ephemeral).toBe(true);
    expect(text(refused.embeds) + JSON.stringify(refused.payload)).toMatch(/Only moderators/);

    const reply = await answer(slash('backup'));
    expect(reply.ephemeral).toBe(true);
    const body = text(reply.embeds);
    if (testApp.config.storage.databaseUrl !== null) {
      // On PostgreSQL the bot copies nothing and says how to back up the server instead.
      expect(body).toMatch(/No backup taken: the database is PostgreSQL[\s\S]*pg_dump/);
      expect((await auditRows(testApp)).map((r) => `${r.action}:${r.outcome}`)).toEqual(['/backup:refused_not_moderator', '/backup:skipped']);
      return;
    }
    expect(body).toMatch(/Backup taken/);
    const file = /`(draftgate-\d{8}T\d{9}Z\.sqlite)`/.exec(body)?.[1];
    expect(file).toBeDefined();
    const backupPath = join(testApp.dataDir, 'backups', file!);
    // The backup is a complete SQLite database with the same topics.
    const copy = new Database(backupPath, { readonly: true });
    try {
      expect((copy.prepare('SELECT COUNT(*) AS n FROM topics').get() as { n: number }).n).toBe(7);
    } finally {
      copy.close();
    }
    const rows = await auditRows(testApp);
    expect(rows.map((r) => `${r.action}:${r.outcome}`)).toEqual(['/backup:refused_not_moderator', '/backup:applied']);
  });

  /** Every audit row, read straight from the database (rows without a draft have no repository lookup). */
  async function auditRows(testApp: TestApp): Promise<Array<{ action: string; outcome: string; detail: string | null; actor: { id: string } }>> {
    const rows = (await withAppDatabase(testApp.config, (ds) =>
      ds.query('SELECT action, outcome, detail, actor_id AS "actorId" FROM moderation_events ORDER BY id'),
    )) as Array<{
      action: string;
      outcome: string;
      detail: string | null;
      actorId: string;
    }>;
    return rows.map((r) => ({ action: r.action, outcome: r.outcome, detail: r.detail, actor: { id: r.actorId } }));
  }
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
