import 'reflect-metadata';
import { AccountConfigurationError, DraftgateApp, SHUTDOWN_TIMEOUT_MS } from './app.js';
import { ConfigError, loadConfig, type AppConfig } from './config/index.js';
import { createLogger } from './logging/index.js';
import { installProcessLifecycle } from './process-lifecycle.js';

/** Exit code for a configuration problem, distinct from a crash (1). */
const EXIT_CONFIG = 2;

/**
 * The composition root: validate the configuration, build the logger and the app, start it,
 * and stop it cleanly on SIGINT/SIGTERM. Nothing else in the program reads the environment.
 */
async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
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
  const app = new DraftgateApp({ config, logger });

  installProcessLifecycle({ proc: process, app, logger, timeoutMs: SHUTDOWN_TIMEOUT_MS });

  try {
    await app.start();
  } catch (error) {
    logger.error('start-up failed', { error });
    await app.stop().catch(() => undefined);
    // Found only once X answered (two accounts posting as one X user): still the configuration's fault.
    process.exit(error instanceof AccountConfigurationError ? EXIT_CONFIG : 1);
  }
}

void main();
