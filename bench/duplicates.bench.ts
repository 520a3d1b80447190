import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { TypeOrmDuplicateLookup } from '../src/db/repositories/duplicate-lookup.js';
import { DEFAULT_ACCOUNT_ID } from '../src/domain/account.js';
import { computeFingerprint, findDuplicate, jaccardSimilarity } from '../src/domain/duplicates.js';
import { mulberry32 } from '../tests/support/seeded-random.js';
import { openTempDatabase } from '../tests/support/temp-database.js';
import { report, summarise } from './report.js';

const STORED_POSTS = 100_000;
const CHECKS = 300;

const WORDS = (
  'pump fun bonding curve launch token creator community liquidity graduation raydium swap fee slippage wallet seed phrase ' +
  'phishing link rug pull dev holders supply chart volume market cap meme degen trench narrative early late buyer seller ' +
  'price curve fills threshold migrate pool burn lock trust verify research risk careful patience exit plan profit loss ' +
  'green red candle whale sniper bot bundle airdrop scam fake support admin telegram discord x post reply thread learn'
).split(' ');

// Real tweets share topical words but not whole phrasings. A text built only from the ~110
// topical words above would make random texts 30-40 % similar, far above real ones (5-20 %),
// so each tweet mixes them with words from a larger synthetic vocabulary.
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'shi', 'gen', 'dar', 'pel', 'quin', 'bro', 'sta', 'ly', 'ment'];
function syntheticVocabulary(rng: () => number, size: number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const n = 2 + Math.floor(rng() * 2);
    let word = '';
    for (let i = 0; i < n; i++) word += SYLLABLES[Math.floor(rng() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
}

let VOCABULARY: string[] = [];
function randomTweet(rng: () => number): string {
  const length = 18 + Math.floor(rng() * 22);
  const words: string[] = [];
  for (let i = 0; i < length; i++) {
    const pool = rng() < 0.4 ? WORDS : VOCABULARY;
    words.push(pool[Math.floor(rng() * pool.length)]!);
  }
  return `${words.join(' ')}.`;
}

describe('duplicate check on a big history', () => {
  it(`GIVEN ${STORED_POSTS.toLocaleString('en')} stored posts THEN one near-duplicate check is timed`, async () => {
    const db = await openTempDatabase();
    try {
      const rng = mulberry32(2026);
      VOCABULARY = syntheticVocabulary(rng, 3_000);
      const texts: string[] = [];
      const fillStarted = performance.now();
      // Bulk load through the raw better-sqlite3 handle: one transaction, prepared statements.
      const raw = (db.dataSource.driver as unknown as { databaseConnection: import('better-sqlite3').Database }).databaseConnection;
      const insertDraft = raw.prepare(
        `INSERT INTO drafts (topic_name, content_type, kind, tweets, content_hash, status, created_at, updated_at)
         VALUES ('education', 'education', 'tweet', ?, ?, 'approved', ?, ?)`,
      );
      // Published: an approved draft whose publication went out.
      const insertPublication = raw.prepare(
        `INSERT INTO publications (draft_id, account_id, status, posted_tweet_ids, published_at, created_at, updated_at) VALUES (?, 'default', 'published', '[]', ?, ?, ?)`,
      );
      const insertKey = raw.prepare('INSERT INTO content_fingerprints (draft_id, band_key) VALUES (?, ?)');
      raw.transaction(() => {
        for (let i = 0; i < STORED_POSTS; i++) {
          const text = randomTweet(rng);
          texts.push(text);
          const fingerprint = computeFingerprint([text]);
          const { lastInsertRowid } = insertDraft.run(JSON.stringify([text]), fingerprint.contentHash, i, i);
          insertPublication.run(lastInsertRowid, i, i, i);
          for (const key of fingerprint.bandKeys) insertKey.run(lastInsertRowid, key);
        }
      })();
      const fillSeconds = (performance.now() - fillStarted) / 1000;

      const lookup = new TypeOrmDuplicateLookup(db.dataSource, DEFAULT_ACCOUNT_ID);
      const timings: number[] = [];
      let found = 0;
      for (let i = 0; i < CHECKS; i++) {
        // Half are near-duplicates of stored posts (one word changed), half are new text.
        const base = texts[Math.floor(rng() * texts.length)]!;
        const candidate = i % 2 === 0 ? base.replace(/^\S+/, 'changed') : randomTweet(rng);
        const started = performance.now();
        const match = await findDuplicate([candidate], lookup, 0.8);
        timings.push(performance.now() - started);
        if (match) found += 1;
      }
      const stats = summarise(timings);
      report(
        'duplicate-check',
        { stored: STORED_POSTS, checks: CHECKS, nearDuplicatesFound: found, medianMs: stats.median, p95Ms: stats.p95, p99Ms: stats.p99, fillSeconds },
        '< 20 ms per check',
      );
      // Correctness, not speed: every planted near-duplicate was caught.
      expect(found).toBeGreaterThanOrEqual(CHECKS / 2);
    } finally {
      await db.close();
    }
  });

  it('GIVEN 1,000 tweet-sized texts THEN fingerprinting plus verification per text is timed', () => {
    const rng = mulberry32(11);
    if (VOCABULARY.length === 0) VOCABULARY = syntheticVocabulary(rng, 3_000);
    const texts = Array.from({ length: 1_000 }, () => randomTweet(rng));
    const timings: number[] = [];
    for (let i = 0; i < texts.length; i++) {
      const started = performance.now();
      computeFingerprint([texts[i]!]);
      jaccardSimilarity(texts[i]!, texts[(i + 1) % texts.length]!);
      timings.push(performance.now() - started);
    }
    const stats = summarise(timings);
    report('fingerprint-per-text', { texts: texts.length, meanMs: stats.mean, p99Ms: stats.p99 }, '< 0.5 ms per text');
    expect(timings).toHaveLength(texts.length);
  });
});
