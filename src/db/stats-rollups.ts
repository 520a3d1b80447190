import type { EntityManager } from 'typeorm';
import { DAY_MS } from '../domain/rate-limits.js';
import { localDayOf, monthOfDay } from '../domain/local-day.js';
import { utcOffsetAt } from '../domain/time-zone.js';
import { execute, queryRows, toNumber, type SqlTarget } from './sql.js';

/**
 * The /stats rollups (tables stats_daily and stats_monthly, issue 16 §1): the writes that keep
 * them, in the same transaction as each event, and the full recomputation the migrations'
 * backfills, `npm run stats:rebuild` and the tests use. Every event adds a delta with one upsert
 * per table (ON CONFLICT ... DO UPDATE SET x = x + excluded.x, the same SQL on SQLite and
 * PostgreSQL), so /stats reads a few hundred narrow rows instead of scanning the history.
 * stats_monthly holds the same sums by the calendar month of the same local days (its `month` is
 * the local day of the month's 1st): "all" reads one row per month and topic, so its cost grows by
 * twelve rows a year per topic instead of 365 (about 8,000 daily rows per account after three years).
 */

/** The summed columns, in table order. */
export const ROLLUP_COLUMNS = [
  'drafts_generated',
  'drafts_pending',
  'drafts_approved',
  'drafts_timeout',
  'drafts_rejected',
  'drafts_expired',
  'drafts_published',
  'publications',
  'dry_run_publications',
  'tweets',
  'likes',
  'retweets',
  'replies',
  'quotes',
  'impressions',
  'x_cost_usd',
  'generation_runs',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_creation_tokens',
] as const;
export type RollupColumn = (typeof ROLLUP_COLUMNS)[number];
export type RollupDelta = Partial<Record<RollupColumn, number>>;

export interface RollupKey {
  readonly accountId: string;
  /** The local day (src/domain/local-day.ts) in the account's zone. */
  readonly day: number;
  readonly topicName: string;
  readonly contentType: string;
}

export type RollupRow = RollupKey & Record<RollupColumn, number>;

/** Where each account's days are counted: its TIMEZONE. */
export type ZoneOf = (accountId: string) => string;

/** The column a draft in `status` (decided by `source`) counts in; null for one /stats does not split out. */
export function outcomeColumn(status: string, source: string | null): RollupColumn | null {
  if (status === 'pending') return 'drafts_pending';
  if (status === 'rejected') return 'drafts_rejected';
  if (status === 'expired') return 'drafts_expired';
  if (status === 'approved' && source === 'moderator') return 'drafts_approved';
  if (status === 'approved' && source === 'timeout') return 'drafts_timeout';
  return null;
}

/** Adds `delta` to one rollup row, creating it at zero first: one statement, both engines. */
export async function addToRollup(target: SqlTarget, key: RollupKey, delta: RollupDelta): Promise<void> {
  const columns = ROLLUP_COLUMNS.filter((c) => (delta[c] ?? 0) !== 0);
  if (columns.length === 0) return;
  const params: Record<string, unknown> = { accountId: key.accountId, topicName: key.topicName, contentType: key.contentType };
  for (const c of columns) params[c] = delta[c];
  // The same delta on the day and on its month, in the caller's transaction: they cannot disagree.
  for (const [table, period, value] of [
    ['stats_daily', 'day', key.day],
    ['stats_monthly', 'month', monthOfDay(key.day)],
  ] as const) {
    await execute(
      target,
      `INSERT INTO ${table} (account_id, ${period}, topic_name, content_type, ${columns.join(', ')})
       VALUES (:accountId, :period, :topicName, :contentType, ${columns.map((c) => `:${c}`).join(', ')})
       ON CONFLICT (account_id, ${period}, topic_name, content_type) DO UPDATE SET ${columns.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`,
      { ...params, period: value },
    );
  }
}

interface DraftFacts {
  readonly createdAt: number;
  readonly topicName: string;
  readonly contentType: string;
  readonly status: string;
  readonly source: string | null;
}

