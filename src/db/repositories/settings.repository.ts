import { IsNull, type DataSource, type Repository } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import type { Logger } from '../../logging/index.js';
import type { SettingsRepository } from '../../services/ports.js';
import type { SettingKey } from '../../services/settings-keys.js';
import { SettingEntity } from '../entities/setting.entity.js';
import { execute } from '../sql.js';

/**
 * The settings rows of one account, or the bot-wide rows when `accountId` is null (the states of
 * bot-wide jobs). Each upsert names the partial unique index of its kind of row.
 */
export class TypeOrmSettingsRepository implements SettingsRepository {
  private readonly settings: Repository<SettingEntity>;

  constructor(
    dataSource: DataSource,
    private readonly logger: Logger,
    private readonly accountId: AccountId | null,
  ) {
    this.settings = dataSource.getRepository(SettingEntity);
  }

  private where(key: string) {
    return { key, accountId: this.accountId === null ? IsNull() : this.accountId };
  }

  async get<T>(key: SettingKey<T>): Promise<T | null> {
    const row = await this.settings.findOneBy(this.where(key.key));
    if (!row) return null;
    let stored: unknown;
    try {
      stored = JSON.parse(row.value);
    } catch (error) {
      this.logger.warn('a stored setting is not JSON; reading it as absent', { key: key.key, owner: key.owner, error: (error as Error).message });
      return null;
    }
    if (stored === null) return null;
    const parsed = key.schema.safeParse(stored);
    if (!parsed.success) {
      // Crashing here would stop the bot over one stale row; absent is what every owner already handles.
      this.logger.warn('a stored setting does not match its schema; reading it as absent', { key: key.key, owner: key.owner, issues: parsed.error.issues });
      return null;
    }
    return parsed.data;
  }

  async set<T>(key: SettingKey<T>, value: T | null, now: number): Promise<void> {
    if (value === null) {
      await this.settings.delete(this.where(key.key));
      return;
    }
    const target = this.accountId === null ? '(key) WHERE account_id IS NULL' : '(account_id, key) WHERE account_id IS NOT NULL';
    await execute(
      this.settings.manager,
      `INSERT INTO settings (account_id, key, value, updated_at) VALUES (:accountId, :key, :value, :now)
       ON CONFLICT ${target} DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      { accountId: this.accountId, key: key.key, value: JSON.stringify(value), now },
    );
  }
}
