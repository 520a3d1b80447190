import { createHash } from 'node:crypto';
import { imageSize } from 'image-size';
import { FakeHttpServer, type FaultMatcher, type FakeResponse, type RecordedRequest } from './fake-http.js';

/** The key the fake accepts unless told otherwise. */
export const FAKE_ANTHROPIC_API_KEY = 'sk-ant-fake-0123456789abcdef';

const MESSAGES_PATH = '/v1/messages';
/** GET /v1/models/{model_id} ("Get a Model" in the spec): the bot's zero-cost start-up check. */
const MODEL_PATH = '/v1/models/:modelId';

/** Token counts the fake reports; the names are the API's. */
export interface FakeUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_read_input_tokens: number;
  readonly cache_creation_input_tokens: number;
}

/** One scripted answer: the text of the single text block, plus optional overrides. */
export interface ScriptedReply {
  readonly text: string;
  readonly usage?: Partial<FakeUsage>;
  readonly stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'refusal';
  /** Answered model id; defaults to the requested one. */
  readonly model?: string;
}

/** The body the SDK sent to POST /v1/messages, loosely typed for assertions. */
export interface MessagesRequestBody {
  readonly model: string;
  readonly max_tokens: number;
  readonly system?: string | Array<{ type: string; text: string; cache_control?: { type: string; ttl?: string } }>;
  readonly messages: Array<{ role: string; content: string | Array<{ type: string; text?: string; source?: ImageSourceBody }> }>;
  readonly output_config?: { format?: { type: string; schema: Record<string, unknown> } | null } | null;
  readonly [key: string]: unknown;
}

/** An image block's `source`, as the SDK sends it (base64 is what the bot uses). */
export interface ImageSourceBody {
  readonly type: string;
  readonly media_type?: string;
  readonly data?: string;
  readonly url?: string;
}

/** An image block that reached the fake, decoded: what Claude was shown. */
export interface ReceivedImage {
  /** Index into `messageRequests` of the request that carried it. */
  readonly requestIndex: number;
  /** Position among that request's content blocks (a text block after the images has a higher one). */
  readonly blockIndex: number;
  readonly mediaType: string;
  /** sha256 (hex) of the decoded bytes: compare with the stored file's hash. */
  readonly sha256: string;
  readonly bytes: number;
}

/** The answer an image-description request gets, in the names the describer's schema uses. */
export interface ImageReviewAnswer {
  readonly alt_text: string;
  readonly findings: readonly string[];
}

/** The media types the Messages API accepts for a base64 image block (RequestImageBlock in the spec). */
const IMAGE_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
/** The API refuses an image whose base64 data is over 5 MB (so about 3.75 MB of raw bytes). */
const MAX_IMAGE_BASE64_CHARS = 5 * 1024 * 1024;
/** The API refuses an image with a side over 8000 px. */
const MAX_IMAGE_SIDE_PX = 8_000;

export type DefaultResponder = (body: MessagesRequestBody, request: RecordedRequest) => ScriptedReply;

export const DEFAULT_USAGE: FakeUsage = {
  input_tokens: 812,
  output_tokens: 64,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
};

/**
 * The API's minimum cacheable prompt length, by model (Anthropic's prompt-caching docs): a prefix
 * shorter than this up to a `cache_control` breakpoint is silently not cached. Unknown models get
 * the common 1,024.
 */
export function minCacheableTokens(model: string): number {
  if (/opus-4-[5-9]|haiku-4/u.test(model)) return 4_096;
  if (/haiku-3|sonnet-4-6/u.test(model)) return 2_048;
  return 1_024;
}

/** The API's cache lifetimes: 5 minutes by default, `ttl: "1h"` for an hour; each hit refreshes it. */
const CACHE_TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;

/**
 * The fake's token count: about four bytes of UTF-8 per token for text and JSON (close to
 * Claude's tokenizer on English), and width x height / 750 for an image, the API's documented
 * estimate. An estimate, but counted from what was sent, so a longer prefix costs more.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

/** What one answered POST /v1/messages got from the simulated prompt cache, and the usage the fake reported. */
export interface CacheOutcome {
  /** Index into `messageRequests`. */
  readonly requestIndex: number;
  /** Estimated tokens of the prefix up to each `cache_control` breakpoint, in order. */
  readonly breakpointTokens: readonly number[];
  /** Tokens of the longest prefix found in the cache (0: a miss). */
  readonly read: number;
  /** Tokens written to the cache by this request (prefixes past the hit, long enough to cache). */
  readonly creation: number;
  /** What the response's `usage` said (a scripted usage wins over the simulation). */
  readonly usage: FakeUsage;
}

