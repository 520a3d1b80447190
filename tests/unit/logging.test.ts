import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redact, REDACTED } from '../../src/logging/index.js';

const SECRET = 'super-secret-discord-token-value';

function capture(format: 'json' | 'pretty', dir?: string) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const logger = createLogger({ level: 'debug', format, secrets: [SECRET], stream, dir });
  return { logger, lines };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('logging', () => {
  it('GIVEN JSON format THEN each line is JSON with level, message, timestamp and child context', async () => {
    const { logger, lines } = capture('json');
    logger.child({ draftId: 42, interactionId: 'i-1' }).info('draft approved', { revision: 2 });
    await flush();
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({ level: 'info', message: 'draft approved', draftId: 42, interactionId: 'i-1', revision: 2 });
    expect(typeof record.timestamp).toBe('string');
  });

  it('GIVEN a secret anywhere in a record THEN no output line contains it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'draftgate-logs-'));
    const { logger, lines } = capture('json', dir);
    const pretty = capture('pretty');
    for (const l of [logger, pretty.logger]) {
      l.info(`connecting with ${SECRET}`, {
        headers: { authorization: `Bot ${SECRET}`, 'x-api-key': 'sk-ant-api03-abcdefghijklmnop' },
        nested: { deep: [{ value: `prefix-${SECRET}-suffix` }] },
        token: 'short',
      });
      l.error('request failed', { error: new Error(`401 for token ${SECRET}`) });
    }
    await flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const fileText = readFileSync(join(dir, 'agent.log'), 'utf8');
    for (const text of [lines.join('\n'), pretty.lines.join('\n'), fileText]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('sk-ant-api03-abcdefghijklmnop');
      expect(text).toContain(REDACTED);
    }
    expect(fileText).toContain('connecting with [redacted]');
  });

  it('GIVEN credential shapes never configured THEN they are masked too', () => {
    const out = redact(
      { msg: 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz123456', oauth: 'OAuth oauth_token="123-abc", oauth_signature="zzz"' },
      [],
    ) as Record<string, string>;
    expect(out['msg']).toBe('Authorization: Bearer [redacted]');
    expect(out['oauth']).toContain('oauth_token="[redacted]"');
    expect(out['oauth']).toContain('oauth_signature="[redacted]"');
  });

  it('GIVEN a failed SQLite query whose parameters are BigInts (ids are bound as SQLite integers) WHEN it is logged THEN the pretty and JSON lines both carry the numbers (JSON.stringify throws on a BigInt)', async () => {
    const failed = Object.assign(new Error('SQLITE_CONSTRAINT'), { query: 'UPDATE drafts SET status = ? WHERE id = ?', parameters: ['approved', 42n] });
    for (const format of ['pretty', 'json'] as const) {
      const { logger, lines } = capture(format);
      logger.error('query failed', { error: failed, draftId: 7n });
      await flush();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('"parameters":["approved",42]');
      expect(lines[0]).toContain('"draftId":7');
    }
  });

  it('GIVEN a cyclic object THEN redaction terminates', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a['self'] = a;
    expect(redact(a, [])).toEqual({ name: 'a', self: '[circular]' });
  });

  // Item 14: secret names are matched precisely, so counters named after tokens stay readable.
  const SECRET_KEYS = [
    'token',
    'accessToken',
    'access_token',
    'refreshToken',
    'oauth_token_secret',
    'authorization',
    'Authorization',
    'proxy-authorization',
    'apiKey',
    'api_key',
    'x-api-key',
    'secret',
    'clientSecret',
    'accessSecret',
    'password',
    'DISCORD_TOKEN',
    'TWITTER_APP_KEY',
    'TWITTER_ACCESS_SECRET',
    'ANTHROPIC_API_KEY',
    'appKey',
    'consumerKey',
    'privateKey',
    'cookie',
    'set-cookie',
    'credentials',
    'secrets',
    'signature',
  ];
  const COUNTER_KEYS = [
    'inputTokens',
    'outputTokens',
    'cacheReadTokens',
    'cacheWriteTokens',
    'cacheCreationInputTokens',
    'input_tokens',
    'output_tokens',
    'maxTokens',
    'max_tokens',
    'tokenCount',
    'tokensUsed',
    'totalTokens',
  ];

  it('GIVEN values under secret key names (item 14) WHEN logged THEN none reaches console, JSON or file output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'draftgate-logs-'));
    const json = capture('json', dir);
    const pretty = capture('pretty');
    const record = Object.fromEntries(SECRET_KEYS.map((key) => [key, `value-of-${key}-0123456789`]));
    for (const l of [json.logger, pretty.logger]) l.info('request', { request: { headers: record }, ...record });
    await flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const fileText = readFileSync(join(dir, 'agent.log'), 'utf8');
    for (const text of [json.lines.join('\n'), pretty.lines.join('\n'), fileText]) {
      for (const key of SECRET_KEYS) expect(text, key).not.toContain(`value-of-${key}-`);
    }
    const redacted = redact(record, []) as Record<string, unknown>;
    for (const key of SECRET_KEYS) expect(redacted[key], key).toBe(REDACTED);
  });

  it('GIVEN token counts in a record (item 14) WHEN logged THEN inputTokens, outputTokens and the like are visible in console, JSON and file output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'draftgate-logs-'));
    const json = capture('json', dir);
    const pretty = capture('pretty');
    const counts = Object.fromEntries(COUNTER_KEYS.map((key, i) => [key, 9_000 + i]));
    for (const l of [json.logger, pretty.logger]) l.debug('generation usage', { usage: counts });
    await flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const fileText = readFileSync(join(dir, 'agent.log'), 'utf8');
    expect(JSON.parse(json.lines[0]!).usage).toEqual(counts);
    for (const text of [json.lines.join('\n'), pretty.lines.join('\n'), fileText]) {
      expect(text).not.toContain(REDACTED);
      for (const value of Object.values(counts)) expect(text).toContain(String(value));
    }
    expect(redact(counts, [])).toEqual(counts);
  });
});

describe('logging binary data (issue 14)', () => {
  it('GIVEN an error carrying a 12 MB file (discord.js keeps the request body on a DiscordAPIError) WHEN it is redacted and logged THEN the bytes are summarised, not copied byte by byte, and the line stays small', () => {
    const bytes = Buffer.alloc(12 * 1024 * 1024, 7);
    const error = Object.assign(new Error('Request entity too large'), {
      status: 413,
      requestBody: {
        files: [
          { name: 'image-1.gif', data: bytes },
          { name: 'raw', data: new Uint8Array(3).buffer },
        ],
        json: { content: '' },
      },
    });
    const started = performance.now();
    const copy = redact({ error }, []) as { error: { requestBody: { files: Array<{ data: unknown }> } } };
    expect(copy.error.requestBody.files.map((f) => f.data)).toEqual(['[binary: 12582912 bytes]', '[binary: 3 bytes]']);
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    createLogger({ level: 'debug', format: 'json', secrets: [], stream }).error('a card post failed', { error });
    expect(lines.join('').length).toBeLessThan(10_000);
    // Generous: copying 12 million entries took minutes on the 2-core machine.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
