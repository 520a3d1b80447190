import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/draft.js';
import { mulberry32 } from '../support/seeded-random.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { ManualClock, removeDir, startFakes, startTestApp, type Fakes, type TestApp } from '../support/test-app.js';

/**
 * Issue 15, "Done when": a simulated moderator with hidden tastes decides 300 drafts through the
 * real services (pipeline, moderation, the Claude adapter against the Anthropic fake, the cards
 * on the Discord fake, the real database), seeded so every run is the same.
 */

const DRAFTS = 300;
const SEED = 15;
const HOUR = 3_600_000;
const LOVED_TOPIC = 'education';
const MODERATOR: Actor = { id: '900000000000000001', name: 'sim-moderator' };
const REJECT_REASONS = ['too generic', 'we said this last week', 'tone is off for us', 'not our audience', 'too long-winded'];

/** Safe words (no rule of the content policy matches them), so every draft passes and no two are near-duplicates. */
const WORDS =
  'bonding curve liquidity migration creator wallet launch token holders chart volume community meme safety seed phrase scam rug signal ' +
  'pool fees slippage price buyers sellers market trend story coin ticker pump stream replies builders early late patience research ' +
  'question answer lesson tip guide step check verify contract audit risk reward calm plan exit entry watch learn share friends ' +
  'morning evening weekend daily update thread recap review detail number metric growth habit mistake lesson note idea'.split(' ');

/** The before -> after pairs of the learned block in the system prompt of the last generation request the fake recorded. */
function editPairsInLastPrompt(fakes: Fakes): Array<{ before: string; after: string }> {
  const bodies = fakes.anthropic.messageBodies;
  const system = bodies[bodies.length - 1]?.system;
  const text = typeof system === 'string' ? system : (system ?? []).map((block) => block.text).join('\n');
  const edits = /<moderator_edits>([\s\S]*?)<\/moderator_edits>/.exec(text)?.[1] ?? '';
  return [...edits.matchAll(/<before>([\s\S]*?)<\/before>\s*<after>([\s\S]*?)<\/after>/g)].map((m) => ({ before: m[1] ?? '', after: m[2] ?? '' }));
}

interface SimulationResult {
  readonly topics: string[];
  readonly approved: boolean[];
  readonly lovedShareFirst: number;
  readonly lovedShareLast: number;
  readonly approvalFirst: number;
  readonly approvalLast: number;
  readonly edits: number;
}

