import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeDraftGenerator } from '../../src/adapters/claude/claude-draft-generator.js';
import { queryRows } from '../../src/db/sql.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { DraftPipelineService, UnknownTopicError } from '../../src/services/draft-pipeline.js';
import type { LearnedVoiceSource } from '../../src/services/learning-contract.js';
import { FakeAnthropic, FAKE_ANTHROPIC_API_KEY } from '../support/fake-anthropic.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { mulberry32 } from '../support/seeded-random.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

const SAFE_TWEET = 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.';
const SAFE_TWEET_2 = 'Before you touch a fresh launch on Pump.fun, read the description, check who holds the supply, and set your own limits first.';

describe('draft pipeline against the Anthropic fake', () => {
  let anthropic: FakeAnthropic;
  let db: TempDatabase;
  let now: number;

  const pipeline = (
    overrides: { apiKey?: string; maxPendingDrafts?: number; rng?: () => number; learning?: boolean; learnedVoice?: LearnedVoiceSource } = {},
  ) =>
    new DraftPipelineService({
      ...db.repos,
      learnedVoice: overrides.learnedVoice,
      generator: new ClaudeDraftGenerator({
        apiKey: overrides.apiKey ?? FAKE_ANTHROPIC_API_KEY,
        model: 'claude-sonnet-5-5',
        baseUrl: anthropic.url,
        maxRetries: 2,
        timeoutMs: 5_000,
        maxHashtags: 2,
        allowedLinkDomains: ['pump.fun'],
      }),
      mediaFiles: {
        put: () => Promise.reject(new Error('no images in these tests')),
        read: () => Promise.reject(new Error('no images in these tests')),
        sweep: () => Promise.resolve([]),
      },
      clock: { now: () => now },
      rng: overrides.rng ?? mulberry32(7),
      logger: createSilentLogger(),
      options: {
        rules: { maxHashtags: 2, allowedLinkDomains: ['pump.fun'], bannedPatterns: [] },
        duplicateThreshold: 0.8,
        maxAttempts: 3,
        moderationTimeoutMs: 3_600_000,
        maxPendingDrafts: overrides.maxPendingDrafts ?? 3,
        learning: { enabled: overrides.learning ?? true, repeatFactor: 0.25 },
      },
    });

  beforeEach(async () => {
    now = 1_800_000_000_000;
    anthropic = new FakeAnthropic();
    await anthropic.start();
    db = await openTempDatabase();
  });
  afterEach(async () => {
    const specProblems = await specProblemsOf({ anthropic });
    await anthropic.stop();
    await db.close();
    expect(specProblems).toEqual([]);
  });

  it('GIVEN a valid tweet from the model THEN a pending draft is saved with usage and fingerprint, and no deadline until its card is posted', async () => {
    anthropic.queueOutput(
      { draft: { kind: 'tweet', text: `  "${SAFE_TWEET}"  ` } },
      { usage: { input_tokens: 900, output_tokens: 60, cache_read_input_tokens: 400 } },
    );
    const outcome = await pipeline().generateDraft({ trigger: 'command', topicName: 'education' });
    expect(outcome.status).toBe('created');
    if (outcome.status !== 'created') return;
    expect(outcome.draft).toMatchObject({
      status: 'pending',
      revision: 1,
      kind: 'tweet',
      tweets: [SAFE_TWEET],
      topicName: 'education',
      contentType: 'education',
      // The deadline starts when the card is posted (ModerationService), not before anyone can see the draft.
      deadlineAt: null,
      usage: { inputTokens: 900, outputTokens: 60, cacheReadTokens: 400 },
      generationAttempts: 1,
    });
    expect(outcome.draft.sanitiserChanges.join(' ')).toMatch(/quote/i);
    const [row] = await queryRows<{ n: number }>(db.dataSource, 'SELECT COUNT(*) AS n FROM content_fingerprints WHERE draft_id = :id', {
      id: outcome.draft.id,
    });
    expect(row?.n).toBeGreaterThan(0);
    const runs = await db.dataSource.query('SELECT outcome, input_tokens FROM generation_runs');
    expect(runs).toEqual([{ outcome: 'created', input_tokens: 900 }]);
    const topic = await db.repos.topics.findByName('education');
    expect(topic?.usageCount).toBe(1);
  });

  it('GIVEN a learned block THEN a new draft and a Regenerate both send it as the second system block; GIVEN it cannot be built THEN both are still written, without it (issue 15)', async () => {
    const block = "LEARNED FROM THIS ACCOUNT'S MODERATORS\n<avoid_notes>\n<note>Exclamation marks in pairs</note>\n</avoid_notes>";
    let broken = false;
    const learnedVoice: LearnedVoiceSource = {
      current: async () => {
        if (broken) throw new Error('settings unreadable');
        return { text: block, builtAt: now, examples: [], editPairs: [], avoidNotes: [] };
      },
      invalidate: async () => undefined,
    };
    const systemTexts = (index: number) => {
      const system = anthropic.messageBodies[index]?.system;
      return typeof system === 'string' ? [system] : (system ?? []).map((b) => b.text ?? '');
    };
    const service = pipeline({ learnedVoice });
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    const created = await service.generateDraft({ trigger: 'command', topicName: 'education' });
    expect(created.status).toBe('created');
    if (created.status !== 'created') return;
    expect(systemTexts(0)).toHaveLength(2);
    expect(systemTexts(0)[1]).toBe(block);
    anthropic.queueOutput({ draft: { kind: 'tweet', text: `${SAFE_TWEET} Read the curve first.` } });
    expect((await service.regenerate(created.draft.id, 1, 'Shorter', { id: '1', name: 'mod' })).status).toBe('revised');
    expect(systemTexts(1)[1]).toBe(block);

    broken = true;
    anthropic.queueOutput({ draft: { kind: 'tweet', text: 'Check who holds the supply before you buy a new launch.' } });
    const without = await service.generateDraft({ trigger: 'command', topicName: 'safety' });
    expect(without.status).toBe('created');
    expect(systemTexts(2)).toHaveLength(1);
    anthropic.queueOutput({ draft: { kind: 'tweet', text: 'Holders first, chart second: check the supply before you buy.' } });
    expect((await service.regenerate(created.draft.id, 2, null, { id: '1', name: 'mod' })).status).toBe('revised');
    expect(systemTexts(3)).toHaveLength(1);
  });

  it('GIVEN the thread topic THEN the model is asked for a thread and every tweet is stored', async () => {
    const tweets = ['1/ How graduation works on Pump.fun.', '2/ The curve fills as people buy.', '3/ At the threshold, liquidity moves to a DEX.'];
    anthropic.queueOutput({ draft: { kind: 'thread', tweets } });
    const outcome = await pipeline().generateDraft({ trigger: 'command', topicName: 'deep-dive-thread' });
    expect(outcome.status).toBe('created');
    if (outcome.status === 'created') expect(outcome.draft).toMatchObject({ kind: 'thread', tweets });
    expect(JSON.stringify(anthropic.messageBodies[0])).toMatch(/thread/i);
  });

  it("GIVEN a moderator approved a /draft type: choice for a topic THEN the draw can pick that (topic, content type) and the draft has the drawn type; naming the topic uses the topic's own type (issue 15)", async () => {
    const topics = await db.repos.topics.list();
    // Only education is drawn; the moderator once asked for it as a thread and approved it.
    for (const topic of topics) if (topic.name !== 'education') await db.repos.topics.setEnabled(topic.id, false, now);
    const thread = [
      '1/ What a bonding curve is, in plain words.',
      '2/ Each buy moves the price up a little.',
      '3/ Early and late buyers pay different prices.',
    ];
    anthropic.queueOutput({ draft: { kind: 'thread', tweets: thread } });
    const chosen = await pipeline().generateDraft({ trigger: 'command', topicName: 'education', contentType: 'thread' });
    if (chosen.status !== 'created') throw new Error(chosen.status);
    expect(await db.repos.drafts.decide(chosen.draft.id, 1, { to: 'approved', actor: { id: '2', name: 'mod' }, source: 'moderator' }, now)).toBe(true);

    // The arms are (education, education) then (education, thread): an RNG at its top draws the last one.
    anthropic.queueOutput({ draft: { kind: 'thread', tweets: thread.map((t) => t.replace('plain', 'simple').replace('little', 'bit')) } });
    const drawn = await pipeline({ rng: () => 0.999_999 }).generateDraft({ trigger: 'schedule' });
    if (drawn.status !== 'created') throw new Error(drawn.status);
    expect(drawn.draft).toMatchObject({ topicName: 'education', contentType: 'thread', kind: 'thread' });

    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    const named = await pipeline({ rng: () => 0.999_999 }).generateDraft({ trigger: 'command', topicName: 'education' });
    if (named.status !== 'created') throw new Error(named.status);
    expect(named.draft).toMatchObject({ topicName: 'education', contentType: 'education', kind: 'tweet' });

    // With learning off only the topic's own content type is drawn.
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET_2 } });
    const off = await pipeline({ rng: () => 0.999_999, learning: false, maxPendingDrafts: 10 }).generateDraft({ trigger: 'schedule' });
    if (off.status !== 'created') throw new Error(off.status);
    expect(off.draft).toMatchObject({ topicName: 'education', contentType: 'education' });
    // /topics list with learning off: no learned pair, but the approval rate is still there.
    const view = await pipeline({ learning: false }).topicsWithContext();
    const education = topics.find((t) => t.name === 'education')!;
    expect(view.learningEnabled).toBe(false);
    expect(view.arms.map((arm) => [arm.topicName, arm.contentType, arm.share])).toEqual([['education', 'education', 1]]);
    expect(view.approvals.get(education.id)).toEqual({ approvals: 1, rejections: 0 });
  });

  it('GIVEN an output that breaks a hard rule THEN it is regenerated with the violation named in the prompt', async () => {
    anthropic.queueOutput({ draft: { kind: 'tweet', text: 'This launch is guaranteed to 100x, buy now' } });
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    const outcome = await pipeline().generateDraft({ trigger: 'command', topicName: 'education' });
    expect(outcome.status).toBe('created');
    if (outcome.status === 'created') expect(outcome.draft.generationAttempts).toBe(2);
    expect(anthropic.messageBodies).toHaveLength(2);
    const retryPrompt = JSON.stringify(anthropic.messageBodies[1]);
    expect(retryPrompt).toMatch(/previous attempt broke these rules/i);
    expect(retryPrompt).toMatch(/guaranteed/i);
  });

  it('GIVEN every attempt fails validation THEN the cycle records why and no draft is saved', async () => {
    for (let i = 0; i < 3; i++) anthropic.queueOutput({ draft: { kind: 'tweet', text: `Send SOL to 7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU now ${i}` } });
    const outcome = await pipeline().generateDraft({ trigger: 'schedule', topicName: 'education' });
    expect(outcome.status).toBe('failed');
    if (outcome.status === 'failed') expect(outcome.reason).toMatch(/after 3 attempts.*address/i);
    expect(await db.repos.drafts.findByStatuses(['pending'])).toEqual([]);
    const [run] = await db.dataSource.query('SELECT outcome, attempts, reason FROM generation_runs');
    expect(run).toMatchObject({ outcome: 'failed', attempts: 3 });
  });

  it('GIVEN a near-duplicate of a pending draft THEN it is refused and regenerated', async () => {
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET.replace('Know which one you are.', 'Know which one you are!!') } });
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET_2 } });
    const service = pipeline();
    await service.generateDraft({ trigger: 'command', topicName: 'education' });
    const second = await service.generateDraft({ trigger: 'command', topicName: 'education' });
    expect(second.status).toBe('created');
    if (second.status === 'created') expect(second.draft.tweets).toEqual([SAFE_TWEET_2]);
    expect(JSON.stringify(anthropic.messageBodies[2])).toMatch(/repeats draft #1|similar to draft #1/);
  });

  it('GIVEN a 429 and then a 529 THEN the SDK retries and the draft is created', async () => {
    anthropic.failWithRateLimit({ retryAfterMs: 10 });
    anthropic.failWithOverloaded({ retryAfterMs: 10 });
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    const outcome = await pipeline().generateDraft({ trigger: 'command', topicName: 'education' });
    expect(outcome.status).toBe('created');
    expect(anthropic.messageRequests).toHaveLength(3);
  });

  it('GIVEN a rejected key THEN the cycle fails with a clear auth reason and no retry', async () => {
    const outcome = await pipeline({ apiKey: 'sk-ant-wrong-key-000000' }).generateDraft({ trigger: 'command', topicName: 'education' });
    expect(outcome.status).toBe('failed');
    if (outcome.status === 'failed') {
      expect(outcome.reason).toMatch(/key|auth/i);
      expect(outcome.reason).not.toContain('sk-ant-wrong-key-000000');
    }
    expect(anthropic.messageRequests).toHaveLength(1);
  });

  it('GIVEN the pending cap is full THEN the cycle is skipped without calling the model', async () => {
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    const service = pipeline({ maxPendingDrafts: 1 });
    await service.generateDraft({ trigger: 'command', topicName: 'education' });
    const skipped = await service.generateDraft({ trigger: 'schedule' });
    expect(skipped).toEqual({ status: 'skipped', reason: 'pending cap full: 1 of 1 drafts await moderation' });
    expect(anthropic.messageRequests).toHaveLength(1);
  });

  it('GIVEN an unknown topic THEN a typed error lists the known ones', async () => {
    await expect(pipeline().generateDraft({ trigger: 'command', topicName: 'lambos' })).rejects.toThrow(UnknownTopicError);
  });

  it('GIVEN regenerate with feedback THEN the feedback reaches the model, the revision goes up and the deadline restarts', async () => {
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET_2 } });
    const service = pipeline();
    const created = await service.generateDraft({ trigger: 'command', topicName: 'education' });
    if (created.status !== 'created') throw new Error('expected a draft');
    now += 60_000;
    const revised = await service.regenerate(created.draft.id, 1, 'More practical, less theory', { id: '1', name: 'mod' });
    expect(revised.status).toBe('revised');
    if (revised.status === 'revised')
      expect(revised.draft).toMatchObject({ revision: 2, tweets: [SAFE_TWEET_2], deadlineAt: now + 3_600_000, feedback: 'More practical, less theory' });
    expect(JSON.stringify(anthropic.messageBodies[1])).toContain('More practical, less theory');
    expect(await service.regenerate(created.draft.id, 1, null, { id: '1', name: 'mod' })).toMatchObject({ status: 'stale' });
  });

  it('GIVEN an edit THEN valid text replaces the draft and invalid text says exactly what failed', async () => {
    anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
    const service = pipeline();
    const created = await service.generateDraft({ trigger: 'command', topicName: 'education' });
    if (created.status !== 'created') throw new Error('expected a draft');
    const bad = await service.applyEdit(created.draft.id, 1, ['x'.repeat(281)], { id: '2', name: 'ed' });
    expect(bad.status).toBe('invalid');
    if (bad.status === 'invalid') expect(bad.violations.map((v) => v.message).join()).toMatch(/281.*280/);
    const good = await service.applyEdit(created.draft.id, 1, [SAFE_TWEET_2], { id: '2', name: 'ed' });
    expect(good).toMatchObject({ status: 'revised', draft: { revision: 2, tweets: [SAFE_TWEET_2], editedBy: { id: '2', name: 'ed' } } });
  });

  describe('issue 10, item 11: a Claude refusal, truncated JSON or the wrong kind', () => {
    it('GIVEN stop_reason refusal and then max_tokens THEN the real tokens are recorded and the remaining attempts are used', async () => {
      anthropic.queueRefusal({ usage: { input_tokens: 900, output_tokens: 40 } });
      anthropic.queueTruncated({ kind: 'tweet', text: SAFE_TWEET }, { usage: { input_tokens: 900, output_tokens: 1_024 } });
      anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } }, { usage: { input_tokens: 900, output_tokens: 60 } });
      const outcome = await pipeline().generateDraft({ trigger: 'command', topicName: 'education' });
      expect(outcome.status).toBe('created');
      if (outcome.status !== 'created') return;
      expect(outcome.draft.usage).toMatchObject({ inputTokens: 2_700, outputTokens: 1_124 });
      expect(outcome.draft.generationAttempts).toBe(3);
      expect(anthropic.messageRequests).toHaveLength(3);
      const runs = await db.dataSource.query('SELECT outcome, attempts, input_tokens AS input, output_tokens AS output FROM generation_runs');
      expect(runs).toEqual([{ outcome: 'created', attempts: 3, input: 2_700, output: 1_124 }]);
      // The retry tells the model why the last answer was unusable.
      expect(JSON.stringify(anthropic.messageBodies[2])).toMatch(/cut off|token limit/i);
    });

    it('GIVEN a refusal on every attempt THEN the cycle fails after GENERATION_ATTEMPTS with every token recorded', async () => {
      for (let i = 0; i < 3; i++) anthropic.queueRefusal({ usage: { input_tokens: 900, output_tokens: 30 } });
      const outcome = await pipeline().generateDraft({ trigger: 'schedule', topicName: 'education' });
      expect(outcome.status).toBe('failed');
      if (outcome.status === 'failed') expect(outcome.reason).toMatch(/refus/i);
      expect(anthropic.messageRequests).toHaveLength(3);
      const runs = await db.dataSource.query('SELECT outcome, attempts, input_tokens AS input, output_tokens AS output FROM generation_runs');
      expect(runs).toEqual([{ outcome: 'failed', attempts: 3, input: 2_700, output: 90 }]);
    });

    it('GIVEN a tweet where a thread was asked THEN the next attempt is used, and the request schema admits only a thread', async () => {
      const tweets = ['1/ How graduation works on Pump.fun.', '2/ The curve fills as people buy.'];
      anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
      anthropic.queueOutput({ draft: { kind: 'thread', tweets } });
      const outcome = await pipeline().generateDraft({ trigger: 'command', topicName: 'deep-dive-thread' });
      expect(outcome).toMatchObject({ status: 'created', draft: { kind: 'thread', tweets, generationAttempts: 2 } });
      const schema = anthropic.messageBodies[0]?.output_config?.format?.schema as Record<string, any>;
      expect(schema.properties.draft.anyOf).toBeUndefined();
      expect(schema.properties.draft.properties.kind).toMatchObject({ const: 'thread' });
      expect(Object.keys(schema.properties.draft.properties).sort()).toEqual(['kind', 'tweets']);
    });

    it('GIVEN a rejected key THEN the cycle still ends at once: auth is not retryable', async () => {
      const outcome = await pipeline({ apiKey: 'sk-ant-wrong-key-000000' }).generateDraft({ trigger: 'command', topicName: 'education' });
      expect(outcome.status).toBe('failed');
      expect(anthropic.messageRequests).toHaveLength(1);
    });
  });

  describe('issue 10, item 16: usage_count counts drafts, not attempts', () => {
    it('GIVEN a cycle that fails THEN the topic usage_count and last_used do not change; a created draft counts once', async () => {
      const before = await db.repos.topics.findByName('education');
      for (let i = 0; i < 3; i++) anthropic.queueOutput({ draft: { kind: 'tweet', text: `Guaranteed 100x, buy now ${i}` } });
      expect((await pipeline().generateDraft({ trigger: 'schedule', topicName: 'education' })).status).toBe('failed');
      expect(await pipeline({ apiKey: 'sk-ant-wrong-key-000000' }).generateDraft({ trigger: 'schedule', topicName: 'education' })).toMatchObject({
        status: 'failed',
      });
      const afterFailures = await db.repos.topics.findByName('education');
      expect(afterFailures?.usageCount).toBe(before?.usageCount);
      expect(afterFailures?.lastUsedAt).toBe(before?.lastUsedAt);

      anthropic.queueOutput({ draft: { kind: 'tweet', text: SAFE_TWEET } });
      expect((await pipeline().generateDraft({ trigger: 'schedule', topicName: 'education' })).status).toBe('created');
      expect((await db.repos.topics.findByName('education'))?.usageCount).toBe((before?.usageCount ?? 0) + 1);
    });

    it('GIVEN drafts of a topic THEN the engagement evidence (publishedCount after a refresh) counts only drafts really posted, once per thread', async () => {
      anthropic.queueOutput({ draft: { kind: 'thread', tweets: ['1/ How graduation works on Pump.fun.', '2/ The curve fills as people buy.'] } });
      anthropic.queueOutput({ draft: { kind: 'thread', tweets: ['1/ Slippage, explained on Pump.fun.', '2/ Tight settings protect you.'] } });
      anthropic.queueOutput({ draft: { kind: 'thread', tweets: ['1/ Read the holders list first.', '2/ Concentrated supply is a risk.'] } });
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const outcome = await pipeline().generateDraft({ trigger: 'command', topicName: 'deep-dive-thread' });
        if (outcome.status !== 'created') throw new Error(`expected a draft, got ${outcome.status}`);
        ids.push(outcome.draft.id);
      }
      const post = (draftId: number, tweetId: string, status: string, dryRun: number) =>
        queryRows(
          db.dataSource,
          `INSERT INTO posts (draft_id, tweet_id, content, content_type, status, created_at, posted_at, dry_run) VALUES (:draftId, :tweetId, 'x', 'thread', :status, 1, 1, :dryRun)`,
          { draftId, tweetId, status, dryRun },
        );
      await post(ids[0]!, '101', 'posted', 0);
      await post(ids[0]!, '102', 'posted', 0); // the second tweet of the same thread
      await post(ids[1]!, '201', 'posted', 1); // dry run: no engagement
      const topic = await db.repos.topics.findByName('deep-dive-thread');
      expect(topic?.usageCount).toBe(3);
      const { publishedByTopicId } = await db.repos.posts.engagementByTopic();
      expect(publishedByTopicId.get(topic!.id)).toBe(1);
    });
  });
});
