import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContentType } from '../../src/domain/content-types.js';
import { DAY_MS } from '../../src/domain/rate-limits.js';
import type { AccountServices } from '../../src/app.js';
import type { InjectedInteraction } from '../support/fake-discord.js';
import type { RecordedRequest } from '../support/fake-http.js';
import { expectCleanDiscordTraffic, useAppHarness } from '../support/app-harness.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { loadSpecValidator } from '../support/spec-validator.js';
import { ManualClock, removeDir, type Fakes, type TestApp } from '../support/test-app.js';

interface Embed {
  title?: string;
  description?: string;
  fields?: Array<{ name: string; value: string }>;
  image?: { url: string };
  footer?: { text: string };
}

const MOD = { id: '1200000000000000401', name: 'mod' };
const HOUR = 3_600_000;
/** A Wednesday noon in Berlin. */
const START = Date.parse('2026-11-25T11:00:00Z');

/** One decided draft of the scenario: its topic and content type, how it ended, and its engagement once published. */
interface Decided {
  readonly topic: string;
  readonly type: ContentType;
  readonly to: 'approved' | 'rejected' | 'expired';
  readonly source?: 'moderator' | 'timeout';
  /** Edited by a moderator before the decision. */
  readonly edited?: boolean;
  /** Published (not in dry run) with this engagement (likes); absent: not published. */
  readonly engagement?: number;
}

/**
 * Per topic: safety 3 of 4 approved (one after an edit), engagement 10, 2, 30 -> median 10;
 * education 2 of 3 (an expiry and a publication at the deadline are not decisions), engagement
 * 4, 8 (the deadline's publication still had an audience), 100 -> median 8; memes 0 of 2, no
 * engagement. Per content type: safety 75 % / 10; education 1 of 2 / median of 4 and 8 = 6;
 * launch_tips 1 of 1 / 100; meme 0 of 2 / none.
 */
const SCENARIO: readonly Decided[] = [
  { topic: 'safety', type: 'safety', to: 'approved', engagement: 10 },
  { topic: 'safety', type: 'safety', to: 'approved', engagement: 2 },
  { topic: 'safety', type: 'safety', to: 'approved', edited: true, engagement: 30 },
  { topic: 'safety', type: 'safety', to: 'rejected' },
  { topic: 'education', type: 'education', to: 'approved', engagement: 4 },
  { topic: 'education', type: 'education', to: 'rejected' },
  { topic: 'education', type: 'education', to: 'expired', source: 'timeout' },
  { topic: 'education', type: 'education', to: 'approved', source: 'timeout', engagement: 8 },
  { topic: 'education', type: 'launch_tips', to: 'approved', engagement: 100 },
  { topic: 'memes', type: 'meme', to: 'rejected' },
  { topic: 'memes', type: 'meme', to: 'rejected' },
];

/** The same scenario for a second account: everything approved, so its rates tell the accounts apart. */
const SECOND: readonly Decided[] = [
  { topic: 'community', type: 'community', to: 'approved', engagement: 7 },
  { topic: 'community', type: 'community', to: 'approved', engagement: 9 },
  { topic: 'community', type: 'community', to: 'rejected' },
];

/**
 * Issue 15 §5 through the real app and the Discord fake: /stats view:learning shows, per account,
 * the approval rate and median engagement by topic and by content type, with the weekly approval
 * chart attached. The drafts are decided through the repositories (the same transactions as the
 * buttons), published to the X fake, and their engagement taken by the engagement refresh.
 */
