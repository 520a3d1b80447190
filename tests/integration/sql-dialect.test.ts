import type { EntitySubscriberInterface } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { engineOf, execute, indexedBy, orderedJoin, queryRows } from '../../src/db/sql.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { onPostgres } from '../support/postgres.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

/**
 * The repositories' one SQL text for both engines (src/db/sql.ts). Runs in both vitest projects:
 * each engine's raw results differ (PostgreSQL's UPDATE gives [rows, count], SQLite's a row id),
 * and the helpers must read them the same.
 */
describe('SQL on both engines', () => {
  let db: TempDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('GIVEN the test database THEN its engine is the one the project runs on', async () => {
    db = await openTempDatabase();
    expect(engineOf(db.dataSource)).toBe(onPostgres ? 'postgres' : 'sqlite');
    expect(engineOf(db.dataSource.manager)).toBe(engineOf(db.dataSource));
  });

  it('GIVEN an UPDATE with RETURNING WHEN it runs through execute THEN it gives the changed rows and their count, and a second run that matches nothing gives none', async () => {
    db = await openTempDatabase();
    const a = await db.repos.drafts.create(newTweetDraft('first of two'), 1);
    const b = await db.repos.drafts.create(newTweetDraft('second of two'), 1);
    const update = `UPDATE drafts SET revision = revision + 1, updated_at = :now WHERE id IN (:...ids) AND revision = :revision RETURNING id, revision`;
    const first = await execute<{ id: number; revision: number }>(db.dataSource, update, { now: 2, ids: [a.id, b.id], revision: 1 });
    expect(first.affected).toBe(2);
    expect(first.rows.map((r) => [Number(r.id), Number(r.revision)]).sort()).toEqual([
      [a.id, 2],
      [b.id, 2],
    ]);
    expect(await execute(db.dataSource, update, { now: 3, ids: [a.id, b.id], revision: 1 })).toEqual({ rows: [], affected: 0 });
  });

  it('GIVEN an UPDATE without RETURNING, inside a transaction THEN execute counts the rows it changed on that transaction', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('counted once'), 1);
    const affected = await db.dataSource.transaction(async (manager) => {
      const changed = await execute(manager, `UPDATE drafts SET updated_at = :now WHERE id = :id`, { now: 5, id: draft.id });
      const unchanged = await execute(manager, `UPDATE drafts SET updated_at = :now WHERE id = :id AND updated_at = :then`, { now: 6, id: draft.id, then: 1 });
      return [changed.affected, unchanged.affected];
    });
    expect(affected).toEqual([1, 0]);
    expect((await db.repos.drafts.findById(draft.id))?.updatedAt).toBe(5);
  });

  it('GIVEN a parameter named twice and a quoted camelCase alias THEN both engines bind it once and keep the alias as written', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('named twice'), 1);
    const [row] = await queryRows<{ sumOfBoth: unknown; topicName: string }>(
      db.dataSource,
      `SELECT revision + :n + :n AS "sumOfBoth", topic_name AS "topicName" FROM drafts WHERE id = :id AND topic_name = :topic`,
      { n: 20, id: draft.id, topic: draft.topicName },
    );
    expect(row).toEqual({ sumOfBoth: 41, topicName: draft.topicName });
  });

  it('GIVEN the planner hints THEN SQLite gets INDEXED BY and CROSS JOIN, PostgreSQL neither (it has no INDEXED BY and refuses ON after CROSS JOIN)', async () => {
    db = await openTempDatabase();
    expect(indexedBy(db.dataSource, 'idx_drafts_content_hash')).toBe(onPostgres ? '' : ' INDEXED BY idx_drafts_content_hash');
    expect(orderedJoin(db.dataSource)).toBe(onPostgres ? 'JOIN' : 'CROSS JOIN');
    // The duplicate lookups are the hinted queries: they run on the engine they were built for.
    const text = 'hinted queries find their duplicate';
    const fingerprinted = newTweetDraft(text);
    const draft = await db.repos.drafts.create(fingerprinted, 1);
    expect(await db.repos.duplicates.findByContentHash(fingerprinted.contentHash)).toEqual([{ draftId: draft.id, text }]);
    expect(await db.repos.duplicates.findByBandKeys(fingerprinted.bandKeys)).toEqual([{ draftId: draft.id, text }]);
  });

  it('GIVEN drafts written, read and decided with different ids and times WHEN 40 more go through than the first 2 THEN no new SQL text is run (ids and times are parameters, so prepared statements are reused, not one per value)', async () => {
    db = await openTempDatabase();
    const texts = new Set<string>();
    const recorder: EntitySubscriberInterface = { beforeQuery: (event) => void texts.add(event.query) };
    db.dataSource.subscribers.push(recorder);
    const lifeOfADraft = async (n: number) => {
      const now = 1_000_000 + n * 7_919;
      const draft = await db!.repos.drafts.create(newTweetDraft(`draft number ${n} of the series`), now);
      await db!.repos.drafts.findById(draft.id);
      await execute(db!.dataSource, `UPDATE drafts SET updated_at = :now WHERE id = :id AND revision = :revision`, { now: now + 1, id: draft.id, revision: 1 });
      await queryRows(db!.dataSource, `SELECT id FROM drafts WHERE id IN (:...ids) AND updated_at <= :now`, { ids: [draft.id, draft.id + 1], now: now + 2 });
    };
    for (let n = 0; n < 2; n += 1) await lifeOfADraft(n);
    const afterTwo = texts.size;
    for (let n = 2; n < 42; n += 1) await lifeOfADraft(n);
    expect(texts.size).toBe(afterTwo);
  });
});
