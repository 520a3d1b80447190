import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { AppConfig } from '../../config/index.js';
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

/** One slash command module: `commands/<name>.ts`. */
export interface SlashCommand {
  readonly data: CommandData;
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void>;
}