/** Options for the fault helpers. `times` defaults to 1. */
export interface FaultOptions {
  readonly times?: number;
  /** Sent as `retry-after-ms`, which the SDK prefers over `retry-after`: keeps tests fast. */
  readonly retryAfterMs?: number;
  /** Sent as `retry-after` in seconds, as the real API does (may be fractional for tests). */
  readonly retryAfterSeconds?: number;
}

/**
 * A local stand-in for the Anthropic Messages API, on `FakeHttpServer`. It checks the
 * credentials like the real API (401 `authentication_error`), answers POST /v1/messages with a
 * response shaped exactly like the real one, and offers helpers for the faults the SDK must cope
 * with: 429 with retry-after, 529 overloaded, 500 api_error, slow, hung and dropped responses.
 *
 * Answers come from a queue (`queueText`, `queueOutput`); when it is empty, the default responder
 * makes one up: for a structured-output request, a minimal instance of the requested JSON schema.
 */
export class FakeAnthropic {
  readonly http = new FakeHttpServer('fake-anthropic');
  /** Any of these keys is accepted, as `Authorization: Bearer <key>` or `x-api-key: <key>`. */
  readonly validKeys: Set<string>;
  private readonly queue: ScriptedReply[] = [];
  private defaultResponder: DefaultResponder = defaultReply;
  private counter = 0;
  /** The simulated prompt cache: sha256 of (model, output format, prefix) -> when it expires. */
  private readonly promptCache = new Map<string, number>();
  /** Every answered POST /v1/messages and what the prompt cache did for it, in order. */
  readonly cacheOutcomes: CacheOutcome[] = [];
  /**
   * The clock the cache's TTL runs on; real time by default. A test driving the app with a
   * ManualClock points it at that clock, so "5 minutes later" means the same thing to both.
   */
  cacheClock: () => number = () => Date.now();

  constructor(options: { apiKey?: string } = {}) {
    this.validKeys = new Set([options.apiKey ?? FAKE_ANTHROPIC_API_KEY]);
    this.http.route('POST', MESSAGES_PATH, (request) => this.handleMessages(request));
    this.http.route('GET', MODEL_PATH, (request, params) => this.handleGetModel(request, params['modelId'] ?? ''));
  }

  /**
   * Model ids GET /v1/models/{model_id} knows. Null (the default) knows every id, because the
   * tests use several made-up model names; set it to test the 404 for an unknown model.
   */
  knownModels: Set<string> | null = null;

  /** Every GET /v1/models/{model_id} that reached the fake. */
  get modelRequests(): RecordedRequest[] {
    return this.http.requestsTo('GET', /^\/v1\/models\/[^/]+$/);
  }

  start(): Promise<string> {
    return this.http.start();
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  get url(): string {
    return this.http.url;
  }

  /** Every POST /v1/messages that reached the fake, including ones answered by a fault. */
  get messageRequests(): RecordedRequest[] {
    return this.http.requestsTo('POST', MESSAGES_PATH);
  }

  /** The bodies of those requests. */
  get messageBodies(): MessagesRequestBody[] {
    return this.messageRequests.map((r) => r.body as MessagesRequestBody);
  }

  /**
   * Every image block of every POST /v1/messages the fake accepted or refused, decoded, in order.
   * Lets a test assert that Claude really got the image (by the stored file's sha256).
   */
  get receivedImages(): ReceivedImage[] {
    return this.messageBodies.flatMap((body, requestIndex) => imagesOf(body).map((image) => ({ ...image, requestIndex })));
  }

  /** The next answer is an image description: `{ alt_text, findings }` as one JSON text block. */
  queueImageReview(answer: { altText: string; findings?: readonly string[] }, overrides: Omit<ScriptedReply, 'text'> = {}): this {
    const output: ImageReviewAnswer = { alt_text: answer.altText, findings: answer.findings ?? [] };
    return this.queueOutput(output, overrides);
  }

  /** The next answer's text block is exactly `text` (e.g. a JSON string, or deliberately broken JSON). */
  queueText(text: string, overrides: Omit<ScriptedReply, 'text'> = {}): this {
    this.queue.push({ text, ...overrides });
    return this;
  }

  /** The next answer is the structured output `output`, serialised as the API does (one JSON text block). */
  queueOutput(output: unknown, overrides: Omit<ScriptedReply, 'text'> = {}): this {
    return this.queueText(JSON.stringify(output), overrides);
  }

  /**
   * The next answer is a refusal: `stop_reason: "refusal"`, as the API sends when the model
   * declines; the text is whatever it managed to write (by default not valid JSON).
   */
  queueRefusal(overrides: { text?: string; usage?: Partial<FakeUsage> } = {}): this {
    return this.queueText(overrides.text ?? '{"draft": {"kind": "tweet", "text": "I can', {
      stopReason: 'refusal',
      ...(overrides.usage ? { usage: overrides.usage } : {}),
    });
  }

  /**
   * The next answer ran into `max_tokens`: the JSON of `{ draft }` cut off halfway, with
   * `stop_reason: "max_tokens"`, exactly how a too-long structured answer arrives.
   */
  queueTruncated(draft: unknown, overrides: { usage?: Partial<FakeUsage> } = {}): this {
    const json = JSON.stringify({ draft });
    return this.queueText(json.slice(0, Math.floor(json.length / 2)), {
      stopReason: 'max_tokens',
      ...(overrides.usage ? { usage: overrides.usage } : {}),
    });
  }

  /** Replaces what the fake answers when the queue is empty. */
  setDefaultResponder(responder: DefaultResponder): this {
    this.defaultResponder = responder;
    return this;
  }

  /** 429 `rate_limit_error` with `retry-after` (seconds), as the real API sends it. */
  failWithRateLimit(options: FaultOptions = {}): void {
    this.injectError(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', options, {
      retryAfterSeconds: 1,
    });
  }

