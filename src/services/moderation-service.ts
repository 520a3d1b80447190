import { DEFAULT_ACCOUNT_ID } from '../domain/account.js';
import { exponentialDelayMs, type ExponentialDelay } from '../domain/backoff.js';
import { TIMEOUT_ACTOR, type Actor, type Draft } from '../domain/draft.js';
import type { ImageEdits } from '../domain/media.js';
import { capUsage, DAY_MS, type PostingCaps } from '../domain/rate-limits.js';
import { sanitiseNote } from '../domain/sanitise.js';
import type { Violation } from '../domain/validation.js';
import type { Logger } from '../logging/index.js';
import type { GenerateDraftOptions, GenerateDraftOutcome, ReviseOutcome } from './draft-pipeline.js';
import type { ApprovedDraftCalendar } from './scheduling-contract.js';
import {
  CardGoneError,
  type AccountIdentity,
  type ApprovedDraftPublisher,
  type CardLocation,
  type CardRendering,
  type Clock,
  type DraftCardPort,
  type DraftCardView,
  type DraftDecision,
  type DraftRepository,
  type DraftReviser,
  type InstanceFence,
  type ModerationEventRepository,
  type PauseStateReader,
  type PostRepository,
  type TopicRepository,
  type UnpostedCards,
} from './ports.js';

export interface ModerationOptions {
  readonly timeoutAction: 'publish' | 'expire';
  /** MODERATION_TIMEOUT: a draft's deadline is this long after its card is posted. */
  readonly moderationTimeoutMs: number;
  readonly requireSecondApproval: boolean;
  readonly dryRun: boolean;
  readonly caps: PostingCaps;
}

export interface ModerationServiceDependencies {
  readonly drafts: DraftRepository;
  readonly posts: PostRepository;
  readonly topics: TopicRepository;
  readonly moderationEvents: ModerationEventRepository;
  readonly pipeline: DraftReviser;
  readonly publisher: ApprovedDraftPublisher;
  readonly cards: DraftCardPort;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: ModerationOptions;
  /**
   * Told after every decision on a draft (approve, reject, the deadline's approve or expire, an
   * account removed): keep-ahead tops the account up when drafts left the queue ahead.
   */
  readonly onDecided?: (() => void) | undefined;
  /** Told when a pending draft got a new deadline (new card, new revision), so the deadline timer can re-arm. */
  readonly onDeadlineChanged?: (() => void) | undefined;
  /** /pause: while it holds publishing, publishing on timeout waits (see `sweepOverdue`). Never paused without it. */
  readonly pause?: PauseStateReader | undefined;
  /** The account this instance moderates for, named on every card; the single-account setup's `default` without it. */
  readonly account?: AccountIdentity | undefined;
  /**
   * The instance lease (issue 12): no card is sent while it names no term (standby, stepped
   * down), so an instance that lost the lease cannot show a card the active one also shows.
   * Without it, cards are always sent.
   */
  readonly fence?: InstanceFence | undefined;
  /**
   * The account's publishing calendar (issue 13): with slots, an approval (a moderator's or the
   * deadline's) is scheduled into the earliest free slot instead of published at once.
   */
  readonly calendar?: ApprovedDraftCalendar | undefined;
}

/** Who asks, about which card revision, from which message; the interaction id goes into the audit row. */
export interface ModerationRequest {
  readonly draftId: number;
  readonly revision: number;
  readonly actor: Actor;
  /**
   * The Discord message the request came from: the clicked card, or the card a submitted form was
   * opened from. It must be the draft's stored card, because draft ids can be handed out again
   * (a restore from backup brings the id counter back) and a custom_id names only an id and a
   * revision. Null when there is no message (the deadline), which no card check admits.
   */
  readonly messageId: string | null;
  readonly interactionId?: string | undefined;
}

/** The audit `action` names. */
export type ModerationAction =
  | 'approve'
  | 'reject'
  | 'regenerate'
  | 'edit'
  | 'retry'
  | 'timeout'
  | 'account_removed'
  // The publishing calendar's (issue 13): a refused click on a scheduled card is audited under these too.
  | 'schedule'
  | 'publish_now'
  | 'reschedule'
  | 'unschedule'
  | 'swap'
  | 'slot_missed'
  // Issue 14: "Add image" on a card (a refused click is audited under it).
  | 'add_image';

/** The actor of decisions the configuration forces (an account removed from it), for audit rows and cards. */
export const CONFIGURATION_ACTOR: Actor = { id: 'configuration', name: 'the configuration' };

