import { beforeEach, describe, expect, it } from 'vitest';
import { renderDraftCard } from '../../src/adapters/discord/draft-card.js';
import { weightedLength } from '../../src/domain/tweet-length.js';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import { expectCleanDiscordTraffic, useModerationHarness } from '../support/app-harness.js';
import { discordFaults } from '../support/fake-discord.js';
import { ModerationDriver } from '../support/moderation-driver.js';
import { ManualClock, type Fakes } from '../support/test-app.js';

/** Raises a risk flag (a dollar amount), so REQUIRE_SECOND_APPROVAL asks for two approvals. */
const RISKY_TWEET = 'Launching a coin on Pump.fun costs about $2 in network fees. Read the fee page first so nothing surprises you later on.';
const TWEET = 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** MODERATION_TIMEOUT default. */
const TIMEOUT = 2 * HOUR;
const WEBHOOK_ORIGINAL = /\/webhooks\/\d+\/[^/]+\/messages\/@original$/;

describe('the card is the truth (real discord.js against the fakes)', () => {
  const { harness, track, start } = useModerationHarness();
  let fakes: Fakes;
  beforeEach(() => {
    fakes = harness.fakes;
  });

  const cardPosts = () => fakes.discord.requestsTo('POST', `/channels/${fakes.discord.channelId}/messages`);

  async function healthz(driver: ModerationDriver): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`http://127.0.0.1:${driver.testApp.app.healthPort}/healthz`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function metric(driver: ModerationDriver, name: string): Promise<number | undefined> {
    const text = await (await fetch(`http://127.0.0.1:${driver.testApp.app.healthPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  }

  /** Runs one scheduler job if it is due by the manual clock (the card job is checked to exist where it matters). */
  async function runJob(driver: ModerationDriver, name: string): Promise<void> {
    await driver.testApp.app.scheduler.job(name)?.runIfDue();
  }

  /** The card on Discord equals the card rendered from the database now. */
  async function expectCardMatchesDatabase(driver: ModerationDriver, draftId: number, messageId: string): Promise<void> {
    const expected = renderDraftCard(await driver.testApp.app.services.moderation.viewOf(draftId));
    const message = driver.message(messageId);
    expect(message.embeds.map(({ type: _type, ...embed }) => embed)).toEqual(expected.embeds);
    expect(driver.buttons(messageId)).toEqual(expected.components.flatMap((row) => row.components.map((b) => b.custom_id)));
  }

  it('GIVEN TIMEOUT_ACTION=publish AND Discord answering 503 to every card post for longer than the moderation timeout THEN nothing reaches X, the draft stays pending and alerted, and once Discord recovers the card is posted and the deadline counts from then', async () => {
    const driver = await start({ DRY_RUN: 'false', TIMEOUT_ACTION: 'publish' });
    const { app, clock } = driver.testApp;
    expect(app.scheduler.job('card-reconcile')).toBeDefined();
    fakes.discord.injectFault({ method: 'POST', path: `/channels/${fakes.discord.channelId}/messages`, times: Infinity }, discordFaults.serverError(503));
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEET } });
    const outcome = await app.services.moderation.generateAndPostDraft({ trigger: 'command', topicName: 'education' });
    expect(outcome).toMatchObject({ status: 'created', card: null });
    const draftId = outcome.status === 'created' ? outcome.draft.id : 0;

    // Three hours of outage, with the sweeps, the deadline timer and the card job running all along.
    for (let elapsed = 0; elapsed < TIMEOUT + HOUR; elapsed += 5 * MINUTE) {
      clock.advance(5 * MINUTE);
      await runJob(driver, JOB_NAMES.timeoutSweep);
      await runJob(driver, JOB_NAMES.cards);
      await app.services.deadlines.runNow();
    }
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    const waiting = await app.repos.drafts.findById(draftId);
    expect(waiting).toMatchObject({ status: 'pending', moderationMessageId: null, deadlineAt: null });
    // Retried with backoff (30 s doubling to 15 min), not once per sweep and not given up.
    const attempts = cardPosts().length;
    expect(attempts).toBeGreaterThan(4 * 3);
    expect(attempts).toBeLessThan(4 * 20);
    // The alert: a log line per failure, a metric and a /healthz detail (degraded: 200).
    expect(
      driver.testApp.logs.filter((l) => String(l['message']).startsWith('a draft card could not be posted') && l['draftId'] === draftId).length,
    ).toBeGreaterThan(3);
    expect(await metric(driver, 'draftgate_cards_unposted')).toBe(1);
    const health = await healthz(driver);
    expect(health.status).toBe(200);
    expect(health.body['degraded']).toEqual(['cards']);
    expect((health.body['checks'] as Record<string, string>)['cards']).toMatch(/^1 draft card\(s\) could not be posted since .*: Service Unavailable$/);

    // Discord recovers: the card job posts the card at its next attempt, and the deadline starts then.
    fakes.discord.http.clearFaults();
    for (let i = 0; i < 16 && !(await app.repos.drafts.findById(draftId))?.moderationMessageId; i += 1) {
      clock.advance(MINUTE);
      await runJob(driver, JOB_NAMES.cards);
    }
    const shown = await app.repos.drafts.findById(draftId);
    expect(shown?.moderationMessageId).not.toBeNull();
    const shownAt = clock.now();
    expect(shown?.deadlineAt).toBe(shownAt + TIMEOUT);
    expect(driver.status(shown?.moderationMessageId ?? '')).toContain('Awaiting moderation');
    expect(await metric(driver, 'draftgate_cards_unposted')).toBe(0);
    expect((await healthz(driver)).body['degraded']).toEqual([]);

    clock.advance(TIMEOUT - 1);
    await app.services.deadlines.runNow();
    expect((await app.repos.drafts.findById(draftId))?.status).toBe('pending');
    clock.advance(1);
    await app.services.deadlines.runNow();
    expect((await app.repos.drafts.findById(draftId))?.status).toBe('published');
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
  });

  it('GIVEN Discord storing a card but its answer being lost (every try of one post, then the retry) WHEN the card is posted THEN the channel holds exactly one card for the draft, and it shows the database', async () => {
    const driver = await start({ TIMEOUT_ACTION: 'publish' });
    const { app, clock } = driver.testApp;
    const lost = { ...discordFaults.serverError(500), afterRoute: true };
    fakes.discord.injectFault({ method: 'POST', path: `/channels/${fakes.discord.channelId}/messages`, times: Infinity }, lost);
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEET } });
    const outcome = await app.services.moderation.generateAndPostDraft({ trigger: 'command', topicName: 'education' });
    expect(outcome).toMatchObject({ status: 'created', card: null });
    const draftId = outcome.status === 'created' ? outcome.draft.id : 0;
    expect(cardPosts().length).toBeGreaterThan(1); // discord.js retried the 500 itself

    fakes.discord.http.clearFaults();
    clock.advance(31_000);
    await runJob(driver, JOB_NAMES.cards);
    const shown = await app.repos.drafts.findById(draftId);
    expect(shown?.moderationMessageId).not.toBeNull();
    const cards = [...fakes.discord.messages.values()].filter((m) => JSON.stringify(m.components).includes(`dg1:approve:${draftId}:1`));
    expect(cards.map((m) => m.id)).toEqual([shown?.moderationMessageId]);
    await expectCardMatchesDatabase(driver, draftId, shown?.moderationMessageId ?? '');
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a card post refused by Discord WHEN the bot restarts THEN the retry schedule continues from the database and the card is posted once Discord recovers', async () => {
    const clock = new ManualClock();
    const first = await start({ TIMEOUT_ACTION: 'publish' }, { clock });
    fakes.discord.injectFault({ method: 'POST', path: `/channels/${fakes.discord.channelId}/messages`, times: Infinity }, discordFaults.serverError(503));
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEET } });
    const outcome = await first.testApp.app.services.moderation.generateAndPostDraft({ trigger: 'command', topicName: 'education' });
    const draftId = outcome.status === 'created' ? outcome.draft.id : 0;
    clock.advance(31_000);
    await runJob(first, JOB_NAMES.cards); // second failure: next attempt in 60 s
    await first.testApp.stop();
    const before = cardPosts().length;

    // Restarted 10 s later: the next attempt is not due yet, so start-up does not hammer Discord.
    clock.advance(10_000);
    const second = await start({ TIMEOUT_ACTION: 'publish' }, { clock, dataDir: first.testApp.dataDir });
    expect(cardPosts().length).toBe(before);
    expect(await metric(second, 'draftgate_cards_unposted')).toBe(1);
    fakes.discord.http.clearFaults();
    clock.advance(50_000);
    await runJob(second, JOB_NAMES.cards);
    const shown = await second.testApp.app.repos.drafts.findById(draftId);
    expect(shown?.moderationMessageId).not.toBeNull();
    expect(shown?.deadlineAt).toBe(clock.now() + TIMEOUT);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
  });

  it('GIVEN Discord answering 503 to the card edit after Approve THEN the moderator is told it was published with its link, and the card is re-rendered by the reconciler once Discord recovers and matches the database', async () => {
    const driver = await start({ DRY_RUN: 'false' });
    const { app, clock } = driver.testApp;
    const card = await driver.postDraft(TWEET);
    fakes.discord.injectFault({ method: 'PATCH', path: WEBHOOK_ORIGINAL, times: Infinity }, discordFaults.serverError(503));
    fakes.discord.injectFault(
      { method: 'PATCH', path: `/channels/${fakes.discord.channelId}/messages/${card.messageId}`, times: Infinity },
      discordFaults.serverError(503),
    );

    const click = track(driver.click(card, 'approve', card.draft.id, 1));
    const reply = await driver.ephemeralReply(click.id);
    const published = await app.repos.drafts.findById(card.draft.id);
    expect(published?.status).toBe('published');
    expect(reply).toBe(`Approved and published: https://x.com/i/status/${published?.tweetId}. The card could not be updated right now; it will be refreshed.`);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    // Still stale on Discord, and known to be.
    expect(driver.status(card.messageId)).toContain('Awaiting moderation');
    expect(await metric(driver, 'draftgate_cards_out_of_date')).toBe(1);
    expect((await healthz(driver)).body['degraded']).toEqual(['cards']);

    // A reconciler pass while Discord still fails changes nothing; after recovery the next one fixes the card.
    clock.advance(30_000);
    await runJob(driver, JOB_NAMES.cards);
    expect(driver.status(card.messageId)).toContain('Awaiting moderation');
    fakes.discord.http.clearFaults();
    clock.advance(30_000);
    await runJob(driver, JOB_NAMES.cards);
    expect(driver.status(card.messageId)).toContain(`https://x.com/i/status/${published?.tweetId}`);
    expect(driver.buttons(card.messageId)).toEqual([]);
    await expectCardMatchesDatabase(driver, card.draft.id, card.messageId);
    expect(await metric(driver, 'draftgate_cards_out_of_date')).toBe(0);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a card left stale by a refused edit WHEN the bot restarts THEN the card is re-rendered at start-up and matches the database', async () => {
    const clock = new ManualClock();
    const first = await start({}, { clock });
    const card = await first.postDraft(TWEET);
    fakes.discord.injectFault({ method: 'PATCH', path: WEBHOOK_ORIGINAL, times: Infinity }, discordFaults.serverError(503));
    fakes.discord.injectFault(
      { method: 'PATCH', path: `/channels/${fakes.discord.channelId}/messages/${card.messageId}`, times: Infinity },
      discordFaults.serverError(503),
    );
    const submit = track(first.submit(card, 'reject-modal', card.draft.id, 1, { reason: 'off-brand' }));
    expect(await first.ephemeralReply(submit.id)).toBe('Rejected: off-brand. The card could not be updated right now; it will be refreshed.');
    expect(first.status(card.messageId)).toContain('Awaiting moderation');
    await first.testApp.stop();

    fakes.discord.http.clearFaults();
    const second = await start({}, { clock, dataDir: first.testApp.dataDir });
    expect(second.status(card.messageId)).toContain('Rejected by');
    expect(second.status(card.messageId)).toContain('off-brand');
    await expectCardMatchesDatabase(second, card.draft.id, card.messageId);
  });

  it('GIVEN a thread too long for any embed layout THEN the card carries the whole text as a file Discord accepts, and keeps it through the edit after Approve', async () => {
    const driver = await start();
    const tweets = Array.from({ length: 6 }, (_, i) => `${i + 1}/ Read the launch page before you buy: https://pump.fun/coin/${'b'.repeat(1_500)}`);
    const card = await driver.postDraft(tweets, 'deep-dive-thread');
    const posted = driver.message(card.messageId);
    expect(posted.attachments).toHaveLength(1);
    const file = async () => Buffer.from(await (await fetch(String(driver.message(card.messageId).attachments[0]?.['url']))).arrayBuffer()).toString('utf8');
    for (const t of tweets) expect(await file()).toContain(t);
    track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    expect(driver.message(card.messageId).attachments).toHaveLength(1);
    for (const t of tweets) expect(await file()).toContain(t);
    expect(driver.testApp.logs.filter((l) => l['level'] === 'error')).toEqual([]);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a card deleted from Discord WHEN its draft changes THEN the reconciler tries once, logs it, and stops editing a message that is gone', async () => {
    const driver = await start();
    const { app, clock } = driver.testApp;
    const card = await driver.postDraft(TWEET);
    fakes.discord.messages.delete(card.messageId);
    // Decided without the card (e.g. through the service), so the card is behind its draft.
    await app.services.moderation.approve({
      draftId: card.draft.id,
      revision: 1,
      actor: { id: fakes.discord.userIds.moderator, name: 'mod' },
      messageId: card.messageId,
    });
    expect(await metric(driver, 'draftgate_cards_out_of_date')).toBe(1);
    const edits = () => fakes.discord.requestsTo('PATCH', `/channels/${fakes.discord.channelId}/messages/${card.messageId}`).length;
    clock.advance(30_000);
    await runJob(driver, JOB_NAMES.cards);
    expect(edits()).toBe(1);
    expect(
      driver.testApp.logs.some((l) => l['message'] === 'the card was deleted from Discord; it is no longer updated' && l['draftId'] === card.draft.id),
    ).toBe(true);
    expect(await metric(driver, 'draftgate_cards_out_of_date')).toBe(0);
    clock.advance(30_000);
    await runJob(driver, JOB_NAMES.cards);
    expect(edits()).toBe(1);
  });

  it('GIVEN a 3,989-character text with a long pump.fun URL, 1,000 * of Regenerate feedback and a 500 * reject reason THEN every card Discord receives is within its limits, shows the whole text, and says what was shortened', async () => {
    const driver = await start();
    const url = `https://pump.fun/coin/${'a_'.repeat(1_880)}`;
    const long = (n: number) => `Before you buy (${n}), read the whole page: ${url} and check who holds the supply *first*.`;
    const first = long(1).padEnd(3_989, '!');
    expect(first.length).toBe(3_989);
    expect(weightedLength(first)).toBeLessThanOrEqual(280);
    const card = await driver.postDraft(first);

    const open = track(driver.click(card, 'regenerate', card.draft.id, 1));
    await fakes.discord.waitForCallback(open.id);
    const second = long(2);
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: second } });
    track(driver.submit(card, 'regenerate-modal', card.draft.id, 1, { feedback: '*'.repeat(1_000) }));
    await expect.poll(async () => (await driver.testApp.app.repos.drafts.findById(card.draft.id))?.revision).toBe(2);
    await expect.poll(() => (driver.message(card.messageId).embeds[0] as { footer?: { text: string } }).footer?.text ?? '').toContain('revision 2');
    let embeds = driver.message(card.messageId).embeds as Array<{ description?: string; fields?: Array<{ name: string; value: string }> }>;
    expect(embeds[0]?.fields?.find((f) => f.name === 'Feedback')?.value).toMatch(/feedback shortened\)$/);
    expect(embeds.map((e) => e.description ?? '').join('\n')).toContain(second);

    const reject = track(driver.submit(card, 'reject-modal', card.draft.id, 2, { reason: '*'.repeat(500) }));
    await fakes.discord.waitForCallback(reject.id);
    await expect.poll(() => driver.status(card.messageId)).toContain('Rejected by');
    embeds = driver.message(card.messageId).embeds as typeof embeds;
    // Shown whole and exactly: in a code block, so no escaping is needed.
    expect(embeds.map((e) => e.description ?? '').join('\n')).toContain(`\`\`\`\n${second}\n\`\`\``);
    // Every write the bot sent was accepted: the fake enforces Discord's limits, and a refusal is logged as an error.
    expect(driver.testApp.logs.filter((l) => l['level'] === 'error')).toEqual([]);
    expect(driver.ephemeralReplies(reject.id)).toEqual([]);
    await expectCleanDiscordTraffic(fakes);
  });
});

