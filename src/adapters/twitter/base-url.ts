import { Agent as HttpAgent } from 'node:http';
import { ApiRequestError, TwitterApi, type IGetHttpRequestArgs, type ITwitterApiClientPlugin } from 'twitter-api-v2';

type TBodyMode = NonNullable<IGetHttpRequestArgs['forceBodyMode']>;

/**
 * twitter-api-v2 1.29 hardcodes its hosts (src/globals: https://api.x.com/2/, https://api.x.com/1.1/,
 * https://upload.x.com/1.1/, https://stream.x.com/1.1/, ...) and has no base-URL option. These are the
 * hosts we move onto `TWITTER_API_BASE`; the legacy twitter.com names are included in case a caller
 * passes a full URL. Ads hosts are left alone: the bot never uses them.
 */
const REDIRECTED_HOSTS = new Set(['api.x.com', 'api.twitter.com', 'upload.x.com', 'upload.twitter.com', 'stream.x.com', 'stream.twitter.com']);

/** TWITTER_API_BASE could not be used as a base URL. */
export class InvalidTwitterApiBaseError extends Error {
  constructor(
    readonly baseUrl: string,
    readonly reason: string,
  ) {
    super(`Invalid X API base URL ${JSON.stringify(baseUrl)}: ${reason}`);
    this.name = 'InvalidTwitterApiBaseError';
  }
}

/** OAuth 1.0a user-context credentials for X. */
export interface TwitterClientCredentials {
  readonly appKey: string;
  readonly appSecret: string;
  readonly accessToken: string;
  readonly accessSecret: string;
}

/** How the X client reaches the API. */
export interface TwitterClientOptions {
  /** Replaces https://api.x.com (e.g. a local fake `http://127.0.0.1:4010` or `http://host/x`); path prefix kept. */
  readonly apiBase?: string | undefined;
  /**
   * Per request, in ms: both the socket inactivity timeout (twitter-api-v2 passes it to
   * `http.request`'s `timeout`) and a total deadline (see createRequestTimeoutPlugin).
   */
  readonly timeoutMs?: number | undefined;
}

function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new InvalidTwitterApiBaseError(baseUrl, 'not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidTwitterApiBaseError(baseUrl, 'protocol must be http or https');
  if (url.search || url.hash) throw new InvalidTwitterApiBaseError(baseUrl, 'must not carry a query string or fragment');
  if (url.username || url.password) throw new InvalidTwitterApiBaseError(baseUrl, 'must not carry credentials');
  return url;
}

/** Where a library URL (`https://api.x.com/2/tweets`, possibly with `:id` placeholders) goes instead. */
export function redirectTwitterUrl(libraryUrl: string, base: string | URL): string {
  const baseUrl = typeof base === 'string' ? parseBaseUrl(base) : base;
  // Same normalisation as the library's getUrlObjectFromUrlString.
  const url = new URL(libraryUrl.startsWith('http') ? libraryUrl : `https://${libraryUrl}`);
  if (!REDIRECTED_HOSTS.has(url.hostname)) return libraryUrl;
  const prefix = baseUrl.pathname.replace(/\/+$/, '');
  return `${baseUrl.origin}${prefix}${url.pathname}${url.search}`;
}

/**
 * The body encoding twitter-api-v2's autoDetectBodyType would choose for the ORIGINAL URL, where it
 * depends on the host or on the path starting with /2/. Undefined where the library's own detection
 * (v1.1 endpoint names) survives a redirect unchanged.
 */
function bodyModeForLibraryUrl(libraryUrl: string): TBodyMode | undefined {
  const url = new URL(libraryUrl.startsWith('http') ? libraryUrl : `https://${libraryUrl}`);
  if (url.pathname.startsWith('/2/') || url.pathname.startsWith('/labs/2/')) return 'json';
  if (url.hostname === 'upload.x.com' || url.hostname === 'upload.twitter.com') {
    return url.pathname === '/1.1/media/upload.json' ? 'form-data' : 'json';
  }
  return undefined;
}

/**
 * A twitter-api-v2 plugin that sends every API request to `baseUrl` instead of api.x.com.
 *
 * OAuth 1.0a: the library signs inside `getHttpRequestArgs`, which runs AFTER `onBeforeRequestConfig`
 * and BEFORE `onBeforeRequest`. We rewrite `params.url` in `onBeforeRequestConfig`, so the signature
 * base string is computed over the URL actually sent (scheme, host, port and path prefix of the
 * base); rewriting in `onBeforeRequest` instead would put a signature for https://api.x.com/... on
 * the wire. The library always calls `https.request`; for an http base we hand it a plain
 * `http.Agent` in `onBeforeRequest`, which is what makes Node accept the `http:` protocol there.
 */
export function createBaseUrlPlugin(baseUrl: string): ITwitterApiClientPlugin {
  const base = parseBaseUrl(baseUrl);
  const plainAgent = base.protocol === 'http:' ? createPlainHttpAgent() : undefined;
  const redirect = (params: { url: string; forceBodyMode?: TBodyMode }): void => {
    const redirected = redirectTwitterUrl(params.url, base);
    if (redirected === params.url) return;
    // The library picks JSON vs form encoding from the URL (pathname starts with /2/, host is
    // upload.x.com); a path prefix or another host would silently turn JSON bodies into forms.
    params.forceBodyMode ??= bodyModeForLibraryUrl(params.url);
    params.url = redirected;
  };
  return {
    onBeforeRequestConfig({ params }) {
      redirect(params);
    },
    onBeforeStreamRequestConfig({ params }) {
      // Streams get no onBeforeRequest hook: for an http base, pass an http agent in the client settings.
      redirect(params);
    },
    onBeforeRequest({ computedParams, requestOptions }) {
      if (computedParams.url.protocol !== 'http:' || !plainAgent) return;
      const agentProtocol = (requestOptions.agent as { protocol?: string } | undefined)?.protocol;
      if (agentProtocol !== 'http:') requestOptions.agent = plainAgent;
    },
  };
}

