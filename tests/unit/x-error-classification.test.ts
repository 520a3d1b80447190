import type { ClientRequest, IncomingMessage } from 'node:http';
import { ApiPartialResponseError, ApiRequestError, ApiResponseError } from 'twitter-api-v2';
import { describe, expect, it } from 'vitest';
import { toXApiError } from '../../src/adapters/twitter/x-publisher.js';
import { classifyXHttpStatus, isDuplicateContentMessage, transportFailureMaybePosted, XApiError } from '../../src/domain/x-errors.js';

const NOW = 1_768_478_400_000;
const request = {} as ClientRequest;

function responseError(code: number, data: Record<string, unknown>, headers: Record<string, string> = {}): ApiResponseError {
  return new ApiResponseError(`Request failed with code ${code}`, {
    code,
    data,
    headers,
    request,
    response: { statusCode: code, headers } as unknown as IncomingMessage,
  });
}

function requestError(error: Error): ApiRequestError {
  return new ApiRequestError('Request failed.', { request, error });
}

describe('X error classification', () => {
  it('GIVEN each HTTP status THEN it maps to the class that decides wait, back off or fail', () => {
    expect(classifyXHttpStatus(429)).toBe('rate_limited');
    for (const status of [500, 502, 503, 504, 408]) expect(classifyXHttpStatus(status)).toBe('transient');
    expect(classifyXHttpStatus(401)).toBe('auth');
    expect(classifyXHttpStatus(403, 'You are not allowed to create a Tweet with duplicate content.')).toBe('duplicate');
    expect(classifyXHttpStatus(403, 'You are not permitted to perform this action.')).toBe('forbidden');
    expect(classifyXHttpStatus(403)).toBe('forbidden');
    for (const status of [400, 404, 413, 422]) expect(classifyXHttpStatus(status)).toBe('invalid');
  });

  it('GIVEN X wordings of a duplicate THEN they are recognised', () => {
    expect(isDuplicateContentMessage('You are not allowed to create a Tweet with duplicate content.')).toBe(true);
    expect(isDuplicateContentMessage('Status is a duplicate.')).toBe(true);
    expect(isDuplicateContentMessage('Forbidden')).toBe(false);
    expect(isDuplicateContentMessage(undefined)).toBe(false);
  });

  it('GIVEN connection codes THEN only failures before sending are known not to have posted', () => {
    expect(transportFailureMaybePosted('ECONNREFUSED')).toBe(false);
    expect(transportFailureMaybePosted('ENOTFOUND')).toBe(false);
    expect(transportFailureMaybePosted('ECONNRESET')).toBe(true);
    expect(transportFailureMaybePosted(undefined)).toBe(true);
  });

  it('GIVEN a 429 with X headers THEN the error carries the latest exhausted reset and the observed buckets', () => {
    const error = toXApiError(
      responseError(
        429,
        { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank' },
        {
          'x-rate-limit-limit': '100',
          'x-rate-limit-remaining': '5',
          'x-rate-limit-reset': '1768479000',
          'x-user-limit-24hour-limit': '100',
          'x-user-limit-24hour-remaining': '0',
          'x-user-limit-24hour-reset': '1768560000',
        },
      ),
      'POST /2/tweets',
      NOW,
    );
    expect(error).toBeInstanceOf(XApiError);
    expect(error).toMatchObject({ errorClass: 'rate_limited', status: 429, resetAt: 1_768_560_000_000, maybePosted: false, retryable: true });
    expect(error.rateLimit?.endpoint).toEqual({ limit: 100, remaining: 5, resetAt: 1_768_479_000_000 });
    expect(error.message).toBe('X POST /2/tweets failed with HTTP 429: Too Many Requests');
  });

  it('GIVEN a 429 without headers THEN no reset is invented (the service applies its fallback)', () => {
    expect(toXApiError(responseError(429, {}), 'GET /2/tweets', NOW)).toMatchObject({ errorClass: 'rate_limited', resetAt: undefined, rateLimit: undefined });
  });

  it("GIVEN X's duplicate 403 body THEN the class is duplicate and the message quotes X", () => {
    const error = toXApiError(
      responseError(403, { detail: 'You are not allowed to create a Tweet with duplicate content.', type: 'about:blank', title: 'Forbidden', status: 403 }),
      'POST /2/tweets',
      NOW,
    );
    expect(error).toMatchObject({ errorClass: 'duplicate', status: 403, retryable: false });
    expect(error.message).toContain('duplicate content');
  });

  it('GIVEN 401 and 400 answers THEN they are auth and invalid, never retried', () => {
    expect(toXApiError(responseError(401, { title: 'Unauthorized', detail: 'Unauthorized' }), 'GET /2/users/me', NOW)).toMatchObject({
      errorClass: 'auth',
      retryable: false,
    });
    const invalid = toXApiError(responseError(400, { title: 'Invalid Request', errors: [{ message: '$.text: text is too long' }] }), 'POST /2/tweets', NOW);
    expect(invalid).toMatchObject({ errorClass: 'invalid' });
    expect(invalid.message).toContain('text is too long');
  });

  it('GIVEN a client timeout or a reset connection THEN it is transient and may have posted; a refused connection may not', () => {
    expect(toXApiError(requestError(new Error('Request timeout.')), 'POST /2/tweets', NOW)).toMatchObject({ errorClass: 'transient', maybePosted: true });
    expect(toXApiError(requestError(new Error('Request timeout.')), 'POST /2/tweets', NOW).message).toBe('X POST /2/tweets timed out');
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(toXApiError(requestError(reset), 'POST /2/tweets', NOW)).toMatchObject({ errorClass: 'transient', maybePosted: true });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toXApiError(requestError(refused), 'POST /2/tweets', NOW)).toMatchObject({ errorClass: 'transient', maybePosted: false });
  });

  it('GIVEN a 2xx answer cut mid-body THEN it may have posted', () => {
    const partial = new ApiPartialResponseError('partial', {
      request,
      response: { statusCode: 201 } as IncomingMessage,
      rawContent: '{"data":{"id":"1',
      responseError: new Error('aborted'),
    });
    expect(toXApiError(partial, 'POST /2/tweets', NOW)).toMatchObject({ errorClass: 'transient', status: 201, maybePosted: true });
  });

  it('GIVEN something unknown THEN it is treated as transient and possibly posted (the safe side)', () => {
    const error = toXApiError(new TypeError('boom'), 'POST /2/tweets', NOW);
    expect(error).toMatchObject({ errorClass: 'transient', maybePosted: true });
    expect(toXApiError(error, 'x', NOW)).toBe(error);
  });
});
