import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { createSilentLogger, type Logger } from '../../src/logging/index.js';
import { EXIT_FORCED, installProcessLifecycle } from '../../src/process-lifecycle.js';

class FakeProcess extends EventEmitter {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

function setup(stop: () => Promise<void>) {
  const proc = new FakeProcess();
  const errors: Array<{ message: string; meta: unknown }> = [];
  const silent = createSilentLogger();
  const logger: Logger = {
    error: (message, meta) => errors.push({ message, meta }),
    warn: (message, meta) => silent.warn(message, meta),
    info: (message, meta) => silent.info(message, meta),
    debug: (message, meta) => silent.debug(message, meta),
    child: () => logger,
  };
  const app = { stop: vi.fn(stop) };
  installProcessLifecycle({ proc, app, logger, timeoutMs: 50 });
  return { proc, app, errors };
}

describe('process lifecycle', () => {
  it('GIVEN SIGTERM THEN the app stops once and the process exits 0', async () => {
    const { proc, app } = setup(async () => undefined);
    proc.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(proc.exits).toEqual([0]));
    expect(app.stop).toHaveBeenCalledTimes(1);
  });

  it('GIVEN a second signal while stopping THEN it exits at once with 130', async () => {
    const { proc } = setup(() => new Promise(() => undefined));
    proc.emit('SIGTERM', 'SIGTERM');
    proc.emit('SIGINT', 'SIGINT');
    expect(proc.exits).toEqual([EXIT_FORCED]);
  });

  it('GIVEN a shutdown that hangs THEN it gives up after the bound and exits 1', async () => {
    const { proc } = setup(() => new Promise(() => undefined));
    proc.emit('SIGINT', 'SIGINT');
    await vi.waitFor(() => expect(proc.exits).toEqual([1]));
  });

  it('GIVEN an unhandled rejection THEN it is logged with its context and the process exits non-zero', async () => {
    const { proc, app, errors } = setup(async () => undefined);
    const reason = Object.assign(new Error('boom in the publish queue'), { draftId: 7 });
    proc.emit('unhandledRejection', reason);
    await vi.waitFor(() => expect(proc.exits).toEqual([1]));
    expect(app.stop).toHaveBeenCalledTimes(1);
    expect(errors).toEqual([{ message: 'unhandled promise rejection', meta: { error: reason } }]);
  });
});
