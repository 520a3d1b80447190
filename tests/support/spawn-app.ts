import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface SpawnedApp {
  readonly child: ChildProcess;
  /** Parsed JSON log lines the process wrote to stdout so far. */
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: string[];
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a signal and resolves with the exit code (or the signal name) and how long it took. */
  signal(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** Resident set size in bytes, from /proc (Linux). */
  rssBytes(): number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the compiled app (`node dist/src/main.js`) as a real process, the way the container's
 * CMD does, with JSON logs on stdout so a test can wait for "ready".
 */
export function spawnBuiltApp(options: {
  appDir: string;
  env: Record<string, string>;
  entry?: string;
  nodeArgs?: readonly string[];
  /** The app's own command-line arguments, e.g. `--force-register`. */
  args?: readonly string[];
}): SpawnedApp {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry ?? 'dist/src/main.js', ...(options.args ?? [])], {
    cwd: options.appDir,
    env: { PATH: process.env['PATH'] ?? '', ...options.env, LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ message: line, unparsed: true });
      }
    }
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const wake of waiters.splice(0)) wake();
      resolve({ code, signal });
    }),
  );

  return {
    child,
    logs,
    stderr,
    exited,
    waitForLog(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr.join('')}; last logs: ${JSON.stringify(logs.slice(-5))}`)),
          timeoutMs,
        );
        const check = () => {
          const found = logs.find(predicate);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) before the log line; stderr: ${stderr.join('')}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    async signal(signal) {
      const started = Date.now();
      child.kill(signal);
      const result = await exited;
      return { ...result, ms: Date.now() - started };
    },
    rssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
      return kb * 1024;
    },
  };
}
