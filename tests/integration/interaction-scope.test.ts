import { copyFileSync, rmSync } from 'node:fs';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { encodeDraftCustomId } from '../../src/domain/custom-id.js';
import { expectCleanDiscordTraffic, useModerationHarness } from '../support/app-harness.js';
import { ModerationDriver } from '../support/moderation-driver.js';
import { ManualClock, withAppDatabase, type Fakes, type TestApp } from '../support/test-app.js';
import { onPostgres } from '../support/postgres.js';
import { SETTINGS } from '../../src/services/settings-keys.js';

const TEXT_A = 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.';
const TEXT_B = 'Your wallet seed phrase is the only key to your funds. No support agent, bot or moderator will ever need it. Never share it.';
const TEXT_C = 'Slippage settings decide how far a price may move before your trade fails. Tight settings protect you; loose ones can cost you.';
/** A guild the bot was also added to, which is not DISCORD_GUILD_ID. */
const OTHER_GUILD = '1300000000000000100';

const WRONG_CARD = /^This card does not show that draft/;
const NOT_OUR_GUILD = /^This bot only takes commands and clicks in its own server/;

/**
 * Who and what an interaction may act on (issue 10, items 1, 12 and 18): a click acts only on the
 * draft its card shows, a click on a draft that is gone is told so and audited, and nothing from
 * another guild or a DM is acted on. Real discord.js against the Discord fake, real X client
 * against the X fake, with DRY_RUN off wherever something could reach X.
 */