/**
 * Plain http only ever targets a local fake or proxy. One connection per request: a fake that just
 * destroyed a socket (fault injection) must not have it picked up again from a keep-alive pool.
 */
function createPlainHttpAgent(): HttpAgent {
  return new HttpAgent({ keepAlive: false });
}

/** Marks the error of a request that our total deadline cut short (see createRequestTimeoutPlugin). */
const DEADLINE_EXCEEDED = Symbol('draftgate.xRequestDeadline');

/** The reason a request was aborted: it had not finished within its total deadline. */
export class XRequestDeadlineError extends Error {
  override readonly name = 'XRequestDeadlineError';
  constructor(readonly deadlineMs: number) {
    super(`no complete answer within ${deadlineMs} ms`);
  }
}

/**
 * A plugin giving every request a timeout of `timeoutMs`, both ways:
 * - twitter-api-v2's own `timeout` (a per-call one still wins), which Node applies to socket
 *   INACTIVITY: it fires only when nothing arrives for that long;
 * - a total deadline of `timeoutMs` from the moment the request is built: an answer that keeps
 *   trickling in (a byte now and then) never trips the inactivity timeout and could otherwise
 *   outlast the publish lease, letting another attempt POST the same draft while this one is
 *   still in flight. The deadline aborts the request (AbortSignal), and the error is marked so
 *   it is classified like a timeout: uncertain, reconciled against the timeline before any retry.
 */
export function createRequestTimeoutPlugin(timeoutMs: number): ITwitterApiClientPlugin {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`X request timeout must be a positive number of ms, got ${timeoutMs}`);
  // Keyed by the request options object, which the library hands to every hook of one request.
  const deadlines = new WeakMap<object, { timer: NodeJS.Timeout; fired: boolean }>();
  const settle = (requestOptions: object, error?: unknown): void => {
    const deadline = deadlines.get(requestOptions);
    if (!deadline) return;
    clearTimeout(deadline.timer);
    deadlines.delete(requestOptions);
    if (deadline.fired && error !== null && typeof error === 'object') {
      Object.defineProperty(error, DEADLINE_EXCEEDED, { value: timeoutMs });
    }
  };
  return {
    onBeforeRequestConfig({ params }) {
      params.timeout ??= timeoutMs;
    },
    onBeforeRequest({ requestOptions }) {
      const controller = new AbortController();
      const deadline = {
        fired: false,
        timer: setTimeout(() => {
          deadline.fired = true;
          controller.abort(new XRequestDeadlineError(timeoutMs));
        }, timeoutMs),
      };
      deadlines.set(requestOptions, deadline);
      // Passed through to https.request, which destroys the request (and any answer half read) on abort.
      (requestOptions as { signal?: AbortSignal }).signal = controller.signal;
    },
    onAfterRequest({ requestOptions }) {
      settle(requestOptions);
    },
    onRequestError({ requestOptions, error }) {
      settle(requestOptions, error);
    },
    onResponseError({ requestOptions, error }) {
      settle(requestOptions, error);
    },
  };
}

/** The total deadline (ms) that cut this request short, if it was ours. */
export function requestDeadlineExceeded(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const value = (error as { [DEADLINE_EXCEEDED]?: unknown })[DEADLINE_EXCEEDED];
  return typeof value === 'number' ? value : undefined;
}

/** The X client the adapter uses: OAuth 1.0a user context, optional base URL and request timeout. */
export function createTwitterClient(credentials: TwitterClientCredentials, options: TwitterClientOptions = {}): TwitterApi {
  const plugins: ITwitterApiClientPlugin[] = [];
  if (options.apiBase) plugins.push(createBaseUrlPlugin(options.apiBase));
  if (options.timeoutMs !== undefined) plugins.push(createRequestTimeoutPlugin(options.timeoutMs));
  const plainHttp = options.apiBase !== undefined && parseBaseUrl(options.apiBase).protocol === 'http:';
  return new TwitterApi(
    {
      appKey: credentials.appKey,
      appSecret: credentials.appSecret,
      accessToken: credentials.accessToken,
      accessSecret: credentials.accessSecret,
    },
    // The client-wide agent also covers streaming requests, which skip onBeforeRequest.
    { plugins, ...(plainHttp ? { httpAgent: createPlainHttpAgent() } : {}) },
  );
}

/**
 * The network error behind an ApiRequestError ('Request timeout.', 'socket hang up', ECONNREFUSED...).
 * twitter-api-v2 1.29's `requestError` getter reads an option it never sets, so it is always
 * undefined; the cause is stored as `_options.error`.
 */
export function requestErrorCause(error: ApiRequestError): Error | undefined {
  const stored = (error as unknown as { _options?: { error?: unknown } })._options?.error;
  const cause = error.requestError ?? stored;
  return cause instanceof Error ? cause : undefined;
}

/**
 * True when an ApiRequestError is a client-side timeout: nothing arrived within timeoutMs (the
 * library's own), or no complete answer within the total deadline (ours, which usually fires first).
 */
export function isRequestTimeout(error: unknown): boolean {
  if (!(error instanceof ApiRequestError)) return false;
  return requestDeadlineExceeded(error) !== undefined || requestErrorCause(error)?.message === 'Request timeout.';
}
