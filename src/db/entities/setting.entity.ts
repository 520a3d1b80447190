import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Key/value state that must survive a restart (pause, X limits, scheduler outcome). A row belongs
 * to an account, or to the whole bot when `account_id` is NULL (the states of bot-wide jobs).
 * A key is unique within its account and among the bot-wide rows: two partial unique indexes,
 * because a plain UNIQUE(account_id, key) lets any number of NULL-account rows share a key.
 */
@Entity({ name: 'settings' })
@Index('uq_settings_bot_key', ['key'], { unique: true, where: 'account_id IS NULL' })
@Index('uq_settings_account_key', ['accountId', 'key'], { unique: true, where: 'account_id IS NOT NULL' })
export class SettingEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** NULL: a bot-wide row. */
  @Column({ name: 'account_id', type: 'text', nullable: true })
  accountId!: string | null;

  @Column({ type: 'text' })
  key!: string;

  /** JSON text. */
  @Column({ type: 'text' })
  value!: string;

  @Column({ name: 'updated_at', type: 'integer' })
  updatedAt!: number;
}
