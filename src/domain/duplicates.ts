import { createHash } from 'node:crypto';
import { twitterText } from './twitter-text.js';

/*
 * Duplicate detection that stays fast with 100,000 stored posts.
 *
 * Similarity is the Jaccard index of the sets of **character 5-grams** ("shingles") of the
 * normalised text. Character shingles suit tweets better than word 3-grams: tweets are short,
 * so changing one word of a 30-word tweet already drops word-3-gram Jaccard to about 0.81
 * (3 of 28 shingles change), right at the default threshold, while character 5-grams put the
 * same edit near 0.9 and also absorb typos, plurals and inflections. Unrelated tweets on the
 * same topic share only common fragments (" the ", "pump fun") and score around 0.05 to 0.2.
 *
 * To avoid comparing against every stored post, each post gets a MinHash signature of
 * {@link MINHASH_PERMUTATIONS} = 125 values, cut into {@link LSH_BANDS} = 25 bands of
 * {@link LSH_ROWS_PER_BAND} = 5 rows. Each band is hashed into a short key that the store
 * indexes; only posts sharing at least one band key with the new draft are fetched and checked
 * with the exact Jaccard index. For two texts with Jaccard `s`, one MinHash value agrees with
 * probability `s`, so they share at least one band key with probability
 *
 * ```
 * P(candidate) = 1 - (1 - s^5)^25          (see lshCandidateProbability)
 *   s = 0.9  -> 0.9999999   s = 0.8 -> 0.99995   s = 0.75 -> 0.9989   s = 0.7 -> 0.990
 *   s = 0.65 -> 0.954       s = 0.6 -> 0.868     s = 0.5  -> 0.548
 *   s = 0.3  -> 0.059       s = 0.2 -> 0.008     s = 0.1  -> 0.00025
 * ```
 *
 * So at the default threshold 0.8 a near-duplicate is missed about once in 20,000 checks
 * (and a draft exactly at 0.8 is the worst case: real near-duplicates score higher), while an
 * unrelated post (s <= 0.2) is fetched less than 1 % of the time. Recall is about 99 % at a
 * threshold of 0.7 and degrades below that (0.87 at 0.6, 0.55 at 0.5): very low
 * DUPLICATE_THRESHOLD values will miss some of the looser matches they ask for.
 */

/** Shingles are character 5-grams of the normalised text. */
export const SHINGLE_SIZE = 5;
/** LSH bands per signature; each becomes one stored band key. */
export const LSH_BANDS = 25;
/** MinHash values per band: higher means fewer, more similar candidates. */
export const LSH_ROWS_PER_BAND = 5;
/** Length of the MinHash signature. */
export const MINHASH_PERMUTATIONS = LSH_BANDS * LSH_ROWS_PER_BAND;
/** The default DUPLICATE_THRESHOLD: drafts at least this similar to a stored post are duplicates. */
export const DEFAULT_DUPLICATE_THRESHOLD = 0.8;

/** What the store keeps per post so near-duplicates can be found by index lookups. */
export interface Fingerprint {
  /** sha256 hex of the normalised text; equal hashes mean an exact duplicate. */
  readonly contentHash: string;
  /** {@link LSH_BANDS} keys like "7:9f86d081884c7d65" (at most 19 characters); store them indexed. */
  readonly bandKeys: string[];
}

/** A stored post returned by a lookup: its draft id and its text (tweets joined by newlines). */
export interface DuplicateCandidate {
  readonly draftId: number;
  readonly text: string;
}

/** The stored post a draft duplicates. */
export interface DuplicateMatch {
  readonly draftId: number;
  /** Exact Jaccard similarity of the normalised texts, 0 to 1. */
  readonly similarity: number;
  /** True when the normalised texts are identical (only case, spacing, punctuation or emoji differ). */
  readonly exact: boolean;
}

/** Index lookups over stored fingerprints; implemented by the database layer. */
export interface DuplicateLookup {
  /** Posts whose {@link Fingerprint.contentHash} equals `hash`. */
  findByContentHash(hash: string): Promise<DuplicateCandidate[]>;
  /** Posts sharing at least one of `keys` (each post at most once, ideally). */
  findByBandKeys(keys: readonly string[]): Promise<DuplicateCandidate[]>;
}

