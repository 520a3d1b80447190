import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DUPLICATE_THRESHOLD,
  InvalidDuplicateThresholdError,
  LSH_BANDS,
  computeFingerprint,
  contentHash,
  findDuplicate,
  jaccardSimilarity,
  lshCandidateProbability,
  normaliseForComparison,
  type DuplicateCandidate,
  type DuplicateLookup,
} from '../../src/domain/duplicates.js';
import { mulberry32, pick } from '../support/seeded-random.js';

/** An in-memory store indexed like the database: by content hash and by band key. */
class InMemoryDuplicateLookup implements DuplicateLookup {
  private readonly byHash = new Map<string, DuplicateCandidate[]>();
  private readonly byBandKey = new Map<string, DuplicateCandidate[]>();
  readonly bandQueries: number[] = [];

  add(draftId: number, tweets: readonly string[]): void {
    const candidate = { draftId, text: tweets.join('\n') };
    const fingerprint = computeFingerprint(tweets);
    this.push(this.byHash, fingerprint.contentHash, candidate);
    for (const key of fingerprint.bandKeys) this.push(this.byBandKey, key, candidate);
  }

  async findByContentHash(hash: string): Promise<DuplicateCandidate[]> {
    return [...(this.byHash.get(hash) ?? [])];
  }

  async findByBandKeys(keys: readonly string[]): Promise<DuplicateCandidate[]> {
    const found = new Map<number, DuplicateCandidate>();
    for (const key of keys) for (const candidate of this.byBandKey.get(key) ?? []) found.set(candidate.draftId, candidate);
    this.bandQueries.push(found.size);
    return [...found.values()];
  }

  private push(index: Map<string, DuplicateCandidate[]>, key: string, candidate: DuplicateCandidate): void {
    const list = index.get(key);
    if (list) list.push(candidate);
    else index.set(key, [candidate]);
  }
}

const VOCABULARY = (
  'pump fun token launch bonding curve liquidity holders supply creator community meme coin solana wallet ' +
  'chart volume graduate raydium migration fee rewards stream live trend narrative degen early rug safety ' +
  'check lock mint authority freeze dev sell buy trade market cap ticker name image description socials ' +
  'website telegram discord twitter thread tip lesson guide newbie mistake avoid always never remember ' +
  'first second third step simple quick slow careful research contract audit scam phishing link drainer ' +
  'seed phrase private key hardware backup secure password support team update feature mobile app ' +
  'desktop browser extension phantom solflare jupiter swap slippage priority gas sol usdc stable profit ' +
  'loss risk reward patience discipline strategy plan goal target entry exit position size bag hold ' +
  'diamond hands paper jeet whale bot sniper bundle insider cluster distribution fair stealth presale ' +
  'airdrop points season vibes culture art story lore mascot frog dog cat penguin hat moon sun star ' +
  'the a an of to in on for with and or but is are was be this that it you your we our they their ' +
  'what why how when where who which more most less least very much many few every each any some'
).split(' ');

function randomTweet(rng: () => number, words = 25 + Math.floor(rng() * 15)): string {
  return Array.from({ length: words }, () => pick(rng, VOCABULARY)).join(' ');
}

function changeOneWord(rng: () => number, text: string): string {
  const words = text.split(' ');
  const index = Math.floor(rng() * words.length);
  let replacement = pick(rng, VOCABULARY);
  while (replacement === words[index]) replacement = pick(rng, VOCABULARY);
  words[index] = replacement;
  return words.join(' ');
}

const THIRTY_WORDS =
  'Before you launch a token on Pump.fun, decide who it is for, write a clear description, ' +
  'and check that your image and socials are ready. Launches with a story hold attention longer.';

