import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageFlags } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { encodeDraftCustomId, type DraftAction } from '../src/domain/custom-id.js';
import type { InjectedInteraction } from '../tests/support/fake-discord.js';
import { mulberry32 } from '../tests/support/seeded-random.js';
import { spawnBuiltApp, type SpawnedApp } from '../tests/support/spawn-app.js';
import { fakeEnvironment, startFakes } from '../tests/support/test-app.js';
import { containerMallocEnvironment, containerNodeFlags, describeContainerRuntime } from './support/container.js';
import { report } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// SOAK_INTERACTIONS / SOAK_DRAFTS shorten a run while investigating; SOAK_VERBOSE prints each
// reading; SOAK_ENV (JSON) adds environment to the app, e.g. {"BENCH_HEAP_SNAPSHOT_DIR":"/tmp/x"}
// for a heap snapshot per reading (see bench/support/gc-on-signal.mjs); SOAK_NODE_ARGS adds node
// flags to the container's, e.g. "--no-opt", to try what V8 settings do. SOAK_READ_EVERY=N adds a
// reading every N interactions (printed with SOAK_VERBOSE), to tell growth in steps from a slope.
const INTERACTIONS = Number(process.env['SOAK_INTERACTIONS'] ?? 10_000);
const DRAFTS = Number(process.env['SOAK_DRAFTS'] ?? 500);
const READ_EVERY = Number(process.env['SOAK_READ_EVERY'] ?? 0);
/**
 * Pending cards at a time; each is rejected once it has been clicked on for a while. Kept under
 * 8: /status fails with more (its pending list outgrows an embed field's 1,024 characters).
 */
const PENDING = 6;
const WORDS =
  'wallet seed phrase bonding curve graduation liquidity slippage holders supply launch fees limits price buyers sellers chart volume risk audit contract token creator community moderator snapshot'.split(
    ' ',
  );

type Reading = {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  heapPhysical: number;
  codeSpace: number;
  external: number;
  rssAnon: number;
  rssFile: number;
};

/** RSS and JS heap of the app right after two full GCs inside it (bench/support/gc-on-signal.mjs). */
async function rssAfterGc(app: SpawnedApp, label: string): Promise<Reading> {
  const since = Date.now();
  app.child.kill('SIGUSR2');
  const line = await app.waitForLog((l) => l['message'] === 'bench-gc-rss' && (l['at'] as number) >= since);
  const reading = {
    rss: line['rss'] as number,
    heapUsed: line['heapUsed'] as number,
    heapTotal: line['heapTotal'] as number,
    heapPhysical: line['heapPhysical'] as number,
    codeSpace: line['codeSpace'] as number,
    external: line['external'] as number,
    rssAnon: line['rssAnon'] as number,
    rssFile: line['rssFile'] as number,
  };
  if (process.env['SOAK_VERBOSE'])
    console.log(
      label,
      JSON.stringify(Object.fromEntries(Object.entries(reading).map(([k, v]) => [k, mb(v)]))),
      JSON.stringify(residentByMapping(app.child.pid!)),
    );
  if (process.env['SOAK_JEMALLOC_STATS']) console.log(`${label} jemalloc MB`, JSON.stringify(jemallocStats(app.child.pid!)));
  if (process.env['SOAK_MALLOC_TRIM']) {
    // Diagnosis only (it changes what later readings see): how much of the RSS is free memory
    // glibc's malloc keeps, which malloc_trim hands back, rather than memory in use. Needs gdb.
    execFileSync('gdb', ['-p', String(app.child.pid), '-batch', '-ex', 'call (int)malloc_trim(0)'], { stdio: 'ignore', timeout: 60_000 });
    console.log(`${label} after malloc_trim: rss ${mb(app.rssBytes())}`, JSON.stringify(residentByMapping(app.child.pid!)));
  }
  return reading;
}

/**
 * Diagnosis only (SOAK_JEMALLOC_STATS, needs gdb and the jemalloc preload): jemalloc's own
 * figures read with mallctl through gdb: allocated (live malloc blocks: SQLite, compiler zones,
 * buffers), active, resident and mapped, to tell native memory in use from allocator slack.
 */
