import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationCommandOptionType, MessageFlags, SlashCommandBuilder, type Interaction } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { backup } from '../../commands/backup.js';
import { commands } from '../../commands/index.js';
import { topics } from '../../commands/topics.js';
import type { CommandContext, SlashCommand } from '../../src/adapters/discord/command-context.js';
import { moderatorOnlyAction } from '../../src/adapters/discord/command-guard.js';
import { CommandRouter } from '../../src/adapters/discord/command-router.js';
import type { Actor } from '../../src/domain/draft.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { BackupService } from '../../src/services/backup-service.js';

const GUILD = '1200000000000000100';
const OTHER_GUILD = '1200000000000000999';
const ROLE = '1200000000000000301';
const CHANNEL = '1200000000000000201';
const MODERATOR = { id: '1200000000000000401', name: 'mod' };
const MEMBER = { id: '1200000000000000402', name: 'member' };
const NOW = 1_767_225_600_000;

/** What the router did, in order: acknowledgements, replies, audit writes and command runs. */
type Event = string;

/**
 * Just enough of a CommandContext for the router and the guard: the one account `default` (the
 * single-account setup), whose audit log records into `events`.
 */
function context(events: Event[]): CommandContext {
  const account = {
    id: 'default',
    config: { id: 'default', discord: { moderationChannelId: CHANNEL, moderatorRoleId: ROLE } },
    handle: () => null,
    audit: {
      record: async (event: { action: string; outcome: string; actor: Actor; interactionId: string | null }) => {
        events.push(`audit ${event.action} ${event.outcome} by ${event.actor.id} for ${event.interactionId}`);
      },
    },
    topicsWithContext: async () => ({
      topics: [],
      arms: [],
      approvals: new Map(),
      lastUsedTopicId: null,
      learningEnabled: true,
      repeatFactor: 0.25,
      resetAt: null,
    }),
  };
  return {
    config: { discord: { guildId: GUILD, moderatorRoleId: ROLE } },
    clock: { now: () => NOW },
    accounts: { active: [account], inactiveIds: () => [] },
  } as unknown as CommandContext;
}

interface StubOptions {
  readonly command: string;
  readonly subcommand?: string;
  readonly user: Actor;
  readonly roles: readonly string[];
  readonly guildId?: string;
  readonly kind?: 'command' | 'autocomplete';
}

let nextId = 1;

/**
 * A chat-input (or autocomplete) interaction as the router sees it: the guild, the member's roles
 * as Discord sends them (no GuildMember: the bot has no members intent), and reply methods that
 * record what was sent.
 */
function interaction(events: Event[], o: StubOptions): Interaction {
  const kind = o.kind ?? 'command';
  const guildId = o.guildId ?? GUILD;
  const state = { deferred: false, replied: false, responded: false };
  const stub = {
    id: `interaction-${nextId++}`,
    commandName: o.command,
    guildId,
    channelId: CHANNEL,
    user: { id: o.user.id, username: o.user.name, globalName: null },
    member: { roles: [...o.roles], nick: o.user.name },
    memberPermissions: { bitfield: 0n },
    options: {
      getSubcommand: (required?: boolean) => {
        if (o.subcommand === undefined && required !== false) throw new Error('no subcommand');
        return o.subcommand ?? null;
      },
      getFocused: () => '',
      // No option is set: the account option included.
      getString: () => null,
    },
    get deferred() {
      return state.deferred;
    },
    get replied() {
      return state.replied;
    },
    get responded() {
      return state.responded;
    },
    inGuild: () => true,
    isChatInputCommand: () => kind === 'command',
    isAutocomplete: () => kind === 'autocomplete',
    isRepliable: () => kind === 'command',
    deferReply: async (options: { flags?: number } = {}) => {
      state.deferred = true;
      events.push(`defer ${(Number(options.flags ?? 0) & MessageFlags.Ephemeral) !== 0 ? 'ephemeral' : 'public'}`);
    },
    reply: async (payload: { flags?: number; content?: string; embeds?: Array<{ data: { title?: string; description?: string } }> }) => {
      state.replied = true;
      const text = payload.content ?? payload.embeds?.map((e) => `${e.data.title}: ${e.data.description}`).join(' | ');
      events.push(`reply ${(Number(payload.flags ?? 0) & MessageFlags.Ephemeral) !== 0 ? 'ephemeral' : 'public'} ${text}`);
    },
    editReply: async (payload: { embeds?: Array<{ data: { title?: string; description?: string } }> }) => {
      events.push(`edit ${payload.embeds?.map((e) => `${e.data.title}: ${e.data.description}`).join(' | ')}`);
    },
    respond: async (choices: unknown[]) => {
      state.responded = true;
      events.push(`autocomplete ${choices.length} choices`);
    },
  };
  return stub as unknown as Interaction;
}

