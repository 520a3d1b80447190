import { afterEach, describe, expect, it } from 'vitest';
import { createAllAccountsMedia, createRepositories } from '../../src/db/index.js';
import type { Actor } from '../../src/domain/draft.js';
import type { DraftMedia, MediaUpload } from '../../src/domain/media.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

const DAY = 24 * 60 * 60 * 1000;
const alice: Actor = { id: 'u1', name: 'alice' };
const hash = (c: string) => c.repeat(64);

function image(position: number, sha: string, extra: Partial<DraftMedia> = {}): DraftMedia {
  return {
    position,
    sha256: sha,
    mimeType: 'image/png',
    bytes: 1000 + position,
    width: 640,
    height: 480,
    altText: `image ${position}`,
    altSource: 'moderator',
    findings: [],
    ...extra,
  };
}

/** Counts the statements that read the media table while `run` runs. */
async function mediaReads<T>(db: TempDatabase, run: () => Promise<T>): Promise<{ result: T; reads: number }> {
  const logger = db.dataSource.logger;
  const original = logger.logQuery.bind(logger);
  let reads = 0;
  logger.logQuery = (query, parameters, runner) => {
    if (/FROM media\b/i.test(query)) reads += 1;
    return original(query, parameters, runner);
  };
  try {
    return { result: await run(), reads };
  } finally {
    logger.logQuery = original;
  }
}

function textFields(draft: { tweets: readonly string[]; revision: number }) {
  return { tweets: draft.tweets, revision: draft.revision };
}

