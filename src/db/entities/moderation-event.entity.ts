import { Column, Entity, JoinColumn, ManyToOne, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DraftEntity } from './draft.entity.js';

/** The audit log: every decision and every refusal, who, what, when, which revision, outcome. */
@Entity({ name: 'moderation_events' })
@Index('idx_moderation_events_draft', ['draftId'])
@Index('idx_moderation_events_created_at', ['createdAt'])
export class ModerationEventEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** The account this row belongs to. */
  @Column({ name: 'account_id', type: 'text', default: 'default' })
  accountId!: string;

  @Column({ name: 'draft_id', type: 'integer', nullable: true })
  draftId!: number | null;

  @Column({ type: 'integer', nullable: true })
  revision!: number | null;

  @Column({ name: 'actor_id', type: 'text' })
  actorId!: string;

  @Column({ name: 'actor_name', type: 'text' })
  actorName!: string;

  /** approve, reject, regenerate, edit, retry, timeout, pause, resume, ... */
  @Column({ type: 'text' })
  action!: string;

  /** applied, refused, stale, already_decided, invalid, ... */
  @Column({ type: 'text' })
  outcome!: string;

  @Column({ type: 'text', nullable: true })
  detail!: string | null;

  @Column({ name: 'interaction_id', type: 'text', nullable: true })
  interactionId!: string | null;

  @Column({ name: 'created_at', type: 'integer' })
  createdAt!: number;

  @ManyToOne(() => DraftEntity, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'draft_id' })
  draft?: DraftEntity | null;
}
