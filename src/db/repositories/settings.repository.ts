import type { DataSource, Repository } from 'typeorm';
import type { SettingsRepository } from '../../services/ports.js';
import { SettingEntity } from '../entities/setting.entity.js';

export class TypeOrmSettingsRepository implements SettingsRepository {
  private readonly settings: Repository<SettingEntity>;

  constructor(dataSource: DataSource) {
    this.settings = dataSource.getRepository(SettingEntity);
  }

  async get<T>(key: string): Promise<T | null> {
    const row = await this.settings.findOneBy({ key });
    return row ? (JSON.parse(row.value) as T) : null;
  }

  async set<T>(key: string, value: T, now: number): Promise<void> {
    await this.settings.manager.query(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, JSON.stringify(value), now],
    );
  }
}