/** What a rollup needs to know of a draft, read inside the event's transaction. */
export async function draftFacts(target: SqlTarget, draftId: number): Promise<DraftFacts | null> {
  const [row] = await queryRows<Record<string, unknown>>(
    target,
    `SELECT created_at AS "createdAt", topic_name AS "topicName", content_type AS "contentType", status, decision_source AS source FROM drafts WHERE id = :draftId`,
    { draftId },
  );
  if (!row) return null;
  return {
    createdAt: toNumber(row['createdAt']),
    topicName: String(row['topicName']),
    contentType: String(row['contentType']),
    status: String(row['status']),
    source: row['source'] === null || row['source'] === undefined ? null : String(row['source']),
  };
}

/** A new draft: generated and pending on the day it was created. */
export function rollupDraftCreated(
  target: SqlTarget,
  accountId: string,
  zone: string,
  draft: { createdAt: number; topicName: string; contentType: string },
): Promise<void> {
  return addToRollup(
    target,
    { accountId, day: localDayOf(draft.createdAt, zone), topicName: draft.topicName, contentType: draft.contentType },
    { drafts_generated: 1, drafts_pending: 1 },
  );
}

/** A draft moved from one outcome to another (a decision, or an approval undone): on its creation day. */
export async function rollupDraftMoved(
  target: SqlTarget,
  accountId: string,
  zone: string,
  draftId: number,
  from: { status: string; source: string | null },
): Promise<void> {
  const draft = await draftFacts(target, draftId);
  if (!draft) return;
  const delta: RollupDelta = {};
  const before = outcomeColumn(from.status, from.source);
  const after = outcomeColumn(draft.status, draft.source);
  if (before === after) return;
  if (before) delta[before] = -1;
  if (after) delta[after] = 1;
  await addToRollup(target, { accountId, day: localDayOf(draft.createdAt, zone), topicName: draft.topicName, contentType: draft.contentType }, delta);
}

/** A publication published: its draft counts as published (creation day), its X cost on the day published. */
export async function rollupPublished(
  target: SqlTarget,
  accountId: string,
  zone: string,
  draftId: number,
  publishedAt: number,
  costUsd: number,
): Promise<void> {
  const draft = await draftFacts(target, draftId);
  if (!draft) return;
  const topic = { accountId, topicName: draft.topicName, contentType: draft.contentType };
  if (draft.status === 'approved') await addToRollup(target, { ...topic, day: localDayOf(draft.createdAt, zone) }, { drafts_published: 1 });
  await addToRollup(target, { ...topic, day: localDayOf(publishedAt, zone) }, { x_cost_usd: costUsd });
}

/** The topic a post counts under: its draft's ('' without one). */
export async function topicOfDraft(target: SqlTarget, draftId: number | null): Promise<string> {
  if (draftId === null) return '';
  const [row] = await queryRows<{ topicName: unknown }>(target, `SELECT topic_name AS "topicName" FROM drafts WHERE id = :draftId`, { draftId });
  return row ? String(row.topicName) : '';
}

/** A posted tweet: on the day posted, under its draft's topic and its own content type. */
export async function rollupPostRecorded(
  target: SqlTarget,
  accountId: string,
  zone: string,
  post: { draftId: number | null; postedAt: number; contentType: string; threadPosition: number; dryRun: boolean },
): Promise<void> {
  const root = post.threadPosition === 0;
  await addToRollup(
    target,
    { accountId, day: localDayOf(post.postedAt, zone), topicName: await topicOfDraft(target, post.draftId), contentType: post.contentType },
    { tweets: 1, publications: root ? 1 : 0, dry_run_publications: root && post.dryRun ? 1 : 0 },
  );
}

