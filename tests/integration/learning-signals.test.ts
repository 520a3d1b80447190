import { afterEach, describe, expect, it } from 'vitest';
import { createRepositories, type Repositories } from '../../src/db/index.js';
import { queryRows } from '../../src/db/sql.js';
import { computeFingerprint } from '../../src/domain/duplicates.js';
import { ZERO_USAGE } from '../../src/domain/generation.js';
import { DAY_MS, HOUR_MS } from '../../src/domain/rate-limits.js';
import type { Actor } from '../../src/domain/draft.js';
import type { FeedbackSignal } from '../../src/domain/learning.js';
import type { RiskFlag } from '../../src/domain/risk-flags.js';
import { EngagementService } from '../../src/services/engagement-service.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { createPublishingHarness, type PublishingHarness } from '../support/publishing-harness.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

const alice: Actor = { id: '1200000000000000501', name: 'alice' };
const bob: Actor = { id: '1200000000000000502', name: 'bob' };
const deadline: Actor = { id: 'timeout', name: 'timeout' };

let db: TempDatabase | undefined;
let h: PublishingHarness | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
  if (!h) return;
  const problems = await h.specProblems();
  await h.close();
  h = undefined;
  expect(problems).toEqual([]);
});

/** A moderator's Edit, as DraftPipeline.applyEdit writes it (editedBy, no feedback). */
function edit(repos: Repositories, id: number, revision: number, tweets: string[], now: number, by: Actor = bob, riskFlags: RiskFlag[] = []) {
  const fingerprint = computeFingerprint(tweets);
  return repos.drafts.replaceContent(
    id,
    revision,
    {
      kind: 'tweet',
      tweets,
      contentHash: fingerprint.contentHash,
      bandKeys: fingerprint.bandKeys,
      riskFlags,
      sanitiserChanges: [],
      deadlineAt: now + HOUR_MS,
      editedBy: by,
    },
    now,
  );
}

/** A Regenerate, as DraftPipeline.regenerate writes it (feedback, possibly null; no editedBy). */
function regenerate(repos: Repositories, id: number, revision: number, tweets: string[], feedback: string | null, now: number) {
  const fingerprint = computeFingerprint(tweets);
  return repos.drafts.replaceContent(
    id,
    revision,
    {
      kind: 'tweet',
      tweets,
      contentHash: fingerprint.contentHash,
      bandKeys: fingerprint.bandKeys,
      riskFlags: [],
      sanitiserChanges: [],
      deadlineAt: now + HOUR_MS,
      additionalUsage: ZERO_USAGE,
      model: 'claude-test',
      feedback,
    },
    now,
  );
}

const approve = (repos: Repositories, id: number, revision: number, now: number) =>
  repos.drafts.decide(id, revision, { to: 'approved', actor: alice, source: 'moderator' }, now);

async function feedbackRows(repos: Repositories): Promise<Array<Record<string, unknown>>> {
  return queryRows(
    (db as TempDatabase).dataSource,
    `SELECT draft_id AS "draftId", kind, text, before_tweets AS "before", after_tweets AS "after", revision, actor_id AS "actorId" FROM feedback_signals WHERE account_id = :accountId ORDER BY id`,
    { accountId: repos.accountId },
  ).then((rows) => rows.map((r) => ({ ...r, draftId: Number(r['draftId']), revision: r['revision'] === null ? null : Number(r['revision']) })));
}

