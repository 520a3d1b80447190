import type { Client } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { useAppHarness } from '../support/app-harness.js';

/**
 * Issue 16, soak: @discordjs/rest keeps one rate-limit handler per route and "major parameter",
 * and an interaction's replies and follow-ups (/webhooks/:appId/:token/...) have the
 * interaction's token as theirs, so each deferred or followed-up interaction left a handler
 * behind until discord.js's hourly sweep (1,135 per 3,000 soak interactions).
 */
describe('REST handlers left by interactions (real discord.js against the fakes)', () => {
  const harness = useAppHarness();

  /** Handlers of the bot's interaction webhooks, i.e. one per interaction token still kept. */
  const interactionHandlers = (client: Client, applicationId: string) =>
    [...client.rest.handlers.keys()].filter((key) => key.includes(`:${applicationId}/`)).length;

  it('GIVEN the app WHEN 40 /queue list commands are answered one after another THEN the REST client keeps the handlers of at most the last two', async () => {
    const app = await harness.start();
    const { discord } = harness.fakes;
    for (let i = 0; i < 40; i += 1) {
      const interaction = harness.track(discord.injectSlashCommand({ name: 'queue', subcommand: 'list', userId: discord.userIds.moderator }));
      await discord.waitForCallback(interaction.id);
      // /queue list defers, then edits its reply through the interaction's webhook.
      await expect.poll(() => discord.originalResponse(interaction.id)?.embeds.length ?? 0).toBeGreaterThan(0);
    }
    // Each arrival sweeps the idle handlers of earlier interactions; the last one's reply may still hold its own.
    expect(interactionHandlers(app.app.discord, discord.applicationId)).toBeGreaterThan(0);
    expect(interactionHandlers(app.app.discord, discord.applicationId)).toBeLessThanOrEqual(2);
  });
});
