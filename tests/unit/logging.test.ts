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

  it('GIVEN a cyclic object THEN redaction terminates', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a['self'] = a;
    expect(redact(a, [])).toEqual({ name: 'a', self: '[circular]' });
  });
});