describe('interaction scope: the draft a card shows, and the guild the bot serves', () => {
  const { harness, track, start } = useModerationHarness();
  let fakes: Fakes;
  beforeEach(() => {
    fakes = harness.fakes;
  });

  /** Restores `backupPath` as the README says: stop the bot, copy the backup over DATABASE_PATH (no -wal/-shm left), start it. */
  async function restore(driver: ModerationDriver, backupPath: string, clock: ManualClock): Promise<ModerationDriver> {
    const { dataDir, config } = driver.testApp;
    await driver.testApp.stop();
    for (const suffix of ['-wal', '-shm']) rmSync(`${config.storage.databasePath}${suffix}`, { force: true });
    copyFileSync(backupPath, config.storage.databasePath);
    return start({ DRY_RUN: 'false' }, { dataDir, clock });
  }

  /** Every audit row, read straight from the database (rows without a draft have no repository lookup). */
  async function auditRows(
    testApp: TestApp,
  ): Promise<Array<{ draftId: number | null; action: string; outcome: string; detail: string | null; interactionId: string | null }>> {
    return withAppDatabase(testApp.config, (ds) =>
      ds.query('SELECT draft_id AS "draftId", action, outcome, detail, interaction_id AS "interactionId" FROM moderation_events ORDER BY id'),
    );
  }

  // Both restore a SQLite file backup (on PostgreSQL a restore is pg_restore, outside the bot).
  it.skipIf(onPostgres)('GIVEN a restored backup WHEN an old card is clicked THEN it is refused and nothing is posted', async () => {
    const clock = new ManualClock();
    const before = await start({ DRY_RUN: 'false' }, { clock });
    const backup = await before.testApp.app.commandContext.takeBackup();
    if (backup.status !== 'taken') throw new Error(`these tests restore a SQLite file: ${backup.reason}`);
    // After the backup: draft #1 with text A and its card. The restore loses both rows, not the card.
    const oldCard = await before.postDraft(TEXT_A);
    expect(oldCard.draft.id).toBe(1);

    const after = await restore(before, backup.path, clock);
    // The restored id counter hands #1 out again, now for text B, on a new card.
    const newCard = await after.postDraft(TEXT_B);
    expect(newCard.draft.id).toBe(oldCard.draft.id);
    expect(newCard.messageId).not.toBe(oldCard.messageId);
    const oldCardPayloads = fakes.discord.messagePayloads(oldCard.messageId).length;

    // The old card still shows text A with live buttons for "draft 1, revision 1".
    const approve = track(after.click(oldCard, 'approve', 1, 1));
    expect(await after.ephemeralReply(approve.id)).toMatch(WRONG_CARD);
    // The Edit form would show text B under the old card: it is not even opened.
    const edit = track(after.click(oldCard, 'edit', 1, 1));
    expect((await fakes.discord.waitForCallback(edit.id)).type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(await after.ephemeralReply(edit.id)).toMatch(WRONG_CARD);
    // Nor is the Reject form; and one submitted from the old card (opened before the restore) changes nothing.
    const openReject = track(after.click(oldCard, 'reject', 1, 1));
    expect(await after.ephemeralReply(openReject.id)).toMatch(WRONG_CARD);
    const reject = track(after.submit(oldCard, 'reject-modal', 1, 1, { reason: 'from the old card' }));
    expect(await after.ephemeralReply(reject.id)).toMatch(WRONG_CARD);

    await expect.poll(async () => (await auditRows(after.testApp)).filter((r) => r.outcome === 'wrong_card').length).toBe(4);
    const refused = (await auditRows(after.testApp)).filter((r) => r.outcome === 'wrong_card');
    expect(refused.map((r) => [r.draftId, r.action, r.interactionId])).toEqual([
      [1, 'approve', approve.id],
      [1, 'edit', edit.id],
      [1, 'reject', openReject.id],
      [1, 'reject', reject.id],
    ]);
    expect(refused[0]?.detail).toContain(oldCard.messageId);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    expect(await after.testApp.app.repos.drafts.findById(1)).toMatchObject({ status: 'pending', tweets: [TEXT_B] });
    expect(fakes.discord.messagePayloads(oldCard.messageId)).toHaveLength(oldCardPayloads);

    // The new card, which shows text B, still works: B (and only B) goes to X once.
    track(after.click(newCard, 'approve', 1, 1));
    await expect.poll(() => after.status(newCard.messageId)).toContain('Published');
    expect(fakes.x.requestsTo('POST', '/2/tweets').map((r) => r.body)).toEqual([{ text: TEXT_B }]);
    await expectCleanDiscordTraffic(fakes);
  });

  it("GIVEN a modal submit for draft 2 sent from card 1's message THEN it is refused, neither draft changes and card 1 is not re-rendered", async () => {
    const driver = await start({ DRY_RUN: 'false' });
    const card1 = await driver.postDraft(TEXT_A);
    const card2 = await driver.postDraft(TEXT_B);
    const payloads = [card1, card2].map((c) => fakes.discord.messagePayloads(c.messageId).length);

    const forged = [
      track(driver.submit(card1, 'reject-modal', card2.draft.id, 1, { reason: 'forged' })),
      track(driver.submit(card1, 'edit-modal', card2.draft.id, 1, { 'tweet-1': TEXT_C })),
      track(driver.submit(card1, 'regenerate-modal', card2.draft.id, 1, { feedback: 'forged' })),
    ];
    for (const submit of forged) expect(await driver.ephemeralReply(submit.id)).toMatch(WRONG_CARD);

    // The three submits are in flight together, so their audit rows may land in any order.
    await expect
      .poll(async () => (await auditRows(driver.testApp)).filter((r) => r.outcome === 'wrong_card').map((r) => [r.draftId, r.action]))
      .toEqual(
        expect.arrayContaining([
          [card2.draft.id, 'reject'],
          [card2.draft.id, 'edit'],
          [card2.draft.id, 'regenerate'],
        ]),
      );
    expect((await auditRows(driver.testApp)).filter((r) => r.outcome === 'wrong_card')).toHaveLength(3);
    for (const card of [card1, card2]) {
      expect(await driver.testApp.app.repos.drafts.findById(card.draft.id)).toMatchObject({ status: 'pending', revision: 1, tweets: card.draft.tweets });
    }
    expect([card1, card2].map((c) => fakes.discord.messagePayloads(c.messageId).length)).toEqual(payloads);
    expect(fakes.anthropic.messageBodies).toHaveLength(2); // the two generations, no regeneration
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
  });

  it('GIVEN a modal submit that carries no message (forged, or a form not opened from a card) THEN it is refused at once, nothing changes and no card is re-rendered', async () => {
    const driver = await start({ DRY_RUN: 'false' });
    const card = await driver.postDraft(TEXT_A);
    const payloads = fakes.discord.messagePayloads(card.messageId).length;
    const forged = (['reject-modal', 'edit-modal', 'regenerate-modal'] as const).map((action) =>
      track(
        fakes.discord.injectModalSubmit({
          customId: encodeDraftCustomId({ action, draftId: card.draft.id, revision: 1 }),
          fields: action === 'edit-modal' ? { 'tweet-1': TEXT_C } : action === 'reject-modal' ? { reason: 'forged' } : { feedback: 'forged' },
          userId: fakes.discord.userIds.moderator,
        }),
      ),
    );
    for (const submit of forged) expect(await driver.ephemeralReply(submit.id)).toMatch(/^This form is no longer attached to a draft card/);
    expect(await driver.testApp.app.repos.drafts.findById(card.draft.id)).toMatchObject({ status: 'pending', revision: 1, tweets: [TEXT_A] });
    expect(fakes.discord.messagePayloads(card.messageId)).toHaveLength(payloads);
    expect(fakes.anthropic.messageBodies).toHaveLength(1);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
  });

  it.skipIf(onPostgres)(
    'GIVEN a click for a draft that does not exist THEN the moderator is told "This draft no longer exists." and the refusal is audited',
    async () => {
      const clock = new ManualClock();
      const before = await start({ DRY_RUN: 'false' }, { clock });
      const backup = await before.testApp.app.commandContext.takeBackup();
      if (backup.status !== 'taken') throw new Error(`these tests restore a SQLite file: ${backup.reason}`);
      const card = await before.postDraft(TEXT_A);
      // Restored to before the draft existed: its card is left in the channel, the draft is gone.
      const after = await restore(before, backup.path, clock);
      expect(await after.testApp.app.repos.drafts.findById(card.draft.id)).toBeNull();

      const approve = track(after.click(card, 'approve', card.draft.id, 1));
      expect(await after.ephemeralReply(approve.id)).toBe('This draft no longer exists.');
      const edit = track(after.click(card, 'edit', card.draft.id, 1));
      expect(await after.ephemeralReply(edit.id)).toBe('This draft no longer exists.');
      const reject = track(after.submit(card, 'reject-modal', card.draft.id, 1, { reason: 'gone' }));
      expect(await after.ephemeralReply(reject.id)).toBe('This draft no longer exists.');
      // A non-moderator's refusal on it is audited too (the row cannot point at a missing draft).
      const plain = track(after.click(card, 'approve', card.draft.id, 1, fakes.discord.userIds.plain));
      expect(await after.ephemeralReply(plain.id)).toMatch(/^Only moderators/);

      await expect.poll(async () => (await auditRows(after.testApp)).length).toBe(4);
      const rows = await auditRows(after.testApp);
      expect(rows.map((r) => [r.draftId, r.action, r.outcome, r.interactionId])).toEqual([
        [null, 'approve', 'not_found', approve.id],
        [null, 'edit', 'not_found', edit.id],
        [null, 'reject', 'not_found', reject.id],
        [null, 'approve', 'not_moderator', plain.id],
      ]);
      for (const row of rows) expect(row.detail).toContain(`draft #${card.draft.id} revision 1`);
      for (const id of [approve.id, edit.id, reject.id, plain.id]) {
        expect(after.ephemeralReplies(id).join('\n')).not.toMatch(/Something went wrong/);
      }
      expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    },
  );

  describe('GIVEN an interaction from another guild or a DM', () => {
    const roleEnvs: Array<{ label: string; env: Record<string, string> }> = [
      { label: 'with MODERATOR_ROLE_ID', env: {} },
      { label: 'without MODERATOR_ROLE_ID', env: { MODERATOR_ROLE_ID: '' } },
    ];
    for (const roleEnv of roleEnvs) {
      // Without the role, Manage Server is what makes a moderator: the admin has it, in any guild.
      const who = (f: Fakes) => (roleEnv.label.startsWith('with ') ? f.discord.userIds.moderator : f.discord.userIds.admin);

      it(`GIVEN a button click from another guild (${roleEnv.label}) THEN it is refused and nothing is decided or posted`, async () => {
        const driver = await start({ DRY_RUN: 'false', ...roleEnv.env });
        const card = await driver.postDraft(TEXT_A);
        const click = track(
          fakes.discord.injectButtonClick({ messageId: card.messageId, customId: `dg1:approve:${card.draft.id}:1`, userId: who(fakes), guildId: OTHER_GUILD }),
        );
        expect((await fakes.discord.waitForCallback(click.id)).type).toBe(InteractionResponseType.ChannelMessageWithSource);
        expect(await driver.ephemeralReply(click.id)).toMatch(NOT_OUR_GUILD);
        const dm = track(
          fakes.discord.injectButtonClick({ messageId: card.messageId, customId: `dg1:approve:${card.draft.id}:1`, userId: who(fakes), guildId: null }),
        );
        expect(await driver.ephemeralReply(dm.id)).toMatch(NOT_OUR_GUILD);
        const submit = track(
          fakes.discord.injectModalSubmit({
            messageId: card.messageId,
            customId: `dg1:reject-modal:${card.draft.id}:1`,
            fields: { reason: 'x' },
            userId: who(fakes),
            guildId: OTHER_GUILD,
          }),
        );
        expect(await driver.ephemeralReply(submit.id)).toMatch(NOT_OUR_GUILD);

        expect(await driver.testApp.app.repos.drafts.findById(card.draft.id)).toMatchObject({ status: 'pending' });
        expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
        expect(fakes.discord.messagePayloads(card.messageId)).toHaveLength(1);
        // The same click from our guild still works, so the refusal above was the guild's.
        track(driver.click(card, 'approve', card.draft.id, 1, who(fakes)));
        await expect.poll(() => driver.status(card.messageId)).toContain('Published');
      });

      it(`GIVEN a slash command from another guild (${roleEnv.label}) THEN it is refused and nothing changes`, async () => {
        const driver = await start(roleEnv.env);
        const pause = track(
          fakes.discord.injectSlashCommand({ name: 'pause', options: { reason: 'from elsewhere' }, userId: who(fakes), guildId: OTHER_GUILD }),
        );
        const callback = await fakes.discord.waitForCallback(pause.id);
        expect(callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
        expect(Number(callback.data?.['flags'] ?? 0) & MessageFlags.Ephemeral).not.toBe(0);
        expect(JSON.stringify(callback.data)).toMatch(/only takes commands and clicks in its own server/);
        const dm = track(fakes.discord.injectSlashCommand({ name: 'pause', userId: who(fakes), guildId: null }));
        expect(JSON.stringify((await fakes.discord.waitForCallback(dm.id)).data)).toMatch(/only takes commands and clicks in its own server/);
        // Autocomplete answers nothing: not even topic names leave the guild.
        const typing = track(fakes.discord.injectAutocomplete({ name: 'draft', focused: 'topic', value: 'ed', userId: who(fakes), guildId: OTHER_GUILD }));
        const choices = await fakes.discord.waitForCallback(typing.id);
        expect(choices.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
        expect(choices.data?.['choices']).toEqual([]);

        expect(await driver.testApp.app.repos.settings.get(SETTINGS.pause)).toBeNull();
        // The same command from our guild works, so the refusal above was the guild's.
        const ours = track(fakes.discord.injectSlashCommand({ name: 'pause', userId: who(fakes) }));
        await fakes.discord.waitForCallback(ours.id);
        await expect.poll(() => driver.testApp.app.repos.settings.get(SETTINGS.pause)).not.toBeNull();
        await expectCleanDiscordTraffic(fakes);
      });
    }
  });
});
