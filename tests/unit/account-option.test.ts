import { ApplicationCommandOptionType, SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_OPTION_NAME,
  accountChoices,
  accountOption,
  accountOptionValue,
  isAccountFocused,
  respondWithAccounts,
  scopedAccountIds,
  type AccountChoice,
} from '../../src/adapters/discord/account-option.js';
import { UserError } from '../../src/adapters/discord/user-error.js';
import { resolveAccountScope } from '../../src/domain/account-scope.js';

const ACCOUNTS: AccountChoice[] = [
  { id: 'pumpfun', handle: 'pumpdotfun' },
  { id: 'pump-news', handle: 'pump_news' },
  { id: 'alerts', handle: null },
  { id: 'news-de' },
];

/** An autocomplete interaction as the router hands it over: the focused option and a recorded respond(). */
function autocomplete(focused: { name: string; value: string }): { interaction: AutocompleteInteraction; responses: unknown[][] } {
  const responses: unknown[][] = [];
  const stub = {
    options: { getFocused: (full?: boolean) => (full ? focused : focused.value) },
    respond: async (choices: unknown[]) => {
      responses.push(choices);
    },
  };
  return { interaction: stub as unknown as AutocompleteInteraction, responses };
}

describe('the shared account option', () => {
  it('GIVEN accountOption on a command and on a subcommand THEN both register an optional, autocompleted string option named account', () => {
    const json = new SlashCommandBuilder().setName('status').setDescription('status').addStringOption(accountOption('all')).toJSON();
    const topics = new SlashCommandBuilder()
      .setName('topics')
      .setDescription('topics')
      .addSubcommand((s) =>
        s
          .setName('set')
          .setDescription('set')
          .addStringOption((o) => o.setName('topic').setDescription('topic').setRequired(true))
          .addStringOption(accountOption('one')),
      )
      .toJSON();
    const expected = { type: ApplicationCommandOptionType.String, name: ACCOUNT_OPTION_NAME, required: false, autocomplete: true, max_length: 100 };
    expect(json.options).toEqual([expect.objectContaining(expected)]);
    const sub = topics.options?.[0] as { options?: Array<Record<string, unknown>> };
    expect(sub.options?.[1]).toEqual(expect.objectContaining(expected));
    // What omitting it does is part of the description, within Discord's 100 characters.
    expect(json.options?.[0]?.description).toMatch(/else every account/);
    expect(sub.options?.[1]?.['description']).not.toMatch(/every account/);
    for (const d of [json.options?.[0]?.description, sub.options?.[1]?.['description']]) expect(String(d).length).toBeLessThanOrEqual(100);
  });
});

describe('account autocomplete', () => {
  it('GIVEN nothing typed THEN every active account is offered in configuration order, named with its @handle when known', () => {
    expect(accountChoices(ACCOUNTS, '')).toEqual([
      { name: 'pumpfun (@pumpdotfun)', value: 'pumpfun' },
      { name: 'pump-news (@pump_news)', value: 'pump-news' },
      { name: 'alerts', value: 'alerts' },
      { name: 'news-de', value: 'news-de' },
    ]);
  });

  it('GIVEN a typed fragment THEN ids or handles starting with it come first, then those containing it, in any case', () => {
    expect(accountChoices(ACCOUNTS, 'NEWS').map((c) => c.value)).toEqual(['news-de', 'pump-news']);
    expect(accountChoices(ACCOUNTS, 'pump').map((c) => c.value)).toEqual(['pumpfun', 'pump-news']);
    expect(accountChoices(ACCOUNTS, 'zzz')).toEqual([]);
  });

  it('GIVEN a handle typed with @ THEN the account is found by its handle and the value is its id', () => {
    expect(accountChoices(ACCOUNTS, '@pumpdot')).toEqual([{ name: 'pumpfun (@pumpdotfun)', value: 'pumpfun' }]);
    expect(accountChoices(ACCOUNTS, ' _news ')).toEqual([{ name: 'pump-news (@pump_news)', value: 'pump-news' }]);
  });

  it("GIVEN 30 matching accounts THEN at most 25 choices, Discord's limit", () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ id: `acct-${i}` }));
    expect(accountChoices(many, 'acct')).toHaveLength(25);
  });

  it('GIVEN an autocomplete on the account option THEN respondWithAccounts answers the filtered choices once', async () => {
    const { interaction, responses } = autocomplete({ name: 'account', value: 'alert' });
    expect(isAccountFocused(interaction)).toBe(true);
    await respondWithAccounts(interaction, ACCOUNTS);
    expect(responses).toEqual([[{ name: 'alerts', value: 'alerts' }]]);
  });

  it("GIVEN an autocomplete on another option (e.g. /draft topic) THEN it is not the account option's", () => {
    expect(isAccountFocused(autocomplete({ name: 'topic', value: 'pump' }).interaction)).toBe(false);
  });
});

describe('reading the option and the scope in a command', () => {
  it('GIVEN a command with or without the option sent THEN accountOptionValue gives the value or null', () => {
    const command = (value: string | null) =>
      ({
        options: { getString: (name: string, required?: boolean) => (name === 'account' && required === false ? value : 'wrong call') },
      }) as unknown as ChatInputCommandInteraction;
    expect(accountOptionValue(command('pump-news'))).toBe('pump-news');
    expect(accountOptionValue(command(null))).toBeNull();
  });

  it('GIVEN a resolved scope THEN scopedAccountIds gives its ids, and a refusal becomes a UserError with its message and reason', () => {
    const active = [
      { id: 'pumpfun', moderationChannelId: '1' },
      { id: 'pump-news', moderationChannelId: '1' },
    ];
    expect(scopedAccountIds(resolveAccountScope({ account: null, channelId: '1', activeAccounts: active, whenUnnarrowed: 'all' }))).toEqual([
      'pumpfun',
      'pump-news',
    ]);
    const refused = resolveAccountScope({ account: null, channelId: '1', activeAccounts: active, whenUnnarrowed: 'one' });
    let error: unknown;
    try {
      scopedAccountIds(refused);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe('Which account? This command acts on one account: choose one of: `pumpfun`, `pump-news` (the `account` option).');
    expect((error as UserError).context).toEqual({ reason: 'account-required', choices: ['pumpfun', 'pump-news'] });
  });
});
