import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Another process holding a write transaction (BEGIN IMMEDIATE) on a SQLite file. */
export interface ExternalLock {
  readonly child: ChildProcess;
  /** Resolves once the other process committed and exited. */
  readonly released: Promise<void>;
}

const HOLDER = `
const Database = require('better-sqlite3');
const [path, holdMs] = process.argv.slice(1);
const db = new Database(path, { timeout: 5000 });
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); }, Number(holdMs));
`;

/**
 * Spawns `node -e` with better-sqlite3 (from this repo's node_modules) that opens `databasePath`,
 * takes the write lock with BEGIN IMMEDIATE, holds it for `holdMs` and commits. Resolves once the
 * lock is held, so the test knows every write after that meets it.
 */
export async function holdWriteLock(databasePath: string, holdMs: number): Promise<ExternalLock> {
  const child = spawn(process.execPath, ['-e', HOLDER, databasePath, String(holdMs)], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('locked')) resolve();
    });
    void exited.then(([code]) => reject(new Error(`the lock holder exited (${String(code)}) before locking: ${stderr}`)));
  });
  const released = exited.then(([code]) => {
    if (code !== 0) throw new Error(`the lock holder failed (${String(code)}): ${stderr}`);
  });
  return { child, released };
}
