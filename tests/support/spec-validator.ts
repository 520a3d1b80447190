import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type Format, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import type { MultipartPart, RecordedRequest } from './fake-http.js';

/** The services whose official OpenAPI descriptions live in `../shared/specs/`. */
export type SpecService = 'discord' | 'x' | 'anthropic';

/** Checks one recorded request against a service's OpenAPI description. */
export interface SpecValidator {
  /** Readable errors, `[]` when the request is valid. */
  validate(request: RecordedRequest): string[];
}

// The repo root is two levels above tests/support; CI clones the repo with shared/ beside it,
// so the specs are always found relative to this file, never to the process cwd.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SPECS_DIR = resolve(REPO_ROOT, '..', 'shared', 'specs');

const SPEC_FILES: Record<SpecService, string> = {
  discord: 'discord-openapi.json',
  x: 'x-openapi.json',
  anthropic: 'anthropic-openapi.yaml',
};

/** How long the last load of each spec took (read + parse + preprocessing), for reports. */
export const specLoadTimesMs: Partial<Record<SpecService, number>> = {};

const cache = new Map<SpecService, Promise<SpecValidator>>();

/** Loads (once per service and process) the validator for a service's official spec. */
export function loadSpecValidator(service: SpecService): Promise<SpecValidator> {
  let pending = cache.get(service);
  if (!pending) {
    pending = buildValidator(service);
    cache.set(service, pending);
    // A failed load must not poison the cache for the next caller.
    pending.catch(() => cache.delete(service));
  }
  return pending;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly schema: JsonObject | undefined;
  readonly explode: boolean;
}

interface Operation {
  readonly method: string;
  readonly template: string;
  readonly matcher: RegExp;
  readonly templateParams: number;
  readonly parameters: Parameter[];
  readonly requestBody: { required: boolean; content: Record<string, JsonObject | undefined> } | undefined;
  /** Alternatives; `undefined` or one empty alternative means no credentials are required. */
  readonly security: Array<Record<string, Json>> | undefined;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

async function buildValidator(service: SpecService): Promise<SpecValidator> {
  const started = performance.now();
  const text = await readFile(resolve(SPECS_DIR, SPEC_FILES[service]), 'utf8');
  // The Anthropic copy is JSON-formatted YAML; JSON.parse is ~10x faster than a YAML parser on 1.6 MB.
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = parseYaml(text);
  }
  const validator = new OpenApiRequestValidator(service, raw as JsonObject);
  specLoadTimesMs[service] = Math.round(performance.now() - started);
  return validator;
}

/** Builds an ajv `Format` that only constrains numbers (strings with the same format pass). */
function numberFormat(check: (n: number) => boolean): Format {
  return { type: 'number', validate: check };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

// Every format any of the three specs uses; ajv would otherwise ignore (not validate) them.
const FORMATS: Record<string, Format> = {
  snowflake: /^(0|[1-9][0-9]*)$/,
  nonce: () => true,
  int32: numberFormat((n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31),
  int64: numberFormat((n) => Number.isInteger(n)),
  double: numberFormat((n) => Number.isFinite(n)),
  binary: () => true,
  byte: /^[A-Za-z0-9+/]*={0,2}$/,
  'date-time': (value: string) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)),
  uri: (value: string) => {
    try {
      new URL(value);
      return true;
    } catch {
      return false;
    }
  },
};

class OpenApiRequestValidator implements SpecValidator {
  private readonly spec: JsonObject;
  private readonly specUri: string;
  private readonly ajv: Ajv;
  private readonly operations: Operation[] = [];
  private readonly compiled = new Map<JsonObject, ValidateFunction>();
  /** ajv warnings (e.g. unknown keywords) are kept, not printed, so test output stays readable. */
  readonly ajvWarnings: string[] = [];

