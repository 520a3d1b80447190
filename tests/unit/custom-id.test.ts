import { describe, expect, it } from 'vitest';
import {
  CARD_ACTIONS,
  decodeDraftCustomId,
  decodeQueueCustomId,
  decodeQueueTarget,
  encodeDraftCustomId,
  encodeQueueCustomId,
  encodeQueueTarget,
  MAX_CUSTOM_ID_LENGTH,
  MAX_QUEUE_PAGE,
  MODAL_ACTIONS,
  QUEUE_ACTIONS,
} from '../../src/domain/custom-id.js';

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

describe('calendar card actions', () => {
  it("GIVEN the scheduled card's buttons and the Reschedule form THEN they round-trip in the dg1 format, and the older ids still decode the same", () => {
    for (const action of ['publish-now', 'reschedule', 'unschedule', 'reschedule-modal'] as const) {
      expect(encodeDraftCustomId({ action, draftId: 7, revision: 2 })).toBe(`dg1:${action}:7:2`);
      expect(decodeDraftCustomId(`dg1:${action}:7:2`)).toEqual({ action, draftId: 7, revision: 2 });
    }
    // A card posted before the calendar existed still works.
    expect(decodeDraftCustomId('dg1:approve:12:1')).toEqual({ action: 'approve', draftId: 12, revision: 1 });
    expect(decodeDraftCustomId('dg1:reject-modal:12:1')).toEqual({ action: 'reject-modal', draftId: 12, revision: 1 });
  });
});

describe('/queue custom_id codec', () => {
  const SLOT = Date.UTC(2026, 11, 3, 8, 0);

  it('GIVEN every /queue action THEN it round-trips with its account, page, draft and the slot seen', () => {
    for (const action of QUEUE_ACTIONS) {
      const needsTarget = action !== 'page' && action !== 'pick';
      const value = { action, accountId: 'acme-news', page: 3, ...(needsTarget ? { target: { draftId: 41, scheduledFor: SLOT } } : {}) };
      const id = encodeQueueCustomId(value);
      expect(id.startsWith('dgq1:')).toBe(true);
      expect(decodeQueueCustomId(id)).toEqual(value);
      // Never a card's id: the card router must not take it.
      expect(decodeDraftCustomId(id)).toBeNull();
    }
    expect(encodeQueueCustomId({ action: 'now', accountId: 'default', page: 0, target: { draftId: 5, scheduledFor: null } })).toBe('dgq1:now:default:0:5:-');
    expect(decodeQueueCustomId('dgq1:now:default:0:5:-')?.target).toEqual({ draftId: 5, scheduledFor: null });
  });

  it('GIVEN the longest account id, page, draft id and slot THEN the custom_id stays within 100 characters', () => {
    const id = encodeQueueCustomId({
      action: 'unschedule',
      accountId: 'a'.repeat(32),
      page: MAX_QUEUE_PAGE,
      target: { draftId: Number.MAX_SAFE_INTEGER, scheduledFor: 9_999_999_999_999 },
    });
    expect(id.length).toBeLessThanOrEqual(MAX_CUSTOM_ID_LENGTH);
    expect(decodeQueueCustomId(id)?.target?.draftId).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("GIVEN ids that are not /queue's or malformed THEN decoding returns null, and encoding refuses what could not round-trip", () => {
    for (const foreign of [
      'dg1:approve:1:1',
      'dgq2:page:default:0',
      'dgq1:zap:default:0',
      'dgq1:page:Default:0',
      'dgq1:page:default:0:5:-',
      'dgq1:now:default:0',
      'dgq1:now:default:0:0:-',
      'dgq1:now:default:0:5:x',
      'dgq1:page:default:12345',
      '',
    ]) {
      expect(decodeQueueCustomId(foreign), foreign).toBeNull();
    }
    expect(() => encodeQueueCustomId({ action: 'now', accountId: 'default', page: 0 })).toThrow(RangeError);
    expect(() => encodeQueueCustomId({ action: 'page', accountId: 'default', page: MAX_QUEUE_PAGE + 1 })).toThrow(RangeError);
    expect(() => encodeQueueCustomId({ action: 'page', accountId: 'Bad Id', page: 0 })).toThrow(RangeError);
  });

  it('GIVEN a select option value THEN the draft and slot round-trip, and junk is null', () => {
    expect(decodeQueueTarget(encodeQueueTarget({ draftId: 9, scheduledFor: SLOT }))).toEqual({ draftId: 9, scheduledFor: SLOT });
    expect(decodeQueueTarget(encodeQueueTarget({ draftId: 9, scheduledFor: null }))).toEqual({ draftId: 9, scheduledFor: null });
    expect(decodeQueueTarget('9')).toBeNull();
    expect(decodeQueueTarget('0:-')).toBeNull();
    expect(decodeQueueTarget('9:-:1')).toBeNull();
  });
});