/** A command that records its runs and the actor it was handed. */
function recordingCommand(name: string, events: Event[], declaration: Pick<SlashCommand, 'guard'> = {}): SlashCommand {
  return {
    data: new SlashCommandBuilder().setName(name).setDescription(`the ${name} command`),
    ...declaration,
    async execute(i, _ctx, actor) {
      events.push(`execute ${name} as ${actor.id}`);
      await i.reply({ content: 'done' });
    },
    async autocomplete(i) {
      events.push(`autocomplete ${name}`);
      await i.respond([{ name: 'x', value: 'x' }]);
    },
  };
}

async function run(commands: SlashCommand[], o: StubOptions): Promise<Event[]> {
  const events: Event[] = [];
  const router = new CommandRouter(commands, context(events), createSilentLogger());
  expect(await router.handle(interaction(events, o))).toBe(true);
  return events;
}

describe('the moderator guard, declared on a command and enforced by the router', () => {
  it('GIVEN a command declaring the moderator guard WHEN a non-moderator runs it THEN it is acknowledged privately BEFORE the refusal is audited, the user is told, and execute never runs', async () => {
    const events: Event[] = [];
    const command = recordingCommand('pause', events, { guard: 'moderator' });
    const router = new CommandRouter([command], context(events), createSilentLogger());
    const stub = interaction(events, { command: 'pause', user: MEMBER, roles: [] });
    expect(await router.handle(stub)).toBe(true);
    expect(events).toEqual([
      'defer ephemeral',
      `audit /pause refused_not_moderator by ${MEMBER.id} for ${stub.id}`,
      `edit Not done: Only moderators can do that: /pause is limited to members with the <@&${ROLE}> role.`,
    ]);
  });

  it('GIVEN a command declaring the moderator guard WHEN a moderator runs it THEN execute runs with the moderator as the actor and the router audits nothing', async () => {
    const events: Event[] = [];
    const command = recordingCommand('pause', events, { guard: 'moderator' });
    const router = new CommandRouter([command], context(events), createSilentLogger());
    expect(await router.handle(interaction(events, { command: 'pause', user: MODERATOR, roles: [ROLE] }))).toBe(true);
    expect(events).toEqual([`execute pause as ${MODERATOR.id}`, 'reply public done']);
  });

  it('GIVEN a command declaring no guard WHEN a non-moderator runs it THEN execute runs with the caller as the actor and nothing is audited', async () => {
    const events: Event[] = [];
    const command = recordingCommand('status', events);
    const router = new CommandRouter([command], context(events), createSilentLogger());
    expect(await router.handle(interaction(events, { command: 'status', user: MEMBER, roles: [] }))).toBe(true);
    expect(events).toEqual([`execute status as ${MEMBER.id}`, 'reply public done']);
  });

  it('GIVEN the real /topics WHEN a non-moderator runs list THEN it is answered, AND WHEN they run set THEN it is refused as "/topics set" without touching the topics', async () => {
    const list = await run([topics], { command: 'topics', subcommand: 'list', user: MEMBER, roles: [] });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^reply public Topics \(0 of 0 enabled\): No topics configured\.$/);

    // The account's topics are absent from the stub context: had set's execute run, it would have thrown a TypeError, not this refusal.
    const set = await run([topics], { command: 'topics', subcommand: 'set', user: MEMBER, roles: [] });
    expect(set).toEqual([
      'defer ephemeral',
      expect.stringMatching(new RegExp(`^audit /topics set refused_not_moderator by ${MEMBER.id} for interaction-\\d+$`)),
      `edit Not done: Only moderators can do that: /topics set is limited to members with the <@&${ROLE}> role.`,
    ]);
    for (const sub of ['enable', 'disable', 'reset-learning']) {
      const refused = await run([topics], { command: 'topics', subcommand: sub, user: MEMBER, roles: [] });
      expect(refused[1]).toMatch(new RegExp(`^audit /topics ${sub} refused_not_moderator`));
    }
  });

  it('GIVEN a command declaring the moderator guard WHEN a non-moderator autocompletes an option THEN it is answered (autocomplete changes nothing), but from another guild it is not', async () => {
    const events: Event[] = [];
    const command = recordingCommand('draft', events, { guard: 'moderator' });
    const router = new CommandRouter([command], context(events), createSilentLogger());
    await router.handle(interaction(events, { command: 'draft', user: MEMBER, roles: [], kind: 'autocomplete' }));
    expect(events).toEqual(['autocomplete draft', 'autocomplete 1 choices']);

    events.length = 0;
    await router.handle(interaction(events, { command: 'draft', user: MODERATOR, roles: [ROLE], kind: 'autocomplete', guildId: OTHER_GUILD }));
    expect(events).toEqual(['autocomplete 0 choices']);
  });
});

