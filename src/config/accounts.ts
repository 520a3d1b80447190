import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { parseDocument as ParseDocument } from 'yaml';
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN, twitterCredentialVariables, type AccountId } from '../domain/account.js';
import { compileBannedPattern, InvalidBannedPatternError } from '../domain/validation.js';
import type { SlotRule } from '../domain/slots.js';
import { environmentObject, MODERATION_CHANNEL, missingSnowflakeMessage, readSlotSpec, SECRET_VARIABLES, splitSlotSpecs } from './schema.js';

/**
 * accounts.yaml: the X accounts the bot writes for. Every key but `id` and
 * `moderationChannelId` is optional and falls back to the environment variable of the same
 * meaning, so the file only says how an account differs. Secrets never go in the file: they
 * stay in the environment under names derived from the id (twitterCredentialVariables).
 */

/** One problem at one place: `accounts[1].timezone` in the file, or an environment variable. */
export interface AccountProblem {
  readonly variable: string;
  readonly message: string;
  /** True when `variable` is a path inside ACCOUNTS_FILE rather than an environment variable. */
  readonly inFile: boolean;
}

/** One account as the file states it: `undefined` means "not in the file, use the environment's value". */
export type FileAccount = z.output<typeof accountSchema>;

/**
 * YAML gives numbers and booleans where the environment gives text. The field validators of
 * the environment read text, so scalars become their text and the messages stay the same.
 * Integers arrive as bigint (intAsBigInt), so an unquoted 19-digit Discord id keeps every digit.
 */
function scalarText(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return value;
}

/** Absent, null (`key:` or `key: ~`) and empty text all mean "fall back to the environment". */
const isUnset = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/**
 * A key that falls back to `variable`: its value is checked by that variable's own validator,
 * so the file and the environment give the same messages. Unset stays undefined here; the env's
 * built-in default must not win over the env's value.
 */
function fromEnvironmentField<K extends keyof typeof environmentObject.shape>(variable: K) {
  const field = environmentObject.shape[variable] as unknown as z.ZodType<z.output<(typeof environmentObject.shape)[K]>>;
  return z
    .unknown()
    .transform((value, ctx): z.output<(typeof environmentObject.shape)[K]> | undefined => {
      if (isUnset(value)) return undefined;
      if (typeof value === 'object') {
        ctx.addIssue({ code: 'custom', message: 'expected a single value, not a list or a map' });
        return z.NEVER;
      }
      const result = field.safeParse(scalarText(value));
      if (result.success) return result.data;
      for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
      return z.NEVER;
    })
    .optional();
}

/** A YAML list of non-empty strings; unset falls back to the environment. No comma splitting. */
const textList = (example: string) =>
  z
    .unknown()
    .transform((value, ctx): string[] | undefined => {
      if (value === undefined || value === null) return undefined;
      if (!Array.isArray(value)) {
        ctx.addIssue({ code: 'custom', message: `expected a YAML list such as ${example}` });
        return z.NEVER;
      }
      const items: string[] = [];
      value.forEach((item, index) => {
        const text = scalarText(item);
        if (typeof text !== 'string' || text.trim() === '') {
          ctx.addIssue({ code: 'custom', path: [index], message: 'expected non-empty text' });
        } else {
          items.push(text.trim());
        }
      });
      return items;
    })
    .optional();

/** Each pattern compiled here, as BANNED_PATTERNS is, so a bad regex stops the start, not the first generation. */
const bannedPatterns = textList('["/lambo{1,3}/i", "wen moon"]').superRefine((patterns, ctx) => {
  patterns?.forEach((pattern, index) => {
    try {
      compileBannedPattern(pattern);
    } catch (error) {
      if (!(error instanceof InvalidBannedPatternError)) throw error;
      ctx.addIssue({ code: 'custom', path: [index], message: `${JSON.stringify(pattern)} is not a valid regular expression: ${error.reason}` });
    }
  });
});

