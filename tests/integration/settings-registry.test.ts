import { afterEach, describe, expect, it } from 'vitest';
import { createRepositories } from '../../src/db/index.js';
import { queryRows } from '../../src/db/sql.js';
import type { Logger } from '../../src/logging/index.js';
import { PauseService } from '../../src/services/pause-service.js';
import { registeredSettings, SETTINGS, type SettingFamily, type SettingKey } from '../../src/services/settings-keys.js';
import { createPublishingHarness, moderator, T0, type PublishingHarness } from '../support/publishing-harness.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

/** A logger that keeps what it was told, to check what a corrupt setting reports. */
function recordingLogger(lines: Array<{ level: string; message: string; meta: Record<string, unknown> }>): Logger {
  const at =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}) =>
      lines.push({ level, message, meta });
  const logger: Logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: () => logger };
  return logger;
}

const nameOf = (entry: SettingKey<unknown> | SettingFamily<never, unknown>): string => ('prefix' in entry ? entry.prefix : entry.key);

let db: TempDatabase | undefined;
let h: PublishingHarness | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
  if (!h) return;
  const problems = await h.specProblems();
  await h.close();
  h = undefined;
  // Every request the real client sent must be one the real X API accepts.
  expect(problems).toEqual([]);
});

describe('typed settings (issue 11, §4)', () => {
  it('GIVEN the settings registry THEN every key and family prefix is unique, none is the start of another, and each names an owner', () => {
    const entries = registeredSettings();
    const names = entries.map(nameOf);
    expect(names).toContain(SETTINGS.pause.key);
    expect(names).toContain(SETTINGS.jobState.prefix);
    expect(names).toContain(SETTINGS.xRateLimit.me.key);
    expect(new Set(names).size).toBe(names.length);
    for (const a of names) {
      for (const b of names) if (a !== b) expect(b.startsWith(a), `${b} starts with ${a}`).toBe(false);
    }
    for (const entry of entries) expect(entry.owner, nameOf(entry)).toMatch(/\S/);
    // A family's member keys are its prefix plus the part, with the family's owner and schema.
    expect(SETTINGS.jobState.for('post')).toMatchObject({ key: 'scheduler.job.post', owner: 'scheduled-job' });
  });

  it('GIVEN typed keys WHEN values are written THEN they read back as written, and writing null deletes the row', async () => {
    db = await openTempDatabase();
    const pause = { by: moderator, since: T0, reason: 'launch day', scope: 'all' as const };
    await db.repos.settings.set(SETTINGS.pause, pause, T0);
    await db.repos.settings.set(SETTINGS.xRateLimit.timeline, { blockedUntil: T0 }, T0);
    await db.repos.settings.set(
      SETTINGS.jobState.for('post'),
      { nextRunAt: T0 + 1, slotAt: T0, lastRun: null, missedWhileDown: { count: 2, detectedAt: T0 } },
      T0,
    );

    expect(await db.repos.settings.get(SETTINGS.pause)).toEqual(pause);
    expect(await db.repos.settings.get(SETTINGS.xRateLimit.timeline)).toEqual({ blockedUntil: T0 });
    expect(await db.repos.settings.get(SETTINGS.xRateLimit.lookup)).toBeNull();
    expect((await db.repos.settings.get(SETTINGS.jobState.for('post')))?.missedWhileDown).toEqual({ count: 2, detectedAt: T0 });

    await db.repos.settings.set(SETTINGS.pause, null, T0 + 1);
    await db.repos.settings.set(SETTINGS.xRateLimit.timeline, null, T0 + 1);
    expect(await db.repos.settings.get(SETTINGS.pause)).toBeNull();
    const keys: Array<{ key: string }> = await db.dataSource.query('SELECT key FROM settings ORDER BY key');
    expect(keys.map((row) => row.key)).toEqual(['scheduler.job.post']);
  });

  it('GIVEN a stored value that does not match its schema (or is not JSON) WHEN it is read THEN it reads as absent, a warning names the key and the problem, and the bot carries on (not paused)', async () => {
    db = await openTempDatabase();
    const lines: Array<{ level: string; message: string; meta: Record<string, unknown> }> = [];
    const logger = recordingLogger(lines);
    const repos = createRepositories(db.dataSource, logger);
    // An older build's pause flag, a hand edit, and a truncated write.
    await queryRows(
      db.dataSource,
      "INSERT INTO settings (account_id, key, value, updated_at) VALUES ('default', :k1, :v1, :t), ('default', :k2, :v2, :t), ('default', :k3, :v3, :t)",
      {
        k1: SETTINGS.pause.key,
        v1: JSON.stringify({ paused: true, by: 'alice' }),
        k2: SETTINGS.jobState.for('engagement').key,
        v2: JSON.stringify('three'),
        k3: SETTINGS.xRateLimit.post.key,
        v3: '{"endpoint":',
        t: T0,
      },
    );

    const pauses = new PauseService({ settings: repos.settings, moderationEvents: repos.moderationEvents, clock: { now: () => T0 }, logger });
    expect(await pauses.current()).toBeNull();
    expect(await repos.settings.get(SETTINGS.jobState.for('engagement'))).toBeNull();
    expect(await repos.settings.get(SETTINGS.xRateLimit.post)).toBeNull();

    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings.map((line) => line.meta['key'])).toEqual([SETTINGS.pause.key, SETTINGS.jobState.for('engagement').key, SETTINGS.xRateLimit.post.key]);
    expect(warnings[0]?.meta).toMatchObject({ owner: 'pause-service', issues: expect.arrayContaining([expect.objectContaining({ path: ['since'] })]) });
    expect(warnings[2]?.meta['error']).toMatch(/JSON/);
    // The row is left for a person to look at; the next write of its owner replaces it.
    await repos.settings.set(SETTINGS.pause, { by: moderator, since: T0, reason: null, scope: 'all' }, T0 + 1);
    expect(await pauses.current()).toEqual({ by: moderator, since: T0, reason: null, scope: 'all' });
  });

  it('GIVEN a draft that failed transiently once WHEN it is later published THEN none of its per-draft publishing rows are left behind', async () => {
    h = await createPublishingHarness();
    const x = h;
    const service = x.service({ rng: () => 0.25 });
    x.fake.serverError(503);
    const draft = await x.approvedDraft(['leave no trace']);

    expect((await service.publishApprovedDraft(draft.id)).kind).toBe('queued');
    expect(await queryRows(x.db.dataSource, 'SELECT transient_failures AS n FROM publications WHERE draft_id = :id', { id: draft.id })).toEqual([{ n: 1 }]);
    x.clock.advance(18_750);
    const [second] = await service.processDueDrafts();

    expect(second?.kind).toBe('published');
    const rows: Array<{ key: string }> = await x.db.dataSource.query("SELECT key FROM settings WHERE key LIKE 'publish.%'");
    expect(rows).toEqual([]);
    // The counters live on the publication now, and publication resets them.
    expect(
      await queryRows(x.db.dataSource, 'SELECT transient_failures AS n, unresolved AS u FROM publications WHERE draft_id = :id', { id: draft.id }),
    ).toEqual([{ n: 0, u: 0 }]);
  });
});
