import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as it went over the wire, recorded by a fake. */
export interface RecordedRequest {
  readonly method: string;
  /** The path without the query string, exactly as sent (still percent-encoded). */
  readonly path: string;
  readonly query: Record<string, string>;
  /** Header names are lower-case. */
  readonly headers: Record<string, string>;
  /** Parsed JSON body, or undefined when there was none or it was not JSON. */
  readonly body: unknown;
  readonly rawBody: string;
  /** `Date.now()` when the request finished arriving. */
  readonly receivedAt: number;
  /** The body bytes as received; `rawBody` is their UTF-8 decoding, which corrupts binary uploads. */
  readonly rawBytes?: Buffer;
  /** The parts of a `multipart/form-data` body, in order; undefined for other content types. */
  readonly multipart?: readonly MultipartPart[];
}

/** One part of a `multipart/form-data` body (e.g. Discord's `payload_json` and `files[n]`). */
export interface MultipartPart {
  readonly name: string;
  readonly filename?: string;
  readonly contentType?: string;
  readonly data: Buffer;
}

/** What a route handler answers. */
export interface FakeResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Serialised as JSON unless it is a string or a Buffer (sent as is). Omit for an empty body (e.g. 204). */
  readonly body?: unknown;
}

/**
 * A fault replaces (or delays) the normal answer to a matching request.
 * - `status`/`headers`/`body`: answer this instead of calling the route.
 * - `delayMs`: wait before answering (with the fault's response if it has a status, else the route's).
 * - `hang`: never answer; the socket stays open until the client gives up or the fake stops.
 * - `disconnect`: destroy the socket without answering.
 * - `afterRoute`: call the route first (its side effects happen, e.g. a tweet is stored), then
 *   apply the fault instead of sending the route's answer; simulates "succeeded, reply lost".
 * - `until`: hold the request, unrouted and unanswered, until the promise settles; then carry on
 *   normally. A test decides exactly when a slow request reaches the server's logic.
 * - `trickleMs`: answer normally (status and headers at once), but send the body one byte every
 *   `trickleMs`: an answer that never goes silent long enough for an idle timeout, yet takes
 *   (body length x trickleMs) to arrive.
 */
export interface Fault {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly delayMs?: number;
  readonly hang?: boolean;
  readonly disconnect?: boolean;
  readonly afterRoute?: boolean;
  readonly until?: Promise<unknown>;
  readonly trickleMs?: number;
}

/** Which requests a fault applies to. `times` defaults to 1; use Infinity for every match. */
export interface FaultMatcher {
  readonly method?: string;
  readonly path?: string | RegExp;
  readonly times?: number;
  /** Any further condition on the request (e.g. fake X: only one user's requests). */
  readonly where?: (request: RecordedRequest) => boolean;
}

export type RouteHandler = (request: RecordedRequest, params: Record<string, string>) => FakeResponse | Promise<FakeResponse>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly keys: string[];
  readonly handler: RouteHandler;
}

interface ArmedFault {
  readonly matcher: FaultMatcher;
  readonly fault: Fault;
  remaining: number;
}

/** Compiles `/2/users/:id/tweets` into a regexp over the decoded path. */
function compilePattern(pattern: string): { pattern: RegExp; keys: string[] } {
  const keys: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        keys.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), keys };
}

/**
 * The shared core of the Discord, X and Anthropic fakes: an HTTP server on 127.0.0.1 that
 * records every request, routes it, and lets a test inject faults into chosen requests.
 */
export class FakeHttpServer {
  readonly requests: RecordedRequest[] = [];
  readonly server: Server;
  private readonly routes: Route[] = [];
  private readonly faults: ArmedFault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();
  private listeners: Array<(request: RecordedRequest) => void> = [];
  private baseUrl: string | undefined;