/** The example every `slots` message shows, in the form of the file. */
export const SLOTS_FILE_EXAMPLE = 'slots: ["09:00", "13:00", "18:30"] or slots: ["Mon-Fri 08:30", "Sat,Sun 11:00"]';

/**
 * `slots`: a YAML list of slot specs, each checked on its own so a problem names
 * `accounts[i].slots[j]`. A single text is read like POST_SLOTS (`;`-separated). An empty list
 * is a value of its own (no slots for this account); only an absent key falls back to POST_SLOTS.
 */
const slots = z
  .unknown()
  .transform((value, ctx): SlotRule[] | undefined => {
    if (value === undefined || value === null) return undefined;
    const specs = typeof value === 'string' ? splitSlotSpecs(value) : Array.isArray(value) ? value.map(scalarText) : null;
    if (specs === null) {
      ctx.addIssue({ code: 'custom', message: `expected a YAML list of slots such as ${SLOTS_FILE_EXAMPLE}` });
      return z.NEVER;
    }
    const rules: SlotRule[] = [];
    specs.forEach((spec, index) => {
      const at = typeof value === 'string' ? [] : [index];
      if (typeof spec !== 'string' || spec.trim() === '') {
        ctx.addIssue({ code: 'custom', path: at, message: `expected a slot such as "09:00" or "Mon-Fri 08:30"; e.g. ${SLOTS_FILE_EXAMPLE}` });
        return;
      }
      const read = readSlotSpec(spec, SLOTS_FILE_EXAMPLE);
      if ('problem' in read) ctx.addIssue({ code: 'custom', path: at, message: `is ${read.problem}` });
      else rules.push(read.rule);
    });
    return rules;
  })
  .optional();

const ID_RULE = '1 to 32 lower-case letters, digits or "-"';

const accountId = z.preprocess(
  scalarText,
  z
    .string({
      error: (issue) => (issue.input === undefined || issue.input === null ? `is missing; expected the account id (${ID_RULE})` : `expected ${ID_RULE}`),
    })
    .regex(ACCOUNT_ID_PATTERN, { error: (issue) => `expected ${ID_RULE}, got ${JSON.stringify(issue.input)}` }),
);

const moderationChannelId = fromEnvironmentField('MODERATION_CHANNEL_ID').transform((value, ctx) => {
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: missingSnowflakeMessage(MODERATION_CHANNEL) });
    return z.NEVER;
  }
  return value;
});

const voice = z
  .unknown()
  .transform((value, ctx): string | undefined => {
    if (isUnset(value)) return undefined;
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: 'expected text: the paragraph that replaces the built-in voice' });
      return z.NEVER;
    }
    return value.trim();
  })
  .optional();

/** The keys of one account, in the order the README lists them (and problems are reported). */
const accountShape = {
  id: accountId,
  moderationChannelId,
  moderatorRoleId: fromEnvironmentField('MODERATOR_ROLE_ID'),
  dryRun: fromEnvironmentField('DRY_RUN'),
  postSchedule: fromEnvironmentField('POST_SCHEDULE'),
  postJitter: fromEnvironmentField('POST_JITTER'),
  activeHours: fromEnvironmentField('ACTIVE_HOURS'),
  timezone: fromEnvironmentField('TIMEZONE'),
  slots,
  slotGrace: fromEnvironmentField('SLOT_GRACE'),
  keepAhead: fromEnvironmentField('KEEP_AHEAD'),
  maxPostsPerHour: fromEnvironmentField('MAX_POSTS_PER_HOUR'),
  maxPostsPerDay: fromEnvironmentField('MAX_POSTS_PER_DAY'),
  maxPendingDrafts: fromEnvironmentField('MAX_PENDING_DRAFTS'),
  moderationTimeout: fromEnvironmentField('MODERATION_TIMEOUT'),
  timeoutAction: fromEnvironmentField('TIMEOUT_ACTION'),
  requireSecondApproval: fromEnvironmentField('REQUIRE_SECOND_APPROVAL'),
  voice,
  allowedLinkDomains: textList('[pump.fun, example.com]'),
  bannedPatterns,
  learning: fromEnvironmentField('LEARNING'),
  topicRepeatFactor: fromEnvironmentField('TOPIC_REPEAT_FACTOR'),
  voiceExamples: fromEnvironmentField('VOICE_EXAMPLES'),
};

