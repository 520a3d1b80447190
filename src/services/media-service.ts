import type { Draft } from '../domain/draft.js';
import { computeFingerprint } from '../domain/duplicates.js';
import { GenerationError, ZERO_USAGE, type TokenUsage } from '../domain/generation.js';
import {
  altTextViolations,
  checkImageCount,
  checkImageSet,
  inspectImage,
  maxBytesForHead,
  maxDownloadBytes,
  mediaTypeName,
  MEDIA_LIMITS,
  MediaRuleError,
  normaliseMediaType,
  revisionRiskFlags,
  type DraftMedia,
  type ImageFacts,
} from '../domain/media.js';
import { sanitiseFreeText } from '../domain/sanitise.js';
import type { Logger } from '../logging/index.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import type { DraftMediaOperations, MediaChangeResult, MediaRequest, PreparedImage } from './media-contract.js';
import { refusalDetail, type ModerationRefusal } from './moderation-service.js';
import type {
  AttachmentDownloader,
  AttachmentRef,
  Clock,
  DraftCardView,
  DraftRepository,
  GenerationRunRepository,
  ImageDecoder,
  ImageDescriber,
  MediaFileStore,
  ModerationEventRepository,
} from './ports.js';

export interface MediaServiceOptions {
  /** MODERATION_TIMEOUT: a new revision's deadline, as Edit and Regenerate give theirs. */
  readonly moderationTimeoutMs: number;
}

export interface MediaServiceDependencies {
  readonly drafts: DraftRepository;
  readonly moderationEvents: ModerationEventRepository;
  readonly files: MediaFileStore;
  readonly downloader: AttachmentDownloader;
  readonly describer: ImageDescriber;
  /** Decodes each file's data: a valid header over broken data is refused before anything is stored. */
  readonly decoder: ImageDecoder;
  /** Each image description is a Claude call: recorded as a generation run, so /stats counts its tokens. */
  readonly generationRuns: GenerationRunRepository;
  /** Builds the card of a draft as it is now (ModerationService.viewOf), for the handler to render. */
  readonly views: { viewOf(draftId: number): Promise<DraftCardView> };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: MediaServiceOptions;
  /**
   * Bounds how many intakes (download, check, store, describe) run at once in the process, shared
   * by every account's MediaService (app.ts); the others wait their turn. Absent: no bound.
   */
  readonly intake?: ConcurrencyLimit | undefined;
  /** Told when a pending draft got a new deadline (its new revision), so the deadline timer can re-arm. */
  readonly onDeadlineChanged?: (() => void) | undefined;
}

/** What Claude is told about the post an image belongs to, and the draft its run is recorded against (none yet for /draft). */
interface DescribeContext {
  readonly draftId?: number | undefined;
  readonly topicName?: string | undefined;
  readonly tweets?: readonly string[] | undefined;
}

/** The audit action of "Add image". */
const ADD_IMAGE = 'add_image';

/**
 * Images on drafts (issue 14): "Add image" on a pending card, and the images of `/draft image:`.
 * Every file is checked against X's rules before anything is stored (count and GIF rules before
 * any download, then each file's real type, decoding and size), the files go to the media
 * directory, Claude writes the alt text the moderator left empty, and only then is the new
 * revision written, images and words in one transaction. A refusal leaves the draft as it was.
 */
export class MediaService implements DraftMediaOperations {
  constructor(private readonly deps: MediaServiceDependencies) {}

  async addImages(request: MediaRequest & { readonly files: readonly AttachmentRef[]; readonly altText: string | null }): Promise<MediaChangeResult> {
    const { drafts, clock } = this.deps;
    const draft = await drafts.findById(request.draftId);
    const refusal = refusalFor(draft, request);
    if (refusal || !draft) return this.audited(request, refusal ?? { status: 'not_found' });
    const existing = [...(draft.media ?? [])].sort((a, b) => a.position - b.position);
    const log = this.deps.logger.child({ draftId: draft.id, revision: draft.revision });

    let prepared: PreparedImage[];
    try {
      const prepare = () =>
        this.prepare(
          existing,
          request.files,
          request.altText,
          { draftId: draft.id, topicName: draft.topicName, tweets: draft.tweets },
          'write the alt text yourself',
        );
      prepared = await (this.deps.intake ? this.deps.intake.run(prepare) : prepare());
    } catch (error) {
      if (!(error instanceof MediaRuleError)) throw error;
      log.info('images refused', { rule: error.rule, reason: error.message });
      return this.audited(request, { status: 'refused', error });
    }

    const media = [...existing, ...prepared.map((image) => image.media)];
    const now = clock.now();
    // The words do not change: same hash and fingerprint; the flags follow the new image set.
    const fingerprint = computeFingerprint(draft.tweets);
    const revised = await drafts.replaceContent(
      draft.id,
      draft.revision,
      {
        kind: draft.kind,
        tweets: draft.tweets,
        contentHash: draft.contentHash,
        bandKeys: fingerprint.bandKeys,
        riskFlags: revisionRiskFlags(draft.riskFlags, media),
        sanitiserChanges: draft.sanitiserChanges,
        deadlineAt: now + this.deps.options.moderationTimeoutMs,
        editedBy: request.actor,
        media,
      },
      now,
    );
    if (!revised) {
      // Someone decided or revised the draft while the files were checked: their revision stands.
      const current = await drafts.findById(draft.id);
      return this.audited(request, refusalFor(current, request) ?? { status: 'stale', currentRevision: current?.revision ?? request.revision });
    }
    await this.audit(request, 'revised', `revision ${revised.revision}: ${prepared.map((image) => describeImage(image.media)).join(', ')}`);
    log.info('images added', { newRevision: revised.revision, images: prepared.length, byUserId: request.actor.id });
    this.deps.onDeadlineChanged?.();
    return { status: 'applied', card: await this.deps.views.viewOf(draft.id) };
  }

