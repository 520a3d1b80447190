import { imageSize } from 'image-size';
import { DAY_MS, HOUR_MS } from './rate-limits.js';
import type { RiskFlag } from './risk-flags.js';
import { matchingForm } from './sanitise.js';
import { twitterText } from './twitter-text.js';
import { findAddresses, type Violation } from './validation.js';

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
  /**
   * Discord's upload limit per file (10 MiB, a bot in a guild without boosts): a bigger file cannot
   * be shown on the card, and nothing is published that moderators could not see, so a GIF X
   * would take (up to 15 MB) is refused over this.
   */
  maxShownBytes: 10 * 1024 * 1024,
  /**
   * X's largest image, in pixels per side. Checked from the header before the file is decoded:
   * a small file can claim a huge canvas, and decoding 8192 x 8192 already takes 256 MB.
   */
  maxSidePixels: 8192,
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
export type MediaRule = 'type' | 'count' | 'gif_alone' | 'size' | 'dimensions' | 'decode' | 'mismatch' | 'download' | 'alt_text';

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

/** What image-size calls each type X accepts (it detects by magic bytes, whatever the file is named). */
const DETECTED_TYPES: Readonly<Record<string, MediaMimeType>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

const TYPE_NAMES: Readonly<Record<MediaMimeType, string>> = {
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/webp': 'WEBP',
  'image/gif': 'GIF',
};

/** The short name of an image type for messages ("PNG"). */
export function mediaTypeName(mimeType: MediaMimeType): string {
  return TYPE_NAMES[mimeType];
}

/**
 * The accepted MIME type a claimed content type stands for ("image/jpg", "IMAGE/PNG; charset=x"
 * included), or null when it names none of X's types.
 */
export function normaliseMediaType(claimed: string): MediaMimeType | null {
  const base = (claimed.split(';')[0] ?? '').trim().toLowerCase();
  const type = base === 'image/jpg' || base === 'image/pjpeg' ? 'image/jpeg' : base;
  return (MEDIA_MIME_TYPES as readonly string[]).includes(type) ? (type as MediaMimeType) : null;
}

/** The largest file X takes for an image of this type: 15 MB for a GIF, 5 MB otherwise. */
export function maxMediaBytes(mimeType: MediaMimeType): number {
  return mimeType === 'image/gif' ? MEDIA_LIMITS.maxGifBytes : MEDIA_LIMITS.maxImageBytes;
}

/**
 * The most bytes worth downloading for a file before its bytes are seen: a GIF's limit only when
 * the type Discord gave or the file name says GIF, otherwise an image's (a GIF sent under another
 * name or type is refused as a mismatch anyway).
 */
export function maxDownloadBytes(claimedType: MediaMimeType | null, filename: string): number {
  return claimedType === 'image/gif' || /\.gif$/i.test(filename.trim()) ? MEDIA_LIMITS.maxGifBytes : MEDIA_LIMITS.maxImageBytes;
}

/**
 * The limit for a file once its first bytes are known: only a real GIF (its "GIF8" signature) may
 * pass an image's 5 MB. Null while fewer than 4 bytes are in. The full check is inspectImage's.
 */
