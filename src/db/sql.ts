import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * The two stores draftgate runs on. Repositories write one SQL text for both where they can and
 * ask this module for the few fragments that differ (planner hints, join syntax).
 */
export type SqlEngine = 'sqlite' | 'postgres';

/** Where a statement runs: the DataSource (its own connection), or a transaction's EntityManager. */
export type SqlTarget = DataSource | EntityManager;

/** Named parameters, `:name` in the SQL text; `:...name` expands an array into a list. */
export type SqlParams = Readonly<Record<string, unknown>>;

type Row = Record<string, unknown>;

const dataSourceOf = (target: SqlTarget): DataSource => ('driver' in target ? target : target.dataSource);

/** The engine behind a DataSource (or a transaction's manager). */
export function engineOf(target: SqlTarget): SqlEngine {
  const type = dataSourceOf(target).driver.options.type;
  if (type === 'postgres') return 'postgres';
  if (type === 'better-sqlite3') return 'sqlite';
  throw new Error(`draftgate does not run on the ${type} driver`);
}

/**
 * ` INDEXED BY name` on SQLite, nothing on PostgreSQL. SQLite's planner needs the hint where a
 * covering or selective index would otherwise lose to a status index; PostgreSQL has no such
 * clause and plans from its statistics.
 */
export function indexedBy(target: SqlTarget, index: string): string {
  return engineOf(target) === 'sqlite' ? ` INDEXED BY ${index}` : '';
}

/**
 * An inner join whose ORDER the query fixes on SQLite (`CROSS JOIN ... ON`: SQLite never reorders
 * a CROSS JOIN). PostgreSQL refuses ON after CROSS JOIN; there it is a plain JOIN.
 */
export function orderedJoin(target: SqlTarget): 'CROSS JOIN' | 'JOIN' {
  return engineOf(target) === 'sqlite' ? 'CROSS JOIN' : 'JOIN';
}

/**
 * The SQL text with its named parameters replaced by the driver's placeholders (`?` or `$n`).
 * TypeORM's own expansion: the same one the QueryBuilder uses, so both read `:name` alike. On
 * SQLite it writes numbers into the text as literals (finite numbers only, then); PostgreSQL
 * binds a parameter named twice once. An unknown name is left as written and fails loudly.
 */
export function bindNamed(target: SqlTarget, sql: string, params: SqlParams = {}): [string, unknown[]] {
  return dataSourceOf(target).driver.escapeQueryWithParameters(sql, params) as [string, unknown[]];
}

/** Runs a SELECT (or a statement with RETURNING) and returns its rows, on either engine. */
export async function queryRows<T extends object = Row>(target: SqlTarget, sql: string, params: SqlParams = {}): Promise<T[]> {
  return (await execute<T>(target, sql, params)).rows;
}

/**
 * Runs any statement and returns its rows (SELECT, or RETURNING) and how many rows it changed.
 * The raw results differ: PostgreSQL's UPDATE/DELETE return `[rows, count]`, SQLite's a row id
 * or the rows; the structured result gives both engines one shape. A statement with RETURNING
 * on SQLite reports its rows, not a count: those rows are the changed ones.
 */
export async function execute<T extends object = Row>(target: SqlTarget, sql: string, params: SqlParams = {}): Promise<{ rows: T[]; affected: number }> {
  const [text, values] = bindNamed(target, sql, params);
  const inTransaction = 'driver' in target ? undefined : target.queryRunner;
  const runner: QueryRunner = inTransaction ?? dataSourceOf(target).createQueryRunner();
  try {
    const result = await runner.query(text, values, true);
    const rows = (Array.isArray(result.records) ? result.records : []) as T[];
    return { rows, affected: typeof result.affected === 'number' ? result.affected : rows.length };
  } finally {
    if (!inTransaction) await runner.release();
  }
}

/** A count or sum as a number: PostgreSQL may hand bigint and numeric results back as strings. */
export function toNumber(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/** As {@link toNumber}, but an absent value (no rows, MIN over nothing) stays null. */
export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
