import { ComponentType, TextInputStyle } from 'discord.js';
import { describe, expect, it } from 'vitest';
import {
  buildEditModal,
  buildRegenerateModal,
  buildRejectModal,
  buildRescheduleModal,
  RESCHEDULE_FIELD,
  editFieldGroups,
  FEEDBACK_MAX_LENGTH,
  readEditedTweets,
} from '../../src/adapters/discord/draft-modals.js';
import type { Draft } from '../../src/domain/draft.js';

const draft = (tweets: string[], overrides: Partial<Draft> = {}) =>
  ({ id: 7, revision: 2, kind: tweets.length > 1 ? 'thread' : 'tweet', tweets, ...overrides }) as Draft;

type LabelJson = {
  type: number;
  label: string;
  description?: string;
  component: { custom_id: string; style: number; value?: string; required?: boolean; max_length?: number };
};

describe('draft modals', () => {
  it('GIVEN Regenerate and Reject THEN each modal carries the draft id and revision and one optional paragraph field', () => {
    const regenerate = buildRegenerateModal(7, 2);
    expect(regenerate.custom_id).toBe('dg1:regenerate-modal:7:2');
    const [feedback] = regenerate.components as unknown as LabelJson[];
    expect(feedback).toMatchObject({
      type: ComponentType.Label,
      component: { custom_id: 'feedback', style: TextInputStyle.Paragraph, required: false, max_length: FEEDBACK_MAX_LENGTH },
    });
    const reject = buildRejectModal(7, 2);
    expect(reject.custom_id).toBe('dg1:reject-modal:7:2');
    expect((reject.components as unknown as LabelJson[])[0]?.component).toMatchObject({ custom_id: 'reason', required: false });
  });

  it('GIVEN a single tweet THEN the Edit modal has one required field prefilled with it', () => {
    const modal = buildEditModal(draft(['gm pump.fun']));
    expect(modal.custom_id).toBe('dg1:edit-modal:7:2');
    const fields = modal.components as unknown as LabelJson[];
    expect(fields).toHaveLength(1);
    expect(fields[0]).toMatchObject({ label: 'Tweet', component: { custom_id: 'tweet-1', value: 'gm pump.fun', required: true } });
  });

  it("GIVEN a six-tweet thread THEN Discord's five-input limit is kept: tweets 5 and 6 share the last field with a --- line", () => {
    const tweets = ['one', 'two', 'three', 'four', 'five', 'six'];
    expect(editFieldGroups(tweets).map((g) => g.tweets)).toEqual([['one'], ['two'], ['three'], ['four'], ['five', 'six']]);
    const fields = buildEditModal(draft(tweets)).components as unknown as LabelJson[];
    expect(fields).toHaveLength(5);
    expect(fields.map((f) => f.label)).toEqual(['Tweet 1 of 6', 'Tweet 2 of 6', 'Tweet 3 of 6', 'Tweet 4 of 6', 'Tweets 5-6 of 6']);
    expect(fields[4]?.description).toContain('---');
    expect(fields[4]?.component.value).toBe('five\n---\nsix');
    // Reading the form back gives the six tweets again.
    expect(
      readEditedTweets(
        'thread',
        fields.map((f) => f.component.value ?? ''),
      ),
    ).toEqual(tweets);
  });

  it('GIVEN edited thread fields THEN --- lines split tweets, cleared fields drop theirs, and a single tweet is taken as typed', () => {
    expect(readEditedTweets('thread', ['a\n---\nb', '', '  c  ', 'd\n ---- \n\ne'])).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(readEditedTweets('thread', ['multi\nline tweet', 'x---y'])).toEqual(['multi\nline tweet', 'x---y']);
    expect(readEditedTweets('tweet', ['first line\n---\nstill the same tweet'])).toEqual(['first line\n---\nstill the same tweet']);
  });
});

describe('the Edit form gives back the draft unchanged', () => {
  it("GIVEN a six-tweet thread whose tweets 5 and 6 together exceed Discord's 4,000 characters per field WHEN the Edit form is built THEN it is refused with the reason instead of silently cutting tweet 6", () => {
    const long = (n: number) => `${n}/ Read it first: https://pump.fun/coin/${'c'.repeat(2_500)}`;
    const tweets = [1, 2, 3, 4, 5, 6].map(long);
    expect(() => buildEditModal(draft(tweets))).toThrow(/cannot be edited in Discord's form/);
  });

  it('GIVEN a thread whose tweets round-trip through the form THEN the form is built and reads back exactly the draft', () => {
    const tweets = ['1/ a', '2/ b\n--- not a separator', '3/ c', '4/ d', '5/ e', '6/ f'];
    const fields = buildEditModal(draft(tweets)).components as unknown as LabelJson[];
    expect(
      readEditedTweets(
        'thread',
        fields.map((f) => f.component.value ?? ''),
      ),
    ).toEqual(tweets);
  });
});

describe('the Reschedule modal', () => {
  it("GIVEN a scheduled draft THEN the form carries its id and revision and one short required field that says what it takes, in the account's zone", () => {
    const modal = buildRescheduleModal(7, 2, 'Europe/Berlin');
    expect(modal.custom_id).toBe('dg1:reschedule-modal:7:2');
    expect(modal.title).toBe('Reschedule draft #7');
    const inputs = modal.components as unknown as LabelJson[];
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatchObject({
      type: ComponentType.Label,
      label: 'New time, or next',
      description: 'a date and time (YYYY-MM-DD HH:MM, HH:MM, tomorrow HH:MM) in Europe/Berlin, or next',
      component: { custom_id: RESCHEDULE_FIELD, style: TextInputStyle.Short, required: true },
    });
  });

  it("GIVEN the longest zone name and draft id THEN Discord's limits hold (title 45, label 45, description 100, placeholder 100)", () => {
    const modal = buildRescheduleModal(Number.MAX_SAFE_INTEGER, 999_999_999, 'America/Argentina/ComodRivadavia');
    expect(modal.title.length).toBeLessThanOrEqual(45);
    const [input] = modal.components as unknown as Array<LabelJson & { component: { placeholder?: string } }>;
    expect(input?.label.length).toBeLessThanOrEqual(45);
    expect(input?.description?.length).toBeLessThanOrEqual(100);
    expect(input?.description).toContain('America/Argentina/ComodRivadavia, or next');
    expect(input?.component.placeholder?.length ?? 0).toBeLessThanOrEqual(100);
  });
});
