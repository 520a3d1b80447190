import { describe, expect, it } from 'vitest';
import {
  InvalidBannedPatternError,
  compileBannedPattern,
  findAddresses,
  isAllowedLinkHost,
  linkHost,
  validateContent,
  type ContentRules,
  type Violation,
} from '../../src/domain/validation.js';

const rules: ContentRules = { maxHashtags: 2, allowedLinkDomains: ['pump.fun'], bannedPatterns: [] };
const CLEAN = 'Before you buy any new token, check who holds the supply and whether liquidity is locked.';

const rulesOf = (violations: Violation[]) => violations.map((v) => v.rule);

describe('validateContent: shape', () => {
  it('GIVEN a clean single tweet THEN there are no violations', () => {
    expect(validateContent([CLEAN], 'tweet', rules)).toEqual([]);
  });

  it('GIVEN a clean thread of 2 to 6 tweets THEN there are no violations', () => {
    expect(validateContent([CLEAN, CLEAN], 'thread', rules)).toEqual([]);
    expect(validateContent(Array(6).fill(CLEAN), 'thread', rules)).toEqual([]);
  });

  it('GIVEN a thread of 1 or 7 tweets THEN thread_size is reported for the whole draft', () => {
    expect(validateContent([CLEAN], 'thread', rules)).toEqual([
      { rule: 'thread_size', tweetIndex: null, message: 'A thread must have 2 to 6 tweets, but this one has 1' },
    ]);
    expect(rulesOf(validateContent(Array(7).fill(CLEAN), 'thread', rules))).toEqual(['thread_size']);
  });

  it('GIVEN a single-tweet draft with 2 tweets THEN thread_size is reported', () => {
    expect(validateContent([CLEAN, CLEAN], 'tweet', rules)).toEqual([
      { rule: 'thread_size', tweetIndex: null, message: 'A single tweet must be exactly 1 tweet, but the draft has 2' },
    ]);
  });

  it('GIVEN no tweets or a blank tweet THEN empty is reported', () => {
    expect(validateContent([], 'tweet', rules)).toEqual([{ rule: 'empty', tweetIndex: null, message: 'The draft has no tweets' }]);
    expect(validateContent([CLEAN, '  \n '], 'thread', rules)).toEqual([{ rule: 'empty', tweetIndex: 1, message: 'Tweet 2 is empty' }]);
  });
});

describe('validateContent: length', () => {
  it('GIVEN tweet 2 of a thread at 291 weighted characters THEN the message names the tweet and the numbers', () => {
    const violations = validateContent([CLEAN, 'a'.repeat(291)], 'thread', rules);
    expect(violations).toEqual([{ rule: 'length', tweetIndex: 1, message: 'Tweet 2 is 291 weighted characters; the limit is 280' }]);
  });

  it('GIVEN 140 emoji (weight 280) THEN it fits, and 141 does not', () => {
    expect(validateContent(['🚀'.repeat(140)], 'tweet', rules)).toEqual([]);
    expect(validateContent(['🚀'.repeat(141)], 'tweet', rules)[0]?.message).toBe('The tweet is 282 weighted characters; the limit is 280');
  });

  it('GIVEN a character X rejects THEN invalid_characters is reported', () => {
    expect(rulesOf(validateContent(['bad \uFFFE char'], 'tweet', rules))).toEqual(['invalid_characters']);
  });
});

describe('validateContent: built-in banned phrases', () => {
  const blocked = [
    ['This one is guaranteed to pay off.', 'guaranteed'],
    ['Easy 100x if you get in early', '100x'],
    ['Next stop 1000X', '1000X'],
    ['We could see 1,000x here', '1,000x'],
    ['Sending it to the moon', 'to the moon'],
    ['A risk-free way to trade', 'risk-free'],
    ["You can't lose with this setup", "can't lose"],
    ['You can’t lose with this setup', 'can’t lose'],
    ['Not financial advice, but this looks good', 'financial advice'],
    ['NFA but watch this chart', 'NFA'],
    ['Buy now while it is cheap', 'Buy now'],
    ['Time to buy the dip', 'buy the dip'],
    ['Time to ape in', 'ape in'],
    ['This will hit $1 by Friday', 'will hit $1'],
    ['It is going to pump hard', 'going to pump'],
    ['Our price target is high', 'price target'],
    ['This is free money', 'free money'],
    ['Double your SOL overnight', 'Double your SOL'],
  ] as const;

  it.each(blocked)('GIVEN %j THEN banned_phrase quotes %j', (text, quoted) => {
    const violations = validateContent([text], 'tweet', rules);
    expect(violations.filter((v) => v.rule === 'banned_phrase').map((v) => v.message)).toContainEqual(expect.stringContaining(`"${quoted}"`));
  });

  const allowed = [
    'Nothing is guaranteed in memecoins.',
    'Profits are never guaranteed, so size your trades.',
    'There are no guarantees on a bonding curve.',
    'Launching a token is 2x faster than last year.',
    'Never buy a token you have not researched.',
    'Financially, the safest move is to research first.',
  ];

  it.each(allowed)('GIVEN the safe sentence %j THEN nothing is reported', (text) => {
    expect(validateContent([text], 'tweet', rules)).toEqual([]);
  });

  it('GIVEN a banned phrase THEN the message says which hard rule it breaks', () => {
    expect(validateContent(['Not financial advice'], 'tweet', rules)[0]?.message).toBe(
      'The tweet contains "financial advice", which reads as financial advice',
    );
  });
});

