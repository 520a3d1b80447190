import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../support/fake-http.js';
import { createPublishingHarness, moderator, type PublishingHarness } from '../support/publishing-harness.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';
import { removeDir, startFakes, startTestApp, type TestApp } from '../support/test-app.js';
import { publishLeaseMs } from '../../src/services/publishing-service.js';
import { XApiError } from '../../src/adapters/twitter/x-publisher.js';
import type { SettingKey } from '../../src/services/settings-keys.js';

/**
 * Issue 10, item 4: the publish lease must not expire under a POST in flight, and a stale run
 * must not be able to write. Driven through the real twitter-api-v2 client against the fake X,
 * on a real SQLite file; the fake holds a POST until the test releases it.
 */

const LEASE_MS = 60_000;
/** Long enough that a held POST is released by the test, never timed out by the client. */
const CLIENT_TIMEOUT_MS = 10_000;

let h: PublishingHarness | undefined;
let db: TempDatabase | undefined;

afterEach(async () => {
  if (h) {
    const problems = await h.specProblems();
    await h.close();
    h = undefined;
    expect(problems).toEqual([]);
  }
  await db?.close();
  db = undefined;
});

async function harness(rejectDuplicates: boolean): Promise<PublishingHarness> {
  h = await createPublishingHarness({ timeoutMs: CLIENT_TIMEOUT_MS, config: { leaseMs: LEASE_MS } });
  h.fake.rejectDuplicates = rejectDuplicates;
  return h;
}

const isPost = (r: RecordedRequest) => r.method === 'POST' && r.path.endsWith('/2/tweets');
const postCount = (x: PublishingHarness) => x.fake.requests.filter(isPost).length;
/** Resolves when the n-th POST /2/tweets has reached the fake. */
const nthPost = (x: PublishingHarness, n: number) => x.fake.http.waitForRequest((r) => isPost(r) && x.fake.requests.filter(isPost).indexOf(r) === n - 1, 5_000);

async function expectPublishedOnce(x: PublishingHarness, draftId: number, text: string): Promise<void> {
  const live = x.fake.tweets.filter((t) => t.text === text);
  expect(live, 'tweets live at X').toHaveLength(1);
  const stored = (await x.db.repos.drafts.findById(draftId))!;
  expect(stored).toMatchObject({ status: 'published', tweetId: live[0]!.id, postedTweetIds: [live[0]!.id], errorClass: null });
  expect(await x.db.repos.posts.findForEngagement(0)).toEqual([{ tweetId: live[0]!.id, draftId }]);
}

