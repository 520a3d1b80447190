import { Column, Entity, JoinColumn, ManyToOne, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DraftEntity } from './draft.entity.js';

/** One generation cycle (scheduled, command or regenerate): its outcome, reason and tokens. */
@Entity({ name: 'generation_runs' })
@Index('idx_generation_runs_started_at', ['startedAt'])
// Covering index for /stats token totals (migration StatsIndexes).
@Index('idx_generation_runs_stats', ['accountId', 'startedAt', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheCreationTokens'])
export class GenerationRunEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** The account this row belongs to. */
  @Column({ name: 'account_id', type: 'text', default: 'default' })
  accountId!: string;

  /** schedule, command, regenerate, cli, keep_ahead, image_description, avoid_notes */
  @Column({ type: 'text' })
  trigger!: string;

  /** created, skipped, failed */
  @Column({ type: 'text' })
  outcome!: string;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'draft_id', type: 'integer', nullable: true })
  draftId!: number | null;

  @Column({ name: 'topic_name', type: 'text', nullable: true })
  topicName!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'input_tokens', type: 'integer', default: 0 })
  inputTokens!: number;

  @Column({ name: 'output_tokens', type: 'integer', default: 0 })
  outputTokens!: number;

  @Column({ name: 'cache_read_tokens', type: 'integer', default: 0 })
  cacheReadTokens!: number;

  @Column({ name: 'cache_creation_tokens', type: 'integer', default: 0 })
  cacheCreationTokens!: number;

  @Column({ name: 'started_at', type: 'integer' })
  startedAt!: number;

  @Column({ name: 'finished_at', type: 'integer', nullable: true })
  finishedAt!: number | null;

  @ManyToOne(() => DraftEntity, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'draft_id' })
  draft?: DraftEntity | null;
}
