import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from './dialect.js';

/**
 * Images on drafts (issue 14).
 * - `media`: one row per draft image (position, type, size, dimensions, sha256, alt text and
 *   who wrote it, Claude's findings as JSON text), unique per (draft, position), indexed by
 *   sha256 for the sweep of unused files. The rows follow their draft (ON DELETE CASCADE).
 * - `publications.media_uploads`: the X media ids of the publication's images (JSON text,
 *   null while none), stored the moment X returns them.
 * Both engines; frozen SQL, never derived from the entities.
 */
export class DraftMedia1796083205000 implements MigrationInterface {
  name = 'DraftMedia1796083205000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isPostgres(queryRunner)) {
      await queryRunner.query(
        `CREATE TABLE "media" ("id" BIGSERIAL NOT NULL, "draft_id" bigint NOT NULL, "position" bigint NOT NULL, "mime_type" text NOT NULL, "bytes" bigint NOT NULL, "width" bigint NOT NULL, "height" bigint NOT NULL, "sha256" text NOT NULL, "alt_text" text, "alt_source" text, "findings" text NOT NULL DEFAULT '[]', "created_at" bigint NOT NULL, CONSTRAINT "uq_media_draft_position" UNIQUE ("draft_id", "position"), CONSTRAINT "PK_f4e0fcac36e050de337b670d8bd" PRIMARY KEY ("id"), CONSTRAINT "FK_48d8104c219e58b71bec051b858" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
      );
    } else {
      await queryRunner.query(
        `CREATE TABLE "media" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "draft_id" integer NOT NULL, "position" integer NOT NULL, "mime_type" text NOT NULL, "bytes" integer NOT NULL, "width" integer NOT NULL, "height" integer NOT NULL, "sha256" text NOT NULL, "alt_text" text, "alt_source" text, "findings" text NOT NULL DEFAULT ('[]'), "created_at" integer NOT NULL, CONSTRAINT "uq_media_draft_position" UNIQUE ("draft_id", "position"), CONSTRAINT "FK_48d8104c219e58b71bec051b858" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
      );
    }
    await queryRunner.query(`CREATE INDEX "idx_media_sha256" ON "media" ("sha256")`);
    await queryRunner.query(`ALTER TABLE "publications" ADD COLUMN "media_uploads" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "publications" DROP COLUMN "media_uploads"`);
    await queryRunner.query(`DROP INDEX "idx_media_sha256"`);
    await queryRunner.query(`DROP TABLE "media"`);
  }
}