describe('learning signals: decisions', () => {
  it('GIVEN a draft approved as Claude wrote it WHEN decided THEN one signal says approved, with its tweets, no flags and the decision time', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(
      newTweetDraft('Know the bonding curve before you buy.', { topicName: 'education', contentType: 'education' }),
      1_000,
    );
    expect(await db.repos.learning.findByDraft(draft.id)).toBeNull();
    expect(await approve(db.repos, draft.id, 1, 2_000)).toBe(true);
    expect(await db.repos.learning.findByDraft(draft.id)).toEqual({
      draftId: draft.id,
      topicId: null,
      topicName: 'education',
      contentType: 'education',
      decision: 'approved',
      decidedAt: 2_000,
      rejectReason: null,
      hadRiskFlags: false,
      tweets: ['Know the bonding curve before you buy.'],
      publishedAt: null,
      dryRun: false,
      engagement24h: null,
      engagement7d: null,
      pin: null,
    });
  });

  it('GIVEN a moderator edit WHEN the draft is approved THEN approved_after_edit, and the edit is recorded with the tweets before and after', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('Original words!!'), 1_000);
    expect(await edit(db.repos, draft.id, 1, ['Original words'], 1_500)).not.toBeNull();
    expect(await approve(db.repos, draft.id, 2, 2_000)).toBe(true);
    expect(await db.repos.learning.findByDraft(draft.id)).toMatchObject({ decision: 'approved_after_edit', tweets: ['Original words'] });
    expect(await feedbackRows(db.repos)).toEqual([
      { draftId: draft.id, kind: 'edit', text: null, before: '["Original words!!"]', after: '["Original words"]', revision: 2, actorId: bob.id },
    ]);
  });

  it("GIVEN an edit, then a Regenerate, WHEN approved THEN approved (the text is Claude's again), and both are recorded in order", async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('First words'), 1_000);
    await edit(db.repos, draft.id, 1, ['Edited words'], 1_100);
    await regenerate(db.repos, draft.id, 2, ['Claude again'], 'shorter please', 1_200);
    expect(await approve(db.repos, draft.id, 3, 2_000)).toBe(true);
    expect(await db.repos.learning.findByDraft(draft.id)).toMatchObject({ decision: 'approved', tweets: ['Claude again'] });
    expect((await feedbackRows(db.repos)).map((r) => [r['kind'], r['text'], r['revision']])).toEqual([
      ['edit', null, 2],
      ['regenerate', 'shorter please', 3],
    ]);
  });

  it('GIVEN a Regenerate, then an edit, WHEN approved THEN approved_after_edit', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('First words'), 1_000);
    await regenerate(db.repos, draft.id, 1, ['Claude again'], null, 1_100);
    await edit(db.repos, draft.id, 2, ['Moderator words'], 1_200);
    await approve(db.repos, draft.id, 3, 2_000);
    expect((await db.repos.learning.findByDraft(draft.id))?.decision).toBe('approved_after_edit');
  });

  it('GIVEN an edit that changes only the images (same words) WHEN approved THEN approved, and no edit is recorded', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('Same words'), 1_000);
    await edit(db.repos, draft.id, 1, ['Same words'], 1_100);
    await approve(db.repos, draft.id, 2, 2_000);
    expect((await db.repos.learning.findByDraft(draft.id))?.decision).toBe('approved');
    expect(await feedbackRows(db.repos)).toEqual([]);
  });

  it('GIVEN rejections with and without a reason THEN both are rejected signals, and only the reason is feedback', async () => {
    db = await openTempDatabase();
    const a = await db.repos.drafts.create(newTweetDraft('Draft a'), 1_000);
    const b = await db.repos.drafts.create(newTweetDraft('Draft b'), 1_000);
    await db.repos.drafts.decide(a.id, 1, { to: 'rejected', actor: alice, source: 'moderator', reason: 'too salesy' }, 2_000);
    await db.repos.drafts.decide(b.id, 1, { to: 'rejected', actor: alice, source: 'moderator', reason: '   ' }, 2_100);
    expect(await db.repos.learning.findByDraft(a.id)).toMatchObject({ decision: 'rejected', rejectReason: 'too salesy', decidedAt: 2_000 });
    expect(await db.repos.learning.findByDraft(b.id)).toMatchObject({ decision: 'rejected', rejectReason: null });
    expect(await feedbackRows(db.repos)).toEqual([
      { draftId: a.id, kind: 'reject', text: 'too salesy', before: null, after: null, revision: 1, actorId: alice.id },
    ]);
  });

  it('GIVEN the deadline WHEN it publishes or expires drafts THEN published_by_timeout and expired', async () => {
    db = await openTempDatabase();
    const a = await db.repos.drafts.create(newTweetDraft('Draft a'), 1_000);
    const b = await db.repos.drafts.create(newTweetDraft('Draft b'), 1_000);
    await db.repos.drafts.decide(a.id, 1, { to: 'approved', actor: deadline, source: 'timeout' }, 2_000);
    await db.repos.drafts.decide(b.id, 1, { to: 'expired', actor: deadline, source: 'timeout' }, 2_000);
    expect((await db.repos.learning.findByDraft(a.id))?.decision).toBe('published_by_timeout');
    expect((await db.repos.learning.findByDraft(b.id))?.decision).toBe('expired');
    expect(await feedbackRows(db.repos)).toEqual([]);
  });

  it('GIVEN an approved draft WHEN Unschedule sends it back and it is decided again THEN its one signal is replaced by the new decision', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('Draft a'), 1_000);
    await approve(db.repos, draft.id, 1, 2_000);
    expect(await db.repos.publicationCalendar.unschedule(draft.id, null, 10_000, 3_000)).toBe(true);
    expect(await db.repos.drafts.decide(draft.id, 1, { to: 'rejected', actor: bob, source: 'moderator', reason: 'not now' }, 4_000)).toBe(true);
    expect(await db.repos.learning.decisions({ since: null, limit: 10 })).toEqual([
      expect.objectContaining({ draftId: draft.id, decision: 'rejected', rejectReason: 'not now', decidedAt: 4_000 }),
    ]);
  });

  it('GIVEN a stale revision or a lost decision THEN nothing is recorded', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('Draft a'), 1_000);
    expect(await edit(db.repos, draft.id, 7, ['Stale edit'], 1_100)).toBeNull();
    expect(await regenerate(db.repos, draft.id, 7, ['Stale regen'], 'stale', 1_100)).toBeNull();
    expect(await approve(db.repos, draft.id, 7, 1_200)).toBe(false);
    expect(await db.repos.drafts.decide(draft.id, 1, { to: 'rejected', actor: alice, source: 'moderator', reason: 'first' }, 1_300)).toBe(true);
    // Lost: the draft is no longer pending.
    expect(await db.repos.drafts.decide(draft.id, 1, { to: 'rejected', actor: bob, source: 'moderator', reason: 'second' }, 1_400)).toBe(false);
    expect(await approve(db.repos, draft.id, 1, 1_500)).toBe(false);
    expect(await db.repos.learning.decisions({ since: null, limit: 10 })).toEqual([expect.objectContaining({ rejectReason: 'first', decidedAt: 1_300 })]);
    expect((await feedbackRows(db.repos)).map((r) => r['text'])).toEqual(['first']);
  });

  it('GIVEN decisions at different times WHEN read since a reset THEN only those at or after it, newest first, at most the limit', async () => {
    db = await openTempDatabase();
    const ids: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const draft = await db.repos.drafts.create(newTweetDraft(`Draft ${i}`), 1_000);
      await approve(db.repos, draft.id, 1, 2_000 + i * 100);
      ids.push(draft.id);
    }
    expect((await db.repos.learning.decisions({ since: 2_100, limit: 10 })).map((s) => s.draftId)).toEqual([ids[3], ids[2], ids[1]]);
    expect((await db.repos.learning.decisions({ since: null, limit: 2 })).map((s) => s.draftId)).toEqual([ids[3], ids[2]]);
  });
});

