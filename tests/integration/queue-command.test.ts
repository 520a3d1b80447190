import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComponentType, InteractionResponseType, MessageFlags } from 'discord.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeQueueCustomId, decodeQueueTarget, encodeQueueTarget, type QueueAction } from '../../src/domain/custom-id.js';
import type { Draft } from '../../src/domain/draft.js';
import { NOT_OUR_GUILD_MESSAGE } from '../../src/adapters/discord/guild-guard.js';
import { expectCleanDiscordTraffic, useModerationHarness } from '../support/app-harness.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import type { FakeMessage, InjectedInteraction } from '../support/fake-discord.js';
import type { ModerationDriver, PostedCard } from '../support/moderation-driver.js';
import { withAppDatabase, type Fakes, type TestApp } from '../support/test-app.js';

const TWEETS = [
  'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.',
  'Before you touch a fresh launch on Pump.fun, read the description, check who holds the supply, and set your own limits first.',
  'Graduation is when a coin fills its bonding curve on Pump.fun and its liquidity moves on. Learn the steps before you trade around it.',
  'Slippage settings decide how far a price may move before your trade fails. Tight settings protect you; loose ones can cost you.',
];
const HOUR = 3_600_000;
/** The manual clock starts at 2026-11-25 12:00 UTC; hourly slots 08:00-19:00 (UTC): the next free ones are 13:00, 14:00, ... */
const at = (day: number, hour: number) => Date.UTC(2026, 10, day, hour, 0);
const HOURLY = Array.from({ length: 12 }, (_, i) => `${String(8 + i).padStart(2, '0')}:00`).join(';');
const CALENDAR = {
  POST_SLOTS: HOURLY,
  ACTIVE_HOURS: '08:00-20:00',
  TIMEZONE: 'UTC',
  MAX_POSTS_PER_HOUR: '2',
  MAX_POSTS_PER_DAY: '24',
  MAX_PENDING_DRAFTS: '100',
};

type Embed = { title?: string; description?: string; footer?: { text: string }; fields?: Array<{ name: string; value: string }> };
type Row = { components: Array<{ type: number; custom_id: string; options?: Array<{ value: string; label: string }> }> };

