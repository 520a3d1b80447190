import { StatsDailyEntity } from './stats-daily.entity.js';
import { StatsMonthlyEntity } from './stats-monthly.entity.js';
import { AccountEntity } from './account.entity.js';
import { ContentFingerprintEntity } from './content-fingerprint.entity.js';
import { DraftEntity } from './draft.entity.js';
import { GenerationRunEntity } from './generation-run.entity.js';
import { InstanceLeaseEntity } from './instance-lease.entity.js';
import { MediaEntity } from './media.entity.js';
import { ModerationEventEntity } from './moderation-event.entity.js';
import { PostEntity } from './post.entity.js';
import { PublicationEntity } from './publication.entity.js';
import { SettingEntity } from './setting.entity.js';
import { TopicEntity } from './topic.entity.js';
import { DraftSignalEntity, FeedbackSignalEntity } from './learning-signal.entity.js';

export {
  AccountEntity,
  PublicationEntity,
  ContentFingerprintEntity,
  DraftEntity,
  GenerationRunEntity,
  InstanceLeaseEntity,
  MediaEntity,
  ModerationEventEntity,
  PostEntity,
  SettingEntity,
  TopicEntity,
  DraftSignalEntity,
  FeedbackSignalEntity,
};

/** Listed explicitly (no globs), so the compiled app and the tests load the same classes. */
export const ENTITIES = [
  TopicEntity,
  DraftEntity,
  PostEntity,
  ModerationEventEntity,
  SettingEntity,
  ContentFingerprintEntity,
  GenerationRunEntity,
  AccountEntity,
  PublicationEntity,
  InstanceLeaseEntity,
  StatsDailyEntity,
  StatsMonthlyEntity,
  MediaEntity,
  DraftSignalEntity,
  FeedbackSignalEntity,
];