/**
 * Which uses change state (true) and which only read (false), per command and, for commands with
 * subcommands, per subcommand. A new command or subcommand fails the test below until it is
 * classified here, so nobody adds a state change that is open to every member by forgetting.
 */
const CHANGES_STATE: Readonly<Record<string, boolean | Readonly<Record<string, boolean>>>> = {
  status: false,
  pause: true,
  resume: true,
  draft: true,
  stats: false,
  topics: { list: false, set: true, enable: true, disable: true, 'reset-learning': true },
  ratelimit: false,
  // Its components are guarded per action: see queue-command.test.ts.
  queue: { list: false, suggest: false },
  backup: true,
  // Issue 15: all of /voice is for moderators, show too (it quotes what moderators wrote).
  voice: { show: true, forget: true, pin: true, unpin: true },
};

/** The subcommand names a command registers, or [null] when it has none. */
function uses(command: SlashCommand): Array<string | null> {
  const subcommands = (command.data.toJSON().options ?? [])
    .filter((o) => o.type === ApplicationCommandOptionType.Subcommand || o.type === ApplicationCommandOptionType.SubcommandGroup)
    .map((o) => o.name);
  return subcommands.length > 0 ? subcommands : [null];
}

describe('which registered commands declare the moderator guard', () => {
  it('GIVEN every command in commands/index.ts THEN exactly the state-changing uses need a moderator, and every command and subcommand is classified', () => {
    expect(commands.map((c) => c.data.name).sort()).toEqual(Object.keys(CHANGES_STATE).sort());
    for (const command of commands) {
      const name = command.data.name;
      const expected = CHANGES_STATE[name];
      for (const sub of uses(command)) {
        const changesState = typeof expected === 'boolean' ? (sub === null ? expected : undefined) : sub === null ? undefined : expected?.[sub];
        expect(changesState, `/${name}${sub ? ` ${sub}` : ''} is not classified in CHANGES_STATE`).toBeTypeOf('boolean');
        const action = moderatorOnlyAction(command, sub);
        expect(action, `/${name}${sub ? ` ${sub}` : ''}`).toBe(changesState ? `/${name}${sub ? ` ${sub}` : ''}` : null);
      }
      if (typeof expected === 'object') expect(uses(command).sort(), `/${name}'s subcommands`).toEqual(Object.keys(expected).sort());
    }
  });

  it('GIVEN a guard that leaves some subcommands open THEN each name it lists is a subcommand the command registers (a typo would guard nothing away silently)', () => {
    for (const command of commands) {
      const { guard } = command;
      if (guard === undefined || guard === 'moderator') continue;
      for (const open of guard.moderatorExcept) expect(uses(command), `/${command.data.name}`).toContain(open);
    }
  });
});

describe('/backup on PostgreSQL', () => {
  it('GIVEN the store is PostgreSQL WHEN a moderator runs /backup THEN the private answer says to use pg_dump (with the README section), nothing is copied, and the audit says skipped', async () => {
    const dir = join(tmpdir(), `dg-backup-never-${process.pid}-${nextId}`);
    const copies: string[] = [];
    const service = new BackupService({
      engine: 'postgres',
      dir,
      keep: 7,
      backupTo: async (destination) => {
        copies.push(destination);
      },
      clock: { now: () => NOW },
      logger: createSilentLogger(),
    });
    const events: Event[] = [];
    const ctx = { ...context(events), takeBackup: () => service.takeBackup() } as CommandContext;
    const router = new CommandRouter([backup], ctx, createSilentLogger());
    expect(await router.handle(interaction(events, { command: 'backup', user: MODERATOR, roles: [ROLE] }))).toBe(true);
    expect(events).toEqual([
      'defer ephemeral',
      expect.stringMatching(new RegExp(`^audit /backup skipped by ${MODERATOR.id} for interaction-\\d+$`)),
      expect.stringMatching(/^edit 🐘 No backup taken: the database is PostgreSQL: .*nothing was written.*`pg_dump.*`pg_restore`.*"Backups on PostgreSQL"/s),
    ]);
    expect(copies).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
