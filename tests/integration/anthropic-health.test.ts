import { describe, expect, it } from 'vitest';
import { AUTH_FAILURES_BEFORE_DEGRADED } from '../../src/services/generation-health.js';
import { useAppHarness } from '../support/app-harness.js';
import { loadSpecValidator } from '../support/spec-validator.js';

const TWEET = 'Slippage is the gap between the price you see and the price you get. On a thin bonding curve it can be large.';

interface HealthBody {
  ok: boolean;
  status: string;
  checks: Record<string, string>;
  failing: string[];
  degraded: string[];
}

/**
 * Issue 10, item 15: a dead Anthropic key is found at start (GET /v1/models/{model_id}, which
 * costs nothing and proves the model exists) and after repeated 401s from generation, and
 * /healthz says "degraded" (still 200: the bot can still moderate and publish).
 */
describe('Anthropic health in /healthz (real SDK against the fake)', () => {
  const harness = useAppHarness();

  async function health(port: number | undefined): Promise<{ status: number; body: HealthBody }> {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: response.status, body: (await response.json()) as HealthBody };
  }

  it('GIVEN a wrong ANTHROPIC_API_KEY WHEN the bot starts THEN it keeps running, logs an error naming the variable and /healthz is 200 "degraded" with the detail', async () => {
    const testApp = await harness.start({ ANTHROPIC_API_KEY: 'sk-ant-dead-key-0000000000' });
    await expect.poll(async () => (await health(testApp.app.healthPort)).body.status).toBe('degraded');
    const { status, body } = await health(testApp.app.healthPort);
    expect(status).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.degraded).toEqual(['anthropic']);
    expect(body.checks['anthropic']).toMatch(/ANTHROPIC_API_KEY/);
    expect(body.checks['anthropic']).toMatch(/401/);
    expect(body.checks['discord']).toBe('ok');

    const logged = testApp.logs.find((line) => line['level'] === 'error' && /ANTHROPIC_API_KEY/.test(String(line['message'])));
    expect(logged).toBeDefined();
    expect(JSON.stringify(testApp.logs)).not.toContain('sk-ant-dead-key-0000000000');

    // One zero-cost request, to the Models API for the configured model, valid per the spec.
    const [check] = harness.fakes.anthropic.modelRequests;
    expect(check?.path).toBe(`/v1/models/${testApp.config.anthropic.model}`);
    expect(harness.fakes.anthropic.messageRequests).toHaveLength(0);
    expect((await loadSpecValidator('anthropic')).validate(check!)).toEqual([]);

    const metrics = await (await fetch(`http://127.0.0.1:${testApp.app.healthPort}/metrics`)).text();
    expect(metrics).toContain('draftgate_anthropic_degraded 1');
  });

  it('GIVEN an unknown ANTHROPIC_MODEL WHEN the bot starts THEN /healthz is degraded naming the model', async () => {
    harness.fakes.anthropic.knownModels = new Set(['claude-some-other-model']);
    const testApp = await harness.start();
    await expect.poll(async () => (await health(testApp.app.healthPort)).body.checks['anthropic']).toMatch(/ANTHROPIC_MODEL/);
    expect((await health(testApp.app.healthPort)).status).toBe(200);
  });

  it(`GIVEN a good key at start WHEN generation gets ${AUTH_FAILURES_BEFORE_DEGRADED} 401s in a row THEN /healthz is degraded naming the failure; a success clears it`, async () => {
    const testApp = await harness.start();
    const port = testApp.app.healthPort;
    await expect.poll(() => harness.fakes.anthropic.modelRequests.length).toBe(1);
    expect((await health(port)).body).toMatchObject({ status: 'ok', degraded: [] });
    expect((await health(port)).body.checks['anthropic']).toBe('ok');

    const { validKeys } = harness.fakes.anthropic;
    const keys = [...validKeys];
    validKeys.clear(); // the key is revoked while the bot runs
    const generate = () => testApp.app.services.moderation.generateAndPostDraft({ trigger: 'command', topicName: 'education' });
    for (let i = 1; i < AUTH_FAILURES_BEFORE_DEGRADED; i++) {
      expect((await generate()).status).toBe('failed');
      expect((await health(port)).body.status).toBe('ok');
    }
    expect((await generate()).status).toBe('failed');
    const degraded = await health(port);
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ ok: true, status: 'degraded', degraded: ['anthropic'] });
    expect(degraded.body.checks['anthropic']).toMatch(new RegExp(`${AUTH_FAILURES_BEFORE_DEGRADED} generations in a row.*401.*ANTHROPIC_API_KEY`));
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(
      `draftgate_anthropic_consecutive_auth_failures ${AUTH_FAILURES_BEFORE_DEGRADED}`,
    );

    for (const key of keys) validKeys.add(key);
    harness.fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEET } });
    expect((await generate()).status).toBe('created');
    expect((await health(port)).body).toMatchObject({ status: 'ok', degraded: [], checks: { anthropic: 'ok' } });
  });
});