  constructor(
    private readonly service: SpecService,
    raw: JsonObject,
  ) {
    this.specUri = `https://specs.draftgate.local/${service}.json`;
    this.spec = preprocess(raw, this.specUri, String(raw['openapi'] ?? '3.0').startsWith('3.0')) as JsonObject;
    const is31 = String(raw['openapi'] ?? '').startsWith('3.1');
    const options = {
      // OpenAPI schemas carry keywords JSON Schema does not know (example, discriminator, x-*).
      strict: false,
      allErrors: true,
      validateSchema: false,
      logger: {
        log: () => undefined,
        warn: (...args: unknown[]) => void this.ajvWarnings.push(args.map(String).join(' ')),
        error: (...args: unknown[]) => void this.ajvWarnings.push(args.map(String).join(' ')),
      },
      formats: FORMATS,
    };
    this.ajv = is31 ? (new Ajv2020(options) as unknown as Ajv) : new Ajv(options);
    this.ajv.addSchema(this.spec as object, this.specUri);
    this.indexOperations();
  }

  validate(request: RecordedRequest): string[] {
    const path = this.specPath(request.path);
    const where = `${request.method} ${request.path}`;
    const match = this.findOperation(request.method, path);
    if ('error' in match) return [`${where}: ${match.error}`];
    const { operation, pathParams } = match;
    const errors: string[] = [];
    this.validateParameters(operation, request, pathParams, errors);
    this.validateSecurity(operation, request, errors);
    this.validateBody(operation, request, errors);
    return errors.map((e) => `${where} (${operation.method} ${operation.template}): ${e}`);
  }

  /** Maps the wire path onto the spec's path space. */
  private specPath(wirePath: string): string {
    if (this.service === 'discord') {
      // The spec's server is https://discord.com/api/v10 while discord.js requests /api/v10/...
      const stripped = wirePath.replace(/^\/api(\/v\d+)?(?=\/)/, '');
      return stripped;
    }
    return wirePath;
  }

  private indexOperations(): void {
    const paths = (this.spec['paths'] ?? {}) as Record<string, JsonObject>;
    for (const [template, item] of Object.entries(paths)) {
      const shared = ((item['parameters'] ?? []) as Json[]).map((p) => this.toParameter(p));
      const { matcher, count } = compileTemplate(template);
      for (const method of HTTP_METHODS) {
        const op = item[method] as JsonObject | undefined;
        if (!op) continue;
        const own = ((op['parameters'] ?? []) as Json[]).map((p) => this.toParameter(p));
        // Operation-level parameters override path-level ones with the same name and location.
        const parameters = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
        const body = op['requestBody'] ? (this.deref(op['requestBody']) as JsonObject) : undefined;
        const content = (body?.['content'] ?? {}) as Record<string, JsonObject>;
        this.operations.push({
          method: method.toUpperCase(),
          template,
          matcher,
          templateParams: count,
          parameters,
          requestBody: body
            ? {
                required: body['required'] === true,
                content: Object.fromEntries(Object.entries(content).map(([type, media]) => [type, media['schema'] as JsonObject | undefined])),
              }
            : undefined,
          security: (op['security'] ?? this.spec['security']) as Array<Record<string, Json>> | undefined,
        });
      }
    }
    // Literal segments win over templated ones (/users/@me before /users/{user_id}).
    this.operations.sort((a, b) => a.templateParams - b.templateParams);
  }

  private toParameter(raw: Json): Parameter {
    const p = this.deref(raw) as JsonObject;
    const location = p['in'] as Parameter['in'];
    const style = (p['style'] as string | undefined) ?? (location === 'query' || location === 'cookie' ? 'form' : 'simple');
    return {
      name: String(p['name']),
      in: location,
      required: p['required'] === true || location === 'path',
      schema: p['schema'] as JsonObject | undefined,
      explode: (p['explode'] as boolean | undefined) ?? style === 'form',
    };
  }

