import { twitterText } from './twitter-text.js';

/** The mechanical fixes {@link sanitiseContent} may apply. */
export type SanitiseFix = 'unicode_normalise' | 'strip_invisible' | 'trim' | 'collapse_whitespace' | 'strip_quotes' | 'trailing_hashtags';

/** One fix applied to one tweet, reported so the moderation card can show what was changed. */
export interface SanitiseChange {
  readonly fix: SanitiseFix;
  readonly tweetIndex: number;
  /** Human-readable, e.g. "Dropped 2 trailing hashtags beyond the limit of 2: #a #b". */
  readonly description: string;
}

/** Where the text came from: the model (every fix) or a person (only the invisible ones). */
export type TextSource = 'generated' | 'human';

export interface SanitiseOptions {
  readonly maxHashtags: number;
  /** Defaults to 'generated'. */
  readonly source?: TextSource;
}

/** Sanitised tweets plus the list of changes, at most one per tweet per fix. */
export interface SanitiseResult {
  readonly tweets: string[];
  readonly changes: SanitiseChange[];
}

/**
 * Invisible characters that never belong in a tweet: zero-width space, LRM/RLM/ALM (bidi *marks*,
 * which only nudge neutral characters), word joiner and the invisible math operators, the
 * deprecated format controls U+206A-206F, BOM, soft hyphen, Mongolian vowel separator, combining
 * grapheme joiner, the Hangul fillers and the Khmer inherent vowels (blank glyphs used to fake
 * "empty" names), and the shorthand format controls. Each can split a word so a rule no longer
 * sees it ("guar\u200Banteed"). Bidi *overrides and isolates* are not here: they reorder what a
 * reader sees, so validation refuses them instead of silently changing the meaning.
 */
const ALWAYS_INVISIBLE =
  /[\u200B\u200E\u200F\u061C\u2060-\u2064\u206A-\u206F\uFEFF\u00AD\u180E\u034F\u115F\u1160\u3164\uFFA0\u17B4\u17B5\u{1BCA0}-\u{1BCA3}]/gu;
/**
 * A zero-width joiner is kept only inside an emoji ZWJ sequence (👨‍👩‍👧, 🏳️‍🌈, 🧑🏽‍💻): after an
 * emoji (optionally with VS16 or a skin tone) and before another emoji. Anywhere else it is noise.
 */
const STRAY_ZWJ = /(?<!\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?)\u200D|\u200D(?!\p{Extended_Pictographic})/gu;
/**
 * A zero-width non-joiner is meaningful between letters of scripts that join (Persian, Arabic,
 * Indic), noise elsewhere, and in particular next to Latin, Greek or Cyrillic letters, where it
 * only serves to split a word ("guar\u200Canteed").
 */
const STRAY_ZWNJ =
  /(?<![\p{L}\p{M}])\u200C|\u200C(?![\p{L}\p{M}])|(?<=[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]\p{M}*)\u200C|\u200C(?=[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])/gu;
/**
 * A variation selector only means something after a character that has variants: an emoji or
 * pictograph (❤️), a keycap base before U+20E3 (1️⃣), a Han ideograph or a symbol. After a letter
 * or digit, or alone, it is an invisible word splitter ("100\uFE0Fx").
 */
const STRAY_VARIATION_SELECTOR = /(?<![\p{Extended_Pictographic}\p{Script=Han}\p{So}\p{Sm}])[\uFE00-\uFE0F\u{E0100}-\u{E01EF}](?!\u20E3)/gu;
/**
 * Tag characters (U+E0000 block) are kept only in an emoji tag sequence (the flags of England,
 * Scotland, Wales: 🏴 + tag letters + CANCEL TAG). Elsewhere they are invisible text that
 * screen readers and models may still read.
 */
const EMOJI_TAG_SEQUENCE = /(\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F})/u;
const TAG_CHARACTER = /[\u{E0000}-\u{E007F}]/gu;