describe('validateContent: configured banned patterns', () => {
  it('GIVEN a plain phrase THEN it matches case-insensitively on whole words only', () => {
    const configured = { ...rules, bannedPatterns: ['rug pull'] };
    expect(validateContent(['Spot a RUG  PULL early'], 'tweet', configured)[0]).toEqual({
      rule: 'banned_phrase',
      tweetIndex: 0,
      message: 'The tweet contains "RUG  PULL", which matches the banned pattern rug pull',
    });
    expect(validateContent(['Avoid rug pulls'], 'tweet', configured)).toEqual([]);
  });

  it('GIVEN a /regex/flags pattern THEN it is used as a regular expression', () => {
    const configured = { ...rules, bannedPatterns: ['/\\bwen\\s+\\w+/i'] };
    expect(rulesOf(validateContent(['WEN lambo'], 'tweet', configured))).toEqual(['banned_phrase']);
    expect(validateContent(['When in doubt, zoom out'], 'tweet', configured)).toEqual([]);
  });

  it('GIVEN a global regex THEN repeated validation gives the same answer (no lastIndex state)', () => {
    const configured = { ...rules, bannedPatterns: ['/scam/gi'] };
    expect(rulesOf(validateContent(['scam one', 'scam two'], 'thread', configured))).toEqual(['banned_phrase', 'banned_phrase']);
  });

  it('GIVEN an invalid regex THEN compileBannedPattern throws a typed error naming the pattern', () => {
    expect(() => compileBannedPattern('/([a-z/')).toThrow(InvalidBannedPatternError);
    expect(() => validateContent([CLEAN], 'tweet', { ...rules, bannedPatterns: ['/([a-z/'] })).toThrow(/\/\(\[a-z\//);
  });

  it('GIVEN a phrase with regex metacharacters THEN it is matched literally', () => {
    const regex = compileBannedPattern('$SCAM (v2)');
    expect(regex.test('the $scam (v2) token')).toBe(true);
    expect(regex.test('the $SCAM v2 token')).toBe(false);
  });
});

describe('validateContent: addresses', () => {
  it('GIVEN a Solana mint address THEN address is reported with the address', () => {
    const mint = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';
    const violations = validateContent([`New mint ${mint} is live`], 'tweet', rules);
    expect(violations).toEqual([
      { rule: 'address', tweetIndex: 0, message: `The tweet contains the address ${mint}; contract and wallet addresses are not allowed` },
    ]);
  });

  it('GIVEN a pump.fun-style mint ending in "pump" THEN it is still detected', () => {
    expect(findAddresses('CA: 9BB6NFEcjBCtnNLFko2FqVQBq8HHM13kCyYcdQbgpump')).toEqual(['9BB6NFEcjBCtnNLFko2FqVQBq8HHM13kCyYcdQbgpump']);
  });

  it('GIVEN an EVM address THEN it is reported once', () => {
    const evm = '0x52908400098527886E0F7030069857D2E4169EE7';
    expect(findAddresses(`send to ${evm}`)).toEqual([evm]);
    const zeroFree = '0xabcdefABCDEF123456789abcdef123456789ABCD';
    expect(findAddresses(zeroFree)).toEqual([zeroFree]);
  });

  it('GIVEN long ordinary words and numbers THEN no address is found', () => {
    expect(findAddresses('supercalifragilisticexpialidocious antidisestablishmentarianism 12345678901234567890')).toEqual([]);
  });
});

describe('validateContent: mentions, hashtags and links', () => {
  it('GIVEN an @mention THEN mention is reported, but an e-mail address is not a mention', () => {
    expect(validateContent(['Thanks @pumpdotfun for the update'], 'tweet', rules)).toEqual([
      { rule: 'mention', tweetIndex: 0, message: 'The tweet mentions @pumpdotfun; @mentions are not allowed' },
    ]);
    expect(rulesOf(validateContent(['Write to team@example.org'], 'tweet', rules))).not.toContain('mention');
  });

  it('GIVEN more hashtags than allowed THEN hashtags is reported with the count and the limit', () => {
    expect(validateContent(['Tips #Solana #PumpFun #memecoins'], 'tweet', rules)).toEqual([
      { rule: 'hashtags', tweetIndex: 0, message: 'The tweet has 3 hashtags (#Solana #PumpFun #memecoins); the limit is 2' },
    ]);
    expect(validateContent(['Tips #Solana #PumpFun'], 'tweet', rules)).toEqual([]);
  });

  it('GIVEN "Pump.fun" as a bare word THEN it is a link to an allowed domain', () => {
    expect(validateContent(['Launch on Pump.fun in a minute.'], 'tweet', rules)).toEqual([]);
    expect(validateContent(['Docs at https://docs.pump.fun/guide'], 'tweet', rules)).toEqual([]);
  });

  it('GIVEN "Pump.fun" but an empty allow-list THEN it is reported as a link', () => {
    const violations = validateContent(['Launch on Pump.fun today.'], 'tweet', { ...rules, allowedLinkDomains: [] });
    expect(violations).toEqual([{ rule: 'link', tweetIndex: 0, message: 'The tweet links to Pump.fun (domain pump.fun); no links are allowed' }]);
  });

  it('GIVEN a link to another domain, including a look-alike THEN link is reported', () => {
    const violations = validateContent(['Read evil.com and https://pump.fun.evil.io/x and notpump.fun'], 'tweet', rules);
    expect(violations.map((v) => v.message)).toEqual([
      'The tweet links to evil.com (domain evil.com); only pump.fun may be linked',
      'The tweet links to https://pump.fun.evil.io/x (domain pump.fun.evil.io); only pump.fun may be linked',
      'The tweet links to notpump.fun (domain notpump.fun); only pump.fun may be linked',
    ]);
  });

  it('GIVEN a violation in tweet 3 of a thread THEN its tweetIndex is 2', () => {
    const violations = validateContent([CLEAN, CLEAN, 'ping @someone'], 'thread', rules);
    expect(violations).toEqual([{ rule: 'mention', tweetIndex: 2, message: 'Tweet 3 mentions @someone; @mentions are not allowed' }]);
  });

  it('GIVEN several problems in one tweet THEN every one is reported', () => {
    const violations = validateContent(['To the moon @alice #a #b #c see evil.com'], 'tweet', rules);
    expect(rulesOf(violations).sort()).toEqual(['banned_phrase', 'hashtags', 'link', 'mention']);
  });
});

describe('link helpers', () => {
  it('GIVEN various URL shapes THEN linkHost returns the bare lower-case host', () => {
    expect(linkHost('Pump.fun')).toBe('pump.fun');
    expect(linkHost('https://WWW.Pump.Fun:443/board?x=1')).toBe('pump.fun');
    expect(linkHost('http://user@docs.pump.fun./a')).toBe('docs.pump.fun');
  });

  it('GIVEN allow-list entries written as URLs THEN they still match', () => {
    expect(isAllowedLinkHost('docs.pump.fun', ['https://www.pump.fun/'])).toBe(true);
    expect(isAllowedLinkHost('pump.fun.evil.io', ['pump.fun'])).toBe(false);
  });
});

describe('validateContent: invisible and bidi characters (issue 10, item 3)', () => {
  it.each([
    ['a right-to-left override', 'Read \u202Eeerf\u202C first', 'The tweet contains U+202E (RIGHT-TO-LEFT OVERRIDE), U+202C (POP DIRECTIONAL FORMATTING)'],
    ['an isolate', 'Read \u2066this\u2069 first', 'The tweet contains U+2066 (LEFT-TO-RIGHT ISOLATE), U+2069 (POP DIRECTIONAL ISOLATE)'],
  ])('GIVEN %s THEN bidi_control names the characters', (_name, text, start) => {
    const violations = validateContent([text], 'tweet', rules);
    expect(rulesOf(violations)).toEqual(['bidi_control']);
    expect(violations[0]?.message).toMatch(new RegExp(`^${start.replace(/[()+]/g, '\\$&')}; bidi override`));
  });

  it('GIVEN text of only invisible characters THEN it is empty', () => {
    expect(validateContent(['\u200B\u200D\u2060'], 'tweet', rules)).toEqual([
      { rule: 'empty', tweetIndex: 0, message: 'The tweet has only invisible characters' },
    ]);
  });

  it('GIVEN an invisible format character the sanitiser does not know THEN hidden_characters names it', () => {
    expect(validateContent(['Read this\uFFF9 first'], 'tweet', rules)).toEqual([
      { rule: 'hidden_characters', tweetIndex: 0, message: 'The tweet contains the invisible character U+FFF9; remove it' },
    ]);
  });

  it.each([
    ['guar\u200Banteed', /"guaranteed" \(written with look-alike or invisible characters\)/],
    ['guаrаnteed gains', /"guaranteed"/], // Cyrillic а
    ['ｇｕａｒａｎｔｅｅｄ', /"guaranteed"/],
    ['this will pu\u200Cmp', /"will pump"/],
    ['to\u2009the moon', /"to the moon"/],
  ])('GIVEN %j (a banned phrase in disguise) THEN it is still a banned phrase', (text, message) => {
    const violations = validateContent([text], 'tweet', rules);
    expect(rulesOf(violations)).toContain('banned_phrase');
    expect(violations.find((v) => v.rule === 'banned_phrase')?.message).toMatch(message);
  });
});