  /** 529 `overloaded_error`. */
  failWithOverloaded(options: FaultOptions = {}): void {
    this.injectError(529, 'overloaded_error', 'Overloaded', options);
  }

  /** 500 `api_error`. */
  failWithServerError(options: FaultOptions = {}): void {
    this.injectError(500, 'api_error', 'Internal server error', options);
  }

  /** Any status with Anthropic's error body, e.g. 400 `invalid_request_error`. */
  failWith(status: number, errorType: string, message: string, options: FaultOptions = {}): void {
    this.injectError(status, errorType, message, options);
  }

  /** The next `times` answers arrive after `delayMs` (the normal answer, just late). */
  delayResponses(delayMs: number, times = 1): void {
    this.http.injectFault(this.matcher(times), { delayMs });
  }

  /** The next `times` requests are never answered. */
  hangResponses(times = 1): void {
    this.http.injectFault(this.matcher(times), { hang: true });
  }

  /** The next `times` requests have their connection dropped. */
  dropConnections(times = 1): void {
    this.http.injectFault(this.matcher(times), { disconnect: true });
  }

  private matcher(times: number): FaultMatcher {
    return { method: 'POST', path: MESSAGES_PATH, times };
  }

  private injectError(status: number, errorType: string, message: string, options: FaultOptions, defaults: { retryAfterSeconds?: number } = {}): void {
    const headers: Record<string, string> = { 'request-id': this.nextRequestId() };
    const seconds = options.retryAfterSeconds ?? defaults.retryAfterSeconds;
    if (seconds !== undefined) headers['retry-after'] = String(seconds);
    if (options.retryAfterMs !== undefined) headers['retry-after-ms'] = String(options.retryAfterMs);
    // One request id per armed fault is enough to assert that `requestId` is carried through.
    this.http.injectFault(this.matcher(options.times ?? 1), {
      status,
      headers,
      body: errorBody(errorType, message, headers['request-id'] as string),
    });
  }

  private nextRequestId(): string {
    this.counter += 1;
    return `req_fake${String(this.counter).padStart(20, '0')}`;
  }

  private handleMessages(request: RecordedRequest): FakeResponse {
    const requestId = this.nextRequestId();
    if (!this.isAuthorised(request)) {
      return {
        status: 401,
        headers: { 'request-id': requestId },
        body: errorBody('authentication_error', 'invalid x-api-key', requestId),
      };
    }
    const problem = basicValidation(request);
    if (problem) {
      return { status: 400, headers: { 'request-id': requestId }, body: errorBody('invalid_request_error', problem, requestId) };
    }
    const body = request.body as MessagesRequestBody;
    const reply = this.queue.shift() ?? this.defaultResponder(body, request);
    const cache = this.consultCache(body);
    // A scripted usage says exactly what the API answered (tests of token accounting script it);
    // otherwise the usage is the simulation's.
    const usage: FakeUsage = reply.usage
      ? { ...DEFAULT_USAGE, ...reply.usage }
      : {
          input_tokens: cache.total - cache.read - cache.creation,
          output_tokens: DEFAULT_USAGE.output_tokens,
          cache_read_input_tokens: cache.read,
          cache_creation_input_tokens: cache.creation,
        };
    const requestIndex = this.messageRequests.indexOf(request);
    this.cacheOutcomes.push({ requestIndex, breakpointTokens: cache.breakpointTokens, read: cache.read, creation: cache.creation, usage });
    return { status: 200, headers: { 'request-id': requestId }, body: messageResponse(body, reply, this.counter, usage) };
  }

