import { twitterText } from './twitter-text.js';

/** A tweet from the account's timeline, as reconciliation needs it. */
export interface TimelineTweet {
  readonly id: string;
  readonly text: string;
  /** The id of the thread's root (X's `conversation_id`); equal to `id` for a root tweet; null if unknown. */
  readonly conversationId: string | null;
}

const HTML_ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/**
 * The form two texts are compared in when looking for our own tweets on the timeline. X returns
 * `text` HTML-escaped and with every link replaced by a t.co URL, so links are compared as a
 * placeholder and entities are decoded; whitespace runs collapse.
 */
export function normaliseForTimelineMatch(text: string): string {
  let decoded = text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => HTML_ENTITIES[entity] ?? entity);
  const urls = twitterText().extractUrlsWithIndices(decoded);
  for (const url of [...urls].reverse()) {
    decoded = decoded.slice(0, url.indices[0]) + '\u0000url\u0000' + decoded.slice(url.indices[1]);
  }
  return decoded.normalize('NFC').replace(/\s+/g, ' ').trim();
}

/** What a link becomes in a normalised text (see normaliseForTimelineMatch). */
const URL_PLACEHOLDER = '\u0000url\u0000';

/** A normalised text without its last link, when it ends with one (the media link X appends). */
function withoutLinkAtEnd(text: string): string {
  return text.endsWith(URL_PLACEHOLDER) ? text.slice(0, -URL_PLACEHOLDER.length).trimEnd() : text;
}

/** Snowflake order: a later tweet has a larger id. */
function isAfter(id: string, previous: string): boolean {
  try {
    return BigInt(id) > BigInt(previous);
  } catch {
    return false;
  }
}

/**
 * Finds, in order, the tweets of a publication that reached X although we never recorded them
 * (a crash or a lost answer after the POST). Starts after the `knownIds` already stored. The root
 * (tweet 0) matches a timeline tweet with the same text that starts its own conversation; tweet
 * `i > 0` matches one with the same text, in the root's conversation, posted after tweet `i - 1`.
 * (`conversation_id` is used because it is the thread link both the live API and its published
 * spec accept as a field.) Stops at the first tweet not found, so the caller resumes posting from
 * there. Returns only the newly found ids.
 * With `rootHasMedia` (the root carried images), the root also matches its text followed by one
 * more link: X ends the `text` of a post with media with the media's t.co link.
 */
export function findPostedContinuation(
  tweets: readonly string[],
  knownIds: readonly string[],
  timeline: readonly TimelineTweet[],
  options: { readonly rootHasMedia?: boolean } = {},
): string[] {
  const ids = [...knownIds];
  const found: string[] = [];
  const used = new Set(ids);
  for (let i = ids.length; i < tweets.length; i += 1) {
    const wanted = normaliseForTimelineMatch(tweets[i] as string);
    const root = ids[0];
    const previous = ids[i - 1];
    const match = timeline.find((t) => {
      if (used.has(t.id)) return false;
      const seen = normaliseForTimelineMatch(t.text);
      // X ends the text of a post with media with the media's t.co link: the root with images carries one more link than we sent.
      const sameText = seen === wanted || (i === 0 && options.rootHasMedia === true && withoutLinkAtEnd(seen) === wanted);
      if (!sameText) return false;
      if (root === undefined || previous === undefined) return t.conversationId === null || t.conversationId === t.id;
      return t.conversationId === root && isAfter(t.id, previous);
    });
    if (!match) break;
    ids.push(match.id);
    used.add(match.id);
    found.push(match.id);
  }
  return found;
}
