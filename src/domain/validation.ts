import { twitterText } from './twitter-text.js';
import { findBidiControls, findHiddenFormatCharacters, hasVisibleCharacter, matchingForm } from './sanitise.js';
import { MAX_TWEET_WEIGHT, measureTweet } from './tweet-length.js';

/** The configurable part of the content rules (MAX_HASHTAGS, ALLOWED_LINK_DOMAINS, BANNED_PATTERNS). */
export interface ContentRules {
  readonly maxHashtags: number;
  /** Domains links may point to; subdomains are allowed too (`pump.fun` allows `docs.pump.fun`). */
  readonly allowedLinkDomains: readonly string[];
  /** Extra banned patterns: a plain phrase (case-insensitive, whole words) or `/regex/flags`. */
  readonly bannedPatterns: readonly string[];
}

/** Stable ids of the rules; the moderation card and the regeneration prompt key off them. */
export type ViolationRule =
  | 'empty'
  | 'thread_size'
  | 'length'
  | 'invalid_characters'
  /** Bidi overrides/isolates (U+202A-202E, U+2066-2069): the text would display differently from how it reads. */
  | 'bidi_control'
  /** Invisible format characters the sanitiser does not strip (it strips the known ones first). */
  | 'hidden_characters'
  | 'banned_phrase'
  | 'address'
  | 'mention'
  | 'hashtags'
  | 'link'
  /** Set by the pipeline, not by validateContent: the text repeats a stored post. */
  | 'duplicate'
  /** Set by the pipeline, not by validateContent: the model refused, was cut off or broke the format. */
  | 'unusable_answer';

/** One broken rule, phrased so a moderator (and the model, on regeneration) knows what to fix. */
export interface Violation {
  readonly rule: ViolationRule;
  /** 0-based index of the offending tweet, or null when the rule is about the whole draft. */
  readonly tweetIndex: number | null;
  /** Says exactly what failed, e.g. "Tweet 2 is 291 weighted characters; the limit is 280". */
  readonly message: string;
}

/** A thread has at least this many tweets... */
export const THREAD_MIN_TWEETS = 2;
/** ...and at most this many. */
export const THREAD_MAX_TWEETS = 6;

/** A phrase the hard rules always forbid, whatever the configuration says. */
export interface BuiltInBannedPhrase {
  readonly id: string;
  readonly pattern: RegExp;
  /** Which hard rule it enforces, shown in the violation message. */
  readonly reason: string;
}

const PROMISE = 'promises profit';
const ADVICE = 'reads as financial advice';
const PREDICTION = 'states a price prediction as fact';

/**
 * The built-in blocklist behind the hard rules: no financial advice, no promises of profit,
 * no price predictions as facts.
 *
 * Decisions worth knowing:
 * - "financial advice" is banned in every form, including the "not financial advice"/"NFA"
 *   disclaimer: the account never gives advice, and in crypto that disclaimer is the classic
 *   preface to a shill, so its presence is itself the red flag.
 * - "guaranteed" is banned unless directly negated ("not guaranteed", "nothing is guaranteed",
 *   "no guarantees"), because safety content legitimately says profits are never guaranteed.
 * - Multipliers are banned from 100x up ("100x", "1000x"); "2x faster" stays allowed.
 */
