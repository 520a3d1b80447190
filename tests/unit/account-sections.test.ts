import { MessageFlags, type APIEmbed, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { draft } from '../../commands/draft.js';
import { pause } from '../../commands/pause.js';
import { resume } from '../../commands/resume.js';
import { stats } from '../../commands/stats.js';
import { status } from '../../commands/status.js';
import { topics } from '../../commands/topics.js';
import type { StatsChartInput } from '../../src/adapters/chart/stats-chart.js';
import type { AccountCommandContext, CommandContext } from '../../src/adapters/discord/command-context.js';
import { MAX_EMBED_CHARS_PER_MESSAGE, MAX_EMBEDS_PER_MESSAGE, pageEmbeds } from '../../src/adapters/discord/command-sections.js';
import { EmbedBuilder } from 'discord.js';
import type { Actor, DraftStatus } from '../../src/domain/draft.js';
import type { PauseState } from '../../src/domain/schedule.js';
import { StatsService } from '../../src/services/stats-service.js';
import type { StatsRepository } from '../../src/services/ports.js';
import { monthOfDay } from '../../src/domain/local-day.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const GUILD = '1200000000000000100';
const MOD: Actor = { id: '1200000000000000401', name: 'mod' };

const ZERO_COUNTS: Record<DraftStatus, number> = { pending: 0, approved: 0, publishing: 0, published: 0, rejected: 0, expired: 0, failed: 0 };

/** A stats repository with one post yesterday for every account, so each series has something to stack. */
function oneDayStats(posts: number): StatsRepository {
  return {
    draftsByTopic: async () => [
      { topicName: 'safety', generated: posts, approvedByModerator: posts, rejected: 0, expired: 0, publishedAtTimeout: 0, pending: 0, published: posts },
    ],
    moderatorDecisionDurations: async () => [60_000],
    publicationTotals: async (buckets) =>
      buckets.map((b) => {
        const n = b.from <= NOW - 24 * HOUR && NOW - 24 * HOUR < b.to ? posts : 0;
        return { publications: n, dryRunPublications: 0, tweets: n, likes: 2 * n, retweets: 0, replies: 0, quotes: 0, impressions: 0 };
      }),
    topicEngagement: async () => [],
    tokenUsage: async () => ({ runs: posts, inputTokens: 1_000, outputTokens: 100, cacheReadTokens: 0, cacheCreationTokens: 0 }),
    xSpendUsd: async () => 0.01 * posts,
    firstPublicationAt: async () => NOW - 24 * HOUR,
    // The same history as rollups: the post on yesterday's (UTC) day.
    rollupDailySeries: async () => [{ day: Math.floor((NOW - 24 * HOUR) / (24 * HOUR)), publications: posts, engagement: 2 * posts }],
    rollupMonthlySeries: async () => [{ day: monthOfDay(Math.floor((NOW - 24 * HOUR) / (24 * HOUR))), publications: posts, engagement: 2 * posts }],
    // The learning view (issue 15) is not what these tests read.
    rollupDecisionsByTopicAndType: async () => [],
    decisionsByTopicAndType: async () => [],
    rollupDecisionDays: async () => [],
    engagementSamples: async () => [],
    rollupTopicSums: async () => [
      {
        topicName: 'safety',
        drafts: { generated: posts, approvedByModerator: posts, rejected: 0, expired: 0, publishedAtTimeout: 0, pending: 0, published: posts },
        totals: { publications: posts, dryRunPublications: 0, tweets: posts, likes: 2 * posts, retweets: 0, replies: 0, quotes: 0, impressions: 0 },
        xSpendUsd: 0.01 * posts,
        tokens: { runs: posts, inputTokens: 1_000, outputTokens: 100, cacheReadTokens: 0, cacheCreationTokens: 0 },
      },
    ],
  };
}

interface FakeAccountOptions {
  readonly pending?: number;
  readonly paused?: boolean;
  readonly topics?: Array<{ name: string; enabled: boolean }>;
  readonly posts?: number;
}

/** An account as the commands see it, in memory: its pause is a variable, its drafts and topics fixed lists. */
function account(id: string, o: FakeAccountOptions = {}): AccountCommandContext {
  let pauseState: PauseState | null = o.paused ? { by: { id: '1', name: 'earlier' }, since: NOW - HOUR, reason: null, scope: 'all' } : null;
  const pending = Array.from({ length: o.pending ?? 0 }, (_, i) => ({
    id: 1_000 + i,
    topicName: `a rather long topic name number ${i} for ${id}`.padEnd(90, '.'),
    deadlineAt: NOW + (i + 1) * HOUR,
    moderationChannelId: '1200000000000000201',
    moderationMessageId: `12000000000000${String(i).padStart(5, '0')}`,
  }));
  const topicList = (o.topics ?? []).map((t, i) => ({ id: i + 1, ...t }));
  return {
    id,
    config: {
      id,
      discord: { moderationChannelId: `chan-${id}`, moderatorRoleId: undefined },
      posting: { dryRun: false, schedule: '0 */2 * * *', timezone: 'UTC', activeHours: null, maxPendingDrafts: 8, timeoutAction: 'expire' },
    },
    handle: () => `${id}_on_x`,
    drafts: { findByStatuses: async () => pending, countByStatus: async () => ({ ...ZERO_COUNTS, pending: pending.length, approved: 1 }) },
    posts: { latestPublication: async () => null },
    topics: {
      list: async () => topicList,
      findByName: async (name: string) => topicList.find((t) => t.name === name) ?? null,
    },
    pause: {
      current: async () => pauseState,
      pause: async (by: Actor, reason: string | null) => {
        if (pauseState) return { changed: false, state: pauseState };
        pauseState = { by, since: NOW, reason, scope: 'all' };
        return { changed: true, state: pauseState, widenedFrom: null };
      },
      resume: async () => {
        const previous = pauseState;
        pauseState = null;
        return previous ? { changed: true, previous, released: previous.scope, remaining: null, spread: 0 } : { changed: false, previous: null };
      },
    },
    schedulerStatus: async () => ({ pause: pauseState, nextRunAt: NOW + HOUR, lastRun: null, missedWhileDown: null, running: true }),
    stats: new StatsService({
      stats: oneDayStats(o.posts ?? 1),
      topics: { list: async () => [] },
      clock: { now: () => NOW },
      pricing: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
      timezone: 'UTC',
    }),
  } as unknown as AccountCommandContext;
}

function context(accounts: AccountCommandContext[], charts: StatsChartInput[] = []): CommandContext {
  return {
    config: { discord: { guildId: GUILD }, posting: { timezone: 'UTC' } },
    clock: { now: () => NOW },
    version: '1.2.3',
    startedAt: NOW - 3 * HOUR,
    accounts: { active: accounts, inactiveIds: () => [] },
    renderStatsChart: async (input: StatsChartInput) => {
      charts.push(input);
      return Buffer.from('png');
    },
  } as unknown as CommandContext;
}

interface Sent {
  readonly kind: 'reply' | 'edit' | 'followUp';
  readonly ephemeral: boolean;
  readonly content: string | undefined;
  readonly embeds: APIEmbed[];
  readonly files: number;
}

/** A chat-input interaction recording every message it sends; options as given. */
function slash(options: Record<string, string> = {}, subcommand: string | null = null) {
  const sent: Sent[] = [];
  let deferredEphemeral = false;
  const state = { deferred: false, replied: false };
  const record = (kind: Sent['kind'], payload: { flags?: number; content?: string; embeds?: EmbedBuilder[]; files?: unknown[] }, ephemeral: boolean) =>
    sent.push({ kind, ephemeral, content: payload.content, embeds: (payload.embeds ?? []).map((e) => e.toJSON()), files: payload.files?.length ?? 0 });
  const isEphemeral = (flags?: number) => (Number(flags ?? 0) & MessageFlags.Ephemeral) !== 0;
  const interaction = {
    id: 'interaction-1',
    channelId: 'some-other-channel',
    options: {
      getString: (name: string) => options[name] ?? null,
      getSubcommand: () => subcommand,
    },
    get deferred() {
      return state.deferred;
    },
    get replied() {
      return state.replied;
    },
    deferReply: async (o: { flags?: number } = {}) => {
      state.deferred = true;
      deferredEphemeral = isEphemeral(o.flags);
    },
    reply: async (payload: { flags?: number }) => {
      state.replied = true;
      record('reply', payload, isEphemeral(payload.flags));
    },
    editReply: async (payload: object) => record('edit', payload, deferredEphemeral),
    followUp: async (payload: { flags?: number }) => record('followUp', payload, isEphemeral(payload.flags)),
  };
  return { interaction: interaction as unknown as ChatInputCommandInteraction, sent };
}

/** Characters Discord counts over a message's embeds. */
function embedChars(embeds: APIEmbed[]): number {
  return embeds.reduce(
    (sum, e) =>
      sum +
      (e.title?.length ?? 0) +
      (e.description?.length ?? 0) +
      (e.footer?.text.length ?? 0) +
      (e.author?.name.length ?? 0) +
      (e.fields ?? []).reduce((s, f) => s + f.name.length + f.value.length, 0),
    0,
  );
}

const textOf = (embeds: APIEmbed[]) => embeds.map((e) => [e.title, e.description, ...(e.fields ?? []).flatMap((f) => [f.name, f.value])].join('\n')).join('\n');

describe('replies covering several accounts: one section each, within Discord limits', () => {
  it('GIVEN 12 embeds of 1000 characters THEN they are paged into messages of at most 10 embeds and 6000 characters, in order', () => {
    const embeds = Array.from({ length: 12 }, (_, i) => new EmbedBuilder().setTitle(`section ${i}`).setDescription('x'.repeat(1_000 - `section ${i}`.length)));
    const pages = pageEmbeds(embeds);
    expect(pages.map((p) => p.length)).toEqual([6, 6]);
    expect(pages.flat().map((e) => e.data.title)).toEqual(embeds.map((e) => e.data.title));
    const small = Array.from({ length: 23 }, (_, i) => new EmbedBuilder().setTitle(`s${i}`));
    expect(pageEmbeds(small).map((p) => p.length)).toEqual([10, 10, 3]);
  });

  it('GIVEN three accounts and no account option in a channel of none WHEN /status THEN one section per account, titled with id and handle, and the content names them with version and uptime', async () => {
    const accounts = [account('main'), account('news', { paused: true }), account('alerts', { pending: 2 })];
    const { interaction, sent } = slash();
    await status.execute(interaction, context(accounts), MOD, accounts);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.embeds.map((e) => e.title)).toEqual(['main (@main_on_x)', 'news (@news_on_x)', 'alerts (@alerts_on_x)']);
    expect(sent[0]?.content).toBe('**draftgate status** · All 3 accounts: `main`, `news`, `alerts`. Narrow with the `account` option. · v1.2.3 · up 3h 0m');
    expect(sent[0]?.embeds[1]?.description).toMatch(/^⏸️ \*\*Paused\*\* by earlier/);
    expect(textOf(sent[0]?.embeds ?? [])).toContain('Pending drafts (2/8)');
    expect(sent[0]?.embeds.flatMap((e) => e.fields ?? []).some((f) => f.name === 'Version')).toBe(false);
  });

  it('GIVEN 14 accounts each with 8 long pending drafts WHEN /status THEN every account gets a section once, in order, over several messages each within 10 embeds and 6000 characters', async () => {
    const accounts = Array.from({ length: 14 }, (_, i) => account(`account-${String(i).padStart(2, '0')}`, { pending: 8, paused: i % 2 === 0 }));
    const { interaction, sent } = slash();
    await status.execute(interaction, context(accounts), MOD, accounts);
    expect(sent.length).toBeGreaterThan(1);
    expect(sent[0]?.kind).toBe('edit');
    expect(sent.slice(1).every((m) => m.kind === 'followUp' && !m.ephemeral)).toBe(true);
    for (const message of sent) {
      expect(message.embeds.length).toBeLessThanOrEqual(MAX_EMBEDS_PER_MESSAGE);
      expect(embedChars(message.embeds)).toBeLessThanOrEqual(MAX_EMBED_CHARS_PER_MESSAGE);
    }
    expect(sent.flatMap((m) => m.embeds.map((e) => e.title))).toEqual(accounts.map((a) => `${a.id} (@${a.id}_on_x)`));
    expect(sent[0]?.content).toContain(`(${sent.length} messages)`);
    // Each section lists 3 drafts and counts the rest.
    expect(sent[0]?.embeds[0]?.fields?.find((f) => f.name.startsWith('Pending'))?.value).toContain('…and 5 more');
  });

  it('GIVEN two running accounts WHEN /pause covers all THEN both are paused and the reply says so, naming them', async () => {
    const accounts = [account('main'), account('news')];
    const { interaction, sent } = slash({ reason: 'incident' });
    await pause.execute(interaction, context(accounts), MOD, accounts);
    expect(await accounts[0]?.pause.current()).toMatchObject({ by: MOD, reason: 'incident' });
    expect(await accounts[1]?.pause.current()).toMatchObject({ by: MOD, reason: 'incident' });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.ephemeral).toBe(false);
    expect(sent[0]?.embeds[0]?.title).toBe('⏸️ Posting paused for 2 accounts');
    expect(sent[0]?.embeds[0]?.description).toContain('Paused 2 accounts: `main`, `news`.');
    expect(sent[0]?.embeds[0]?.description).toContain('By mod: incident.');
    // Both accounts' queued drafts, summed.
    expect(sent[0]?.embeds[0]?.description).toContain('• 2 approved drafts waiting in the publish queue');
  });

  it('GIVEN one of two accounts already paused WHEN /pause covers all THEN the other is paused and the reply names both outcomes; all paused THEN an ephemeral "Already paused"', async () => {
    const accounts = [account('main', { paused: true }), account('news')];
    const first = slash();
    await pause.execute(first.interaction, context(accounts), MOD, accounts);
    expect(first.sent[0]?.embeds[0]?.description).toContain('Paused 1 account: `news`.');
    expect(first.sent[0]?.embeds[0]?.description).toContain('Already paused:\n`main`: paused by earlier');
    const again = slash();
    await pause.execute(again.interaction, context(accounts), MOD, accounts);
    expect(again.sent[0]?.ephemeral).toBe(true);
    expect(again.sent[0]?.embeds[0]?.title).toBe('Already paused');
  });

  it('GIVEN two paused accounts and one running WHEN /resume covers all THEN the two are resumed, each with its next run, and the running one is named', async () => {
    const accounts = [account('main', { paused: true }), account('news', { paused: true }), account('alerts')];
    const { interaction, sent } = slash();
    await resume.execute(interaction, context(accounts), MOD, accounts);
    expect(await Promise.all(accounts.map((a) => a.pause.current()))).toEqual([null, null, null]);
    const description = sent[0]?.embeds[0]?.description ?? '';
    expect(sent[0]?.embeds[0]?.title).toBe('▶️ Posting resumed for 2 accounts');
    expect(description).toContain('Resumed 2 accounts: `main`, `news` (by mod).');
    expect(description).toMatch(/`main`: after 1h 0m paused by earlier; next scheduled run <t:/);
    expect(description).toContain('Already running: `alerts`.');
  });

  it('GIVEN one account narrowed among several WHEN /pause THEN only it is paused and the single-account reply is titled with it', async () => {
    const accounts = [account('main'), account('news')];
    const { interaction, sent } = slash();
    await pause.execute(interaction, context(accounts), MOD, [accounts[1] as AccountCommandContext]);
    expect(await accounts[0]?.pause.current()).toBeNull();
    expect(sent[0]?.embeds[0]?.title).toBe('⏸️ Posting paused · news (@news_on_x)');
  });

  it('GIVEN the one account of a single-account bot WHEN /status THEN the reply is the single-account one: no account named, version and uptime fields', async () => {
    const only = [account('default')];
    const { interaction, sent } = slash();
    await status.execute(interaction, context(only), MOD, only);
    expect(sent[0]?.kind).toBe('reply');
    expect(sent[0]?.content).toBeUndefined();
    expect(sent[0]?.embeds.map((e) => e.title)).toEqual(['draftgate status']);
    expect(sent[0]?.embeds[0]?.fields?.map((f) => f.name)).toContain('Version');
  });

  it('GIVEN three accounts WHEN /stats covers all THEN the total comes first with the chart, then one section per account, and the chart has one series per account', async () => {
    const accounts = [account('main', { posts: 3 }), account('news', { posts: 1 }), account('alerts', { posts: 2 })];
    const charts: StatsChartInput[] = [];
    const { interaction, sent } = slash();
    await stats.execute(interaction, context(accounts, charts), MOD, accounts);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.files).toBe(1);
    const titles = sent[0]?.embeds.map((e) => e.title);
    expect(titles).toEqual(['Stats · all 3 accounts · last 7 days incl. today', 'main (@main_on_x)', 'news (@news_on_x)', 'alerts (@alerts_on_x)']);
    expect(sent[0]?.embeds[0]?.image?.url).toBe('attachment://stats.png');
    expect(sent[0]?.embeds[0]?.fields?.find((f) => f.name === 'Posts')?.value).toContain('Published **6**');
    expect(sent[0]?.embeds[1]?.fields?.find((f) => f.name === 'Posts')?.value).toContain('Published **3**');
    expect(embedChars(sent[0]?.embeds ?? [])).toBeLessThanOrEqual(MAX_EMBED_CHARS_PER_MESSAGE);
    expect(charts).toHaveLength(1);
    expect(charts[0]?.accounts?.map((a) => [a.label, a.publications.reduce((s, n) => s + n, 0)])).toEqual([
      ['main (@main_on_x)', 3],
      ['news (@news_on_x)', 1],
      ['alerts (@alerts_on_x)', 2],
    ]);
    expect(charts[0]?.buckets.reduce((s, b) => s + b.publications, 0)).toBe(6);
  });

  it('GIVEN one account narrowed among several WHEN /stats THEN the single-account reply, titled with the account, and a chart of one series', async () => {
    const accounts = [account('main', { posts: 3 }), account('news')];
    const charts: StatsChartInput[] = [];
    const { interaction, sent } = slash();
    await stats.execute(interaction, context(accounts, charts), MOD, [accounts[0] as AccountCommandContext]);
    expect(sent[0]?.embeds.map((e) => e.title)).toEqual(['Stats · main (@main_on_x) · last 7 days incl. today']);
    expect(charts[0]?.accounts).toBeUndefined();
  });

  it('GIVEN two accounts and /topics list covering all THEN one section per account titled with it', async () => {
    const accounts = [account('main'), account('news')].map(
      (a) =>
        ({
          ...a,
          topicsWithContext: async () => ({
            topics: [
              {
                id: 1,
                name: `${a.id} topic`,
                enabled: true,
                weight: 10,
                contentType: 'education',
                approvals: 1,
                rejections: 0,
                usageCount: 1,
                avgEngagement: 2,
              },
            ],
            arms: [],
            approvals: new Map(),
            lastUsedTopicId: null,
            learningEnabled: true,
            repeatFactor: 0.25,
            resetAt: null,
          }),
        }) as unknown as AccountCommandContext,
    );
    const { interaction, sent } = slash({}, 'list');
    await topics.execute(interaction, context(accounts), MOD, accounts);
    expect(sent[0]?.embeds.map((e) => e.title)).toEqual(['Topics · main (@main_on_x) (1 of 1 enabled)', 'Topics · news (@news_on_x) (1 of 1 enabled)']);
    expect(sent[0]?.embeds[1]?.description).toContain('**news topic**');
  });
});

