import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectCoverage,
  runSequences,
  SEQUENCES,
  startPropertyRun,
  stopPropertyRun,
  TWO_ACCOUNT_BASE_SEED,
  type PropertyAccount,
} from '../support/publishing-property.js';
import { onPostgres } from '../support/postgres.js';

let main: PropertyAccount;
let news: PropertyAccount;

beforeAll(async () => {
  ({ main, news } = await startPropertyRun());
});

afterAll(async () => {
  expect(await stopPropertyRun()).toEqual([]);
});

describe('two accounts publishing under random faults and restarts', () => {
  it(
    `GIVEN ${SEQUENCES} seeded sequences of two accounts' approvals, faults, crashes and restarts interleaved over one database WHEN each account publishes through its own service and X credentials THEN no draft yields two tweets, none is lost, and no tweet is posted under the wrong account`,
    async () => {
      const { statuses, published, sharedTexts } = await runSequences([main, news], TWO_ACCOUNT_BASE_SEED);
      for (const account of [main, news]) {
        expect(published[account.id], `${account.id} published`).toBeGreaterThan(150);
        expect((await account.repos.drafts.countByStatus()).publishing, `${account.id} left publishing`).toBe(0);
      }
      expectCoverage(statuses);
      expect(statuses['tick-both:published'] ?? 0, 'both queues published at once').toBeGreaterThan(20);
      expect(statuses['cross-publish:skipped'] ?? 0, "drafts handed to the other account's service").toBeGreaterThan(20);
      expect(sharedTexts, 'the same text published by both accounts').toBeGreaterThan(20);
      // Every step is a round trip to the server on PostgreSQL: about 200 s there under load, 60 s on SQLite.
    },
    onPostgres ? 480_000 : 240_000,
  );
});
