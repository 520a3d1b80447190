import { InitialSchema1764115200000 } from './1764115200000-InitialSchema.js';
import { SeedDefaultTopics1764115200001 } from './1764115200001-SeedDefaultTopics.js';
import { StatsIndexes1764115200002 } from './1764115200002-StatsIndexes.js';
import { CardDelivery1796083200200 } from './1796083200200-CardDelivery.js';
import { CardTimeoutAction1796083200600 } from './1796083200600-CardTimeoutAction.js';
import { TopicEngagementEvidence1796083200800 } from './1796083200800-TopicEngagementEvidence.js';
import { CardReconcileIndex1796083200900 } from './1796083200900-CardReconcileIndex.js';
import { Accounts1796083201000 } from './1796083201000-Accounts.js';
import { InstanceLease1796083202000 } from './1796083202000-InstanceLease.js';
import { PublishingCalendar1796083203000 } from './1796083203000-PublishingCalendar.js';
import { StatsRollups1796083204000 } from './1796083204000-StatsRollups.js';
import { DraftMedia1796083205000 } from './1796083205000-DraftMedia.js';
import { LearningSignals1796083206000 } from './1796083206000-LearningSignals.js';
import { StatsLearningIndex1796083207000 } from './1796083207000-StatsLearningIndex.js';
import { StatsMonthlyRollups1796083208000 } from './1796083208000-StatsMonthlyRollups.js';
import { StatsRecentDraftsIndex1796083209000 } from './1796083209000-StatsRecentDraftsIndex.js';

/** Every migration in order. Listed explicitly so the app, the CLI and the tests run the same set. */
export const MIGRATIONS = [
  InitialSchema1764115200000,
  SeedDefaultTopics1764115200001,
  StatsIndexes1764115200002,
  CardDelivery1796083200200,
  CardTimeoutAction1796083200600,
  TopicEngagementEvidence1796083200800,
  CardReconcileIndex1796083200900,
  Accounts1796083201000,
  InstanceLease1796083202000,
  PublishingCalendar1796083203000,
  StatsRollups1796083204000,
  DraftMedia1796083205000,
  LearningSignals1796083206000,
  StatsLearningIndex1796083207000,
  StatsMonthlyRollups1796083208000,
  StatsRecentDraftsIndex1796083209000,
];
