import { ButtonStyle, ComponentType, InteractionResponseType } from 'discord.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_CUSTOM_ID_LENGTH } from '../../src/domain/custom-id.js';
import { weightedLength } from '../../src/domain/tweet-length.js';
import type { InjectedInteraction } from '../support/fake-discord.js';
import { UNAUTHORIZED_BODY } from '../support/fake-x.js';
import { ModerationDriver } from '../support/moderation-driver.js';
import { expectCleanDiscordTraffic as expectCleanTraffic, useModerationHarness } from '../support/app-harness.js';
import { ManualClock, type Fakes } from '../support/test-app.js';

const TWEET_A = 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.';
const TWEET_B = 'Before you touch a fresh launch on Pump.fun, read the description, check who holds the supply, and set your own limits first.';
const TWEET_C = 'Graduation is when a coin fills its bonding curve on Pump.fun and its liquidity moves on. Learn the steps before you trade around it.';
const TWEET_D = 'Slippage settings decide how far a price may move before your trade fails. Tight settings protect you; loose ones can cost you.';
const TWEET_E = 'Your wallet seed phrase is the only key to your funds. No support agent, bot or moderator will ever need it. Never share it.';
/** Mentions a price: carries the "mentions a price" risk flag. */
const RISKY_TWEET = 'Launching a coin on Pump.fun costs about $2 in network fees. Read the fee page first so nothing surprises you later on.';
const HOUR = 3_600_000;
/** MODERATION_TIMEOUT default. */
const TIMEOUT = 2 * HOUR;

