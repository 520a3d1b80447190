import twitterText from 'twitter-text';

/** The mechanical fixes {@link sanitiseContent} may apply. */
export type SanitiseFix =
  | 'unicode_normalise'
  | 'strip_invisible'
  | 'trim'
  | 'collapse_whitespace'
  | 'strip_quotes'
  | 'trailing_hashtags';

/** One fix applied to one tweet, reported so the moderation card can show what was changed. */
export interface SanitiseChange {
  readonly fix: SanitiseFix;
  readonly tweetIndex: number;
  /** Human-readable, e.g. "Dropped 2 trailing hashtags beyond the limit of 2: #a #b". */
  readonly description: string;
}

/** Sanitised tweets plus the list of changes, at most one per tweet per fix. */
export interface SanitiseResult {
  readonly tweets: string[];
  readonly changes: SanitiseChange[];
}

/** Invisible characters that never belong in a tweet. */
const ALWAYS_INVISIBLE = /[\u200B\u2060\uFEFF\u00AD\u180E\u2061-\u2064]/gu;
/**
 * A zero-width joiner is kept only inside an emoji ZWJ sequence (👨‍👩‍👧, 🏳️‍🌈, 🧑🏽‍💻): after an
 * emoji (optionally with VS16 or a skin tone) and before another emoji. Anywhere else it is noise.
 */
const STRAY_ZWJ = /(?<!\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?)\u200D|\u200D(?!\p{Extended_Pictographic})/gu;
/** A zero-width non-joiner is meaningful between letters (Persian, Indic scripts), noise elsewhere. */
const STRAY_ZWNJ = /(?<![\p{L}\p{M}])\u200C|\u200C(?![\p{L}\p{M}])/gu;

/** Horizontal whitespace, including the Unicode spaces models sometimes emit. */
const HORIZONTAL_SPACE = /[ \t\f\v\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/gu;

/** Opening quote -> acceptable closing quotes. */
const QUOTE_PAIRS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['"', ['"', '”']],
  ['“', ['”', '"']],
  ['„', ['“', '”']],
  ['«', ['»']],
  ['\'', ['\'', '’']],
  ['‘', ['’', '\'']],
];
const DOUBLE_QUOTES = /["“”„«»]/u;
/** A single quote that is not an apostrophe inside a word ("it's" is fine, "'a' 'b'" is not). */
const NON_APOSTROPHE_SINGLE_QUOTE = /(?<![\p{L}\p{N}])['‘’]|['‘’](?![\p{L}\p{N}])/u;

/**
 * Applies safe, mechanical clean-ups to model output before validation. Per tweet, in order:
 *
 * 1. `unicode_normalise`: NFC, so look-alike composed/decomposed letters compare and count equally.
 * 2. `strip_invisible`: removes zero-width spaces, word joiners, BOMs, soft hyphens, and ZWJ/ZWNJ
 *    that are not part of an emoji ZWJ sequence (👨‍👩‍👧 keeps its joiners) or of a word.
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
 * Thread numbering such as "1/" is kept: it is a normal X convention. Empty tweets are kept
 * (not dropped) so tweet indexes stay stable; validation reports them.
 */
export function sanitiseContent(tweets: readonly string[], options: { maxHashtags: number }): SanitiseResult {
  const changes: SanitiseChange[] = [];
  const sanitised = tweets.map((original, tweetIndex) => {
    const record = (fix: SanitiseFix, description: string) => changes.push({ fix, tweetIndex, description });
    let text = original;

    const normalised = text.normalize('NFC');
    if (normalised !== text) {
      record('unicode_normalise', 'Normalised Unicode to composed form (NFC)');
      text = normalised;
    }

    const visible = text.replace(ALWAYS_INVISIBLE, '').replace(STRAY_ZWJ, '').replace(STRAY_ZWNJ, '');
    if (visible !== text) {
      const removed = text.length - visible.length;
      record('strip_invisible', `Removed ${removed} invisible character${removed === 1 ? '' : 's'} (zero-width spaces, joiners or similar)`);
      text = visible;
    }

    const trimmed = text.trim();
    if (trimmed !== text) {
      record('trim', 'Removed leading or trailing whitespace');
      text = trimmed;
    }

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
  const isSingle = first === '\'' || first === '‘';
  const innerHasQuote = isSingle ? NON_APOSTROPHE_SINGLE_QUOTE.test(inner) : DOUBLE_QUOTES.test(inner);
  // Nested wrappers ("“text”") are fine; quotes inside the text ("A" vs "B") are not.
  if (innerHasQuote && stripOneQuotePair(inner.trim()) === inner.trim()) return text;
  return inner;
}

function dropTrailingHashtags(text: string, maxHashtags: number): { text: string; dropped: string[] } {
  const hashtags = twitterText.extractHashtagsWithIndices(text);
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