/**
 * What a moderation request came to. `applied` and `awaiting_second_approval` changed the draft
 * and carry the card to render; everything else changed nothing and says why.
 */
export type ModerationResult =
  | { readonly status: 'applied'; readonly card: DraftCardView }
  | { readonly status: 'awaiting_second_approval'; readonly card: DraftCardView }
  | { readonly status: 'already_decided'; readonly draft: Draft }
  | { readonly status: 'stale'; readonly currentRevision: number }
  | { readonly status: 'same_moderator'; readonly firstApprover: Actor }
  | { readonly status: 'invalid'; readonly violations: readonly Violation[] }
  | { readonly status: 'failed'; readonly reason: string }
  | { readonly status: 'not_found' }
  /** The request did not come from the draft's card (an old card after a restore, a forged submit), or the draft has none. */
  | { readonly status: 'wrong_card'; readonly messageId: string | null; readonly cardMessageId: string | null };

/** The results that changed nothing, each saying why. */
export type ModerationRefusal = Exclude<ModerationResult, { status: 'applied' | 'awaiting_second_approval' }>;

/** What the deadline did to one overdue draft. */
export interface TimeoutOutcome {
  readonly draftId: number;
  readonly revision: number;
  /** `lost`: a moderator decided (or revised) it between the lookup and the update. */
  readonly result: 'approved' | 'expired' | 'lost';
}

/** What a deadline sweep came to: held by /pause, or the overdue drafts it handled. */
export type OverdueSweep = { readonly status: 'held'; readonly reason: string } | { readonly status: 'swept'; readonly outcomes: TimeoutOutcome[] };

/** The result of a generation cycle, plus where its card went (null if posting it failed). */
export type SubmitDraftOutcome =
  (Extract<GenerateDraftOutcome, { status: 'created' }> & { readonly card: CardLocation | null }) | Exclude<GenerateDraftOutcome, { status: 'created' }>;

/** How many overdue drafts one sweep handles; the next sweep takes the rest. */
const SWEEP_BATCH = 50;
/** A pending draft without a card is re-posted only after this long, so a card being posted right now is not doubled. */
const MISSING_CARD_GRACE_MS = 60_000;
/** How often one re-render follows a draft that keeps changing under it; the reconciler takes over after. */
const RENDER_PASSES = 3;
/** How many out-of-date cards one reconciler pass re-renders; the next pass takes the rest. */
const RECONCILE_BATCH = 20;
/**
 * Retrying a card Discord refused to post: 30 s doubling to 15 min, never giving up. The draft
 * waits without a deadline meanwhile, so waiting is safe; it only delays the moderators.
 */
export const CARD_POST_BACKOFF: ExponentialDelay = { baseMs: 30_000, factor: 2, capMs: 15 * 60_000 };

/** What the moderation cards look like from outside: for /healthz, metrics and alerts. */
export interface CardHealth {
  /** Pending drafts whose card Discord has refused so far: nobody can see them. */
  readonly unposted: UnpostedCards;
  /** Cards that show an older state than the database (an edit Discord refused). */
  readonly outOfDate: number;
}

/** What one reconciler pass did. */
export interface CardReconcileOutcome {
  readonly posted: number;
  readonly rerendered: number;
  readonly failed: number;
}

function sameRendering(a: CardRendering, b: CardRendering): boolean {
  return a.revision === b.revision && a.status === b.status && a.version === b.version;
}

/** What a rendered view shows, including what it says the deadline does (pending cards only). */
function renderingOfView(view: DraftCardView): CardRendering {
  return { ...renderingOf(view.draft), timeoutAction: view.draft.status === 'pending' && view.draft.deadlineAt !== null ? view.timeoutAction : null };
}

/** The state a card shows, as stored to find cards that fell behind. */
export function renderingOf(draft: Draft): CardRendering {
  return { revision: draft.revision, status: draft.status, version: draft.updatedAt };
}

/**
 * Moderation: every decision on a draft, from a click or from the deadline. Each decision is one
 * conditional update in the repository; only the caller that wins it acts (publishes, records
 * the topic outcome, re-renders the card). Every decision and every refusal is written to the
 * audit log. Holds no per-draft state: everything comes from the request and the database, so
 * cards posted before a restart keep working.
 */
export class ModerationService {
  /** Drafts this process is publishing from a decision; their card is rendered by the caller, not by the publishing observer. */
  private readonly publishingHere = new Set<number>();
  private postingMissing: Promise<number> | undefined;
  private reconciling: Promise<CardReconcileOutcome> | undefined;
  private sweeping: Promise<OverdueSweep> | undefined;

