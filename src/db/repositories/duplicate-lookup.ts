import type { DataSource } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import { DUPLICATE_RELEVANT_STATUSES } from '../../domain/draft.js';
import type { DuplicateCandidate, DuplicateLookup } from '../../domain/duplicates.js';
import { indexedBy, orderedJoin, queryRows } from '../sql.js';

/**
 * The duplicate-relevant statuses on the draft row: published, publishing and queued drafts are
 * all `approved` there (their publication says which), and approved drafts count whatever their
 * publication did, except a failed one, which is as before: its words may return.
 */
const DRAFT_STATUSES = [...new Set(DUPLICATE_RELEVANT_STATUSES.map((s) => (s === 'pending' ? 'pending' : 'approved')))];
const STATUS_LIST = DRAFT_STATUSES.map((s) => `'${s}'`).join(', ');
/** A failed publication's words may return; nothing else about the publication matters here. */
const NOT_FAILED = `NOT EXISTS (SELECT 1 FROM publications pub WHERE pub.draft_id = d.id AND pub.account_id = d.account_id AND pub.status = 'failed')`;

/**
 * Duplicate lookups over the whole history through two indexes: drafts.content_hash for exact
 * matches and content_fingerprints.band_key for LSH candidates. Only drafts whose text was
 * published or still may be (pending, approved, publishing) count; rejected words may return.
 */
export class TypeOrmDuplicateLookup implements DuplicateLookup {
  constructor(
    private readonly dataSource: DataSource,
    private readonly accountId: AccountId,
  ) {}

  async findByContentHash(hash: string): Promise<DuplicateCandidate[]> {
    const rows = await queryRows<{ id: unknown; tweets: string }>(
      this.dataSource,
      // INDEXED BY (SQLite): the status indexes would otherwise tempt the planner into a scan.
      `SELECT d.id, d.tweets FROM drafts d${indexedBy(this.dataSource, 'idx_drafts_content_hash')}
        WHERE d.content_hash = :hash AND d.account_id = :accountId AND d.status IN (${STATUS_LIST}) AND ${NOT_FAILED}`,
      { hash, accountId: this.accountId },
    );
    return rows.map(toCandidate);
  }

  async findByBandKeys(keys: readonly string[]): Promise<DuplicateCandidate[]> {
    if (keys.length === 0) return [];
    // CROSS JOIN (SQLite) fixes the join order: start from the few fingerprint rows the band-key
    // index finds, then fetch their drafts by primary key. Left to itself SQLite may scan every
    // draft of a status instead, which grows with the history.
    const rows = await queryRows<{ id: unknown; tweets: string }>(
      this.dataSource,
      `SELECT DISTINCT d.id, d.tweets
         FROM content_fingerprints f ${orderedJoin(this.dataSource)} drafts d ON d.id = f.draft_id
        WHERE f.band_key IN (:...keys) AND f.account_id = :accountId AND d.status IN (${STATUS_LIST}) AND ${NOT_FAILED}`,
      { keys: [...keys], accountId: this.accountId },
    );
    return rows.map(toCandidate);
  }
}

function toCandidate(row: { id: unknown; tweets: string }): DuplicateCandidate {
  return { draftId: Number(row.id), text: (JSON.parse(row.tweets) as string[]).join('\n') };
}
