import type { DataSource } from 'typeorm';
import { DEFAULT_ACCOUNT_ID, type AccountId } from '../domain/account.js';
import type {
  AccountRepository,
  DraftRepository,
  GenerationRunRepository,
  InstanceFence,
  InstanceLeaseStore,
  MediaRepository,
  LearningSignalRepository,
  ModerationEventRepository,
  PostRepository,
  PublicationCalendarRepository,
  PublicationRepository,
  SettingsRepository,
  StatsRepository,
  TopicRepository,
} from '../services/ports.js';
import type { DuplicateLookup } from '../domain/duplicates.js';
import { createSilentLogger, type Logger } from '../logging/index.js';
import { TypeOrmAccountRepository } from './repositories/account.repository.js';
import { TypeOrmPublicationRepository } from './repositories/publication.repository.js';
import { TypeOrmStatsRepository } from './repositories/stats.repository.js';
import { TypeOrmDuplicateLookup } from './repositories/duplicate-lookup.js';
import { TypeOrmDraftRepository } from './repositories/draft.repository.js';
import { TypeOrmGenerationRunRepository } from './repositories/generation-run.repository.js';
import { TypeOrmModerationEventRepository } from './repositories/moderation-event.repository.js';
import { TypeOrmPostRepository } from './repositories/post.repository.js';
import { TypeOrmSettingsRepository } from './repositories/settings.repository.js';
import { TypeOrmTopicRepository } from './repositories/topic.repository.js';
import { TypeOrmInstanceLeaseStore } from './repositories/instance-lease.repository.js';
import { TypeOrmMediaRepository } from './repositories/media.repository.js';
import { TypeOrmLearningSignalRepository } from './repositories/learning-signal.repository.js';

export {
  createDataSource,
  openDatabase,
  BUSY_TIMEOUT_MS,
  SQLITE_PAGE_CACHE_KIB,
  databaseTargetOf,
  describeDatabaseTarget,
  type DatabaseTarget,
  type DataSourceOptions,
} from './data-source.js';
export { DatabaseBusyError, isBusyError } from './write-gate.js';
export { monthlyOf, rebuildAllRollups, readMonthlyRollups, readRollups, recomputeRollups, type RollupRow, type ZoneOf } from './stats-rollups.js';
export { DatabaseConflictError } from './postgres-transactions.js';
export { MissingInstanceLeaseError } from './repositories/instance-lease.repository.js';

/**
 * Every repository the services use, built over one DataSource and scoped to one account: every
 * read filters by its id, every insert sets it. `accounts` and `botSettings` are not scoped.
 */
export interface Repositories {
  /** The account these repositories are scoped to. */
  readonly accountId: AccountId;
  readonly drafts: DraftRepository;
  readonly publications: PublicationRepository;
  /** The publishing calendar's reads and moves over the same publications (issue 13). */
  readonly publicationCalendar: PublicationCalendarRepository;
  readonly posts: PostRepository;
  readonly topics: TopicRepository;
  readonly settings: SettingsRepository;
  readonly moderationEvents: ModerationEventRepository;
  readonly generationRuns: GenerationRunRepository;
  readonly duplicates: DuplicateLookup;
  /** The /stats aggregates of this account. */
  readonly stats: StatsRepository;
  /** The images of this account's drafts (issue 14): which stored files they still use. */
  readonly media: MediaRepository;
  /** What this account's moderators and audience said, for learning (issue 15). */
  readonly learning: LearningSignalRepository;
  /** The accounts table: not scoped. */
  readonly accounts: AccountRepository;
  /** Bot-wide settings (account_id NULL): the states of bot-wide scheduled jobs. */
  readonly botSettings: SettingsRepository;
}

/**
 * The repositories of account `accountId` (the single-account setup: `default`). `logger` hears
 * about stored settings that no longer fit their schema (read as absent). With `fence` (the
 * instance lease), every write that could publish or decide requires the lease to still name
 * this instance's term: publication transitions, draft decisions, a card's message id. Without
 * it (the CLI, tests of one process) nothing is fenced.
 */
export function createRepositories(
  dataSource: DataSource,
  logger: Logger = createSilentLogger(),
  accountId: AccountId = DEFAULT_ACCOUNT_ID,
  fence?: InstanceFence,
  /** The account's TIMEZONE: the /stats rollups are kept by its local days. */
  timeZone = 'UTC',
): Repositories {
  const publications = new TypeOrmPublicationRepository(dataSource, accountId, fence, timeZone);
  return {
    accountId,
    drafts: new TypeOrmDraftRepository(dataSource, accountId, fence, timeZone),
    publications,
    publicationCalendar: publications,
    posts: new TypeOrmPostRepository(dataSource, accountId, timeZone),
    topics: new TypeOrmTopicRepository(dataSource, accountId),
    settings: new TypeOrmSettingsRepository(dataSource, logger, accountId),
    moderationEvents: new TypeOrmModerationEventRepository(dataSource, accountId),
    generationRuns: new TypeOrmGenerationRunRepository(dataSource, accountId, timeZone),
    duplicates: new TypeOrmDuplicateLookup(dataSource, accountId),
    stats: new TypeOrmStatsRepository(dataSource, accountId),
    media: new TypeOrmMediaRepository(dataSource, accountId),
    learning: new TypeOrmLearningSignalRepository(dataSource, accountId),
    accounts: new TypeOrmAccountRepository(dataSource),
    botSettings: new TypeOrmSettingsRepository(dataSource, logger, null),
  };
}

/** The /stats aggregates of every account together (the total of a multi-account /stats). */
export function createAllAccountsStats(dataSource: DataSource): StatsRepository {
  return new TypeOrmStatsRepository(dataSource, null);
}

/** The images of every account's drafts: the media directory is shared, so its sweep asks about all of them. */
export function createAllAccountsMedia(dataSource: DataSource): MediaRepository {
  return new TypeOrmMediaRepository(dataSource, null);
}

/** The instance lease (issue 12 §1): not scoped, one row per database. */
export function createInstanceLeaseStore(dataSource: DataSource): InstanceLeaseStore {
  return new TypeOrmInstanceLeaseStore(dataSource);
}