  constructor(private readonly deps: ModerationServiceDependencies) {}

  /**
   * One generation cycle for the scheduler and /draft: generate a pending draft (the pipeline
   * enforces MAX_PENDING_DRAFTS), post its card, store the card's message id.
   */
  async generateAndPostDraft(options: GenerateDraftOptions): Promise<SubmitDraftOutcome> {
    const outcome = await this.deps.pipeline.generateDraft(options);
    if (outcome.status === 'skipped') {
      this.deps.logger.info('generation cycle skipped', { trigger: options.trigger, reason: outcome.reason });
      return outcome;
    }
    if (outcome.status === 'failed') {
      this.deps.logger.warn('generation cycle produced no draft', { trigger: options.trigger, reason: outcome.reason });
      return outcome;
    }
    const card = await this.postCardFor(outcome.draft);
    // The draft as stored now: with its card, its deadline starts.
    const draft = (await this.deps.drafts.findById(outcome.draft.id)) ?? outcome.draft;
    return { ...outcome, draft, card };
  }

  /**
   * Posts a card for each pending draft that has none and is due (Discord refused it before;
   * the retry schedule is in the database, so a restart continues it). Concurrent calls share
   * one pass, so a card is never posted twice by this process.
   */
  postMissingCards(): Promise<number> {
    this.postingMissing ??= this.postDueCards().finally(() => {
      this.postingMissing = undefined;
    });
    return this.postingMissing;
  }

