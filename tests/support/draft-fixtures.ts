import { computeFingerprint } from '../../src/domain/duplicates.js';
import { ZERO_USAGE } from '../../src/domain/generation.js';
import { detectRiskFlags } from '../../src/domain/risk-flags.js';
import type { NewDraft } from '../../src/services/ports.js';

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