function jemallocStats(pid: number): Record<string, number> {
  const names = ['stats.allocated', 'stats.active', 'stats.metadata', 'stats.resident', 'stats.mapped', 'stats.retained'];
  const commands = [
    'set $buf = (unsigned long *) malloc(64)',
    'set $buf[1] = 8',
    'set $buf[2] = 1',
    'call (int) mallctl("epoch", 0, 0, (void *) &$buf[2], 8)',
    ...names.flatMap((name) => [`call (int) mallctl("${name}", (void *) &$buf[0], (void *) &$buf[1], 0, 0)`, 'printf "STAT %lu\\n", $buf[0]']),
    'call (void) free($buf)',
  ];
  const out = execFileSync('gdb', ['-p', String(pid), '-batch', ...commands.flatMap((c) => ['-ex', c])], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const values = [...out.matchAll(/^STAT (\d+)$/gm)].map((m) => mb(Number(m[1])));
  return Object.fromEntries(names.map((name, i) => [name.slice('stats.'.length), values[i] ?? -1]));
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * A long day compressed: the built app (`node dist/src/main.js` with the container's flags)
 * against the fakes takes 10,000 interactions (button clicks, modal submits and slash commands)
 * and generates 500 drafts through /draft, each rejected later. Its RSS after a GC is read before
 * and after: memory that stays must come from something the bot keeps, not from traffic.
 */
describe('soak: memory after many interactions and drafts', () => {
  it(`GIVEN the built app WHEN ${INTERACTIONS} interactions and ${DRAFTS} generated drafts go through THEN its RSS after a GC before and after is reported`, async () => {
    const fakes = await startFakes();
    const rng = mulberry32(16);
    // Every draft different enough for the duplicate check.
    let drafted = 0;
    const tweet = () => {
      drafted += 1;
      return `Tip ${drafted}: ${Array.from({ length: 14 }, () => WORDS[Math.floor(rng() * WORDS.length)]!).join(' ')}.`;
    };
    // The kind the request's output schema asks for (a thread content type admits only a thread).
    fakes.anthropic.setDefaultResponder((body) => {
      const wantsThread = JSON.stringify(body.output_config?.format?.schema ?? {}).includes('"thread"');
      return { text: JSON.stringify({ draft: wantsThread ? { kind: 'thread', tweets: [tweet(), tweet()] } : { kind: 'tweet', text: tweet() } }) };
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'draftgate-soak-'));
    const env = fakeEnvironment(fakes, dataDir, {
      DRY_RUN: 'true',
      MAX_PENDING_DRAFTS: '100',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      ...containerMallocEnvironment(),
      ...JSON.parse(process.env['SOAK_ENV'] ?? '{}'),
    });
    const app = spawnBuiltApp({
      appDir: root,
      env,
      nodeArgs: [
        ...containerNodeFlags(),
        ...(process.env['SOAK_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
        '--expose-gc',
        `--import=${join(root, 'bench/support/gc-on-signal.mjs')}`,
      ],
    });
    try {
      await app.waitForLog((l) => l['message'] === 'ready');
      // Let start-up settle (the Claude key check, the first card reconcile) before the first reading.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const before = await rssAfterGc(app, 'before');
      const started = Date.now();
      const { moderator, plain } = fakes.discord.userIds;
      const pending: Array<{ id: number; messageId: string }> = [];
      let interactions = 0;
      let drafts = 0;

      const settle = async (interaction: InjectedInteraction, answered: boolean) => {
        interactions += 1;
        await fakes.discord.waitForCallback(interaction.id);
        if (answered) await fakes.discord.waitForMessage((m) => ephemeralAnswerTo(m, interaction.id));
      };
      const click = (card: { id: number; messageId: string }, action: DraftAction, userId: string) =>
        fakes.discord.injectButtonClick({ messageId: card.messageId, customId: encodeDraftCustomId({ action, draftId: card.id, revision: 1 }), userId });
      // Interactions that leave every card as it is: refusals, forms opened, invalid edits, read-only commands.
      const kinds: Array<(card: { id: number; messageId: string }) => Promise<void>> = [
        (card) => settle(click(card, 'approve', plain), true),
        (card) => settle(click(card, 'reject', moderator), false),
        (card) => settle(click(card, 'regenerate', moderator), false),
        (card) => settle(click(card, 'edit', moderator), false),
        (card) =>
          settle(
            fakes.discord.injectModalSubmit({
              customId: encodeDraftCustomId({ action: 'edit-modal', draftId: card.id, revision: 1 }),
              fields: { 'tweet-1': `Profits are guaranteed. ${'x'.repeat(300)}` },
              messageId: card.messageId,
              userId: moderator,
            }),
            true,
          ),
        () => settle(fakes.discord.injectSlashCommand({ name: 'status', userId: moderator }), false),
        () => settle(fakes.discord.injectSlashCommand({ name: 'queue', subcommand: 'list', userId: moderator }), false),
        () => settle(fakes.discord.injectSlashCommand({ name: 'ratelimit', userId: moderator }), false),
      ];

      const draftOne = async () => {
        const known = new Set(fakes.discord.messages.keys());
        await settle(fakes.discord.injectSlashCommand({ name: 'draft', userId: moderator }), false);
        const card = await fakes.discord.waitForMessage((m) => !known.has(m.id) && cardDraftId(m) !== null, 30_000);
        drafts += 1;
        pending.push({ id: cardDraftId(card)!, messageId: card.id });
      };
      const rejectOldest = async () => {
        const card = pending.shift()!;
        const submit = fakes.discord.injectModalSubmit({
          customId: encodeDraftCustomId({ action: 'reject-modal', draftId: card.id, revision: 1 }),
          fields: { reason: 'soak' },
          messageId: card.messageId,
          userId: moderator,
        });
        await settle(submit, false);
      };

      // Spread the drafts over the run: one every INTERACTIONS / DRAFTS interactions.
      const every = Math.floor(INTERACTIONS / DRAFTS);
      // Readings besides before and after, to tell first use from what traffic leaves behind:
      // "primed" once the first draft and one interaction of each kind have run (the first
      // generation loads the Anthropic SDK, about 300 modules, and each path is compiled once),
      // "warm" at a tenth of the run (the JIT has optimised the hot paths by then).
      let primed: Reading | undefined;
      let warm: Reading | undefined;
      let nextReading = READ_EVERY;
      for (let i = 0; interactions < INTERACTIONS; i += 1) {
        if (!primed && drafts >= 1 && i > kinds.length) primed = await rssAfterGc(app, 'primed');
        if (!warm && interactions >= INTERACTIONS / 10) warm = await rssAfterGc(app, 'warm');
        if (READ_EVERY > 0 && interactions >= nextReading) {
          await rssAfterGc(app, `at ${interactions} interactions, ${drafts} drafts`);
          nextReading += READ_EVERY;
        }
        if (drafts < DRAFTS && i % (every - 2) === 0) {
          if (pending.length >= PENDING) await rejectOldest();
          await draftOne();
          continue;
        }
        const card = pending[i % pending.length]!;
        await kinds[i % kinds.length]!(card);
      }
      while (pending.length > 0) await rejectOldest();
      // Let the last card edits and follow-ups finish before the reading.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const after = await rssAfterGc(app, 'after');
      // The figure is growthMB: after against before, both after a GC. before is the idle
      // app after ready, before its first generation loads the Anthropic SDK, so it includes that
      // one-time cost; growthSincePrimedMB leaves it out. heap*: V8's heap in use / reserved.
      report(
        'soak-rss',
        {
          runtime: JSON.stringify(describeContainerRuntime()),
          interactions,
          drafts,
          seconds: Math.round((Date.now() - started) / 1000),
          beforeMB: mb(before.rss),
          primedMB: mb(primed!.rss),
          warmMB: mb(warm!.rss),
          afterMB: mb(after.rss),
          growthMB: mb(after.rss - before.rss),
          growthSincePrimedMB: mb(after.rss - primed!.rss),
          growthSinceWarmMB: mb(after.rss - warm!.rss),
          heapBeforeMB: `${mb(before.heapUsed)}/${mb(before.heapTotal)}`,
          heapPrimedMB: `${mb(primed!.heapUsed)}/${mb(primed!.heapTotal)}`,
          heapWarmMB: `${mb(warm!.heapUsed)}/${mb(warm!.heapTotal)}`,
          heapAfterMB: `${mb(after.heapUsed)}/${mb(after.heapTotal)}`,
          anonBeforeMB: mb(before.rssAnon),
          anonAfterMB: mb(after.rssAnon),
        },
        'after within 15 MB of before',
      );
      expect(drafts).toBe(DRAFTS);
      expect(interactions).toBeGreaterThanOrEqual(INTERACTIONS);
    } catch (error) {
      // What the bot said last, to tell a stuck run from a slow one.
      console.log(JSON.stringify(app.logs.filter((l) => l['level'] !== 'info').slice(-10)), JSON.stringify(app.logs.slice(-5)));
      throw error;
    } finally {
      await app.signal('SIGTERM');
      await fakes.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 600_000);
});

/** The draft id on a card's Approve button, or null for any other message. */
function cardDraftId(message: { components?: unknown }): number | null {
  const match = /"dg1:approve:(\d+):1"/.exec(JSON.stringify(message.components ?? []));
  return match ? Number(match[1]) : null;
}

function ephemeralAnswerTo(message: { flags: number; [key: string]: unknown }, interactionId: string): boolean {
  return (message['interaction_metadata'] as { id?: string } | undefined)?.id === interactionId && (message.flags & MessageFlags.Ephemeral) !== 0;
}

/**
 * Resident MB of the app by kind of mapping, from /proc/PID/smaps (SOAK_VERBOSE): where the RSS
 * outside the JS heap is. "brk" is malloc's main arena (the main thread's native allocations),
 * "anon1M" anonymous mappings of 1 MB or more (malloc's thread arenas, large V8 spaces),
 * "anonSmall" the smaller ones (V8's 256 KB heap pages among them), then each mapped file.
 */
function residentByMapping(pid: number): Record<string, number> {
  const totals: Record<string, number> = {};
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const size = parseInt(header[2]!, 16) - parseInt(header[1]!, 16);
      const name = header[3]!.trim();
      kind = name === '[heap]' ? 'brk' : name === '' ? (size >= 1024 * 1024 ? 'anon1M' : 'anonSmall') : name.startsWith('[') ? name : name.split('/').pop()!;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) totals[kind] = (totals[kind] ?? 0) + Number(rss[1]) / 1024;
  }
  return Object.fromEntries(
    Object.entries(totals)
      .filter(([, mb]) => mb >= 0.5)
      .map(([k, mb]) => [k, Math.round(mb * 10) / 10]),
  );
}