export function maxBytesForHead(head: Uint8Array): number | null {
  if (head.byteLength < 4) return null;
  const gif = head[0] === 0x47 && head[1] === 0x49 && head[2] === 0x46 && head[3] === 0x38;
  return gif ? MEDIA_LIMITS.maxGifBytes : MEDIA_LIMITS.maxImageBytes;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MB`;
}

/**
 * Identifies a file by its own bytes (image-size reads the magic bytes and the header, so a
 * truncated or made-up header does not pass) and checks it against the type the uploader claimed.
 * `claimedType` null: the bytes decide alone. `name` (the file name) only makes messages clearer.
 *
 * @throws MediaRuleError `decode` (not a readable image), `type` (an image or a claim X does not
 *   accept), `mismatch` (a PNG announced as JPEG: the file is not what it claims).
 */
export function inspectImage(bytes: Uint8Array, claimedType: string | null, name = 'The file'): ImageFacts {
  const claimed = claimedType === null || claimedType.trim() === '' ? null : claimedType.trim();
  const claimedMime = claimed === null ? null : normaliseMediaType(claimed);
  if (claimed !== null && claimedMime === null) {
    throw new MediaRuleError('type', `${name} is ${claimed}; X takes PNG, JPEG, WEBP or GIF only`, { claimedType: claimed });
  }
  let detected: { type?: string | undefined; width: number; height: number };
  try {
    detected = imageSize(bytes);
  } catch (error) {
    throw new MediaRuleError('decode', `${name} does not decode as an image (${error instanceof Error ? error.message : String(error)})`, {
      claimedType: claimed,
      bytes: bytes.length,
    });
  }
  const mimeType = detected.type === undefined ? undefined : DETECTED_TYPES[detected.type];
  if (mimeType === undefined) {
    throw new MediaRuleError('type', `${name} is a ${(detected.type ?? 'unknown').toUpperCase()} image; X takes PNG, JPEG, WEBP or GIF only`, {
      detectedType: detected.type,
    });
  }
  if (!(detected.width > 0 && detected.height > 0)) {
    throw new MediaRuleError('decode', `${name} does not decode as an image (its header gives ${detected.width} x ${detected.height} pixels)`, {
      detectedType: detected.type,
    });
  }
  if (detected.width > MEDIA_LIMITS.maxSidePixels || detected.height > MEDIA_LIMITS.maxSidePixels) {
    throw new MediaRuleError(
      'dimensions',
      `${name} is ${detected.width} x ${detected.height} pixels; X takes images up to ${MEDIA_LIMITS.maxSidePixels} x ${MEDIA_LIMITS.maxSidePixels}`,
      { width: detected.width, height: detected.height },
    );
  }
  if (claimedMime !== null && claimedMime !== mimeType) {
    throw new MediaRuleError(
      'mismatch',
      `${name} claims to be ${TYPE_NAMES[claimedMime]} but its bytes are ${TYPE_NAMES[mimeType]}; upload the file as what it is`,
      {
        claimedType: claimedMime,
        detectedType: mimeType,
      },
    );
  }
  return { mimeType, bytes: bytes.length, width: detected.width, height: detected.height };
}

/**
 * X's rules on one post's images that can be checked before any file is fetched: at most 4
 * images, or 1 GIF alone. `existing` are the draft's images, `added` the types of the new ones
 * (null when not known yet: it counts, but cannot make a GIF).
 *
 * @throws MediaRuleError `gif_alone` or `count`.
 */
export function checkImageCount(existing: readonly Pick<ImageFacts, 'mimeType'>[], added: readonly (MediaMimeType | null)[]): void {
  const total = existing.length + added.length;
  const gifs = existing.filter((image) => image.mimeType === 'image/gif').length + added.filter((type) => type === 'image/gif').length;
  if (gifs > 0 && total > 1) {
    throw new MediaRuleError(
      'gif_alone',
      existing.length > 0
        ? `A GIF must be alone on a post: the draft would have ${total} images with ${gifs} GIF${gifs === 1 ? '' : 's'}; remove the other images first`
        : `A GIF must be alone on a post; ${total} files were given with ${gifs} GIF${gifs === 1 ? '' : 's'}`,
      { existing: existing.length, added: added.length, gifs },
    );
  }
  if (total > MEDIA_LIMITS.maxImages) {
    throw new MediaRuleError(
      'count',
      `A post takes at most ${MEDIA_LIMITS.maxImages} images; the draft has ${existing.length} and ${added.length} ${added.length === 1 ? 'was' : 'were'} added`,
      { existing: existing.length, added: added.length },
    );
  }
}

/**
 * Checks the images a post would carry once `added` joins `existing`: X's count and GIF rules,
 * and each added file's size (5 MB per image; a GIF, which X takes up to 15 MB, only up to the
 * 10 MB the card can show). `name` labels a file in messages.
 *
 * @throws MediaRuleError `gif_alone`, `count` or `size`.
 */
export function checkImageSet(existing: readonly ImageFacts[], added: readonly (ImageFacts & { readonly name?: string | undefined })[]): void {
  checkImageCount(
    existing,
    added.map((image) => image.mimeType),
  );
  added.forEach((image, index) => {
    const limit = maxMediaBytes(image.mimeType);
    if (image.bytes > limit) {
      const name = image.name ?? `Image ${existing.length + index + 1}`;
      throw new MediaRuleError(
        'size',
        `${name} is ${megabytes(image.bytes)}; X takes at most ${megabytes(limit)} per ${image.mimeType === 'image/gif' ? 'GIF' : 'image'}`,
        {
          bytes: image.bytes,
          limit,
        },
      );
    }
    if (image.bytes > MEDIA_LIMITS.maxShownBytes) {
      const name = image.name ?? `Image ${existing.length + index + 1}`;
      throw new MediaRuleError(
        'size',
        `${name} is ${megabytes(image.bytes)}: X takes GIFs up to ${megabytes(MEDIA_LIMITS.maxGifBytes)}, but the card can only show ${megabytes(MEDIA_LIMITS.maxShownBytes)}, and nothing is published that moderators could not see`,
        { bytes: image.bytes, limit: MEDIA_LIMITS.maxShownBytes },
      );
    }
  });
}

/**
 * Checks an alt text like tweet text (issue 14): at most 1,000 characters (X's limit), no wallet or
 * contract address, no @mention. Look-alike letters and invisible characters cannot hide an
 * address or a mention (the {@link matchingForm} is checked too). `label` names the image
 * ("The alt text of image 2"). Returns every violation; empty means the text may go out.
 */
export function altTextViolations(text: string, label = 'The alt text'): Violation[] {
  const violations: Violation[] = [];
  const length = [...text].length;
  if (length > MEDIA_LIMITS.maxAltTextLength) {
    violations.push({ rule: 'length', tweetIndex: null, message: `${label} is ${length} characters; the limit is ${MEDIA_LIMITS.maxAltTextLength}` });
  }
  const folded = matchingForm(text);
  const addresses = [...new Set([...findAddresses(text), ...findAddresses(folded)])];
  for (const address of addresses) {
    violations.push({ rule: 'address', tweetIndex: null, message: `${label} contains the address ${address}; contract and wallet addresses are not allowed` });
  }
  const mentions = [...new Set([...twitterText().extractMentions(text), ...twitterText().extractMentions(folded)])];
  if (mentions.length > 0) {
    violations.push({
      rule: 'mention',
      tweetIndex: null,
      message: `${label} mentions ${mentions.map((mention) => `@${mention}`).join(', ')}; @mentions are not allowed`,
    });
  }
  return violations;
}

/**
 * True while an uploaded media id may still be attached to a tweet: younger than 23 hours (X
 * keeps it 24). An upload dated in the future (the clock stepped back) is not trusted: uploading
 * again costs a little bandwidth, a dead id costs a failed post.
 */
export function mediaUploadReusable(upload: Pick<MediaUpload, 'uploadedAt'>, now: number): boolean {
  const age = now - upload.uploadedAt;
  return age >= 0 && age < MEDIA_LIMITS.mediaIdReuseMs;
}

/** Longest label of an `image_content` flag on the card. */
const IMAGE_FLAG_LABEL_MAX = 100;

/**
 * The `image_content` risk flags of a post's images: one per finding, labelled
 * "image N: <finding>" (N counts from 1, in post order; cut to 100 characters), duplicates once.
 * Every revision computes them from its images, so a kept image keeps its flags.
 */
export function imageRiskFlags(media: readonly Pick<DraftMedia, 'position' | 'findings'>[]): RiskFlag[] {
  const labels = new Set<string>();
  for (const image of [...media].sort((a, b) => a.position - b.position)) {
    for (const finding of image.findings) {
      const text = finding.replace(/\s+/gu, ' ').trim();
      if (text === '') continue;
      const label = `image ${image.position + 1}: ${text}`;
      labels.add([...label].length > IMAGE_FLAG_LABEL_MAX ? `${[...label].slice(0, IMAGE_FLAG_LABEL_MAX - 1).join('')}…` : label);
    }
  }
  return [...labels].map((label) => ({ id: 'image_content', label }));
}

/**
 * A revision's risk flags: the text's own flags (any `image_content` flag a previous revision
 * carried is dropped) and one per finding of the images it carries now.
 */
export function revisionRiskFlags(textFlags: readonly RiskFlag[], media: readonly Pick<DraftMedia, 'position' | 'findings'>[]): RiskFlag[] {
  return [...textFlags.filter((flag) => flag.id !== 'image_content'), ...imageRiskFlags(media)];
}

/** What the Edit modal changes about a draft's images, in the same revision as its text. */
export interface ImageEdits {
  /** By the image's current position: the new alt text, or null (or blank) to keep the one it has. */
  readonly altTexts: readonly (string | null)[];
  /** Current positions of the images to remove. */
  readonly remove: readonly number[];
}

/**
 * Applies the Edit modal's image changes: removed images drop out and the rest are renumbered in
 * order; a new alt text (trimmed; blank keeps the old one) becomes the moderator's and is
 * validated like tweet text, each violation naming the image. Findings stay with their image.
 * A position the draft does not have is nothing to change (the select menu offers only the
 * images of the revision the moderator saw, and the revision check binds the edit to it).
 */
export function editDraftMedia(media: readonly DraftMedia[], edits: ImageEdits): { readonly media: DraftMedia[] } | { readonly violations: Violation[] } {
  const violations: Violation[] = [];
  const sorted = [...media].sort((a, b) => a.position - b.position);
  const removed = new Set(edits.remove);
  const kept: DraftMedia[] = [];
  for (const image of sorted) {
    if (removed.has(image.position)) continue;
    const written = edits.altTexts[image.position]?.trim();
    if (written) {
      violations.push(...altTextViolations(written, `The alt text of image ${image.position + 1}`));
      kept.push({ ...image, altText: written, altSource: 'moderator' });
    } else {
      kept.push(image);
    }
  }
  if (violations.length > 0) return { violations };
  return { media: kept.map((image, position) => ({ ...image, position })) };
}
