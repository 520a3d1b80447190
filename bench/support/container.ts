import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dockerfile = () => readFileSync(join(root, 'Dockerfile'), 'utf8');

/** The node flags of the Dockerfile's CMD, so a bench's figure is the container's. */
export function containerNodeFlags(): string[] {
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile())?.[1];
  const args = cmd ? (JSON.parse(cmd) as string[]) : [];
  return args.slice(1).filter((arg) => arg.startsWith('--'));
}

/**
 * The glibc malloc tunables the Dockerfile sets with `ENV MALLOC_...=...` (one per line), which
 * change the resident memory as much as the node flags do, so the benches run with them too.
 */
export function containerMallocEnvironment(): Record<string, string> {
  return Object.fromEntries([...dockerfile().matchAll(/^ENV\s+(MALLOC_\w+)=(\S+)\s*$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Both, as one line for a bench's report. */
export function describeContainerRuntime(): string {
  const env = Object.entries(containerMallocEnvironment()).map(([key, value]) => `${key}=${value}`);
  return [...env, ...containerNodeFlags()].join(' ') || 'none';
}
