import type { DataSource } from 'typeorm';
import { DUPLICATE_RELEVANT_STATUSES } from '../../domain/draft.js';
import type { DuplicateCandidate, DuplicateLookup } from '../../domain/duplicates.js';

const STATUS_LIST = DUPLICATE_RELEVANT_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * Duplicate lookups over the whole history through two indexes: drafts.content_hash for exact
 * matches and content_fingerprints.band_key for LSH candidates. Only drafts whose text was
 * published or still may be (pending, approved, publishing) count; rejected words may return.
 */
export class TypeOrmDuplicateLookup implements DuplicateLookup {
  constructor(private readonly dataSource: DataSource) {}

  async findByContentHash(hash: string): Promise<DuplicateCandidate[]> {
    const rows: Array<{ id: number; tweets: string }> = await this.dataSource.query(
      // INDEXED BY: the status indexes would otherwise tempt the planner into a scan.
      `SELECT id, tweets FROM drafts INDEXED BY idx_drafts_content_hash WHERE content_hash = ? AND status IN (${STATUS_LIST})`,
      [hash],
    );
    return rows.map(toCandidate);
  }

  async findByBandKeys(keys: readonly string[]): Promise<DuplicateCandidate[]> {
    if (keys.length === 0) return [];
    const placeholders = keys.map(() => '?').join(', ');
    // CROSS JOIN fixes the join order: start from the few fingerprint rows the band-key index
    // finds, then fetch their drafts by primary key. Left to itself SQLite may scan every draft
    // of a status instead, which grows with the history.
    const rows: Array<{ id: number; tweets: string }> = await this.dataSource.query(
      `SELECT DISTINCT d.id, d.tweets
         FROM content_fingerprints f CROSS JOIN drafts d ON d.id = f.draft_id
        WHERE f.band_key IN (${placeholders}) AND d.status IN (${STATUS_LIST})`,
      [...keys],
    );
    return rows.map(toCandidate);
  }
}

function toCandidate(row: { id: number; tweets: string }): DuplicateCandidate {
  return { draftId: row.id, text: (JSON.parse(row.tweets) as string[]).join('\n') };
}
