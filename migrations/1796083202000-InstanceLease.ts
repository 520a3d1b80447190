import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The instance lease (issue 12): one row (id 1) naming the active instance and its epoch, free
 * (owner NULL, epoch 0) until an instance first takes it. And on `publications`, `recovered`:
 * what a restart's reconciliation did with a publication a crash left in `publishing`.
 * Both engines: SQLite as the other migrations, PostgreSQL with bigint for every integer column
 * (epoch-ms timestamps overflow int4). Frozen: the SQL is written out, never derived from the entities.
 */
export class InstanceLease1796083202000 implements MigrationInterface {
  name = 'InstanceLease1796083202000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const now = Date.now();
    if (isPostgres(queryRunner)) {
      await queryRunner.query(
        `CREATE TABLE "instance_lease" ("id" bigint NOT NULL, "owner" text, "owner_host" text, "owner_pid" bigint, "epoch" bigint NOT NULL DEFAULT 0, "renewed_at" bigint, "expires_at" bigint, "updated_at" bigint NOT NULL, CONSTRAINT "PK_dec3be740bb048fda7531497c54" PRIMARY KEY ("id"))`,
      );
      await queryRunner.query(`INSERT INTO "instance_lease" ("id", "owner", "epoch", "updated_at") VALUES (1, NULL, 0, $1)`, [now]);
    } else {
      await queryRunner.query(
        `CREATE TABLE "instance_lease" ("id" integer PRIMARY KEY NOT NULL, "owner" text, "owner_host" text, "owner_pid" integer, "epoch" integer NOT NULL DEFAULT (0), "renewed_at" integer, "expires_at" integer, "updated_at" integer NOT NULL)`,
      );
      await queryRunner.query(`INSERT INTO "instance_lease" ("id", "owner", "epoch", "updated_at") VALUES (1, NULL, 0, ?)`, [now]);
    }
    await queryRunner.query(`ALTER TABLE "publications" ADD COLUMN "recovered" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "publications" DROP COLUMN "recovered"`);
    await queryRunner.query(`DROP TABLE "instance_lease"`);
  }
}

function isPostgres(queryRunner: QueryRunner): boolean {
  return queryRunner.connection.driver.options.type === 'postgres';
}