  /** Follows local `$ref`s (already rewritten to the spec's URI by `preprocess`). */
  private deref(node: Json | undefined): Json | undefined {
    let current = node;
    for (let hops = 0; hops < 20; hops += 1) {
      if (!current || typeof current !== 'object' || Array.isArray(current)) return current;
      const ref = current['$ref'];
      if (typeof ref !== 'string') return current;
      const pointer = ref.startsWith(this.specUri) ? ref.slice(this.specUri.length) : ref;
      if (!pointer.startsWith('#/')) throw new Error(`${this.service} spec: cannot resolve $ref ${ref}`);
      current = pointer
        .slice(2)
        .split('/')
        .map((part) => decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<Json | undefined>((node2, key) => (node2 && typeof node2 === 'object' ? (node2 as JsonObject)[key] : undefined), this.spec);
    }
    throw new Error(`${this.service} spec: $ref chain too long`);
  }

  private findOperation(method: string, path: string): { operation: Operation; pathParams: Record<string, string> } | { error: string } {
    const segments = path.split('/');
    let decoded: string;
    try {
      decoded = segments.map((s) => decodeURIComponent(s)).join('\u0000');
    } catch {
      return { error: `path is not valid percent-encoding` };
    }
    const candidates = this.operations.filter((op) => op.matcher.test(decoded));
    if (candidates.length === 0) return { error: `no path in the ${this.service} spec matches ${path}` };
    const operation = candidates.find((op) => op.method === method.toUpperCase());
    if (!operation) {
      const allowed = [...new Set(candidates.map((c) => `${c.method} ${c.template}`))].join(', ');
      return { error: `method ${method} is not defined for this path (spec has: ${allowed})` };
    }
    const groups = operation.matcher.exec(decoded)?.groups ?? {};
    return { operation, pathParams: { ...groups } };
  }

  private validateParameters(operation: Operation, request: RecordedRequest, pathParams: Record<string, string>, errors: string[]): void {
    const query = { ...request.query };
    if (this.service === 'x') aliasXQueryNames(operation, query);
    for (const param of operation.parameters) {
      let raw: string | undefined;
      if (param.in === 'path') raw = pathParams[sanitizeGroupName(param.name)];
      else if (param.in === 'query') raw = query[param.name];
      else if (param.in === 'header') raw = request.headers[param.name.toLowerCase()];
      else continue;
      if (raw === undefined) {
        if (param.required) errors.push(`missing required ${param.in} parameter "${param.name}"`);
        continue;
      }
      if (!param.schema) continue;
      const value = this.coerce(raw, param.schema, param.explode);
      const validate = this.compile(param.schema);
      if (!validate(value)) errors.push(...formatAjvErrors(validate.errors, `${param.in} parameter "${param.name}"`));
    }
    // X rejects unknown query parameters ("The query parameter [x] is not one of [...]");
    // Discord and Anthropic ignore them, so only X treats them as errors.
    if (this.service === 'x') {
      const known = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name));
      for (const name of Object.keys(query)) {
        if (!known.has(name)) errors.push(`unknown query parameter "${name}" (allowed: ${[...known].join(', ') || 'none'})`);
      }
    }
  }

  /** Turns the wire string into the typed value the parameter schema describes. */
  private coerce(raw: string, schemaRef: JsonObject, explode: boolean): unknown {
    const schema = this.deref(schemaRef) as JsonObject;
    const type = primaryType(schema);
    if (type === 'array') {
      const items = (schema['items'] ?? {}) as JsonObject;
      // Arrays arrive comma-separated (form, explode=false); exploded arrays keep one value per key.
      const parts = explode ? [raw] : raw.split(',');
      return parts.map((part) => this.coerce(part, items, false));
    }
    if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
    if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
    return raw;
  }

  private validateSecurity(operation: Operation, request: RecordedRequest, errors: string[]): void {
    if (this.service === 'anthropic') {
      // The community spec copy carries no security schemes; check what the real API requires.
      const bearer = /^Bearer \S+/.test(request.headers['authorization'] ?? '');
      if (!request.headers['x-api-key'] && !bearer) errors.push('missing credentials: neither x-api-key nor Authorization: Bearer is set');
      if (!request.headers['anthropic-version']) errors.push('missing anthropic-version header');
      return;
    }
    const alternatives = operation.security;
    if (!alternatives || alternatives.length === 0 || alternatives.some((alt) => Object.keys(alt).length === 0)) return;
    const schemes = ((this.spec['components'] as JsonObject | undefined)?.['securitySchemes'] ?? {}) as Record<string, JsonObject>;
    const authorization = request.headers['authorization'];
    const problems: string[] = [];
    for (const alternative of alternatives) {
      const failures = Object.keys(alternative).flatMap((name) => checkScheme(name, schemes[name], request.headers));
      if (failures.length === 0) return;
      problems.push(...failures);
    }
    // When the client clearly attempted OAuth 1.0a, report the specific shape problems.
    if (authorization?.startsWith('OAuth ')) {
      errors.push(...problems.filter((p) => p.startsWith('OAuth 1.0a')));
      if (errors.length > 0) return;
    }
    const names = alternatives.map((alt) => Object.keys(alt).join('+')).join(' | ');
    errors.push(
      `no acceptable credentials (expected one of: ${names}); Authorization header: ${authorization === undefined ? 'absent' : JSON.stringify(authorization.slice(0, 24) + '...')}`,
    );
  }

  private validateBody(operation: Operation, request: RecordedRequest, errors: string[]): void {
    const hasBody = request.rawBody.length > 0;
    const spec = operation.requestBody;
    if (!spec) {
      // twitter-api-v2 sends an empty JSON object on a bodiless POST (X's media FINALIZE); X ignores it.
      const emptyJson = request.rawBody.trim() === '{}' && (request.headers['content-type'] ?? '').includes('json');
      if (hasBody && !emptyJson) errors.push(`the operation defines no request body but ${request.rawBody.length} bytes were sent`);
      return;
    }
    if (!hasBody) {
      if (spec.required) errors.push('missing required request body');
      return;
    }
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const accepted = Object.keys(spec.content);
    if (contentType === 'multipart/form-data' && accepted.includes('multipart/form-data')) {
      this.validateMultipart(spec.content, request, errors);
      return;
    }
    const mediaType = accepted.find((t) => t === contentType) ?? (contentType.endsWith('+json') ? accepted.find((t) => t === 'application/json') : undefined);
    if (!mediaType) {
      errors.push(`content-type "${contentType || '(none)'}" is not accepted (spec accepts: ${accepted.join(', ')})`);
      return;
    }
    if (!mediaType.includes('json')) return; // form-encoded bodies: only the content type is checked
    let body: unknown;
    try {
      body = JSON.parse(request.rawBody);
    } catch {
      errors.push('body is not valid JSON');
      return;
    }
    const schema = spec.content[mediaType];
    if (!schema) return;
    const validate = this.compile(schema);
    if (!validate(body)) errors.push(...formatAjvErrors(validate.errors, 'body'));
  }

  /** Discord sends JSON inside a multipart `payload_json` part when attaching files. */
  private validateMultipart(content: Record<string, JsonObject | undefined>, request: RecordedRequest, errors: string[]): void {
    const boundary = /boundary="?([^";]+)"?/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (!boundary) {
      errors.push('multipart body without a boundary');
      return;
    }
    // Prefer the byte-exact parts FakeHttpServer parsed; fall back to splitting the decoded text.
    const recorded = request.multipart?.find((part) => part.name === 'payload_json');
    const payload = recorded
      ? { body: recorded.data.toString('utf8') }
      : parseMultipart(request.rawBody, boundary).find((part) => part.name === 'payload_json');
    if (!payload) {
      // A plain form (X's media APPEND: `media` and `segment_index`): validate its fields as an object.
      const schema = content['multipart/form-data'];
      if (!schema || !request.multipart || request.multipart.length === 0) return; // files only: nothing to check
      this.validateFormFields(schema, request.multipart, errors);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.body);
    } catch {
      errors.push('multipart payload_json is not valid JSON');
      return;
    }
    const schema = content['application/json'] ?? content['multipart/form-data'];
    if (!schema) return;
    const validate = this.compile(schema);
    if (!validate(body)) errors.push(...formatAjvErrors(validate.errors, 'payload_json'));
  }

  /** Form fields are text: a field the schema types as integer is read as one; a file part stands for binary. */
  private validateFormFields(schema: JsonObject, parts: readonly MultipartPart[], errors: string[]): void {
    const properties = ((this.deref(schema) as JsonObject)['properties'] ?? {}) as Record<string, JsonObject>;
    const form: Record<string, unknown> = {};
    for (const part of parts) {
      const text = part.filename !== undefined || part.contentType === 'application/octet-stream' ? '(binary)' : part.data.toString('utf8');
      const type = (this.deref(properties[part.name] ?? {}) as JsonObject)['type'];
      form[part.name] = (type === 'integer' || type === 'number') && /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : text;
    }
    const validate = this.compile(schema);
    if (!validate(form)) errors.push(...formatAjvErrors(validate.errors, 'form'));
  }

  private compile(schema: JsonObject): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema as object);
      this.compiled.set(schema, validate);
    }
    return validate;
  }
}

