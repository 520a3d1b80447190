import { ManualClock } from './manual-clock.js';
import { DryRunTarget } from '../../src/adapters/dry-run/dry-run-target.js';
import { appKeyFingerprint, settingsAppLimitStore, XPublishTarget } from '../../src/adapters/twitter/x-publish-target.js';
import { XPublisher } from '../../src/adapters/twitter/x-publisher.js';
import { DEFAULT_ACCOUNT_ID, type AccountId } from '../../src/domain/account.js';
import type { Draft } from '../../src/domain/draft.js';
import { ZERO_USAGE } from '../../src/domain/generation.js';
import { createSilentLogger } from '../../src/logging/index.js';
import type { DraftMedia, MediaMimeType } from '../../src/domain/media.js';
import {
  MediaFileMissingError,
  type MediaFileStore,
  type NewDraft,
  type PublishingObserver,
  type PublishTarget,
  type SettingsRepository,
  type TweetPublisher,
} from '../../src/services/ports.js';
import { PublishingService, type PublishingConfig, type PublishingServiceDeps } from '../../src/services/publishing-service.js';
import { FakeX, type FakeXOptions } from './fake-x.js';
import type { RecordedRequest } from './fake-http.js';
import { sha256Hex } from './images.js';
import { loadSpecValidator } from './spec-validator.js';
import { openTempDatabase, type TempDatabase } from './temp-database.js';

/** OAuth 1.0a credentials the fake checks signatures against. */
export const X_CREDENTIALS = {
  appKey: 'draftgate-consumer-key',
  appSecret: 'draftgate-consumer-secret',
  accessToken: '1600000000000000001-accesstoken',
  accessSecret: 'draftgate-access-secret',
} as const;
export { ManualClock };

/** 2026-01-15 12:00 UTC: a fixed, realistic epoch for every publishing test. */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

/**
 * The service's configuration plus what the harness needs to build its target: dry run (the
 * dry-run target) or the X target's prices, fallback window and look-back.
 */
export interface HarnessPublishingConfig extends PublishingConfig {
  readonly dryRun: boolean;
  readonly costPerPostUsd: number;
  readonly costPerPostWithUrlUsd: number;
  readonly rateLimitFallbackMs?: number | undefined;
  readonly reconcileLookback?: number | undefined;
}

export const DEFAULT_TEST_CONFIG: HarnessPublishingConfig = {
  dryRun: false,
  maxPostsPerHour: 100,
  maxPostsPerDay: 1000,
  costPerPostUsd: 0.015,
  costPerPostWithUrlUsd: 0.2,
  leaseMs: 60_000,
};

export const moderator = { id: '100000000000000001', name: 'alice' };

/** Records every observer call, in order. */
export class RecordingObserver implements PublishingObserver {
  readonly events: Array<{ kind: 'published' | 'queued' | 'failed'; draftId: number; alert?: boolean }> = [];
  onPublished(draft: Draft): void {
    this.events.push({ kind: 'published', draftId: draft.id });
  }
  onQueued(draft: Draft): void {
    this.events.push({ kind: 'queued', draftId: draft.id });
  }
  onFailed(draft: Draft, alert: boolean): void {
    this.events.push({ kind: 'failed', draftId: draft.id, alert });
  }
}

/** A media directory in memory: the publishing tests need the port, not the disk (the adapter has its own tests). */
export class MemoryMediaFiles implements MediaFileStore {
  readonly files = new Map<string, Uint8Array>();
  reads = 0;
  async put(bytes: Uint8Array): Promise<string> {
    const sha256 = sha256Hex(bytes);
    this.files.set(sha256, new Uint8Array(bytes));
    return sha256;
  }
  async read(sha256: string): Promise<Uint8Array> {
    this.reads += 1;
    const bytes = this.files.get(sha256);
    if (!bytes) throw new MediaFileMissingError(sha256);
    return bytes;
  }
  async sweep(inUse: ReadonlySet<string>): Promise<string[]> {
    const gone = [...this.files.keys()].filter((sha) => !inUse.has(sha));
    for (const sha of gone) this.files.delete(sha);
    return gone;
  }
}

/** An image for a test draft: its bytes go to the harness's media files. */
export interface HarnessImage {
  readonly bytes: Uint8Array;
  readonly mimeType: MediaMimeType;
  readonly altText?: string | null;
  readonly width?: number;
  readonly height?: number;
}

/** A draft's image rows for `images`, their files written to `files`. */
export async function draftMediaOf(files: MediaFileStore, images: readonly HarnessImage[]): Promise<DraftMedia[]> {
  const media: DraftMedia[] = [];
  for (const [position, image] of images.entries()) {
    const sha256 = await files.put(image.bytes);
    const altText = image.altText ?? null;
    media.push({
      position,
      sha256,
      mimeType: image.mimeType,
      bytes: image.bytes.byteLength,
      width: image.width ?? 4,
      height: image.height ?? 3,
      altText,
      altSource: altText === null ? null : 'moderator',
      findings: [],
    });
  }
  return media;
}

export interface PublishingHarness {
  readonly db: TempDatabase;
  /** The image files every service of the harness reads (issue 14). */
  readonly mediaFiles: MemoryMediaFiles;
  readonly fake: FakeX;
  readonly clock: ManualClock;
  readonly publisher: XPublisher;
  /**
   * A new service instance (a new "process") over the same database and fake. Its target is the
   * X target over `publisher` (default: the harness's) and `settings` (default: the database's),
   * or the dry-run target when `config.dryRun`; or exactly `target` when given.
   */
  service(overrides?: ServiceOverrides): PublishingService;
  /** The X target a `service()` would get (over the harness's publisher and settings unless overridden). */
  xTarget(overrides?: XTargetOverrides): XPublishTarget;
  /** Creates a draft and approves it, as the moderation flow would. */
  approvedDraft(tweets: readonly string[], options?: { topicId?: number | null; topicName?: string; images?: readonly HarnessImage[] }): Promise<Draft>;
  /** POST /2/tweets requests that carried `text`. */
  postsOf(text: string): RecordedRequest[];
  /** Spec problems of every request sent to the fake so far (must be []). */
  specProblems(): Promise<string[]>;
  close(): Promise<void>;
}