// Curly apostrophes are \u2019 escapes in these regexes (see DOUBLE_QUOTES in sanitise.ts for why).
export const BUILT_IN_BANNED_PHRASES: readonly BuiltInBannedPhrase[] = [
  {
    id: 'guaranteed',
    pattern: /(?<!\b(?:no|not|never|nothing(?:'s| is)?|nothing['\u2019]s|isn['\u2019]t|aren['\u2019]t|is not|are not|without)\s+)\bguarantee(?:d|s)?\b/iu,
    reason: PROMISE,
  },
  { id: 'multiplier', pattern: /\b(?:[1-9]\d{2,}|[1-9]\d{0,2}(?:,\d{3})+)\s?x\b/iu, reason: PROMISE },
  { id: 'to_the_moon', pattern: /\bto the moon\b/iu, reason: PROMISE },
  { id: 'risk_free', pattern: /\b(?:risk|loss)[\s-]?free\b/iu, reason: PROMISE },
  { id: 'cant_lose', pattern: /\b(?:can['\u2019]?t|cannot|can not|won['\u2019]t|will not|never) lose\b/iu, reason: PROMISE },
  { id: 'easy_money', pattern: /\b(?:easy|free) (?:money|gains|profits?)\b/iu, reason: PROMISE },
  { id: 'get_rich', pattern: /\bget rich\b/iu, reason: PROMISE },
  { id: 'multiply_your_money', pattern: /\b(?:double|triple|\d+x) your (?:money|investment|bag|sol|portfolio)\b/iu, reason: PROMISE },
  { id: 'financial_advice', pattern: /\bfinancial advice\b|\bNFA\b/iu, reason: ADVICE },
  { id: 'buy_now', pattern: /\b(?:buy|sell|get in) (?:now|today|immediately)\b/iu, reason: ADVICE },
  { id: 'buy_the_dip', pattern: /\bbuy the dip\b/iu, reason: ADVICE },
  { id: 'ape_in', pattern: /\bape (?:in|into)\b/iu, reason: ADVICE },
  { id: 'you_should_buy', pattern: /\byou (?:should|must|need to) (?:buy|sell|invest|ape)\b/iu, reason: ADVICE },
  {
    id: 'price_prediction',
    pattern: /\b(?:will|going to|gonna|about to)\s+(?:hit|reach|touch|break|flip)\s+(?:\$\s?\d|\d[\d,.]*\s*(?:[kmb]|sol)\b)/iu,
    reason: PREDICTION,
  },
  {
    id: 'price_direction',
    pattern: /\b(?:will|going to|gonna|about to)\s+(?:pump|moon|explode|skyrocket|rocket|\d+x)\b/iu,
    reason: PREDICTION,
  },
  { id: 'price_target', pattern: /\bprice target\b/iu, reason: PREDICTION },
];

/** A configured banned pattern that is not a valid regular expression. */
export class InvalidBannedPatternError extends Error {
  override readonly name = 'InvalidBannedPatternError';
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`Banned pattern ${JSON.stringify(pattern)} is not a valid regular expression: ${reason}`);
  }
}

/**
 * Turns one configured banned pattern into a RegExp. `/body/flags` is a regex (the g and y
 * flags are dropped because they make `test()` stateful); anything else is a literal phrase
 * matched case-insensitively on word boundaries. Call it at startup to fail fast on typos.
 *
 * @throws InvalidBannedPatternError when a `/regex/` does not compile.
 */
export function compileBannedPattern(pattern: string): RegExp {
  const regexForm = /^\/(.+)\/([a-z]*)$/su.exec(pattern.trim());
  if (regexForm) {
    const [, body = '', flags = ''] = regexForm;
    try {
      return new RegExp(body, flags.replace(/[gy]/gu, ''));
    } catch (error) {
      throw new InvalidBannedPatternError(pattern, error instanceof Error ? error.message : String(error));
    }
  }
  const phrase = pattern.trim();
  const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&').replace(/\s+/gu, '\\s+');
  // \b only makes sense next to word characters: "$SCAM" must not require a boundary before "$".
  const start = /^[\p{L}\p{N}_]/u.test(phrase) ? '(?<![\\p{L}\\p{N}_])' : '';
  const end = /[\p{L}\p{N}_]$/u.test(phrase) ? '(?![\\p{L}\\p{N}_])' : '';
  return new RegExp(`${start}${escaped}${end}`, 'iu');
}

/** Solana public keys: base58 (no 0, O, I, l), 32 to 44 characters. */
const SOLANA_ADDRESS = /(?<![1-9A-HJ-NP-Za-km-z])[1-9A-HJ-NP-Za-km-z]{32,44}(?![1-9A-HJ-NP-Za-km-z])/gu;
/** EVM addresses: 0x and 40 hex digits. */
const EVM_ADDRESS = /\b0x[0-9a-fA-F]{40}\b/gu;

