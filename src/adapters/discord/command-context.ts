import type { AutocompleteInteraction, ChatInputCommandInteraction, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { AppConfig } from '../../config/index.js';
import type { Actor } from '../../domain/draft.js';
import type { Logger } from '../../logging/index.js';
import type { SchedulerStatus } from '../../scheduler/posting-scheduler.js';
import type { SubmitDraftOutcome } from '../../services/moderation-service.js';
import type { PauseService } from '../../services/pause-service.js';
import type { Clock, DraftRepository, ModerationEventRepository, PostRepository, Topic, TopicRepository } from '../../services/ports.js';
import type { RateLimitStatus } from '../../services/publishing-service.js';
import type { BackupResult } from '../../services/backup-service.js';
import type { StatsService } from '../../services/stats-service.js';
import type { StatsChartInput } from '../chart/stats-chart.js';

/**
 * Everything a slash command may use, built once in app.ts and handed to every command. A
 * command calls a service and renders the result; it never reaches for globals.
 */
export interface CommandContext {
  readonly config: AppConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** package.json version, read once at start-up. */
  readonly version: string;
  /** When this process started (clock ms), for uptime. */
  readonly startedAt: number;
  readonly drafts: DraftRepository;
  readonly posts: PostRepository;
  readonly topics: TopicRepository;
  readonly audit: ModerationEventRepository;
  readonly pause: PauseService;
  readonly scheduler: { status(): Promise<SchedulerStatus> };
  /** Topics with what effective weights need (account average engagement, last used topic). */
  readonly topicsWithContext: () => Promise<{ topics: Topic[]; accountAvgEngagement: number; lastUsedTopicId: number | null }>;
  /** Generates one draft and posts its moderation card (ModerationService.generateAndPostDraft). */
  readonly generateDraft: (topicName: string | undefined) => Promise<SubmitDraftOutcome>;
  readonly stats: StatsService;
  readonly renderStatsChart: (input: StatsChartInput) => Promise<Buffer>;
  readonly rateLimitStatus: () => Promise<RateLimitStatus>;
  /** Takes an online database backup now (BackupService.takeBackup). */
  readonly takeBackup: () => Promise<BackupResult>;
}

/** The JSON a command registers with; SlashCommandBuilder (with or without subcommands) fits. */
export interface CommandData {
  readonly name: string;
  toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody;
}

/**
 * Who may run a command, declared on it and enforced once by the router before `execute` (as
 * the guild guard is): a command never checks it itself. `'moderator'`: every use needs a
 * moderator. `{ moderatorExcept }`: every subcommand needs one except those named, which are
 * open; a subcommand added later is guarded until someone names it. No guard: anyone in the
 * guild. Autocomplete is never guarded by this, as it changes nothing.
 */
export type CommandGuard = 'moderator' | { readonly moderatorExcept: readonly string[] };

/** One slash command module: `commands/<name>.ts`. */
export interface SlashCommand {
  readonly data: CommandData;
  /** Omit for a read-only command; every command that changes state declares it. */
  readonly guard?: CommandGuard;
  /**
   * Runs the command. `actor` is who ran it; when the guard applies, the router has already
   * checked they are a moderator (and refused and audited everyone else).
   */
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void>;
}
