import type { Logger } from './logging/index.js';

/** Exit code after a second signal: the conventional 128 + SIGINT. */
export const EXIT_FORCED = 130;

export interface Stoppable {
  stop(): Promise<void>;
}

/** The parts of `process` the lifecycle needs, so tests can drive it with an EventEmitter. */
export interface ProcessLike {
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  exit(code: number): void;
}

/**
 * Wires signals and crashes to the app's lifecycle:
 * - SIGTERM/SIGINT stop the app gracefully and exit 0, or 1 if stopping fails or takes longer
 *   than `timeoutMs` (so a container stop never ends in SIGKILL with work half done);
 * - a second signal exits at once with 130;
 * - an unhandled rejection is logged with its context and exits 1, so the container restarts
 *   the bot from a known state instead of letting it limp on.
 */
export function installProcessLifecycle(options: { proc: ProcessLike; app: Stoppable; logger: Logger; timeoutMs: number }): void {
  const { proc, app, logger, timeoutMs } = options;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn('second signal: exiting now', { signal });
      proc.exit(EXIT_FORCED);
      return;
    }
    logger.info('signal received', { signal });
    const timer = setTimeout(() => {
      logger.error('shutdown took too long: exiting', { timeoutMs });
      proc.exit(1);
    }, timeoutMs);
    timer.unref();
    app.stop().then(
      () => {
        clearTimeout(timer);
        proc.exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        logger.error('shutdown failed', { error });
        proc.exit(1);
      },
    );
  };
  proc.on('SIGINT', onSignal);
  proc.on('SIGTERM', onSignal);
  proc.on('unhandledRejection', (reason: unknown) => {
    logger.error('unhandled promise rejection', { error: reason });
    void app.stop().finally(() => proc.exit(1));
  });
}
