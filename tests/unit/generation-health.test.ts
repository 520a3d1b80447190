import { describe, expect, it } from 'vitest';
import { GenerationError, ZERO_USAGE, type GeneratedContent } from '../../src/domain/generation.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { AUTH_FAILURES_BEFORE_DEGRADED, GenerationHealth } from '../../src/services/generation-health.js';

const OK: GeneratedContent = { kind: 'tweet', tweets: ['fine'], usage: ZERO_USAGE, model: 'm' };
const auth = () => new GenerationError('auth', 'Claude rejected the credentials (401): invalid x-api-key', { status: 401, retryable: false });
const overloaded = () => new GenerationError('overloaded', 'Claude is overloaded (529)', { status: 529, retryable: true });
const refused = () => new GenerationError('refused', 'Claude refused', { retryable: true, usage: { ...ZERO_USAGE, inputTokens: 900 } });

/** A generator that answers from a script: an error is thrown, content returned. */
function scripted(health: GenerationHealth, script: Array<GeneratedContent | Error>) {
  const generator = health.observe({
    generate: async () => {
      const next = script.shift();
      if (next instanceof Error) throw next;
      return next ?? OK;
    },
  });
  return () => generator.generate({ contentType: 'education', topicName: 't', recentPosts: [] }).catch(() => undefined);
}

describe('GenerationHealth (issue 10, item 15)', () => {
  it(`GIVEN ${AUTH_FAILURES_BEFORE_DEGRADED} auth failures in a row THEN degraded; an overload in between keeps the streak; a refusal (the API answered) or a success clears it`, async () => {
    const health = new GenerationHealth({ logger: createSilentLogger(), model: 'm' });
    const call = scripted(health, [auth(), overloaded(), auth(), auth(), refused(), auth(), OK]);
    await call();
    await call(); // overloaded: says nothing about the key
    await call();
    expect(health.report().degraded).toBe(false);
    await call();
    expect(health.report()).toMatchObject({
      ok: true,
      degraded: true,
      detail: expect.stringMatching(/^3 generations in a row failed authentication.*401.*ANTHROPIC_API_KEY/),
    });
    expect(health.metrics()).toEqual({ degraded: true, consecutiveAuthFailures: 3 });
    await call(); // refused: the key works
    expect(health.report().degraded).toBe(false);
    await call();
    await call();
    expect(health.metrics()).toEqual({ degraded: false, consecutiveAuthFailures: 0 });
  });

  it('GIVEN the start-up check THEN a bad key or unknown model degrades, an unreachable API does not, and a later success clears it', async () => {
    const health = new GenerationHealth({ logger: createSilentLogger(), model: 'claude-x' });
    await health.checkAtStart(async () => {
      throw new GenerationError('connection', 'Could not reach the Claude API', { retryable: true });
    });
    expect(health.report().degraded).toBe(false);
    await health.checkAtStart(async () => {
      throw new GenerationError('bad_request', 'Claude refused the request (404): model: claude-x', { status: 404, retryable: false });
    });
    expect(health.report().detail).toMatch(/ANTHROPIC_MODEL "claude-x" was not found/);
    await health.checkAtStart(async () => {
      throw auth();
    });
    expect(health.report().detail).toMatch(/rejected ANTHROPIC_API_KEY/);
    await scripted(health, [OK])();
    expect(health.report()).toEqual({ ok: true, degraded: false });
  });
});