/** The `{name}` template compiled to a regexp over NUL-joined decoded segments. */
function compileTemplate(template: string): { matcher: RegExp; count: number } {
  let count = 0;
  const source = template
    .split('/')
    .map((segment) =>
      segment
        .split(/(\{[^}]+\})/)
        .map((piece) => {
          const param = /^\{([^}]+)\}$/.exec(piece);
          if (param) {
            count += 1;
            return `(?<${sanitizeGroupName(param[1]!)}>[^\\u0000]+)`;
          }
          return piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        })
        .join(''),
    )
    .join('\\u0000');
  return { matcher: new RegExp(`^${source}$`), count };
}

/** Regexp group names must be identifiers; spec names like `guild.id` are not. */
function sanitizeGroupName(name: string): string {
  return `p_${name.replace(/[^A-Za-z0-9_]/g, (c) => `_${c.charCodeAt(0)}_`)}`;
}

/**
 * Rewrites every local `$ref` to an absolute URI ajv can resolve against the added spec, and
 * (for OpenAPI 3.0) turns `nullable: true` into JSON Schema so one ajv dialect fits both.
 */
function preprocess(node: unknown, specUri: string, openApi30: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => preprocess(n, specUri, openApi30));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) out[key] = specUri + value;
    else if (key === 'example' || key === 'examples' || key === 'description') out[key] = value;
    else out[key] = preprocess(value, specUri, openApi30);
  }
  if (out['nullable'] === true) {
    delete out['nullable'];
    const type = out['type'];
    if (typeof type === 'string') {
      out['type'] = [type, 'null'];
      if (Array.isArray(out['enum']) && !out['enum'].includes(null)) out['enum'] = [...out['enum'], null];
      return out;
    }
    if (Array.isArray(type)) {
      if (!type.includes('null')) out['type'] = [...type, 'null'];
      return out;
    }
    return { anyOf: [out, { type: 'null' }] };
  }
  if (openApi30 && out['nullable'] === false) delete out['nullable'];
  return out;
}

