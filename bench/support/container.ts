import { existsSync, readFileSync } from 'node:fs';
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

/** Where Debian's libjemalloc2 puts the library on this host (the image links it at /usr/local/lib). */
const HOST_JEMALLOC = ['/usr/local/lib/libjemalloc.so.2', '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'];

/**
 * The allocator environment the Dockerfile sets (`ENV LD_PRELOAD=...jemalloc...` and the
 * `ENV MALLOC_...=...` tunables, one per line), which changes the resident memory as much as the
 * node flags do, so the benches run with it too. The preload is the host's own libjemalloc.so.2;
 * on a host without it (`apt install libjemalloc2`) the figures are glibc's, and the runtime line
 * of the report says so.
 */
export function containerMallocEnvironment(): Record<string, string> {
  const text = dockerfile();
  const env: Record<string, string> = Object.fromEntries([...text.matchAll(/^ENV\s+(MALLOC_\w+)=(\S+)\s*$/gm)].map((m) => [m[1]!, m[2]!]));
  if (/^ENV\s+LD_PRELOAD=\S*libjemalloc\S*\s*$/m.test(text)) {
    const host = HOST_JEMALLOC.find((path) => existsSync(path));
    if (host) env['LD_PRELOAD'] = host;
  }
  return env;
}

/** The runtime a bench's figure was taken with, as one line for its report. */
export function describeContainerRuntime(): string {
  const env = containerMallocEnvironment();
  const wantsJemalloc = /^ENV\s+LD_PRELOAD=\S*libjemalloc/m.test(dockerfile());
  const allocator = !wantsJemalloc
    ? 'glibc malloc'
    : env['LD_PRELOAD']
      ? 'jemalloc'
      : 'glibc malloc (jemalloc NOT installed on this host: apt install libjemalloc2)';
  const tunables = Object.entries(env)
    .filter(([key]) => key !== 'LD_PRELOAD')
    .map(([key, value]) => `${key}=${value}`);
  return [allocator, ...tunables, ...containerNodeFlags()].join(' ');
}