  /** Forgets every cached prefix (as if the TTL had passed for all of them). */
  clearPromptCache(): void {
    this.promptCache.clear();
  }

  /**
   * Prompt caching as the API does it: the prefix of the request (tools, system, messages, in
   * that order; the model and the output format are part of it, since changing either misses)
   * up to each `cache_control` breakpoint is a cache entry when it is at least the model's
   * minimum cacheable length. The longest entry still alive is read; every longer breakpoint is
   * written. Reading refreshes the TTL of the entries it used (the hit and the shorter prefixes
   * cached before it); writing starts it.
   */
  private consultCache(body: MessagesRequestBody): { total: number; read: number; creation: number; breakpointTokens: number[] } {
    const now = this.cacheClock();
    const hash = createHash('sha256').update(JSON.stringify({ model: body.model, format: body.output_config?.format ?? null, tools: body['tools'] ?? null }));
    let tokens = 0;
    const breakpoints: { key: string; tokens: number; ttlMs: number }[] = [];
    for (const block of promptBlocks(body)) {
      hash.update(block.json);
      tokens += block.tokens;
      if (block.cacheControl) {
        const ttlMs = block.cacheControl.ttl === '1h' ? CACHE_TTL_MS['1h'] : CACHE_TTL_MS['5m'];
        breakpoints.push({ key: hash.copy().digest('hex'), tokens, ttlMs });
      }
    }
    const cacheable = breakpoints.filter((point) => point.tokens >= minCacheableTokens(body.model));
    let hit = -1;
    for (const [i, point] of cacheable.entries()) {
      const expiresAt = this.promptCache.get(point.key);
      if (expiresAt !== undefined && expiresAt > now) hit = i;
    }
    const read = hit >= 0 ? (cacheable[hit] as (typeof cacheable)[number]).tokens : 0;
    // A hit uses the cached content up to it: every live entry for a prefix of it is refreshed too.
    for (const point of cacheable.slice(0, hit + 1)) {
      const expiresAt = this.promptCache.get(point.key);
      if (expiresAt !== undefined && expiresAt > now) this.promptCache.set(point.key, now + point.ttlMs);
    }
    const written = cacheable.slice(hit + 1);
    for (const point of written) this.promptCache.set(point.key, now + point.ttlMs);
    const creation = written.length > 0 ? (written[written.length - 1] as (typeof cacheable)[number]).tokens - read : 0;
    return { total: tokens, read, creation, breakpointTokens: breakpoints.map((point) => point.tokens) };
  }

  /** GET /v1/models/{model_id}: a ModelInfo per the spec, 401 for a bad key, 404 for an unknown model. */
  private handleGetModel(request: RecordedRequest, modelId: string): FakeResponse {
    const requestId = this.nextRequestId();
    const headers = { 'request-id': requestId };
    if (!this.isAuthorised(request)) return { status: 401, headers, body: errorBody('authentication_error', 'invalid x-api-key', requestId) };
    if (!request.headers['anthropic-version']) {
      return { status: 400, headers, body: errorBody('invalid_request_error', 'anthropic-version: header is required', requestId) };
    }
    if (this.knownModels && !this.knownModels.has(modelId)) {
      return { status: 404, headers, body: errorBody('not_found_error', `model: ${modelId}`, requestId) };
    }
    return {
      status: 200,
      headers,
      body: {
        type: 'model',
        id: modelId,
        display_name: `Fake ${modelId}`,
        created_at: '2026-01-01T00:00:00Z',
        max_input_tokens: 200_000,
        max_tokens: 64_000,
        capabilities: null,
      },
    };
  }

  private isAuthorised(request: RecordedRequest): boolean {
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers['authorization'] ?? '')?.[1];
    const apiKey = request.headers['x-api-key'];
    return [bearer, apiKey].some((key) => key !== undefined && this.validKeys.has(key));
  }
}

