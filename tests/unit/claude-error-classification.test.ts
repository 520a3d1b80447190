import { AnthropicError, APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { GenerationError } from '../../src/adapters/claude/claude-draft-generator.js';
import { classifySdkError } from '../../src/adapters/claude/claude-sdk.js';

function apiError(status: number, type: string, message: string): APIError {
  return APIError.generate(status, { type: 'error', error: { type, message }, request_id: 'req_unit' }, undefined, new Headers({ 'request-id': 'req_unit' }));
}

describe('classifySdkError', () => {
  it.each([
    [401, 'authentication_error', 'auth', false],
    [403, 'permission_error', 'auth', false],
    [400, 'invalid_request_error', 'bad_request', false],
    [402, 'billing_error', 'bad_request', false],
    [404, 'not_found_error', 'bad_request', false],
    [413, 'request_too_large', 'bad_request', false],
    [429, 'rate_limit_error', 'rate_limited', true],
    [529, 'overloaded_error', 'overloaded', true],
    [500, 'api_error', 'server', true],
    [503, 'api_error', 'server', true],
    [504, 'timeout_error', 'timeout', true],
  ] as const)('GIVEN an SDK error with status %i (%s) THEN kind is %s and retryable is %s', (status, type, kind, retryable) => {
    const error = classifySdkError(apiError(status, type, 'something happened'));
    expect(error).toBeInstanceOf(GenerationError);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.status).toBe(status);
    expect(error.requestId).toBe('req_unit');
    expect(error.message).toContain('something happened');
  });

  it('GIVEN connection and timeout errors THEN they map to connection and timeout, both retryable', () => {
    expect(classifySdkError(new APIConnectionTimeoutError())).toMatchObject({ kind: 'timeout', retryable: true });
    expect(classifySdkError(new APIConnectionError({ message: 'fetch failed' }))).toMatchObject({ kind: 'connection', retryable: true });
  });

  it('GIVEN the parse failure messages.parse throws THEN it maps to invalid_output', () => {
    const error = classifySdkError(new AnthropicError('Failed to parse structured output as JSON: Unexpected token'));
    expect(error).toMatchObject({ kind: 'invalid_output', retryable: true });
  });

  it('GIVEN an error message that contains the API key THEN the key is redacted', () => {
    const key = 'sk-ant-secret-value-123';
    const redact = (text: string) => text.split(key).join('[redacted]');
    const error = classifySdkError(apiError(400, 'invalid_request_error', `bad header ${key}`), redact);
    expect(error.message).not.toContain(key);
    expect(error.message).toContain('[redacted]');
  });
});