  /**
   * The card reconciler: posts missing cards, then re-renders from the database every card
   * whose draft changed since it was last rendered (an edit Discord refused, a crash between a
   * decision and its card). Run at start-up and periodically; concurrent calls share one pass.
   */
  reconcileCards(): Promise<CardReconcileOutcome> {
    this.reconciling ??= (async () => {
      const posted = await this.postMissingCards();
      let rerendered = 0;
      let failed = 0;
      for (const draft of await this.deps.drafts.findCardsOutOfDate(RECONCILE_BATCH)) {
        if (this.publishingHere.has(draft.id)) continue;
        if (await this.renderCard(draft)) rerendered += 1;
        else failed += 1;
      }
      if (rerendered > 0 || failed > 0) this.deps.logger.info('out-of-date cards re-rendered', { rerendered, failed });
      return { posted, rerendered, failed };
    })().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  /** For /healthz and metrics: cards nobody could see, and cards that show an old state. */
  async cardHealth(): Promise<CardHealth> {
    const [unposted, outOfDate] = await Promise.all([this.deps.drafts.countUnpostedCards(), this.deps.drafts.countCardsOutOfDate()]);
    return { unposted, outOfDate };
  }

  /** Records that a card now shows `view` (the interaction handlers render decisions themselves). */
  async cardRendered(view: DraftCardView): Promise<void> {
    await this.deps.drafts.markCardRendered(view.draft.id, renderingOfView(view));
  }

  /**
   * Re-renders a draft's card from the database, e.g. after Discord refused the edit that
   * followed a decision. False when it failed again: the reconciler keeps trying.
   */
  async refreshCard(draftId: number): Promise<boolean> {
    const draft = await this.deps.drafts.findById(draftId);
    return draft ? this.renderCard(draft) : false;
  }

  private async postDueCards(): Promise<number> {
    const now = this.deps.clock.now();
    const due = await this.deps.drafts.findCardsToPost(now, now - MISSING_CARD_GRACE_MS, SWEEP_BATCH);
    let posted = 0;
    for (const draft of due) {
      if (!(await this.postCardFor(draft))) continue;
      posted += 1;
      // An earlier attempt may have been stored by Discord with its answer lost; then the post
      // returned that card (its nonce), rendered with the earlier attempt's deadline: render it
      // again from the database.
      await this.refreshCard(draft.id);
    }
    return posted;
  }

  /** The current draft, for a form a card's button opens (Edit prefills from it); refuses a card that is out of date or not the draft's. */
  async draftForForm(request: Pick<ModerationRequest, 'draftId' | 'revision' | 'messageId'>): Promise<{ status: 'ok'; draft: Draft } | ModerationRefusal> {
    const draft = await this.deps.drafts.findById(request.draftId);
    const refusal = this.refusalFor(draft, request);
    if (refusal) return refusal;
    return { status: 'ok', draft: draft as Draft };
  }

  /**
   * pending -> approved, then publish. Under the two-approval rule a flagged draft first records
   * the approval and waits for a different moderator.
   */
  async approve(request: ModerationRequest): Promise<ModerationResult> {
    const { drafts, clock } = this.deps;
    let draft = await drafts.findById(request.draftId);
    const refusal = this.refusalFor(draft, request);
    if (refusal || !draft) return this.audited(request, 'approve', refusal ?? { status: 'not_found' });

    if (this.needsSecondApproval(draft)) {
      if (draft.firstApprovedBy === null) {
        if (await drafts.recordFirstApproval(draft.id, request.revision, request.actor, clock.now())) {
          const card = await this.viewOf(draft.id);
          await this.audit(request, 'approve', 'first_approval');
          return { status: 'awaiting_second_approval', card };
        }
        // Someone else recorded the first approval (or decided) in between: look again.
        draft = await drafts.findById(request.draftId);
        const lost = this.refusalFor(draft, request);
        if (lost || !draft) return this.audited(request, 'approve', lost ?? { status: 'not_found' });
      }
      if (draft.firstApprovedBy?.id === request.actor.id) {
        return this.audited(request, 'approve', { status: 'same_moderator', firstApprover: draft.firstApprovedBy });
      }
    }

    const decided = await this.approveDraft(draft.id, request.revision, { to: 'approved', actor: request.actor, source: 'moderator' });
    if (!decided.won) return this.audited(request, 'approve', await this.whyLost(request));
    await this.audit(request, 'approve', 'approved', draft.firstApprovedBy ? `second approval; first by ${draft.firstApprovedBy.name}` : null);
    await this.recordTopicOutcome(draft, 'approved');
    if (!decided.scheduled) await this.publish(draft.id);
    return { status: 'applied', card: await this.viewOf(draft.id) };
  }

  /** pending -> rejected with an optional reason, which also feeds the topic statistics. */
  async reject(request: ModerationRequest & { readonly reason: string | null }): Promise<ModerationResult> {
    const { drafts, clock } = this.deps;
    const draft = await drafts.findById(request.draftId);
    const refusal = this.refusalFor(draft, request);
    if (refusal || !draft) return this.audited(request, 'reject', refusal ?? { status: 'not_found' });
    // Shown on the card: no invisible or bidi characters (the same sanitiser as every other text).
    const reason = sanitiseNote(request.reason);
    const won = await drafts.decide(draft.id, request.revision, { to: 'rejected', actor: request.actor, source: 'moderator', reason }, clock.now());
    if (!won) return this.audited(request, 'reject', await this.whyLost(request));
    await this.audit(request, 'reject', 'rejected', reason);
    await this.recordTopicOutcome(draft, 'rejected');
    this.deps.onDecided?.();
    return { status: 'applied', card: await this.viewOf(draft.id) };
  }

  /** A new revision written by the model, steered by the moderator's optional feedback. */
  async regenerate(request: ModerationRequest & { readonly feedback: string | null }): Promise<ModerationResult> {
    const refusal = await this.cardRefusalOf(request);
    if (refusal) return this.audited(request, 'regenerate', refusal);
    const feedback = request.feedback?.trim() || null;
    const outcome = await this.deps.pipeline.regenerate(request.draftId, request.revision, feedback, request.actor);
    return this.revised(request, 'regenerate', outcome, feedback);
  }

  /** The moderator's own text, validated like generated text; `images`: the Edit modal's alt texts and removals, in the same revision. */
  async edit(request: ModerationRequest & { readonly tweets: readonly string[]; readonly images?: ImageEdits | undefined }): Promise<ModerationResult> {
    const refusal = await this.cardRefusalOf(request);
    if (refusal) return this.audited(request, 'edit', refusal);
    const outcome = await this.deps.pipeline.applyEdit(request.draftId, request.revision, request.tweets, request.actor, request.images);
    return this.revised(request, 'edit', outcome, null);
  }

  /** failed -> approved (the Retry button), then publish again. */
  async retry(request: ModerationRequest): Promise<ModerationResult> {
    const draft = await this.deps.drafts.findById(request.draftId);
    const refusal = this.cardRefusal(draft, request);
    if (refusal || !draft) return this.audited(request, 'retry', refusal ?? { status: 'not_found' });
    if (draft.status !== 'failed') return this.audited(request, 'retry', { status: 'already_decided', draft });
    const retried = await this.deps.publisher.retryFailed(draft.id, request.actor);
    if (!retried) {
      const current = await this.deps.drafts.findById(draft.id);
      return this.audited(request, 'retry', current ? { status: 'already_decided', draft: current } : { status: 'not_found' });
    }
    await this.audit(request, 'retry', 'approved', draft.errorMessage);
    await this.publish(draft.id);
    return { status: 'applied', card: await this.viewOf(draft.id) };
  }

  /** Writes a refusal that never reached a service decision (e.g. the clicker is not a moderator). */
  async recordRefusal(request: ModerationRequest, action: ModerationAction, outcome: string, detail?: string | null): Promise<void> {
    // The draft may be gone (a card from before a restore): the row must not point at it then.
    const exists = outcome !== 'not_found' && (await this.deps.drafts.findById(request.draftId)) !== null;
    await this.audit(request, action, outcome, detail ?? null, exists);
  }

  /**
   * The deadline: every overdue pending draft is approved and published (TIMEOUT_ACTION=publish)
   * or expired, through the same conditional update a click uses, so it cannot race a click into
   * a second outcome. Safe to run at any time and from several places at once. `held` (e.g.
   * /pause) is asked before each draft the deadline would publish: a pause that lands while one
   * sweep posts leaves the rest pending.
   */
  async handleOverdueDrafts(options: { readonly held?: (() => Promise<boolean>) | undefined } = {}): Promise<TimeoutOutcome[]> {
    const { drafts, clock, logger } = this.deps;
    const overdue = await drafts.findOverdue(clock.now(), SWEEP_BATCH);
    const outcomes: TimeoutOutcome[] = [];
    for (const draft of overdue) {
      const action = this.timeoutActionFor(draft);
      if (action === 'publish' && options.held && (await options.held())) continue;
      if (action === 'publish' && (await drafts.cardRenderingOf(draft.id))?.timeoutAction !== 'publish') {
        // The card told the moderators this draft expires (TIMEOUT_ACTION or the two-approval
        // rule changed since): publishing now would act on a promise nobody saw. The card says
        // what will happen, and the deadline starts again from now.
        await drafts.restartDeadline(draft.id, draft.revision, clock.now() + this.deps.options.moderationTimeoutMs);
        await this.refreshCard(draft.id);
        logger.warn('the deadline would publish a draft whose card said it expires; its card is updated and its deadline restarted', {
          draftId: draft.id,
          revision: draft.revision,
        });
        this.deps.onDeadlineChanged?.();
        continue;
      }
      const to = action === 'publish' ? 'approved' : 'expired';
      const request: ModerationRequest = { draftId: draft.id, revision: draft.revision, actor: TIMEOUT_ACTOR, messageId: null };
      const decision: DraftDecision = { to, actor: TIMEOUT_ACTOR, source: 'timeout' };
      const decided =
        to === 'approved'
          ? await this.approveDraft(draft.id, draft.revision, decision)
          : { won: await drafts.decide(draft.id, draft.revision, decision, clock.now()), scheduled: false };
      if (!decided.won) {
        outcomes.push({ draftId: draft.id, revision: draft.revision, result: 'lost' });
        continue;
      }
      const detail = action !== this.deps.options.timeoutAction ? 'risk flags need two approvals: a timeout never publishes this draft' : null;
      await this.audit(request, 'timeout', to, detail);
      logger.info('moderation deadline passed', { draftId: draft.id, revision: draft.revision, outcome: to });
      if (to === 'approved' && !decided.scheduled) await this.publish(draft.id);
      await this.refreshCard(draft.id);
      outcomes.push({ draftId: draft.id, revision: draft.revision, result: to });
      this.deps.onDecided?.();
    }
    await this.postMissingCards();
    return outcomes;
  }

  /**
   * Every pending draft expires with `reason` on its card and in its audit row: the account was
   * removed from the configuration, so nobody can decide its drafts any more. The same
   * conditional update as a click, so it cannot race one into a second outcome. Returns how many
   * expired.
   */
  async expireAllPending(reason: string): Promise<number> {
    const { drafts, clock, logger } = this.deps;
    let expired = 0;
    for (const draft of await drafts.findByStatuses(['pending'])) {
      const request: ModerationRequest = { draftId: draft.id, revision: draft.revision, actor: CONFIGURATION_ACTOR, messageId: null };
      if (!(await drafts.decide(draft.id, draft.revision, { to: 'expired', actor: CONFIGURATION_ACTOR, source: 'timeout', reason }, clock.now()))) continue;
      await this.audit(request, 'account_removed', 'expired', reason);
      logger.info('draft expired: its account is no longer configured', { draftId: draft.id, revision: draft.revision });
      await this.refreshCard(draft.id);
      expired += 1;
      this.deps.onDecided?.();
    }
    return expired;
  }

  /**
   * The deadline sweep as the deadline timer and the sweep job run it: `handleOverdueDrafts`
   * unless /pause holds it. A call while a sweep runs joins it instead of sweeping twice.
   */
  sweepOverdue(): Promise<OverdueSweep> {
    this.sweeping ??= this.sweepUnlessHeld().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  /** Whether the deadline sweep is on hold: publishing paused while the deadline would publish (a pause of generation only holds no deadline). */
  async sweepOnHold(): Promise<boolean> {
    const { options, pause } = this.deps;
    if (options.timeoutAction !== 'publish' || !pause) return false;
    return (await pause.holdsPublishing()) !== null;
  }

  private async sweepUnlessHeld(): Promise<OverdueSweep> {
    // /pause stops publishing on timeout; overdue drafts stay pending (moderators can still
    // decide them) and the sweep after /resume handles them. Expiring is not publishing.
    if (await this.sweepOnHold()) return { status: 'held', reason: 'posting is paused: publishing on timeout waits for /resume' };
    // Asked again before each draft the deadline would publish: a /pause mid-sweep stops there.
    return { status: 'swept', outcomes: await this.handleOverdueDrafts({ held: () => this.sweepOnHold() }) };
  }

  /**
   * Card updates for publications this service did not drive itself: the publishing queue,
   * start-up reconciliation. Hand it to PublishingService as its observer.
   */
  readonly publishingObserver = {
    onPublished: (draft: Draft): Promise<void> => this.onPublishProgress(draft),
    onQueued: (draft: Draft): Promise<void> => this.onPublishProgress(draft),
    onFailed: async (draft: Draft, alert: boolean): Promise<void> => {
      await this.onPublishProgress(draft);
      if (alert) {
        await this.deps.cards.alert(
          `Publishing draft #${draft.id} failed and needs a person: ${draft.errorMessage ?? 'unknown error'}. Fix the cause, then press Retry on its card.`,
        );
      }
    },
  };

  /** The card view of a draft as it is now. */
  async viewOf(draftId: number): Promise<DraftCardView> {
    const draft = await this.deps.drafts.findById(draftId);
    if (!draft) throw new Error(`draft ${draftId} disappeared`);
    return this.view(draft);
  }

  private async view(draft: Draft): Promise<DraftCardView> {
    const now = this.deps.clock.now();
    const times = await this.deps.posts.publicationTimesSince(now - DAY_MS);
    const account = this.deps.account;
    return {
      draft,
      account: { id: account?.id ?? DEFAULT_ACCOUNT_ID, handle: account?.handle() ?? null },
      budget: capUsage(times, this.deps.options.caps, now),
      timeoutAction: this.timeoutActionFor(draft),
      dryRun: this.deps.options.dryRun,
      needsSecondApproval: this.needsSecondApproval(draft),
      now,
    };
  }

  private needsSecondApproval(draft: Draft): boolean {
    return this.deps.options.requireSecondApproval && draft.riskFlags.length > 0;
  }

  /** Two humans must approve a flagged draft under the rule, so the deadline alone may not publish it. */
  private timeoutActionFor(draft: Draft): 'publish' | 'expire' {
    return this.needsSecondApproval(draft) ? 'expire' : this.deps.options.timeoutAction;
  }

  /**
   * Why a request cannot act on `draft` at all: the draft is gone, or the request did not come
   * from its card. The one place a click or a submitted form is bound to the card it came from,
   * checked before anything about the draft's state, so an old card never learns (or acts on)
   * anything of the draft that now has its id.
   */
  private cardRefusal(draft: Draft | null, request: Pick<ModerationRequest, 'messageId'>): ModerationRefusal | null {
    if (!draft) return { status: 'not_found' };
    if (draft.moderationMessageId === null || draft.moderationMessageId !== request.messageId) {
      return { status: 'wrong_card', messageId: request.messageId, cardMessageId: draft.moderationMessageId };
    }
    return null;
  }

  /** The card check for requests whose state checks happen elsewhere (the pipeline's revisions). */
  private async cardRefusalOf(request: ModerationRequest): Promise<ModerationRefusal | null> {
    return this.cardRefusal(await this.deps.drafts.findById(request.draftId), request);
  }

  /** Why a request on `draft` cannot proceed (card, state, revision), or null when it can. */
  private refusalFor(draft: Draft | null, request: Pick<ModerationRequest, 'revision' | 'messageId'>): ModerationRefusal | null {
    const refusal = this.cardRefusal(draft, request);
    if (refusal || !draft) return refusal ?? { status: 'not_found' };
    if (draft.status !== 'pending') return { status: 'already_decided', draft };
    if (draft.revision !== request.revision) return { status: 'stale', currentRevision: draft.revision };
    return null;
  }

  /** After losing a conditional update: who won, or that the card became stale. */
  private async whyLost(request: ModerationRequest): Promise<ModerationRefusal> {
    const current = await this.deps.drafts.findById(request.draftId);
    return this.refusalFor(current, request) ?? { status: 'stale', currentRevision: current?.revision ?? request.revision };
  }

  private async revised(request: ModerationRequest, action: 'regenerate' | 'edit', outcome: ReviseOutcome, feedback: string | null): Promise<ModerationResult> {
    switch (outcome.status) {
      case 'revised':
        await this.audit(request, action, 'revised', action === 'regenerate' ? feedback : `revision ${outcome.draft.revision}`);
        this.deps.onDeadlineChanged?.();
        return { status: 'applied', card: await this.view(outcome.draft) };
      case 'invalid':
        return this.audited(request, action, { status: 'invalid', violations: outcome.violations });
      case 'failed':
        return this.audited(request, action, { status: 'failed', reason: outcome.reason });
      case 'stale':
        return this.audited(request, action, this.refusalFor(outcome.draft, request) ?? { status: 'stale', currentRevision: request.revision });
    }
  }

  /**
   * pending -> approved. With slots (the calendar), the approval's own transaction places the
   * draft in its slot, so it is never due at once by mistake; `scheduled` says the draft waits
   * for the calendar (its slot, or no free slot) instead of being published now.
   */
  private async approveDraft(draftId: number, revision: number, decision: DraftDecision): Promise<{ won: boolean; scheduled: boolean }> {
    const { calendar, drafts, clock } = this.deps;
    if (!calendar?.hasSlots()) return { won: await drafts.decide(draftId, revision, decision, clock.now()), scheduled: false };
    if (calendar.decideIntoSlot) {
      const placed = await calendar.decideIntoSlot(draftId, decision.actor, (placement) =>
        drafts.decide(draftId, revision, { ...decision, placement }, clock.now()),
      );
      return { won: placed.won, scheduled: placed.won };
    }
    if (!(await drafts.decide(draftId, revision, decision, clock.now()))) return { won: false, scheduled: false };
    await calendar.scheduleApproved(draftId);
    return { won: true, scheduled: true };
  }

  private async publish(draftId: number): Promise<void> {
    this.publishingHere.add(draftId);
    try {
      await this.deps.publisher.publishApprovedDraft(draftId);
    } catch (error) {
      // The decision stands; the draft stays approved (or publishing, reconciled at the next start).
      this.deps.logger.error('publishing an approved draft failed', { draftId, error });
    } finally {
      this.publishingHere.delete(draftId);
    }
  }

  private async onPublishProgress(draft: Draft): Promise<void> {
    if (this.publishingHere.has(draft.id)) return;
    const view = await this.view(draft);
    await this.deps.cards.updateCard(view);
    await this.cardRendered(view);
  }

  /**
   * Posts a pending draft's card. Its deadline starts now, when someone can see it: a draft
   * nobody was shown is never decided by the deadline. On failure the draft stays pending with
   * no deadline and the next attempt is planned with backoff; until a card is shown, the log,
   * the draftgate_cards_unposted metric and /healthz say so.
   */
  private async postCardFor(draft: Draft): Promise<CardLocation | null> {
    const { clock, drafts, logger } = this.deps;
    const shownAt = clock.now();
    const deadlineAt = draft.status === 'pending' ? shownAt + this.deps.options.moderationTimeoutMs : draft.deadlineAt;
    let location: CardLocation;
    let view: DraftCardView;
    if (this.deps.fence && this.deps.fence.current() === null) {
      // Not a Discord failure: nothing is counted; the active instance's reconciler posts it.
      logger.warn('a draft card was not posted: this instance does not hold the instance lease', { draftId: draft.id });
      return null;
    }
    try {
      view = await this.view({ ...draft, deadlineAt });
      location = await this.deps.cards.postCard(view);
    } catch (error) {
      const now = clock.now();
      const failures = await drafts.recordCardPostFailure(draft.id, String((error as Error)?.message ?? error));
      // No jitter: one bot, one channel; the drafts waiting are few and retried in one pass.
      const nextAttemptAt = now + exponentialDelayMs(failures, CARD_POST_BACKOFF);
      await drafts.planCardPost(draft.id, nextAttemptAt);
      logger.error('a draft card could not be posted: the draft waits, unseen and without a deadline, for the next attempt', {
        draftId: draft.id,
        failures,
        nextAttemptAt: new Date(nextAttemptAt).toISOString(),
        error,
      });
      return null;
    }
    await drafts.setModerationMessage(draft.id, location.channelId, location.messageId, clock.now(), {
      rendered: renderingOfView(view),
      deadlineAt,
    });
    if (draft.status === 'pending') this.deps.onDeadlineChanged?.();
    return location;
  }

  /** Renders a draft's card as the database has it, and records that it did; false if Discord refused. */
  private async renderCard(draft: Draft): Promise<boolean> {
    try {
      let rendering = draft;
      for (let pass = 0; pass < RENDER_PASSES; pass += 1) {
        // A pending revision the card never showed (Discord refused the edit after Edit or
        // Regenerate) is shown for the first time now: its deadline starts now, as a new card's does.
        const restart = rendering.status === 'pending' && !(await this.cardShowsRevision(rendering));
        const deadlineAt = restart ? this.deps.clock.now() + this.deps.options.moderationTimeoutMs : undefined;
        const view = await this.view(deadlineAt === undefined ? rendering : { ...rendering, deadlineAt });
        await this.deps.cards.updateCard(view);
        await this.deps.drafts.markCardRendered(draft.id, renderingOfView(view), deadlineAt);
        if (restart) this.deps.onDeadlineChanged?.();
        // A decision made while this edit was on its way may have edited the card first (its
        // interaction), and this older rendering landed over it: render again until it holds.
        const current = await this.deps.drafts.findById(draft.id);
        if (!current || sameRendering(renderingOf(current), renderingOf(rendering))) return true;
        rendering = current;
      }
      return false;
    } catch (error) {
      if (error instanceof CardGoneError) {
        // Retrying cannot bring a deleted message back: record it as handled, so the reconciler stops.
        this.deps.logger.warn('the card was deleted from Discord; it is no longer updated', { draftId: draft.id, messageId: error.messageId });
        await this.deps.drafts.markCardRendered(draft.id, renderingOf(draft));
        return false;
      }
      this.deps.logger.error('updating a draft card failed; the card reconciler will try again', { draftId: draft.id, error });
      return false;
    }
  }

  /** Whether the draft's card was last rendered from its current revision, as pending. */
  private async cardShowsRevision(draft: Draft): Promise<boolean> {
    const shown = await this.deps.drafts.cardRenderingOf(draft.id);
    return shown !== null && shown.revision === draft.revision && shown.status === 'pending';
  }

  private async recordTopicOutcome(draft: Draft, outcome: 'approved' | 'rejected'): Promise<void> {
    if (draft.topicId !== null) await this.deps.topics.recordOutcome(draft.topicId, outcome, this.deps.clock.now());
  }

  private async audited<T extends ModerationResult>(request: ModerationRequest, action: ModerationAction, result: T): Promise<T> {
    await this.audit(request, action, result.status, refusalDetail(result), result.status !== 'not_found');
    return result;
  }

  /**
   * One audit row. A request for a draft that does not exist is still recorded, with no draft
   * (the foreign key would refuse the row) and the requested id in the detail: keeping the id
   * in draft_id instead would file the row under whichever draft gets that id next.
   */
  private async audit(request: ModerationRequest, action: ModerationAction, outcome: string, detail: string | null = null, draftExists = true): Promise<void> {
    const missing = `requested draft #${request.draftId} revision ${request.revision}, which does not exist`;
    await this.deps.moderationEvents.record(
      {
        draftId: draftExists ? request.draftId : null,
        revision: draftExists ? request.revision : null,
        actor: request.actor,
        action,
        outcome,
        detail: draftExists ? detail : [missing, detail].filter(Boolean).join('; '),
        interactionId: request.interactionId ?? null,
      },
      this.deps.clock.now(),
    );
  }
}

/** The audit detail of a refusal: what the moderator was told, in the terms of the data. */
export function refusalDetail(result: ModerationResult): string | null {
  switch (result.status) {
    case 'already_decided':
      return `${result.draft.status} by ${result.draft.decidedBy?.name ?? 'unknown'}`;
    case 'stale':
      return `current revision is ${result.currentRevision}`;
    case 'same_moderator':
      return `first approval was by ${result.firstApprover.name}`;
    case 'invalid':
      return result.violations.map((v) => v.message).join('; ');
    case 'failed':
      return result.reason;
    case 'wrong_card':
      return `came from message ${result.messageId ?? '(none)'}; the draft's card is ${result.cardMessageId ?? '(not posted)'}`;
    default:
      return null;
  }
}
