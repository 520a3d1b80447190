import type { DataSource, EntityManager } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import { DEFAULT_TOPICS } from '../../domain/default-topics.js';
import type { AccountRepository, StoredAccount } from '../../services/ports.js';
import { AccountEntity } from '../entities/account.entity.js';
import { execute, queryRows } from '../sql.js';

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
      const values = { id: account.id, xUserId: account.xUserId, handle: account.handle, now };
      const inserted = await queryRows<{ id: string }>(
        manager,
        `INSERT INTO accounts (id, x_user_id, handle, active, created_at, updated_at) VALUES (:id, :xUserId, :handle, 1, :now, :now)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        values,
      );
      if (inserted.length === 1) {
        await this.seedTopics(manager, account.id, now);
        return { created: true };
      }
      await execute(manager, `UPDATE accounts SET x_user_id = :xUserId, handle = :handle, active = 1, updated_at = :now WHERE id = :id`, values);
      return { created: false };
    });
  }

  async deactivateAllExcept(configuredIds: readonly AccountId[], now: number): Promise<AccountId[]> {
    return this.dataSource.transaction(async (manager) => {
      const configured = { ids: [...configuredIds], now };
      const notConfigured = configuredIds.length > 0 ? ' AND id NOT IN (:...ids)' : '';
      // An account that never wrote anything has no history to keep: it goes, with the topics and
      // settings it was given. This is the `default` row every database starts with, on a bot that
      // was set up with ACCOUNTS_FILE from the start and never had a `default` account.
      const unused = await queryRows<{ id: string }>(
        manager,
        `SELECT id FROM accounts a WHERE 1 = 1${notConfigured}
           AND NOT EXISTS (SELECT 1 FROM drafts WHERE account_id = a.id) AND NOT EXISTS (SELECT 1 FROM posts WHERE account_id = a.id)
           AND NOT EXISTS (SELECT 1 FROM generation_runs WHERE account_id = a.id) AND NOT EXISTS (SELECT 1 FROM moderation_events WHERE account_id = a.id)`,
        configured,
      );
      for (const { id } of unused) {
        await execute(manager, `DELETE FROM topics WHERE account_id = :id`, { id });
        await execute(manager, `DELETE FROM settings WHERE account_id = :id`, { id });
        await execute(manager, `DELETE FROM accounts WHERE id = :id`, { id });
      }
      // The rows RETURNING names, read the same on both engines (PostgreSQL's raw UPDATE result is [rows, count]).
      const { rows } = await execute<{ id: string }>(
        manager,
        `UPDATE accounts SET active = 0, updated_at = :now WHERE active = 1${notConfigured} RETURNING id`,
        configured,
      );
      return rows.map((r) => r.id).sort();
    });
  }

  async accountOfDraft(draftId: number): Promise<AccountId | null> {
    const [row] = await queryRows<{ accountId: string }>(this.dataSource, `SELECT account_id AS "accountId" FROM drafts WHERE id = :draftId`, { draftId });
    return row?.accountId ?? null;
  }

  /** The default topics for a new account; a name it already has (none, for a new id) is kept. */
  private async seedTopics(manager: EntityManager, accountId: AccountId, now: number): Promise<void> {
    for (const topic of DEFAULT_TOPICS) {
      await execute(
        manager,
        `INSERT INTO topics (account_id, topic_name, content_type, description, weight, enabled, created_at, updated_at)
         VALUES (:accountId, :name, :contentType, :description, :weight, 1, :now, :now) ON CONFLICT (account_id, topic_name) DO NOTHING`,
        { accountId, name: topic.name, contentType: topic.contentType, description: topic.description, weight: topic.weight, now },
      );
    }
  }
}
