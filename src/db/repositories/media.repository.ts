import type { DataSource } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import type { MediaRepository } from '../../services/ports.js';
import { queryRows } from '../sql.js';

/**
 * The media files' life cycle over the `media` rows. A file is in use while a draft that is not
 * final carries it (pending; approved with a publication not yet published, or failed), or a
 * draft that became final at or after `since` (rejected or expired: decided then; published:
 * every one of its publications published then). The media directory is shared by every account
 * (one file per content): the sweep asks with `accountId` null, every account at once.
 */
export class TypeOrmMediaRepository implements MediaRepository {
  constructor(
    private readonly dataSource: DataSource,
    /** null: every account (the sweep of the shared media directory). */
    private readonly accountId: AccountId | null,
  ) {}

  async hashesInUse(since: number): Promise<Set<string>> {
    const scope = this.accountId === null ? '' : ' AND d.account_id = :accountId';
    const rows = await queryRows<{ sha256: string }>(
      this.dataSource,
      `SELECT DISTINCT m.sha256 AS sha256 FROM media m JOIN drafts d ON d.id = m.draft_id
        WHERE (d.status = 'pending'
           OR (d.status IN ('rejected', 'expired') AND COALESCE(d.decided_at, d.updated_at) >= :since)
           OR (d.status = 'approved' AND (
                 NOT EXISTS (SELECT 1 FROM publications p WHERE p.draft_id = d.id)
                 OR EXISTS (SELECT 1 FROM publications p WHERE p.draft_id = d.id
                             AND (p.status <> 'published' OR COALESCE(p.published_at, p.updated_at) >= :since)))))${scope}`,
      { since, ...(this.accountId === null ? {} : { accountId: this.accountId }) },
    );
    return new Set(rows.map((r) => r.sha256));
  }
}
