import { describe, expect, it } from 'vitest';
import { findBidiControls, hasVisibleCharacter, matchingForm, sanitiseContent, sanitiseFreeText, sanitiseNote } from '../../src/domain/sanitise.js';

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
    expect(result.changes).toEqual([{ fix: 'collapse_whitespace', tweetIndex: 0, description: 'Collapsed repeated spaces and blank lines' }]);
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

  it.each(['"Buy" and "sell" are not the same word', '“Safe” vs “unsafe”', "'a' or 'b'", 'He said "hi"', '"'])(
    'GIVEN %j whose quotes are not a single wrapper THEN it is left alone',
    (input) => {
      expect(sanitise([input]).tweets).toEqual([input]);
    },
  );

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
    expect(result.changes).toEqual([{ fix: 'unicode_normalise', tweetIndex: 0, description: 'Normalised Unicode to composed form (NFC)' }]);
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

describe('sanitiseContent: invisible characters (issue 10, item 3)', () => {
  it.each([
    ['guar\u200Banteed', 'guaranteed'],
    ['100\u200Bx', '100x'],
    ['will pu\u200Bmp', 'will pump'],
    ['guar\u2060an\uFEFFte\u00ADed', 'guaranteed'],
    ['guar\u200Canteed', 'guaranteed'],
    ['guar\u200Danteed', 'guaranteed'],
    ['100\uFE0Fx', '100x'],
    ['gu\u200Ear\u200Fan\u061Cteed', 'guaranteed'],
    ['g\u034Fuar\u206Aanteed', 'guaranteed'],
    ['guar\u{E0041}\u{E0042}anteed', 'guaranteed'],
    ['gua\u{E0100}ranteed', 'guaranteed'],
    ['\u3164 hi', 'hi'],
  ])('GIVEN %j from the model or a person THEN the invisible characters are stripped (%j)', (input, expected) => {
    for (const source of ['generated', 'human'] as const) {
      const result = sanitiseContent([input], { maxHashtags: 2, source });
      expect(result.tweets).toEqual([expected]);
      expect(result.changes.map((c) => c.fix)).toContain('strip_invisible');
    }
  });

  it.each([
    ['an emoji ZWJ sequence', 'Family 👨‍👩‍👧 time'],
    ['a variation selector on an emoji', 'Love it ❤️ and ☀️'],
    ['a keycap', 'Step 1️⃣ then #️⃣'],
    ['the flag of Scotland (a tag sequence)', 'Hello from 🏴󠁧󠁢󠁳󠁣󠁴󠁿 today'],
    ['a ZWNJ in a Persian word', 'می‌خواهم'],
  ])('GIVEN %s THEN it is kept as written', (_name, text) => {
    expect(sanitiseContent([text], { maxHashtags: 2 }).tweets).toEqual([text]);
  });

  it('GIVEN a bidi override THEN the sanitiser leaves it for validation to refuse', () => {
    expect(sanitiseContent(['a \u202Eb\u202C c'], { maxHashtags: 2 }).tweets).toEqual(['a \u202Eb\u202C c']);
  });

  it("GIVEN a person's text THEN only the invisible fixes run: quotes, spacing and hashtags stay theirs", () => {
    const typed = '"My  words" #a #b #c';
    expect(sanitiseContent([typed], { maxHashtags: 2, source: 'human' })).toEqual({ tweets: [typed], changes: [] });
    expect(sanitiseContent([typed], { maxHashtags: 2, source: 'generated' }).tweets).not.toEqual([typed]);
  });
});

describe('sanitiseFreeText, matchingForm, findBidiControls, hasVisibleCharacter', () => {
  it('GIVEN feedback with invisible characters THEN they are stripped; invisible-only feedback is none', () => {
    expect(sanitiseFreeText('  make it sho\u200Brter ')).toBe('make it shorter');
    expect(sanitiseFreeText('\u200B\u200D\uFEFF')).toBeNull();
    expect(sanitiseFreeText(null)).toBeNull();
  });

  it('GIVEN a note (reject reason) with bidi controls THEN they are dropped, not refused', () => {
    expect(sanitiseNote(' off\u200B-brand \u202Eenot\u202C ')).toBe('off-brand enot');
    expect(sanitiseNote('\u202E\u202C')).toBeNull();
  });

  it('GIVEN look-alike, fullwidth, mathematical and spaced-out letters THEN the matching form reads them as plain Latin', () => {
    expect(matchingForm('guаrаnteed')).toBe('guaranteed'); // Cyrillic а
    expect(matchingForm('ｇｕａｒａｎｔｅｅｄ')).toBe('guaranteed');
    expect(matchingForm('𝐠𝐮𝐚𝐫𝐚𝐧𝐭𝐞𝐞𝐝')).toBe('guaranteed');
    expect(matchingForm('to\u2009the\u00A0moon')).toBe('to the moon');
    expect(matchingForm('gu\u200Car\u200Danteed')).toBe('guaranteed');
  });

  it('GIVEN bidi overrides and isolates THEN each is named once; marks are not reported', () => {
    expect(findBidiControls('a\u202Eb\u202Ec\u2067d\u2069')).toEqual([
      'U+202E (RIGHT-TO-LEFT OVERRIDE)',
      'U+2067 (RIGHT-TO-LEFT ISOLATE)',
      'U+2069 (POP DIRECTIONAL ISOLATE)',
    ]);
    expect(findBidiControls('plain text')).toEqual([]);
  });

  it('GIVEN text of only invisible or blank characters THEN nothing is visible', () => {
    for (const blank of ['\u200B\u200C\u200D', '\u2800\u3164 \u115F', '\u0301', '\u{E0041}\uFE0F']) expect(hasVisibleCharacter(blank)).toBe(false);
    expect(hasVisibleCharacter('\u200Ba')).toBe(true);
    expect(hasVisibleCharacter('🚀')).toBe(true);
  });
});
