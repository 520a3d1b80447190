import type { QueryRunner } from 'typeorm';

/**
 * Whether a migration runs on PostgreSQL (else SQLite). One set of migrations serves both
 * engines: a migration whose SQL differs between them branches on this, and the SQLite SQL stays
 * as it was written. On PostgreSQL the columns SQLite declares `integer` are `bigint` (epoch
 * milliseconds overflow a 32-bit integer) and `real` is `double precision` (see
 * src/db/data-source.ts); numeric defaults are written quoted ('0'), the form TypeORM reads back,
 * so the migrated schema equals the entities; parameters are $1, $2...
 */
export function isPostgres(queryRunner: QueryRunner): boolean {
  return queryRunner.connection.driver.options.type === 'postgres';
}
