import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../support/postgres.js';
import { BASE_SEED, expectCoverage, runSequences, SEQUENCES, startPropertyRun, stopPropertyRun, type PropertyAccount } from '../support/publishing-property.js';

let main: PropertyAccount;

beforeAll(async () => {
  ({ main } = await startPropertyRun());
});

afterAll(async () => {
  expect(await stopPropertyRun()).toEqual([]);
});

describe('publishing under random faults and restarts', () => {
  it(
    `GIVEN ${SEQUENCES} seeded sequences of approvals, faults, restarts and wall-clock steps during in-flight POSTs THEN no draft yields two tweets and none is lost`,
    async () => {
      const { statuses, published } = await runSequences([main], BASE_SEED);
      expect(published[main.id]).toBeGreaterThan(200);
      expect((await main.repos.drafts.countByStatus()).publishing).toBe(0);
      expectCoverage(statuses);
      // Every step is a round trip to the server on PostgreSQL: about 95 s alone there, 40 s on SQLite.
    },
    onPostgres ? 300_000 : 120_000,
  );
});
