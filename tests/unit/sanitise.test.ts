import { describe, expect, it } from 'vitest';
import { sanitiseContent } from '../../src/domain/sanitise.js';

const sanitise = (tweets: string[], maxHashtags = 2) => sanitiseContent(tweets, { maxHashtags });

describe('sanitiseContent', () => {
  it('GIVEN clean tweets THEN they come back unchanged with no changes', () => {
    const tweets = ['1/ Launching?\nRead this first.', '2/ Check the holders 👨‍👩‍👧 #Solana'];
    expect(sanitise(tweets)).toEqual({ tweets, changes: [] });
  });

  it('GIVEN leading and trailing whitespace THEN it is trimmed and reported once', () => {
    expect(sanitise(['  \n hello \t '])).toEqual({
      tweets: ['hello'],
      changes: [{ fix: 'trim', tweetIndex: 0, description: 'Removed leading or trailing whitespace' }],
    });
  });

  it('GIVEN runs of spaces, tabs, CRLF and many blank lines THEN they collapse but single line breaks stay', () => {
    const result = sanitise(['one  two\t\tthree \r\nfour\n\n\n\nfive\u00A0\u00A0six']);
    expect(result.tweets).toEqual(['one two three\nfour\n\nfive six']);
    expect(result.changes).toEqual([
      { fix: 'collapse_whitespace', tweetIndex: 0, description: 'Collapsed repeated spaces and blank lines' },
    ]);
  });

  it.each([
    ['"Check the bonding curve."', 'Check the bonding curve.'],
    ['“Check the bonding curve.”', 'Check the bonding curve.'],
    ["'Check the bonding curve.'", 'Check the bonding curve.'],
    ['‘It’s about the curve.’', 'It’s about the curve.'],
    ['«Check it»', 'Check it'],
    ['"“Doubly wrapped”"', 'Doubly wrapped'],
    ['  " spaced inside "  ', 'spaced inside'],
  ])('GIVEN the wrapped tweet %j THEN the wrapping quotes are stripped', (input, expected) => {
    const result = sanitise([input]);
    expect(result.tweets).toEqual([expected]);
    expect(result.changes.filter((c) => c.fix === 'strip_quotes')).toHaveLength(1);
  });

  it.each([
    '"Buy" and "sell" are not the same word',
    '“Safe” vs “unsafe”',
    "'a' or 'b'",
    'He said "hi"',
    '"',
  ])('GIVEN %j whose quotes are not a single wrapper THEN it is left alone', (input) => {
    expect(sanitise([input]).tweets).toEqual([input]);
  });

  it('GIVEN a trailing pile beyond the limit THEN the pile is cut from its end until the total fits', () => {
    const result = sanitise(['Read the docs first.\n\n#PumpFun #Solana #memecoins #crypto']);
    expect(result).toEqual({
      tweets: ['Read the docs first.\n\n#PumpFun #Solana'],
      changes: [
        {
          fix: 'trailing_hashtags',
          tweetIndex: 0,
          description: 'Dropped 2 trailing hashtags beyond the limit of 2: #memecoins #crypto',
        },
      ],
    });
  });

  it('GIVEN inline hashtags THEN they count first and only the trailing pile is dropped', () => {
    const result = sanitise(['Launching on #Solana is fast #PumpFun #memecoins #crypto'], 2);
    expect(result.tweets).toEqual(['Launching on #Solana is fast #PumpFun']);
    expect(result.changes[0]?.description).toBe('Dropped 2 trailing hashtags beyond the limit of 2: #memecoins #crypto');
  });

  it('GIVEN inline hashtags alone over the limit THEN the whole pile goes and inline ones stay', () => {
    const result = sanitise(['#One #Two and #Three in a sentence #four #five'], 2);
    expect(result.tweets).toEqual(['#One #Two and #Three in a sentence']);
  });

  it('GIVEN hashtags within the limit or none trailing THEN nothing is dropped', () => {
    expect(sanitise(['Tips #Solana #PumpFun']).changes).toEqual([]);
    expect(sanitise(['#a #b #c are tags, then text'], 2).changes).toEqual([]);
  });

  it('GIVEN maxHashtags 0 THEN every trailing hashtag is dropped', () => {
    expect(sanitise(['Stay safe. #Solana'], 0).tweets).toEqual(['Stay safe.']);
  });

  it('GIVEN decomposed accents THEN they are normalised to NFC and reported', () => {
    const decomposed = 'cafe\u0301';
    const result = sanitise([decomposed]);
    expect(result.tweets).toEqual(['caf\u00E9']);
    expect(result.changes).toEqual([
      { fix: 'unicode_normalise', tweetIndex: 0, description: 'Normalised Unicode to composed form (NFC)' },
    ]);
  });

  it('GIVEN zero-width characters THEN they are removed but emoji ZWJ sequences keep their joiners', () => {
    const family = '👨\u200D👩\u200D👧';
    const flag = '🏳\uFE0F\u200D🌈';
    const coder = '🧑🏽\u200D💻';
    const input = `Hi\u200B there\u200D friends\uFEFF ${family} ${flag} ${coder}\u2060!`;
    const result = sanitise([input]);
    expect(result.tweets).toEqual([`Hi there friends ${family} ${flag} ${coder}!`]);
    expect(result.tweets[0]).toContain('👨‍👩‍👧');
    expect(result.changes).toEqual([
      { fix: 'strip_invisible', tweetIndex: 0, description: 'Removed 4 invisible characters (zero-width spaces, joiners or similar)' },
    ]);
  });

  it('GIVEN a ZWNJ inside a Persian word THEN it is kept', () => {
    const persian = 'می\u200Cخواهم';
    expect(sanitise([persian]).tweets).toEqual([persian]);
  });

  it('GIVEN thread numbering THEN it is kept', () => {
    expect(sanitise(['1/ First', '2/ Second']).tweets).toEqual(['1/ First', '2/ Second']);
  });

  it('GIVEN several fixes in several tweets THEN each is reported once per tweet per fix', () => {
    const result = sanitise(['  "Quoted  tweet"  ', 'fine', ' spaced   out  #a #b #c ']);
    expect(result.tweets).toEqual(['Quoted tweet', 'fine', 'spaced out #a #b']);
    expect(result.changes.map((c) => [c.tweetIndex, c.fix])).toEqual([
      [0, 'trim'],
      [0, 'collapse_whitespace'],
      [0, 'strip_quotes'],
      [2, 'trim'],
      [2, 'collapse_whitespace'],
      [2, 'trailing_hashtags'],
    ]);
  });

  it('GIVEN an input array THEN it is not mutated', () => {
    const input = ['  x  '];
    sanitise(input);
    expect(input).toEqual(['  x  ']);
  });
});