function primaryType(schema: JsonObject): string | undefined {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t) => t !== 'null') as string | undefined;
  return undefined;
}

/**
 * The spec snapshot renamed X's `tweet.fields` query parameter to `post.fields` on most routes,
 * but the live API and twitter-api-v2 still use `tweet.fields`; treat them as the same parameter.
 */
function aliasXQueryNames(operation: Operation, query: Record<string, string>): void {
  const names = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  const value = query['tweet.fields'];
  if (value !== undefined && !names.has('tweet.fields') && names.has('post.fields') && query['post.fields'] === undefined) {
    delete query['tweet.fields'];
    query['post.fields'] = value;
  }
}

const OAUTH_REQUIRED: Record<string, RegExp> = {
  oauth_consumer_key: /^.+$/,
  oauth_token: /^.+$/,
  oauth_signature_method: /^HMAC-SHA1$/,
  oauth_signature: /^.+$/,
  oauth_timestamp: /^\d{9,11}$/,
  oauth_nonce: /^.+$/,
  oauth_version: /^1\.0$/,
};

/** Parses `OAuth k="v", ...` into its (percent-decoded) parameters, or undefined when malformed. */
export function parseOAuthHeader(header: string): Record<string, string> | undefined {
  if (!header.startsWith('OAuth ')) return undefined;
  const params: Record<string, string> = {};
  const pair = /\s*([A-Za-z0-9_]+)="([^"]*)"\s*(,|$)/y;
  const rest = header.slice('OAuth '.length);
  pair.lastIndex = 0;
  while (pair.lastIndex < rest.length) {
    const m = pair.exec(rest);
    if (!m) return undefined;
    try {
      params[m[1]!] = decodeURIComponent(m[2]!);
    } catch {
      return undefined;
    }
  }
  return params;
}

