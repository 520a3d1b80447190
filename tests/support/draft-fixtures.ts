import { computeFingerprint } from '../../src/domain/duplicates.js';
import { ZERO_USAGE } from '../../src/domain/generation.js';
import { detectRiskFlags } from '../../src/domain/risk-flags.js';
import type { Draft } from '../../src/domain/draft.js';
import type { DraftCardView, NewDraft } from '../../src/services/ports.js';

/**
 * A valid, fingerprinted single-tweet draft as the pipeline would store it, without calling a
 * model: for tests and benches that need pending drafts (and their cards) quickly.
 */
export function newTweetDraft(text: string, overrides: Partial<NewDraft> = {}): NewDraft {
  const fingerprint = computeFingerprint([text]);
  return {
    topicId: null,
    topicName: 'education',
    contentType: 'education',
    kind: 'tweet',
    tweets: [text],
    contentHash: fingerprint.contentHash,
    bandKeys: fingerprint.bandKeys,
    riskFlags: detectRiskFlags([text]),
    sanitiserChanges: [],
    model: 'claude-test',
    usage: ZERO_USAGE,
    generationAttempts: 1,
    deadlineAt: null,
    ...overrides,
  };
}

/**
 * A draft card view as the moderation service builds it, for card rendering tests: a pending
 * single tweet (draft #12) with a budget; override any draft field or view field.
 */
export function draftCardView(now: number, draft: Partial<Draft> = {}, extra: Partial<DraftCardView> = {}): DraftCardView {
  return {
    draft: {
      id: 12,
      accountId: 'default',
      topicId: 3,
      topicName: 'education',
      contentType: 'education',
      kind: 'tweet',
      tweets: ['Know the bonding curve before you buy.'],
      revision: 1,
      status: 'pending',
      riskFlags: [],
      sanitiserChanges: [],
      deadlineAt: now + 7_200_000,
      firstApprovedBy: null,
      decidedBy: null,
      decidedAt: null,
      rejectReason: null,
      editedBy: null,
      feedback: null,
      notBefore: null,
      queueReason: null,
      tweetId: null,
      publishedAt: null,
      dryRun: false,
      errorMessage: null,
      errorClass: null,
      moderationChannelId: null,
      moderationMessageId: null,
      updatedAt: now,
      ...draft,
    } as Draft,
    account: { id: 'default', handle: null },
    budget: { usedThisHour: 1, usedToday: 5, maxPerHour: 2, maxPerDay: 12 },
    timeoutAction: 'expire',
    dryRun: false,
    needsSecondApproval: false,
    now,
    ...extra,
  };
}