describe('learning signals: feedback', () => {
  it('GIVEN reject reasons and Regenerate feedback (some empty) and edits WHEN read after an id THEN only the texts, oldest first, from the cursor on', async () => {
    db = await openTempDatabase();
    const a = await db.repos.drafts.create(newTweetDraft('Draft a'), 1_000);
    const b = await db.repos.drafts.create(newTweetDraft('Draft b'), 1_000);
    await regenerate(db.repos, a.id, 1, ['Draft a2'], 'no emojis', 1_100);
    await regenerate(db.repos, a.id, 2, ['Draft a3'], null, 1_200);
    await edit(db.repos, a.id, 3, ['Draft a4'], 1_300);
    await db.repos.drafts.decide(b.id, 1, { to: 'rejected', actor: alice, source: 'moderator', reason: 'off topic' }, 1_400);
    const all = await db.repos.learning.feedbackAfter(0, 10);
    expect(all.map((f) => [f.kind, f.text, f.draftId, f.createdAt])).toEqual([
      ['regenerate', 'no emojis', a.id, 1_100],
      ['reject', 'off topic', b.id, 1_400],
    ]);
    expect(all[0]).toMatchObject<Partial<FeedbackSignal>>({ before: null, after: null, topicName: 'education', contentType: 'education' });
    expect((await db.repos.learning.feedbackAfter(all[0]!.id, 10)).map((f) => f.text)).toEqual(['off topic']);
    expect((await db.repos.learning.feedbackAfter(0, 1)).map((f) => f.text)).toEqual(['no emojis']);
    // The empty Regenerate is kept (it made the text Claude's again), only not read as text.
    expect((await feedbackRows(db.repos)).map((r) => r['kind'])).toEqual(['regenerate', 'regenerate', 'edit', 'reject']);
  });
});

