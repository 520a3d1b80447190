import type { DataSource } from 'typeorm';
import type {
  DraftRepository,
  GenerationRunRepository,
  ModerationEventRepository,
  PostRepository,
  SettingsRepository,
  TopicRepository,
} from '../services/ports.js';
import type { DuplicateLookup } from '../domain/duplicates.js';
import { createSilentLogger, type Logger } from '../logging/index.js';
import { TypeOrmDuplicateLookup } from './repositories/duplicate-lookup.js';
import { TypeOrmDraftRepository } from './repositories/draft.repository.js';
import { TypeOrmGenerationRunRepository } from './repositories/generation-run.repository.js';
import { TypeOrmModerationEventRepository } from './repositories/moderation-event.repository.js';
import { TypeOrmPostRepository } from './repositories/post.repository.js';
import { TypeOrmSettingsRepository } from './repositories/settings.repository.js';
import { TypeOrmTopicRepository } from './repositories/topic.repository.js';

export { createDataSource, openDatabase, BUSY_TIMEOUT_MS } from './data-source.js';
export { DatabaseBusyError, isBusyError } from './write-gate.js';

/** Every repository the services use, built over one DataSource. */
export interface Repositories {
  readonly drafts: DraftRepository;
  readonly posts: PostRepository;
  readonly topics: TopicRepository;
  readonly settings: SettingsRepository;
  readonly moderationEvents: ModerationEventRepository;
  readonly generationRuns: GenerationRunRepository;
  readonly duplicates: DuplicateLookup;
}

/** `logger` hears about stored settings that no longer fit their schema (read as absent). */
export function createRepositories(dataSource: DataSource, logger: Logger = createSilentLogger()): Repositories {
  return {
    drafts: new TypeOrmDraftRepository(dataSource),
    posts: new TypeOrmPostRepository(dataSource),
    topics: new TypeOrmTopicRepository(dataSource),
    settings: new TypeOrmSettingsRepository(dataSource, logger),
    moderationEvents: new TypeOrmModerationEventRepository(dataSource),
    generationRuns: new TypeOrmGenerationRunRepository(dataSource),
    duplicates: new TypeOrmDuplicateLookup(dataSource),
  };
}
