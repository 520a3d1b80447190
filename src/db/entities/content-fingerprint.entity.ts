import { Column, Entity, JoinColumn, ManyToOne, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DraftEntity } from './draft.entity.js';

/**
 * LSH band keys of a draft's MinHash signature. A near-duplicate check looks up only the drafts
 * that share a band key, so it stays fast however long the history grows.
 */
@Entity({ name: 'content_fingerprints' })
@Index('idx_content_fingerprints_band_key', ['bandKey'])
@Index('idx_content_fingerprints_draft', ['draftId'])
export class ContentFingerprintEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** The account this row belongs to. */
  @Column({ name: 'account_id', type: 'text', default: 'default' })
  accountId!: string;

  @Column({ name: 'draft_id', type: 'integer' })
  draftId!: number;

  @Column({ name: 'band_key', type: 'text' })
  bandKey!: string;

  @ManyToOne(() => DraftEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'draft_id' })
  draft?: DraftEntity;
}
