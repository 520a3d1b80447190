import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import type { DraftgateApp, InstanceOptions } from '../../src/app.js';
import { createInstanceLeaseStore } from '../../src/db/index.js';
import { useAppHarness } from '../support/app-harness.js';

/**
 * Issue 12 §1 inside one process: two apps on one database are two instances. They share the
 * pid, so each gets its own identity and a liveness check that says the other is alive (a dead
 * holder on this host is taken over at once, which is the point of the process tests).
 */
const LEASE = { INSTANCE_LEASE_RENEW: '1s', INSTANCE_LEASE_EXPIRY: '3s' };

function instance(name: string, pid: number): InstanceOptions {
  return { identity: { owner: `test-host:${pid}:${name}`, host: 'test-host', pid }, isProcessAlive: () => true, pollEveryMs: 100 };
}

/** The app's open database (private: the store is the app's own). */
function dataSourceOf(app: DraftgateApp): DataSource {
  return (app as unknown as { store: { dataSource: DataSource } }).store.dataSource;
}

async function healthOf(app: DraftgateApp): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${app.healthPort}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('active and standby instances in one process (issue 12)', () => {
  const harness = useAppHarness({ DRY_RUN: 'true', ...LEASE });

  it('GIVEN two instances on one database WHEN both start THEN one is active on the gateway and the other stands by, healthy, showing the role, epoch and renewal', async () => {
    const first = await harness.start({}, { instance: instance('a', 1001) });
    const second = await harness.start({}, { dataDir: first.dataDir, instance: instance('b', 1002) });

    expect(first.app.role).toBe('active');
    expect(second.app.role).toBe('standby');
    expect(harness.fakes.discord.connectionCount).toBe(1);
    const standby = await healthOf(second.app);
    expect(standby.status).toBe(200);
    expect(standby.body).toMatchObject({ ok: true, role: 'standby', epoch: 1, leaseHolder: 'test-host:1001:a' });
    expect(standby.body['leaseRenewedAt']).toMatch(/^\d{4}-/);
    expect(standby.body['checks']).toEqual({ database: 'ok' });
    const metrics = await (await fetch(`http://127.0.0.1:${second.app.healthPort}/metrics`)).text();
    expect(metrics).toContain('draftgate_instance_role{role="standby"} 1');
    expect(metrics).toContain('draftgate_instance_epoch 1');
    // A standby runs nothing: no scheduler, no services, no Discord client.
    expect(() => second.app.scheduler).toThrow(/standby/);
  });

  it('GIVEN an active and a standby instance WHEN the active one stops THEN the standby takes over at its next poll (epoch 2) and connects to the gateway', async () => {
    const first = await harness.start({}, { instance: instance('a', 1001) });
    const second = await harness.start({}, { dataDir: first.dataDir, instance: instance('b', 1002) });

    const stoppedAt = performance.now();
    await first.app.stop();
    await second.app.waitForRole('active', 10_000);
    const takeoverMs = performance.now() - stoppedAt;

    expect(second.app.lease.status()).toMatchObject({ role: 'active', epoch: 2, holder: 'test-host:1002:b' });
    expect(harness.fakes.discord.connectionCount).toBe(2);
    expect((await healthOf(second.app)).body).toMatchObject({ ok: true, role: 'active', epoch: 2 });
    // The ceiling for a graceful stop; the poll is 100 ms here.
    expect(takeoverMs).toBeLessThan(3_000);
  });

  it('GIVEN an active instance WHEN another instance takes the lease over THEN it disconnects from Discord, stops its jobs and stands by, healthy', async () => {
    const only = await harness.start({}, { instance: instance('a', 1001) });
    const connection = harness.fakes.discord.gatewayConnections.at(-1)!;
    const store = createInstanceLeaseStore(dataSourceOf(only.app));

    // What a standby elsewhere does once it judged the lease lapsed: one conditional UPDATE.
    const term = await store.takeOver(await store.read(), { owner: 'elsewhere:7:x', host: 'elsewhere', pid: 7 }, Date.now(), Date.now() + 60_000);
    expect(term).toEqual({ owner: 'elsewhere:7:x', epoch: 2 });
    await only.app.waitForRole('standby', 10_000);

    expect(only.app.lease.current()).toBeNull();
    await expect.poll(() => connection.closedAt, { timeout: 5_000 }).toBeDefined();
    expect(() => only.app.discord).toThrow(/standby/);
    expect((await healthOf(only.app)).status).toBe(200);
    // The holder as the standby's next poll reads it.
    await expect
      .poll(async () => (await healthOf(only.app)).body, { timeout: 5_000 })
      .toMatchObject({ role: 'standby', epoch: 2, leaseHolder: 'elsewhere:7:x' });
  });
});