describe('item 4: the publish lease and a POST in flight', () => {
  it('GIVEN a slow POST WHEN the wall clock steps past the lease and the queue ticks in the same process THEN exactly one tweet is live and the draft is published once', async () => {
    const x = await harness(false);
    const service = x.service();
    const text = 'slow POST while the wall clock jumps';
    const draft = await x.approvedDraft([text]);
    const slow = x.fake.hold();

    const first = service.publishApprovedDraft(draft.id);
    await nthPost(x, 1);
    x.clock.step(10 * LEASE_MS);
    const tick = await service.processDueDrafts(100);
    slow.release();
    const outcome = await first;

    // The tick must not take over a draft this process is posting right now.
    expect(tick).toEqual([]);
    expect(outcome.kind).toBe('published');
    expect(postCount(x)).toBe(1);
    await expectPublishedOnce(x, draft.id, text);
  });

  it('GIVEN another process that watched the lease WHEN the wall clock steps past it during a slow POST THEN it leaves the draft alone until the lease has passed on its own monotonic clock', async () => {
    const x = await harness(false);
    const a = x.service();
    const b = x.service();
    const text = 'the other process saw this lease before the step';
    const draft = await x.approvedDraft([text]);
    const slow = x.fake.hold();

    const first = a.publishApprovedDraft(draft.id);
    await nthPost(x, 1);
    expect(await b.processDueDrafts(100)).toEqual([]); // B sees A's live lease
    x.clock.step(10 * LEASE_MS);
    expect(await b.processDueDrafts(100)).toEqual([]);
    slow.release();
    expect((await first).kind).toBe('published');

    expect(postCount(x)).toBe(1);
    await expectPublishedOnce(x, draft.id, text);
  });

  it('GIVEN a reclaimed attempt (uncertain) WHEN X answers the duplicate 403 because the first POST landed meanwhile THEN the tweet found on the timeline makes it published, not failed', async () => {
    const x = await harness(true);
    const a = x.service();
    const b = x.service(); // a process that first looks after the step: it cannot tell, and reclaims
    const text = 'landed while the other process was looking';
    const draft = await x.approvedDraft([text]);
    const slowA = x.fake.hold();

    const first = a.publishApprovedDraft(draft.id);
    await nthPost(x, 1);
    x.clock.step(10 * LEASE_MS);
    const slowB = x.fake.hold();
    const second = b.processDueDrafts(100);
    await nthPost(x, 2); // B checked the timeline (nothing there yet) and posts
    slowA.release();
    const aOutcome = await first; // A's tweet is live; B holds the draft now, so A's writes are refused
    slowB.release(); // X: 403 duplicate
    const bOutcomes = await second;

    expect(aOutcome.kind).toBe('skipped');
    expect(bOutcomes.map((o) => o.kind)).toEqual(['published']);
    await expectPublishedOnce(x, draft.id, text);
  });

  it('GIVEN a POST that timed out before X acted on it WHEN the retry gets the duplicate 403 because X acted meanwhile THEN the retry finds the tweet on the timeline and the draft is published', async () => {
    h = await createPublishingHarness({ timeoutMs: 300, config: { leaseMs: LEASE_MS } });
    const x = h;
    const service = x.service();
    const text = 'X acted on this POST after the client gave up';
    const draft = await x.approvedDraft([text]);
    const late = x.fake.hold();

    const first = await service.publishApprovedDraft(draft.id); // times out: uncertain
    expect(first).toMatchObject({ kind: 'queued' });
    x.clock.advance(60 * 60_000);
    const retryPost = x.fake.hold();
    const retry = service.processDueDrafts(100);
    await nthPost(x, 2); // the timeline showed nothing yet, so the retry posts
    late.release(); // X now acts on the first POST
    await new Promise<void>((resolve) => {
      const check = () => (x.fake.tweets.some((t) => t.text === text) ? resolve() : setImmediate(check));
      check();
    });
    retryPost.release(); // X: 403 duplicate

    expect((await retry).map((o) => o.kind)).toEqual(['published']);
    await expectPublishedOnce(x, draft.id, text);
  });

  it('GIVEN a POST that timed out before X acted on it WHEN the wall clock steps past the backoff THEN this process waits out the backoff on its monotonic clock and posts nothing twice', async () => {
    h = await createPublishingHarness({ timeoutMs: 300, config: { leaseMs: LEASE_MS } });
    const x = h;
    x.fake.rejectDuplicates = false;
    const service = x.service();
    const text = 'X is slow to act on this POST';
    const draft = await x.approvedDraft([text]);
    const late = x.fake.hold();

    expect((await service.publishApprovedDraft(draft.id)).kind).toBe('queued'); // timed out: may still land
    x.clock.step(60 * 60_000);
    expect((await service.processDueDrafts(100)).map((o) => o.kind)).toEqual(['queued']);
    expect(postCount(x)).toBe(1);
    late.release(); // X acts on the first POST at last
    await new Promise<void>((resolve) => {
      const check = () => (x.fake.tweets.some((t) => t.text === text) ? resolve() : setImmediate(check));
      check();
    });

    x.clock.advance(60 * 60_000); // the backoff passes for real
    expect((await service.processDueDrafts(100)).map((o) => o.kind)).toEqual(['published']);
    expect(postCount(x)).toBe(1);
    await expectPublishedOnce(x, draft.id, text);
  });

  it('GIVEN a draft left failed/duplicate while its tweet is live (the old defect) WHEN a moderator presses Retry THEN the tweet is found on the timeline and recorded, with no POST', async () => {
    const x = await harness(true);
    const service = x.service();
    const text = 'live at X although the draft says duplicate';
    const draft = await x.approvedDraft([text]);
    const live = x.fake.seedTweet(text);
    x.fake.duplicate403();
    expect((await service.publishApprovedDraft(draft.id)).kind).toBe('failed');
    expect(postCount(x)).toBe(1);

    await service.retryFailed(draft.id, moderator);
    const outcome = await service.publishApprovedDraft(draft.id);

    expect(outcome).toMatchObject({ kind: 'published', tweetIds: [live.id], foundOnTimeline: 1 });
    expect(postCount(x)).toBe(1);
    await expectPublishedOnce(x, draft.id, text);
  });

  it('GIVEN a publish lease WHEN it is sized for the X request timeout THEN it covers three timeouts plus a margin', () => {
    for (const timeout of [1_000, 20_000, 120_000]) expect(publishLeaseMs(timeout)).toBeGreaterThanOrEqual(3 * timeout + 10_000);
  });

  it('GIVEN TWITTER_TIMEOUT=15s (not the default) WHEN the app starts THEN the publish lease is derived from it and a claim stores it', async () => {
    const fakes = await startFakes();
    let app: TestApp | undefined;
    try {
      app = await startTestApp(fakes, { env: { DRY_RUN: 'false', TWITTER_TIMEOUT: '15s' } });
      const publishing = app.app.services.publishing;
      expect(publishing.leaseMs).toBe(publishLeaseMs(15_000));
      expect(publishing.leaseMs).toBeGreaterThanOrEqual(3 * 15_000);
      const drafts = app.app.repos.drafts;
      const draft = await drafts.create(newTweetDraft('lease sized from TWITTER_TIMEOUT'), app.clock.now());
      await drafts.decide(draft.id, 1, { to: 'approved', actor: moderator, source: 'moderator' }, app.clock.now());
      const slow = fakes.x.hold();
      const run = publishing.publishApprovedDraft(draft.id);
      await fakes.x.http.waitForRequest((r) => isPost(r), 5_000);
      const [row] = (await app.app.repos.publications.findPublishingLeases()).filter((l) => l.id === draft.id);
      expect(row?.expiresAt).toBe(app.clock.now() + publishLeaseMs(15_000));
      slow.release();
      expect((await run).kind).toBe('published');
    } finally {
      await app?.stop();
      await fakes.stop();
      if (app) removeDir(app.dataDir);
    }
  });
});

