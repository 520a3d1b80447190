import { describe, expect, it } from 'vitest';
import { DryRunTarget } from '../../src/adapters/dry-run/dry-run-target.js';
import { appKeyFingerprint, mergeAppBucket } from '../../src/adapters/twitter/x-publish-target.js';
import { dryRunTweetId, isDryRunTweetId } from '../../src/domain/draft.js';
import type { TargetPublication } from '../../src/services/ports.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const publication = (tweets: readonly string[], postedIds: readonly string[] = [], draftId = 42): TargetPublication => ({ draftId, tweets, postedIds });

describe('dry-run publish target (issue 11 §2)', () => {
  it("GIVEN a thread WHEN published THEN it reports today's dryrun ids one by one, each after its beforePost, and returns them all", async () => {
    const target = new DryRunTarget('news');
    const events: string[] = [];
    const ids = await target.publish(publication(['one', 'two', 'three']), {
      beforePost: async (i) => void events.push(`before ${i}`),
      onPosted: async (id, i) => void events.push(`posted ${i} ${id}`),
    });
    expect(ids).toEqual(['dryrun-42-1', 'dryrun-42-2', 'dryrun-42-3']);
    expect(ids).toEqual([0, 1, 2].map((i) => dryRunTweetId(42, i)));
    expect(ids.every(isDryRunTweetId)).toBe(true);
    expect(events).toEqual(['before 0', 'posted 0 dryrun-42-1', 'before 1', 'posted 1 dryrun-42-2', 'before 2', 'posted 2 dryrun-42-3']);
  });

  it('GIVEN ids already stored WHEN published THEN it resumes after them', async () => {
    const reported: Array<[string, number]> = [];
    const ids = await new DryRunTarget('default').publish(publication(['a', 'b', 'c'], ['dryrun-42-1']), {
      onPosted: async (id, i) => void reported.push([id, i]),
    });
    expect(ids).toEqual(['dryrun-42-1', 'dryrun-42-2', 'dryrun-42-3']);
    expect(reported).toEqual([
      ['dryrun-42-2', 1],
      ['dryrun-42-3', 2],
    ]);
  });

  it('GIVEN a hook that throws THEN the error surfaces unchanged and no further id is handed out', async () => {
    const lost = new Error('lease lost');
    const reported: string[] = [];
    const error = await new DryRunTarget('default')
      .publish(publication(['a', 'b']), {
        beforePost: async (i) => {
          if (i === 1) throw lost;
        },
        onPosted: async (id) => void reported.push(id),
      })
      .catch((e: unknown) => e);
    expect(error).toBe(lost);
    expect(reported).toEqual(['dryrun-42-1']);
  });

  it('GIVEN the dry run THEN it costs 0, is never rate-limited, has an empty timeline, no remote account, and says so in its identity', async () => {
    const target = new DryRunTarget('news');
    expect(target.identity).toEqual({ accountId: 'news', network: 'dry-run', dryRun: true });
    expect(target.costUsd()).toBe(0);
    expect(await target.rateLimitWindow(1_000, T0)).toEqual({ allowedAt: T0, reason: null });
    expect(await target.rateLimitState()).toEqual({});
    expect(await target.findPosted()).toEqual([]);
    expect(await target.verify()).toBeNull();
    expect(target.classifyError(new Error('disk full'))).toMatchObject({ errorClass: 'transient', maybePosted: false, resetAt: undefined, recognised: false });
  });
});

describe("X's shared per-app bucket (issue 11 §2)", () => {
  it('GIVEN two observations of the app bucket THEN a later window wins, and within one window the lower remaining wins (answers arrive out of order)', () => {
    const window1 = { limit: 10, remaining: 5, resetAt: T0 };
    expect(mergeAppBucket(null, window1)).toEqual(window1);
    expect(mergeAppBucket(window1, undefined)).toEqual(window1);
    expect(mergeAppBucket(window1, { ...window1, remaining: 7 })).toEqual(window1);
    expect(mergeAppBucket(window1, { ...window1, remaining: 3 })).toEqual({ ...window1, remaining: 3 });
    expect(mergeAppBucket(window1, { limit: 10, remaining: 9, resetAt: T0 + 1 })).toEqual({ limit: 10, remaining: 9, resetAt: T0 + 1 });
    expect(mergeAppBucket({ limit: 10, remaining: 9, resetAt: T0 + 1 }, window1)).toEqual({ limit: 10, remaining: 9, resetAt: T0 + 1 });
  });

  it('GIVEN an app key THEN its fingerprint is 12 hex digits of its SHA-256, stable, and differs between keys', () => {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(appKeyFingerprint('abc')).toBe('ba7816bf8f01');
    expect(appKeyFingerprint('key-one')).not.toBe(appKeyFingerprint('key-two'));
  });
});
