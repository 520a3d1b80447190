/** What replaces a secret wherever it appears. */
export const REDACTED = '[redacted]';

/**
 * A key names a secret when its last word does (`accessToken`, `DISCORD_TOKEN`, `x-api-key`,
 * `clientSecret`), not when a secret word merely appears in it: `inputTokens`, `maxTokens` and
 * `tokenCount` are counters and stay readable. Words are split at `_`, `-`, `.`, spaces and
 * camelCase humps, and compared lower-cased.
 */
const SECRET_LAST_WORDS = new Set([
  'token',
  'secret',
  'secrets',
  'password',
  'passwd',
  'passphrase',
  'authorization',
  'cookie',
  'signature',
  'credential',
  'credentials',
  'apikey',
]);
/** `...Key` is a secret only after these words: `apiKey`, `TWITTER_APP_KEY`, `privateKey`, not `cacheKey`. */
const SECRET_KEY_QUALIFIERS = new Set(['api', 'app', 'consumer', 'private', 'secret', 'signing', 'access']);

/** Whether a record key names a secret, by the rule above. */
export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
  const last = words.at(-1);
  if (last === undefined) return false;
  if (SECRET_LAST_WORDS.has(last)) return true;
  return last === 'key' && SECRET_KEY_QUALIFIERS.has(words.at(-2) ?? '');
}

/** Shapes of well-known credentials, masked even when they were never configured here. */
const SECRET_SHAPES: readonly RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g,
  /\b(Bot|Bearer)\s+[A-Za-z0-9._~+/=-]{16,}/g,
  /\b[MN][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}\b/g, // Discord bot token shape
  /oauth_(token|signature|consumer_key)="[^"]*"/g,
];

/**
 * Returns a copy of `value` with every configured secret, every value under a secret-looking key
 * and every well-known credential shape replaced by `[redacted]`. Handles nesting, arrays,
 * errors and cycles, so it is safe to run on any log record.
 */
export function redact(value: unknown, secrets: readonly string[], seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value, secrets);
  // A failed SQLite query carries its parameters, where ids are BigInts (see data-source.ts), and
  // JSON.stringify throws on a BigInt: a number when it fits, else its digits.
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value === null || typeof value !== 'object') return value;
  // File bytes (discord.js keeps a request's files on its DiscordAPIError): copying a Buffer
  // entry by entry turned one failed 12 MB card post into minutes of a blocked event loop.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[binary: ${value.byteLength} bytes]`;
  if (value instanceof Blob) return `[binary: ${value.size} bytes]`;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, seen));
  if (value instanceof Error) {
    const copy: Record<string, unknown> = { name: value.name, message: redactString(value.message, secrets) };
    if (value.stack) copy['stack'] = redactString(value.stack, secrets);
    for (const [k, v] of Object.entries(value)) copy[k] = isSecretKey(k) ? REDACTED : redact(v, secrets, seen);
    return copy;
  }
  const out: Record<string | symbol, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v, secrets, seen);
  }
  // winston keeps its level/message under symbols; carry them over (redacted) so formats still work.
  for (const sym of Object.getOwnPropertySymbols(value)) {
    out[sym] = redact((value as Record<symbol, unknown>)[sym], secrets, seen);
  }
  return out;
}

export function redactString(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    // Short values would mask innocent text; config already requires secrets of 8+ characters.
    if (secret.length >= 8) result = result.split(secret).join(REDACTED);
  }
  for (const shape of SECRET_SHAPES) {
    result = result.replace(shape, (match) => {
      const bearer = /^(Bot|Bearer)\s+/.exec(match);
      if (bearer) return `${bearer[1]} ${REDACTED}`;
      const oauth = /^(oauth_\w+)=/.exec(match);
      if (oauth) return `${oauth[1]}="${REDACTED}"`;
      return REDACTED;
    });
  }
  return result;
}
