import type { EntityManager } from 'typeorm';
import type { Draft } from '../../domain/draft.js';
import type { AltTextSource, DraftMedia, MediaMimeType } from '../../domain/media.js';
import { MediaEntity } from '../entities/media.entity.js';
import { queryRows, type SqlTarget } from '../sql.js';

interface MediaRow {
  draftId: unknown;
  position: unknown;
  mimeType: string;
  bytes: unknown;
  width: unknown;
  height: unknown;
  sha256: string;
  altText: string | null;
  altSource: string | null;
  findings: string;
}

function toDraftMedia(row: MediaRow): DraftMedia {
  return {
    position: Number(row.position),
    mimeType: row.mimeType as MediaMimeType,
    bytes: Number(row.bytes),
    width: Number(row.width),
    height: Number(row.height),
    sha256: row.sha256,
    altText: row.altText,
    altSource: row.altSource as AltTextSource | null,
    findings: row.findings ? (JSON.parse(row.findings) as string[]) : [],
  };
}

/**
 * The drafts with their images (`media`, in post order): ONE query for the whole list
 * (`WHERE draft_id IN (...)`), never one per draft. Every repository read that returns drafts
 * ends here, so no service ever sees a draft without its images.
 */
export async function withMedia(target: SqlTarget, drafts: Draft[]): Promise<Draft[]> {
  if (drafts.length === 0) return drafts;
  const ids = [...new Set(drafts.map((d) => d.id))];
  const rows = await queryRows<MediaRow>(
    target,
    `SELECT draft_id AS "draftId", position, mime_type AS "mimeType", bytes, width, height, sha256,
            alt_text AS "altText", alt_source AS "altSource", findings
       FROM media WHERE draft_id IN (:...ids) ORDER BY draft_id, position`,
    { ids },
  );
  const byDraft = new Map<number, DraftMedia[]>();
  for (const row of rows) {
    const id = Number(row.draftId);
    const list = byDraft.get(id) ?? [];
    list.push(toDraftMedia(row));
    byDraft.set(id, list);
  }
  return drafts.map((draft) => ({ ...draft, media: byDraft.get(draft.id) ?? [] }));
}

/** One draft with its images, or null. */
export async function oneWithMedia(target: SqlTarget, draft: Draft | null): Promise<Draft | null> {
  return draft ? ((await withMedia(target, [draft]))[0] ?? null) : null;
}

/**
 * Replaces the draft's whole image set by `media` (the caller's transaction: the same one that
 * writes the text, so a revision's words and images always commit together).
 */
export async function replaceMedia(manager: EntityManager, draftId: number, media: readonly DraftMedia[], now: number): Promise<void> {
  await manager.createQueryBuilder().delete().from(MediaEntity).where('draft_id = :draftId', { draftId }).execute();
  if (media.length === 0) return;
  await manager.insert(
    MediaEntity,
    media.map((m) => ({
      draftId,
      position: m.position,
      mimeType: m.mimeType,
      bytes: m.bytes,
      width: m.width,
      height: m.height,
      sha256: m.sha256,
      altText: m.altText,
      altSource: m.altSource,
      findings: [...m.findings],
      createdAt: now,
    })),
  );
}