describe('learning signals: publishing and engagement', () => {
  it('GIVEN approved drafts WHEN the publishing service publishes them (on X and in dry run) THEN their signals get the publication time and dry run', async () => {
    const x = (h = await createPublishingHarness());
    const live = await x.approvedDraft(['live one']);
    const dry = await x.approvedDraft(['dry one']);
    x.clock.advance(5_000);
    await x.service().publishApprovedDraft(live.id);
    await x.service({ config: { dryRun: true } }).publishApprovedDraft(dry.id);
    const published = await x.db.repos.drafts.findById(live.id);
    expect(published?.status).toBe('published');
    expect(await x.db.repos.learning.findByDraft(live.id)).toMatchObject({ publishedAt: published?.publishedAt, dryRun: false });
    expect(published?.publishedAt).toBe(x.clock.now());
    expect(await x.db.repos.learning.findByDraft(dry.id)).toMatchObject({ publishedAt: x.clock.now(), dryRun: true });
  });

  it('GIVEN published drafts WHEN the engagement refresh runs over days THEN the 24-hour and 7-day figures are taken once each, a thread summed over its tweets, dry runs never', async () => {
    const x = (h = await createPublishingHarness());
    const thread = await x.approvedDraft(['edu 1/2', 'edu 2/2']);
    const dry = await x.approvedDraft(['dry one']);
    await x.service().publishApprovedDraft(thread.id);
    await x.service({ config: { dryRun: true } }).publishApprovedDraft(dry.id);
    const [root, reply] = x.fake.tweets;
    const engagement = new EngagementService({
      posts: x.db.repos.posts,
      topics: x.db.repos.topics,
      settings: x.db.repos.settings,
      learning: x.db.repos.learning,
      publisher: x.publisher,
      clock: x.clock,
      logger: createSilentLogger(),
      config: { engagementWindowDays: 30 },
    });
    const figures = async () => {
      const s = await x.db.repos.learning.findByDraft(thread.id);
      return [s?.engagement24h, s?.engagement7d];
    };
    x.fake.setMetrics(root!.id, { like_count: 3, retweet_count: 1, reply_count: 0, quote_count: 0, impression_count: 100 });
    x.fake.setMetrics(reply!.id, { like_count: 2, retweet_count: 0, reply_count: 1, quote_count: 1, impression_count: 100 });
    x.clock.advance(DAY_MS - 1);
    expect((await engagement.refresh()).snapshotsTaken).toBe(0);
    expect(await figures()).toEqual([null, null]);
    x.clock.advance(1);
    expect((await engagement.refresh()).snapshotsTaken).toBe(1);
    expect(await figures()).toEqual([8, null]);
    // Later metrics move the 7-day figure, never the 24-hour one already taken.
    x.fake.setMetrics(root!.id, { like_count: 30, retweet_count: 1, reply_count: 0, quote_count: 0, impression_count: 900 });
    x.clock.advance(DAY_MS);
    expect((await engagement.refresh()).snapshotsTaken).toBe(0);
    expect(await figures()).toEqual([8, null]);
    x.clock.advance(5 * DAY_MS);
    expect((await engagement.refresh()).snapshotsTaken).toBe(1);
    expect(await figures()).toEqual([8, 35]);
    expect(await x.db.repos.learning.snapshotEngagement(x.clock.now() + 30 * DAY_MS)).toBe(0);
    expect(await x.db.repos.learning.findByDraft(dry.id)).toMatchObject({ dryRun: true, engagement24h: null, engagement7d: null });
  });
});