describe('normaliseForComparison and contentHash', () => {
  it('GIVEN case, spacing, punctuation, emoji and hashtag differences THEN the normalised text is equal', () => {
    const a = 'Check the HOLDERS before you buy!!! 🚀 #Solana';
    const b = '  check   the holders, before you buy solana 🚀🚀 ';
    expect(normaliseForComparison(a)).toBe('check the holders before you buy solana');
    expect(normaliseForComparison(b)).toBe(normaliseForComparison(a));
    expect(contentHash([a])).toBe(contentHash([b]));
    expect(contentHash([a])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('GIVEN a link and the bare domain THEN both reduce to the host', () => {
    expect(normaliseForComparison('Go to https://www.pump.fun/board?ref=abc now')).toBe('go to pump fun now');
    expect(normaliseForComparison('Go to Pump.fun now')).toBe('go to pump fun now');
  });

  it('GIVEN full-width letters THEN NFKC folds them', () => {
    expect(normaliseForComparison('ＰＵＭＰ')).toBe('pump');
  });

  it('GIVEN a thread and the same text as one tweet THEN the hash is the same, and a changed word changes it', () => {
    expect(contentHash(['one two', 'three'])).toBe(contentHash(['one two three']));
    expect(contentHash(['one two', 'three'])).not.toBe(contentHash(['one two', 'four']));
  });
});

describe('jaccardSimilarity', () => {
  it('GIVEN identical or cosmetically different texts THEN similarity is 1', () => {
    expect(jaccardSimilarity(THIRTY_WORDS, THIRTY_WORDS.toUpperCase())).toBe(1);
  });

  it('GIVEN one word changed in a 30-word tweet THEN similarity stays well above 0.8', () => {
    const changed = THIRTY_WORDS.replace('clear', 'short');
    const similarity = jaccardSimilarity(THIRTY_WORDS, changed);
    expect(similarity).toBeGreaterThan(0.85);
    expect(similarity).toBeLessThan(1);
  });

  it('GIVEN empty texts THEN two empties are identical and one empty matches nothing', () => {
    expect(jaccardSimilarity('', '🚀')).toBe(1);
    expect(jaccardSimilarity('', 'hello')).toBe(0);
  });

  it('GIVEN texts shorter than a shingle THEN they compare as whole strings', () => {
    expect(jaccardSimilarity('gm', 'GM!')).toBe(1);
    expect(jaccardSimilarity('gm', 'gn')).toBe(0);
  });
});

describe('computeFingerprint', () => {
  it('GIVEN a tweet THEN it has the content hash and one short key per band', () => {
    const fingerprint = computeFingerprint([THIRTY_WORDS]);
    expect(fingerprint.contentHash).toBe(contentHash([THIRTY_WORDS]));
    expect(fingerprint.bandKeys).toHaveLength(LSH_BANDS);
    expect(new Set(fingerprint.bandKeys).size).toBe(LSH_BANDS);
    for (const key of fingerprint.bandKeys) {
      expect(key).toMatch(/^\d{1,2}:[0-9a-f]{16}$/);
      expect(key.length).toBeLessThanOrEqual(24);
    }
  });

  it('GIVEN the same text twice THEN the fingerprint is deterministic', () => {
    expect(computeFingerprint([THIRTY_WORDS])).toEqual(computeFingerprint([` ${THIRTY_WORDS.toLowerCase()} `]));
  });

  it('GIVEN the LSH parameters THEN recall at 0.8 is above 99.99% and unrelated texts rarely collide', () => {
    expect(lshCandidateProbability(0.8)).toBeGreaterThan(0.9999);
    expect(lshCandidateProbability(0.7)).toBeGreaterThan(0.985);
    expect(lshCandidateProbability(0.2)).toBeLessThan(0.01);
  });

  it('GIVEN pairs of varied similarity THEN the observed band-key sharing rate matches the recall formula', () => {
    // Checks the MinHash permutations behave like independent random ones: a biased hash family
    // would share keys more or less often than 1 - (1 - s^5)^25 predicts.
    const small = 'pump fun token launch bonding curve liquidity holders supply creator meme coin the a of to in and is you'.split(' ');
    const rng = mulberry32(1);
    const buckets = new Map<number, { pairs: number; shared: number; expected: number }>();
    for (let i = 0; i < 3_000; i++) {
      const words = Array.from({ length: 30 }, () => pick(rng, small));
      const edited = [...words];
      const edits = Math.floor(rng() * 12);
      for (let e = 0; e < edits; e++) edited[Math.floor(rng() * edited.length)] = pick(rng, small) + pick(rng, ['', 's', 'x']);
      const [a, b] = [words.join(' '), edited.join(' ')];
      const similarity = jaccardSimilarity(a, b);
      const keysA = new Set(computeFingerprint([a]).bandKeys);
      const shared = computeFingerprint([b]).bandKeys.some((key) => keysA.has(key));
      const bucket = Math.floor(similarity * 10);
      const entry = buckets.get(bucket) ?? { pairs: 0, shared: 0, expected: 0 };
      entry.pairs++;
      if (shared) entry.shared++;
      entry.expected += lshCandidateProbability(similarity);
      buckets.set(bucket, entry);
    }
    let checked = 0;
    for (const entry of buckets.values()) {
      if (entry.pairs < 100) continue;
      checked++;
      expect(Math.abs(entry.shared / entry.pairs - entry.expected / entry.pairs)).toBeLessThan(0.06);
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});

describe('findDuplicate', () => {
  const SAME_TOPIC = [
    'Rug checks take two minutes: look at the top holders, see if the dev wallet sold, and read the description for red flags.',
    'A token with one wallet holding 40 percent of supply is a warning sign. Look at the holder list before anything else.',
    'Scammers love urgency. If a stream or a DM pushes you to decide in seconds, slow down and check the token yourself.',
    'Never share your seed phrase. No support team, moderator or bot will ever need it, whatever they claim in a DM.',
    'Fake Pump.fun sites copy the design to drain wallets. Bookmark the real site and never sign what you do not understand.',
  ];

  it('GIVEN an exact duplicate with different whitespace and case THEN it is found as exact', async () => {
    const store = new InMemoryDuplicateLookup();
    store.add(7, [THIRTY_WORDS]);
    const match = await findDuplicate([`  ${THIRTY_WORDS.toUpperCase().replace(/ /g, '   ')}  `], store);
    expect(match).toEqual({ draftId: 7, similarity: 1, exact: true });
  });

  it('GIVEN a thread stored with newlines THEN the same thread is an exact duplicate', async () => {
    const store = new InMemoryDuplicateLookup();
    store.add(3, ['1/ First part', '2/ Second part']);
    expect(await findDuplicate(['1/ first part', '2/ second part!'], store)).toEqual({ draftId: 3, similarity: 1, exact: true });
  });

  it('GIVEN one word changed in a 30-word tweet THEN the near duplicate is found', async () => {
    const store = new InMemoryDuplicateLookup();
    store.add(1, [SAME_TOPIC[0]!]);
    store.add(2, [THIRTY_WORDS]);
    const match = await findDuplicate([THIRTY_WORDS.replace('story', 'mascot')], store);
    expect(match?.draftId).toBe(2);
    expect(match?.exact).toBe(false);
    expect(match?.similarity).toBeGreaterThan(0.8);
    expect(match?.similarity).toBeLessThan(1);
  });

  it('GIVEN distinct tweets on the same topic THEN none is matched and their similarity is low', async () => {
    const store = new InMemoryDuplicateLookup();
    SAME_TOPIC.slice(1).forEach((text, i) => store.add(i + 1, [text]));
    expect(await findDuplicate([SAME_TOPIC[0]!], store)).toBeNull();
    for (let i = 0; i < SAME_TOPIC.length; i++) {
      for (let j = i + 1; j < SAME_TOPIC.length; j++) {
        expect(jaccardSimilarity(SAME_TOPIC[i]!, SAME_TOPIC[j]!)).toBeLessThan(0.3);
      }
    }
  });

  it('GIVEN a match below the threshold THEN the threshold decides', async () => {
    const store = new InMemoryDuplicateLookup();
    store.add(1, [THIRTY_WORDS]);
    const edited = THIRTY_WORDS.replace('decide who it is for', 'think about your audience');
    const similarity = jaccardSimilarity(THIRTY_WORDS, edited);
    expect(similarity).toBeGreaterThan(0.6);
    expect(similarity).toBeLessThan(0.8);
    expect(await findDuplicate([edited], store, DEFAULT_DUPLICATE_THRESHOLD)).toBeNull();
    expect(await findDuplicate([edited], store, similarity)).toEqual({ draftId: 1, similarity, exact: false });
    expect(await findDuplicate([edited], store, similarity + 1e-9)).toBeNull();
  });

  it('GIVEN excludeDraftId THEN the draft itself is not reported', async () => {
    const store = new InMemoryDuplicateLookup();
    store.add(5, [THIRTY_WORDS]);
    expect(await findDuplicate([THIRTY_WORDS], store, 0.8, { excludeDraftId: 5 })).toBeNull();
    store.add(9, [THIRTY_WORDS.replace('story', 'mascot')]);
    expect((await findDuplicate([THIRTY_WORDS], store, 0.8, { excludeDraftId: 5 }))?.draftId).toBe(9);
  });

  it('GIVEN several exact duplicates THEN the lowest draft id wins', async () => {
    const store = new InMemoryDuplicateLookup();
    store.add(12, [THIRTY_WORDS]);
    store.add(4, [THIRTY_WORDS]);
    expect((await findDuplicate([THIRTY_WORDS], store))?.draftId).toBe(4);
  });

  it('GIVEN a stale hash whose text differs THEN it is not reported as exact', async () => {
    const lookup: DuplicateLookup = {
      findByContentHash: async () => [{ draftId: 1, text: 'something else entirely' }],
      findByBandKeys: async () => [],
    };
    expect(await findDuplicate([THIRTY_WORDS], lookup)).toBeNull();
  });

  it('GIVEN an out-of-range threshold THEN it throws a typed error', async () => {
    const store = new InMemoryDuplicateLookup();
    await expect(findDuplicate(['x'], store, 0)).rejects.toBeInstanceOf(InvalidDuplicateThresholdError);
    await expect(findDuplicate(['x'], store, 1.5)).rejects.toBeInstanceOf(InvalidDuplicateThresholdError);
    await expect(findDuplicate(['x'], store, Number.NaN)).rejects.toBeInstanceOf(InvalidDuplicateThresholdError);
  });

  it('GIVEN 10,000 stored random tweets THEN planted near duplicates are found, fresh tweets are not, and few candidates are fetched', async () => {
    const rng = mulberry32(2024);
    const store = new InMemoryDuplicateLookup();
    const corpus: string[] = [];
    for (let id = 1; id <= 10_000; id++) {
      const text = randomTweet(rng);
      corpus.push(text);
      store.add(id, [text]);
    }

    // Recall: 200 stored tweets, each with one word changed, must all come back.
    for (let i = 0; i < 200; i++) {
      const id = 1 + Math.floor(rng() * corpus.length);
      const nearDuplicate = changeOneWord(rng, corpus[id - 1]!);
      const match = await findDuplicate([nearDuplicate], store);
      expect(match, `planted near duplicate of #${id}`).not.toBeNull();
      expect(match!.similarity).toBeGreaterThanOrEqual(0.8);
      expect(match!.draftId === id || jaccardSimilarity(nearDuplicate, corpus[match!.draftId - 1]!) >= 0.8).toBe(true);
    }

    // Precision: new random tweets are not duplicates of anything.
    store.bandQueries.length = 0;
    for (let i = 0; i < 200; i++) {
      expect(await findDuplicate([randomTweet(rng)], store)).toBeNull();
    }
    // Selectivity: LSH fetches a tiny share of the store, not a scan.
    const meanCandidates = store.bandQueries.reduce((sum, n) => sum + n, 0) / store.bandQueries.length;
    expect(meanCandidates).toBeLessThan(10);
  });
});