/** Horizontal whitespace, including the Unicode spaces models sometimes emit. */
const HORIZONTAL_SPACE = /[ \t\f\v\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/gu;

/** Opening quote -> acceptable closing quotes. */
const QUOTE_PAIRS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['"', ['"', '”']],
  ['“', ['”', '"']],
  ['„', ['“', '”']],
  ['«', ['»']],
  ["'", ["'", '’']],
  ['‘', ['’', "'"]],
];
// The regexes spell non-Latin-1 characters as \u escapes: esbuild copies regex literals verbatim,
// and one such character makes V8 hold the whole bundle chunk's source in two bytes a character.
const DOUBLE_QUOTES = /["\u201C\u201D\u201E\u00AB\u00BB]/u;
/** A single quote that is not an apostrophe inside a word ("it's" is fine, "'a' 'b'" is not). */
const NON_APOSTROPHE_SINGLE_QUOTE = /(?<![\p{L}\p{N}])['\u2018\u2019]|['\u2018\u2019](?![\p{L}\p{N}])/u;

/**
 * Applies safe, mechanical clean-ups to model output before validation. Per tweet, in order:
 *
 * 1. `unicode_normalise`: NFC, so look-alike composed/decomposed letters compare and count equally.
 * 2. `strip_invisible`: removes zero-width spaces, word joiners, BOMs, soft hyphens, bidi marks,
 *    Hangul fillers, stray variation selectors and tag characters, and ZWJ/ZWNJ that are not part
 *    of an emoji ZWJ sequence (👨‍👩‍👧 keeps its joiners) or of a word in a joining script.
 * 3. `trim`: leading and trailing whitespace.
 * 4. `collapse_whitespace`: runs of spaces/tabs/Unicode spaces become one space, spaces around
 *    line breaks go, CRLF becomes LF, and 3+ line breaks become one blank line. Single line
 *    breaks are kept: they are deliberate formatting on X.
 * 5. `strip_quotes`: removes quotes wrapping the whole tweet (straight, curly, guillemets),
 *    repeatedly, but only when the inner text has no other quote of that kind, so
 *    `"A" vs "B"` is left alone.
 * 6. `trailing_hashtags`: when the tweet has more than `maxHashtags` hashtags, the pile of
 *    hashtags at the end is cut from its end until the total fits; inline hashtags (part of a
 *    sentence) count first and are never removed. The first hashtags of the pile survive because
 *    models list the most relevant first. If inline hashtags alone exceed the limit, the whole
 *    pile goes and validation still reports the rest.
 *
 * For text a person typed (`source: 'human'`: the Edit modal) only steps 1 to 3 run: they change
 * nothing a reader can see, while quotes, spacing and hashtags are the moderator's choice.
 *
 * Bidi overrides and isolates are not removed here (removing them changes what a reader sees):
 * {@link findBidiControls} finds them and validation refuses the text.
 *
 * Thread numbering such as "1/" is kept: it is a normal X convention. Empty tweets are kept
 * (not dropped) so tweet indexes stay stable; validation reports them.
 */
export function sanitiseContent(tweets: readonly string[], options: SanitiseOptions): SanitiseResult {
  const editorial = (options.source ?? 'generated') === 'generated';
  const changes: SanitiseChange[] = [];
  const sanitised = tweets.map((original, tweetIndex) => {
    const record = (fix: SanitiseFix, description: string) => changes.push({ fix, tweetIndex, description });
    let text = original;

    const normalised = text.normalize('NFC');
    if (normalised !== text) {
      record('unicode_normalise', 'Normalised Unicode to composed form (NFC)');
      text = normalised;
    }

    const visible = stripInvisible(text);
    if (visible !== text) {
      const removed = [...text].length - [...visible].length;
      record('strip_invisible', `Removed ${removed} invisible character${removed === 1 ? '' : 's'} (zero-width spaces, joiners or similar)`);
      text = visible;
    }

    const trimmed = text.trim();
    if (trimmed !== text) {
      record('trim', 'Removed leading or trailing whitespace');
      text = trimmed;
    }

    // A person's own formatting, quotes and hashtags are theirs to choose; only the model's are tidied.
    if (!editorial) return text;

    const collapsed = collapseWhitespace(text);
    if (collapsed !== text) {
      record('collapse_whitespace', 'Collapsed repeated spaces and blank lines');
      text = collapsed;
    }

    const unquoted = stripWrappingQuotes(text);
    if (unquoted !== text) {
      record('strip_quotes', 'Removed the quotes wrapping the whole tweet');
      text = unquoted;
    }

    const { text: withoutPile, dropped } = dropTrailingHashtags(text, options.maxHashtags);
    if (dropped.length > 0) {
      record(
        'trailing_hashtags',
        `Dropped ${dropped.length} trailing hashtag${dropped.length === 1 ? '' : 's'} beyond the limit of ${options.maxHashtags}: ${dropped.join(' ')}`,
      );
      text = withoutPile;
    }

    return text;
  });
  return { tweets: sanitised, changes };
}

/** Removes every invisible character {@link sanitiseContent} strips (step 2), keeping emoji sequences intact. */
export function stripInvisible(text: string): string {
  // Tag characters go everywhere except inside an emoji tag sequence (split keeps those at odd indexes).
  const withoutStrayTags = text
    .split(EMOJI_TAG_SEQUENCE)
    .map((part, index) => (index % 2 === 1 ? part : part.replace(TAG_CHARACTER, '')))
    .join('');
  return withoutStrayTags.replace(ALWAYS_INVISIBLE, '').replace(STRAY_VARIATION_SELECTOR, '').replace(STRAY_ZWJ, '').replace(STRAY_ZWNJ, '');
}

/**
 * Free text a person typed that the bot shows or forwards (Regenerate feedback): NFC, invisible
 * characters stripped, trimmed; null when nothing visible is left. Bidi controls are left for
 * {@link findBidiControls} to refuse.
 */
export function sanitiseFreeText(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const cleaned = stripInvisible(text.normalize('NFC')).trim();
  return hasVisibleCharacter(cleaned) ? cleaned : null;
}

/**
 * A note that is only shown, never published nor sent to the model (a reject reason): like
 * {@link sanitiseFreeText}, and bidi controls are dropped rather than refused, because a
 * rejection must never be blocked by its note.
 */
export function sanitiseNote(text: string | null | undefined): string | null {
  const cleaned = sanitiseFreeText(text);
  return cleaned === null ? null : sanitiseFreeText(cleaned.replace(BIDI_CONTROL, ''));
}

/** Bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069): they change display order. */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/gu;

const BIDI_NAMES: Readonly<Record<string, string>> = {
  '\u202A': 'LEFT-TO-RIGHT EMBEDDING',
  '\u202B': 'RIGHT-TO-LEFT EMBEDDING',
  '\u202C': 'POP DIRECTIONAL FORMATTING',
  '\u202D': 'LEFT-TO-RIGHT OVERRIDE',
  '\u202E': 'RIGHT-TO-LEFT OVERRIDE',
  '\u2066': 'LEFT-TO-RIGHT ISOLATE',
  '\u2067': 'RIGHT-TO-LEFT ISOLATE',
  '\u2068': 'FIRST STRONG ISOLATE',
  '\u2069': 'POP DIRECTIONAL ISOLATE',
};

/** The distinct bidi controls in `text`, named for a message, e.g. "U+202E (RIGHT-TO-LEFT OVERRIDE)". */
export function findBidiControls(text: string): string[] {
  const found = new Set<string>();
  for (const [char] of text.matchAll(BIDI_CONTROL)) found.add(`${codePointLabel(char)} (${BIDI_NAMES[char] ?? 'bidi control'})`);
  return [...found];
}

/**
 * Format characters (Unicode category Cf) that are neither stripped by {@link stripInvisible}
 * nor visible: anything invisible that slipped past the list, e.g. U+FFF9 or U+1D173. ZWJ/ZWNJ
 * and tag characters are allowed here because the sanitiser keeps only their legitimate uses;
 * the Arabic and Kaithi number signs are visible. Bidi controls have their own message.
 */
export function findHiddenFormatCharacters(text: string): string[] {
  const found = new Set<string>();
  for (const char of text) {
    if (!/\p{Cf}/u.test(char) || VISIBLE_OR_HANDLED_FORMAT.test(char) || BIDI_CONTROL_ONE.test(char)) continue;
    found.add(codePointLabel(char));
  }
  return [...found];
}
const VISIBLE_OR_HANDLED_FORMAT = /^[\u200C\u200D\u{E0020}-\u{E007F}\u0600-\u0605\u06DD\u070F\u0890\u0891\u08E2\u{110BD}\u{110CD}]$/u;
const BIDI_CONTROL_ONE = /^[\u202A-\u202E\u2066-\u2069]$/u;

/**
 * True when `text` has at least one character a reader can see: not whitespace, not a format
 * or default-ignorable character, not a lone combining mark, not a blank glyph (Braille blank,
 * Hangul filler).
 */
export function hasVisibleCharacter(text: string): boolean {
  return /[^\p{White_Space}\p{Cf}\p{Default_Ignorable_Code_Point}\p{M}\u2800\u3164\u115F\u1160\uFFA0]/u.test(text);
}

/** "U+202E" for one character. */
function codePointLabel(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Latin look-alikes from Cyrillic and Greek that are used to dodge word filters ("guаranteed"
 * with a Cyrillic а). Deliberately small: the common letters of the confusables list whose
 * glyphs are identical to a Latin letter in ordinary fonts.
 */
const CONFUSABLES: Readonly<Record<string, string>> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ү: 'y',
  һ: 'h',
  ӏ: 'l',
  ɡ: 'g',
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  У: 'Y',
  Х: 'X',
  І: 'I',
  Ј: 'J',
  Ѕ: 'S',
  Ӏ: 'I',
  α: 'a',
  ο: 'o',
  ν: 'v',
  ρ: 'p',
  ι: 'i',
  κ: 'k',
  υ: 'u',
  χ: 'x',
  ε: 'e',
  τ: 't',
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
};
const CONFUSABLE_CHAR = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'gu');