describe('item 4: every publishing write is fenced on the lease owner and the attempt id', () => {
  it("GIVEN a draft taken over by a new attempt of the SAME owner WHEN the stale attempt writes THEN every write is refused and the new attempt's succeed", async () => {
    db = await openTempDatabase();
    const drafts = db.repos.drafts;
    const publications = db.repos.publications;
    const make = async (text: string) => {
      const d = await drafts.create(newTweetDraft(text), 0);
      await drafts.decide(d.id, 1, { to: 'approved', actor: moderator, source: 'moderator' }, 1);
      await publications.claimForPublishing(d.id, 'me', 'attempt-1', 2, LEASE_MS);
      expect(await publications.reclaimStalePublishing(d.id, 'me', 'attempt-2', 2 + LEASE_MS, LEASE_MS)).not.toBeNull();
      return d.id;
    };
    const stale = { owner: 'me', attemptId: 'attempt-1' };
    const live = { owner: 'me', attemptId: 'attempt-2' };
    const now = 3 + LEASE_MS;

    const id = await make('fenced one');
    expect(await publications.renewLease(id, stale, now, LEASE_MS)).toBe(false);
    expect(await publications.recordPostedTweet(id, stale, ['1'], now)).toBe(false);
    expect(await publications.markPublished(id, stale, { tweetIds: ['1'], dryRun: false, xCostUsd: 0 }, now)).toBe(false);
    expect(await publications.requeue(id, stale, { notBefore: now, reason: 'stale' }, now)).toBe(false);
    expect(await publications.markFailed(id, stale, { errorMessage: 'stale', errorClass: 'duplicate' }, now)).toBe(false);
    expect(await drafts.findById(id)).toMatchObject({ status: 'publishing', postedTweetIds: [], publishAttemptId: 'attempt-2' });

    expect(await publications.renewLease(id, live, now, LEASE_MS)).toBe(true);
    expect(await publications.recordPostedTweet(id, live, ['1'], now)).toBe(true);
    expect(await publications.markPublished(id, live, { tweetIds: ['1'], dryRun: false, xCostUsd: 0 }, now)).toBe(true);
    const requeued = await make('fenced two');
    expect(await publications.requeue(requeued, live, { notBefore: now, reason: 'wait' }, now)).toBe(true);
    const failed = await make('fenced three');
    expect(await publications.markFailed(failed, live, { errorMessage: 'x', errorClass: 'forbidden' }, now)).toBe(true);
  });

  it('GIVEN an answer from X that trickles in (one byte every 100 ms, never idle for the 500 ms TWITTER_TIMEOUT) WHEN the bot posts THEN the request is cut at its total deadline, classified as a timeout that may have posted', async () => {
    h = await createPublishingHarness({ timeoutMs: 500, config: { leaseMs: LEASE_MS } });
    h.fake.trickle({ intervalMs: 100 }); // a ~70-byte body: about 7 s in all

    const error = await h.publisher.postTweet('an answer that never goes quiet').then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(XApiError);
    expect(error).toMatchObject({ errorClass: 'transient', maybePosted: true });
    expect((error as XApiError).message).toMatch(/timed out/);
    expect(h.fake.tweets.map((t) => t.text)).toEqual(['an answer that never goes quiet']);
  });

  it('GIVEN a POST whose answer trickles in for longer than TWITTER_TIMEOUT WHEN the draft is published THEN the attempt ends inside the lease as uncertain and the retry finds the tweet on the timeline: one tweet, recorded once', async () => {
    h = await createPublishingHarness({ timeoutMs: 500, config: { leaseMs: LEASE_MS } });
    const x = h;
    const service = x.service();
    const text = 'the answer to this POST trickles in byte by byte';
    const draft = await x.approvedDraft([text]);
    x.fake.trickle({ intervalMs: 100 });

    const first = await service.publishApprovedDraft(draft.id);
    expect(first.kind).toBe('queued');
    expect(await x.db.repos.drafts.findById(draft.id)).toMatchObject({ status: 'approved', errorClass: 'transient', tweetId: null });

    x.clock.advance(60 * 60_000);
    expect((await service.processDueDrafts(100)).map((o) => o.kind)).toEqual(['published']);
    expect(postCount(x)).toBe(1);
    await expectPublishedOnce(x, draft.id, text);
  });

  it('GIVEN a POST that timed out after X stored the tweet WHEN the retry finds the timeline read limit exhausted (429) and waits for it THEN the attempt after the wait still reads the timeline first: one tweet, recorded', async () => {
    h = await createPublishingHarness({ timeoutMs: 300, config: { leaseMs: LEASE_MS } });
    const x = h;
    x.fake.rejectDuplicates = false; // so a second POST would show as a second tweet
    const service = x.service();
    const text = 'lost answer, then a rate-limited timeline';
    const draft = await x.approvedDraft([text]);
    x.fake.succeedThenLoseResponse({ mode: 'hang' });

    expect((await service.publishApprovedDraft(draft.id)).kind).toBe('queued'); // timed out: uncertain
    x.clock.advance(60 * 60_000);
    x.fake.rateLimit429({ method: 'GET', path: /\/2\/users\/[^/]+\/tweets$/ });
    expect((await service.processDueDrafts(100)).map((o) => o.kind)).toEqual(['queued']); // waits for the read limit
    expect(postCount(x)).toBe(1);

    x.clock.advance(60 * 60_000);
    expect((await service.processDueDrafts(100)).map((o) => o.kind)).toEqual(['published']);
    expect(postCount(x)).toBe(1);
    await expectPublishedOnce(x, draft.id, text);
  });

  it("GIVEN a store that cannot save X's rate-limit headers (disk full) WHEN a POST succeeds THEN the tweet id is still recorded at once and the draft is published, with no second POST and no timeline read", async () => {
    h = await createPublishingHarness({ timeoutMs: CLIENT_TIMEOUT_MS, config: { leaseMs: LEASE_MS } });
    const x = h;
    const real = x.db.repos.settings;
    const settings = {
      get: <T>(key: SettingKey<T>) => real.get(key),
      set: async <T>(key: SettingKey<T>, value: T | null, now: number) => {
        if (key.key.startsWith('x.rate_limit.')) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        return real.set(key, value, now);
      },
    };
    const service = x.service({ settings });
    const text = 'posted while the rate-limit bookkeeping cannot be saved';
    const draft = await x.approvedDraft([text]);

    const outcome = await service.publishApprovedDraft(draft.id);

    expect(outcome.kind).toBe('published');
    expect(postCount(x)).toBe(1);
    expect(x.fake.requestsTo('GET', /\/2\/users\/[^/]+\/tweets$/)).toHaveLength(0);
    await expectPublishedOnce(x, draft.id, text);
  });

  it('GIVEN a POST answered 503 after X stored the tweet WHEN the retry finds the timeline read limit exhausted (429) and waits for it THEN the attempt after the wait still reads the timeline first: one tweet, recorded', async () => {
    h = await createPublishingHarness({ timeoutMs: CLIENT_TIMEOUT_MS, config: { leaseMs: LEASE_MS } });
    const x = h;
    x.fake.rejectDuplicates = false; // so a second POST would show as a second tweet
    const service = x.service();
    const text = 'a 503 from X after it stored the tweet';
    const draft = await x.approvedDraft([text]);
    x.fake.http.injectFault(
      { method: 'POST', path: /\/2\/tweets$/, times: 1 },
      { afterRoute: true, status: 503, body: { title: 'Service Unavailable', type: 'about:blank', status: 503, detail: 'Service Unavailable' } },
    );

    expect((await service.publishApprovedDraft(draft.id)).kind).toBe('queued');
    x.clock.advance(60 * 60_000);
    x.fake.rateLimit429({ method: 'GET', path: /\/2\/users\/[^/]+\/tweets$/ });
    expect((await service.processDueDrafts(100)).map((o) => o.kind)).toEqual(['queued']);
    expect(postCount(x)).toBe(1);

    x.clock.advance(60 * 60_000);
    expect((await service.processDueDrafts(100)).map((o) => o.kind)).toEqual(['published']);
    expect(postCount(x)).toBe(1);
    await expectPublishedOnce(x, draft.id, text);
  });
});