describe('learning signals: engagement never measured', () => {
  it('GIVEN a published draft whose tweets X never measured (the refresh was rate-limited or not run) WHEN its 24 hours pass THEN no figure of 0 is taken; once measured THEN the real one is', async () => {
    const x = (h = await createPublishingHarness());
    const draft = await x.approvedDraft(['measured late']);
    await x.service().publishApprovedDraft(draft.id);
    x.fake.setMetrics(x.fake.tweets[0]!.id, { like_count: 7, retweet_count: 2, reply_count: 0, quote_count: 0, impression_count: 50 });
    x.clock.advance(DAY_MS + HOUR_MS);
    expect(await x.db.repos.learning.snapshotEngagement(x.clock.now())).toBe(0);
    expect(await x.db.repos.learning.findByDraft(draft.id)).toMatchObject({ engagement24h: null, engagement7d: null });
    const engagement = new EngagementService({
      posts: x.db.repos.posts,
      topics: x.db.repos.topics,
      settings: x.db.repos.settings,
      learning: x.db.repos.learning,
      publisher: x.publisher,
      clock: x.clock,
      logger: createSilentLogger(),
      config: { engagementWindowDays: 30 },
    });
    expect((await engagement.refresh()).snapshotsTaken).toBe(1);
    expect(await x.db.repos.learning.findByDraft(draft.id)).toMatchObject({ engagement24h: 9, engagement7d: null });
  });
});

