import { REST, Routes, type RESTGetCurrentApplicationResult } from 'discord.js';
import { z } from 'zod';
import { commands } from '../commands/index.js';
import { registerGuildCommands } from '../src/adapters/discord/command-router.js';
import { readEnvironment } from '../src/config/index.js';

/**
 * `npm run register-commands`: registers the slash commands to DISCORD_GUILD_ID with a bulk
 * overwrite, without starting the bot (the bot also does this at every start-up). Needs only
 * DISCORD_TOKEN, DISCORD_GUILD_ID and, against a fake, DISCORD_API_BASE.
 */
const registrationEnvironment = z.object({
  DISCORD_TOKEN: z.string({ error: 'is missing; expected the bot token' }).min(8, { error: 'is too short to be a bot token' }),
  DISCORD_GUILD_ID: z.string({ error: 'is missing; expected the guild id' }).regex(/^\d{17,20}$/, { error: 'expected a numeric Discord id' }),
  DISCORD_API_BASE: z.string().url().optional(),
});

async function main(): Promise<void> {
  const env = readEnvironment();
  const parsed = registrationEnvironment.safeParse({
    DISCORD_TOKEN: env['DISCORD_TOKEN'] || undefined,
    DISCORD_GUILD_ID: env['DISCORD_GUILD_ID'] || undefined,
    DISCORD_API_BASE: env['DISCORD_API_BASE'] || undefined,
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) process.stderr.write(`${String(issue.path[0])} ${issue.message}\n`);
    process.exit(2);
  }
  const { DISCORD_TOKEN, DISCORD_GUILD_ID, DISCORD_API_BASE } = parsed.data;
  const rest = new REST(DISCORD_API_BASE ? { api: DISCORD_API_BASE.replace(/\/+$/, '') } : {}).setToken(DISCORD_TOKEN);
  const application = (await rest.get(Routes.currentApplication())) as RESTGetCurrentApplicationResult;
  const registered = await registerGuildCommands(rest, application.id, DISCORD_GUILD_ID, commands);
  process.stdout.write(`Registered ${registered.length} commands to guild ${DISCORD_GUILD_ID}: ${registered.map((c) => `/${c.name}`).join(' ')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`register-commands failed: ${(error as Error).message}\n`);
  process.exit(1);
});
