import type { Actor } from '../domain/draft.js';
import type { DraftMedia, MediaRuleError } from '../domain/media.js';
import type { ModerationRefusal } from './moderation-service.js';
import type { AttachmentRef, DraftCardView } from './ports.js';

/**
 * What the Discord adapter asks of a draft's images (issue 14). MediaService (one per account,
 * built in app.ts) provides it; every change becomes a new revision of the pending draft, written
 * with its images in one transaction, audited, and shown on the card before anyone can approve it.
 */
export interface MediaRequest {
  readonly draftId: number;
  /** The revision the moderator saw (from the custom_id): a change to a newer revision is refused as stale. */
  readonly revision: number;
  readonly actor: Actor;
  readonly interactionId?: string | undefined;
  /** The card message the request came from (checked like ModerationRequest.messageId). */
  readonly messageId?: string | null | undefined;
}

/** What a media change came to. `applied` carries the new revision, to render. */
export type MediaChangeResult =
  | { readonly status: 'applied'; readonly card: DraftCardView }
  /** A file or alt text broke a rule; nothing was stored and the draft kept what it had. */
  | { readonly status: 'refused'; readonly error: MediaRuleError }
  | ModerationRefusal;

/** An image checked, stored and described, ready to belong to a draft (the output of `prepareImages`). */
export interface PreparedImage {
  readonly media: DraftMedia;
  /** The file's bytes, for Claude's image block (`/draft image:`). */
  readonly data: Uint8Array;
}

export interface DraftMediaOperations {
  /**
   * "Add image": downloads each file (bounded), checks X's rules against the draft's images and
   * the new ones together, stores the files, has Claude write the alt text of each image whose
   * alt text is empty (its findings become risk flags), then writes the new revision.
   * `altText` (the modal's field) applies to every added image; empty or null: Claude writes it.
   */
  addImages(request: MediaRequest & { readonly files: readonly AttachmentRef[]; readonly altText: string | null }): Promise<MediaChangeResult>;
  /**
   * `/draft image:`: the same checks and storage, before generation, with no draft yet.
   * Throws MediaRuleError for a refused file (nothing stored).
   */
  prepareImages(files: readonly AttachmentRef[], altText: string | null): Promise<PreparedImage[]>;
}