/** A generation run: on the day it started, under its topic ('' when none was picked); a run has no content type. */
export function rollupGenerationRun(
  target: SqlTarget,
  accountId: string,
  zone: string,
  run: { startedAt: number; topicName: string | null; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheCreationTokens: number },
): Promise<void> {
  return addToRollup(
    target,
    { accountId, day: localDayOf(run.startedAt, zone), topicName: run.topicName ?? '', contentType: '' },
    {
      generation_runs: 1,
      input_tokens: run.inputTokens,
      output_tokens: run.outputTokens,
      cache_read_tokens: run.cacheReadTokens,
      cache_creation_tokens: run.cacheCreationTokens,
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Full recomputation
// ---------------------------------------------------------------------------------------------

/** One stretch of time in which a zone's offset from UTC does not change. */
interface OffsetStretch {
  readonly from: number;
  readonly to: number;
  readonly offsetMs: number;
}

/**
 * The stretches of constant UTC offset covering [from, to): one per DST period. Within one, the
 * local day of an instant is (t + offset) / DAY_MS, which SQL can group by on both engines (SQLite
 * knows no time zones). Offsets are probed once a day and each change is found by bisection.
 */
export function offsetStretches(from: number, to: number, zone: string): OffsetStretch[] {
  const out: OffsetStretch[] = [];
  let start = from;
  let offset = utcOffsetAt(start, zone);
  let probe = from;
  while (probe < to) {
    const next = Math.min(probe + DAY_MS, to);
    const nextOffset = utcOffsetAt(next, zone);
    if (nextOffset !== offset || next === to) {
      if (nextOffset === offset) {
        out.push({ from: start, to, offsetMs: offset });
        return out;
      }
      // The change lies in (probe, next]: find the first instant with the new offset.
      let lo = probe;
      let hi = next;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (utcOffsetAt(mid, zone) === offset) lo = mid;
        else hi = mid;
      }
      out.push({ from: start, to: hi, offsetMs: offset });
      start = hi;
      offset = utcOffsetAt(hi, zone);
    }
    probe = next;
  }
  out.push({ from: start, to, offsetMs: offset });
  return out;
}

/** The four sources of the rollups: each query groups one stretch by (local day, topic, content type). */
const SOURCES: ReadonlyArray<{ readonly time: string; readonly sql: (timeFilter: string, dayExpr: string) => string }> = [
  {
    time: 'd.created_at',
    sql: (filter, day) =>
      `SELECT ${day} AS day, d.topic_name AS "topicName", d.content_type AS "contentType",
              COUNT(*) AS drafts_generated,
              SUM(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END) AS drafts_pending,
              SUM(CASE WHEN d.status = 'approved' AND d.decision_source = 'moderator' THEN 1 ELSE 0 END) AS drafts_approved,
              SUM(CASE WHEN d.status = 'approved' AND d.decision_source = 'timeout' THEN 1 ELSE 0 END) AS drafts_timeout,
              SUM(CASE WHEN d.status = 'rejected' THEN 1 ELSE 0 END) AS drafts_rejected,
              SUM(CASE WHEN d.status = 'expired' THEN 1 ELSE 0 END) AS drafts_expired,
              SUM(CASE WHEN d.status = 'approved' AND pub.status = 'published' THEN 1 ELSE 0 END) AS drafts_published
         FROM drafts d LEFT JOIN publications pub ON pub.draft_id = d.id AND pub.account_id = d.account_id
        WHERE d.account_id = :accountId AND ${filter}
        GROUP BY ${day}, d.topic_name, d.content_type`,
  },
  {
    time: 'p.posted_at',
    sql: (filter, day) =>
      `SELECT ${day} AS day, COALESCE(d.topic_name, '') AS "topicName", p.content_type AS "contentType",
              SUM(CASE WHEN p.thread_position = 0 THEN 1 ELSE 0 END) AS publications,
              SUM(CASE WHEN p.thread_position = 0 AND p.dry_run = 1 THEN 1 ELSE 0 END) AS dry_run_publications,
              COUNT(*) AS tweets, SUM(p.likes) AS likes, SUM(p.retweets) AS retweets, SUM(p.replies) AS replies,
              SUM(p.quotes) AS quotes, SUM(p.impressions) AS impressions
         FROM posts p LEFT JOIN drafts d ON d.id = p.draft_id
        WHERE p.account_id = :accountId AND p.status = 'posted' AND ${filter}
        GROUP BY ${day}, COALESCE(d.topic_name, ''), p.content_type`,
  },
  {
    time: 'pub.published_at',
    sql: (filter, day) =>
      `SELECT ${day} AS day, d.topic_name AS "topicName", d.content_type AS "contentType", SUM(pub.cost_usd) AS x_cost_usd
         FROM publications pub JOIN drafts d ON d.id = pub.draft_id
        WHERE pub.account_id = :accountId AND pub.status = 'published' AND ${filter}
        GROUP BY ${day}, d.topic_name, d.content_type`,
  },
  {
    time: 'r.started_at',
    sql: (filter, day) =>
      `SELECT ${day} AS day, COALESCE(r.topic_name, '') AS "topicName", '' AS "contentType",
              COUNT(*) AS generation_runs, SUM(r.input_tokens) AS input_tokens, SUM(r.output_tokens) AS output_tokens,
              SUM(r.cache_read_tokens) AS cache_read_tokens, SUM(r.cache_creation_tokens) AS cache_creation_tokens
         FROM generation_runs r
        WHERE r.account_id = :accountId AND ${filter}
        GROUP BY ${day}, COALESCE(r.topic_name, '')`,
  },
];

const TIME_RANGE_SQL = `SELECT MIN(t) AS "first", MAX(t) AS "last" FROM (
    SELECT MIN(created_at) AS t FROM drafts WHERE account_id = :accountId
    UNION ALL SELECT MIN(posted_at) FROM posts WHERE account_id = :accountId
    UNION ALL SELECT MIN(published_at) FROM publications WHERE account_id = :accountId
    UNION ALL SELECT MIN(started_at) FROM generation_runs WHERE account_id = :accountId
    UNION ALL SELECT MAX(created_at) FROM drafts WHERE account_id = :accountId
    UNION ALL SELECT MAX(posted_at) FROM posts WHERE account_id = :accountId
    UNION ALL SELECT MAX(published_at) FROM publications WHERE account_id = :accountId
    UNION ALL SELECT MAX(started_at) FROM generation_runs WHERE account_id = :accountId) times`;

/** Every account with a row anywhere the rollups read. */
async function accountsWithHistory(target: SqlTarget): Promise<string[]> {
  const rows = await queryRows<{ id: unknown }>(
    target,
    `SELECT account_id AS id FROM drafts UNION SELECT account_id FROM posts UNION SELECT account_id FROM publications UNION SELECT account_id FROM generation_runs`,
  );
  return rows.map((r) => String(r.id)).sort();
}

/**
 * The rollups recomputed from the raw rows, without writing anything: what the event-by-event
 * upserts must add up to. `accountIds` defaults to every account with history.
 */
export async function recomputeRollups(target: SqlTarget, zoneOf: ZoneOf, accountIds?: readonly string[]): Promise<RollupRow[]> {
  const rows = new Map<string, RollupRow>();
  for (const accountId of accountIds ?? (await accountsWithHistory(target))) {
    const [range] = await queryRows<{ first: unknown; last: unknown }>(target, TIME_RANGE_SQL, { accountId });
    if (range?.first === null || range?.first === undefined) continue;
    const zone = zoneOf(accountId);
    for (const stretch of offsetStretches(toNumber(range.first), toNumber(range.last) + 1, zone)) {
      for (const source of SOURCES) {
        const filter = `${source.time} >= :from AND ${source.time} < :to`;
        const day = `((${source.time} + :offsetMs) / ${DAY_MS})`;
        const found = await queryRows<Record<string, unknown>>(target, source.sql(filter, day), {
          accountId,
          from: stretch.from,
          to: stretch.to,
          offsetMs: stretch.offsetMs,
        });
        for (const r of found) {
          const key: RollupKey = { accountId, day: Math.floor(toNumber(r['day'])), topicName: String(r['topicName']), contentType: String(r['contentType']) };
          const id = JSON.stringify([key.accountId, key.day, key.topicName, key.contentType]);
          let row = rows.get(id);
          if (!row) {
            row = { ...key, ...(Object.fromEntries(ROLLUP_COLUMNS.map((c) => [c, 0])) as Record<RollupColumn, number>) };
            rows.set(id, row);
          }
          for (const c of ROLLUP_COLUMNS) if (r[c] !== undefined) row[c] += toNumber(r[c]);
        }
      }
    }
  }
  return [...rows.values()].sort(compareRollupRows);
}

export function compareRollupRows(a: RollupKey, b: RollupKey): number {
  return a.accountId.localeCompare(b.accountId) || a.day - b.day || a.topicName.localeCompare(b.topicName) || a.contentType.localeCompare(b.contentType);
}

/** Every stored rollup row (not all zero), in key order: for the tests and the rebuild's report. */
export function readRollups(target: SqlTarget): Promise<RollupRow[]> {
  return readTable(target, 'stats_daily', 'day');
}

/** Every stored monthly rollup row (not all zero), in key order; `day` is the month's first local day. */
export function readMonthlyRollups(target: SqlTarget): Promise<RollupRow[]> {
  return readTable(target, 'stats_monthly', 'month');
}

async function readTable(target: SqlTarget, table: string, period: string): Promise<RollupRow[]> {
  const found = await queryRows<Record<string, unknown>>(
    target,
    `SELECT account_id AS "accountId", ${period} AS day, topic_name AS "topicName", content_type AS "contentType", ${ROLLUP_COLUMNS.join(', ')} FROM ${table}`,
  );
  return found
    .map((r) => {
      const row = {
        accountId: String(r['accountId']),
        day: toNumber(r['day']),
        topicName: String(r['topicName']),
        contentType: String(r['contentType']),
      } as RollupRow;
      for (const c of ROLLUP_COLUMNS) row[c] = toNumber(r[c]);
      return row;
    })
    .filter((row) => ROLLUP_COLUMNS.some((c) => row[c] !== 0))
    .sort(compareRollupRows);
}

/** Daily rollup rows added up by calendar month (`day` becomes the month's first local day): what stats_monthly holds. */
export function monthlyOf(daily: readonly RollupRow[]): RollupRow[] {
  const months = new Map<string, RollupRow>();
  for (const row of daily) {
    const month = monthOfDay(row.day);
    const id = JSON.stringify([row.accountId, month, row.topicName, row.contentType]);
    let sum = months.get(id);
    if (!sum) {
      sum = { ...row, day: month };
      months.set(id, sum);
    } else for (const c of ROLLUP_COLUMNS) sum[c] += row[c];
  }
  return [...months.values()].sort(compareRollupRows);
}

/** Rows per INSERT: 25 parameters each, well under both engines' limits. */
const INSERT_BATCH = 200;

/**
 * Replaces the rollups of `accountIds` (default: every account), daily and monthly, by a full
 * recomputation. Run it inside one transaction (the migration and the CLI do), so /stats never
 * sees half of it.
 */
export async function rebuildRollups(target: EntityManager, zoneOf: ZoneOf, accountIds?: readonly string[]): Promise<number> {
  const rows = await recomputeRollups(target, zoneOf, accountIds);
  await replaceRows(target, 'stats_daily', 'day', rows, accountIds);
  await replaceRows(target, 'stats_monthly', 'month', monthlyOf(rows), accountIds);
  return rows.length;
}

/**
 * The daily rollups only: for migration StatsRollups, which runs before the monthly table exists
 * (migration StatsMonthlyRollups then adds it from these rows).
 */
export async function rebuildDailyRollups(target: EntityManager, zoneOf: ZoneOf): Promise<number> {
  const rows = await recomputeRollups(target, zoneOf);
  await replaceRows(target, 'stats_daily', 'day', rows);
  return rows.length;
}

/**
 * stats_monthly recomputed from stats_daily as it stands (the migration that adds the monthly
 * table: the daily rows are already right, and reading them costs a fraction of a full
 * recomputation from the history). Returns the monthly rows written.
 */
export async function rebuildMonthlyFromDaily(target: EntityManager): Promise<number> {
  const monthly = monthlyOf(await readRollups(target));
  await replaceRows(target, 'stats_monthly', 'month', monthly);
  return monthly.length;
}

async function replaceRows(target: EntityManager, table: string, period: string, rows: readonly RollupRow[], accountIds?: readonly string[]): Promise<void> {
  if (accountIds === undefined) await execute(target, `DELETE FROM ${table}`);
  else for (const accountId of accountIds) await execute(target, `DELETE FROM ${table} WHERE account_id = :accountId`, { accountId });
  const columns = ['account_id', period, 'topic_name', 'content_type', ...ROLLUP_COLUMNS];
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    const batch = rows.slice(i, i + INSERT_BATCH);
    const params: Record<string, unknown> = {};
    const values = batch.map((row, j) => {
      const names = columns.map((c) => `r${j}_${c}`);
      params[`r${j}_account_id`] = row.accountId;
      params[`r${j}_${period}`] = row.day;
      params[`r${j}_topic_name`] = row.topicName;
      params[`r${j}_content_type`] = row.contentType;
      for (const c of ROLLUP_COLUMNS) params[`r${j}_${c}`] = row[c];
      return `(${names.map((n) => `:${n}`).join(', ')})`;
    });
    await execute(target, `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')}`, params);
  }
}

/** `npm run stats:rebuild`: every account's rollups recomputed from the raw rows, in one transaction. */
export function rebuildAllRollups(dataSource: import('typeorm').DataSource, zoneOf: ZoneOf): Promise<number> {
  return dataSource.transaction((manager) => rebuildRollups(manager, zoneOf));
}
