import { ConfigError, loadConfig } from '../config/index.js';
import { databaseTargetOf, describeDatabaseTarget, openDatabase, rebuildAllRollups } from '../db/index.js';

/**
 * `npm run stats:rebuild`: recomputes every /stats rollup (tables stats_daily and stats_monthly) from the raw rows,
 * in one transaction, with each account's days in its configured TIMEZONE (accounts.yaml or the
 * environment). For after a restore, a hand edit of the history, or a change of an account's
 * zone. The bot may keep running: the rebuild is one write transaction, so /stats sees the old
 * rollups or the new ones, never a mix. Opening the database migrates it, as the bot would.
 */
const EXIT_CONFIG = 2;

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT_CONFIG;
    }
    throw error;
  }
  const zones = new Map(config.accounts.map((account) => [account.id as string, account.posting.timezone]));
  const fallback = config.posting.timezone;
  const target = databaseTargetOf({ databasePath: config.storage.databasePath, databaseUrl: config.storage.databaseUrl });
  const { dataSource } = await openDatabase(target);
  try {
    const started = Date.now();
    // An account no longer configured keeps its history: its days count in the bot's zone.
    const rows = await rebuildAllRollups(dataSource, (accountId) => zones.get(accountId) ?? fallback);
    const where = describeDatabaseTarget(target);
    process.stdout.write(`stats:rebuild: ${rows} daily rollup rows (and their months) recomputed in ${Date.now() - started} ms (${where.engine})\n`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

process.exitCode = await main();
