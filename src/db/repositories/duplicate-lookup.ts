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
      `SELECT id, tweets FROM drafts WHERE content_hash = ? AND status IN (${STATUS_LIST})`,
      [hash],
    );
    return rows.map(toCandidate);
  }

  async findByBandKeys(keys: readonly string[]): Promise<DuplicateCandidate[]> {
    if (keys.length === 0) return [];
    const placeholders = keys.map(() => '?').join(', ');
    const rows: Array<{ id: number; tweets: string }> = await this.dataSource.query(
      `SELECT d.id, d.tweets FROM drafts d
        WHERE d.status IN (${STATUS_LIST})
          AND d.id IN (SELECT f.draft_id FROM content_fingerprints f WHERE f.band_key IN (${placeholders}))`,
      [...keys],
    );
    return rows.map(toCandidate);
  }
}

function toCandidate(row: { id: number; tweets: string }): DuplicateCandidate {
  return { draftId: row.id, text: (JSON.parse(row.tweets) as string[]).join('\n') };
}
