import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { jsonText } from './column-types.js';
import { DraftEntity } from './draft.entity.js';

/**
 * One image of a draft (issue 14), in post order. The file itself lives at `<media dir>/<sha256>`
 * (content-addressed: two drafts with the same image share one file). The rows follow their
 * draft: a new revision replaces the whole set, and deleting a draft deletes its rows.
 * Times are epoch milliseconds.
 */
@Entity({ name: 'media' })
@Unique('uq_media_draft_position', ['draftId', 'position'])
// The sweep's look-up: is this file still used by some draft?
@Index('idx_media_sha256', ['sha256'])
export class MediaEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'draft_id', type: 'integer' })
  draftId!: number;

  /** 0-based; the order the images appear on the post. */
  @Column({ type: 'integer' })
  position!: number;

  @Column({ name: 'mime_type', type: 'text' })
  mimeType!: string;

  @Column({ type: 'integer' })
  bytes!: number;

  @Column({ type: 'integer' })
  width!: number;

  @Column({ type: 'integer' })
  height!: number;

  @Column({ type: 'text' })
  sha256!: string;

  @Column({ name: 'alt_text', type: 'text', nullable: true })
  altText!: string | null;

  /** 'moderator' | 'claude'; null while there is no alt text. */
  @Column({ name: 'alt_source', type: 'text', nullable: true })
  altSource!: string | null;

  /** What Claude found in the image that the hard rules forbid, as a JSON array of strings. */
  @Column({ type: 'text', default: '[]', transformer: jsonText<string[]>([]) })
  findings!: string[];

  @Column({ name: 'created_at', type: 'integer' })
  createdAt!: number;

  @ManyToOne(() => DraftEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'draft_id' })
  draft?: DraftEntity;
}
