import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DRAFT_STATUSES, type DraftStatus } from '../../domain/draft.js';
import type { XRateState } from '../../domain/rate-limits.js';
import type { InstanceLeaseStatus, InstanceRole } from '../../services/ports.js';

const INSTANCE_ROLES: readonly InstanceRole[] = ['standby', 'active', 'stopped'];

/** What the metrics read from the store at scrape time (so they survive restarts). */
export interface MetricsSources {
  draftCounts(): Promise<Record<DraftStatus, number>>;
  tokenTotals(): Promise<{ input: number; output: number; cacheRead: number; cacheCreation: number }>;
  xRateState(): Promise<XRateState | null>;
  /** Pending drafts whose card Discord refused so far, and cards showing an older state than the database. */
  cardHealth?(): Promise<{ unposted: number; outOfDate: number }>;
  /** Whether Claude is usable (start-up check, consecutive auth failures); optional for tests. */
  generationHealth?(): { degraded: boolean; consecutiveAuthFailures: number };
  /** The instance lease as this instance sees it (role, epoch, last renewal); optional for tests. */
  instance?(): InstanceLeaseStatus;
}

/**
 * The Prometheus metrics of the bot. Event counters (publishes, failures, ack latency) are
 * incremented by the services' observers; state gauges (drafts by status, tokens, X limits)
 * are read from the database when Prometheus scrapes, so they are right after a restart too.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly publishes: Counter<'mode'>;
  private readonly failures: Counter<'class'>;
  private readonly interactionAck: Histogram<'kind'>;

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'draftgate_' });
    this.publishes = new Counter({
      name: 'draftgate_publishes_total',
      help: 'Drafts published to X (mode=live) or in dry run (mode=dry_run) by this process.',
      labelNames: ['mode'],
      registers: [this.registry],
    });
    this.failures = new Counter({
      name: 'draftgate_publish_failures_total',
      help: 'Publish attempts that did not produce a tweet, by error class.',
      labelNames: ['class'],
      registers: [this.registry],
    });
    this.interactionAck = new Histogram({
      name: 'draftgate_interaction_ack_seconds',
      help: 'Time from receiving an interaction to acknowledging it (Discord allows 3 s).',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
      registers: [this.registry],
    });
    new Gauge({
      name: 'draftgate_drafts',
      help: 'Drafts by status.',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const counts = await sources.draftCounts();
        for (const status of DRAFT_STATUSES) this.set({ status }, counts[status]);
      },
    });
    new Gauge({
      name: 'draftgate_anthropic_tokens',
      help: 'Anthropic tokens used by all generations, by kind.',
      labelNames: ['kind'],
      registers: [this.registry],
      async collect() {
        const totals = await sources.tokenTotals();
        this.set({ kind: 'input' }, totals.input);
        this.set({ kind: 'output' }, totals.output);
        this.set({ kind: 'cache_read' }, totals.cacheRead);
        this.set({ kind: 'cache_creation' }, totals.cacheCreation);
      },
    });
    if (sources.generationHealth) {
      const generationHealth = sources.generationHealth.bind(sources);
      new Gauge({
        name: 'draftgate_anthropic_degraded',
        help: 'Whether Claude is unusable (1): a bad key or model at start, or repeated auth failures.',
        registers: [this.registry],
        collect() {
          this.set(generationHealth().degraded ? 1 : 0);
        },
      });
      new Gauge({
        name: 'draftgate_anthropic_consecutive_auth_failures',
        help: 'Generation calls in a row that Anthropic refused with 401/403.',
        registers: [this.registry],
        collect() {
          this.set(generationHealth().consecutiveAuthFailures);
        },
      });
    }
    new Gauge({
      name: 'draftgate_x_rate_limit_remaining',
      help: "Requests left in X's last reported rate-limit windows.",
      labelNames: ['window'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const state = await sources.xRateState();
        if (state?.endpoint) this.set({ window: '15m' }, state.endpoint.remaining);
        if (state?.user24h) this.set({ window: 'user_24h' }, state.user24h.remaining);
        if (state?.app24h) this.set({ window: 'app_24h' }, state.app24h.remaining);
      },
    });
    this.cardGauges(sources);
    this.instanceGauges(sources);
  }

  /** Which instance is active, in which term, and whether its lease is being renewed (served by a standby too). */
  private instanceGauges(sources: MetricsSources): void {
    const instance = sources.instance?.bind(sources);
    if (!instance) return;
    new Gauge({
      name: 'draftgate_instance_role',
      help: "This instance's role in the instance lease: 1 for the current role (active, standby or stopped), 0 for the others.",
      labelNames: ['role'],
      registers: [this.registry],
      collect() {
        const { role } = instance();
        for (const each of INSTANCE_ROLES) this.set({ role: each }, each === role ? 1 : 0);
      },
    });
    new Gauge({
      name: 'draftgate_instance_epoch',
      help: 'The epoch of the instance lease this instance holds (active) or last saw (standby); it rises at every takeover.',
      registers: [this.registry],
      collect() {
        const { epoch } = instance();
        if (epoch === null) this.reset();
        else this.set(epoch);
      },
    });
    new Gauge({
      name: 'draftgate_instance_lease_renewed_timestamp_seconds',
      help: 'When the instance lease was last renewed by its holder, as this instance last saw it (Unix seconds).',
      registers: [this.registry],
      collect() {
        const { renewedAt } = instance();
        if (renewedAt === null) this.reset();
        else this.set(renewedAt / 1000);
      },
    });
  }

  /** Alerts on cards: a draft nobody can see, a card that shows an old state. */
  private cardGauges(sources: MetricsSources): void {
    const cardHealth = sources.cardHealth?.bind(sources);
    if (!cardHealth) return;
    new Gauge({
      name: 'draftgate_cards_unposted',
      help: 'Pending drafts whose moderation card Discord has refused so far (no deadline runs until it is shown).',
      registers: [this.registry],
      async collect() {
        this.set((await cardHealth()).unposted);
      },
    });
    new Gauge({
      name: 'draftgate_cards_out_of_date',
      help: 'Moderation cards that show an older state than the database; the reconciler re-renders them.',
      registers: [this.registry],
      async collect() {
        this.set((await cardHealth()).outOfDate);
      },
    });
  }

  recordPublish(dryRun: boolean): void {
    this.publishes.inc({ mode: dryRun ? 'dry_run' : 'live' });
  }

  recordFailure(errorClass: string): void {
    this.failures.inc({ class: errorClass });
  }

  recordInteractionAck(kind: string, seconds: number): void {
    this.interactionAck.observe({ kind }, seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
