/**
 * Accounts: each X account the bot writes for, with its own moderation channel, voice, topics,
 * schedule and caps. Every stored row carries its account's id.
 */

/** An account's id as written in accounts.yaml; stored on every row, so an id is never reused. */
export type AccountId = string;

/** The one account of the single-account setup (no ACCOUNTS_FILE): what every existing database migrates into. */
export const DEFAULT_ACCOUNT_ID: AccountId = 'default';

/** Lower-case letters, digits and `-`, 1 to 32 characters. */
export const ACCOUNT_ID_PATTERN = /^[a-z0-9-]{1,32}$/;

/**
 * The prefix of an account's four X secrets in the environment: `pump-news` reads
 * `TWITTER_PUMP_NEWS_APP_KEY` and so on; `default` reads the plain `TWITTER_*` names.
 */
export function twitterVariablePrefix(accountId: AccountId): string {
  return accountId === DEFAULT_ACCOUNT_ID ? 'TWITTER_' : `TWITTER_${accountId.toUpperCase().replaceAll('-', '_')}_`;
}

/** The four environment variables holding an account's X credentials, in the order X's docs list them. */
export function twitterCredentialVariables(accountId: AccountId): readonly [string, string, string, string] {
  const prefix = twitterVariablePrefix(accountId);
  return [`${prefix}APP_KEY`, `${prefix}APP_SECRET`, `${prefix}ACCESS_TOKEN`, `${prefix}ACCESS_SECRET`];
}
