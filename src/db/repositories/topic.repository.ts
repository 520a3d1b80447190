import type { DataSource, Repository } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import { isContentType } from '../../domain/content-types.js';
import type { Topic, TopicRepository } from '../../services/ports.js';
import { TopicEntity } from '../entities/topic.entity.js';
import { execute } from '../sql.js';

function toTopic(row: TopicEntity): Topic {
  if (!isContentType(row.contentType)) throw new Error(`topic ${row.topicName} has unknown content type ${row.contentType}`);
  return {
    id: row.id,
    name: row.topicName,
    contentType: row.contentType,
    description: row.description,
    weight: row.weight,
    enabled: row.enabled,
    lastUsedAt: row.lastUsed,
    usageCount: row.usageCount,
    publishedCount: row.engagementPosts,
    approvals: row.approvals,
    rejections: row.rejections,
    successRate: row.successRate,
    avgEngagement: row.avgEngagement,
  };
}

export class TypeOrmTopicRepository implements TopicRepository {
  private readonly topics: Repository<TopicEntity>;

  constructor(
    dataSource: DataSource,
    private readonly accountId: AccountId,
  ) {
    this.topics = dataSource.getRepository(TopicEntity);
  }

  /** The scoped row key: a topic of another account is never touched. */
  private key(id: number) {
    return { id, accountId: this.accountId } as const;
  }

  async list(): Promise<Topic[]> {
    return (await this.topics.find({ where: { accountId: this.accountId }, order: { topicName: 'ASC' } })).map(toTopic);
  }

  async findByName(name: string): Promise<Topic | null> {
    const row = await this.topics
      .createQueryBuilder('t')
      .where('LOWER(t.topic_name) = LOWER(:name) AND t.account_id = :accountId', { name: name.trim(), accountId: this.accountId })
      .getOne();
    return row ? toTopic(row) : null;
  }

  async findById(id: number): Promise<Topic | null> {
    const row = await this.topics.findOneBy(this.key(id));
    return row ? toTopic(row) : null;
  }

  async setWeight(id: number, weight: number, now: number): Promise<void> {
    await this.topics.update(this.key(id), { weight, updatedAt: now });
  }

  async setEnabled(id: number, enabled: boolean, now: number): Promise<void> {
    await this.topics.update(this.key(id), { enabled, updatedAt: now });
  }

  async markUsed(id: number, now: number): Promise<void> {
    await this.topics.update(this.key(id), { lastUsed: now, usageCount: () => 'usage_count + 1', updatedAt: now });
  }

  async recordOutcome(id: number, outcome: 'approved' | 'rejected', now: number): Promise<void> {
    const column = outcome === 'approved' ? 'approvals' : 'rejections';
    // One statement, so concurrent outcomes cannot lose an increment. DOUBLE PRECISION: the
    // column's type on PostgreSQL (REAL is single precision there); SQLite reads it as REAL.
    await execute(
      this.topics.manager,
      `UPDATE topics
          SET ${column} = ${column} + 1,
              success_rate = CAST(approvals + ${outcome === 'approved' ? 1 : 0} AS DOUBLE PRECISION) / (approvals + rejections + 1),
              updated_at = :now
        WHERE id = :id AND account_id = :accountId`,
      { now, id, accountId: this.accountId },
    );
  }

  async setAverageEngagement(id: number, avgEngagement: number, publishedCount: number, now: number): Promise<void> {
    await this.topics.update(this.key(id), { avgEngagement, engagementPosts: publishedCount, updatedAt: now });
  }
}