describe('/stats view:learning (real app, Discord fake)', () => {
  const harness = useAppHarness({ DRY_RUN: 'false', TIMEZONE: 'Europe/Berlin', MAX_POSTS_PER_HOUR: '100', MAX_POSTS_PER_DAY: '1000' });
  let fakes: Fakes;
  const dirs: string[] = [];
  beforeEach(() => {
    fakes = harness.fakes;
  });
  afterEach(async () => {
    await expectCleanDiscordTraffic(fakes);
    for (const dir of dirs.splice(0)) removeDir(dir);
  });

  function slash(name: string, input: { options?: Record<string, string | number> } = {}): InjectedInteraction {
    return harness.track(fakes.discord.injectSlashCommand({ name, ...input }));
  }

  async function answer(interaction: InjectedInteraction): Promise<{ content: string; embeds: Embed[] }> {
    const callback = await fakes.discord.waitForCallback(interaction.id);
    expect(callback.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const edited = await waitFor(() => {
      const message = fakes.discord.originalResponse(interaction.id);
      return message && (message.flags & MessageFlags.Loading) === 0 ? message : undefined;
    });
    return { content: String(edited.content ?? ''), embeds: edited.embeds as Embed[] };
  }

  /** The PNG sent with the deferred reply's edit, checked against Discord's spec and limits. */
  async function attachedChart(): Promise<Buffer> {
    const edit = fakes.discord.requests.find((r) => r.method === 'PATCH' && /\/messages\/(%40|@)original$/.test(r.path) && r.multipart !== undefined);
    const file = edit?.multipart?.find((p) => p.filename === 'learning.png');
    expect(file?.data.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // A drawn chart, well within Discord's 10 MiB per attachment.
    expect(file?.data.length).toBeGreaterThan(8_000);
    expect(file?.data.length).toBeLessThan(10 * 1024 * 1024);
    const validator = await loadSpecValidator('discord');
    expect(validator.validate(edit as RecordedRequest)).toEqual([]);
    return file?.data as Buffer;
  }

  /** Creates, decides and (when it has engagement) publishes each draft; then takes the engagement a day later. */
  async function decide(testApp: TestApp, account: AccountServices, scenario: readonly Decided[]): Promise<void> {
    const { drafts } = account.repos;
    const published: Array<{ draftId: number; likes: number }> = [];
    for (const [i, d] of scenario.entries()) {
      const topic = await account.repos.topics.findByName(d.topic);
      const text = `${account.config.id} draft ${i} about ${d.topic}: know what you buy before you buy it.`;
      let draft = await drafts.create(newTweetDraft(text, { topicId: topic?.id ?? null, topicName: d.topic, contentType: d.type }), testApp.clock.now());
      testApp.clock.advance(60_000);
      if (d.edited) {
        const revised = await drafts.replaceContent(draft.id, draft.revision, { ...newTweetDraft(`${text} Edited.`), editedBy: MOD }, testApp.clock.now());
        if (!revised) throw new Error('the edit was refused');
        draft = revised;
      }
      expect(await drafts.decide(draft.id, draft.revision, { to: d.to, actor: MOD, source: d.source ?? 'moderator' }, testApp.clock.now())).toBe(true);
      if (d.engagement !== undefined) published.push({ draftId: draft.id, likes: d.engagement });
    }
    for (const p of published) {
      testApp.clock.advance(10 * 60_000);
      expect(await account.publishing.publishApprovedDraft(p.draftId)).toMatchObject({ kind: 'published' });
      const tweetId = (await drafts.findById(p.draftId))?.tweetId;
      fakes.x.setMetrics(String(tweetId), { like_count: p.likes, retweet_count: 0, reply_count: 0, quote_count: 0, impression_count: 100 });
    }
    testApp.clock.advance(DAY_MS + HOUR);
    await account.engagement.refresh();
  }

  it('GIVEN decided and published drafts of several topics and content types WHEN /stats view:learning THEN the reply shows the approval rate and median engagement per topic and per type, says what they are, and attaches the weekly chart', async () => {
    const clock = new ManualClock(START);
    const testApp = await harness.start({}, { clock });
    await decide(testApp, testApp.app.services.accounts.get('default') as AccountServices, SCENARIO);

    const reply = await answer(slash('stats', { options: { view: 'learning', period: '7d' } }));
    expect(reply.embeds).toHaveLength(1);
    const [learning] = reply.embeds;
    expect(learning?.title).toBe('Learning · last 7 days incl. today');
    expect(learning?.description).toBe('Approval rate **55.6%** (5 of 9 moderator decisions)');
    expect(learning?.fields?.find((f) => f.name === 'By topic')?.value.split('\n')).toEqual([
      '**safety**: 75% approved (3/4) · median eng 10 (3 posts)',
      '**education**: 66.7% approved (2/3) · median eng 8 (3 posts)',
      '**memes**: 0% approved (0/2) · median eng –',
    ]);
    expect(learning?.fields?.find((f) => f.name === 'By content type')?.value.split('\n')).toEqual([
      '**safety**: 75% approved (3/4) · median eng 10 (3 posts)',
      '**education**: 50% approved (1/2) · median eng 6 (2 posts)',
      '**meme**: 0% approved (0/2) · median eng –',
      '**launch\\_tips**: 100% approved (1/1) · median eng 100 (1 posts)',
    ]);
    expect(learning?.footer?.text).toContain('Approval rate = moderator approvals (as written or after an edit) ÷ moderator decisions');
    expect(learning?.footer?.text).toContain('drafts expired or published at the deadline are not decisions');
    expect(learning?.footer?.text).toContain('last 7 days incl. today');
    expect(learning?.footer?.text).toContain('ISO weeks (from Monday) in Europe/Berlin');
    expect(learning?.image?.url).toMatch(/learning\.png/);
    await attachedChart();
    // What the chart was drawn from: 12 weeks, this one with the 9 decisions, the others "no data".
    const { weeks } = await (testApp.app.services.accounts.get('default') as AccountServices).stats.learningReport('7d');
    expect(weeks).toHaveLength(12);
    expect(weeks.at(-1)).toMatchObject({ weekStart: Date.UTC(2026, 10, 23) / DAY_MS, approved: 5, rejected: 4, decisions: 9 });
    expect(weeks.slice(0, -1).every((w) => w.decisions === 0 && w.approvalRate === null)).toBe(true);

    // The default view is unchanged: the overview, with its own chart.
    const overview = await answer(slash('stats', { options: { period: '7d' } }));
    expect(overview.embeds[0]?.title).toBe('Stats · last 7 days incl. today');
    expect(overview.embeds[0]?.image?.url).toMatch(/stats\.png/);
  });

  it('GIVEN two accounts with their own decisions WHEN /stats view:learning names no account THEN each account has its section with its own rates and medians, and one chart is attached; WHEN it names one THEN that account alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'draftgate-accounts-'));
    dirs.push(dir);
    const file = join(dir, 'accounts.yaml');
    writeFileSync(
      file,
      [
        'accounts:',
        '  - id: main',
        `    moderationChannelId: "${fakes.discord.channelId}"`,
        '  - id: news',
        `    moderationChannelId: "${fakes.discord.channelId}"`,
        '',
      ].join('\n'),
    );
    // Two accounts publishing for real need an X user each.
    const env: Record<string, string> = { ACCOUNTS_FILE: file };
    for (const [prefix, n] of [
      ['TWITTER_MAIN_', 21],
      ['TWITTER_NEWS_', 22],
    ] as const) {
      const user = fakes.x.addUser({ userId: `17000000000000000${n}`, username: `learning_${n}`, accessToken: `learning-access-token-00${n}` });
      env[`${prefix}APP_KEY`] = fakes.x.consumerKey;
      env[`${prefix}APP_SECRET`] = 'fake-x-consumer-secret';
      env[`${prefix}ACCESS_TOKEN`] = user.accessToken as string;
      env[`${prefix}ACCESS_SECRET`] = `${user.username}-access-secret`;
    }
    const clock = new ManualClock(START);
    const testApp = await harness.start(env, { clock });
    await decide(testApp, testApp.app.services.accounts.get('main') as AccountServices, SCENARIO);
    await decide(testApp, testApp.app.services.accounts.get('news') as AccountServices, SECOND);

    const all = await answer(slash('stats', { options: { view: 'learning', period: '30d' } }));
    expect(all.content).toContain('**Learning** · All 2 accounts: `main`, `news`.');
    expect(all.embeds.map((e) => e.title)).toEqual([
      'main (@learning_21) · learning · last 30 days incl. today',
      'news (@learning_22) · learning · last 30 days incl. today',
    ]);
    expect(all.embeds[0]?.description).toBe('Approval rate **55.6%** (5 of 9 moderator decisions)');
    expect(all.embeds[0]?.fields?.find((f) => f.name === 'By topic')?.value).toContain('**safety**: 75% approved (3/4) · median eng 10 (3 posts)');
    expect(all.embeds[1]?.description).toBe('Approval rate **66.7%** (2 of 3 moderator decisions)');
    expect(all.embeds[1]?.fields?.find((f) => f.name === 'By topic')?.value).toBe('**community**: 66.7% approved (2/3) · median eng 8 (2 posts)');
    expect(all.embeds[1]?.fields?.find((f) => f.name === 'By content type')?.value).toBe('**community**: 66.7% approved (2/3) · median eng 8 (2 posts)');
    expect(all.embeds[0]?.image?.url).toMatch(/learning\.png/);
    await attachedChart();

    const one = await answer(slash('stats', { options: { view: 'learning', account: 'news' } }));
    expect(one.embeds.map((e) => e.title)).toEqual(['Learning · news (@learning_22) · last 7 days incl. today']);
    expect(one.embeds[0]?.description).toBe('Approval rate **66.7%** (2 of 3 moderator decisions)');
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
