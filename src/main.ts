import 'reflect-metadata';
import { AccountConfigurationError, DraftgateApp, SHUTDOWN_TIMEOUT_MS } from './app.js';
import { ConfigError, loadConfig, type AppConfig } from './config/index.js';
import { createLogger } from './logging/index.js';
import { installProcessLifecycle } from './process-lifecycle.js';

// Every static import above is evaluated by now: the start-up bench's "imports" figure.
const importedAtMs = performance.now();
// The CPU time they took (user + system), which a loaded machine does not inflate as it does the wall time.
const importsCpuMs = cpuMs();

/** Exit code for a configuration problem, distinct from a crash (1). */
const EXIT_CONFIG = 2;

/**
 * The composition root: validate the configuration, build the logger and the app, start it
 * (active, or standing by while another instance holds the lease), and stop it cleanly on
 * SIGINT/SIGTERM, which gives the lease to a standby. Nothing else in the program reads the environment.
 */
async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = withCommandLine(loadConfig(), process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }

  const logger = createLogger({
    level: config.ops.logLevel,
    format: config.ops.logFormat,
    dir: config.ops.logDir,
    secrets: config.secrets,
  });
  // Exit code of a start that failed: found only once X answered (two accounts posting as one X user) is still the configuration's fault.
  const exitCodeOf = (error: unknown) => (error instanceof AccountConfigurationError ? EXIT_CONFIG : 1);
  const app: DraftgateApp = new DraftgateApp({
    config,
    logger,
    importedAtMs,
    importsCpuMs,
    // A standby that took over could not start (e.g. its X credentials were refused): exit as a
    // failed start does, so the supervisor sees it; the lease was already given up.
    onFatal: (error) => {
      void app
        .stop()
        .catch(() => undefined)
        .finally(() => process.exit(exitCodeOf(error)));
    },
  });

  installProcessLifecycle({ proc: process, app, logger, timeoutMs: SHUTDOWN_TIMEOUT_MS });

  try {
    await app.start();
  } catch (error) {
    logger.error('start-up failed', { error });
    await app.stop().catch(() => undefined);
    process.exit(exitCodeOf(error));
  }
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * The command line's flags over the environment's configuration: `--force-register` registers the
 * slash commands even when they did not change since the last registration (as DISCORD_FORCE_REGISTER=true).
 */
function withCommandLine(config: AppConfig, args: readonly string[]): AppConfig {
  if (!args.includes('--force-register')) return config;
  return { ...config, discord: { ...config.discord, forceRegisterCommands: true } };
}

void main();
