import { MAX_AVOID_NOTE_CHARS, MAX_AVOID_NOTES, type AvoidNote } from './learning.js';
import { matchingForm } from './sanitise.js';
import { twitterText } from './twitter-text.js';
import { findAddresses } from './validation.js';

/**
 * Avoid notes (issue 15 §3): the texts a cheap Claude call condensed from moderator feedback,
 * made fit to keep and to show Claude every day. Pure: the condenser and the voice service both
 * run it, so a note that breaks a hard rule or that a moderator forgot never gets stored.
 */

/** `forgotten` keeps at most this many texts a moderator removed (newest last). */
export const MAX_FORGOTTEN_NOTES = 50;

/** How two notes compare: case and whitespace aside ("Avoid  PRICE talk" is "avoid price talk"). */
export function avoidNoteKey(text: string): string {
  return collapse(text).toLowerCase();
}

function collapse(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/** The first `max` characters (code points, so an emoji is never split), without a dangling space. */
function cutToCharacters(text: string, max: number): string {
  const characters = Array.from(text);
  return characters.length <= max ? text : characters.slice(0, max).join('').trimEnd();
}

/**
 * True when a note breaks a hard rule of the posts that a note can carry: a contract or wallet
 * address, or an @mention, also when hidden behind look-alike letters. A note reaches the prompt
 * every day, so it must never put either in front of Claude.
 */
export function avoidNoteBreaksRule(text: string): boolean {
  const folded = matchingForm(text);
  if (findAddresses(text).length > 0 || findAddresses(folded).length > 0) return true;
  return twitterText().extractMentions(text).length > 0 || twitterText().extractMentions(folded).length > 0;
}

/**
 * Notes as they may be kept: trimmed with their whitespace collapsed, cut to MAX_AVOID_NOTE_CHARS,
 * without empties, duplicates (first kept), rule breakers or texts a moderator forgot, at most
 * MAX_AVOID_NOTES, in the order given.
 */
export function cleanAvoidNotes(texts: readonly string[], forgotten: readonly string[]): string[] {
  const forgottenKeys = new Set(forgotten.map(avoidNoteKey));
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const raw of texts) {
    if (kept.length >= MAX_AVOID_NOTES) break;
    const text = cutToCharacters(collapse(raw), MAX_AVOID_NOTE_CHARS);
    const key = avoidNoteKey(text);
    if (key === '' || seen.has(key) || forgottenKeys.has(key) || avoidNoteBreaksRule(text)) continue;
    seen.add(key);
    kept.push(text);
  }
  return kept;
}

/**
 * Gives each new text its note: one whose text is unchanged (by avoidNoteKey) keeps its id and
 * creation time, so /voice forget's ids stay valid across condensings; any other gets the next
 * `n<k>` id (never reused within an account).
 */
export function assignAvoidNoteIds(
  previous: readonly AvoidNote[],
  texts: readonly string[],
  nextNoteId: number,
  now: number,
): { notes: AvoidNote[]; nextNoteId: number } {
  const byKey = new Map(previous.map((note) => [avoidNoteKey(note.text), note]));
  let next = nextNoteId;
  const notes = texts.map((text): AvoidNote => {
    const same = byKey.get(avoidNoteKey(text));
    if (same) return { id: same.id, text, createdAt: same.createdAt };
    return { id: `n${next++}`, text, createdAt: now };
  });
  return { notes, nextNoteId: next };
}

/** Remembers a forgotten note's text (once, newest last, at most MAX_FORGOTTEN_NOTES). */
export function rememberForgotten(forgotten: readonly string[], text: string): string[] {
  const key = avoidNoteKey(text);
  return [...forgotten.filter((f) => avoidNoteKey(f) !== key), text].slice(-MAX_FORGOTTEN_NOTES);
}
