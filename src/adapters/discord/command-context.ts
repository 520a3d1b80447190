import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
  StringSelectMenuInteraction,
} from 'discord.js';
import type { AccountConfig, AppConfig } from '../../config/index.js';
import type { AccountId } from '../../domain/account.js';
import type { UnnarrowedScope } from '../../domain/account-scope.js';
import type { ContentType } from '../../domain/content-types.js';
import type { Actor } from '../../domain/draft.js';
import type { Logger } from '../../logging/index.js';
import type { SchedulerStatus } from '../../scheduler/posting-scheduler.js';
import type { SubmitDraftOutcome } from '../../services/moderation-service.js';
import type { DraftMediaOperations, PreparedImage } from '../../services/media-contract.js';
import type { VoiceOperations } from '../../services/learning-contract.js';
import type { PauseService } from '../../services/pause-service.js';
import type { Clock, DraftRepository, InstanceLeaseStatus, ModerationEventRepository, PostRepository, TopicRepository } from '../../services/ports.js';
import type { RateLimitStatus } from '../../services/publishing-service.js';
import type { SchedulingOperations } from '../../services/scheduling-contract.js';
import type { BackupOutcome } from '../../services/backup-service.js';
import type { StatsService } from '../../services/stats-service.js';
import type { TopicsView } from '../../services/draft-pipeline.js';
import type { TopicLearningReset } from '../../services/topic-learning.js';
import type { ApprovalChartInput, StatsChartInput } from '../chart/stats-chart.js';

/**
 * One account as the slash commands see it: its configuration and its services, each over
 * repositories scoped to it. Built once in app.ts.
 */
export interface AccountCommandContext {
  readonly id: AccountId;
  readonly config: AccountConfig;
  /** The X handle it posts as (without @), once GET /2/users/me told it; null before and in dry run. */
  handle(): string | null;
  readonly drafts: DraftRepository;
  readonly posts: PostRepository;
  readonly topics: TopicRepository;
  readonly audit: ModerationEventRepository;
  readonly pause: PauseService;
  /** Its post job and pause, for /status. */
  schedulerStatus(): Promise<SchedulerStatus>;
  /** Topics with each one's chance of being drawn next, learned share and approval rate since the last reset (issue 15). */
  topicsWithContext(): Promise<TopicsView>;
  /** /topics reset-learning: topic selection learns only from decisions from now on (audited). */
  resetTopicLearning(actor: Actor, interactionId: string | null): Promise<TopicLearningReset>;
  /**
   * Generates one draft and posts its moderation card (ModerationService.generateAndPostDraft);
   * `/draft` may choose the content type and attach images (issue 14).
   */
  generateDraft(topicName: string | undefined, options?: DraftCommandOptions): Promise<SubmitDraftOutcome>;
  /** Checks, stores and describes `/draft image:` files (MediaService); absent where images are not wired (dry tests). */
  readonly media?: Pick<DraftMediaOperations, 'prepareImages'> | undefined;
  readonly stats: StatsService;
  rateLimitStatus(): Promise<RateLimitStatus>;
  /** The account's publishing calendar (issue 13): /queue lists and steers it. */
  readonly scheduling: SchedulingOperations;
  /** What the account learned from its moderators, as /voice shows and changes it (issue 15). */
  readonly voice: VoiceOperations;
}

/** What `/draft` adds to a generation (issue 14). */
export interface DraftCommandOptions {
  /** The moderator's content type; absent: the topic's. */
  readonly contentType?: ContentType | undefined;
  /** The attached images, already checked, stored and described. */
  readonly images?: readonly PreparedImage[] | undefined;
}

/** The accounts commands can act on. */
export interface AccountDirectory {
  /** The configured accounts, in configuration order. */
  readonly active: readonly AccountCommandContext[];
  /** Accounts still stored but no longer configured: their commands answer that they are inactive. */
  inactiveIds(): readonly AccountId[];
}

/**
 * Everything a slash command may use, built once in app.ts and handed to every command. A
 * command calls a service and renders the result; it never reaches for globals. What belongs to
 * an account is in `accounts`; the router hands each command the accounts its use applies to.
 */
export interface CommandContext {
  readonly config: AppConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** package.json version, read once at start-up. */
  readonly version: string;
  /** When this process started (clock ms), for uptime. */
  readonly startedAt: number;
  readonly accounts: AccountDirectory;
  readonly renderStatsChart: (input: StatsChartInput) => Promise<Buffer>;
  /** The weekly approval chart of /stats view:learning (issue 15 §5). */
  readonly renderApprovalChart: (input: ApprovalChartInput) => Promise<Buffer>;
  /** Takes an online database backup now (BackupService.takeBackup); none on PostgreSQL, which says to use pg_dump. */
  readonly takeBackup: () => Promise<BackupOutcome>;
  /** This instance's role, epoch and last lease renewal, for /status; absent in tests that build a context by hand. */
  readonly instance?: () => InstanceLeaseStatus;
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

/**
 * Which accounts a use of the command applies to when its `account` option does not say:
 * `'all'` covers every account (one section or action each), `'one'` refuses and lists the ids;
 * either way the moderation channel of exactly one account means that account. A function
 * decides per subcommand. Omit for a command that is not about an account (/backup).
 */
export type CommandAccountRule = UnnarrowedScope | ((subcommand: string | null) => UnnarrowedScope);

/** A button or string select on a command's reply. */
export type CommandComponentInteraction = ButtonInteraction | StringSelectMenuInteraction;

/**
 * The buttons and select menus a command's replies carry (/queue's), under a custom_id prefix of
 * their own. The command router sends them here after the guild guard and after the command's
 * own guard, applied to the component's action as if it were a subcommand (a `moderator` guard,
 * or an action not in `moderatorExcept`, needs a moderator of the account the custom_id names),
 * unless the action is one of `openActions`. The router acknowledges first (deferUpdate): `run`
 * edits the message with `editReply` and answers privately with `followUp`.
 */
export interface CommandComponents {
  /** The custom_id's first segment, e.g. `dgq1` for `dgq1:now:default:0:12:-`. */
  readonly prefix: string;
  /** Actions anyone in the guild may use (they change nothing, e.g. paging); every other one is guarded. */
  readonly openActions?: readonly string[];
  /** The action and account a custom_id is about (and the draft, for the audit), or null when it is malformed. */
  parse(customId: string): { readonly action: string; readonly accountId: string; readonly draftId?: number | undefined } | null;
  run(interaction: CommandComponentInteraction, ctx: CommandContext, actor: Actor, account: AccountCommandContext): Promise<void>;
}

/** One slash command module: `commands/<name>.ts`. */
export interface SlashCommand {
  readonly data: CommandData;
  /** Omit for a read-only command; every command that changes state declares it. */
  readonly guard?: CommandGuard;
  readonly accounts?: CommandAccountRule;
  /**
   * Runs the command. `actor` is who ran it; when the guard applies, the router has already
   * checked they moderate every account in `accounts` (and refused and audited everyone else).
   * `accounts`: what this use applies to, resolved by the router from the option and the
   * channel (never empty); empty for a command that declares no `accounts` rule.
   */
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, accounts: readonly AccountCommandContext[]): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void>;
  /** Components its replies carry, routed back to it (see CommandComponents). */
  readonly components?: CommandComponents;
}