describe('topic autocomplete follows the account the option or channel names', () => {
  function autocomplete(o: { account?: string; channelId?: string; focused?: string; typed?: string }) {
    const responses: Array<Array<{ name: string; value: string }>> = [];
    const focused = o.focused ?? 'topic';
    const interaction = {
      channelId: o.channelId ?? 'some-other-channel',
      options: {
        get: (name: string) => (name === 'account' && o.account !== undefined ? { name, value: o.account } : null),
        getFocused: (full?: boolean) => (full ? { name: focused, value: o.typed ?? '' } : (o.typed ?? '')),
      },
      respond: async (choices: Array<{ name: string; value: string }>) => {
        responses.push(choices);
      },
    };
    return { interaction: interaction as unknown as AutocompleteInteraction, responses };
  }
  const accounts = () => [
    account('main', {
      topics: [
        { name: 'safety', enabled: true },
        { name: 'memes', enabled: false },
      ],
    }),
    account('news', {
      topics: [
        { name: 'Safety', enabled: false },
        { name: 'launches', enabled: true },
        { name: 'memes', enabled: false },
      ],
    }),
  ];

  it("GIVEN the account option THEN /draft offers that account's topics only", async () => {
    const { interaction, responses } = autocomplete({ account: 'news' });
    await draft.autocomplete?.(interaction, context(accounts()));
    expect(responses[0]?.map((c) => c.name)).toEqual(['Safety (disabled)', 'launches', 'memes (disabled)']);
  });

  it("GIVEN no option in one account's moderation channel THEN /topics offers that account's topics", async () => {
    const { interaction, responses } = autocomplete({ channelId: 'chan-main' });
    await topics.autocomplete?.(interaction, context(accounts()));
    expect(responses[0]?.map((c) => c.name)).toEqual(['safety', 'memes (disabled)']);
  });

  it("GIVEN neither option nor channel naming one THEN the union of the accounts' topic names, disabled only where disabled in all", async () => {
    const { interaction, responses } = autocomplete({});
    await draft.autocomplete?.(interaction, context(accounts().reverse()));
    // news first: its spelling "Safety" is kept, but main has it enabled.
    expect(responses[0]?.map((c) => c.name)).toEqual(['Safety', 'launches', 'memes (disabled)']);
  });

  it('GIVEN an unknown account in the option THEN no topic is offered; AND WHEN the account option is focused THEN accounts are offered', async () => {
    const unknown = autocomplete({ account: 'nope' });
    await draft.autocomplete?.(unknown.interaction, context(accounts()));
    expect(unknown.responses[0]).toEqual([]);
    const focusedAccount = autocomplete({ focused: 'account', typed: 'ne' });
    await topics.autocomplete?.(focusedAccount.interaction, context(accounts()));
    expect(focusedAccount.responses[0]).toEqual([{ name: 'news (@news_on_x)', value: 'news' }]);
  });
});