/**
 * The form of a text the word rules (banned phrases, risk flags) also look at, never published:
 * compatibility-normalised (NFKC: fullwidth ｇｕａｒａｎｔｅｅｄ and mathematical 𝐠𝐮𝐚𝐫𝐚𝐧𝐭𝐞𝐞𝐝
 * become plain letters), without any default-ignorable character, with Cyrillic and Greek
 * look-alikes mapped to Latin, and with every Unicode space as a plain space. A rule that
 * matches here but not in the text itself was dodged on purpose.
 */
export function matchingForm(text: string): string {
  return stripInvisible(text)
    .normalize('NFKC')
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .replace(CONFUSABLE_CHAR, (char) => CONFUSABLES[char] ?? char)
    .replace(/[^\S\n]/gu, ' ');
}

function collapseWhitespace(text: string): string {
  return text
    .replace(/\r\n?/gu, '\n')
    .replace(HORIZONTAL_SPACE, ' ')
    .replace(/ *\n */gu, '\n')
    .replace(/\n{3,}/gu, '\n\n');
}

function stripWrappingQuotes(text: string): string {
  let current = text;
  for (;;) {
    const next = stripOneQuotePair(current);
    if (next === current) return current;
    current = next.trim();
  }
}

function stripOneQuotePair(text: string): string {
  if (text.length < 2) return text;
  const first = text[0] ?? '';
  const last = text[text.length - 1] ?? '';
  const pair = QUOTE_PAIRS.find(([open, closes]) => open === first && closes.includes(last));
  if (!pair) return text;
  const inner = text.slice(1, -1);
  const isSingle = first === "'" || first === '‘';
  const innerHasQuote = isSingle ? NON_APOSTROPHE_SINGLE_QUOTE.test(inner) : DOUBLE_QUOTES.test(inner);
  // Nested wrappers ("“text”") are fine; quotes inside the text ("A" vs "B") are not.
  if (innerHasQuote && stripOneQuotePair(inner.trim()) === inner.trim()) return text;
  return inner;
}

function dropTrailingHashtags(text: string, maxHashtags: number): { text: string; dropped: string[] } {
  const hashtags = twitterText().extractHashtagsWithIndices(text);
  if (hashtags.length <= maxHashtags) return { text, dropped: [] };

  // Walk back from the end while only whitespace separates the hashtags.
  let pileStart = hashtags.length;
  let boundary = text.length;
  for (let i = hashtags.length - 1; i >= 0; i--) {
    const [start, end] = hashtags[i]?.indices ?? [0, 0];
    if (text.slice(end, boundary).trim() !== '') break;
    pileStart = i;
    boundary = start;
  }
  const pile = hashtags.slice(pileStart);
  if (pile.length === 0) return { text, dropped: [] };

  const inline = hashtags.length - pile.length;
  const keep = Math.max(0, maxHashtags - inline);
  const firstDropped = pile[keep];
  if (firstDropped === undefined) return { text, dropped: [] };
  const cut = firstDropped.indices[0];
  return {
    text: text.slice(0, cut).trimEnd(),
    dropped: pile.slice(keep).map((entry) => text.slice(entry.indices[0], entry.indices[1])),
  };
}
