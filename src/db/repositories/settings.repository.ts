import type { DataSource, Repository } from 'typeorm';
import type { Logger } from '../../logging/index.js';
import type { SettingsRepository } from '../../services/ports.js';
import type { SettingKey } from '../../services/settings-keys.js';
import { SettingEntity } from '../entities/setting.entity.js';

export class TypeOrmSettingsRepository implements SettingsRepository {
  private readonly settings: Repository<SettingEntity>;

  constructor(
    dataSource: DataSource,
    private readonly logger: Logger,
  ) {
    this.settings = dataSource.getRepository(SettingEntity);
  }

  async get<T>(key: SettingKey<T>): Promise<T | null> {
    const row = await this.settings.findOneBy({ key: key.key });
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
      await this.settings.delete({ key: key.key });
      return;
    }
    await this.settings.manager.query(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key.key, JSON.stringify(value), now],
    );
  }
}
