import { describe, expect, it } from 'vitest';
import { renderVoice } from '../../commands/voice.js';
import { discordLimitViolations } from '../../src/adapters/discord/draft-card.js';
import { MAX_AVOID_NOTE_CHARS, MAX_AVOID_NOTES, type DraftSignal } from '../../src/domain/learning.js';
import type { VoiceView } from '../../src/services/learning-contract.js';

function signal(draftId: number, pin: DraftSignal['pin'] = null): DraftSignal {
  return {
    draftId,
    topicId: draftId,
    topicName: `a rather long topic name number ${draftId} about bonding curves`,
    contentType: 'education',
    decision: 'approved',
    decidedAt: 1,
    rejectReason: null,
    hadRiskFlags: false,
    tweets: ['x'.repeat(280)],
    publishedAt: 2,
    dryRun: false,
    engagement24h: 1_234,
    engagement7d: 5_678,
    pin,
  };
}

/** Everything at its largest: a long voice, 8 notes of the longest length, 12 examples, many edit pairs and pins. */
const FULL: VoiceView = {
  voice: 'v'.repeat(3_000),
  voiceIsBuiltIn: false,
  learningEnabled: true,
  notesCondensedAt: Date.UTC(2026, 10, 25, 4, 35),
  learned: {
    text: 'block',
    builtAt: Date.UTC(2026, 10, 25, 5),
    examples: Array.from({ length: 12 }, (_, i) => signal(100_000 + i, i === 0 ? 'in' : null)),
    editPairs: Array.from({ length: 12 }, (_, i) => ({
      draftId: 200_000 + i,
      topicName: 'education',
      before: ['b'.repeat(280), 'c'.repeat(280)],
      after: ['a'.repeat(280)],
      editedAt: 1,
    })),
    avoidNotes: Array.from({ length: MAX_AVOID_NOTES }, (_, i) => ({ id: `n${1000 + i}`, text: '*'.repeat(MAX_AVOID_NOTE_CHARS), createdAt: 1 })),
  },
  notes: Array.from({ length: MAX_AVOID_NOTES }, (_, i) => ({ id: `n${1000 + i}`, text: '*'.repeat(MAX_AVOID_NOTE_CHARS), createdAt: 1 })),
  pinned: Array.from({ length: 60 }, (_, i) => signal(300_000 + i, i % 2 === 0 ? 'in' : 'out')),
};

describe('/voice show embed', () => {
  it("GIVEN everything learned at its largest (markdown escaped, so notes grow) THEN the embed stays within Discord's limits and says how many more there are", () => {
    const json = renderVoice(FULL, 'Voice · acme (@acme)').toJSON();
    expect(discordLimitViolations({ embeds: [json] })).toEqual([]);
    const fields = json.fields ?? [];
    expect(fields.find((f) => f.name === 'Pinned (60)')?.value).toMatch(/…and \d+ more$/);
    expect(json.description).toContain('`n1000`');
    // Learning off lists the kept notes instead of the block's: the same budget holds.
    expect(discordLimitViolations({ embeds: [renderVoice({ ...FULL, learningEnabled: false }, 'Voice · acme (@acme)').toJSON()] })).toEqual([]);
  });

  it('GIVEN nothing learned yet and learning off THEN it says so instead of empty lists', () => {
    const json = renderVoice(
      {
        voice: 'Plain.',
        voiceIsBuiltIn: true,
        learningEnabled: false,
        notesCondensedAt: null,
        learned: { text: '', builtAt: null, examples: [], editPairs: [], avoidNotes: [] },
        notes: [],
        pinned: [],
      },
      'Voice',
    ).toJSON();
    expect(json.description).toContain('**Learning** off');
    expect(json.description).toContain('(never condensed)');
    expect(json.fields?.map((f) => f.value)).toEqual(['None yet: published drafts without risk flags become examples.', 'None yet.', 'None.']);
  });

  it('GIVEN learning off and avoid notes kept from before THEN they are listed with their ids as kept but not used (the ones /voice forget offers), not "None yet"', () => {
    const json = renderVoice(
      {
        voice: 'Plain.',
        voiceIsBuiltIn: true,
        learningEnabled: false,
        notesCondensedAt: 1,
        learned: { text: '', builtAt: null, examples: [], editPairs: [], avoidNotes: [] },
        notes: [{ id: 'n4', text: 'Avoid price talk @everyone', createdAt: 1 }],
        pinned: [],
      },
      'Voice',
    ).toJSON();
    expect(json.description).toContain('**Learning** off');
    expect(json.description).toContain('not used while learning is off');
    expect(json.description).toContain('`n4` Avoid price talk @\u200beveryone');
    expect(json.description).not.toContain('None yet');
  });
});
