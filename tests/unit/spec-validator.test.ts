import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../support/fake-http.js';
import { checkOAuth1Header, loadSpecValidator } from '../support/spec-validator.js';

function request(overrides: Partial<RecordedRequest>): RecordedRequest {
  return { method: 'GET', path: '/', query: {}, headers: {}, body: undefined, rawBody: '', receivedAt: 0, ...overrides };
}

function jsonRequest(method: string, path: string, body: unknown, headers: Record<string, string>): RecordedRequest {
  return request({ method, path, body, rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
}

const OAUTH =
  'OAuth oauth_consumer_key="consumer",oauth_nonce="bm9uY2U",oauth_signature="c2ln%3D",oauth_signature_method="HMAC-SHA1",' +
  'oauth_timestamp="1700000000",oauth_token="1-token",oauth_version="1.0"';
const BOT = { authorization: 'Bot token.part.three' };
const ANTHROPIC = { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' };

describe('spec validator: X', () => {
  it("GIVEN X's media APPEND as multipart form fields THEN segment_index is read as an integer and checked, and an empty {} on FINALIZE is accepted", async () => {
    const x = await loadSpecValidator('x');
    const append = (segment: string, extra: Array<{ name: string; data: Buffer }> = []) =>
      request({
        method: 'POST',
        path: '/2/media/upload/1880000000000000001/append',
        headers: { authorization: OAUTH, 'content-type': 'multipart/form-data; boundary=b' },
        rawBody: 'x',
        multipart: [{ name: 'segment_index', data: Buffer.from(segment) }, { name: 'media', filename: 'blob', data: Buffer.from([1, 2]) }, ...extra],
      });
    expect(x.validate(append('0'))).toEqual([]);
    expect(x.validate(append('1000')).join('\n')).toMatch(/segment_index must be <= 999/);
    expect(x.validate(append('0', [{ name: 'surprise', data: Buffer.from('1') }])).join('\n')).toMatch(/additional properties \("surprise"\)/);
    const finalize = (body: string) =>
      request({
        method: 'POST',
        path: '/2/media/upload/1880000000000000001/finalize',
        headers: { authorization: OAUTH, 'content-type': 'application/json' },
        rawBody: body,
      });
    expect(x.validate(finalize('{}'))).toEqual([]);
    expect(x.validate(finalize('{"a":1}')).join('\n')).toMatch(/defines no request body/);
  });

  it('GIVEN POST /2/tweets with {text, reply} and an OAuth 1.0a header THEN it is valid', async () => {
    const x = await loadSpecValidator('x');
    const errors = x.validate(
      jsonRequest('POST', '/2/tweets', { text: 'gm', reply: { in_reply_to_tweet_id: '1790000000000000001' } }, { authorization: OAUTH }),
    );
    expect(errors).toEqual([]);
  });

  it('GIVEN POST /2/tweets with {txt: 1} THEN the unknown property is reported', async () => {
    const x = await loadSpecValidator('x');
    const errors = x.validate(jsonRequest('POST', '/2/tweets', { txt: 1 }, { authorization: OAUTH }));
    expect(errors.join('\n')).toMatch(/additional properties \("txt"\)/);
  });

  it('GIVEN a reply id that is not numeric THEN the pattern violation is reported', async () => {
    const x = await loadSpecValidator('x');
    const errors = x.validate(jsonRequest('POST', '/2/tweets', { text: 'gm', reply: { in_reply_to_tweet_id: 'abc' } }, { authorization: OAUTH }));
    expect(errors.join('\n')).toMatch(/in_reply_to_tweet_id must match pattern/);
  });

  it('GIVEN GET /2/tweets with comma-separated ids and tweet.fields THEN it is valid', async () => {
    const x = await loadSpecValidator('x');
    const errors = x.validate(
      request({ path: '/2/tweets', query: { ids: '1,2', 'tweet.fields': 'public_metrics,created_at' }, headers: { authorization: OAUTH } }),
    );
    expect(errors).toEqual([]);
  });

  it('GIVEN query parameters out of range, with a bad enum, or unknown THEN each is reported', async () => {
    const x = await loadSpecValidator('x');
    const errors = x
      .validate(
        request({ path: '/2/users/42/tweets', query: { max_results: '500', 'tweet.fields': 'bogus', colour: 'red' }, headers: { authorization: OAUTH } }),
      )
      .join('\n');
    expect(errors).toMatch(/max_results" must be <= 100/);
    expect(errors).toMatch(/post\.fields"\/0 must be equal to one of the allowed values/);
    expect(errors).toMatch(/unknown query parameter "colour"/);
  });

  it('GIVEN a truncated OAuth header THEN the missing OAuth 1.0a fields are named', async () => {
    const x = await loadSpecValidator('x');
    const errors = x.validate(request({ path: '/2/users/me', headers: { authorization: 'OAuth oauth_consumer_key="consumer"' } })).join('\n');
    expect(errors).toMatch(/oauth_signature is missing/);
    expect(errors).toMatch(/oauth_token is missing/);
  });

  it('GIVEN no Authorization header THEN missing credentials are reported', async () => {
    const x = await loadSpecValidator('x');
    expect(x.validate(request({ path: '/2/users/me' })).join('\n')).toMatch(/no acceptable credentials/);
  });

  it('GIVEN an unknown path THEN it is rejected', async () => {
    const x = await loadSpecValidator('x');
    expect(x.validate(request({ path: '/2/tweetz', headers: { authorization: OAUTH } }))).toEqual(['GET /2/tweetz: no path in the x spec matches /2/tweetz']);
  });

  it('GIVEN a known path with an undefined method THEN it is rejected', async () => {
    const x = await loadSpecValidator('x');
    expect(x.validate(request({ method: 'PATCH', path: '/2/tweets', headers: { authorization: OAUTH } })).join('\n')).toMatch(/method PATCH is not defined/);
  });

  it('GIVEN a well-formed and a wrong-method OAuth header THEN only the wrong one fails the shape check', () => {
    expect(checkOAuth1Header(OAUTH)).toEqual([]);
    expect(checkOAuth1Header(OAUTH.replace('HMAC-SHA1', 'PLAINTEXT'))).toEqual(['OAuth 1.0a: oauth_signature_method="PLAINTEXT" does not match /^HMAC-SHA1$/']);
  });
});

describe('spec validator: Discord', () => {
  const embedMessage = {
    embeds: [{ title: 'Draft #12', description: 'gm pump.fun', color: 0x5865f2, timestamp: '2026-07-18T12:00:00.000Z' }],
    components: [{ type: 1, components: [{ type: 2, style: 3, label: 'Approve', custom_id: 'approve:12' }] }],
  };

  it('GIVEN POST /api/v10/channels/:id/messages with a valid embed and buttons THEN it is valid', async () => {
    const discord = await loadSpecValidator('discord');
    expect(discord.validate(jsonRequest('POST', '/api/v10/channels/1234567890/messages', embedMessage, BOT))).toEqual([]);
  });

  it('GIVEN an embed with title: 5 THEN the type error is reported at the embed', async () => {
    const discord = await loadSpecValidator('discord');
    const errors = discord.validate(jsonRequest('POST', '/api/v10/channels/1234567890/messages', { embeds: [{ title: 5 }] }, BOT));
    expect(errors.join('\n')).toMatch(/body\/embeds\/0\/title must be string,null/);
  });

  it('GIVEN a percent-encoded @original webhook path without a bot token THEN it matches the literal route and is valid', async () => {
    const discord = await loadSpecValidator('discord');
    const errors = discord.validate(
      request({
        method: 'PATCH',
        path: '/api/v10/webhooks/123/tok/messages/%40original',
        headers: { 'content-type': 'application/json' },
        rawBody: '{"content":"done"}',
      }),
    );
    expect(errors).toEqual([]);
  });

  it('GIVEN a non-snowflake channel id THEN the path parameter is rejected', async () => {
    const discord = await loadSpecValidator('discord');
    expect(discord.validate(request({ path: '/api/v10/channels/general', headers: BOT })).join('\n')).toMatch(/path parameter "channel_id" must match/);
  });

  it('GIVEN a multipart body whose payload_json is invalid THEN the payload_json error is reported', async () => {
    const discord = await loadSpecValidator('discord');
    const boundary = 'xyz';
    const raw =
      `--${boundary}\r\nContent-Disposition: form-data; name="files[0]"; filename="a.png"\r\nContent-Type: image/png\r\n\r\nPNG\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="payload_json"\r\nContent-Type: application/json\r\n\r\n{"embeds":[{"title":5}]}\r\n--${boundary}--\r\n`;
    const errors = discord.validate(
      request({
        method: 'POST',
        path: '/api/v10/channels/1/messages',
        rawBody: raw,
        headers: { ...BOT, 'content-type': `multipart/form-data; boundary=${boundary}` },
      }),
    );
    expect(errors.join('\n')).toMatch(/payload_json\/embeds\/0\/title must be string,null/);
  });

  it('GIVEN an unknown path THEN it is rejected', async () => {
    const discord = await loadSpecValidator('discord');
    expect(discord.validate(request({ path: '/api/v10/channelz/1', headers: BOT })).join('\n')).toMatch(/no path in the discord spec matches \/channelz\/1/);
  });
});

describe('spec validator: Anthropic', () => {
  const valid = { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Write a tweet about pump.fun' }] };

  it('GIVEN POST /v1/messages with model, max_tokens and messages THEN it is valid', async () => {
    const anthropic = await loadSpecValidator('anthropic');
    expect(anthropic.validate(jsonRequest('POST', '/v1/messages', valid, ANTHROPIC))).toEqual([]);
  });

  it('GIVEN POST /v1/messages without max_tokens THEN it is rejected', async () => {
    const anthropic = await loadSpecValidator('anthropic');
    const { max_tokens: _omitted, ...withoutMaxTokens } = valid;
    expect(anthropic.validate(jsonRequest('POST', '/v1/messages', withoutMaxTokens, ANTHROPIC)).join('\n')).toMatch(/must have required property 'max_tokens'/);
  });

  it('GIVEN no API key and no anthropic-version THEN both are reported', async () => {
    const anthropic = await loadSpecValidator('anthropic');
    const errors = anthropic.validate(jsonRequest('POST', '/v1/messages', valid, {})).join('\n');
    expect(errors).toMatch(/neither x-api-key nor Authorization: Bearer/);
    expect(errors).toMatch(/missing anthropic-version header/);
  });

  it('GIVEN an unknown path THEN it is rejected', async () => {
    const anthropic = await loadSpecValidator('anthropic');
    expect(anthropic.validate(jsonRequest('POST', '/v1/mesages', valid, ANTHROPIC)).join('\n')).toMatch(/no path in the anthropic spec/);
  });
});

describe('spec validator: loading', () => {
  it('GIVEN the same service twice THEN the cached validator instance is returned', async () => {
    const [a, b] = await Promise.all([loadSpecValidator('x'), loadSpecValidator('x')]);
    expect(a).toBe(b);
  });
});

describe('spec traffic of a whole app (item 17: every suite validates what it sent)', () => {
  it('GIVEN recorded traffic to the three fakes with one request off each spec THEN specProblemsOf names each, and ignores the Discord gateway', async () => {
    const { specProblemsOf } = await import('../support/spec-traffic.js');
    const fakes = {
      discord: { http: { requests: [request({ method: 'GET', path: '/api/v10/nowhere', headers: BOT }), request({ path: '/gateway-socket' })] } },
      x: { http: { requests: [jsonRequest('POST', '/2/tweets', { txt: 1 }, { authorization: OAUTH })] } },
      anthropic: { http: { requests: [jsonRequest('POST', '/v1/messages', { model: 1 }, ANTHROPIC)] } },
    };
    const problems = await specProblemsOf(fakes);
    expect(problems.some((p) => p.startsWith('discord GET /api/v10/nowhere'))).toBe(true);
    expect(problems.some((p) => p.startsWith('x POST /2/tweets') && p.includes('txt'))).toBe(true);
    expect(problems.some((p) => p.startsWith('anthropic POST /v1/messages'))).toBe(true);
    expect(problems.some((p) => p.includes('gateway-socket'))).toBe(false);
    expect(await specProblemsOf({ x: { http: { requests: [jsonRequest('POST', '/2/tweets', { text: 'gm' }, { authorization: OAUTH })] } } })).toEqual([]);
  });
});

describe('the README claim that every integration request is spec-validated (item 17)', () => {
  it('GIVEN every integration suite that starts a fake THEN it also checks the traffic against ../shared/specs', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../integration/', import.meta.url);
    const startsAFake = /\b(startFakes|createPublishingHarness|useAppHarness)\(|new Fake(X|Anthropic|Discord)\(/;
    // useAppHarness checks all three fakes after each test; the others must ask for it.
    const checksTraffic = /\b(useAppHarness|specProblemsOf|loadSpecValidator)\(|\.specProblems\(\)/;
    const suites = readdirSync(dir).filter((name) => name.endsWith('.test.ts'));
    const unchecked = suites.filter((name) => {
      const source = readFileSync(new URL(name, dir), 'utf8');
      return startsAFake.test(source) && !checksTraffic.test(source);
    });
    expect(suites.length).toBeGreaterThan(10);
    expect(unchecked).toEqual([]);
  });
});
