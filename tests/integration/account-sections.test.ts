import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InjectedInteraction } from '../support/fake-discord.js';
import { expectCleanDiscordTraffic, useAppHarness } from '../support/app-harness.js';
import { removeDir, type Fakes, type TestApp } from '../support/test-app.js';

type Json = Record<string, unknown>;
interface Embed {
  title?: string;
  description?: string;
  fields?: Array<{ name: string; value: string }>;
  image?: { url: string };
}

/**
 * Issue 11 §3, the replies covering several accounts, through the real app and the Discord fake
 * (which enforces Discord's embed limits). Two dry-run accounts share the one moderation channel,
 * so the channel does not narrow and 'all' commands cover both.
 */
describe('commands covering several accounts (real app, Discord fake)', () => {
  const harness = useAppHarness();
  let fakes: Fakes;
  const dirs: string[] = [];
  beforeEach(() => {
    fakes = harness.fakes;
  });
  afterEach(async () => {
    await expectCleanDiscordTraffic(fakes);
    for (const dir of dirs.splice(0)) removeDir(dir);
  });

  /** Starts the app with accounts `main` and `news`, both in dry run, sharing the fake's channel. */
  function startTwoAccounts(newsExtra: readonly string[] = []): Promise<TestApp> {
    const dir = mkdtempSync(join(tmpdir(), 'draftgate-accounts-'));
    dirs.push(dir);
    const file = join(dir, 'accounts.yaml');
    writeFileSync(
      file,
      [
        'accounts:',
        '  - id: main',
        `    moderationChannelId: "${fakes.discord.channelId}"`,
        '    dryRun: true',
        '  - id: news',
        `    moderationChannelId: "${fakes.discord.channelId}"`,
        '    dryRun: true',
        '    maxPendingDrafts: 2',
        ...newsExtra,
        '',
      ].join('\n'),
    );
    return harness.start({ ACCOUNTS_FILE: file });
  }

  function slash(name: string, input: { options?: Record<string, string | number>; subcommand?: string; userId?: string } = {}): InjectedInteraction {
    return harness.track(fakes.discord.injectSlashCommand({ name, ...input }));
  }

  /** The first message (the reply, or the edit of the deferred one) and its follow-ups. */
  async function answer(interaction: InjectedInteraction): Promise<{ content: string; embeds: Embed[]; ephemeral: boolean; payload: Json }> {
    const callback = await fakes.discord.waitForCallback(interaction.id);
    if (callback.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      const edited = await waitFor(() => {
        const message = fakes.discord.originalResponse(interaction.id);
        return message && (message.flags & MessageFlags.Loading) === 0 ? message : undefined;
      });
      const payloads = fakes.discord.messagePayloads(edited.id);
      return {
        content: String(edited.content ?? ''),
        embeds: edited.embeds as Embed[],
        ephemeral: (edited.flags & MessageFlags.Ephemeral) !== 0,
        payload: payloads[payloads.length - 1] ?? {},
      };
    }
    const data = callback.data ?? {};
    return {
      content: String(data['content'] ?? ''),
      embeds: (data['embeds'] as Embed[]) ?? [],
      ephemeral: (Number(data['flags'] ?? 0) & MessageFlags.Ephemeral) !== 0,
      payload: data,
    };
  }

  it('GIVEN two accounts sharing the channel WHEN /status, /ratelimit and /topics list name no account THEN each answers with one section per account and says it covers both', async () => {
    await startTwoAccounts();
    const status = await answer(slash('status'));
    expect(status.embeds.map((e) => e.title)).toEqual(['main · DRY RUN', 'news · DRY RUN']);
    expect(status.content).toContain('All 2 accounts: `main`, `news`.');
    expect(status.embeds[1]?.fields?.find((f) => f.name.startsWith('Pending drafts'))?.name).toBe('Pending drafts (0/2)');

    const limits = await answer(slash('ratelimit'));
    expect(limits.embeds.map((e) => e.title)).toEqual(['Rate limits · main · DRY RUN', 'Rate limits · news · DRY RUN']);
    expect(limits.content).toContain("X's per-app 24 h limit is shared");

    const list = await answer(slash('topics', { subcommand: 'list' }));
    expect(list.embeds.map((e) => e.title?.replace(/ \(.*$/, ''))).toEqual(['Topics · main', 'Topics · news']);
  });

  it('GIVEN two accounts, one with learning off and its own repeat factor WHEN /topics list names no account THEN each section says how its own account draws (learning off, repeat factor), not only the shared note', async () => {
    await startTwoAccounts(['    learning: off', '    topicRepeatFactor: 0.5']);
    const list = await answer(slash('topics', { subcommand: 'list' }));
    expect(list.embeds.map((e) => e.title?.replace(/ \(.*$/, ''))).toEqual(['Topics · main', 'Topics · news']);
    const [main, news] = list.embeds as Array<Embed & { footer?: { text: string } }>;
    expect(main?.footer?.text).toContain('Repeat factor 0.25.');
    expect(main?.footer?.text).not.toMatch(/learning is off/i);
    expect(news?.footer?.text).toMatch(/Learning is off for this account/);
    expect(news?.footer?.text).toContain('Repeat factor 0.5.');
  });

  it('GIVEN two accounts WHEN /stats names no account THEN the total comes first with the chart attached, then a section per account; WHEN it names one THEN that account alone', async () => {
    await startTwoAccounts();
    const all = await answer(slash('stats', { options: { period: '30d' } }));
    expect(all.embeds.map((e) => e.title)).toEqual(['Stats · all 2 accounts · last 30 days incl. today · DRY RUN', 'main · DRY RUN', 'news · DRY RUN']);
    expect(all.embeds[0]?.image?.url).toMatch(/stats\.png/);
    const edit = fakes.discord.requests.find((r) => r.method === 'PATCH' && /\/messages\/(%40|@)original$/.test(r.path) && r.multipart !== undefined);
    const png = edit?.multipart?.find((p) => p.filename === 'stats.png');
    expect(png?.data.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');

    const one = await answer(slash('stats', { options: { account: 'news' } }));
    expect(one.embeds.map((e) => e.title)).toEqual(['Stats · news · last 7 days incl. today · DRY RUN']);
  });

  it('GIVEN two running accounts WHEN /pause names no account THEN both are paused and the reply says "Paused 2 accounts"; WHEN /resume THEN both run again', async () => {
    const { app } = await startTwoAccounts();
    const paused = await answer(slash('pause', { options: { reason: 'incident' } }));
    expect(paused.ephemeral).toBe(false);
    expect(paused.embeds[0]?.title).toBe('⏸️ Posting paused for 2 accounts');
    expect(paused.embeds[0]?.description).toContain('Paused 2 accounts: `main`, `news`.');
    for (const id of ['main', 'news']) expect(await app.services.accounts.get(id)?.pause.current()).toMatchObject({ reason: 'incident' });

    const resumed = await answer(slash('resume'));
    expect(resumed.embeds[0]?.title).toBe('▶️ Posting resumed for 2 accounts');
    for (const id of ['main', 'news']) expect(await app.services.accounts.get(id)?.pause.current()).toBeNull();
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
