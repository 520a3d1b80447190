import { afterEach, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { statusLine } from '../../src/adapters/discord/draft-card.js';
import { createDataSource, createInstanceLeaseStore, createRepositories, type Repositories } from '../../src/db/index.js';
import type { Draft } from '../../src/domain/draft.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { InstanceLeaseService, publishingOwnerOf, type InstanceIdentity } from '../../src/services/instance-lease.js';
import { ModerationService } from '../../src/services/moderation-service.js';
import type { CardLocation, DraftCardPort, DraftCardView, InstanceFence, InstanceLeaseStore, InstanceTerm } from '../../src/services/ports.js';
import { draftCardView, newTweetDraft } from '../support/draft-fixtures.js';
import { ManualClock } from '../support/manual-clock.js';
import { ManualTimers } from '../support/manual-timers.js';
import { createPublishingHarness, T0, type PublishingHarness } from '../support/publishing-harness.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

const RENEW = 5_000;
const EXPIRY = 15_000;
const POLL = 1_000;
const alice = { id: '100000000000000001', name: 'alice' };
const logger = createSilentLogger();

const identity = (host: string, pid: number): InstanceIdentity => ({ owner: `${host}:${pid}:0000abcd`, host, pid });
const A = identity('host-a', 101);
const B = identity('host-b', 202);

/** A fence that keeps naming one term, as an instance that was frozen and has not noticed the takeover yet. */
const stuckFence = (term: InstanceTerm | null): InstanceFence => ({ current: () => term });

/**
 * A second connection to the same database: a second process. The one place that knows how to
 * open the test database again (on PostgreSQL: the same database URL).
 */
async function openSecondConnection(db: TempDatabase): Promise<DataSource> {
  const second = createDataSource(db.target);
  await second.initialize();
  return second;
}

function leaseService(store: InstanceLeaseStore, clock: ManualClock, timers: ManualTimers, id: InstanceIdentity): InstanceLeaseService {
  return new InstanceLeaseService({
    store,
    clock,
    monotonic: clock.monotonic,
    logger,
    identity: id,
    renewEveryMs: RENEW,
    expiresAfterMs: EXPIRY,
    pollEveryMs: POLL,
    isProcessAlive: () => true,
    setTimer: timers.set,
    clearTimer: timers.clear,
  });
}

function recordingHandlers(events: string[]) {
  return {
    onActive: async (term: InstanceTerm) => {
      events.push(`active:${term.epoch}`);
    },
    onLost: async (reason: string) => {
      events.push(`lost:${reason}`);
    },
  };
}

describe('instance lease on one database, two connections', () => {
  let db: TempDatabase | undefined;
  let second: DataSource | undefined;
  let harness: PublishingHarness | undefined;
  afterEach(async () => {
    if (second?.isInitialized) await second.destroy();
    second = undefined;
    await db?.close();
    db = undefined;
    await harness?.close();
    harness = undefined;
  });

  it('GIVEN a migrated database THEN the lease row is free at epoch 0', async () => {
    db = await openTempDatabase();
    expect(await createInstanceLeaseStore(db.dataSource).read()).toEqual({
      owner: null,
      ownerHost: null,
      ownerPid: null,
      epoch: 0,
      renewedAt: null,
      expiresAt: null,
    });
  });

  it('GIVEN two instances on one database WHEN both start THEN one is active at epoch 1 and the other stands by until the active one stops renewing for the expiry, then takes over at epoch 2', async () => {
    db = await openTempDatabase();
    second = await openSecondConnection(db);
    const clock = new ManualClock();
    const timersA = new ManualTimers(clock);
    const timersB = new ManualTimers(clock);
    const a = leaseService(createInstanceLeaseStore(db.dataSource), clock, timersA, A);
    const b = leaseService(createInstanceLeaseStore(second), clock, timersB, B);
    const eventsA: string[] = [];
    const eventsB: string[] = [];
    await a.start(recordingHandlers(eventsA));
    await b.start(recordingHandlers(eventsB));
    expect(eventsA).toEqual(['active:1']);
    expect(eventsB).toEqual([]);
    expect(b.status()).toMatchObject({ role: 'standby', epoch: 1, holder: A.owner });

    // Both run: A keeps renewing, B never takes over.
    for (let i = 0; i < 8; i += 1) {
      await timersA.advance(0);
      await timersB.advance(RENEW);
    }
    expect(eventsB).toEqual([]);
    expect(await createInstanceLeaseStore(second).read()).toMatchObject({ owner: A.owner, ownerHost: 'host-a', ownerPid: 101, epoch: 1 });

    // A renews once more, then freezes (its timers no longer run). B first sees that renewal at
    // its next poll, and takes over once it has seen it unchanged for the expiry.
    await timersA.advance(0);
    await timersB.advance(EXPIRY);
    expect(eventsB).toEqual([]);
    expect(b.current()).toBeNull();
    await timersB.advance(POLL);
    expect(eventsB).toEqual(['active:2']);
    expect(await createInstanceLeaseStore(db.dataSource).read()).toMatchObject({ owner: B.owner, epoch: 2 });

    // A resumes: it has no term, and its renewal finds B's epoch: it steps down.
    expect(a.current()).toBeNull();
    await timersA.advance(0);
    expect(eventsA).toEqual(['active:1', 'lost:another instance took over the lease']);
    await a.stop({ release: true });
    await b.stop({ release: true });
    expect(await createInstanceLeaseStore(db.dataSource).read()).toMatchObject({ owner: null, epoch: 2 });
  });

  it('GIVEN 20 concurrent takeovers of the same free lease over two connections THEN exactly one wins, at epoch + 1', async () => {
    db = await openTempDatabase();
    second = await openSecondConnection(db);
    const stores = [createInstanceLeaseStore(db.dataSource), createInstanceLeaseStore(second)];
    const seen = await stores[0]!.read();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.takeOver(seen, identity(`host-${i}`, 1000 + i), T0, T0 + EXPIRY)));
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.epoch).toBe(1);
    expect(await stores[1]!.read()).toMatchObject({ owner: winners[0]!.owner, epoch: 1, renewedAt: T0, expiresAt: T0 + EXPIRY });

    // And again from the new row: one more winner, one more epoch.
    const again = await stores[1]!.read();
    const next = (
      await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.takeOver(again, identity(`h${i}`, i + 1), T0 + 1, T0 + 1 + EXPIRY)))
    ).filter((r) => r !== null);
    expect(next).toHaveLength(1);
    expect(next[0]!.epoch).toBe(2);
  });

  it('GIVEN a takeover WHEN the old term renews or releases THEN both fail and the row keeps the new term', async () => {
    db = await openTempDatabase();
    const store = createInstanceLeaseStore(db.dataSource);
    const old = (await store.takeOver(await store.read(), A, T0, T0 + EXPIRY))!;
    expect(await store.renew(old, T0 + 1, T0 + 1 + EXPIRY)).toBe(true);
    const stale = await store.read();
    const fresh = (await store.takeOver(stale, B, T0 + 2, T0 + 2 + EXPIRY))!;
    expect(fresh).toEqual({ owner: B.owner, epoch: 2 });
    // A second takeover from the same (now outdated) sighting loses.
    expect(await store.takeOver(stale, A, T0 + 3, T0 + 3 + EXPIRY)).toBeNull();
    expect(await store.renew(old, T0 + 3, T0 + 3 + EXPIRY)).toBe(false);
    expect(await store.release(old, T0 + 3)).toBe(false);
    expect(await store.read()).toMatchObject({ owner: B.owner, epoch: 2, renewedAt: T0 + 2 });
  });

  it('GIVEN an active instance and a standby WHEN the active one stops gracefully (release) THEN the standby takes over at its next poll, at epoch + 1', async () => {
    db = await openTempDatabase();
    second = await openSecondConnection(db);
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const a = leaseService(createInstanceLeaseStore(db.dataSource), clock, timers, A);
    const b = leaseService(createInstanceLeaseStore(second), clock, timers, B);
    const eventsB: string[] = [];
    await a.start(recordingHandlers([]));
    await b.start(recordingHandlers(eventsB));
    await timers.advance(3 * RENEW);
    await a.stop({ release: true });
    expect(await createInstanceLeaseStore(second).read()).toMatchObject({ owner: null, epoch: 1 });
    await timers.advance(POLL);
    expect(eventsB).toEqual(['active:2']);
    expect(b.status()).toMatchObject({ role: 'active', epoch: 2, holder: B.owner });
    await b.stop({ release: false });
  });

  it('GIVEN a takeover WHEN the old term writes THEN every fenced write fails (claim, reclaim, posted tweet, published, requeued, failed, decide, first approval, new content, card id) and the new term succeeds', async () => {
    db = await openTempDatabase();
    second = await openSecondConnection(db);
    const storeA = createInstanceLeaseStore(db.dataSource);
    const termA = (await storeA.takeOver(await storeA.read(), A, T0, T0 + EXPIRY))!;
    const oldRepos = createRepositories(db.dataSource, logger, 'default', stuckFence(termA));
    const fenceA = { owner: `${A.owner}#1`, attemptId: 'attempt-a' };

    // Under term A: drafts to decide, and publications queued and publishing.
    const toDecide = await oldRepos.drafts.create(newTweetDraft('decide me'), T0);
    const toRevise = await oldRepos.drafts.create(newTweetDraft('revise me'), T0);
    const queued = await approved(oldRepos, 'claim me');
    const publishing = await approved(oldRepos, 'publishing under A');
    expect(await oldRepos.publications.claimForPublishing(publishing.id, fenceA.owner, fenceA.attemptId, T0, 60_000)).not.toBeNull();
    const failedLater = await approved(oldRepos, 'fail me');
    expect(await oldRepos.publications.claimForPublishing(failedLater.id, fenceA.owner, fenceA.attemptId, T0, 60_000)).not.toBeNull();

    // B takes over (A froze).
    const storeB = createInstanceLeaseStore(second);
    const termB = (await storeB.takeOver(await storeB.read(), B, T0 + EXPIRY, T0 + 2 * EXPIRY))!;
    expect(termB.epoch).toBe(2);
    const newRepos = createRepositories(second, logger, 'default', stuckFence(termB));

    // The old term writes nothing.
    const now = T0 + EXPIRY + 1;
    expect(await oldRepos.publications.claimForPublishing(queued.id, fenceA.owner, 'attempt-a2', now, 60_000)).toBeNull();
    expect(await oldRepos.publications.reclaimAbandonedPublishing(publishing.id, 'someone', 'x', now, 60_000)).toBeNull();
    expect(await oldRepos.publications.reclaimStalePublishing(publishing.id, fenceA.owner, 'x', now + 120_000, 60_000)).toBeNull();
    expect(await oldRepos.publications.renewLease(publishing.id, fenceA, now, 60_000)).toBe(false);
    expect(await oldRepos.publications.recordPostedTweet(publishing.id, fenceA, ['1850000000000000001'], now)).toBe(false);
    expect(await oldRepos.publications.markPublished(publishing.id, fenceA, { tweetIds: ['1850000000000000001'], dryRun: false, xCostUsd: 0 }, now)).toBe(
      false,
    );
    expect(await oldRepos.publications.requeue(publishing.id, fenceA, { notBefore: now + 1, reason: 'x' }, now)).toBe(false);
    expect(await oldRepos.publications.markFailed(failedLater.id, fenceA, { errorMessage: 'x', errorClass: 'invalid' }, now)).toBe(false);
    expect(await oldRepos.drafts.decide(toDecide.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, now)).toBe(false);
    expect(await oldRepos.drafts.decide(toDecide.id, 1, { to: 'expired', actor: alice, source: 'timeout' }, now)).toBe(false);
    expect(await oldRepos.drafts.recordFirstApproval(toRevise.id, 1, alice, now)).toBe(false);
    expect(await oldRepos.drafts.replaceContent(toRevise.id, 1, { ...newTweetDraft('new words'), editedBy: alice }, now)).toBeNull();
    await oldRepos.drafts.setModerationMessage(toDecide.id, '1200000000000000200', '1200000000000000999', now);
    expect(await newRepos.drafts.findById(toDecide.id)).toMatchObject({ status: 'pending', moderationMessageId: null });
    expect(await newRepos.drafts.findById(toRevise.id)).toMatchObject({ status: 'pending', revision: 1, firstApprovedBy: null });
    expect(await newRepos.drafts.findById(queued.id)).toMatchObject({ status: 'approved' });
    expect(await newRepos.drafts.findById(publishing.id)).toMatchObject({ status: 'publishing', postedTweetIds: [] });
    expect(await newRepos.drafts.findById(failedLater.id)).toMatchObject({ status: 'publishing' });

    // The new term's writes go through.
    const fenceB = { owner: `${B.owner}#2`, attemptId: 'attempt-b' };
    await newRepos.drafts.setModerationMessage(toDecide.id, '1200000000000000200', '1200000000000000998', now);
    expect(await newRepos.drafts.findById(toDecide.id)).toMatchObject({ moderationMessageId: '1200000000000000998' });
    expect(await newRepos.drafts.recordFirstApproval(toRevise.id, 1, alice, now)).toBe(true);
    expect(await newRepos.drafts.replaceContent(toRevise.id, 1, { ...newTweetDraft('new words'), editedBy: alice }, now)).toMatchObject({ revision: 2 });
    expect(await newRepos.drafts.decide(toDecide.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, now)).toBe(true);
    expect(await newRepos.publications.claimForPublishing(queued.id, fenceB.owner, fenceB.attemptId, now, 60_000)).not.toBeNull();
    expect(await newRepos.publications.reclaimAbandonedPublishing(publishing.id, fenceB.owner, fenceB.attemptId, now, 60_000)).not.toBeNull();
    expect(await newRepos.publications.recordPostedTweet(publishing.id, fenceB, ['1850000000000000001'], now)).toBe(true);
    expect(await newRepos.publications.markPublished(publishing.id, fenceB, { tweetIds: ['1850000000000000001'], dryRun: false, xCostUsd: 0 }, now)).toBe(true);
    expect(await newRepos.drafts.findById(publishing.id)).toMatchObject({ status: 'published', tweetId: '1850000000000000001' });
  });

  it('GIVEN fenced repositories on two connections under the current term WHEN 20 moderators decide one draft at once THEN exactly one decision wins', async () => {
    db = await openTempDatabase();
    second = await openSecondConnection(db);
    const store = createInstanceLeaseStore(db.dataSource);
    const fence = stuckFence(await store.takeOver(await store.read(), A, T0, T0 + EXPIRY));
    const repos = [createRepositories(db.dataSource, logger, 'default', fence), createRepositories(second, logger, 'default', fence)];
    const draft = await repos[0]!.drafts.create(newTweetDraft('one outcome'), T0);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        repos[i % 2]!.drafts.decide(
          draft.id,
          1,
          { to: i % 3 === 0 ? 'rejected' : 'approved', actor: { id: `1000000000000000${10 + i}`, name: `mod ${i}` }, source: 'moderator' },
          T0 + i,
        ),
      ),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const row = await db.dataSource
      .createQueryBuilder()
      .select('COUNT(*)', 'n')
      .from('publications', 'p')
      .where('p.draft_id = :id', { id: draft.id })
      .getRawOne<{ n: number }>();
    const decided = (await repos[1]!.drafts.findById(draft.id))!;
    expect(Number(row!.n)).toBe(decided.status === 'approved' ? 1 : 0);
  });

  it('GIVEN a fence with no term (standby, stepped down) THEN every fenced write fails, and an unfenced repository (the CLI) still writes', async () => {
    db = await openTempDatabase();
    const noTerm = createRepositories(db.dataSource, logger, 'default', stuckFence(null));
    const draft = await noTerm.drafts.create(newTweetDraft('standby'), T0);
    expect(await noTerm.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, T0)).toBe(false);
    expect(await db.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, T0)).toBe(true);
    expect(await noTerm.publications.claimForPublishing(draft.id, 'me#1', 'a', T0, 60_000)).toBeNull();
    expect(await db.repos.publications.claimForPublishing(draft.id, 'me#1', 'a', T0, 60_000)).not.toBeNull();
  });

  it('GIVEN a moderation service whose instance has no term WHEN a draft is generated THEN no card is sent (and none is counted as a Discord failure); with the term, the card goes out', async () => {
    db = await openTempDatabase();
    let term: InstanceTerm | null = null;
    const fence: InstanceFence = { current: () => term };
    const repos = createRepositories(db.dataSource, logger, 'default', fence);
    const posted: DraftCardView[] = [];
    const cards: DraftCardPort = {
      async postCard(view): Promise<CardLocation> {
        posted.push(view);
        return { channelId: '1200000000000000200', messageId: `90000000000000000${posted.length}` };
      },
      async updateCard() {},
      async alert() {},
    };
    const service = new ModerationService({
      ...repos,
      pipeline: {
        generateDraft: async () => ({
          status: 'created',
          draft: await repos.drafts.create(newTweetDraft('a card for the active one', { deadlineAt: null }), T0),
        }),
        regenerate: async () => ({ status: 'failed', reason: 'not scripted' }),
        applyEdit: async () => ({ status: 'failed', reason: 'not scripted' }),
      },
      publisher: { publishApprovedDraft: async (id) => repos.drafts.findById(id), retryFailed: async () => null },
      cards,
      clock: { now: () => T0 },
      logger,
      options: { timeoutAction: 'expire', moderationTimeoutMs: 3_600_000, requireSecondApproval: false, dryRun: true, caps: { maxPerHour: 2, maxPerDay: 12 } },
      fence,
    });
    const standby = await service.generateAndPostDraft({ trigger: 'schedule' });
    expect(standby).toMatchObject({ status: 'created', card: null });
    expect(posted).toEqual([]);
    expect((await service.cardHealth()).unposted.count).toBe(0);

    const store = createInstanceLeaseStore(db.dataSource);
    term = await store.takeOver(await store.read(), A, T0, T0 + EXPIRY);
    const active = await service.generateAndPostDraft({ trigger: 'schedule' });
    expect(active).toMatchObject({ status: 'created', card: { messageId: '900000000000000001' } });
    expect(posted).toHaveLength(1);
  });

  for (const [crash, recovered, note] of [
    ['after X accepted the POST, before it was recorded', 'already_on_x', 'Recovered after a restart: already on X'],
    ['before the POST', 'posted_now', 'Recovered after a restart: posted now'],
  ] as const) {
    it(`GIVEN a publication left publishing by a killed instance (crash ${crash}) with an UNEXPIRED lease WHEN the new active instance reconciles on start-up THEN it settles it at once, one tweet in all, and the card says "${note}"`, async () => {
      harness = await createPublishingHarness();
      const x = harness;
      const text = `crashed ${recovered}`;
      const draft = await x.approvedDraft([text]);
      const store = createInstanceLeaseStore(x.db.dataSource);
      const termA = (await store.takeOver(await store.read(), A, T0, T0 + EXPIRY))!;
      const reposA = createRepositories(x.db.dataSource, logger, 'default', stuckFence(termA));
      expect(await reposA.publications.claimForPublishing(draft.id, publishingOwnerOf(termA), 'attempt-a', T0, 300_000)).not.toBeNull();
      if (recovered === 'already_on_x') x.fake.seedTweet(text);

      // kill -9 of A; B (on A's host: its dead predecessor) takes over a second later, well within A's publish lease.
      x.clock.advance(1_000);
      const termB = (await store.takeOver(await store.read(), B, x.clock.now(), x.clock.now() + EXPIRY))!;
      const fence = stuckFence(termB);
      const reposB = createRepositories(x.db.dataSource, logger, 'default', fence);
      const service = x.service({ drafts: reposB.drafts, publications: reposB.publications, posts: reposB.posts, owner: publishingOwnerOf(termB), fence });

      const outcomes = await service.reconcileOnStartup();

      expect(outcomes.map((o) => o.kind)).toEqual(['published']);
      expect(x.fake.tweets.filter((t) => t.text === text)).toHaveLength(1);
      expect(x.postsOf(text)).toHaveLength(recovered === 'posted_now' ? 1 : 0);
      const settled = (await reposB.drafts.findById(draft.id))!;
      expect(settled).toMatchObject({ status: 'published', recovered, tweetId: x.fake.tweets[0]!.id });
      expect(statusLine(cardView(settled)).text).toContain(note);

      // A later start-up finds nothing left to settle.
      expect(await service.reconcileOnStartup()).toEqual([]);
      expect(x.fake.tweets.filter((t) => t.text === text)).toHaveLength(1);
      expect(await x.specProblems()).toEqual([]);
    });
  }

  it('GIVEN a publication under a live lease of the CURRENT term WHEN reconciling on start-up THEN it is left alone (it is ours and in flight)', async () => {
    harness = await createPublishingHarness();
    const x = harness;
    const draft = await x.approvedDraft(['ours in flight']);
    const store = createInstanceLeaseStore(x.db.dataSource);
    const term = (await store.takeOver(await store.read(), B, T0, T0 + EXPIRY))!;
    const fence = stuckFence(term);
    const repos = createRepositories(x.db.dataSource, logger, 'default', fence);
    const owner = publishingOwnerOf(term);
    expect(await repos.publications.claimForPublishing(draft.id, owner, 'attempt-1', T0, 300_000)).not.toBeNull();
    const service = x.service({ drafts: repos.drafts, publications: repos.publications, posts: repos.posts, owner, fence });
    expect(await service.reconcileOnStartup()).toEqual([]);
    expect(x.fake.tweets).toHaveLength(0);
    expect(await x.specProblems()).toEqual([]);
  });
});

async function approved(repos: Repositories, text: string): Promise<Draft> {
  const draft = await repos.drafts.create(newTweetDraft(text), T0);
  expect(await repos.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, T0)).toBe(true);
  return (await repos.drafts.findById(draft.id))!;
}

function cardView(draft: Draft): DraftCardView {
  return draftCardView(T0, draft);
}
