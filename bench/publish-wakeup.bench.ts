import { describe, expect, it } from 'vitest';
import type { AccountServices } from '../src/app.js';
import type { ApprovalPlacement } from '../src/services/ports.js';
import { newTweetDraft } from '../tests/support/draft-fixtures.js';
import type { RecordedRequest } from '../tests/support/fake-http.js';
import { removeDir, startFakes, startTestApp } from '../tests/support/test-app.js';
import { report, summarise } from './report.js';

const RUNS = 20;

/**
 * Issue 13 §4 in real time, through the real app (publish timer, SQLite, the X client) against
 * the fake X: how late after its due time a publication's POST reaches X.
 * - slot-to-POST: a draft approved into the account's slot, then moved by the scheduling service
 *   (as /queue's "move to" does) to T, 0.6 to 1.6 s ahead and off any second boundary; the
 *   service announces it on queueChanged and the timer re-arms: T -> the POST's arrival at the
 *   fake X.
 * - 429-reset-to-POST: X answers a POST with 429 and x-rate-limit-reset (whole epoch seconds)
 *   1 to 2 s ahead; the requeue announces itself: the reset -> the retry POST's arrival.
 * Target for both: within 1 s (p99). The 15 s tick this replaces gave 11 to 24 s.
 */
describe('publish wake-up latency', () => {
  it(`GIVEN the real app and the fake X WHEN ${RUNS} publications fall due and ${RUNS} 429 resets pass THEN slot-to-POST and reset-to-POST latencies are reported`, async () => {
    const fakes = await startFakes();
    const testApp = await startTestApp(fakes, {
      env: { DRY_RUN: 'false', MAX_POSTS_PER_HOUR: '50', MAX_POSTS_PER_DAY: '100', MAX_PENDING_DRAFTS: '100', POST_SLOTS: '00:00', TIMEZONE: 'UTC' },
      realTime: true,
    });
    try {
      const account = [...testApp.app.services.accounts.values()][0] as AccountServices;
      const { drafts } = account.repos;
      let serial = 0;
      const actor = { id: '1', name: 'bench' };
      /** An approved draft: into the next free slot (as Approve does with slots), or unscheduled. */
      const approvedDraft = async (intoSlot: boolean): Promise<{ id: number; text: string }> => {
        serial += 1;
        const text = `Bench ${serial}: a queued post goes out at its time, not at the next tick of a fixed timer.`;
        const draft = await drafts.create(newTweetDraft(text, { model: 'bench', deadlineAt: Date.now() + 3_600_000 }), Date.now());
        const decide = (placement?: ApprovalPlacement) =>
          drafts.decide(draft.id, 1, { to: 'approved', actor, source: 'moderator', ...(placement ? { placement } : {}) }, Date.now());
        const won = intoSlot ? (await account.scheduling.decideIntoSlot(draft.id, actor, decide)).won : await decide();
        if (!won) throw new Error(`could not approve draft ${draft.id}`);
        return { id: draft.id, text };
      };
      const postOf = (text: string, nth: number): Promise<RecordedRequest> =>
        fakes.x.http.waitForRequest(
          (r) => r.method === 'POST' && r.path.endsWith('/2/tweets') && (r.body as { text?: string }).text === text && nth-- === 0,
          10_000,
        );
      const secondPostOf = async (text: string): Promise<RecordedRequest> => {
        await expect
          .poll(() => fakes.x.requestsTo('POST', '/2/tweets').filter((r) => (r.body as { text?: string }).text === text).length, {
            timeout: 10_000,
            interval: 10,
          })
          .toBe(2);
        return fakes.x.requestsTo('POST', '/2/tweets').filter((r) => (r.body as { text?: string }).text === text)[1] as RecordedRequest;
      };

      const slotLatencies: number[] = [];
      for (let i = 0; i < RUNS; i += 1) {
        const { id, text } = await approvedDraft(true);
        const dueAt = Date.now() + 600 + Math.round(Math.random() * 1_000);
        expect((await account.scheduling.moveTo({ draftId: id, actor, at: dueAt })).status).toBe('applied');
        const post = await postOf(text, 0);
        expect(post.receivedAt).toBeGreaterThanOrEqual(dueAt);
        slotLatencies.push(post.receivedAt - dueAt);
        await expect.poll(async () => (await drafts.findById(id))?.status).toBe('published');
      }

      const resetLatencies: number[] = [];
      for (let i = 0; i < RUNS; i += 1) {
        const { id, text } = await approvedDraft(false);
        const resetAt = Math.ceil((Date.now() + 1_000) / 1_000) * 1_000;
        fakes.x.rateLimit429({ resetAt: resetAt / 1_000 });
        const outcome = await account.publishing.publishApprovedDraft(id);
        expect(outcome.kind).toBe('queued');
        const retry = await secondPostOf(text);
        expect(retry.receivedAt).toBeGreaterThanOrEqual(resetAt);
        resetLatencies.push(retry.receivedAt - resetAt);
        await expect.poll(async () => (await drafts.findById(id))?.status).toBe('published');
      }

      const slot = summarise(slotLatencies);
      const reset = summarise(resetLatencies);
      report('slot-to-post', { n: slot.n, p50_ms: slot.median, p99_ms: slot.p99, max_ms: slot.max }, 'within 1000 ms of the slot');
      report('429-reset-to-post', { n: reset.n, p50_ms: reset.median, p99_ms: reset.p99, max_ms: reset.max }, 'within 1000 ms of the reset');
      // Every publication went out exactly once.
      expect(fakes.x.tweets).toHaveLength(2 * RUNS);
    } finally {
      await testApp.stop();
      await fakes.stop();
      removeDir(testApp.dataDir);
    }
  });
});
