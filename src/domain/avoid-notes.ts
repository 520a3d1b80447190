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
 * address, an @mention or a spelled-out link, also when hidden behind look-alike letters, or
 * when it tells the writer to ignore its rules. A note reaches the prompt every day, so it must
 * never put any of these in front of Claude.
 */
export function avoidNoteBreaksRule(text: string): boolean {
  const folded = matchingForm(text);
  if (findAddresses(text).length > 0 || findAddresses(folded).length > 0) return true;
  if (twitterText().extractMentions(text).length > 0 || twitterText().extractMentions(folded).length > 0) return true;
  return OVERRIDES_RULES.test(folded) || [text, folded].some(hasExplicitLink);
}

/**
 * A note that tells the writer to set its rules or instructions aside is no avoid note, however
 * it was condensed (a reject reason can ask for it): it would sit in every prompt, where the hard
 * rules still win but each draft could be spent fighting it. Checked on the look-alike-folded text.
 */
const OVERRIDES_RULES =
  /\b(?:ignore|disregard|override|bypass|circumvent|forget)\b[^.!?\n]{0,40}\b(?:rules?|instructions?|prompts?|guidelines?|guardrails?|restrictions?)\b/iu;

/**
 * A link a note spells out (scheme, www. or a path): the condensing is told to name the kind of
 * thing instead. A bare domain stays, or no note about this Pump.fun account could say "pump.fun".
 */
function hasExplicitLink(text: string): boolean {
  return twitterText()
    .extractUrls(text)
    .some((url) => /^[a-z][a-z0-9+.-]*:\/\//iu.test(url) || /^www\./iu.test(url) || /\//u.test(url.replace(/\/+$/u, '')));
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