/** Finds contract/wallet addresses (Solana base58 or EVM 0x) in a text. */
export function findAddresses(text: string): string[] {
  const found: { index: number; end: number; value: string }[] = [];
  for (const match of text.matchAll(EVM_ADDRESS)) {
    found.push({ index: match.index, end: match.index + match[0].length, value: match[0] });
  }
  for (const match of text.matchAll(SOLANA_ADDRESS)) {
    const candidate = match[0];
    // "x" + 40 zero-free hex digits is also valid base58: report the EVM address once.
    if (found.some((evm) => match.index < evm.end && match.index + candidate.length > evm.index)) continue;
    // A real key mixes character classes; a 32-letter run of one case is a word, not a key.
    const classes = [/[a-z]/u, /[A-Z]/u, /\d/u].filter((re) => re.test(candidate)).length;
    if (classes >= 2) found.push({ index: match.index, end: match.index + candidate.length, value: candidate });
  }
  return found.sort((a, b) => a.index - b.index).map((entry) => entry.value);
}

/**
 * The lower-case host of a link as twitter-text extracted it ("Pump.fun/board" -> "pump.fun"),
 * without a `www.` prefix, a port or a trailing dot.
 */
export function linkHost(url: string): string {
  const withoutScheme = url.replace(/^[a-z][a-z0-9+.-]*:\/\//iu, '');
  const authority = withoutScheme.split(/[/?#]/u)[0] ?? '';
  const host = (authority.split('@').pop() ?? '').replace(/:\d+$/u, '').replace(/\.$/u, '').toLowerCase();
  return host.startsWith('www.') ? host.slice(4) : host;
}

/** True when `host` is one of the allowed domains or a subdomain of one. */
export function isAllowedLinkHost(host: string, allowedLinkDomains: readonly string[]): boolean {
  const normalisedHost = host.toLowerCase().replace(/\.$/u, '');
  return allowedLinkDomains.some((domain) => {
    const allowed = linkHost(domain.trim());
    return allowed !== '' && (normalisedHost === allowed || normalisedHost.endsWith(`.${allowed}`));
  });
}

/**
 * Checks a draft against the hard rules and the configured rules; returns every violation
 * (empty array = publishable). Every tweet is checked, so one pass tells the moderator and
 * the regeneration prompt everything that must change.
 *
 * Rules: `empty`, `thread_size` (a tweet is exactly 1, a thread 2 to 6), `length` (weighted,
 * 280), `invalid_characters`, `bidi_control`, `hidden_characters`, `banned_phrase` (built-in {@link BUILT_IN_BANNED_PHRASES} and
 * configured patterns), `address` (Solana/EVM), `mention` (@handles; e-mail addresses are not
 * mentions), `hashtags` (more than `maxHashtags`), `link` (any URL twitter-text would link,
 * including bare domains like "Pump.fun", unless its domain is allow-listed). A tweet with only
 * invisible characters is `empty`. Banned phrases are also looked for in the
 * {@link matchingForm} of the text, so look-alike letters and invisible characters cannot hide them.
 *
 * Run {@link sanitiseContent} first: it strips the invisible characters that are only noise.
 *
 * @throws InvalidBannedPatternError when a configured `/regex/` does not compile.
 */
export function validateContent(tweets: readonly string[], kind: 'tweet' | 'thread', rules: ContentRules): Violation[] {
  const violations: Violation[] = [];
  const configured = rules.bannedPatterns
    .filter((pattern) => pattern.trim() !== '')
    .map((pattern) => ({ source: pattern, regex: compileBannedPattern(pattern) }));

  if (tweets.length === 0) {
    return [{ rule: 'empty', tweetIndex: null, message: 'The draft has no tweets' }];
  }
  if (kind === 'tweet' && tweets.length !== 1) {
    violations.push({
      rule: 'thread_size',
      tweetIndex: null,
      message: `A single tweet must be exactly 1 tweet, but the draft has ${tweets.length}`,
    });
  }
  if (kind === 'thread' && (tweets.length < THREAD_MIN_TWEETS || tweets.length > THREAD_MAX_TWEETS)) {
    violations.push({
      rule: 'thread_size',
      tweetIndex: null,
      message: `A thread must have ${THREAD_MIN_TWEETS} to ${THREAD_MAX_TWEETS} tweets, but this one has ${tweets.length}`,
    });
  }

  tweets.forEach((text, index) => {
    const label = tweets.length === 1 ? 'The tweet' : `Tweet ${index + 1}`;
    const add = (rule: ViolationRule, message: string) => violations.push({ rule, tweetIndex: index, message });

    if (text.trim() === '') {
      add('empty', `${label} is empty`);
      return;
    }
    if (!hasVisibleCharacter(text)) {
      add('empty', `${label} has only invisible characters`);
      return;
    }

    const measure = measureTweet(text);
    if (measure.weightedLength > MAX_TWEET_WEIGHT) {
      add('length', `${label} is ${measure.weightedLength} weighted characters; the limit is ${MAX_TWEET_WEIGHT}`);
    }
    if (twitterText().hasInvalidCharacters(text)) {
      add('invalid_characters', `${label} contains characters X rejects (such as U+FFFE or U+FEFF)`);
    }

    const bidi = findBidiControls(text);
    if (bidi.length > 0) {
      add(
        'bidi_control',
        `${label} contains ${bidi.join(', ')}; bidi override and isolate characters are not allowed because they make the text display in a different order than it reads`,
      );
    }
    const hidden = findHiddenFormatCharacters(text);
    if (hidden.length > 0) {
      add(
        'hidden_characters',
        `${label} contains the invisible character${hidden.length === 1 ? '' : 's'} ${hidden.join(', ')}; remove ${hidden.length === 1 ? 'it' : 'them'}`,
      );
    }

    // Word rules also look at the text as a filter-dodger would want it read: look-alike letters,
    // fullwidth forms and invisible characters folded away (see matchingForm).
    const folded = matchingForm(text);
    const firstMatch = (regex: RegExp): string | null => {
      const direct = regex.exec(text);
      if (direct) return `"${direct[0]}"`;
      const dodged = regex.exec(folded);
      return dodged ? `"${dodged[0]}" (written with look-alike or invisible characters)` : null;
    };
    for (const phrase of BUILT_IN_BANNED_PHRASES) {
      const match = firstMatch(phrase.pattern);
      if (match) add('banned_phrase', `${label} contains ${match}, which ${phrase.reason}`);
    }
    for (const { source, regex } of configured) {
      const match = firstMatch(regex);
      if (match) add('banned_phrase', `${label} contains ${match}, which matches the banned pattern ${source}`);
    }

    for (const address of findAddresses(text)) {
      add('address', `${label} contains the address ${address}; contract and wallet addresses are not allowed`);
    }

    const mentions = twitterText().extractMentions(text);
    if (mentions.length > 0) {
      add('mention', `${label} mentions ${mentions.map((name) => `@${name}`).join(', ')}; @mentions are not allowed`);
    }

    const hashtags = twitterText().extractHashtags(text);
    if (hashtags.length > rules.maxHashtags) {
      add('hashtags', `${label} has ${hashtags.length} hashtags (${hashtags.map((tag) => `#${tag}`).join(' ')}); the limit is ${rules.maxHashtags}`);
    }

    for (const { url } of twitterText().extractUrlsWithIndices(text)) {
      const host = linkHost(url);
      if (!isAllowedLinkHost(host, rules.allowedLinkDomains)) {
        const allowed = rules.allowedLinkDomains.length > 0 ? `only ${rules.allowedLinkDomains.join(', ')} may be linked` : 'no links are allowed';
        add('link', `${label} links to ${url} (domain ${host}); ${allowed}`);
      }
    }
  });

  return violations;
}