describe('the deadline acts only on what the card shows (real discord.js against the fakes)', () => {
  const { harness, track, start } = useModerationHarness();

  /** Every text of the card's embeds, as a moderator reads it. */
  const cardText = (driver: ModerationDriver, messageId: string) =>
    (driver.message(messageId).embeds as Array<{ description?: string }>).map((e) => e.description ?? '').join('\n');

  it('GIVEN the card reconciler re-rendering an out-of-date card WHEN the second Approve is clicked while its edit is in flight and lands after the click THEN exactly one publication, and when the pass ends the card shows the database again', async () => {
    const fakes = harness.fakes;
    const driver = await start({ DRY_RUN: 'false', REQUIRE_SECOND_APPROVAL: 'true' });
    const { app } = driver.testApp;
    const second = fakes.discord.addMember({ username: 'mod_bo', globalName: 'Bo', roleIds: [fakes.discord.moderatorRoleId] });
    const card = await driver.postDraft(RISKY_TWEET);
    expect(driver.status(card.messageId)).toContain('two moderators must approve');
    const cardPath = `/channels/${fakes.discord.channelId}/messages/${card.messageId}`;
    // The first approval is recorded while Discord refuses both edits: the card is out of date.
    // (403: discord.js does not retry it, so no edit of ours is still on its way afterwards.)
    const refused = { status: 403, body: { message: 'Missing Access', code: 50001 } };
    fakes.discord.injectFault({ method: 'PATCH', path: WEBHOOK_ORIGINAL, times: Infinity }, refused);
    fakes.discord.injectFault({ method: 'PATCH', path: cardPath, times: Infinity }, refused);
    driver.testApp.clock.advance(1_000);
    const first = track(driver.click(card, 'approve', card.draft.id, 1));
    expect(await driver.ephemeralReply(first.id)).toMatch(/second, different moderator/);
    await expect.poll(async () => (await app.services.moderation.cardHealth()).outOfDate).toBe(1);
    fakes.discord.http.clearFaults();

    // The reconciler's edit (first approval, pending) is held on its way to Discord...
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const patches = fakes.discord.requestsTo('PATCH', cardPath).length;
    fakes.discord.injectFault({ method: 'PATCH', path: cardPath }, { until: gate });
    const pass = app.services.moderation.reconcileCards();
    await expect.poll(() => fakes.discord.requestsTo('PATCH', cardPath).length).toBe(patches + 1);
    // ...while a second moderator approves from the card (the interaction edits the card first).
    const click = track(driver.click(card, 'approve', card.draft.id, 1, second));
    await fakes.discord.waitForCallback(click.id);
    await expect.poll(async () => (await app.repos.drafts.findById(card.draft.id))?.status).toBe('published');
    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    // The held edit lands last.
    release();
    await pass;

    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    expect(driver.status(card.messageId)).toContain('Published');
    expect(driver.buttons(card.messageId)).toEqual([]);
    expect(await app.services.moderation.cardHealth()).toMatchObject({ outOfDate: 0 });
  });

  it('GIVEN TIMEOUT_ACTION=publish AND an Edit committed as revision 2 whose card edit Discord refused WHEN the deadline passes THEN revision 2 is not published until its card shows it, and then only after a full moderation timeout', async () => {
    const fakes = harness.fakes;
    const driver = await start({ DRY_RUN: 'false', TIMEOUT_ACTION: 'publish' });
    const { app, clock } = driver.testApp;
    const card = await driver.postDraft(TWEET);
    const edited = 'Edited: a bonding curve charges each buyer more than the one before. Check where you stand before you buy.';
    fakes.discord.injectFault({ method: 'PATCH', path: WEBHOOK_ORIGINAL, times: Infinity }, discordFaults.serverError(503));
    fakes.discord.injectFault(
      { method: 'PATCH', path: `/channels/${fakes.discord.channelId}/messages/${card.messageId}`, times: Infinity },
      discordFaults.serverError(503),
    );
    const submit = track(driver.submit(card, 'edit-modal', card.draft.id, 1, { 'tweet-1': edited }));
    expect(await driver.ephemeralReply(submit.id)).toContain('revision 2');
    expect((await app.repos.drafts.findById(card.draft.id))?.revision).toBe(2);
    // Discord still shows revision 1's text.
    expect(cardText(driver, card.messageId)).toContain(TWEET);

    for (let elapsed = 0; elapsed < TIMEOUT + HOUR; elapsed += 10 * MINUTE) {
      clock.advance(10 * MINUTE);
      await app.services.deadlines.runNow();
      await app.services.moderation.handleOverdueDrafts();
    }
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    expect((await app.repos.drafts.findById(card.draft.id))?.status).toBe('pending');

    // Discord recovers: the reconciler shows revision 2, and its deadline counts from then.
    fakes.discord.http.clearFaults();
    await app.services.moderation.reconcileCards();
    expect(cardText(driver, card.messageId)).toContain(edited);
    const shownAt = clock.now();
    expect((await app.repos.drafts.findById(card.draft.id))?.deadlineAt).toBe(shownAt + TIMEOUT);
    await app.services.deadlines.runNow();
    expect((await app.repos.drafts.findById(card.draft.id))?.status).toBe('pending');
    clock.advance(TIMEOUT);
    await app.services.deadlines.runNow();
    expect((await app.repos.drafts.findById(card.draft.id))?.status).toBe('published');
    const posts = fakes.x.requestsTo('POST', '/2/tweets');
    expect(posts).toHaveLength(1);
    expect((posts[0]?.body as { text?: string }).text).toBe(edited);
  });
});