/** A duplicate threshold outside (0, 1]. */
export class InvalidDuplicateThresholdError extends RangeError {
  override readonly name = 'InvalidDuplicateThresholdError';
  constructor(readonly threshold: number) {
    super(`Duplicate threshold must be greater than 0 and at most 1, got ${threshold}`);
  }
}

/**
 * The canonical form texts are compared in: NFKC (so full-width and styled letters fold),
 * links reduced to their host (so "https://pump.fun/board" and "Pump.fun" compare equal and
 * tracking parameters do not matter), lower-case, every character that is not a letter, digit
 * or combining mark (punctuation, emoji, #, $, @) turned into a space, and spaces collapsed.
 */
export function normaliseForComparison(text: string): string {
  let folded = text.normalize('NFKC');
  const urls = twitterText().extractUrlsWithIndices(folded);
  for (let i = urls.length - 1; i >= 0; i--) {
    const url = urls[i];
    if (url === undefined) continue;
    folded = `${folded.slice(0, url.indices[0])} ${urlHost(url.url)} ${folded.slice(url.indices[1])}`;
  }
  return folded
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, ' ')
    .trim();
}

/** The comparison text of a draft: its tweets joined, then {@link normaliseForComparison}. */
export function comparisonText(tweets: readonly string[]): string {
  return normaliseForComparison(tweets.join('\n'));
}

/** sha256 hex of the draft's comparison text; identical for drafts that differ only cosmetically. */
export function contentHash(tweets: readonly string[]): string {
  return sha256Hex(comparisonText(tweets));
}

/** The content hash and LSH band keys to store with a post. Well under 1 ms for a tweet. */
export function computeFingerprint(tweets: readonly string[]): Fingerprint {
  const text = comparisonText(tweets);
  return { contentHash: sha256Hex(text), bandKeys: bandKeysOf(minHashSignature(shingleSet(text))) };
}

/**
 * Jaccard similarity (|A ∩ B| / |A ∪ B|) of the character 5-gram sets of the two normalised
 * texts. Two texts that normalise to nothing are identical (1); one empty text matches nothing (0).
 */
export function jaccardSimilarity(a: string, b: string): number {
  return jaccardOfSets(shingleSet(normaliseForComparison(a)), shingleSet(normaliseForComparison(b)));
}

/** Probability that two texts with Jaccard similarity `similarity` share at least one band key. */
export function lshCandidateProbability(similarity: number): number {
  return 1 - (1 - similarity ** LSH_ROWS_PER_BAND) ** LSH_BANDS;
}

/**
 * Finds a stored post that the draft duplicates: first an exact match by content hash, then
 * the most similar LSH candidate whose exact Jaccard similarity is at least `threshold`
 * (ties go to the lowest draft id). `excludeDraftId` skips the draft itself, e.g. when a
 * regenerated revision is checked against a store that already holds its earlier revision.
 *
 * @throws InvalidDuplicateThresholdError when `threshold` is not in (0, 1].
 */
