import type { DataSource, EntityManager } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import { DEFAULT_TOPICS } from '../../domain/default-topics.js';
import type { AccountRepository, StoredAccount } from '../../services/ports.js';
import { AccountEntity } from '../entities/account.entity.js';

const toAccount = (row: AccountEntity): StoredAccount => ({
  id: row.id,
  xUserId: row.xUserId,
  handle: row.handle,
  active: row.active,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** The accounts table (not scoped). A new account starts with the default topics. */
export class TypeOrmAccountRepository implements AccountRepository {
  constructor(private readonly dataSource: DataSource) {}

  async list(): Promise<StoredAccount[]> {
    return (await this.dataSource.getRepository(AccountEntity).find({ order: { id: 'ASC' } })).map(toAccount);
  }

  async findById(id: AccountId): Promise<StoredAccount | null> {
    const row = await this.dataSource.getRepository(AccountEntity).findOneBy({ id });
    return row ? toAccount(row) : null;
  }

  async upsert(
    account: { readonly id: AccountId; readonly xUserId: string | null; readonly handle: string | null },
    now: number,
  ): Promise<{ created: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      const inserted = (await manager.query(
        `INSERT INTO accounts (id, x_user_id, handle, active, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [account.id, account.xUserId, account.handle, now, now],
      )) as Array<{ id: string }>;
      if (inserted.length === 1) {
        await this.seedTopics(manager, account.id, now);
        return { created: true };
      }
      await manager.query(`UPDATE accounts SET x_user_id = ?, handle = ?, active = 1, updated_at = ? WHERE id = ?`, [
        account.xUserId,
        account.handle,
        now,
        account.id,
      ]);
      return { created: false };
    });
  }

  async deactivateAllExcept(configuredIds: readonly AccountId[], now: number): Promise<AccountId[]> {
    return this.dataSource.transaction(async (manager) => {
      const placeholders = configuredIds.map(() => '?').join(', ');
      const notConfigured = configuredIds.length > 0 ? ` AND id NOT IN (${placeholders})` : '';
      // An account that never wrote anything has no history to keep: it goes, with the topics and
      // settings it was given. This is the `default` row every database starts with, on a bot that
      // was set up with ACCOUNTS_FILE from the start and never had a `default` account.
      const unused = (await manager.query(
        `SELECT id FROM accounts a WHERE 1 = 1${notConfigured}
           AND NOT EXISTS (SELECT 1 FROM drafts WHERE account_id = a.id) AND NOT EXISTS (SELECT 1 FROM posts WHERE account_id = a.id)
           AND NOT EXISTS (SELECT 1 FROM generation_runs WHERE account_id = a.id) AND NOT EXISTS (SELECT 1 FROM moderation_events WHERE account_id = a.id)`,
        [...configuredIds],
      )) as Array<{ id: string }>;
      for (const { id } of unused) {
        await manager.query(`DELETE FROM topics WHERE account_id = ?`, [id]);
        await manager.query(`DELETE FROM settings WHERE account_id = ?`, [id]);
        await manager.query(`DELETE FROM accounts WHERE id = ?`, [id]);
      }
      const rows = (await manager.query(`UPDATE accounts SET active = 0, updated_at = ? WHERE active = 1${notConfigured} RETURNING id`, [
        now,
        ...configuredIds,
      ])) as Array<{ id: string }>;
      return rows.map((r) => r.id).sort();
    });
  }

  async accountOfDraft(draftId: number): Promise<AccountId | null> {
    const [row] = (await this.dataSource.query(`SELECT account_id AS accountId FROM drafts WHERE id = ?`, [draftId])) as Array<{ accountId: string }>;
    return row?.accountId ?? null;
  }

  /** The default topics for a new account; a name it already has (none, for a new id) is kept. */
  private async seedTopics(manager: EntityManager, accountId: AccountId, now: number): Promise<void> {
    for (const topic of DEFAULT_TOPICS) {
      await manager.query(
        `INSERT INTO topics (account_id, topic_name, content_type, description, weight, enabled, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (account_id, topic_name) DO NOTHING`,
        [accountId, topic.name, topic.contentType, topic.description, topic.weight, now, now],
      );
    }
  }
}