describe('the deadline does what the card said it would do', () => {
  const { harness, start } = useModerationHarness();

  it('GIVEN a card that says its draft expires at the deadline WHEN the bot restarts with TIMEOUT_ACTION=publish and the deadline passes THEN nothing is published until the card says it will be, and then only after a full moderation timeout', async () => {
    const fakes = harness.fakes;
    const clock = new ManualClock();
    const first = await start({ DRY_RUN: 'false', TIMEOUT_ACTION: 'expire' }, { clock });
    const card = await first.postDraft(TWEET);
    const deadline = (messageId: string, driver: ModerationDriver) =>
      ((driver.message(messageId).embeds[0] as { fields?: Array<{ name: string; value: string }> }).fields ?? []).find((f) => f.name === 'Deadline')?.value ??
      '';
    expect(deadline(card.messageId, first)).toContain('then it expires');
    await first.testApp.stop();

    // The operator switches to TIMEOUT_ACTION=publish; the moderators were told this draft expires.
    clock.advance(TIMEOUT / 2);
    const second = await start({ DRY_RUN: 'false', TIMEOUT_ACTION: 'publish' }, { clock, dataDir: first.testApp.dataDir });
    const { app } = second.testApp;
    clock.advance(TIMEOUT / 2);
    await app.services.deadlines.runNow();
    await app.services.moderation.handleOverdueDrafts();
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    expect((await app.repos.drafts.findById(card.draft.id))?.status).toBe('pending');
    expect(deadline(card.messageId, second)).toContain('then it is published automatically');
    expect((await app.repos.drafts.findById(card.draft.id))?.deadlineAt).toBe(clock.now() + TIMEOUT);

    clock.advance(TIMEOUT);
    await app.services.deadlines.runNow();
    expect((await app.repos.drafts.findById(card.draft.id))?.status).toBe('published');
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
  });
});
