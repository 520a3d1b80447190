import { describe, expect, it } from 'vitest';
import { CARD_ACTIONS, decodeDraftCustomId, encodeDraftCustomId, MAX_CUSTOM_ID_LENGTH, MODAL_ACTIONS } from '../../src/domain/custom-id.js';

describe('draft custom_id codec', () => {
  it('GIVEN every action THEN encoding then decoding returns the same draft id and revision', () => {
    for (const action of [...CARD_ACTIONS, ...MODAL_ACTIONS]) {
      const id = encodeDraftCustomId({ action, draftId: 42, revision: 3 });
      expect(id).toBe(`dg1:${action}:42:3`);
      expect(decodeDraftCustomId(id)).toEqual({ action, draftId: 42, revision: 3 });
    }
  });

  it('GIVEN the largest ids the codec accepts THEN the custom_id stays within 100 characters', () => {
    const id = encodeDraftCustomId({ action: 'regenerate-modal', draftId: Number.MAX_SAFE_INTEGER, revision: 999_999_999 });
    expect(id.length).toBeLessThanOrEqual(MAX_CUSTOM_ID_LENGTH);
    expect(decodeDraftCustomId(id)).toEqual({ action: 'regenerate-modal', draftId: Number.MAX_SAFE_INTEGER, revision: 999_999_999 });
  });

  it('GIVEN a custom_id that is not ours (other bot, other version, unknown action, bad numbers) THEN decoding returns null', () => {
    for (const foreign of [
      'approve:1',
      'dg2:approve:1:1',
      'dg1:publish:1:1',
      'dg1:approve:0:1',
      'dg1:approve:1:0',
      'dg1:approve:x:1',
      'dg1:approve:1:1:extra',
      '',
    ]) {
      expect(decodeDraftCustomId(foreign), foreign).toBeNull();
    }
  });

  it('GIVEN an invalid draft id or revision THEN encoding throws instead of producing an id that cannot round-trip', () => {
    expect(() => encodeDraftCustomId({ action: 'approve', draftId: 0, revision: 1 })).toThrow(RangeError);
    expect(() => encodeDraftCustomId({ action: 'approve', draftId: 1, revision: 1.5 })).toThrow(RangeError);
    expect(() => encodeDraftCustomId({ action: 'approve', draftId: 1, revision: 1_000_000_000 })).toThrow(RangeError);
  });
});