describe('moderation in Discord (real discord.js against the fakes)', () => {
  const { harness, track, start } = useModerationHarness();
  let fakes: Fakes;
  beforeEach(() => {
    fakes = harness.fakes;
  });

  async function auditRows(driver: ModerationDriver, draftId: number) {
    return driver.testApp.app.repos.moderationEvents.listForDraft(draftId);
  }

  /** Every message and edit the bot sent carried an empty allowed_mentions, and every request matched Discord's spec. */
  async function expectCleanDiscordTraffic(): Promise<void> {
    const { payloadsChecked } = await expectCleanTraffic(fakes);
    expect(payloadsChecked).toBeGreaterThan(0);
  }

  it('GIVEN a generated thread WHEN its card is posted THEN the embed shows every field the moderators need and the four buttons', async () => {
    const driver = await start();
    const tweets = ['1/ How graduation works on Pump.fun.', `2/ ${RISKY_TWEET}`, '3/ At the threshold, liquidity moves to a DEX and trading continues there.'];
    const card = await driver.postDraft(tweets, 'deep-dive-thread');
    const message = driver.message(card.messageId);
    expect(message.channel_id).toBe(fakes.discord.channelId);
    expect(card.draft.riskFlags.map((f) => f.id)).toContain('mentions_price');

    const embed = message.embeds[0] as {
      title: string;
      description: string;
      color: number;
      fields: Array<{ name: string; value: string }>;
      footer: { text: string };
    };
    const field = (name: string) => embed.fields.find((f) => f.name === name)?.value;
    expect(embed.title).toBe(`[DRY RUN] Draft #${card.draft.id} · thread of 3`);
    expect(embed.footer.text).toContain('DRY RUN');
    // Every tweet, numbered (the text is markdown-escaped, so compare without backslashes).
    const description = embed.description.replace(/\\/g, '');
    tweets.forEach((tweet, i) => expect(description).toContain(`**${i + 1}/3**\n${tweet}`));
    expect(field('Topic')).toBe('deep-dive-thread · Thread');
    expect(field('Weighted length')).toBe(tweets.map((t, i) => `${i + 1}: ${weightedLength(t)}/280`).join('\n'));
    expect(field('Risk flags')).toContain('mentions a price');
    expect(field('Revision')).toBe('1');
    const deadlineUnix = Math.floor((driver.testApp.clock.now() + TIMEOUT) / 1000);
    expect(field('Deadline')).toBe(`<t:${deadlineUnix}:R>, then it expires`);
    expect(field('Budget')).toBe('0/2 posts this hour · 0/12 today');
    expect(field('Status')).toContain('Awaiting moderation');

    const row = message.components[0] as { type: number; components: Array<{ type: number; style: number; label: string; custom_id: string }> };
    expect(row.type).toBe(ComponentType.ActionRow);
    expect(row.components.map((b) => [b.label, b.style])).toEqual([
      ['Approve', ButtonStyle.Success],
      ['Regenerate', ButtonStyle.Secondary],
      ['Edit', ButtonStyle.Secondary],
      ['Reject', ButtonStyle.Danger],
      ['Add image', ButtonStyle.Secondary],
    ]);
    const id = card.draft.id;
    expect(row.components.map((b) => b.custom_id)).toEqual([
      `dg1:approve:${id}:1`,
      `dg1:regenerate:${id}:1`,
      `dg1:edit:${id}:1`,
      `dg1:reject:${id}:1`,
      `dg1:add-image:${id}:1`,
    ]);
    for (const b of row.components) expect(b.custom_id.length).toBeLessThanOrEqual(MAX_CUSTOM_ID_LENGTH);

    const stored = await driver.testApp.app.repos.drafts.findById(id);
    expect(stored).toMatchObject({ moderationChannelId: fakes.discord.channelId, moderationMessageId: card.messageId });
    await expectCleanDiscordTraffic();
  });

  it('GIVEN real publishing WHEN a moderator approves (twice, concurrently) THEN X receives exactly one POST /2/tweets and the card shows the link', async () => {
    const driver = await start({ DRY_RUN: 'false' });
    const card = await driver.postDraft(TWEET_A);
    const first = track(driver.click(card, 'approve', card.draft.id, 1));
    const second = track(driver.click(card, 'approve', card.draft.id, 1));
    expect((await fakes.discord.waitForCallback(first.id)).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    expect((await fakes.discord.waitForCallback(second.id)).type).toBe(InteractionResponseType.DeferredMessageUpdate);

    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    const posts = fakes.x.requestsTo('POST', '/2/tweets');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).toEqual({ text: TWEET_A });
    const draft = await driver.testApp.app.repos.drafts.findById(card.draft.id);
    expect(draft?.status).toBe('published');
    expect(driver.status(card.messageId)).toContain(`https://x.com/i/status/${draft?.tweetId}`);
    expect(driver.status(card.messageId)).toContain('approved by **Mia (mod)**');
    expect(driver.buttons(card.messageId)).toEqual([]);

    // The click that lost the conditional update is told who won, privately.
    await expect.poll(() => [...driver.ephemeralReplies(first.id), ...driver.ephemeralReplies(second.id)]).toHaveLength(1);
    expect([...driver.ephemeralReplies(first.id), ...driver.ephemeralReplies(second.id)][0]).toMatch(/already decided by Mia \(mod\)/);

    const audit = await auditRows(driver, card.draft.id);
    expect(audit.map((e) => [e.action, e.outcome]).sort()).toEqual([
      ['approve', 'already_decided'],
      ['approve', 'approved'],
    ]);
    expect(audit.every((e) => e.actor.id === fakes.discord.userIds.moderator && e.revision === 1 && e.interactionId)).toBe(true);
    expect((await driver.testApp.app.repos.topics.findByName('education'))?.approvals).toBe(1);
    await expectCleanDiscordTraffic();
  });

  it('GIVEN 20 concurrent approve and reject clicks from four moderators AND the deadline passing at the same time THEN exactly one outcome and at most one publish', async () => {
    const driver = await start({ DRY_RUN: 'false', TIMEOUT_ACTION: 'publish' });
    const moderators = [
      fakes.discord.userIds.moderator,
      ...['mod_bo', 'mod_cy', 'mod_di'].map((username) =>
        fakes.discord.addMember({ username, globalName: username, roleIds: [fakes.discord.moderatorRoleId] }),
      ),
    ];
    const card = await driver.postDraft(TWEET_B);
    driver.testApp.clock.advance(TIMEOUT + 1);

    const clicks: InjectedInteraction[] = [];
    for (let i = 0; i < 20; i += 1) {
      const userId = moderators[i % moderators.length] as string;
      clicks.push(
        track(
          i % 5 < 3
            ? driver.click(card, 'approve', card.draft.id, 1, userId)
            : driver.submit(card, 'reject-modal', card.draft.id, 1, { reason: `not now (${i})` }, userId),
        ),
      );
    }
    // The deadline sweep runs while the acknowledged clicks are being decided.
    await Promise.all(clicks.map((c) => fakes.discord.waitForCallback(c.id)));
    const timeouts = await driver.testApp.app.services.moderation.handleOverdueDrafts();

    const draftAfter = async () => driver.testApp.app.repos.drafts.findById(card.draft.id);
    await expect.poll(async () => (await draftAfter())?.status).toMatch(/^(published|rejected)$/);
    const draft = await draftAfter();
    const timeoutWon = timeouts.some((t) => t.result === 'approved');
    const winners = timeoutWon ? 0 : 1;
    // Every losing click is told, privately, who decided.
    await expect.poll(() => clicks.filter((c) => driver.ephemeralReplies(c.id).length > 0).length).toBe(clicks.length - winners);
    for (const click of clicks) {
      for (const reply of driver.ephemeralReplies(click.id)) expect(reply).toMatch(/^This draft was already decided by /);
    }

    const audit = await auditRows(driver, card.draft.id);
    const decisions = audit.filter((e) => ['approved', 'rejected', 'expired'].includes(e.outcome));
    expect(decisions).toHaveLength(1);
    expect(audit.filter((e) => e.outcome === 'already_decided')).toHaveLength(clicks.length - winners);
    const posts = fakes.x.requestsTo('POST', '/2/tweets');
    if (draft?.status === 'published') {
      await expect.poll(() => driver.status(card.messageId)).toContain('Published');
      expect(posts).toHaveLength(1);
    } else {
      expect(posts).toHaveLength(0);
      await expect.poll(() => driver.status(card.messageId)).toContain('Rejected by');
    }
    expect(driver.buttons(card.messageId)).toEqual([]);
  });

  it('GIVEN a member without the moderator role WHEN they click Approve or Reject THEN they are refused privately, the refusal is audited and nothing changes', async () => {
    const driver = await start();
    const card = await driver.postDraft(TWEET_C);
    const plain = fakes.discord.userIds.plain;
    const approve = track(driver.click(card, 'approve', card.draft.id, 1, plain));
    expect(await driver.ephemeralReply(approve.id)).toMatch(/^Only moderators can do that/);
    const reject = track(driver.click(card, 'reject', card.draft.id, 1, plain));
    // A form they could never submit is not shown: the acknowledgement is the refusal itself.
    expect((await fakes.discord.waitForCallback(reject.id)).type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(await driver.ephemeralReply(reject.id)).toMatch(/^Only moderators/);
    // An admin with Manage Guild is not a moderator while MODERATOR_ROLE_ID is set.
    const admin = track(driver.click(card, 'approve', card.draft.id, 1, fakes.discord.userIds.admin));
    expect(await driver.ephemeralReply(admin.id)).toMatch(/^Only moderators/);

    await expect.poll(async () => (await auditRows(driver, card.draft.id)).length).toBe(3);
    const audit = await auditRows(driver, card.draft.id);
    expect(audit.map((e) => [e.action, e.outcome, e.actor.id])).toEqual([
      ['approve', 'not_moderator', plain],
      ['reject', 'not_moderator', plain],
      ['approve', 'not_moderator', fakes.discord.userIds.admin],
    ]);
    expect((await driver.testApp.app.repos.drafts.findById(card.draft.id))?.status).toBe('pending');
    expect(fakes.discord.messagePayloads(card.messageId)).toHaveLength(1);
    await expectCleanDiscordTraffic();
  });

  it('GIVEN cards posted and clicks from several members WHEN the moderator check runs THEN discord.js caches no messages, members or users the bot never reads, and the role check still tells moderators apart', async () => {
    const driver = await start();
    const cards = [await driver.postDraft(TWEET_A), await driver.postDraft(TWEET_B)];
    const plain = track(driver.click(cards[0]!, 'approve', cards[0]!.draft.id, 1, fakes.discord.userIds.plain));
    expect(await driver.ephemeralReply(plain.id)).toMatch(/^Only moderators can do that/);
    track(driver.click(cards[1]!, 'approve', cards[1]!.draft.id, 1));
    await expect.poll(() => driver.status(cards[1]!.messageId)).toContain('Published');

    const client = driver.testApp.app.discord;
    const channel = client.channels.cache.get(fakes.discord.channelId);
    // Cards are edited by id (messages.edit), never read back from the cache: none are kept.
    expect(channel && 'messages' in channel ? channel.messages.cache.size : -1).toBe(0);
    // Roles come with each interaction's member; only the bot's own member and user stay cached.
    const guild = client.guilds.cache.get(fakes.discord.guildId)!;
    expect([...guild.members.cache.keys()]).toEqual([client.user!.id]);
    expect([...client.users.cache.keys()]).toEqual([client.user!.id]);
    // What the bot does read stays: the guild, its channels and its roles.
    expect(guild.roles.cache.has(fakes.discord.moderatorRoleId)).toBe(true);
    expect(channel).toBeDefined();
  });

  it('GIVEN no MODERATOR_ROLE_ID WHEN a member with Manage Guild approves THEN it counts, and a role-only member does not', async () => {
    const driver = await start({ MODERATOR_ROLE_ID: '' });
    const card = await driver.postDraft(TWEET_D);
    const roleOnly = track(driver.click(card, 'approve', card.draft.id, 1, fakes.discord.userIds.moderator));
    expect(await driver.ephemeralReply(roleOnly.id)).toMatch(/Manage Server/);
    track(driver.click(card, 'approve', card.draft.id, 1, fakes.discord.userIds.admin));
    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    expect(driver.status(card.messageId)).toContain('Ada (admin)');
  });

  it('GIVEN feedback in the Regenerate modal THEN it reaches the model, the same message shows revision 2 with a new deadline, and an older form is refused as stale', async () => {
    const driver = await start();
    const card = await driver.postDraft(TWEET_A);
    const id = card.draft.id;
    // A second moderator opens Reject on revision 1 and leaves the form open.
    const openReject = track(driver.click(card, 'reject', id, 1));
    expect((await fakes.discord.waitForCallback(openReject.id)).type).toBe(InteractionResponseType.Modal);

    driver.testApp.clock.advance(30 * 60_000);
    const regenerate = track(driver.click(card, 'regenerate', id, 1));
    const modal = await fakes.discord.waitForCallback(regenerate.id);
    expect(modal.type).toBe(InteractionResponseType.Modal);
    expect(JSON.stringify(modal.data)).toContain('"custom_id":"feedback"');
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEET_E } });
    const feedback = 'Talk about wallet safety instead, and keep it calm';
    const before = fakes.anthropic.messageRequests.length;
    track(driver.submit(card, 'regenerate-modal', id, 1, { feedback }));

    await expect.poll(() => driver.buttons(card.messageId)[0]).toBe(`dg1:approve:${id}:2`);
    expect(fakes.anthropic.messageRequests.length).toBe(before + 1);
    expect(JSON.stringify(fakes.anthropic.messageBodies.at(-1))).toContain(feedback);
    const embed = driver.message(card.messageId).embeds[0] as { description: string; fields: Array<{ name: string; value: string }> };
    expect(embed.description.replace(/\\/g, '')).toBe(TWEET_E);
    expect(embed.fields.find((f) => f.name === 'Revision')?.value).toBe('2');
    expect(embed.fields.find((f) => f.name === 'Feedback')?.value).toBe(feedback);
    const draft = await driver.testApp.app.repos.drafts.findById(id);
    expect(draft).toMatchObject({ revision: 2, status: 'pending', tweets: [TWEET_E], deadlineAt: driver.testApp.clock.now() + TIMEOUT });
    // Still one card: the same message was edited.
    expect([...fakes.discord.messages.values()].filter((m) => (m.flags & 64) === 0)).toHaveLength(1);

    const stale = track(driver.submit(card, 'reject-modal', id, 1, { reason: 'meh' }));
    expect(await driver.ephemeralReply(stale.id)).toMatch(/out of date: the draft is at revision 2/);
    expect((await driver.testApp.app.repos.drafts.findById(id))?.status).toBe('pending');
    const audit = await auditRows(driver, id);
    expect(audit.map((e) => [e.action, e.outcome, e.revision])).toEqual([
      ['regenerate', 'revised', 1],
      ['reject', 'stale', 1],
    ]);
    await expectCleanDiscordTraffic();
  });

  it('GIVEN the Edit modal THEN it is prefilled, invalid text is refused with exactly what failed, and valid text becomes revision 2 marked "edited by"', async () => {
    const driver = await start();
    const card = await driver.postDraft(TWEET_B);
    const id = card.draft.id;
    const open = track(driver.click(card, 'edit', id, 1));
    const modal = await fakes.discord.waitForCallback(open.id);
    expect(modal.type).toBe(InteractionResponseType.Modal);
    const input = (modal.data?.['components'] as Array<{ component: { custom_id: string; value: string } }>)[0]?.component;
    expect(input).toMatchObject({ custom_id: 'tweet-1', value: TWEET_B });

    const tooLong = `Profits are guaranteed here. ${'x'.repeat(300)}`;
    const invalid = track(driver.submit(card, 'edit-modal', id, 1, { 'tweet-1': tooLong }));
    const refusal = await driver.ephemeralReply(invalid.id);
    expect(refusal).toMatch(/^Your edit was not saved/);
    expect(refusal).toMatch(/280/);
    expect(refusal).toMatch(/profit/i);
    expect((await driver.testApp.app.repos.drafts.findById(id))?.revision).toBe(1);
    expect(fakes.discord.messagePayloads(card.messageId)).toHaveLength(1);

    const edited = 'Before you buy into any fresh launch, read the description, look at who holds the supply, and decide your limits first.';
    track(driver.submit(card, 'edit-modal', id, 1, { 'tweet-1': edited }));
    await expect.poll(() => driver.buttons(card.messageId)[0]).toBe(`dg1:approve:${id}:2`);
    const draft = await driver.testApp.app.repos.drafts.findById(id);
    expect(draft).toMatchObject({ revision: 2, tweets: [edited], editedBy: { id: fakes.discord.userIds.moderator, name: 'Mia (mod)' } });
    const embed = driver.message(card.messageId).embeds[0] as { fields: Array<{ name: string; value: string }> };
    expect(embed.fields.find((f) => f.name === 'Edited by')?.value).toBe('Mia (mod)');
    const audit = await auditRows(driver, id);
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([
      ['edit', 'invalid'],
      ['edit', 'revised'],
    ]);
    expect(audit[0]?.detail).toBe(
      refusal
        .split('\n')
        .slice(1)
        .map((l) => l.slice(2))
        .join('; '),
    );
  });

  it('GIVEN a six-tweet thread WHEN edited THEN tweets 5 and 6 share the last field and the edit keeps all six', async () => {
    const driver = await start();
    const tweets = [1, 2, 3, 4, 5, 6].map(
      (n) => `${n}/ Step ${n} of reading a launch page on Pump.fun: ${['name', 'description', 'holders', 'curve', 'socials', 'your limits'][n - 1]}.`,
    );
    const card = await driver.postDraft(tweets, 'deep-dive-thread');
    const open = track(driver.click(card, 'edit', card.draft.id, 1));
    const modal = await fakes.discord.waitForCallback(open.id);
    const labels = modal.data?.['components'] as Array<{ label: string; component: { custom_id: string; value: string } }>;
    expect(labels.map((l) => l.component.custom_id)).toEqual(['tweet-1', 'tweet-2', 'tweet-3', 'tweet-4', 'tweet-5']);
    expect(labels[4]?.label).toBe('Tweets 5-6 of 6');
    expect(labels[4]?.component.value).toBe(`${tweets[4]}\n---\n${tweets[5]}`);

    const fields = Object.fromEntries(labels.map((l) => [l.component.custom_id, l.component.value.replace('Step 2', 'Stage 2')]));
    track(driver.submit(card, 'edit-modal', card.draft.id, 1, fields));
    await expect.poll(async () => (await driver.testApp.app.repos.drafts.findById(card.draft.id))?.revision).toBe(2);
    const draft = await driver.testApp.app.repos.drafts.findById(card.draft.id);
    expect(draft?.tweets).toEqual(tweets.map((t) => t.replace('Step 2', 'Stage 2')));
  });

  it('GIVEN a thread whose tweet holds a "---" line WHEN a moderator edits only another tweet THEN no tweet they did not touch is split or changed: the form is refused with the reason and the draft stays as shown', async () => {
    const driver = await start();
    const tweets = [
      '1/ Three things to read on a launch page before you buy anything on Pump.fun today.',
      '2/ The description and the socials:\n---\ndo they say who is behind it?',
      '3/ The holders: how much of the supply sits in the top ten wallets right now?',
    ];
    const card = await driver.postDraft(tweets, 'deep-dive-thread');
    expect((await driver.testApp.app.repos.drafts.findById(card.draft.id))?.tweets).toEqual(tweets);
    const open = track(driver.click(card, 'edit', card.draft.id, 1));
    // Before the fix the form opened, and submitting it with only tweet 1 changed split tweet 2 in two.
    expect((await fakes.discord.waitForCallback(open.id)).type).not.toBe(InteractionResponseType.Modal);
    expect(await driver.ephemeralReply(open.id)).toMatch(/cannot be edited in Discord's form without changing text you did not touch/);
    expect(await driver.testApp.app.repos.drafts.findById(card.draft.id)).toMatchObject({ revision: 1, tweets });
  });

  it('GIVEN the Reject modal with a reason THEN the draft is rejected, the reason is on the card, in the audit log and in the topic statistics', async () => {
    const driver = await start();
    const card = await driver.postDraft(TWEET_C);
    const open = track(driver.click(card, 'reject', card.draft.id, 1));
    expect((await fakes.discord.waitForCallback(open.id)).type).toBe(InteractionResponseType.Modal);
    const submit = track(driver.submit(card, 'reject-modal', card.draft.id, 1, { reason: "Too close to yesterday's post" }));
    expect((await fakes.discord.waitForCallback(submit.id)).type).toBe(InteractionResponseType.DeferredMessageUpdate);

    await expect.poll(() => driver.status(card.messageId)).toContain('Rejected by **Mia (mod)**');
    expect(driver.status(card.messageId)).toContain("Too close to yesterday's post");
    expect((driver.message(card.messageId).embeds[0] as { color: number }).color).toBe(0xed4245);
    expect(driver.buttons(card.messageId)).toEqual([]);
    const draft = await driver.testApp.app.repos.drafts.findById(card.draft.id);
    expect(draft).toMatchObject({ status: 'rejected', rejectReason: "Too close to yesterday's post", decidedBy: { id: fakes.discord.userIds.moderator } });
    const audit = await auditRows(driver, card.draft.id);
    expect(audit.map((e) => [e.action, e.outcome, e.detail])).toEqual([['reject', 'rejected', "Too close to yesterday's post"]]);
    const topic = await driver.testApp.app.repos.topics.findByName('education');
    expect(topic).toMatchObject({ rejections: 1, approvals: 0 });
    await expectCleanDiscordTraffic();
  });

  it('GIVEN REQUIRE_SECOND_APPROVAL and a flagged draft THEN one moderator cannot approve it alone, a second one can, and an unflagged draft needs one', async () => {
    const driver = await start({ REQUIRE_SECOND_APPROVAL: 'true' });
    const second = fakes.discord.addMember({ username: 'mod_bo', globalName: 'Bo', roleIds: [fakes.discord.moderatorRoleId] });
    const risky = await driver.postDraft(RISKY_TWEET);
    expect(driver.buttons(risky.messageId)[0]).toBe(`dg1:approve:${risky.draft.id}:1`);
    expect(JSON.stringify(driver.message(risky.messageId).components)).toContain('Approve (1 of 2)');
    expect(driver.status(risky.messageId)).toContain('two moderators must approve');

    track(driver.click(risky, 'approve', risky.draft.id, 1));
    await expect.poll(() => driver.status(risky.messageId)).toContain('First approval by **Mia (mod)**');
    expect(JSON.stringify(driver.message(risky.messageId).components)).toContain('Approve (2 of 2)');
    expect((await driver.testApp.app.repos.drafts.findById(risky.draft.id))?.status).toBe('pending');

    const again = track(driver.click(risky, 'approve', risky.draft.id, 1));
    expect(await driver.ephemeralReply(again.id)).toMatch(/different moderator/);
    track(driver.click(risky, 'approve', risky.draft.id, 1, second));
    await expect.poll(() => driver.status(risky.messageId)).toContain('Published');
    expect(driver.status(risky.messageId)).toContain('approved by **Bo**');
    const audit = await auditRows(driver, risky.draft.id);
    expect(audit.map((e) => [e.outcome, e.actor.name])).toEqual([
      ['first_approval', 'Mia (mod)'],
      ['same_moderator', 'Mia (mod)'],
      ['approved', 'Bo'],
    ]);

    const plain = await driver.postDraft(TWEET_D);
    track(driver.click(plain, 'approve', plain.draft.id, 1));
    await expect.poll(() => driver.status(plain.messageId)).toContain('Published');
  });

  it('GIVEN TIMEOUT_ACTION=publish WHEN the deadline passes THEN the draft is published through the same transition and the card says so', async () => {
    const driver = await start({ DRY_RUN: 'false', TIMEOUT_ACTION: 'publish' });
    const card = await driver.postDraft(TWEET_D);
    // A new card re-arms the timer for its deadline.
    await expect.poll(() => driver.testApp.app.services.deadlines.nextRunAt).toBe(card.draft.deadlineAt);
    driver.testApp.clock.advance(TIMEOUT - 1);
    await driver.testApp.app.services.deadlines.runNow();
    expect((await driver.testApp.app.repos.drafts.findById(card.draft.id))?.status).toBe('pending');

    driver.testApp.clock.advance(1);
    await driver.testApp.app.services.deadlines.runNow();
    const draft = await driver.testApp.app.repos.drafts.findById(card.draft.id);
    expect(draft).toMatchObject({ status: 'published', decisionSource: 'timeout', decidedBy: { id: 'timeout' } });
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    expect(driver.status(card.messageId)).toContain(`https://x.com/i/status/${draft?.tweetId}`);
    expect(driver.status(card.messageId)).toContain('the moderation timeout');
    expect(driver.buttons(card.messageId)).toEqual([]);
    const audit = await auditRows(driver, card.draft.id);
    expect(audit.map((e) => [e.action, e.outcome, e.actor.id])).toEqual([['timeout', 'approved', 'timeout']]);
    await expectCleanDiscordTraffic();
  });

  it('GIVEN TIMEOUT_ACTION=expire WHEN the deadline passes THEN the draft expires, nothing reaches X, and a late click is told it was decided', async () => {
    const driver = await start({ DRY_RUN: 'false', TIMEOUT_ACTION: 'expire' });
    const card = await driver.postDraft(TWEET_E);
    driver.testApp.clock.advance(TIMEOUT);
    await driver.testApp.app.services.deadlines.runNow();
    expect((await driver.testApp.app.repos.drafts.findById(card.draft.id))?.status).toBe('expired');
    expect(driver.status(card.messageId)).toContain('Expired');
    expect((driver.message(card.messageId).embeds[0] as { color: number }).color).toBe(0x95a5a6);
    expect(driver.buttons(card.messageId)).toEqual([]);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    // A form opened before the deadline and submitted after it changes nothing.
    const late = track(driver.submit(card, 'reject-modal', card.draft.id, 1, { reason: 'late' }));
    expect(await driver.ephemeralReply(late.id)).toBe('This draft was already decided by the moderation timeout: it is expired. Nothing was changed.');
  });

  it('GIVEN a restart with overdue and pending drafts THEN overdue ones are handled at start-up, the rest on time, and cards from before the restart still work', async () => {
    const clock = new ManualClock();
    const first = await start({ TIMEOUT_ACTION: 'expire' }, { clock });
    const overdue = await first.postDraft(TWEET_A);
    clock.advance(HOUR);
    const clickedLater = await first.postDraft(TWEET_B);
    clock.advance(HOUR / 2);
    const onTime = await first.postDraft(TWEET_C);
    await first.testApp.stop();

    // Down for an hour: the first draft's deadline passed while nothing was running.
    clock.advance(HOUR);
    const second = await start({ TIMEOUT_ACTION: 'expire' }, { clock, dataDir: first.testApp.dataDir });
    expect((await second.testApp.app.repos.drafts.findById(overdue.draft.id))?.status).toBe('expired');
    expect(second.status(overdue.messageId)).toContain('Expired');
    expect((await second.testApp.app.repos.drafts.findById(clickedLater.draft.id))?.status).toBe('pending');
    // The rest on time: the timer is armed for the earliest remaining deadline.
    expect(second.testApp.app.services.deadlines.nextRunAt).toBe(clickedLater.draft.deadlineAt);

    // A card posted by the previous process still works: everything comes from the custom_id and the DB.
    track(second.click(clickedLater, 'approve', clickedLater.draft.id, 1));
    await expect.poll(() => second.status(clickedLater.messageId)).toContain('Published');
    await second.testApp.app.services.deadlines.runNow();
    expect(second.testApp.app.services.deadlines.nextRunAt).toBe(onTime.draft.deadlineAt);

    clock.advance((onTime.draft.deadlineAt ?? 0) - clock.now());
    await second.testApp.app.services.deadlines.runNow();
    expect((await second.testApp.app.repos.drafts.findById(onTime.draft.id))?.status).toBe('expired');
    expect(second.status(onTime.messageId)).toContain('Expired');
    expect(second.testApp.app.services.deadlines.nextRunAt).toBeNull();
  });

  it('GIVEN a Discord disconnect while a deadline passes WHEN the gateway resumes THEN the overdue draft is handled at once', async () => {
    const driver = await start({ TIMEOUT_ACTION: 'expire' });
    const card = await driver.postDraft(TWEET_A);
    await fakes.discord.disconnect(4000);
    driver.testApp.clock.advance(TIMEOUT);
    await fakes.discord.waitForGateway('resume', 1);
    await expect.poll(() => driver.status(card.messageId)).toContain('Expired');
    expect((await driver.testApp.app.repos.drafts.findById(card.draft.id))?.status).toBe('expired');
  });

  it('GIVEN X refusing the publication THEN the card shows the failure with a Retry button, and Retry publishes it once', async () => {
    const driver = await start({ DRY_RUN: 'false' });
    const card = await driver.postDraft(TWEET_C);
    fakes.x.duplicate403();
    track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(() => driver.status(card.messageId)).toContain('Publishing failed (duplicate)');
    expect((driver.message(card.messageId).embeds[0] as { color: number }).color).toBe(0xe67e22);
    expect(driver.buttons(card.messageId)).toEqual([`dg1:retry:${card.draft.id}:1`]);

    const plainRetry = track(driver.click(card, 'retry', card.draft.id, 1, fakes.discord.userIds.plain));
    expect(await driver.ephemeralReply(plainRetry.id)).toMatch(/^Only moderators/);
    track(driver.click(card, 'retry', card.draft.id, 1));
    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(2);
    expect((await driver.testApp.app.repos.drafts.findById(card.draft.id))?.status).toBe('published');
    const audit = await auditRows(driver, card.draft.id);
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([
      ['approve', 'approved'],
      ['retry', 'not_moderator'],
      ['retry', 'approved'],
    ]);
    await expectCleanDiscordTraffic();
  });

  it('GIVEN X answering 401 to the post THEN the draft fails with the reason on its card and an alert in the channel', async () => {
    const driver = await start({ DRY_RUN: 'false' });
    const card = await driver.postDraft(TWEET_C);
    fakes.x.http.injectFault({ method: 'POST', path: '/2/tweets' }, { status: 401, body: UNAUTHORIZED_BODY });
    track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(() => driver.status(card.messageId)).toContain('Publishing failed (auth)');
    const alert = await fakes.discord.waitForMessage(
      (m) => m.id !== card.messageId && /Publishing draft #\d+ failed and needs a person/.test(JSON.stringify(m)),
    );
    expect(JSON.stringify(alert)).toContain(`#${card.draft.id}`);
    expect(fakes.discord.messagePayloads(alert.id)[0]?.['allowed_mentions']).toEqual({ parse: [] });
    expect((await driver.testApp.app.repos.drafts.findById(card.draft.id))?.errorClass).toBe('auth');
  });

  it('GIVEN the model failing during Regenerate THEN the moderator is told why and the draft and card stay as they were', async () => {
    const driver = await start();
    const card = await driver.postDraft(TWEET_D);
    const open = track(driver.click(card, 'regenerate', card.draft.id, 1));
    await fakes.discord.waitForCallback(open.id);
    fakes.anthropic.failWith(400, 'invalid_request_error', 'prompt is too long', { times: 3 });
    const submit = track(driver.submit(card, 'regenerate-modal', card.draft.id, 1, { feedback: '' }));
    expect(await driver.ephemeralReply(submit.id)).toMatch(/^Regeneration failed: .*The draft and its card are unchanged\.$/);
    expect((await driver.testApp.app.repos.drafts.findById(card.draft.id))?.revision).toBe(1);
    expect(fakes.discord.messagePayloads(card.messageId)).toHaveLength(1);
    const audit = await auditRows(driver, card.draft.id);
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([['regenerate', 'failed']]);
  });

  it('GIVEN Discord refusing the card edit THEN the error is logged with its context, the moderator is told what the click did, the decision stands and the card is re-rendered from the database', async () => {
    const driver = await start();
    const card = await driver.postDraft(TWEET_E);
    fakes.discord.injectFault(
      { method: 'PATCH', path: /\/webhooks\/\d+\/[^/]+\/messages\/@original$/ },
      { status: 403, body: { message: 'Missing Access', code: 50001 } },
    );
    const click = track(driver.click(card, 'approve', card.draft.id, 1));
    expect(await driver.ephemeralReply(click.id)).toBe(
      'Approved and published (dry run: nothing was sent to X). The card could not be updated right now; it will be refreshed.',
    );
    const logged = driver.testApp.logs.find((l) => l['message'] === 'editing the card after a decision failed; the decision stands');
    expect(logged).toMatchObject({ level: 'error', interactionId: click.id, draftId: card.draft.id });
    // The approval itself was committed (and published, dry run) before the edit failed.
    expect((await driver.testApp.app.repos.drafts.findById(card.draft.id))?.status).toBe('published');
    // Re-rendered from the database through the channel (the fault hit only the interaction's edit).
    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
  });

  it('GIVEN MAX_PENDING_DRAFTS drafts awaiting moderation THEN the next cycle is skipped, logged with the reason, and no card is posted', async () => {
    const driver = await start({ MAX_PENDING_DRAFTS: '1' });
    await driver.postDraft(TWEET_A);
    const cards = fakes.discord.messages.size;
    const outcome = await driver.testApp.app.services.moderation.generateAndPostDraft({ trigger: 'schedule' });
    expect(outcome).toEqual({ status: 'skipped', reason: 'pending cap full: 1 of 1 drafts await moderation' });
    expect(fakes.discord.messages.size).toBe(cards);
    expect(driver.testApp.logs.some((l) => l['message'] === 'generation cycle skipped' && String(l['reason']).includes('pending cap full'))).toBe(true);
  });
});