/** Errors for an OAuth 1.0a user-context Authorization header (empty when well-formed). */
export function checkOAuth1Header(header: string | undefined): string[] {
  if (header === undefined) return ['OAuth 1.0a: Authorization header is absent'];
  const params = parseOAuthHeader(header);
  if (!params) return [`OAuth 1.0a: Authorization header is not of the form OAuth key="value", ...`];
  return Object.entries(OAUTH_REQUIRED).flatMap(([key, shape]) => {
    const value = params[key];
    if (value === undefined) return [`OAuth 1.0a: ${key} is missing`];
    return shape.test(value) ? [] : [`OAuth 1.0a: ${key}="${value}" does not match ${shape}`];
  });
}

function checkScheme(name: string, scheme: JsonObject | undefined, headers: Record<string, string>): string[] {
  if (!scheme) return [`unknown security scheme ${name}`];
  const authorization = headers['authorization'];
  const type = scheme['type'];
  if (type === 'apiKey') {
    const header = String(scheme['name'] ?? '').toLowerCase();
    if (scheme['in'] !== 'header') return [];
    return headers[header] ? [] : [`${name}: header ${header} is absent`];
  }
  if (type === 'oauth2' || (type === 'http' && String(scheme['scheme']).toLowerCase() === 'bearer')) {
    return /^Bearer \S+/.test(authorization ?? '') ? [] : [`${name}: Authorization is not a Bearer token`];
  }
  if (type === 'http' && String(scheme['scheme']).toLowerCase() === 'oauth') return checkOAuth1Header(authorization);
  if (type === 'http' && String(scheme['scheme']).toLowerCase() === 'basic') {
    return /^Basic \S+/.test(authorization ?? '') ? [] : [`${name}: Authorization is not Basic`];
  }
  return [];
}

function formatAjvErrors(errors: ErrorObject[] | null | undefined, subject: string): string[] {
  const lines = (errors ?? []).map((e) => {
    const at = e.instancePath ? `${subject}${e.instancePath}` : subject;
    const extra =
      'additionalProperty' in e.params
        ? ` ("${String(e.params['additionalProperty'])}")`
        : 'allowedValues' in e.params
          ? ` (${JSON.stringify(e.params['allowedValues'])})`
          : '';
    return `${at} ${e.message ?? 'is invalid'}${extra}`;
  });
  const unique = [...new Set(lines)];
  // oneOf/anyOf failures list every branch; keep the report readable.
  return unique.length > 12 ? [...unique.slice(0, 12), `... and ${unique.length - 12} more schema errors`] : unique;
}

function parseMultipart(raw: string, boundary: string): Array<{ name: string | undefined; body: string }> {
  return raw
    .split(`--${boundary}`)
    .slice(1)
    .filter((part) => !part.startsWith('--'))
    .map((part) => {
      const split = part.indexOf('\r\n\r\n');
      const head = split >= 0 ? part.slice(0, split) : '';
      const body = split >= 0 ? part.slice(split + 4).replace(/\r\n$/, '') : '';
      const name = /name="([^"]*)"/i.exec(head)?.[1];
      return { name, body };
    });
}