export async function findDuplicate(
  tweets: readonly string[],
  lookup: DuplicateLookup,
  threshold: number = DEFAULT_DUPLICATE_THRESHOLD,
  options: { excludeDraftId?: number } = {},
): Promise<DuplicateMatch | null> {
  if (!(threshold > 0 && threshold <= 1)) throw new InvalidDuplicateThresholdError(threshold);
  const keep = (candidate: DuplicateCandidate) => candidate.draftId !== options.excludeDraftId;

  const text = comparisonText(tweets);
  // A hash hit is re-checked on the text, so a stale hash from an older normaliser cannot lie.
  const exact = (await lookup.findByContentHash(sha256Hex(text)))
    .filter((candidate) => keep(candidate) && normaliseForComparison(candidate.text) === text)
    .sort((a, b) => a.draftId - b.draftId)[0];
  if (exact) return { draftId: exact.draftId, similarity: 1, exact: true };

  const shingles = shingleSet(text);
  const candidates = await lookup.findByBandKeys(bandKeysOf(minHashSignature(shingles)));
  const seen = new Set<number>();
  let best: DuplicateMatch | null = null;
  for (const candidate of candidates) {
    if (!keep(candidate) || seen.has(candidate.draftId)) continue;
    seen.add(candidate.draftId);
    const candidateText = normaliseForComparison(candidate.text);
    const similarity = candidateText === text ? 1 : jaccardOfSets(shingles, shingleSet(candidateText));
    if (similarity < threshold) continue;
    if (best === null || similarity > best.similarity || (similarity === best.similarity && candidate.draftId < best.draftId)) {
      best = { draftId: candidate.draftId, similarity, exact: candidateText === text };
    }
  }
  return best;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function urlHost(url: string): string {
  const host = (url.replace(/^[a-z][a-z0-9+.-]*:\/\//iu, '').split(/[/?#]/u)[0] ?? '').replace(/:\d+$/u, '');
  return host.replace(/^www\./iu, '');
}

/** FNV-1a over the UTF-16 code units of each 5-gram; a set of 32-bit shingle ids. */
function shingleSet(text: string): Set<number> {
  const shingles = new Set<number>();
  if (text.length === 0) return shingles;
  const size = Math.min(SHINGLE_SIZE, text.length);
  for (let start = 0; start + size <= text.length; start++) {
    let hash = 0x811c9dc5;
    for (let i = start; i < start + size; i++) {
      hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    }
    shingles.add(hash >>> 0);
  }
  return shingles;
}

function jaccardOfSets(a: ReadonlySet<number>, b: ReadonlySet<number>): number {
  if (a.size === 0 && b.size === 0) return 1;
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let intersection = 0;
  for (const value of small) if (large.has(value)) intersection++;
  return intersection / (a.size + b.size - intersection);
}

/** murmur3's 32-bit finaliser: a fast bijective mix with full avalanche. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Fixed per-permutation seeds. They are part of the stored format: changing them (or the band
 * layout) invalidates every stored band key, so the store would need re-fingerprinting.
 */
const PERMUTATION_SEEDS: Uint32Array = (() => {
  const seeds = new Uint32Array(MINHASH_PERMUTATIONS);
  for (let i = 0; i < MINHASH_PERMUTATIONS; i++) seeds[i] = fmix32(Math.imul(i + 1, 0x9e3779b9));
  return seeds;
})();

/** Permutation i maps a shingle x to fmix32(x XOR seed_i); the signature keeps each minimum. */
function minHashSignature(shingles: ReadonlySet<number>): Uint32Array {
  const signature = new Uint32Array(MINHASH_PERMUTATIONS).fill(0xffffffff);
  for (const shingle of shingles) {
    for (let i = 0; i < MINHASH_PERMUTATIONS; i++) {
      const hashed = fmix32((shingle ^ (PERMUTATION_SEEDS[i] ?? 0)) >>> 0);
      if (hashed < (signature[i] ?? 0)) signature[i] = hashed;
    }
  }
  return signature;
}

/** One 64-bit key (two independent 32-bit mixes, hex) per band, prefixed by the band number. */
function bandKeysOf(signature: Uint32Array): string[] {
  const keys: string[] = [];
  for (let band = 0; band < LSH_BANDS; band++) {
    let high = fmix32(0x1b873593 ^ band);
    let low = fmix32(0xcc9e2d51 ^ band);
    for (let row = 0; row < LSH_ROWS_PER_BAND; row++) {
      const value = signature[band * LSH_ROWS_PER_BAND + row] ?? 0;
      high = fmix32((Math.imul(high, 31) + value) >>> 0);
      low = fmix32((Math.imul(low ^ value, 0x01000193) + 0x7f4a7c15) >>> 0);
    }
    keys.push(`${band}:${high.toString(16).padStart(8, '0')}${low.toString(16).padStart(8, '0')}`);
  }
  return keys;
}