  prepareImages(files: readonly AttachmentRef[], altText: string | null): Promise<PreparedImage[]> {
    // /draft has no alt text field, only its `alt:` option.
    const prepare = () => this.prepare([], files, altText, {}, 'give the alt text with the alt: option');
    return this.deps.intake ? this.deps.intake.run(prepare) : prepare();
  }

  /**
   * Checks, stores and describes `files` as images following `existing`. Throws MediaRuleError
   * for the first rule broken; nothing reaches the draft then (a file already stored is unused
   * and goes with the 30-day sweep).
   */
  private async prepare(
    existing: readonly DraftMedia[],
    files: readonly AttachmentRef[],
    rawAltText: string | null,
    context: DescribeContext,
    /** What the moderator can do when Claude cannot write the alt text, in the words of the entry point. */
    remedy: string,
  ): Promise<PreparedImage[]> {
    if (files.length === 0) throw new MediaRuleError('count', 'No file was attached; attach 1 to 4 images');
    // Rules that need no bytes come first: nothing is downloaded for a request that cannot pass.
    checkImageCount(
      existing,
      files.map((file) => normaliseMediaType(file.contentType ?? '')),
    );
    const altText = sanitiseFreeText(rawAltText);
    if (altText !== null) {
      const violations = altTextViolations(altText);
      if (violations.length > 0) throw new MediaRuleError('alt_text', violations.map((v) => v.message).join('; '), { violations });
    }

    const downloaded: { bytes: Uint8Array; facts: ImageFacts & { name: string } }[] = [];
    for (const file of files) {
      const claimed = normaliseMediaType(file.contentType ?? '');
      // A GIF's 15 MB only when the type Discord gave or the name says GIF; once the first bytes
      // show the real type, a file that is no GIF stops at 5 MB. checkImageSet then holds the line.
      const maxBytes = maxDownloadBytes(claimed, file.filename);
      if (file.size > maxBytes) throw sizeError(file.filename, file.size, maxBytes);
      const bytes = await this.deps.downloader.download(file, maxBytes, maxBytesForHead);
      const facts = inspectImage(bytes, file.contentType, file.filename);
      await this.checkDecodes(bytes, facts, file.filename);
      downloaded.push({ bytes, facts: { ...facts, name: file.filename } });
    }
    checkImageSet(
      existing,
      downloaded.map((file) => file.facts),
    );

    const prepared: PreparedImage[] = [];
    for (const [index, file] of downloaded.entries()) {
      const sha256 = await this.deps.files.put(file.bytes);
      const position = existing.length + index;
      const { mimeType, bytes, width, height } = file.facts;
      const written =
        altText === null ? await this.describe(file.bytes, mimeType, position, context, remedy) : { altText, altSource: 'moderator' as const, findings: [] };
      prepared.push({ media: { position, sha256, mimeType, bytes, width, height, ...written }, data: file.bytes });
    }
    return prepared;
  }

  /**
   * inspectImage read the header only: the data must decode too, to the header's dimensions.
   * @throws MediaRuleError `decode`, naming the file.
   */
  private async checkDecodes(bytes: Uint8Array, facts: ImageFacts, name: string): Promise<void> {
    const type = mediaTypeName(facts.mimeType);
    let decoded;
    try {
      decoded = await this.deps.decoder.decode(bytes, facts.mimeType);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new MediaRuleError('decode', `${name} does not decode as a ${type} image: ${reason}`, { mimeType: facts.mimeType, bytes: bytes.length });
    }
    if (decoded.width !== facts.width || decoded.height !== facts.height) {
      throw new MediaRuleError(
        'decode',
        `${name} does not decode as a ${type} image: its header says ${facts.width} x ${facts.height} pixels but its data is ${decoded.width} x ${decoded.height}`,
        { header: { width: facts.width, height: facts.height }, decoded: { width: decoded.width, height: decoded.height } },
      );
    }
  }

