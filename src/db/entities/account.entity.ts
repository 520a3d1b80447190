import { Column, Entity, PrimaryColumn } from 'typeorm';
import { booleanInteger } from './column-types.js';

/**
 * An X account the bot writes for, synced from the configuration at start. A row is never
 * deleted: an account removed from the configuration becomes inactive and keeps its history.
 */
@Entity({ name: 'accounts' })
export class AccountEntity {
  /** The id of accounts.yaml (`[a-z0-9-]{1,32}`); `default` for the single-account setup. */
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** The X user the account's credentials act as, learnt from GET /2/users/me at start. */
  @Column({ name: 'x_user_id', type: 'text', nullable: true })
  xUserId!: string | null;

  @Column({ type: 'text', nullable: true })
  handle!: string | null;

  @Column({ type: 'integer', default: 1, transformer: booleanInteger })
  active!: boolean;

  @Column({ name: 'created_at', type: 'integer' })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'integer' })
  updatedAt!: number;
}
