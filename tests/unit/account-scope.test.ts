import { describe, expect, it } from 'vitest';
import { resolveAccountScope, type AccountScopeInput, type ScopeAccount } from '../../src/domain/account-scope.js';

const PUMPFUN: ScopeAccount = { id: 'pumpfun', moderationChannelId: '100', handle: 'pumpdotfun' };
const NEWS: ScopeAccount = { id: 'pump-news', moderationChannelId: '200', handle: 'pump_news' };
/** Shares its channel with ALERTS. */
const LABS: ScopeAccount = { id: 'labs', moderationChannelId: '300', handle: null };
const ALERTS: ScopeAccount = { id: 'alerts', moderationChannelId: '300' };
const ALL = [PUMPFUN, NEWS, LABS, ALERTS];

function scope(input: Partial<AccountScopeInput>): ReturnType<typeof resolveAccountScope> {
  return resolveAccountScope({ account: null, channelId: null, activeAccounts: ALL, whenUnnarrowed: 'all', ...input });
}

describe('resolveAccountScope: the account option', () => {
  it("GIVEN account:pump-news WHEN used in another account's channel THEN the option wins", () => {
    for (const whenUnnarrowed of ['all', 'one'] as const) {
      expect(scope({ account: 'pump-news', channelId: '100', whenUnnarrowed })).toEqual({ ok: true, accountIds: ['pump-news'], narrowedBy: 'option' });
    }
  });

  it('GIVEN the id in another case or with spaces, or the @handle THEN it names that account', () => {
    expect(scope({ account: '  PumpFun ' })).toMatchObject({ ok: true, accountIds: ['pumpfun'] });
    expect(scope({ account: '@Pump_News' })).toMatchObject({ ok: true, accountIds: ['pump-news'] });
    expect(scope({ account: 'pumpdotfun' })).toMatchObject({ ok: true, accountIds: ['pumpfun'] });
  });

  it('GIVEN an unknown account WHEN named THEN a refusal lists the active ids to choose from', () => {
    const result = scope({ account: 'nope', whenUnnarrowed: 'one' });
    expect(result).toEqual({
      ok: false,
      refusal: {
        reason: 'unknown-account',
        accountId: 'nope',
        choices: ['pumpfun', 'pump-news', 'labs', 'alerts'],
        message: 'Unknown account "nope". Choose one of: `pumpfun`, `pump-news`, `labs`, `alerts`.',
      },
    });
  });

  it('GIVEN an account removed from the file WHEN named THEN it is refused as inactive, not as unknown', () => {
    const result = scope({ account: 'old-brand', inactiveAccountIds: ['old-brand'] });
    expect(result).toMatchObject({ ok: false, refusal: { reason: 'inactive-account', accountId: 'old-brand' } });
    expect(!result.ok && result.refusal.message).toMatch(/`old-brand` is inactive/);
  });

  it('GIVEN an empty account option THEN it counts as omitted', () => {
    expect(scope({ account: '   ', channelId: '200' })).toEqual({ ok: true, accountIds: ['pump-news'], narrowedBy: 'channel' });
  });

  it('GIVEN a very long typed value and many accounts THEN the refusal stays short enough for one ephemeral message', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ id: `account-with-a-long-name-${String(i).padStart(3, '0')}`, moderationChannelId: String(i) }));
    const result = scope({ account: 'x'.repeat(500), activeAccounts: many });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.refusal.message.length).toBeLessThan(2_000);
    expect(!result.ok && result.refusal.message).toMatch(/…\.$/);
  });
});

describe('resolveAccountScope: the channel', () => {
  it('GIVEN no option WHEN used in the moderation channel of exactly one account THEN it applies to that account, whatever the command', () => {
    for (const whenUnnarrowed of ['all', 'one'] as const) {
      expect(scope({ channelId: '100', whenUnnarrowed })).toEqual({ ok: true, accountIds: ['pumpfun'], narrowedBy: 'channel' });
    }
  });

  it('GIVEN two accounts sharing the channel WHEN an all-accounts command is used there THEN it covers every account', () => {
    expect(scope({ channelId: '300', whenUnnarrowed: 'all' })).toEqual({
      ok: true,
      accountIds: ['pumpfun', 'pump-news', 'labs', 'alerts'],
      narrowedBy: 'none',
    });
  });

  it('GIVEN two accounts sharing the channel WHEN a one-account command is used there THEN it is refused with the ids to choose from', () => {
    expect(scope({ channelId: '300', whenUnnarrowed: 'one' })).toEqual({
      ok: false,
      refusal: {
        reason: 'account-required',
        choices: ['pumpfun', 'pump-news', 'labs', 'alerts'],
        message: 'Which account? This command acts on one account: choose one of: `pumpfun`, `pump-news`, `labs`, `alerts` (the `account` option).',
      },
    });
  });

  it("GIVEN a channel that is no account's WHEN /status-like and /draft-like commands are used THEN all accounts, and a refusal", () => {
    expect(scope({ channelId: '999', whenUnnarrowed: 'all' })).toMatchObject({
      ok: true,
      accountIds: ['pumpfun', 'pump-news', 'labs', 'alerts'],
      narrowedBy: 'none',
    });
    expect(scope({ channelId: '999', whenUnnarrowed: 'one' })).toMatchObject({ ok: false, refusal: { reason: 'account-required' } });
    expect(scope({ channelId: null, whenUnnarrowed: 'one' })).toMatchObject({ ok: false, refusal: { reason: 'account-required' } });
  });
});

describe('resolveAccountScope: one or no active account', () => {
  it('GIVEN the single-account setup WHEN any command is used in any channel THEN it applies to default, as before accounts', () => {
    const only = [{ id: 'default', moderationChannelId: '100' }];
    for (const whenUnnarrowed of ['all', 'one'] as const) {
      expect(scope({ activeAccounts: only, channelId: '999', whenUnnarrowed })).toEqual({ ok: true, accountIds: ['default'], narrowedBy: 'only-account' });
      expect(scope({ activeAccounts: only, channelId: '100', whenUnnarrowed })).toEqual({ ok: true, accountIds: ['default'], narrowedBy: 'channel' });
    }
  });

  it('GIVEN no active account THEN every command is refused, named or not', () => {
    for (const account of [null, 'pumpfun']) {
      expect(scope({ activeAccounts: [], account, whenUnnarrowed: 'all' })).toMatchObject({ ok: false, refusal: { reason: 'no-active-account' } });
    }
    expect(scope({ activeAccounts: [], account: 'gone', inactiveAccountIds: ['gone'] })).toMatchObject({ ok: false, refusal: { reason: 'inactive-account' } });
  });
});
