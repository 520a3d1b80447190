import { loadHealthCheckConfig } from './config/index.js';

/**
 * The container HEALTHCHECK: exits 0 when GET /healthz answers 200, 1 otherwise. Slim images
 * have no curl, and node is already there.
 */
const { healthPort } = loadHealthCheckConfig();
try {
  const response = await fetch(`http://127.0.0.1:${healthPort}/healthz`, { signal: AbortSignal.timeout(4_000) });
  if (response.status !== 200) process.stderr.write(`unhealthy: ${response.status} ${await response.text()}\n`);
  process.exit(response.status === 200 ? 0 : 1);
} catch (error) {
  process.stderr.write(`health endpoint unreachable: ${(error as Error).message}\n`);
  process.exit(1);
}
