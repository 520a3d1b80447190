import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageFlags } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { createRepositories, openDatabase } from '../src/db/index.js';
import { encodeDraftCustomId, type DraftAction } from '../src/domain/custom-id.js';
import type { FakeDiscord, InjectedInteraction } from '../tests/support/fake-discord.js';
import { newTweetDraft } from '../tests/support/draft-fixtures.js';
import { spawnBuiltApp } from '../tests/support/spawn-app.js';
import { fakeEnvironment, startFakes } from '../tests/support/test-app.js';
import { report, summarise } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SEQUENTIAL = 200;
const BURST = 20;
const DRAFTS = 20;

/**
 * The same measurement as interaction-latency.bench.ts, but with the bot as its own process
 * (`node dist/src/main.js`, as the container runs it), so the fakes' work does not share the
 * bot's event loop: time from INTERACTION_CREATE leaving the fake to the bot's callback.
 */
describe('interaction acknowledgement latency, bot in its own process', () => {
  it(`GIVEN the built app WHEN ${SEQUENTIAL} interactions arrive one by one, then ${BURST} at once THEN the ack latency is reported`, async () => {
    const fakes = await startFakes();
    const dataDir = mkdtempSync(join(tmpdir(), 'draftgate-ackbench-'));
    const env = fakeEnvironment(fakes, dataDir, { DRY_RUN: 'true', MAX_PENDING_DRAFTS: '100', LOG_LEVEL: 'warn' });
    const draftIds = await seedPendingDrafts(env['DATABASE_PATH']!, DRAFTS);
    const app = spawnBuiltApp({ appDir: root, env, nodeArgs: ['--max-semi-space-size=1'] });
    try {
      await expect.poll(() => fakes.discord.messages.size, { timeout: 30_000 }).toBeGreaterThanOrEqual(DRAFTS);
      const cards = draftIds.map((id) => ({ id, messageId: cardOf(fakes.discord, id) }));
      const { moderator, plain } = fakes.discord.userIds;
      const click = (i: number, action: DraftAction, userId: string) => {
        const card = cards[i % cards.length]!;
        return fakes.discord.injectButtonClick({ messageId: card.messageId, customId: encodeDraftCustomId({ action, draftId: card.id, revision: 1 }), userId });
      };
      // Five kinds, none of which decides a draft, so every card keeps its buttons.
      const kinds: Array<(i: number) => { interaction: InjectedInteraction; answered: boolean }> = [
        (i) => ({ interaction: click(i, 'approve', plain), answered: true }),
        (i) => ({ interaction: click(i, 'reject', moderator), answered: false }),
        (i) => ({ interaction: click(i, 'regenerate', moderator), answered: false }),
        (i) => ({ interaction: click(i, 'edit', moderator), answered: false }),
        (i) => {
          const card = cards[i % cards.length]!;
          const interaction = fakes.discord.injectModalSubmit({
            customId: encodeDraftCustomId({ action: 'edit-modal', draftId: card.id, revision: 1 }),
            fields: { 'tweet-1': `Profits are guaranteed. ${'x'.repeat(300)}` },
            messageId: card.messageId,
            userId: moderator,
          });
          return { interaction, answered: true };
        },
      ];

      const sequential: number[] = [];
      for (let i = 0; i < SEQUENTIAL; i += 1) {
        const { interaction, answered } = kinds[i % kinds.length]!(i);
        await fakes.discord.waitForCallback(interaction.id);
        sequential.push(fakes.discord.ackLatencyMs(interaction.id));
        // Let the follow-up (the ephemeral explanation) go out before the next one arrives.
        if (answered) await fakes.discord.waitForMessage((m) => ephemeralAnswerTo(m, interaction.id));
      }

      const burst: InjectedInteraction[] = [];
      for (let i = 0; i < BURST; i += 1) burst.push(click(i, 'approve', i % 2 === 0 ? moderator : plain));
      await Promise.all(burst.map((b) => fakes.discord.waitForCallback(b.id)));
      const concurrent = burst.map((b) => fakes.discord.ackLatencyMs(b.id));

      const one = summarise(sequential);
      const many = summarise(concurrent);
      report('interaction-ack-process-sequential', { n: one.n, median_ms: one.median, p95_ms: one.p95, p99_ms: one.p99, max_ms: one.max }, 'p99 < 50 ms');
      report('interaction-ack-process-burst', { n: many.n, median_ms: many.median, p95_ms: many.p95, p99_ms: many.p99, max_ms: many.max }, 'p99 < 50 ms');
      expect(Math.max(one.max, many.max)).toBeLessThan(3_000);
    } finally {
      await app.signal('SIGTERM');
      await fakes.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** Pending drafts written before the process starts; it posts their cards at start-up. */
async function seedPendingDrafts(databasePath: string, count: number): Promise<number[]> {
  const { dataSource } = await openDatabase(databasePath);
  try {
    const drafts = createRepositories(dataSource).drafts;
    const ids: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const text = `Bench draft ${i + 1}: read the launch page, check the holders and set your limits before you trade anything on Pump.fun.`;
      const draft = await drafts.create(
        newTweetDraft(text, { model: 'bench', deadlineAt: Date.now() + 24 * 3_600_000 }),
        // Old enough that start-up treats the missing card as lost and posts it.
        Date.now() - 5 * 60_000,
      );
      ids.push(draft.id);
    }
    return ids;
  } finally {
    await dataSource.destroy();
  }
}

function cardOf(discord: FakeDiscord, draftId: number): string {
  for (const message of discord.messages.values()) {
    if (JSON.stringify(message.components ?? []).includes(`"dg1:approve:${draftId}:1"`)) return message.id;
  }
  throw new Error(`no card for draft ${draftId}`);
}

function ephemeralAnswerTo(message: { flags: number; [key: string]: unknown }, interactionId: string): boolean {
  return (message['interaction_metadata'] as { id?: string } | undefined)?.id === interactionId && (message.flags & MessageFlags.Ephemeral) !== 0;
}
