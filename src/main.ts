import 'reflect-metadata';
import { DraftgateApp, SHUTDOWN_TIMEOUT_MS } from './app.js';
import { ConfigError, loadConfig, type AppConfig } from './config/index.js';
import { createLogger } from './logging/index.js';

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

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn('second signal: exiting now', { signal });
      process.exit(130);
    }
    logger.info('signal received', { signal });
    const timer = setTimeout(() => {
      logger.error('shutdown took too long: exiting', { timeoutMs: SHUTDOWN_TIMEOUT_MS });
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled promise rejection', { error: reason });
    // Let the container restart us from a known state rather than limp on.
    void app.stop().finally(() => process.exit(1));
  });

  try {
    await app.start();
  } catch (error) {
    logger.error('start-up failed', { error });
    await app.stop().catch(() => undefined);
    process.exit(1);
  }
}

void main();
