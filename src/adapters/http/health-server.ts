import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../logging/index.js';
import type { InstanceLeaseStatus, InstanceRole } from '../../services/ports.js';

/**
 * One part of the bot that must be alive for the bot to be healthy. `degraded` (with `ok: true`)
 * marks a part that works badly but does not stop the bot doing its job.
 */
export interface HealthProbe {
  readonly name: string;
  check(): Promise<ProbeResult> | ProbeResult;
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly degraded?: boolean;
  readonly detail?: string;
}

/** The /healthz body: `status` is "ok", "degraded" (some part works badly) or "failing". */
export interface HealthReport {
  readonly ok: boolean;
  readonly status: 'ok' | 'degraded' | 'failing';
  readonly checks: Record<string, string>;
  readonly failing: string[];
  readonly degraded: string[];
  /** This instance's part in the instance lease: a standby is healthy (200) while it waits. */
  readonly role?: InstanceRole;
  /** The epoch this instance holds (active) or last saw (standby). */
  readonly epoch?: number | null;
  /** When the lease was last renewed, by whoever holds it, as last seen (ISO 8601). */
  readonly leaseRenewedAt?: string | null;
  /** Who holds the lease, as last seen; null when it is free. */
  readonly leaseHolder?: string | null;
}

/**
 * Serves GET /healthz (200 only when every probe passes, else 503 naming the failing parts) and
 * GET /metrics (Prometheus text) on HEALTH_PORT. A degraded part still answers 200: the
 * orchestrator restarts on anything else, and restarting a bot that can still publish approved
 * drafts (e.g. only Claude's key is dead) would fix nothing and interrupt what works. The body
 * says "degraded" and why, for monitoring.
 */
export class HealthServer {
  private server: Server | undefined;

  constructor(
    private readonly deps: {
      readonly port: number;
      /** Read at every request: the parts to check change when a standby becomes active and back. */
      readonly probes: readonly HealthProbe[] | (() => readonly HealthProbe[]);
      /** The instance lease as this instance sees it, shown in the body; absent: no lease fields. */
      readonly instance?: () => InstanceLeaseStatus;
      readonly metrics: { render(): Promise<{ contentType: string; body: string }> };
      readonly logger: Logger;
    },
  ) {}

  /** Starts listening; returns the bound port (useful with HEALTH_PORT=0). */
  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const reply = (status: number, contentType: string, body: string) => {
        res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (req.method !== 'GET') return reply(405, 'text/plain', 'method not allowed\n');
      if (path === '/healthz') {
        void this.health().then(
          (health) => reply(health.ok ? 200 : 503, 'application/json', `${JSON.stringify(health)}\n`),
          (error: unknown) => reply(503, 'application/json', `${JSON.stringify({ ok: false, error: (error as Error).message })}\n`),
        );
        return;
      }
      if (path === '/metrics') {
        void this.deps.metrics.render().then(
          ({ contentType, body }) => reply(200, contentType, body),
          (error: unknown) => {
            this.deps.logger.error('metrics collection failed', { error });
            reply(500, 'text/plain', 'metrics collection failed\n');
          },
        );
        return;
      }
      reply(404, 'text/plain', 'not found\n');
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.deps.port, () => resolve());
    });
    const port = (this.server.address() as AddressInfo).port;
    this.deps.logger.info('health endpoint listening', { port });
    return port;
  }

  async health(): Promise<HealthReport> {
    const checks: Record<string, string> = {};
    const failing: string[] = [];
    const degraded: string[] = [];
    const probes = typeof this.deps.probes === 'function' ? this.deps.probes() : this.deps.probes;
    for (const probe of probes) {
      let result: ProbeResult;
      try {
        result = await probe.check();
      } catch (error) {
        result = { ok: false, detail: (error as Error).message };
      }
      const isDegraded = result.ok && result.degraded === true;
      checks[probe.name] = result.ok && !isDegraded ? 'ok' : (result.detail ?? (isDegraded ? 'degraded' : 'failing'));
      if (!result.ok) failing.push(probe.name);
      if (isDegraded) degraded.push(probe.name);
    }
    const status = failing.length > 0 ? 'failing' : degraded.length > 0 ? 'degraded' : 'ok';
    const report: HealthReport = { ok: failing.length === 0, status, checks, failing, degraded };
    if (!this.deps.instance) return report;
    const lease = this.deps.instance();
    return {
      ...report,
      role: lease.role,
      epoch: lease.epoch,
      leaseRenewedAt: lease.renewedAt === null ? null : new Date(lease.renewedAt).toISOString(),
      leaseHolder: lease.holder,
    };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