  constructor(readonly name: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Registers a route; `path` may contain `:param` segments, matched against the decoded path. */
  route(method: string, path: string, handler: RouteHandler): this {
    const { pattern, keys } = compilePattern(path);
    this.routes.push({ method: method.toUpperCase(), pattern, keys, handler });
    return this;
  }

  /** Arms a fault for the next matching request(s). */
  injectFault(matcher: FaultMatcher, fault: Fault): void {
    this.faults.push({ matcher, fault, remaining: matcher.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests matching a method and a path (string for exact, RegExp otherwise), decoded. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && matchesPath(decodePath(r.path), path));
  }

  /** Resolves with the first request (already recorded or future) that satisfies `predicate`. */
  waitForRequest(predicate: (request: RecordedRequest) => boolean, timeoutMs = 10_000): Promise<RecordedRequest> {
    const existing = this.requests.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`${this.name}: no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (request: RecordedRequest) => {
        if (!predicate(request)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(request);
      };
      this.listeners.push(listener);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  get url(): string {
    if (!this.baseUrl) throw new Error(`${this.name} is not started`);
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBytes = Buffer.concat(chunks);
    const rawBody = rawBytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    let body: unknown;
    if (rawBody.length > 0 && (headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
    }
    const recorded: RecordedRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      headers,
      body,
      rawBody,
      receivedAt: Date.now(),
      rawBytes,
      multipart: parseMultipart(headers['content-type'], rawBytes),
    };
    this.requests.push(recorded);
    for (const listener of [...this.listeners]) listener(recorded);

    const fault = this.takeFault(recorded);
    if (fault?.until) await fault.until.catch(() => undefined);
    let routeResponse: FakeResponse | undefined;
    if (fault?.afterRoute) {
      try {
        routeResponse = await this.dispatch(recorded);
      } catch (error) {
        // The route never succeeded, so there is no "success" to lose: surface the failure.
        this.send(res, { status: 500, body: { error: `${this.name} route failed: ${(error as Error).message}` } });
        return;
      }
    }
    if (fault?.disconnect) {
      req.socket.destroy();
      return;
    }
    if (fault?.hang) {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));

    let response: FakeResponse;
    if (fault?.status !== undefined) {
      response = { status: fault.status, headers: fault.headers ?? {}, body: fault.body };
    } else if (routeResponse) {
      response = routeResponse; // afterRoute + delayMs: the route already ran once, answer late
    } else {
      try {
        response = await this.dispatch(recorded);
      } catch (error) {
        response = { status: 500, body: { error: `${this.name} route failed: ${(error as Error).message}` } };
      }
    }
    if (fault?.trickleMs) {
      this.trickle(res, response, fault.trickleMs);
      return;
    }
    this.send(res, response);
  }

  /** Sends the head at once and the body one byte per `intervalMs`, until done or the client goes. */
  private trickle(res: ServerResponse, response: FakeResponse, intervalMs: number): void {
    const payload = Buffer.from(typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? ''));
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(response.headers ?? {}), 'content-length': String(payload.length) };
    res.writeHead(response.status, headers);
    res.flushHeaders();
    this.hanging.add(res);
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || sent >= payload.length) {
        clearInterval(timer);
        this.hanging.delete(res);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(payload.subarray(sent, sent + 1));
      sent += 1;
    }, intervalMs);
    res.on('close', () => {
      clearInterval(timer);
      this.hanging.delete(res);
    });
  }

  private async dispatch(request: RecordedRequest): Promise<FakeResponse> {
    const decoded = decodePath(request.path);
    for (const route of this.routes) {
      if (route.method !== request.method) continue;
      const match = route.pattern.exec(decoded);
      if (!match) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => (params[key] = match[i + 1] as string));
      return route.handler(request, params);
    }
    return { status: 404, body: { message: `${this.name}: no route for ${request.method} ${decoded}` } };
  }

  private takeFault(request: RecordedRequest): Fault | undefined {
    const decoded = decodePath(request.path);
    const armed = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.matcher.method === undefined || f.matcher.method.toUpperCase() === request.method) &&
        (f.matcher.path === undefined || matchesPath(decoded, f.matcher.path)) &&
        (f.matcher.where === undefined || f.matcher.where(request)),
    );
    if (!armed) return undefined;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.faults.splice(this.faults.indexOf(armed), 1);
    return armed.fault;
  }

  private send(res: ServerResponse, response: FakeResponse): void {
    if (res.destroyed) return;
    const headers: Record<string, string> = { ...(response.headers ?? {}) };
    let payload: string | Buffer | undefined;
    if (Buffer.isBuffer(response.body)) {
      // Binary bodies (e.g. uploaded files served back) go out byte for byte.
      payload = response.body;
    } else if (response.body !== undefined) {
      payload = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    res.writeHead(response.status, headers);
    res.end(payload);
  }
}

/**
 * Splits a `multipart/form-data` body into its parts. Deliberately minimal (no nested multipart,
 * no transfer encodings) because fakes only need to see what a client uploaded.
 */
export function parseMultipart(contentType: string | undefined, body: Buffer): MultipartPart[] | undefined {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return undefined;
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const token = boundary?.[1] ?? boundary?.[2];
  if (!token) return undefined;
  const delimiter = Buffer.from(`--${token.trim()}`);
  const parts: MultipartPart[] = [];
  let cursor = body.indexOf(delimiter);
  while (cursor !== -1) {
    const start = cursor + delimiter.length;
    // `--` right after a delimiter closes the body.
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    // Each part sits between the CRLF after the delimiter and the CRLF before the next one.
    const part = body.subarray(start + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headerLines = part.subarray(0, headerEnd).toString('utf8').split('\r\n');
      const disposition = headerLines.find((l) => /^content-disposition:/i.test(l)) ?? '';
      const type = headerLines.find((l) => /^content-type:/i.test(l));
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '';
      const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
      parts.push({
        name,
        ...(filename !== undefined ? { filename } : {}),
        ...(type ? { contentType: type.slice(type.indexOf(':') + 1).trim() } : {}),
        data: Buffer.from(part.subarray(headerEnd + 4)),
      });
    }
    cursor = next;
  }
  return parts;
}

export function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function matchesPath(path: string, expected: string | RegExp): boolean {
  return typeof expected === 'string' ? path === expected : expected.test(path);
}
