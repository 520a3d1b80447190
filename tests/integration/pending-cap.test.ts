import { InteractionResponseType, MessageFlags } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { createDataSource, createRepositories, databaseTargetOf } from '../../src/db/index.js';
import { queryRows } from '../../src/db/sql.js';
import { useAppHarness } from '../support/app-harness.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { openTempDatabase } from '../support/temp-database.js';

const FIRST = 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices.';
const SECOND = 'Your wallet seed phrase is the only key to your funds. No support agent, bot or moderator will ever need it.';

describe('item 10: the pending-draft cap holds within one process', () => {
  const harness = useAppHarness();

  it('GIVEN MAX_PENDING_DRAFTS=1 WHEN two /draft commands run concurrently THEN exactly 1 draft is pending, and the second paid-for generation is recorded as skipped over the cap with its tokens', async () => {
    const fakes = harness.fakes;
    const testApp = await harness.start({ MAX_PENDING_DRAFTS: '1' });
    const { app } = testApp;
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: FIRST } }, { usage: { input_tokens: 900, output_tokens: 70 } });
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: SECOND } }, { usage: { input_tokens: 900, output_tokens: 70 } });

    const commands = [
      harness.track(fakes.discord.injectSlashCommand({ name: 'draft', options: { topic: 'education' }, userId: fakes.discord.userIds.moderator })),
      harness.track(fakes.discord.injectSlashCommand({ name: 'draft', options: { topic: 'education' }, userId: fakes.discord.userIds.moderator })),
    ];
    for (const command of commands) {
      // Both passed the early check (nothing pending yet), so both deferred and asked Claude.
      expect((await fakes.discord.waitForCallback(command.id)).type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    }
    const answers = await Promise.all(
      commands.map(async (command) => {
        for (let i = 0; i < 400; i += 1) {
          const message = fakes.discord.originalResponse(command.id);
          if (message && (message.flags & MessageFlags.Loading) === 0) return message;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        throw new Error(`no answer to ${command.id}`);
      }),
    );
    expect(fakes.anthropic.messageBodies).toHaveLength(2);

    expect((await app.repos.drafts.countByStatus()).pending).toBe(1);
    const titles = answers.map((m) => (m.embeds[0] as { title?: string } | undefined)?.title ?? '');
    expect(titles.filter((t) => /ready for moderation/.test(t))).toHaveLength(1);
    expect(titles).toContain('No draft this time');

    // A connection of its own, as a reader from outside the bot (SQLite file or PostgreSQL database).
    const reader = await createDataSource(databaseTargetOf(testApp.config.storage)).initialize();
    const rows = await queryRows<{ outcome: string; reason: string | null; input_tokens: number; output_tokens: number; draft_id: number | null }>(
      reader,
      'SELECT outcome, reason, input_tokens, output_tokens, draft_id FROM generation_runs ORDER BY id',
    );
    await reader.destroy();
    expect(rows.map((r) => r.outcome).sort()).toEqual(['created', 'skipped']);
    const skipped = rows.find((r) => r.outcome === 'skipped')!;
    expect(skipped.reason).toMatch(/pending cap/i);
    expect(skipped).toMatchObject({ input_tokens: 900, output_tokens: 70, draft_id: null });
  });

  it('GIVEN two connections on one file (two processes by mistake) WHEN both save a draft against a cap of 1 at once THEN exactly one is created and the other is over the cap', async () => {
    const db = await openTempDatabase();
    const second = createDataSource(db.target);
    await second.initialize();
    try {
      const other = createRepositories(second);
      const outcomes = await Promise.all([
        db.repos.drafts.createWithinPendingCap(newTweetDraft('One process wrote this draft about bonding curves.'), 1, 1),
        other.drafts.createWithinPendingCap(newTweetDraft('Another process wrote this one about seed phrases.'), 1, 1),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['created', 'over_cap']);
      expect((await db.repos.drafts.countByStatus()).pending).toBe(1);
    } finally {
      await second.destroy();
      await db.close();
    }
  });
});
