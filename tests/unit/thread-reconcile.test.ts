import { describe, expect, it } from 'vitest';
import { findPostedContinuation, normaliseForTimelineMatch } from '../../src/domain/thread-reconcile.js';

const root = (id: string, text: string) => ({ id, text, conversationId: id });
const reply = (id: string, text: string, rootId: string) => ({ id, text, conversationId: rootId });

describe('thread reconciliation', () => {
  it('GIVEN X escaped the text and wrapped links in t.co THEN it still matches our text', () => {
    expect(normaliseForTimelineMatch('Fees & curves on https://t.co/AbC123 <3')).toBe(normaliseForTimelineMatch('Fees &amp; curves on Pump.fun &lt;3'));
    expect(normaliseForTimelineMatch('a  b\n c')).toBe('a b c');
    expect(normaliseForTimelineMatch('one')).not.toBe(normaliseForTimelineMatch('two'));
  });

  it('GIVEN nothing on the timeline THEN nothing is found and posting starts from the first tweet', () => {
    expect(findPostedContinuation(['a', 'b'], [], [root('5', 'other')])).toEqual([]);
  });

  it('GIVEN a crash after the whole thread went out THEN every tweet is found in order', () => {
    const timeline = [reply('12', 'c', '10'), reply('11', 'b', '10'), root('10', 'a'), root('9', 'unrelated')];
    expect(findPostedContinuation(['a', 'b', 'c'], [], timeline)).toEqual(['10', '11', '12']);
  });

  it('GIVEN ids already stored THEN the search resumes after them and stops at the first missing tweet', () => {
    const timeline = [reply('11', 'b', '10'), root('10', 'a')];
    expect(findPostedContinuation(['a', 'b', 'c'], ['10'], timeline)).toEqual(['11']);
    expect(findPostedContinuation(['a', 'b', 'c'], ['10', '11'], timeline)).toEqual([]);
  });

  it('GIVEN the same text as a reply elsewhere or before the previous tweet THEN it is not taken for ours', () => {
    // Root text exists only as a reply in someone else's conversation: not our root.
    expect(findPostedContinuation(['a'], [], [reply('20', 'a', '3')])).toEqual([]);
    // Tweet 2 text exists in our conversation but older than tweet 1: cannot be ours.
    expect(findPostedContinuation(['a', 'b'], ['10'], [reply('9', 'b', '10')])).toEqual([]);
    // In another conversation: not ours.
    expect(findPostedContinuation(['a', 'b'], ['10'], [reply('11', 'b', '99')])).toEqual([]);
  });

  it('GIVEN a thread all done THEN nothing more is searched', () => {
    expect(findPostedContinuation(['a'], ['10'], [root('10', 'a')])).toEqual([]);
  });

  it('GIVEN a root posted with images, whose timeline text X ends with the media t.co link WHEN reconciling THEN it is found as ours', () => {
    // X's v2 `text` of a post with media ends with the media's t.co link; without this the retry after a lost answer posts again.
    expect(findPostedContinuation(['gm chart', 'b'], [], [root('10', 'gm chart https://t.co/MeDiA123')], { rootHasMedia: true })).toEqual(['10']);
    expect(findPostedContinuation(['see https://example.com'], [], [root('10', 'see https://t.co/aaa https://t.co/MeDiA123')], { rootHasMedia: true })).toEqual(
      ['10'],
    );
    // Without images the link is part of the text: a different post.
    expect(findPostedContinuation(['gm chart'], [], [root('10', 'gm chart https://t.co/MeDiA123')])).toEqual([]);
  });
});