describe('learning signals: examples, edit pairs, pins, per account', () => {
  /** A decided draft of `repos`, published at `publishedAt` (null: not published), straight through the repositories. */
  async function decided(
    repos: Repositories,
    text: string,
    options: { publishedAt?: number | null; edits?: string[][]; flagged?: boolean; dryRun?: boolean; reject?: boolean } = {},
  ): Promise<number> {
    const flags: RiskFlag[] = options.flagged ? [{ id: 'mentions_price', label: 'mentions a price' }] : [];
    const draft = await repos.drafts.create(newTweetDraft(text, { riskFlags: flags }), 1_000);
    let revision = 1;
    for (const tweets of options.edits ?? []) {
      const revised = await edit(repos, draft.id, revision, tweets, 1_100 + revision, bob, flags);
      revision = revised!.revision;
    }
    if (options.reject) {
      await repos.drafts.decide(draft.id, revision, { to: 'rejected', actor: alice, source: 'moderator', reason: 'no' }, 2_000);
      return draft.id;
    }
    await approve(repos, draft.id, revision, 2_000);
    const publishedAt = options.publishedAt ?? null;
    if (publishedAt !== null) {
      const claimed = await repos.publications.claimForPublishing(draft.id, 'owner', `attempt-${draft.id}`, publishedAt - 1, 60_000);
      expect(claimed).not.toBeNull();
      const ok = await repos.publications.markPublished(
        draft.id,
        { owner: 'owner', attemptId: `attempt-${draft.id}` },
        { tweetIds: [], dryRun: options.dryRun ?? false, xCostUsd: 0 },
        publishedAt,
      );
      expect(ok).toBe(true);
    }
    return draft.id;
  }

  it('GIVEN published, unpublished, flagged and pinned drafts WHEN example candidates are read THEN published unflagged ones newest first, never pinned out, and every pinned in', async () => {
    db = await openTempDatabase();
    const r = db.repos;
    const old = await decided(r, 'old published', { publishedAt: 10_000 });
    const middle = await decided(r, 'middle published', { publishedAt: 20_000, dryRun: true });
    const newest = await decided(r, 'newest published', { publishedAt: 30_000 });
    const outed = await decided(r, 'pinned out', { publishedAt: 40_000 });
    await decided(r, 'flagged', { publishedAt: 50_000, flagged: true });
    await decided(r, 'approved, not published');
    await decided(r, 'rejected', { reject: true });
    expect(await r.learning.setPin(outed, 'out', 60_000)).toBe(true);
    expect((await r.learning.exampleCandidates(10)).map((s) => s.draftId)).toEqual([newest, middle, old]);
    // A pinned-in draft is there whatever its age, beyond the limit.
    expect(await r.learning.setPin(old, 'in', 61_000)).toBe(true);
    expect((await r.learning.exampleCandidates(1)).map((s) => s.draftId)).toEqual([old, newest]);
    expect((await r.learning.pinned()).map((s) => [s.draftId, s.pin])).toEqual([
      [old, 'in'],
      [outed, 'out'],
    ]);
    expect(await r.learning.setPin(outed, null, 62_000)).toBe(true);
    expect((await r.learning.pinned()).map((s) => s.draftId)).toEqual([old]);
    expect((await r.learning.exampleCandidates(10)).map((s) => s.draftId)).toEqual([old, outed, newest, middle]);
  });

  it("GIVEN edited drafts WHEN edit pairs are read THEN one per published, unflagged, edited draft: its first edit's before -> the published text, newest first", async () => {
    db = await openTempDatabase();
    const r = db.repos;
    const twice = await decided(r, 'Claude wrote this!!', { publishedAt: 10_000, edits: [['Moderator one'], ['Moderator two']] });
    const once = await decided(r, 'Claude again!!', { publishedAt: 20_000, edits: [['Moderator fix']] });
    await decided(r, 'Edited, never published', { edits: [['Not out']] });
    await decided(r, 'Edited, flagged', { publishedAt: 30_000, edits: [['Flagged out']], flagged: true });
    await decided(r, 'Published as is', { publishedAt: 40_000 });
    expect(await r.learning.editPairs(10)).toEqual([
      { draftId: once, topicName: 'education', before: ['Claude again!!'], after: ['Moderator fix'], editedAt: 1_101 },
      { draftId: twice, topicName: 'education', before: ['Claude wrote this!!'], after: ['Moderator two'], editedAt: 1_101 },
    ]);
    expect((await r.learning.editPairs(1)).map((p) => p.draftId)).toEqual([once]);
  });

  it("GIVEN an edit, then a Regenerate, then an edit WHEN the draft is published THEN its pair's before is the text the last edit changed (Claude's regenerated one), not the first edit's", async () => {
    db = await openTempDatabase();
    const r = db.repos;
    const draft = await r.drafts.create(newTweetDraft('Claude first!!'), 1_000);
    expect(await edit(r, draft.id, 1, ['Moderator first'], 1_100)).not.toBeNull();
    expect(await regenerate(r, draft.id, 2, ['Claude regenerated!!'], 'try again', 1_200)).not.toBeNull();
    expect(await edit(r, draft.id, 3, ['Moderator final'], 1_300)).not.toBeNull();
    expect(await approve(r, draft.id, 4, 2_000)).toBe(true);
    expect(await r.publications.claimForPublishing(draft.id, 'owner', 'attempt', 9_999, 60_000)).not.toBeNull();
    expect(await r.publications.markPublished(draft.id, { owner: 'owner', attemptId: 'attempt' }, { tweetIds: [], dryRun: false, xCostUsd: 0 }, 10_000)).toBe(
      true,
    );
    expect(await r.learning.editPairs(10)).toEqual([
      { draftId: draft.id, topicName: 'education', before: ['Claude regenerated!!'], after: ['Moderator final'], editedAt: 1_300 },
    ]);
  });

  it("GIVEN two accounts WHEN each reads THEN it sees only its own signals, and cannot pin the other's drafts", async () => {
    db = await openTempDatabase();
    const news = createRepositories(db.dataSource, undefined, 'news' as Repositories['accountId']);
    const mine = await decided(db.repos, 'Default draft', { publishedAt: 10_000, edits: [['Default edit']] });
    const theirs = await decided(news, 'News draft', { publishedAt: 10_000, edits: [['News edit']] });
    const rejected = await news.drafts.create(newTweetDraft('News rejected'), 1_000);
    await news.drafts.decide(rejected.id, 1, { to: 'rejected', actor: alice, source: 'moderator', reason: 'news reason' }, 3_000);
    await regenerate(db.repos, (await db.repos.drafts.create(newTweetDraft('Default pending'), 1_000)).id, 1, ['Default regen'], 'default feedback', 3_100);

    expect((await db.repos.learning.decisions({ since: null, limit: 10 })).map((s) => s.draftId)).toEqual([mine]);
    expect((await news.learning.decisions({ since: null, limit: 10 })).map((s) => s.draftId).sort()).toEqual([theirs, rejected.id].sort());
    expect(await db.repos.learning.findByDraft(theirs)).toBeNull();
    expect((await db.repos.learning.exampleCandidates(10)).map((s) => s.draftId)).toEqual([mine]);
    expect((await db.repos.learning.editPairs(10)).map((p) => p.draftId)).toEqual([mine]);
    expect((await news.learning.editPairs(10)).map((p) => p.draftId)).toEqual([theirs]);
    expect((await db.repos.learning.feedbackAfter(0, 10)).map((f) => f.text)).toEqual(['default feedback']);
    expect((await news.learning.feedbackAfter(0, 10)).map((f) => f.text)).toEqual(['news reason']);
    expect(await db.repos.learning.setPin(theirs, 'in', 5_000)).toBe(false);
    expect(await db.repos.learning.setPin(999_999, 'in', 5_000)).toBe(false);
    expect(await news.learning.pinned()).toEqual([]);
    expect(await db.repos.learning.pinned()).toEqual([]);
  });
});

