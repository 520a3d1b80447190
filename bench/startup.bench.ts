import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnBuiltApp } from '../tests/support/spawn-app.js';
import { fakeEnvironment, startFakes, type Fakes } from '../tests/support/test-app.js';
import { containerMallocEnvironment, containerNodeFlags, describeContainerRuntime } from './support/container.js';
import { report, summarise } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 7;

type Line = Record<string, unknown>;

/** One start's figures, in ms: the parent's wall clock from spawn to 'active', and the app's own split. */
interface StartFigures {
  readonly wall: number;
  /** 'active' counted from the process's time origin (performance.now() in the app). */
  readonly ready: number;
  readonly imports: number;
  /** CPU time (user + system) of the imports, and of the whole start up to 'active'. */
  readonly importsCpu: number;
  readonly readyCpu: number;
  /** Between the imports and opening the database: the configuration and the logger. */
  readonly config: number;
  readonly db: number;
  /** Health endpoint up, instance lease taken, the parts built. */
  readonly lease: number;
  readonly xCheck: number;
  readonly gateway: number;
  /** Reconciling publications, cards and deadlines after READY. */
  readonly resume: number;
  readonly commands: number;
  readonly jobs: number;
  readonly registered: boolean;
}

/** Starts `node dist/src/main.js` on `dataDir`, waits for 'active', reads the split from the log lines, and stops it. */
async function startOnce(fakes: Fakes, dataDir: string, args: readonly string[] = []): Promise<StartFigures> {
  const spawnedAt = performance.now();
  const app = spawnBuiltApp({
    appDir: root,
    env: { ...fakeEnvironment(fakes, dataDir), NODE_ENV: 'production', LOG_LEVEL: 'info', ...containerMallocEnvironment() },
    nodeArgs: containerNodeFlags(),
    args,
  });
  try {
    const active = await app.waitForLog((line) => String(line['message']).startsWith('active'));
    const wall = performance.now() - spawnedAt;
    const find = (prefix: string): Line => {
      const line = app.logs.find((l) => String(l['message']).startsWith(prefix));
      if (!line) throw new Error(`no '${prefix}' log line`);
      return line;
    };
    const n = (line: Line, key: string) => Number(line[key]);
    const db = find('database ready');
    const ready = find('ready');
    const commands = find('slash commands');
    const imports = n(db, 'importsMs');
    const gatewayStart = n(ready, 'atMs') - n(ready, 'ms');
    return {
      wall,
      ready: n(active, 'atMs'),
      imports,
      importsCpu: n(db, 'importsCpuMs'),
      readyCpu: n(active, 'cpuMs'),
      config: n(db, 'atMs') - n(db, 'ms') - imports,
      db: n(db, 'ms'),
      lease: gatewayStart - n(ready, 'xCheckMs') - n(db, 'atMs'),
      xCheck: n(ready, 'xCheckMs'),
      gateway: n(ready, 'ms'),
      resume: n(active, 'resumeMs'),
      commands: n(commands, 'ms'),
      jobs: n(active, 'jobsMs'),
      registered: commands['message'] === 'slash commands registered',
    };
  } finally {
    const { code } = await app.signal('SIGTERM');
    expect(code).toBe(0);
  }
}

const median = (values: readonly number[]) => summarise(values).median;

describe('start-up of the built app (issue 16 §3)', () => {
  it('GIVEN a migrated database and unchanged commands WHEN node dist/src/main.js starts against the fakes THEN the time to ready and its split are reported', async () => {
    const fakes = await startFakes();
    const dataDir = mkdtempSync(join(tmpdir(), 'draftgate-startup-'));
    try {
      // The first start migrates the fresh database and registers the commands.
      const first = await startOnce(fakes, dataDir);
      expect(first.registered).toBe(true);
      const runs: StartFigures[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await startOnce(fakes, dataDir));
      // A restart with unchanged commands sends no PUT.
      expect(runs.every((run) => !run.registered)).toBe(true);
      const forced: StartFigures[] = [];
      for (let i = 0; i < 3; i++) forced.push(await startOnce(fakes, dataDir, ['--force-register']));
      expect(forced.every((run) => run.registered)).toBe(true);

      const split = (figures: readonly StartFigures[]) => {
        const of = (key: keyof Omit<StartFigures, 'registered'>) => median(figures.map((f) => f[key]));
        return {
          runs: figures.length,
          wallMs: of('wall'),
          readyMs: of('ready'),
          readyCpuMs: of('readyCpu'),
          importsMs: of('imports'),
          importsCpuMs: of('importsCpu'),
          configMs: of('config'),
          dbOpenAndMigrationsCheckMs: of('db'),
          leaseAndBuildMs: of('lease'),
          xCheckMs: of('xCheck'),
          gatewayMs: of('gateway'),
          resumeMs: of('resume'),
          commandsMs: of('commands'),
          jobsMs: of('jobs'),
        };
      };
      report('startup', { runtime: describeContainerRuntime(), ...split(runs) }, 'median wallMs < 1000 ms (migrated database, unchanged commands)');
      report('startup-forced-register', split(forced), '< 1000 ms');
      report(
        'startup-first',
        { wallMs: first.wall, dbOpenAndMigrationsMs: first.db, commandsMs: first.commands },
        'fresh database: migrations and registration, no target',
      );
    } finally {
      await fakes.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