/** Anthropic's error envelope, exactly as the API sends it. */
export function errorBody(type: string, message: string, requestId: string) {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

/** The checks the real API does before anything else; the full schema check is the spec validator's job. */
function basicValidation(request: RecordedRequest): string | undefined {
  if (!request.headers['anthropic-version']) return 'anthropic-version: header is required';
  const body = request.body as Partial<MessagesRequestBody> | undefined;
  if (body === undefined || typeof body !== 'object') return 'request body must be a JSON object';
  if (typeof body.model !== 'string' || body.model.length === 0) return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: Field required';
  return imageProblem(body as MessagesRequestBody);
}

/**
 * What the real API answers 400 for in an image block: a type it does not take, data that is
 * not base64, bytes that are not the declared type, or more than 5 MB. (Their shape against the
 * spec is the spec validator's check, run over the recorded traffic.)
 */
function imageProblem(body: MessagesRequestBody): string | undefined {
  for (const [m, message] of body.messages.entries()) {
    if (!Array.isArray(message.content)) continue;
    for (const [b, block] of message.content.entries()) {
      if (block.type !== 'image') continue;
      const at = `messages.${m}.content.${b}.image.source`;
      const source = block.source;
      if (!source || typeof source !== 'object') return `${at}: Field required`;
      if (source.type !== 'base64') return `${at}.type: the fake accepts base64 image sources only`;
      if (!IMAGE_MEDIA_TYPES.has(source.media_type ?? '')) {
        return `${at}.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
      }
      const data = source.data ?? '';
      if (data.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) return `${at}.data: invalid base64 data`;
      if (data.length > MAX_IMAGE_BASE64_CHARS) return `${at}: image exceeds 5 MB maximum: ${data.length} bytes > ${MAX_IMAGE_BASE64_CHARS} bytes`;
      const bytes = Buffer.from(data, 'base64');
      const actual = sniffImageType(bytes);
      if (actual !== source.media_type) {
        return `${at}: Image does not match the provided media type ${source.media_type}${actual ? ` (the bytes are ${actual})` : ''}`;
      }
      const size = imageSize(bytes);
      if (size.width > MAX_IMAGE_SIDE_PX || size.height > MAX_IMAGE_SIDE_PX) {
        return `${at}: image dimensions exceed max allowed size: ${MAX_IMAGE_SIDE_PX} pixels (got ${size.width} x ${size.height})`;
      }
    }
  }
  return undefined;
}

/** The image's real type by its bytes, via image-size (the library the app uses), or null. */
function sniffImageType(bytes: Buffer): string | null {
  try {
    const type = imageSize(bytes).type;
    const byName: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
    return type ? (byName[type] ?? null) : null;
  } catch {
    return null;
  }
}

/** The decoded image blocks of one request body (blocks that do not decode are skipped). */
function imagesOf(body: MessagesRequestBody): Omit<ReceivedImage, 'requestIndex'>[] {
  const images: Omit<ReceivedImage, 'requestIndex'>[] = [];
  if (!Array.isArray(body?.messages)) return images;
  for (const message of body.messages) {
    if (!Array.isArray(message.content)) continue;
    for (const [blockIndex, block] of message.content.entries()) {
      if (block.type !== 'image' || block.source?.type !== 'base64' || typeof block.source.data !== 'string') continue;
      const bytes = Buffer.from(block.source.data, 'base64');
      images.push({ blockIndex, mediaType: block.source.media_type ?? '', sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
    }
  }
  return images;
}

/** One block of a request's prompt, in the order the API caches it: what it hashes as, its tokens, its breakpoint. */
interface PromptBlock {
  readonly json: string;
  readonly tokens: number;
  readonly cacheControl: { type: string; ttl?: string } | null;
}

/** The blocks of a request in the API's cache order: tools, then system, then each message's content. */
function promptBlocks(body: MessagesRequestBody): PromptBlock[] {
  const blocks: PromptBlock[] = [];
  const add = (block: unknown, role = ''): void => {
    const record = (typeof block === 'string' ? { type: 'text', text: block } : block) as Record<string, unknown>;
    const { cache_control: cacheControl, ...content } = record;
    const json = role + JSON.stringify(content);
    blocks.push({ json, tokens: blockTokens(content, json), cacheControl: (cacheControl as PromptBlock['cacheControl']) ?? null });
  };
  const tools = body['tools'];
  if (Array.isArray(tools)) for (const tool of tools) add(tool);
  if (typeof body.system === 'string') add(body.system);
  else if (Array.isArray(body.system)) for (const block of body.system) add(block);
  for (const message of body.messages) {
    if (typeof message.content === 'string') add(message.content, message.role);
    else for (const block of message.content) add(block, message.role);
  }
  return blocks;
}

function blockTokens(content: Record<string, unknown>, json: string): number {
  const source = content['source'] as ImageSourceBody | undefined;
  if (content['type'] === 'image' && source?.type === 'base64' && typeof source.data === 'string') {
    try {
      const size = imageSize(Buffer.from(source.data, 'base64'));
      return Math.max(1, Math.ceil((size.width * size.height) / 750));
    } catch {
      return 1_600;
    }
  }
  if (content['type'] === 'text' && typeof content['text'] === 'string') return estimateTokens(content['text']);
  return estimateTokens(json);
}

function messageResponse(body: MessagesRequestBody, reply: ScriptedReply, n: number, usage: FakeUsage) {
  return {
    id: `msg_fake${String(n).padStart(20, '0')}`,
    type: 'message',
    role: 'assistant',
    model: reply.model ?? body.model,
    content: [{ type: 'text', text: reply.text, citations: null }],
    stop_reason: reply.stopReason ?? 'end_turn',
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      cache_creation: {
        ephemeral_5m_input_tokens: usage.cache_creation_input_tokens,
        ephemeral_1h_input_tokens: 0,
      },
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    },
  };
}

/**
 * With a JSON schema requested, answer a minimal instance of it; otherwise a plain sentence.
 * For a union (`anyOf`) it picks the first variant whose `const` values the last user message
 * quotes (e.g. `"kind": "thread"`), so a prompt that asks for a thread gets one.
 */
function defaultReply(body: MessagesRequestBody): ScriptedReply {
  const schema = body.output_config?.format?.schema;
  // An image description with nothing scripted: a plain alt text and no findings, so a test that
  // does not care about the image gets no risk flag out of a made-up finding.
  if (schema && 'alt_text' in ((schema['properties'] ?? {}) as Record<string, unknown>)) {
    const image = imagesOf(body)[0];
    const answer: ImageReviewAnswer = {
      alt_text: image ? `A picture (${image.mediaType}, ${image.bytes} bytes) the fake Anthropic API described.` : 'A picture.',
      findings: [],
    };
    return { text: JSON.stringify(answer) };
  }
  if (schema) return { text: JSON.stringify(sampleFromSchema(schema, schema, lastUserText(body))) };
  return { text: 'Hello from the fake Anthropic API.' };
}

function lastUserText(body: MessagesRequestBody): string {
  const last = [...body.messages].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.map((block) => block.text ?? '').join('\n');
}

type JsonSchema = Record<string, unknown>;

function constValues(schema: JsonSchema): unknown[] {
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
  return Object.values(properties)
    .filter((p) => 'const' in p)
    .map((p) => p['const']);
}

/** The first, simplest value a (strict-subset) JSON schema accepts. Enough for the SDK transform's output. */
export function sampleFromSchema(schema: JsonSchema, root: JsonSchema, hint = ''): unknown {
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const name = ref.replace(/^#\/\$defs\//, '');
    const target = (root['$defs'] as Record<string, JsonSchema> | undefined)?.[name];
    if (!target) throw new Error(`fake-anthropic: cannot resolve ${ref}`);
    return sampleFromSchema(target, root, hint);
  }
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum'])) return schema['enum'][0];
  const anyOf = schema['anyOf'] as JsonSchema[] | undefined;
  if (Array.isArray(anyOf) && anyOf[0]) {
    const hinted = anyOf.find((variant) => {
      const values = constValues(variant);
      return values.length > 0 && values.every((v) => hint.includes(JSON.stringify(v)));
    });
    return sampleFromSchema(hinted ?? anyOf[0], root, hint);
  }
  switch (schema['type']) {
    case 'object': {
      const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
      return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, sampleFromSchema(value, root, hint)]));
    }
    case 'array': {
      // The SDK moves minItems > 1 into the description as "{..., minItems: N}".
      const described = /minItems: (\d+)/.exec(String(schema['description'] ?? ''))?.[1];
      const count = Math.max(Number(schema['minItems'] ?? 0), Number(described ?? 0), 1);
      const items = (schema['items'] ?? { type: 'string' }) as JsonSchema;
      return Array.from({ length: count }, () => sampleFromSchema(items, root, hint));
    }
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return 'Bonding curves, explained: price rises as supply is bought. Learn more at pump.fun';
  }
}
