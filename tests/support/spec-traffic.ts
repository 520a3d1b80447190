import type { RecordedRequest } from './fake-http.js';
import { loadSpecValidator, type SpecService } from './spec-validator.js';

/** Any of the three fakes: each records every request on its `http` server. */
interface RecordingFake {
  readonly http: { readonly requests: readonly RecordedRequest[] };
}

/**
 * Spec problems of every request the bot put on the wire to the given fakes, as
 * `service METHOD path: problem` lines; `[]` when each matches the official OpenAPI description
 * in ../shared/specs. Discord's fake also serves the gateway, so only its REST API (/api/v10) is
 * checked. Call it after the app stopped, so no request is still in flight.
 */
export async function specProblemsOf(fakes: {
  readonly discord?: RecordingFake;
  readonly x?: RecordingFake;
  readonly anthropic?: RecordingFake;
}): Promise<string[]> {
  const problems: string[] = [];
  for (const service of ['discord', 'x', 'anthropic'] as const satisfies readonly SpecService[]) {
    const fake = fakes[service];
    if (!fake) continue;
    const requests = service === 'discord' ? fake.http.requests.filter((r) => r.path.startsWith('/api/v10/')) : fake.http.requests;
    if (requests.length === 0) continue;
    const validator = await loadSpecValidator(service);
    for (const request of requests) {
      for (const problem of validator.validate(request)) problems.push(`${service} ${request.method} ${request.path}: ${problem}`);
    }
  }
  return problems;
}