// Unknown keys are reported by hand (unknownKeyProblem), with a suggestion or the secret's variable.
const accountSchema = z.object(accountShape);

/** Every key an account may have in accounts.yaml; the README and accounts.example.yaml document each. */
export const ACCOUNT_KEYS: readonly string[] = Object.keys(accountShape);
const TOP_LEVEL_KEYS: readonly string[] = ['accounts'];

/** Keys someone may use to put an X secret in the file, by the suffix of the variable to use instead. */
const SECRET_KEY_SUFFIX: Readonly<Record<string, string>> = {
  appkey: 'APP_KEY',
  consumerkey: 'APP_KEY',
  apikey: 'APP_KEY',
  appsecret: 'APP_SECRET',
  consumersecret: 'APP_SECRET',
  apisecret: 'APP_SECRET',
  apikeysecret: 'APP_SECRET',
  accesstoken: 'ACCESS_TOKEN',
  accesssecret: 'ACCESS_SECRET',
  accesstokensecret: 'ACCESS_SECRET',
};

function secretVariableFor(key: string, id: AccountId | undefined): string | undefined {
  const normalised = key.toLowerCase().replace(/[^a-z]/g, '');
  const suffix = SECRET_KEY_SUFFIX[normalised] ?? SECRET_KEY_SUFFIX[normalised.replace(/^(twitter|x)/, '')];
  if (suffix === undefined) {
    return (SECRET_VARIABLES as readonly string[]).includes(key) ? key : undefined;
  }
  if (id === undefined) return `TWITTER_<ID>_${suffix}`;
  const variables = twitterCredentialVariables(id);
  return variables.find((name) => name.endsWith(`_${suffix}`));
}

/** Levenshtein distance, for "did you mean" on a mistyped key. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function unknownKeyMessage(key: string, known: readonly string[], id: AccountId | undefined): string {
  const secretVariable = secretVariableFor(key, id);
  if (secretVariable !== undefined) return `secrets never go in the file; set ${secretVariable} in the environment instead`;
  const lower = key.toLowerCase();
  const best = known
    .map((name) => ({ name, d: distance(lower, name.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)
    .at(0);
  const hint = best && best.d <= Math.max(2, Math.floor(best.name.length / 4)) ? `did you mean ${best.name}?` : `expected one of ${known.join(', ')}`;
  return `unknown key; ${hint}`;
}

/** `accounts[1].bannedPatterns[0]` from a zod path. */
function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text === '' ? String(part) : `${text}.${String(part)}`), '');
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The file's accounts, or the problems found in it (all of them), with nothing resolved against the environment yet. */
export interface ParsedAccountsFile {
  readonly accounts: readonly FileAccount[] | undefined;
  /** Per entry of the file, its valid id if any: to check secrets even when another key of the entry is wrong. */
  readonly ids: ReadonlyArray<AccountId | undefined>;
  /** Per entry, its dryRun if the file sets a valid one. */
  readonly dryRuns: ReadonlyArray<boolean | undefined>;
  readonly problems: readonly AccountProblem[];
}

// yaml is loaded only when there is an accounts file to read: without ACCOUNTS_FILE it would be
// imported at every start for nothing (issue 16 §3).
const requireModule = createRequire(import.meta.url);
const parseDocument: typeof ParseDocument = (...args) => (requireModule('yaml') as { parseDocument: typeof ParseDocument }).parseDocument(...args);

/**
 * Reads and validates accounts.yaml. Never throws for a bad file: every problem is returned,
 * so the caller can list them together with the environment's.
 */