describe('media store (issue 14)', () => {
  let db: TempDatabase;
  afterEach(async () => {
    await db?.close();
  });

  it('GIVEN a new draft with images WHEN it is created and read back THEN every read returns its images in post order, and a text-only draft has none', async () => {
    db = await openTempDatabase();
    const created = await db.repos.drafts.create(
      newTweetDraft('Chart of the week', { media: [image(1, hash('b'), { findings: ['shows a wallet address'] }), image(0, hash('a'))] }),
      10,
    );
    expect(created.media?.map((m) => m.sha256)).toEqual([hash('a'), hash('b')]);
    const plain = await db.repos.drafts.create(newTweetDraft('Just words'), 11);
    expect(plain.media).toEqual([]);

    const found = await db.repos.drafts.findById(created.id);
    expect(found?.media).toEqual([image(0, hash('a')), image(1, hash('b'), { findings: ['shows a wallet address'] })]);
    expect(found?.mediaUploads).toEqual([]);
    const pending = await db.repos.drafts.findByStatuses(['pending']);
    expect(pending.map((d) => d.media?.length)).toEqual([2, 0]);
  });

  it('GIVEN several drafts with images WHEN a list is read THEN their images come from ONE batched query, not one per draft', async () => {
    db = await openTempDatabase();
    for (let i = 0; i < 5; i += 1) await db.repos.drafts.create(newTweetDraft(`Draft number ${i}`, { media: [image(0, hash(String(i)))] }), i);
    const { result, reads } = await mediaReads(db, () => db.repos.drafts.findByStatuses(['pending']));
    expect(result.map((d) => d.media?.[0]?.sha256)).toEqual(['0', '1', '2', '3', '4'].map(hash));
    expect(reads).toBe(1);
    for (const draft of result) await db.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 100);
    const due = await mediaReads(db, () => db.repos.publications.findDueForPublishing(200, 10));
    expect(due.result).toHaveLength(5);
    expect(due.result.every((d) => d.media?.length === 1)).toBe(true);
    expect(due.reads).toBe(1);
    const upcoming = await mediaReads(db, () => db.repos.publicationCalendar.findUpcoming(0, 10));
    expect(upcoming.result.items.every((d) => d.media?.length === 1)).toBe(true);
    expect(upcoming.reads).toBe(1);
  });

  it('GIVEN a pending draft with images WHEN its content is replaced THEN images present replace the set, absent keep it, and a stale revision changes nothing (images included)', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('First words', { media: [image(0, hash('a')), image(1, hash('b'))] }), 10);
    const revised = (text: string, media?: DraftMedia[]) => {
      const base = newTweetDraft(text);
      return { ...base, ...(media ? { media } : {}) };
    };

    // Regenerate: no media given, the images stay.
    const kept = await db.repos.drafts.replaceContent(draft.id, 1, revised('Second words'), 20);
    expect(kept && textFields(kept)).toEqual({ tweets: ['Second words'], revision: 2 });
    expect(kept?.media?.map((m) => m.sha256)).toEqual([hash('a'), hash('b')]);

    // Edit: one removed, an alt text changed, in the same revision as the words.
    const edited = await db.repos.drafts.replaceContent(draft.id, 2, revised('Third words', [image(0, hash('b'), { altText: 'new alt' })]), 30);
    expect(edited?.revision).toBe(3);
    expect(edited?.media).toEqual([image(0, hash('b'), { altText: 'new alt' })]);

    // A stale revision: neither the words nor the images move.
    expect(await db.repos.drafts.replaceContent(draft.id, 2, revised('Stale words', [image(0, hash('c'))]), 40)).toBeNull();
    const after = await db.repos.drafts.findById(draft.id);
    expect(after && textFields(after)).toEqual({ tweets: ['Third words'], revision: 3 });
    expect(after?.media).toEqual([image(0, hash('b'), { altText: 'new alt' })]);

    // All images removed.
    const none = await db.repos.drafts.replaceContent(draft.id, 3, revised('Fourth words', []), 50);
    expect(none?.media).toEqual([]);
    expect(Number((await db.dataSource.query(`SELECT COUNT(*) AS n FROM media`))[0].n)).toBe(0);
  });

  it('GIVEN a publishing draft with images WHEN uploads are recorded THEN only the fenced attempt writes, an entry replaces the one at its position, and every read carries them', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('With two images', { media: [image(0, hash('a')), image(1, hash('b'))] }), 0);
    await db.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 1);
    const claimed = await db.repos.publications.claimForPublishing(draft.id, 'me', 'a1', 2, 60_000);
    expect(claimed?.media).toHaveLength(2);
    expect(claimed?.mediaUploads).toEqual([]);

    const first: MediaUpload = { position: 1, sha256: hash('b'), mediaId: '111', uploadedAt: 3, altTextApplied: false };
    expect(await db.repos.publications.recordMediaUpload(draft.id, { owner: 'someone-else', attemptId: 'a1' }, first, 3)).toBe(false);
    expect(await db.repos.publications.recordMediaUpload(draft.id, { owner: 'me', attemptId: 'old' }, first, 3)).toBe(false);
    expect(await db.repos.publications.recordMediaUpload(draft.id, { owner: 'me', attemptId: 'a1' }, first, 3)).toBe(true);
    const zero: MediaUpload = { position: 0, sha256: hash('a'), mediaId: '100', uploadedAt: 4, altTextApplied: true };
    expect(await db.repos.publications.recordMediaUpload(draft.id, { owner: 'me', attemptId: 'a1' }, zero, 4)).toBe(true);
    const again = { ...first, altTextApplied: true, uploadedAt: 5 };
    expect(await db.repos.publications.recordMediaUpload(draft.id, { owner: 'me', attemptId: 'a1' }, again, 5)).toBe(true);

    expect((await db.repos.drafts.findById(draft.id))?.mediaUploads).toEqual([zero, again]);
    expect((await db.repos.publications.findPublishing())[0]?.mediaUploads).toEqual([zero, again]);
    // A card re-render follows: the draft's updated_at moved with the write, as every publication write does.
    expect((await db.repos.drafts.findById(draft.id))?.updatedAt).toBe(5);

    // Fenced on the instance lease as well: an instance without a term writes nothing.
    const deposed = createRepositories(db.dataSource, createSilentLogger(), 'default', { current: () => null });
    expect(await deposed.publications.recordMediaUpload(draft.id, { owner: 'me', attemptId: 'a1' }, { ...zero, mediaId: '999' }, 6)).toBe(false);
    expect((await db.repos.drafts.findById(draft.id))?.mediaUploads?.[0]?.mediaId).toBe('100');

    // Not publishing any more: nothing is written.
    await db.repos.publications.markPublished(draft.id, { owner: 'me', attemptId: 'a1' }, { tweetIds: ['t1'], dryRun: false, xCostUsd: 0 }, 7);
    expect(await db.repos.publications.recordMediaUpload(draft.id, { owner: 'me', attemptId: 'a1' }, { ...zero, mediaId: '999' }, 8)).toBe(false);
  });

  it('GIVEN stored uploads WHEN X refused their ids and they are forgotten THEN only the fenced attempt clears them, on both fences', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('Forget me', { media: [image(0, hash('a')), image(1, hash('b'))] }), 0);
    await db.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 1);
    await db.repos.publications.claimForPublishing(draft.id, 'me', 'a1', 2, 60_000);
    const fence = { owner: 'me', attemptId: 'a1' };
    const zero: MediaUpload = { position: 0, sha256: hash('a'), mediaId: '100', uploadedAt: 3, altTextApplied: true };
    const one: MediaUpload = { position: 1, sha256: hash('b'), mediaId: '101', uploadedAt: 3, altTextApplied: true };
    await db.repos.publications.recordMediaUpload(draft.id, fence, zero, 3);
    await db.repos.publications.recordMediaUpload(draft.id, fence, one, 3);

    expect(await db.repos.publications.forgetMediaUploads(draft.id, { owner: 'someone-else', attemptId: 'a1' }, 4)).toBe(false);
    expect(await db.repos.publications.forgetMediaUploads(draft.id, { owner: 'me', attemptId: 'old' }, 4)).toBe(false);
    const deposed = createRepositories(db.dataSource, createSilentLogger(), 'default', { current: () => null });
    expect(await deposed.publications.forgetMediaUploads(draft.id, fence, 4)).toBe(false);
    expect((await db.repos.drafts.findById(draft.id))?.mediaUploads).toEqual([zero, one]);

    expect(await db.repos.publications.forgetMediaUploads(draft.id, fence, 5)).toBe(true);
    expect((await db.repos.drafts.findById(draft.id))?.mediaUploads).toEqual([]);
    expect((await db.repos.publications.findPublishing())[0]?.mediaUploads).toEqual([]);
    expect((await db.repos.drafts.findById(draft.id))?.updatedAt).toBe(5);
    // Uploading again after the forget starts a fresh list.
    expect(await db.repos.publications.recordMediaUpload(draft.id, fence, { ...zero, mediaId: '200', uploadedAt: 6 }, 6)).toBe(true);
    expect((await db.repos.drafts.findById(draft.id))?.mediaUploads).toEqual([{ ...zero, mediaId: '200', uploadedAt: 6 }]);
  });

  it('GIVEN an upload recorded before a requeue WHEN the retry finds and claims the draft THEN the upload comes with it, to be re-used', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('Retry with an image', { media: [image(0, hash('a'))] }), 0);
    await db.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 1);
    await db.repos.publications.claimForPublishing(draft.id, 'me', 'a1', 2, 60_000);
    const upload: MediaUpload = { position: 0, sha256: hash('a'), mediaId: '555', uploadedAt: 3, altTextApplied: true };
    expect(await db.repos.publications.recordMediaUpload(draft.id, { owner: 'me', attemptId: 'a1' }, upload, 3)).toBe(true);
    expect(await db.repos.publications.requeue(draft.id, { owner: 'me', attemptId: 'a1' }, { notBefore: 10, reason: 'transient' }, 4)).toBe(true);
    const [due] = await db.repos.publications.findDueForPublishing(10, 5);
    expect(due?.mediaUploads).toEqual([upload]);
    expect(due?.media).toEqual([image(0, hash('a'))]);
    const reclaimed = await db.repos.publications.claimForPublishing(draft.id, 'me', 'a2', 11, 60_000);
    expect(reclaimed?.mediaUploads).toEqual([upload]);
  });

  it('GIVEN a draft with images WHEN the draft row is deleted THEN its media rows go with it (ON DELETE CASCADE)', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newTweetDraft('Deleted with its images', { media: [image(0, hash('a')), image(1, hash('b'))] }), 0);
    const count = async () => Number((await db.dataSource.query(`SELECT COUNT(*) AS n FROM media`))[0].n);
    expect(await count()).toBe(2);
    await db.dataSource.query(`DELETE FROM drafts WHERE id = ${Number(draft.id)}`);
    expect(await count()).toBe(0);
  });

  it('GIVEN drafts in every state WHEN the hashes in use are asked THEN open drafts and drafts final since the cutoff keep theirs, older final drafts do not', async () => {
    db = await openTempDatabase();
    const now = 100 * DAY;
    const since = now - 30 * DAY;
    const make = async (text: string, sha: string, at: number) => db.repos.drafts.create(newTweetDraft(text, { media: [image(0, sha)] }), at);

    await make('pending draft words', hash('1'), 0);
    const rejectedOld = await make('rejected long ago', hash('2'), 0);
    await db.repos.drafts.decide(rejectedOld.id, 1, { to: 'rejected', actor: alice, source: 'moderator' }, since - 1);
    const rejectedNew = await make('rejected lately', hash('3'), 0);
    await db.repos.drafts.decide(rejectedNew.id, 1, { to: 'rejected', actor: alice, source: 'moderator' }, since + 1);
    const queued = await make('approved and queued', hash('4'), 0);
    await db.repos.drafts.decide(queued.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 1);
    const publishedOld = await make('published long ago', hash('5'), 0);
    await db.repos.drafts.decide(publishedOld.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 1);
    await db.repos.publications.claimForPublishing(publishedOld.id, 'me', 'a', 2, 60_000);
    await db.repos.publications.markPublished(publishedOld.id, { owner: 'me', attemptId: 'a' }, { tweetIds: ['t'], dryRun: false, xCostUsd: 0 }, since - DAY);
    // The same file on an old final draft and an open one: still in use.
    const sharedOld = await make('shared, old', hash('6'), 0);
    await db.repos.drafts.decide(sharedOld.id, 1, { to: 'expired', actor: alice, source: 'timeout' }, 5);
    await make('shared, open', hash('6'), 0);
    const failed = await make('failed publication', hash('7'), 0);
    await db.repos.drafts.decide(failed.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 1);
    await db.repos.publications.claimForPublishing(failed.id, 'me', 'f', 2, 60_000);
    await db.repos.publications.markFailed(failed.id, { owner: 'me', attemptId: 'f' }, { errorMessage: 'no', errorClass: 'invalid' }, 3);

    const inUse = await createAllAccountsMedia(db.dataSource).hashesInUse(since);
    expect([...inUse].sort()).toEqual(['1', '3', '4', '6', '7'].map(hash));
    // Per account: another account's repositories see none of these drafts.
    expect(await createRepositories(db.dataSource, createSilentLogger(), 'other').media.hashesInUse(since)).toEqual(new Set());
    expect((await db.repos.media.hashesInUse(since)).size).toBe(5);
  });
});
