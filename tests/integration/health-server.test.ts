import { afterEach, describe, expect, it } from 'vitest';
import { HealthServer } from '../../src/adapters/http/health-server.js';
import { PrometheusMetrics } from '../../src/adapters/http/prometheus-metrics.js';
import { createSilentLogger } from '../../src/logging/index.js';

describe('health and metrics endpoint', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.stop();
  });

  const state = { db: true, discord: true, scheduler: true };
  const metrics = new PrometheusMetrics({
    draftCounts: async () => ({ pending: 2, approved: 1, publishing: 0, published: 5, rejected: 3, expired: 1, failed: 1 }),
    tokenTotals: async () => ({ input: 1200, output: 300, cacheRead: 800, cacheCreation: 50 }),
    xRateState: async () => ({ endpoint: { limit: 100, remaining: 97, resetAt: 1 }, user24h: { limit: 17, remaining: 12, resetAt: 2 } }),
  });

  async function start(): Promise<string> {
    server = new HealthServer({
      port: 0,
      probes: [
        { name: 'database', check: () => ({ ok: state.db, detail: 'database is closed' }) },
        { name: 'discord', check: () => ({ ok: state.discord, detail: 'gateway not ready' }) },
        { name: 'scheduler', check: () => ({ ok: state.scheduler, detail: 'scheduler stopped' }) },
      ],
      metrics,
      logger: createSilentLogger(),
    });
    return `http://127.0.0.1:${await server.start()}`;
  }

  it('GIVEN every part alive THEN /healthz is 200; GIVEN one failing THEN 503 names it', async () => {
    const base = await start();
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, status: 'ok', checks: { database: 'ok', discord: 'ok', scheduler: 'ok' }, failing: [], degraded: [] });

    state.discord = false;
    const down = await fetch(`${base}/healthz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ ok: false, failing: ['discord'], checks: { discord: 'gateway not ready' } });
    state.discord = true;
  });

  it('GIVEN a degraded part THEN /healthz is still 200 with status "degraded" and the detail (issue 10, item 15)', async () => {
    const server = new HealthServer({
      port: 0,
      probes: [
        { name: 'database', check: () => ({ ok: true }) },
        { name: 'anthropic', check: () => ({ ok: true, degraded: true, detail: 'ANTHROPIC_API_KEY rejected' }) },
      ],
      metrics,
      logger: createSilentLogger(),
    });
    const port = await server.start();
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        ok: true,
        status: 'degraded',
        checks: { database: 'ok', anthropic: 'ANTHROPIC_API_KEY rejected' },
        failing: [],
        degraded: ['anthropic'],
      });
    } finally {
      await server.stop();
    }
  });

  it('GIVEN events and stored state THEN /metrics shows them in Prometheus text format', async () => {
    const base = await start();
    metrics.recordPublish(false);
    metrics.recordPublish(true);
    metrics.recordFailure('rate_limited');
    metrics.recordInteractionAck('button', 0.012);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toContain('draftgate_drafts{status="pending"} 2');
    expect(text).toContain('draftgate_drafts{status="published"} 5');
    expect(text).toContain('draftgate_publishes_total{mode="live"} 1');
    expect(text).toContain('draftgate_publishes_total{mode="dry_run"} 1');
    expect(text).toContain('draftgate_publish_failures_total{class="rate_limited"} 1');
    expect(text).toContain('draftgate_interaction_ack_seconds_bucket{le="0.025",kind="button"} 1');
    expect(text).toContain('draftgate_x_rate_limit_remaining{window="15m"} 97');
    expect(text).toContain('draftgate_x_rate_limit_remaining{window="user_24h"} 12');
    expect(text).toContain('draftgate_anthropic_tokens{kind="input"} 1200');
    expect(text).toMatch(/draftgate_process_resident_memory_bytes \d+/);
  });

  it('GIVEN another path or method THEN 404 / 405', async () => {
    const base = await start();
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});
