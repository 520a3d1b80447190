import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import {
  approve,
  becameActive,
  cardsIn,
  cardStatus,
  draftThroughCommand,
  launchInstance,
  signalOnly,
  type InstanceProcess,
} from '../support/instance-processes.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { fakeEnvironment, startFakes, type Fakes } from '../support/test-app.js';

/** Short lease where the test is about the mechanics; the defaults (5 s / 15 s) where the figure is the point. */
const SHORT_LEASE = { INSTANCE_LEASE_RENEW: '1s', INSTANCE_LEASE_EXPIRY: '4s' };
const TEXT = 'A bonding curve sets the price from the supply sold so far. Read the curve before you buy, not after.';

/**
 * Issue 12 "Done when": the built app in real processes against the fakes, two instances (or
 * one, restarted) on one store. Every wait is a ceiling from the issue, not a speed target.
 */
describe('active and standby instances as real processes (issue 12)', () => {
  let fakes: Fakes & { stop(): Promise<void> };
  let dataDir: string;
  const running: InstanceProcess[] = [];

  beforeEach(async () => {
    fakes = await startFakes();
    dataDir = mkdtempSync(join(tmpdir(), 'draftgate-standby-'));
  });
  afterEach(async () => {
    for (const instance of running.splice(0)) {
      const { child } = instance.proc;
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await instance.proc.exited;
    }
    const specProblems = await specProblemsOf(fakes);
    await fakes.stop();
    rmSync(dataDir, { recursive: true, force: true });
    expect(specProblems).toEqual([]);
  });

  /**
   * Both instances share the store of `dataDir` (its SQLite file, or with DRAFTGATE_TEST_DB=postgres
   * its PostgreSQL database, through fakeEnvironment) and post live to the fake X.
   */
  function environment(overrides: Record<string, string> = {}): Record<string, string> {
    return fakeEnvironment(fakes, dataDir, { DRY_RUN: 'false', ...overrides });
  }

  async function launch(env: Record<string, string>): Promise<InstanceProcess> {
    const instance = await launchInstance(env);
    running.push(instance);
    // A failure among several processes is read from their logs: print what each one did.
    onTestFailed(() => {
      const lines = instance.proc.logs.map(
        (line) =>
          `${String(line['timestamp'])} ${String(line['message'])} ${JSON.stringify({ ...line, timestamp: undefined, message: undefined, level: undefined })}`,
      );
      process.stderr.write(`--- instance pid ${instance.proc.child.pid}:\n${lines.join('\n').slice(-20_000)}\n`);
    });
    return instance;
  }

  const tweetsOfText = () => fakes.x.tweets.filter((tweet) => tweet.text === TEXT);

  it('GIVEN two instances on one store THEN exactly one connects to the gateway; /draft -> exactly one card; approve -> exactly one tweet', async () => {
    const env = environment(SHORT_LEASE);
    const first = await launch(env);
    const second = await launch(env);
    expect([first.startedAs, second.startedAs]).toEqual(['active', 'standby']);
    expect(fakes.discord.connectionCount).toBe(1);
    const standby = await second.health();
    expect(standby.status).toBe(200);
    expect(standby.body).toMatchObject({ ok: true, role: 'standby', epoch: 1 });

    const card = await draftThroughCommand(fakes, TEXT);
    approve(fakes, card);
    await expect.poll(() => cardStatus(fakes, card), { timeout: 15_000 }).toContain('Published');
    // A few renewals and standby polls later: still one of each, and the roles unchanged.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(cardsIn(fakes)).toHaveLength(1);
    expect(tweetsOfText()).toHaveLength(1);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    expect(fakes.discord.connectionCount).toBe(1);
    expect((await first.health()).body).toMatchObject({ role: 'active', epoch: 1 });
    expect((await second.health()).body).toMatchObject({ role: 'standby', epoch: 1 });
  }, 90_000);

  it('GIVEN kill -9 of the active instance while X answers its POST THEN the standby takes over within 15 s and settles the draft, with exactly one tweet', async () => {
    const env = environment();
    const first = await launch(env);
    const second = await launch(env);
    expect(second.startedAs).toBe('standby');
    const card = await draftThroughCommand(fakes, TEXT);

    const held = fakes.x.hold();
    approve(fakes, card);
    await fakes.x.http.waitForRequest((r) => r.method === 'POST' && r.path.endsWith('/2/tweets'), 15_000);
    first.proc.child.kill('SIGKILL');
    await first.proc.exited;
    const killedAt = performance.now();
    // X acts on a request whose client has gone: the tweet exists, its id never reached the bot.
    held.release();
    await expect.poll(() => tweetsOfText().length, { timeout: 5_000 }).toBe(1);

    const activeAt = await becameActive(second, 15_000);
    expect(activeAt - killedAt).toBeLessThan(15_000);
    await expect.poll(() => cardStatus(fakes, card), { timeout: 15_000 }).toContain('Published');
    expect(tweetsOfText()).toHaveLength(1);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    expect(JSON.stringify(fakes.discord.messages.get(card.message.id)?.embeds)).toContain('Recovered after a restart: already on X');
    expect((await second.health()).body).toMatchObject({ ok: true, role: 'active', epoch: 2 });
  }, 90_000);

  it('GIVEN the active instance frozen (SIGSTOP) past its lease WHEN it resumes (SIGCONT) after the standby took over THEN it publishes nothing and steps down', async () => {
    const env = environment(SHORT_LEASE);
    const first = await launch(env);
    const second = await launch(env);
    const card = await draftThroughCommand(fakes, TEXT);

    // The click reaches the active instance, which acknowledges it first: that answer is held
    // until the instance is frozen, so its decision runs only after it resumes, deposed.
    let releaseAck!: () => void;
    fakes.discord.injectFault(
      { method: 'POST', path: /\/interactions\/\d+\/[^/]+\/callback$/ },
      { until: new Promise<void>((resolve) => (releaseAck = resolve)) },
    );
    const click = approve(fakes, card);
    await fakes.discord.waitForRequest((r) => r.method === 'POST' && r.path.includes(`/interactions/${click.id}/`), 10_000);
    signalOnly(first, 'SIGSTOP');
    releaseAck();

    await becameActive(second, 20_000);
    expect((await second.health()).body).toMatchObject({ role: 'active', epoch: 2 });
    const resumedAt = fakes.x.requests.length;
    signalOnly(first, 'SIGCONT');

    await expect.poll(async () => (await first.health()).body['role'], { timeout: 10_000 }).toBe('standby');
    expect((await first.health()).status).toBe(200);
    // Its approval was decided under a term that is over: refused, nothing sent to X, by anyone.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(fakes.x.requests.slice(resumedAt).filter((r) => r.method === 'POST')).toEqual([]);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toEqual([]);
    expect(cardStatus(fakes, card)).not.toContain('Published');

    // The active instance still publishes it, once.
    approve(fakes, card);
    await expect.poll(() => cardStatus(fakes, card), { timeout: 15_000 }).toContain('Published');
    expect(tweetsOfText()).toHaveLength(1);
    expect((await first.health()).body).toMatchObject({ role: 'standby', epoch: 2 });
  }, 90_000);

  it('GIVEN SIGTERM of the active instance THEN it exits 0 and the standby is active within 3 s', async () => {
    const env = environment();
    const first = await launch(env);
    const second = await launch(env);
    expect(second.startedAs).toBe('standby');

    const signalledAt = performance.now();
    const [exit, activeAt] = await Promise.all([first.proc.signal('SIGTERM'), becameActive(second, 15_000)]);
    expect(exit.code).toBe(0);
    expect(activeAt - signalledAt).toBeLessThan(3_000);
    expect((await second.health()).body).toMatchObject({ ok: true, role: 'active', epoch: 2 });
    expect(fakes.discord.connectionCount).toBe(2);
  }, 60_000);

  it('GIVEN kill -9 of a lone instance during a publish WHEN it is started again THEN the draft is settled within 15 s of ready, the tweet posted once', async () => {
    const env = environment();
    const first = await launch(env);
    const card = await draftThroughCommand(fakes, TEXT);

    // The POST never reaches X's logic before the crash: nothing is on X.
    fakes.x.hang();
    approve(fakes, card);
    await fakes.x.http.waitForRequest((r) => r.method === 'POST' && r.path.endsWith('/2/tweets'), 15_000);
    first.proc.child.kill('SIGKILL');
    await first.proc.exited;

    const again = await launch(env);
    expect(again.startedAs).toBe('active');
    await expect.poll(() => cardStatus(fakes, card), { timeout: 15_000 }).toContain('Published');
    expect(Date.now() - again.readyAt()).toBeLessThan(15_000);
    expect(tweetsOfText()).toHaveLength(1);
    expect(JSON.stringify(fakes.discord.messages.get(card.message.id)?.embeds)).toContain('Recovered after a restart: posted now');
    expect((await again.health()).body).toMatchObject({ role: 'active', epoch: 2 });
  }, 90_000);
});