describe('learning simulation: 300 drafts decided by a moderator with hidden tastes (issue 15)', () => {
  let fakes: Fakes & { stop(): Promise<void> };
  const apps: TestApp[] = [];
  beforeEach(async () => {
    fakes = await startFakes();
  });
  afterEach(async () => {
    for (const testApp of apps.splice(0)) {
      await testApp.stop();
      removeDir(testApp.dataDir);
    }
    const problems = await specProblemsOf(fakes);
    await fakes.stop();
    expect(problems).toEqual([]);
  });

  /** The fake writes a fresh text for every generation (a thread when asked for one); some contain "!!". */
  function answerWithFreshTexts(seed: number): void {
    const rng = mulberry32(seed);
    let n = 0;
    const sentence = () => {
      n++;
      const words = Array.from({ length: 14 }, () => WORDS[Math.floor(rng() * WORDS.length)]);
      const loud = rng() < 0.4;
      return `Note ${n}: ${words.join(' ')}${loud ? '!!' : '.'}`;
    };
    fakes.anthropic.setDefaultResponder((body) => {
      const thread = JSON.stringify(body.messages).includes('\\"kind\\": \\"thread\\"');
      return { text: JSON.stringify({ draft: thread ? { kind: 'thread', tweets: [sentence(), sentence()] } : { kind: 'tweet', text: sentence() } }) };
    });
  }

  async function simulate(learning: 'on' | 'off'): Promise<SimulationResult> {
    answerWithFreshTexts(SEED);
    const clock = new ManualClock();
    const testApp = await startTestApp(fakes, { env: { DRY_RUN: 'true', LEARNING: learning, MAX_PENDING_DRAFTS: '3' }, clock, rng: mulberry32(SEED) });
    apps.push(testApp);
    const { moderation } = testApp.app.services;
    // Seven topics of equal weight: the prior gives each 1/7.
    const topics = await testApp.app.repos.topics.list();
    expect(topics).toHaveLength(7);
    for (const topic of topics) await testApp.app.repos.topics.setWeight(topic.id, 50, clock.now());

    const taste = mulberry32(SEED * 31 + 7);
    const drawn: string[] = [];
    const approved: boolean[] = [];
    let edits = 0;
    for (let i = 0; i < DRAFTS; i++) {
      clock.advance(HOUR);
      const outcome = await moderation.generateAndPostDraft({ trigger: 'schedule' });
      if (outcome.status !== 'created' || !outcome.card) throw new Error(`draft ${i}: ${outcome.status} ${'reason' in outcome ? outcome.reason : ''}`);
      const { draft } = outcome;
      const messageId = outcome.card.messageId;
      drawn.push(draft.topicName);
      clock.advance(60_000);
      const likes = taste() < (draft.topicName === LOVED_TOPIC ? 0.9 : 0.2);
      approved.push(likes);
      if (!likes) {
        const reason = REJECT_REASONS[Math.floor(taste() * REJECT_REASONS.length)] as string;
        const rejected = await moderation.reject({ draftId: draft.id, revision: draft.revision, actor: MODERATOR, messageId, reason });
        expect(rejected.status).toBe('applied');
        continue;
      }
      let revision = draft.revision;
      if (draft.tweets.some((tweet) => tweet.includes('!!'))) {
        // This moderator does not shout: "!!" goes before approving.
        const edited = await moderation.edit({
          draftId: draft.id,
          revision,
          actor: MODERATOR,
          messageId,
          tweets: draft.tweets.map((tweet) => tweet.replaceAll('!!', '.')),
        });
        expect(edited.status).toBe('applied');
        revision++;
        edits++;
      }
      const result = await moderation.approve({ draftId: draft.id, revision, actor: MODERATOR, messageId });
      expect(result.status).toBe('applied');
    }
    const share = (from: number, to: number) => drawn.slice(from, to).filter((name) => name === LOVED_TOPIC).length / (to - from);
    const rate = (from: number, to: number) => approved.slice(from, to).filter(Boolean).length / (to - from);
    return {
      topics: drawn,
      approved,
      lovedShareFirst: share(0, 100),
      lovedShareLast: share(DRAFTS - 100, DRAFTS),
      approvalFirst: rate(0, 100),
      approvalLast: rate(DRAFTS - 100, DRAFTS),
      edits,
    };
  }

  function report(label: string, result: SimulationResult, ms: number): void {
    const pct = (n: number) => `${Math.round(n * 100)}%`;
    console.log(
      `[learning simulation, ${label}] "${LOVED_TOPIC}" share: first 100 ${pct(result.lovedShareFirst)}, last 100 ${pct(result.lovedShareLast)}; ` +
        `approval rate: first 100 ${pct(result.approvalFirst)}, last 100 ${pct(result.approvalLast)} ` +
        `(x${(result.approvalLast / result.approvalFirst).toFixed(2)}); ${result.edits} edits; ${(ms / 1000).toFixed(1)} s`,
    );
  }

  it('GIVEN learning on WHEN the moderator approves one topic 90 % of the time and the others 20 % THEN that topic rises from ~1/7 to over half of the last 100 drafts, the approval rate of the last 100 is at least 1.5x the first 100, and the "!!" edits appear as before -> after examples in the prompt', async () => {
    const started = Date.now();
    const result = await simulate('on');
    report('LEARNING=on', result, Date.now() - started);
    expect(result.lovedShareFirst).toBeLessThan(0.45);
    expect(result.lovedShareLast).toBeGreaterThan(0.5);
    expect(result.approvalLast).toBeGreaterThanOrEqual(1.5 * result.approvalFirst);
    expect(result.edits).toBeGreaterThan(0);
    // The edits appear as before -> after examples in the prompt (helper PROMPT's learned block).
    const pairs = editPairsInLastPrompt(fakes);
    console.log(`[learning simulation, LEARNING=on] edit pairs in the last prompt: ${pairs.length}`);
    expect(pairs.length).toBeGreaterThan(0);
    for (const pair of pairs) {
      expect(pair.before).toContain('!!');
      expect(pair.after).not.toContain('!!');
      expect(pair.after).toBe(pair.before.replaceAll('!!', '.'));
    }
  }, 240_000);

  it('GIVEN learning off and the same seed and moderator THEN neither happens: the topic stays near 1/7 and the approval rate does not rise 1.5x', async () => {
    const started = Date.now();
    const result = await simulate('off');
    report('LEARNING=off', result, Date.now() - started);
    expect(result.lovedShareLast).toBeLessThan(0.3);
    expect(result.approvalLast).toBeLessThan(1.5 * result.approvalFirst);
    // Nothing learned reaches the prompt either.
    expect(editPairsInLastPrompt(fakes)).toEqual([]);
  }, 240_000);
});