/** What an X target of the harness may differ in: its account (default `default`), client, settings and config. */
export interface XTargetOverrides {
  accountId?: AccountId;
  publisher?: TweetPublisher;
  settings?: SettingsRepository;
  config?: Partial<HarnessPublishingConfig>;
}

export type ServiceOverrides = Partial<Omit<PublishingServiceDeps, 'config'>> & {
  /** The account the X target names (its errors and logs); default `default`. */
  accountId?: AccountId;
  config?: Partial<HarnessPublishingConfig>;
  /** The X client the target posts with; null: none (only with `config.dryRun`). */
  publisher?: TweetPublisher | null;
  /** Where the X target keeps X's rate-limit headers. */
  settings?: SettingsRepository;
};

let draftCounter = 0;

export async function createPublishingHarness(
  options: { fake?: FakeXOptions; timeoutMs?: number; config?: Partial<HarnessPublishingConfig>; start?: number } = {},
): Promise<PublishingHarness> {
  const clock = new ManualClock(options.start ?? T0);
  const db = await openTempDatabase();
  const fake = new FakeX({
    consumerKey: X_CREDENTIALS.appKey,
    consumerSecret: X_CREDENTIALS.appSecret,
    accessTokenSecret: X_CREDENTIALS.accessSecret,
    clock: () => clock.now(),
    ...options.fake,
  });
  const base = await fake.start();
  const publisher = XPublisher.fromCredentials(X_CREDENTIALS, { apiBase: base, timeoutMs: options.timeoutMs ?? 2_000, clock });
  const logger = createSilentLogger();
  const mediaFiles = new MemoryMediaFiles();
  const xTarget = (overrides: XTargetOverrides = {}): XPublishTarget => {
    const config = { ...DEFAULT_TEST_CONFIG, ...options.config, ...overrides.config };
    const settings = overrides.settings ?? db.repos.settings;
    return new XPublishTarget({
      accountId: overrides.accountId ?? DEFAULT_ACCOUNT_ID,
      publisher: overrides.publisher ?? publisher,
      appFingerprint: appKeyFingerprint(X_CREDENTIALS.appKey),
      settings,
      appLimits: settingsAppLimitStore(settings),
      clock,
      logger,
      prices: { perPostUsd: config.costPerPostUsd, perPostWithUrlUsd: config.costPerPostWithUrlUsd },
      rateLimitFallbackMs: config.rateLimitFallbackMs,
      reconcileLookback: config.reconcileLookback,
    });
  };
  return {
    db,
    mediaFiles,
    fake,
    clock,
    publisher,
    xTarget,
    service(overrides = {}) {
      const { config: configOverride, publisher: publisherOverride, settings, target: targetOverride, accountId, ...rest } = overrides;
      const config = { ...DEFAULT_TEST_CONFIG, ...options.config, ...configOverride };
      let target: PublishTarget;
      if (targetOverride) target = targetOverride;
      else if (config.dryRun) target = new DryRunTarget(accountId ?? DEFAULT_ACCOUNT_ID);
      else if (publisherOverride === null) throw new Error('an X target needs a publisher; pass config.dryRun for the dry-run target');
      else target = xTarget({ publisher: publisherOverride, settings, config, ...(accountId !== undefined ? { accountId } : {}) });
      return new PublishingService({
        drafts: db.repos.drafts,
        publications: db.repos.publications,
        posts: db.repos.posts,
        target,
        clock,
        monotonic: clock.monotonic,
        rng: () => 0.5,
        logger,
        mediaFiles,
        ...rest,
        config,
      });
    },
    async approvedDraft(tweets, draftOptions = {}) {
      draftCounter += 1;
      const draft: NewDraft = {
        topicId: draftOptions.topicId ?? null,
        topicName: draftOptions.topicName ?? 'education',
        contentType: tweets.length > 1 ? 'thread' : 'education',
        kind: tweets.length > 1 ? 'thread' : 'tweet',
        tweets,
        contentHash: `hash-${draftCounter}-${clock.now()}`,
        bandKeys: [],
        riskFlags: [],
        sanitiserChanges: [],
        model: 'claude-test',
        usage: ZERO_USAGE,
        generationAttempts: 1,
        deadlineAt: null,
        ...(draftOptions.images ? { media: await draftMediaOf(mediaFiles, draftOptions.images) } : {}),
      };
      const created = await db.repos.drafts.create(draft, clock.now());
      const ok = await db.repos.drafts.decide(created.id, 1, { to: 'approved', actor: moderator, source: 'moderator' }, clock.now());
      if (!ok) throw new Error('could not approve the test draft');
      return (await db.repos.drafts.findById(created.id)) as Draft;
    },
    postsOf(text) {
      return fake.requestsTo('POST', '/2/tweets').filter((r) => (r.body as { text?: string } | undefined)?.text === text);
    },
    async specProblems() {
      const spec = await loadSpecValidator('x');
      return fake.requests.flatMap((r) => spec.validate(r).map((p) => `${r.method} ${r.path}: ${p}`));
    },
    async close() {
      await fake.stop();
      await db.close();
    },
  };
}