describe('learning signals: migration backfill', () => {
  it('GIVEN a database with decided drafts and an audit log from before LearningSignals WHEN the migration runs THEN every decided draft and the reject reasons and Regenerate feedback are there as the live writes record them, and down drops the tables', async () => {
    db = await openTempDatabase();
    const r = db.repos;
    const audit = (draftId: number, revision: number, action: string, outcome: string, detail: string | null, at: number) =>
      r.moderationEvents.record({ draftId, revision, actor: alice, action, outcome, detail }, at);
    const asIs = await r.drafts.create(newTweetDraft('As is'), 1_000);
    await approve(r, asIs.id, 1, 2_000);
    const edited = await r.drafts.create(newTweetDraft('Before edit'), 1_000);
    await edit(r, edited.id, 1, ['After edit'], 1_500);
    await audit(edited.id, 1, 'edit', 'revised', 'revision 2', 1_500);
    await approve(r, edited.id, 2, 2_100);
    const editedThenRegenerated = await r.drafts.create(newTweetDraft('Before edit 2'), 1_000);
    await edit(r, editedThenRegenerated.id, 1, ['After edit 2'], 1_600);
    await audit(editedThenRegenerated.id, 1, 'edit', 'revised', 'revision 2', 1_600);
    await regenerate(r, editedThenRegenerated.id, 2, ['Claude 3'], 'more facts', 1_700);
    await audit(editedThenRegenerated.id, 2, 'regenerate', 'revised', 'more facts', 1_700);
    await audit(editedThenRegenerated.id, 3, 'regenerate', 'failed', 'not this one', 1_750);
    await approve(r, editedThenRegenerated.id, 3, 2_200);
    const rejected = await r.drafts.create(newTweetDraft('Rejected'), 1_000);
    await r.drafts.decide(rejected.id, 1, { to: 'rejected', actor: alice, source: 'moderator', reason: 'too long' }, 2_300);
    const byTimeout = await r.drafts.create(newTweetDraft('By timeout', { riskFlags: [{ id: 'names_token', label: 'names a token' }] }), 1_000);
    await r.drafts.decide(byTimeout.id, 1, { to: 'approved', actor: deadline, source: 'timeout' }, 2_400);
    const expired = await r.drafts.create(newTweetDraft('Expired'), 1_000);
    await r.drafts.decide(expired.id, 1, { to: 'expired', actor: deadline, source: 'timeout' }, 2_500);
    await r.drafts.create(newTweetDraft('Still pending'), 1_000);
    // Published in dry run, and published on X.
    for (const [draftId, dryRun, at] of [
      [asIs.id, true, 3_000],
      [edited.id, false, 3_100],
    ] as const) {
      await r.publications.claimForPublishing(draftId, 'owner', `a-${draftId}`, at - 1, 60_000);
      await r.publications.markPublished(draftId, { owner: 'owner', attemptId: `a-${draftId}` }, { tweetIds: [], dryRun, xCostUsd: 0 }, at);
    }
    const live = await r.learning.decisions({ since: null, limit: 100 });
    const liveFeedback = (await r.learning.feedbackAfter(0, 100)).map(({ id: _id, ...rest }) => rest);
    expect(live.map((s) => [s.draftId, s.decision])).toEqual([
      [expired.id, 'expired'],
      [byTimeout.id, 'published_by_timeout'],
      [rejected.id, 'rejected'],
      [editedThenRegenerated.id, 'approved'],
      [edited.id, 'approved_after_edit'],
      [asIs.id, 'approved'],
    ]);

    await db.dataSource.undoLastMigration(); // StatsRecentDraftsIndex
    await db.dataSource.undoLastMigration(); // StatsMonthlyRollups

    await db.dataSource.undoLastMigration(); // StatsLearningIndex
    await db.dataSource.undoLastMigration(); // LearningSignals: the database as the previous version left it
    await expect(db.dataSource.query(`SELECT COUNT(*) AS n FROM draft_signals`)).rejects.toThrow();
    await expect(db.dataSource.query(`SELECT COUNT(*) AS n FROM feedback_signals`)).rejects.toThrow();
    expect((await db.dataSource.runMigrations()).map((m) => m.name)).toEqual([
      'LearningSignals1796083206000',
      'StatsLearningIndex1796083207000',
      'StatsMonthlyRollups1796083208000',
      'StatsRecentDraftsIndex1796083209000',
    ]);

    expect(await r.learning.decisions({ since: null, limit: 100 })).toEqual(live);
    expect((await r.learning.feedbackAfter(0, 100)).map(({ id: _id, ...rest }) => rest)).toEqual(liveFeedback);
    expect(liveFeedback.map((f) => f.text)).toEqual(['more facts', 'too long']);
    expect(live.find((s) => s.draftId === byTimeout.id)?.hadRiskFlags).toBe(true);
    expect(live.find((s) => s.draftId === asIs.id)).toMatchObject({ publishedAt: 3_000, dryRun: true });
  });
});
