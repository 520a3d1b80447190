import { DAY_MS, HOUR_MS } from './rate-limits.js';

/**
 * Images on drafts (issue 14): the types every layer shares and X's media rules. The rules are
 * X's own (https://docs.x.com/x-api/media): checked before anything is stored, so a refused file
 * never touches the disk or the draft.
 */

/** The image types X accepts for a post, as MIME types. */
export const MEDIA_MIME_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
export type MediaMimeType = (typeof MEDIA_MIME_TYPES)[number];

export const MEDIA_LIMITS = {
  /** Images on one post (X: up to 4 images, or 1 GIF, never mixed). */
  maxImages: 4,
  maxImageBytes: 5 * 1024 * 1024,
  maxGifBytes: 15 * 1024 * 1024,
  /** X's limit on alt text (POST /2/media/metadata). */
  maxAltTextLength: 1000,
  /** X keeps an uploaded media id usable for 24 h; we re-use one only while it is younger than this. */
  mediaIdReuseMs: 23 * HOUR_MS,
  /** A stored file no draft uses any more is deleted after this long. */
  unusedFileRetentionMs: 30 * DAY_MS,
} as const;

/** What inspecting a file found: its real type (by magic bytes), size and dimensions. */
export interface ImageFacts {
  readonly mimeType: MediaMimeType;
  readonly bytes: number;
  readonly width: number;
  readonly height: number;
}

/** Who wrote an image's alt text. */
export type AltTextSource = 'moderator' | 'claude';

/** One image of a draft, as stored (the file lives at `<media dir>/<sha256>`). */
export interface DraftMedia extends ImageFacts {
  /** 0-based; the order the images appear on the post. */
  readonly position: number;
  readonly sha256: string;
  /** Null only while nobody (moderator or Claude) has written one. */
  readonly altText: string | null;
  readonly altSource: AltTextSource | null;
  /**
   * What Claude found in the image that the hard rules forbid ("shows a wallet address"); each
   * becomes an `image_content` risk flag of every revision that carries the image. Empty: none.
   */
  readonly findings: readonly string[];
}

/**
 * An image uploaded to X for one publication: stored on the publication the moment X returns the
 * id, so a retry or a restart re-uses it (while younger than `mediaIdReuseMs`) instead of
 * uploading again, and never posts the tweet without it.
 */
export interface MediaUpload {
  readonly position: number;
  /** The file uploaded: a removed-and-re-added image at the same position is a different upload. */
  readonly sha256: string;
  readonly mediaId: string;
  readonly uploadedAt: number;
  /** POST /2/media/metadata succeeded for this id (or there was no alt text to send). */
  readonly altTextApplied: boolean;
}

/** Which of X's (or our) rules a file broke; named in the moderator's error. */
export type MediaRule = 'type' | 'count' | 'gif_alone' | 'size' | 'decode' | 'mismatch' | 'download' | 'alt_text';

/** A file or an alt text refused before anything was stored; `message` is for the moderator. */
export class MediaRuleError extends Error {
  constructor(
    readonly rule: MediaRule,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'MediaRuleError';
  }
}

/**
 * Whether an upload stored on a publication may go on the tweet as is: X forgets a media id 24 h
 * after the upload, so one older than MEDIA_LIMITS.mediaIdReuseMs is uploaded again.
 */
export function mediaUploadReusable(upload: MediaUpload, now: number): boolean {
  return now - upload.uploadedAt < MEDIA_LIMITS.mediaIdReuseMs;
}