  /** Claude's alt text and findings for one image; an image never goes out without alt text, so a failure refuses it. */
  private async describe(
    data: Uint8Array,
    mimeType: DraftMedia['mimeType'],
    position: number,
    context: DescribeContext,
    remedy: string,
  ): Promise<Pick<DraftMedia, 'altText' | 'altSource' | 'findings'>> {
    const startedAt = this.deps.clock.now();
    const { draftId: _draftId, ...prompt } = context;
    let review;
    try {
      review = await this.deps.describer.describe({ mimeType, data }, prompt);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.deps.logger.warn('Claude could not describe an image', { position, error });
      // Tokens spent on an unusable answer count too.
      await this.recordRun(context, 'failed', reason, error instanceof GenerationError && error.usage ? error.usage : ZERO_USAGE, startedAt);
      throw new MediaRuleError('alt_text', `Claude could not describe the image: ${reason}; ${remedy}`, { position });
    }
    await this.recordRun(context, 'created', null, review.usage, startedAt);
    const altText = [...(sanitiseFreeText(review.altText) ?? '')].slice(0, MEDIA_LIMITS.maxAltTextLength).join('').trim();
    if (altText === '') throw new MediaRuleError('alt_text', `Claude could not describe the image: it wrote no alt text; ${remedy}`, { position });
    // Claude reads what the image shows: an address in the picture must not go out as its alt text.
    const violations = altTextViolations(altText, `The alt text Claude wrote for image ${position + 1}`);
    if (violations.length > 0) {
      throw new MediaRuleError('alt_text', `${violations.map((v) => v.message).join('; ')}; ${remedy}`, { position });
    }
    return { altText, altSource: 'claude', findings: review.findings.map((finding) => finding.trim()).filter((finding) => finding !== '') };
  }

  /** One generation_runs row (and its /stats rollup, in the same transaction) for an image description. */
  private async recordRun(context: DescribeContext, outcome: 'created' | 'failed', reason: string | null, usage: TokenUsage, startedAt: number): Promise<void> {
    await this.deps.generationRuns.record({
      trigger: 'image_description',
      outcome,
      reason: reason === null ? null : reason.slice(0, 500),
      draftId: context.draftId ?? null,
      topicName: context.topicName ?? null,
      attempts: 1,
      usage,
      startedAt,
      finishedAt: this.deps.clock.now(),
    });
  }

  private async audited<T extends MediaChangeResult>(request: MediaRequest, result: T): Promise<T> {
    const detail = result.status === 'refused' ? `${result.error.rule}: ${result.error.message}` : refusalDetail(result);
    await this.audit(request, result.status, detail, result.status !== 'not_found');
    return result;
  }

  /** One moderation_events row, as ModerationService writes them (a missing draft is recorded without its id). */
  private async audit(request: MediaRequest, outcome: string, detail: string | null, draftExists = true): Promise<void> {
    const missing = `requested draft #${request.draftId} revision ${request.revision}, which does not exist`;
    await this.deps.moderationEvents.record(
      {
        draftId: draftExists ? request.draftId : null,
        revision: draftExists ? request.revision : null,
        actor: request.actor,
        action: ADD_IMAGE,
        outcome,
        detail: draftExists ? detail : [missing, detail].filter(Boolean).join('; '),
        interactionId: request.interactionId ?? null,
      },
      this.deps.clock.now(),
    );
  }
}

/** The same card, state and revision checks as a moderation click (ModerationService.refusalFor). */
function refusalFor(draft: Draft | null, request: Pick<MediaRequest, 'revision' | 'messageId'>): ModerationRefusal | null {
  if (!draft) return { status: 'not_found' };
  if (draft.moderationMessageId === null || draft.moderationMessageId !== (request.messageId ?? null)) {
    return { status: 'wrong_card', messageId: request.messageId ?? null, cardMessageId: draft.moderationMessageId };
  }
  if (draft.status !== 'pending') return { status: 'already_decided', draft };
  if (draft.revision !== request.revision) return { status: 'stale', currentRevision: draft.revision };
  return null;
}

function sizeError(name: string, bytes: number, limit: number): MediaRuleError {
  const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/u, '')} MB`;
  return new MediaRuleError('size', `${name} is ${mb(bytes)}; X takes at most ${mb(limit)} for it`, { bytes, limit });
}

function describeImage(image: DraftMedia): string {
  return `image ${image.position + 1} (${image.mimeType}, ${image.width}x${image.height}, ${image.bytes} bytes, alt text by ${image.altSource ?? 'nobody'})`;
}
