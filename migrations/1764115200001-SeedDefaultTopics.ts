import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from './dialect.js';

import { DEFAULT_TOPICS } from '../src/domain/default-topics.js';

export { DEFAULT_TOPICS };

/** Seeds the default topics (src/domain/default-topics.ts). */
export class SeedDefaultTopics1764115200001 implements MigrationInterface {
  name = 'SeedDefaultTopics1764115200001';

  async up(queryRunner: QueryRunner): Promise<void> {
    // PostgreSQL numbers its parameters; the statements are otherwise the same.
    const p = isPostgres(queryRunner);
    const now = Date.now();
    for (const topic of DEFAULT_TOPICS) {
      const parameters = [topic.name, topic.contentType, topic.description, topic.weight, now, now];
      if (p) {
        await queryRunner.query(
          `INSERT INTO "topics" ("topic_name", "content_type", "description", "weight", "enabled", "created_at", "updated_at")
           VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT ("topic_name") DO NOTHING`,
          parameters,
        );
        continue;
      }
      await queryRunner.query(
        `INSERT INTO "topics" ("topic_name", "content_type", "description", "weight", "enabled", "created_at", "updated_at")
         VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT ("topic_name") DO NOTHING`,
        parameters,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = isPostgres(queryRunner);
    // Only untouched defaults are removed: a topic with history is the operator's data now.
    for (const topic of DEFAULT_TOPICS) {
      await queryRunner.query(`DELETE FROM "topics" WHERE "topic_name" = ${p ? '$1' : '?'} AND "usage_count" = 0`, [topic.name]);
    }
  }
}
