import { createHash } from 'node:crypto';
import type { REST } from 'discord.js';
import type { SettingsRepository } from '../../services/ports.js';
import { SETTINGS } from '../../services/settings-keys.js';
import type { SlashCommand } from './command-context.js';
import { commandRegistrationBody, registerGuildCommands } from './command-router.js';

/** What a start did about the slash commands. */
export interface CommandRegistrationResult {
  /** `registered`: the PUT was sent and accepted; `unchanged`: the last registration's hash matched, no request. */
  readonly outcome: 'registered' | 'unchanged';
  readonly commands: readonly string[];
  readonly hash: string;
}

/**
 * The fingerprint of a registration: the exact body the PUT sends, with the application and the
 * guild it goes to (another bot or another server needs its own registration).
 */
export function commandRegistrationHash(applicationId: string, guildId: string, commands: readonly SlashCommand[]): string {
  const body = commandRegistrationBody(commands);
  return createHash('sha256').update(JSON.stringify({ applicationId, guildId, body })).digest('hex');
}

/**
 * Registers the guild's commands unless the last successful registration (its hash in the
 * bot-wide settings) was this very one: the PUT is the slowest step of a start, and Discord keeps
 * guild commands until they are overwritten. `force` registers anyway (commands deleted by hand
 * in Discord). The hash is stored only after Discord accepted the PUT, so a failed one is retried
 * at the next start.
 */
export async function registerGuildCommandsIfChanged(options: {
  rest: REST;
  applicationId: string;
  guildId: string;
  commands: readonly SlashCommand[];
  settings: SettingsRepository;
  now: () => number;
  force: boolean;
}): Promise<CommandRegistrationResult> {
  const { rest, applicationId, guildId, commands, settings, now, force } = options;
  const hash = commandRegistrationHash(applicationId, guildId, commands);
  const names = commands.map((command) => command.data.name);
  if (!force && (await settings.get(SETTINGS.commandRegistration))?.hash === hash) return { outcome: 'unchanged', commands: names, hash };
  const registered = await registerGuildCommands(rest, applicationId, guildId, commands);
  await settings.set(SETTINGS.commandRegistration, { hash, registeredAt: now() }, now());
  return { outcome: 'registered', commands: registered.map((command) => command.name), hash };
}