describe('/queue: list, page, pick and steer scheduled posts (real discord.js against the fakes)', () => {
  const { harness, track, start } = useModerationHarness();
  let fakes: Fakes;
  beforeEach(() => {
    fakes = harness.fakes;
  });

  /** Runs /queue list and returns its reply message (public: the team sees the queue). */
  async function queueList(driver: ModerationDriver, userId = fakes.discord.userIds.moderator): Promise<FakeMessage> {
    const interaction = track(fakes.discord.injectSlashCommand({ name: 'queue', subcommand: 'list', userId }));
    const message = await waitForReply(interaction);
    expect(message.flags & MessageFlags.Ephemeral).toBe(0);
    return driver.message(message.id);
  }

  async function waitForReply(interaction: InjectedInteraction): Promise<FakeMessage> {
    await fakes.discord.waitForCallback(interaction.id);
    let message: FakeMessage | undefined;
    await expect
      .poll(() => {
        message = fakes.discord.originalResponse(interaction.id);
        return message !== undefined && (message.flags & MessageFlags.Loading) === 0 && message.embeds.length > 0;
      })
      .toBe(true);
    return message as FakeMessage;
  }

  const embedOf = (message: FakeMessage) => message.embeds[0] as Embed;
  const rowsOf = (message: FakeMessage) => message.components as unknown as Row[];
  const idOf = (message: FakeMessage, action: QueueAction, page?: number) =>
    rowsOf(message)
      .flatMap((r) => r.components)
      .map((c) => c.custom_id)
      .find((id) => {
        const decoded = decodeQueueCustomId(id);
        return decoded?.action === action && (page === undefined || decoded.page === page);
      });
  const pickOptions = (message: FakeMessage) =>
    rowsOf(message)
      .flatMap((r) => r.components)
      .find((c) => c.type === ComponentType.StringSelect && decodeQueueCustomId(c.custom_id)?.action === 'pick')?.options ?? [];

  /** Presses a /queue button and waits until the message changed. */
  async function press(driver: ModerationDriver, message: FakeMessage, customId: string, userId?: string): Promise<InjectedInteraction> {
    const before = fakes.discord.messagePayloads(message.id).length;
    const interaction = track(driver.press(message.id, customId, userId));
    expect((await fakes.discord.waitForCallback(interaction.id)).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    if (userId === undefined || userId === fakes.discord.userIds.moderator)
      await expect.poll(() => fakes.discord.messagePayloads(message.id).length).toBeGreaterThan(before);
    return interaction;
  }

  async function choose(driver: ModerationDriver, message: FakeMessage, customId: string, value: string, userId?: string): Promise<InjectedInteraction> {
    const before = fakes.discord.messagePayloads(message.id).length;
    const interaction = track(driver.select(message.id, customId, [value], userId));
    expect((await fakes.discord.waitForCallback(interaction.id)).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    if (userId === undefined || userId === fakes.discord.userIds.moderator)
      await expect.poll(() => fakes.discord.messagePayloads(message.id).length).toBeGreaterThan(before);
    return interaction;
  }

  /** Picks a draft in the list's select menu, as a moderator. */
  async function pick(driver: ModerationDriver, message: FakeMessage, draft: Draft): Promise<FakeMessage> {
    const fresh = driver.message(message.id);
    const option = pickOptions(fresh).find((o) => decodeQueueTarget(o.value)?.draftId === draft.id);
    expect(option, `draft #${draft.id} in the select`).toBeDefined();
    await choose(driver, fresh, idOf(fresh, 'pick') as string, option?.value as string);
    const picked = driver.message(message.id);
    expect(embedOf(picked).fields?.[0]?.name).toBe(`Selected: draft #${draft.id}`);
    return picked;
  }

  /** Drafts with real cards, approved by the moderator on their cards: scheduled 13:00, 14:00, ... */
  async function scheduledCards(driver: ModerationDriver, count: number): Promise<PostedCard[]> {
    const cards: PostedCard[] = [];
    for (const text of TWEETS.slice(0, count)) {
      const card = await driver.postDraft(text);
      track(driver.click(card, 'approve', card.draft.id, 1));
      await expect.poll(() => driver.status(card.messageId)).toContain('Scheduled for');
      cards.push(card);
    }
    return cards;
  }

  /** `count` approved drafts scheduled straight through the services (no Discord traffic): a long queue, quickly. */
  async function seedQueue(testApp: TestApp, count: number, accountId = 'default'): Promise<void> {
    const account = testApp.app.services.accounts.get(accountId);
    if (!account) throw new Error(`no account ${accountId}`);
    const { drafts } = account.repos;
    const { moderation } = account;
    for (let i = 0; i < count; i += 1) {
      const draft = await drafts.create(newTweetDraft(`Queued post ${i + 1} of ${accountId}: ${'an idea worth reading '.repeat(3)}#${i}`), testApp.clock.now());
      const messageId = `14000000000${String(accountId.length)}${String(10_000 + i)}`;
      await drafts.setModerationMessage(draft.id, fakes.discord.channelId, messageId, testApp.clock.now());
      const result = await moderation.approve({ draftId: draft.id, revision: 1, actor: { id: fakes.discord.userIds.moderator, name: 'Mia (mod)' }, messageId });
      expect(result.status).toBe('applied');
    }
  }

  async function auditRows(testApp: TestApp): Promise<Array<{ action: string; outcome: string; detail: string | null; actorId: string }>> {
    return (await withAppDatabase(testApp.config, (ds) =>
      ds.query('SELECT action, outcome, detail, actor_id AS "actorId" FROM moderation_events ORDER BY id'),
    )) as Array<{ action: string; outcome: string; detail: string | null; actorId: string }>;
  }

  const draftOf = (driver: ModerationDriver, id: number) => driver.testApp.app.repos.drafts.findById(id);

  it('GIVEN scheduled posts WHEN /queue list THEN each shows its time (absolute and relative), its first line and who approved it, soonest first', async () => {
    const driver = await start(CALENDAR);
    const cards = await scheduledCards(driver, 2);
    const message = await queueList(driver);
    const lines = embedOf(message).description?.split('\n') ?? [];
    expect(lines).toHaveLength(2);
    cards.forEach((card, i) => {
      const slot = at(25, 13 + i) / 1000;
      expect(lines[i]).toBe(`**${i + 1}.** <t:${slot}:F> (<t:${slot}:R>) · #${card.draft.id} · ${TWEETS[i]} · approved by Mia (mod)`);
    });
    expect(embedOf(message).footer?.text).toMatch(/^page 1 of 1 · 2 upcoming · slots \(UTC\): /);
    expect(pickOptions(message).map((o) => decodeQueueTarget(o.value))).toEqual(cards.map((c, i) => ({ draftId: c.draft.id, scheduledFor: at(25, 13 + i) })));
    await expectCleanDiscordTraffic(fakes);
  });

  it("GIVEN 60 scheduled drafts THEN /queue pages through them ten at a time with Next and Prev, every reply within Discord's limits, and anyone may page", async () => {
    const driver = await start(CALENDAR);
    await seedQueue(driver.testApp, 60);
    let message = await queueList(driver, fakes.discord.userIds.plain);
    expect(embedOf(message).footer?.text).toMatch(/^page 1 of 6 · 60 upcoming/);
    const seen: string[] = [];
    for (let page = 0; page < 6; page += 1) {
      message = driver.message(message.id);
      expect(embedOf(message).footer?.text).toContain(`page ${page + 1} of 6`);
      const lines = embedOf(message).description?.split('\n') ?? [];
      expect(lines).toHaveLength(10);
      seen.push(...lines);
      expect(pickOptions(message)).toHaveLength(10);
      if (page < 5) await press(driver, message, idOf(message, 'page', page + 1) as string);
    }
    // Every draft once, in time order.
    expect(new Set(seen.map((l) => /· #(\d+) ·/.exec(l)?.[1])).size).toBe(60);
    const times = seen.map((l) => Number(/<t:(\d+):F>/.exec(l)?.[1]));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // Last page: Prev only; back to page 5, by a member who is not a moderator (paging changes nothing).
    message = driver.message(message.id);
    expect(idOf(message, 'page', 6)).toBeUndefined();
    const back = await press(driver, message, idOf(message, 'page', 4) as string, fakes.discord.userIds.plain);
    await expect.poll(() => embedOf(driver.message(message.id)).footer?.text).toContain('page 5 of 6');
    expect(driver.ephemeralReplies(back.id)).toEqual([]);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a moderator WHEN they pick a post and Move it to a free slot, Swap one with the next, Unschedule one and Publish one now THEN each happens, the list re-renders and the cards follow', async () => {
    const driver = await start(CALENDAR);
    const [a, b, c, d] = (await scheduledCards(driver, 4)) as [PostedCard, PostedCard, PostedCard, PostedCard];
    let message = await queueList(driver);

    // Move A (13:00) to a free slot: the first one offered is 17:00.
    message = await pick(driver, message, a.draft);
    const move = rowsOf(message)
      .flatMap((r) => r.components)
      .find((x) => decodeQueueCustomId(x.custom_id)?.action === 'move');
    expect(decodeQueueCustomId(move?.custom_id ?? '')?.target).toEqual({ draftId: a.draft.id, scheduledFor: at(25, 13) });
    expect(move?.options?.[0]).toEqual({ label: 'Wed 25 Nov 17:00', value: String(at(25, 17)) });
    await choose(driver, message, move?.custom_id as string, String(at(25, 17)));
    expect(await draftOf(driver, a.draft.id)).toMatchObject({ scheduledFor: at(25, 17) });
    await expect.poll(() => driver.status(a.messageId)).toContain(`<t:${at(25, 17) / 1000}:F>`);
    message = driver.message(message.id);
    expect(message.content).toContain(`moved draft #${a.draft.id}: now scheduled for <t:${at(25, 17) / 1000}:F>`);
    expect(embedOf(message).fields ?? []).toEqual([]);

    // Swap B (14:00) with the next (C, 15:00).
    message = await pick(driver, message, b.draft);
    await press(driver, message, idOf(message, 'swap') as string);
    expect(await draftOf(driver, b.draft.id)).toMatchObject({ scheduledFor: at(25, 15) });
    expect(await draftOf(driver, c.draft.id)).toMatchObject({ scheduledFor: at(25, 14) });
    await expect.poll(() => driver.status(c.messageId)).toContain(`<t:${at(25, 14) / 1000}:F>`);
    await expect.poll(() => driver.status(b.messageId)).toContain(`<t:${at(25, 15) / 1000}:F>`);

    // Unschedule D: pending again, its card has the moderation buttons.
    message = await pick(driver, driver.message(message.id), d.draft);
    await press(driver, message, idOf(message, 'unschedule') as string);
    expect(await draftOf(driver, d.draft.id)).toMatchObject({ status: 'pending', scheduledFor: null });
    await expect.poll(() => driver.status(d.messageId)).toContain('Awaiting moderation');

    // Publish C now (dry run): published, gone from the list.
    message = await pick(driver, driver.message(message.id), c.draft);
    await press(driver, message, idOf(message, 'now') as string);
    await expect.poll(async () => (await draftOf(driver, c.draft.id))?.status).toBe('published');
    await expect.poll(() => driver.status(c.messageId)).toContain('Published');
    await expect.poll(() => embedOf(driver.message(message.id)).description ?? '').not.toContain(`#${c.draft.id} `);
    expect(embedOf(driver.message(message.id)).footer?.text).toMatch(/· 2 upcoming ·/);

    const audit = await auditRows(driver.testApp);
    const mine = audit.filter((r) => ['reschedule', 'swap', 'unschedule', 'publish_now'].includes(r.action)).map((r) => r.action);
    expect(mine).toEqual(['reschedule', 'swap', 'swap', 'unschedule', 'publish_now']);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a member who is not a moderator WHEN they pick, publish now, move, swap or unschedule from /queue THEN each is refused privately and audited, and nothing changes', async () => {
    const driver = await start(CALENDAR);
    const [a] = (await scheduledCards(driver, 2)) as [PostedCard, PostedCard];
    const message = await queueList(driver, fakes.discord.userIds.plain);
    const plain = fakes.discord.userIds.plain;
    // A moderator picks A on the shared message; the plain member then presses its buttons.
    const picked = await pick(driver, message, a.draft);
    const refusals: InjectedInteraction[] = [];
    refusals.push(await choose(driver, picked, idOf(picked, 'pick') as string, encodeQueueTarget({ draftId: a.draft.id, scheduledFor: at(25, 13) }), plain));
    const move = rowsOf(picked)
      .flatMap((r) => r.components)
      .find((x) => decodeQueueCustomId(x.custom_id)?.action === 'move');
    refusals.push(await choose(driver, picked, move?.custom_id as string, move?.options?.[0]?.value as string, plain));
    for (const action of ['now', 'swap', 'unschedule'] as const) refusals.push(await press(driver, picked, idOf(picked, action) as string, plain));
    for (const refusal of refusals) expect(await driver.ephemeralReply(refusal.id)).toMatch(/^Only moderators can do that: \/queue \w+ is limited to/);

    expect(await draftOf(driver, a.draft.id)).toMatchObject({ status: 'approved', scheduledFor: at(25, 13) });
    const audit = (await auditRows(driver.testApp)).filter((r) => r.outcome === 'refused_not_moderator');
    // The clicks race each other (nothing waits for a refusal): compare as a set.
    expect(audit.map((r) => [r.action, r.actorId]).sort()).toEqual(
      ['/queue move', '/queue now', '/queue pick', '/queue swap', '/queue unschedule'].map((x) => [x, plain]),
    );
    expect(audit.filter((r) => r.action !== '/queue pick').every((r) => r.detail === `draft #${a.draft.id}`)).toBe(true);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a /queue page shown before the post moved (its card was rescheduled) WHEN a moderator acts from the stale page THEN it is refused as moved, nothing changes, and the page is refreshed', async () => {
    const driver = await start(CALENDAR);
    const [a] = (await scheduledCards(driver, 2)) as [PostedCard, PostedCard];
    const message = await queueList(driver);
    const picked = await pick(driver, message, a.draft);
    const staleNow = idOf(picked, 'now') as string;
    // Meanwhile someone reschedules A on its card.
    await driver.testApp.app.services.accounts.get('default')!.scheduling.moveTo({ draftId: a.draft.id, actor: { id: '1', name: 'Omar' }, at: at(26, 9) });
    const refused = await press(driver, picked, staleNow);
    expect(await driver.ephemeralReply(refused.id)).toBe(
      `Draft #${a.draft.id} was moved meanwhile: it is scheduled for <t:${at(26, 9) / 1000}:F> now. Nothing was changed; look at the queue again.`,
    );
    expect(await draftOf(driver, a.draft.id)).toMatchObject({ status: 'approved', scheduledFor: at(26, 9) });
    // The refreshed page shows where it is now.
    await expect.poll(() => embedOf(driver.message(message.id)).description ?? '').toContain(`<t:${at(26, 9) / 1000}:F>`);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a /queue control clicked from outside the guild (another server, a DM) THEN the guild guard refuses it before anything is read or audited', async () => {
    const driver = await start(CALENDAR);
    const [a] = (await scheduledCards(driver, 1)) as [PostedCard];
    const message = await queueList(driver);
    const picked = await pick(driver, message, a.draft);
    const payloads = fakes.discord.messagePayloads(message.id).length;
    for (const guildId of ['1300000000000000999', null]) {
      const click = track(fakes.discord.injectButtonClick({ messageId: picked.id, customId: idOf(picked, 'unschedule') as string, guildId }));
      expect(await driver.ephemeralReply(click.id)).toBe(NOT_OUR_GUILD_MESSAGE);
    }
    expect(await draftOf(driver, a.draft.id)).toMatchObject({ status: 'approved', scheduledFor: at(25, 13) });
    expect(fakes.discord.messagePayloads(message.id)).toHaveLength(payloads);
    expect((await auditRows(driver.testApp)).filter((r) => r.action.startsWith('/queue'))).toEqual([]);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN two accounts sharing the channel WHEN /queue list names none THEN each account gets a message of its own, titled with it, listing only its posts, and its controls act on it alone', async () => {
    const dir = harness.tempDir();
    const file = join(dir, 'accounts.yaml');
    writeFileSync(
      file,
      [
        'accounts:',
        '  - id: main',
        `    moderationChannelId: "${fakes.discord.channelId}"`,
        '    dryRun: true',
        '    slots: ["13:00", "18:30"]',
        '  - id: news',
        `    moderationChannelId: "${fakes.discord.channelId}"`,
        '    dryRun: true',
        '    slots: ["14:00"]',
        '',
      ].join('\n'),
    );
    const driver = await start({ ACCOUNTS_FILE: file });
    await seedQueue(driver.testApp, 2, 'main');
    await seedQueue(driver.testApp, 1, 'news');
    const interaction = track(fakes.discord.injectSlashCommand({ name: 'queue', subcommand: 'list' }));
    const main = await waitForReply(interaction);
    let news: FakeMessage | undefined;
    await expect
      .poll(() => {
        news = [...fakes.discord.messages.values()].find(
          (m) => m.id !== main.id && (m['interaction_metadata'] as { id?: string } | undefined)?.id === interaction.id,
        );
        return news?.embeds.length ?? 0;
      })
      .toBe(1);
    expect(embedOf(main).title).toBe('Publishing queue · main');
    expect(embedOf(main).description).toMatch(/Queued post 1 of main[\s\S]*Queued post 2 of main/);
    expect(embedOf(main).description).not.toContain('of news');
    expect(embedOf(news as FakeMessage).title).toBe('Publishing queue · news');
    expect(embedOf(news as FakeMessage).description).toContain('Queued post 1 of news');
    expect(embedOf(news as FakeMessage).footer?.text).toContain('slots (UTC): 14:00');
    // The news message's controls name news: a pick there shows a news draft.
    const select = rowsOf(news as FakeMessage)[0]?.components[0];
    expect(decodeQueueCustomId(select?.custom_id ?? '')).toMatchObject({ action: 'pick', accountId: 'news' });
    await choose(driver, news as FakeMessage, select?.custom_id as string, select?.options?.[0]?.value as string);
    expect(embedOf(driver.message((news as FakeMessage).id)).fields?.[0]?.value).toContain('Queued post 1 of news');
    expect(embedOf(driver.message(main.id)).fields ?? []).toEqual([]);
    await expectCleanDiscordTraffic(fakes);
  });

  describe('/queue suggest', () => {
    /** `count` real (not dry-run) publications with engagement: Tuesdays 18:00 UTC do best, Mondays 09:00 next, the rest little. */
    async function seedPublished(
      testApp: TestApp,
      count: number,
      options: { dryRun?: boolean; withoutMetrics?: number; firstTweet?: number } = {},
    ): Promise<void> {
      const { drafts, posts } = testApp.app.repos;
      const now = testApp.clock.now();
      for (let i = 0; i < count; i += 1) {
        const draft = await drafts.create(newTweetDraft(`Published post ${i}: ${'worth a read '.repeat(2)}`), now);
        const kind = i % 3;
        // Tuesday 2026-11-24 18:00 UTC and Monday 2026-11-23 09:00 UTC, minus whole weeks; others on Wednesdays 03:00.
        const base = kind === 0 ? Date.UTC(2026, 10, 24, 18) : kind === 1 ? Date.UTC(2026, 10, 23, 9) : Date.UTC(2026, 10, 18, 3);
        const postedAt = base - (Math.floor(i / 3) % 8) * 7 * 24 * HOUR;
        const tweetId = `19000000000000${String(10_000 + (options.firstTweet ?? 0) + i)}`;
        await posts.recordPosted({
          draftId: draft.id,
          tweetId,
          content: 'x',
          contentType: 'education',
          isThread: false,
          threadId: null,
          threadPosition: 0,
          dryRun: options.dryRun ?? false,
          postedAt,
        });
        if (i < (options.withoutMetrics ?? 0)) continue;
        const likes = kind === 0 ? 90 + i : kind === 1 ? 40 + i : 2;
        await posts.updateMetrics(tweetId, { likes, retweets: 1, replies: 1, quotes: 0, impressions: 1000 }, now);
      }
    }

    async function suggest(userId = fakes.discord.userIds.plain): Promise<Embed> {
      const interaction = track(fakes.discord.injectSlashCommand({ name: 'queue', subcommand: 'suggest', userId }));
      return embedOf(await waitForReply(interaction));
    }

    it('GIVEN fewer than 30 published posts with engagement in the last 60 days THEN /queue suggest says how many it has and needs, and changes nothing', async () => {
      const driver = await start(CALENDAR);
      // 29 with metrics; dry-run posts and posts without metrics yet do not count.
      await seedPublished(driver.testApp, 31, { withoutMetrics: 2 });
      await seedPublished(driver.testApp, 5, { dryRun: true, firstTweet: 100 });
      const reply = await suggest();
      expect(reply.description).toMatch(/29 published posts with engagement in the last 60 days; it needs at least 30/);
      expect((await auditRows(driver.testApp)).length).toBe(0);
      await expectCleanDiscordTraffic(fakes);
    });

    it('GIVEN 36 published posts THEN /queue suggest ranks the hour-of-week buckets by median engagement (best first, with post counts), proposes slots, and says slots change in the config', async () => {
      const driver = await start(CALENDAR);
      await seedPublished(driver.testApp, 36);
      const reply = await suggest();
      const text = [reply.description, ...(reply.fields ?? []).map((f) => `${f.name}\n${f.value}`)].join('\n');
      const ranked = (reply.fields ?? []).find((f) => f.name.startsWith('Best hours'))?.value.split('\n') ?? [];
      expect(ranked[0]).toMatch(/^1\. Tue 18:00-19:00 \(UTC\) · median engagement \d+ · 12 posts$/);
      expect(ranked[1]).toMatch(/^2\. Mon 09:00-10:00 \(UTC\) · median engagement \d+ · 12 posts$/);
      expect(text).toContain('Tue 18:00');
      expect((reply.fields ?? []).find((f) => f.name === 'Proposed slots')?.value).toMatch(/^`Tue 18:00`, `Mon 09:00`, `Wed 03:00`/);
      expect(text).toMatch(/POST_SLOTS/);
      expect(text).toMatch(/accounts\.yaml/);
      expect(text).toMatch(/nothing was changed/i);
      await expectCleanDiscordTraffic(fakes);
    });
  });
});