export function parseAccountsFile(absolutePath: string): ParsedAccountsFile {
  let text: string;
  try {
    text = readFileSync(absolutePath, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message.split(',')[0] : String(error);
    return failed({ variable: 'ACCOUNTS_FILE', inFile: false, message: `cannot be read: ${absolutePath} (${reason})` });
  }
  // intAsBigInt: an unquoted 19-digit Discord id would lose digits as a JS number.
  const document = parseDocument(text, { intAsBigInt: true });
  if (document.errors.length > 0) {
    // Only the first line of yaml's message: the rest quotes the file, which may hold a pasted secret.
    const reasons = document.errors.map((error) => error.message.split('\n')[0]!.replace(/:$/, ''));
    return failed({ variable: 'ACCOUNTS_FILE', inFile: false, message: `${absolutePath} is not valid YAML: ${reasons.join('; ')}` });
  }
  return validateAccounts(document.toJS() as unknown);
}

function failed(problem: AccountProblem): ParsedAccountsFile {
  return { accounts: undefined, ids: [], dryRuns: [], problems: [problem] };
}

/** Validates the parsed YAML: the shape with zod, then unknown keys and duplicate ids by hand. */
function validateAccounts(root: unknown): ParsedAccountsFile {
  const problems: AccountProblem[] = [];
  const fileProblem = (variable: string, message: string) => problems.push({ variable, message, inFile: true });

  if (root !== null && root !== undefined && !isMap(root)) {
    fileProblem('accounts', 'expected the file to be a map with an "accounts" list');
    return { accounts: undefined, ids: [], dryRuns: [], problems };
  }
  const top = root ?? {};
  for (const key of Object.keys(top)) {
    if (!TOP_LEVEL_KEYS.includes(key)) fileProblem(key, unknownKeyMessage(key, TOP_LEVEL_KEYS, undefined));
  }
  const list = top['accounts'];
  if (list === undefined || list === null) {
    fileProblem('accounts', 'is missing; expected a list of accounts, each with at least id and moderationChannelId');
    return { accounts: undefined, ids: [], dryRuns: [], problems };
  }
  if (!Array.isArray(list)) {
    fileProblem('accounts', 'expected a list of accounts, each with at least id and moderationChannelId');
    return { accounts: undefined, ids: [], dryRuns: [], problems };
  }
  if (list.length === 0) fileProblem('accounts', 'expected at least one account');

  const accounts: FileAccount[] = [];
  const ids: Array<AccountId | undefined> = [];
  const dryRuns: Array<boolean | undefined> = [];
  const firstIndexOf = new Map<AccountId, number>();
  list.forEach((entry: unknown, index) => {
    const at = `accounts[${index}]`;
    if (!isMap(entry)) {
      fileProblem(at, 'expected a map with at least id and moderationChannelId');
      ids.push(undefined);
      dryRuns.push(undefined);
      return;
    }
    const id = accountId.safeParse(entry['id']);
    const dryRun = accountShape.dryRun.safeParse(entry['dryRun']);
    const result = accountSchema.safeParse(entry);
    if (result.success) accounts.push(result.data);
    else for (const issue of result.error.issues) fileProblem(pathText([`accounts`, index, ...issue.path]), issue.message);
    for (const key of Object.keys(entry)) {
      if (!ACCOUNT_KEYS.includes(key)) fileProblem(`${at}.${key}`, unknownKeyMessage(key, ACCOUNT_KEYS, id.success ? id.data : undefined));
    }
    let uniqueId: AccountId | undefined = id.success ? id.data : undefined;
    if (uniqueId !== undefined) {
      const first = firstIndexOf.get(uniqueId);
      if (first !== undefined) {
        fileProblem(`${at}.id`, `${JSON.stringify(uniqueId)} is already the id of accounts[${first}]; every account needs its own id`);
        uniqueId = undefined;
      } else {
        firstIndexOf.set(uniqueId, index);
      }
    }
    ids.push(uniqueId);
    dryRuns.push(dryRun.success ? dryRun.data : undefined);
  });
  return { accounts: problems.length === 0 ? accounts : undefined, ids, dryRuns, problems };
}
