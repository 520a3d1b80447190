import { once } from 'node:events';
import {
  ActionRowBuilder,
  ApplicationCommandOptionType,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  ComponentType,
  Client,
  DiscordAPIError,
  EmbedBuilder,
  Events,
  GatewayIntentBits,
  HTTPError,
  LabelBuilder,
  MessageFlags,
  ModalBuilder,
  PermissionFlagsBits,
  TextInputBuilder,
  TextInputStyle,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type StringSelectMenuInteraction,
  type ChatInputCommandInteraction,
  type ClientOptions,
  type Interaction,
  type ModalSubmitInteraction,
  type TextChannel,
} from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { FakeDiscord, discordFaults } from '../support/fake-discord.js';
import type { RecordedRequest } from '../support/fake-http.js';
import { loadSpecValidator } from '../support/spec-validator.js';

let fake: FakeDiscord;
const clients: Client[] = [];

beforeEach(async () => {
  fake = new FakeDiscord();
  await fake.start();
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.destroy();
  await fake.stop();
});

/** Logs a real discord.js client into the fake and waits for `ready` (all guilds received). */
async function readyClient(options: Partial<ClientOptions> = {}): Promise<Client<true>> {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    ...options,
    rest: { api: fake.apiBase, ...options.rest },
  });
  clients.push(client);
  const ready = once(client, Events.ClientReady);
  await client.login(fake.botToken);
  await ready;
  return client as Client<true>;
}

function nextInteraction<T extends Interaction>(client: Client): Promise<T> {
  return once(client, Events.InteractionCreate).then(([interaction]) => interaction as T);
}

function moderationChannel(client: Client): TextChannel {
  const channel = client.channels.cache.get(fake.channelId);
  if (!channel?.isTextBased()) throw new Error('moderation channel not cached');
  return channel as TextChannel;
}

async function expectValidAgainstDiscordSpec(requests: RecordedRequest[]): Promise<void> {
  const validator = await loadSpecValidator('discord');
  expect(requests.length).toBeGreaterThan(0);
  for (const request of requests) expect(validator.validate(request), `${request.method} ${request.path}`).toEqual([]);
}

/** A tiny but structurally valid PNG header (640x360) followed by filler, like a rendered chart. */
function fakePng(): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(640, 8);
  ihdr.writeUInt32BE(360, 12);
  ihdr.writeUInt8(8, 16);
  ihdr.writeUInt8(6, 17);
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), ihdr, Buffer.alloc(2000, 0xab)]);
}

function approvalRow(): ActionRowBuilder<ButtonBuilder> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId('draft:approve:42').setLabel('Approve').setStyle(ButtonStyle.Success),
    new ButtonBuilder().setCustomId('draft:reject:42').setLabel('Reject').setStyle(ButtonStyle.Danger),
  );
}

describe('FakeDiscord gateway + login', () => {
  it('GIVEN the bot token WHEN discord.js logs in THEN it reaches ready over an uncompressed JSON gateway and caches guild, channel and roles', async () => {
    const client = await readyClient();

    expect(client.user.id).toBe(fake.botUserId);
    expect(client.application.id).toBe(fake.applicationId);
    const guild = client.guilds.cache.get(fake.guildId);
    expect(guild?.available).toBe(true);
    expect(guild?.channels.cache.get(fake.channelId)?.name).toBe('moderation');
    expect(guild?.roles.cache.get(fake.adminRoleId)?.permissions.has(PermissionFlagsBits.ManageGuild)).toBe(true);
    expect(guild?.roles.cache.get(fake.moderatorRoleId)?.permissions.has(PermissionFlagsBits.ManageGuild)).toBe(false);
    expect(guild?.roles.everyone.permissions.bitfield).toBe(0n);
    // Without the GUILD_MEMBERS intent Discord only sends the bot's own member.
    expect([...(guild?.members.cache.keys() ?? [])]).toEqual([fake.botUserId]);

    const [gatewayBot] = fake.requestsTo('GET', '/gateway/bot');
    expect(gatewayBot?.headers['authorization']).toBe(`Bot ${fake.botToken}`);
    expect(fake.gatewayConnections[0]?.query).toEqual({ v: '10', encoding: 'json' });
    expect(fake.identifyPayloads[0]).toMatchObject({ token: fake.botToken, intents: GatewayIntentBits.Guilds, compress: false, shard: [0, 1] });
    expect(fake.identifyCount).toBe(1);
    await expectValidAgainstDiscordSpec(fake.requestsTo('GET', '/gateway/bot'));
  });

  it('GIVEN the GUILD_MEMBERS intent THEN the bot, moderator, admin and plain members are cached with their roles', async () => {
    const client = await readyClient({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMembers] });
    const members = client.guilds.cache.get(fake.guildId)?.members.cache;

    expect(members?.size).toBe(4);
    expect(members?.get(fake.userIds.moderator)?.roles.cache.has(fake.moderatorRoleId)).toBe(true);
    expect(members?.get(fake.userIds.admin)?.permissions.has(PermissionFlagsBits.ManageGuild)).toBe(true);
    expect(members?.get(fake.userIds.plain)?.roles.cache.map((r) => r.id)).toEqual([fake.guildId]);
    expect(members?.get(fake.botUserId)?.user.bot).toBe(true);
  });

  it('GIVEN a short heartbeat interval THEN discord.js heartbeats, every beat is ACKed and the connection is never dropped as a zombie', async () => {
    await fake.stop();
    fake = new FakeDiscord({ heartbeatIntervalMs: 100 });
    await fake.start();
    const client = await readyClient();

    await expect.poll(() => fake.heartbeatCount, { timeout: 3_000 }).toBeGreaterThanOrEqual(4);
    expect(client.ws.ping).toBeGreaterThanOrEqual(0);
    expect(fake.connectionCount).toBe(1);
  });

  it('GIVEN a wrong token WHEN logging in THEN GET /gateway/bot answers 401 and discord.js rejects without opening the gateway', async () => {
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiBase } });
    clients.push(client);

    await expect(client.login('not-the-bot-token')).rejects.toMatchObject({ code: 'TokenInvalid' });
    expect(fake.requestsTo('GET', '/gateway/bot')).toHaveLength(1);
    expect(fake.connectionCount).toBe(0);
  });

  it('GIVEN a raw socket WHEN it identifies with a bad token or resumes an unknown session THEN it gets close 4004 / op 9', async () => {
    const socket = new WebSocket(`${fake.gatewayUrl}/?v=10&encoding=json`);
    const frames: Array<{ op: number; d: unknown }> = [];
    socket.on('message', (raw) => frames.push(JSON.parse(raw.toString()) as { op: number; d: unknown }));
    await once(socket, 'open');
    socket.send(JSON.stringify({ op: 6, d: { token: fake.botToken, session_id: 'nope', seq: 3 } }));
    await expect.poll(() => frames.map((f) => f.op)).toEqual([10, 9]);
    expect(frames[0]?.d).toMatchObject({ heartbeat_interval: 41_250 });
    expect(frames[1]?.d).toBe(false);

    socket.send(JSON.stringify({ op: 1, d: null }));
    await expect.poll(() => frames.map((f) => f.op)).toEqual([10, 9, 11]);

    socket.send(JSON.stringify({ op: 2, d: { token: 'wrong', intents: 1, properties: {} } }));
    const [code] = (await once(socket, 'close')) as [number];
    expect(code).toBe(4004);
    expect(fake.identifyCount).toBe(0);
  });
});

describe('FakeDiscord messages and interactions', () => {
  it('GIVEN the bot posts embeds + buttons WHEN a moderator clicks one THEN the interaction carries the full message and deferUpdate hits the callback route', async () => {
    const client = await readyClient();
    const sent = await moderationChannel(client).send({
      content: 'New draft <@&' + fake.moderatorRoleId + '>',
      embeds: [new EmbedBuilder().setTitle('Draft #42').setDescription('pump.fun is up 12%')],
      components: [approvalRow()],
      allowedMentions: { roles: [fake.moderatorRoleId] },
    });

    const stored = fake.messages.get(sent.id);
    expect(stored?.embeds[0]).toMatchObject({ type: 'rich', title: 'Draft #42' });
    expect(stored?.['author']).toMatchObject({ id: fake.botUserId, bot: true });
    expect(stored?.['mention_roles']).toEqual([fake.moderatorRoleId]);
    expect(fake.messagePayloads(sent.id)[0]?.['allowed_mentions']).toEqual({ roles: [fake.moderatorRoleId] });
    expect(sent.components).toHaveLength(1);

    const arriving = nextInteraction<ButtonInteraction>(client);
    const injected = fake.injectButtonClick({ messageId: sent.id, customId: 'draft:approve:42', userId: fake.userIds.moderator });
    const interaction = await arriving;

    expect(interaction.isButton()).toBe(true);
    expect(interaction.id).toBe(injected.id);
    expect(interaction.customId).toBe('draft:approve:42');
    expect(interaction.message.id).toBe(sent.id);
    expect(interaction.message.embeds[0]?.title).toBe('Draft #42');
    expect(interaction.user.id).toBe(fake.userIds.moderator);
    expect(interaction.inCachedGuild() && interaction.member.roles.cache.has(fake.moderatorRoleId)).toBe(true);
    expect(interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)).toBe(false);

    await interaction.deferUpdate();
    const callback = await fake.waitForCallback(injected.id);
    expect(callback.type).toBe(6);
    expect(callback.request.path).toBe(`/api/v10/interactions/${injected.id}/${injected.token}/callback`);
    expect(callback.request.query).toEqual({ with_response: 'false' });
    expect(fake.ackLatencyMs(injected.id)).toBeGreaterThanOrEqual(0);

    await interaction.editReply({ content: 'Approved by Mia', components: [] });
    expect(fake.messages.get(sent.id)).toMatchObject({ content: 'Approved by Mia', components: [] });
    await expectValidAgainstDiscordSpec([
      ...fake.requestsTo('POST', `/channels/${fake.channelId}/messages`),
      callback.request,
      ...fake.requestsTo('PATCH', /\/webhooks\/.*\/messages\/@original$/),
    ]);
  });

  it('GIVEN a button that does not exist on the message WHEN injecting a click THEN the fake refuses', async () => {
    const client = await readyClient();
    const sent = await moderationChannel(client).send({ content: 'x', components: [approvalRow()] });
    expect(() => fake.injectButtonClick({ messageId: sent.id, customId: 'missing' })).toThrow(/no button/);
    expect(() => fake.injectButtonClick({ messageId: '1', customId: 'draft:approve:42' })).toThrow(/unknown message/);
  });

  it('GIVEN registered commands WHEN a slash command defers ephemerally and edits THEN callback type 5 then PATCH @original update the stored reply', async () => {
    const client = await readyClient();
    await client.application.commands.set(
      [
        {
          name: 'draft',
          description: 'Draft a tweet',
          options: [
            { type: ApplicationCommandOptionType.String, name: 'topic', description: 'topic', required: true },
            { type: ApplicationCommandOptionType.Integer, name: 'count', description: 'how many' },
          ],
        },
      ],
      fake.guildId,
    );

    const arriving = nextInteraction<ChatInputCommandInteraction>(client);
    const injected = fake.injectSlashCommand({ name: 'draft', options: { topic: 'pump.fun', count: 3 }, userId: fake.userIds.admin });
    const interaction = await arriving;
    expect(interaction.isChatInputCommand()).toBe(true);
    expect(interaction.commandId).toBe(fake.commands[0]?.id);
    expect(interaction.options.getString('topic', true)).toBe('pump.fun');
    expect(interaction.options.getInteger('count')).toBe(3);
    expect(interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)).toBe(true);
    expect(interaction.appPermissions.has(PermissionFlagsBits.AttachFiles)).toBe(true);

    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const callback = await fake.waitForCallback(injected.id);
    expect(callback).toMatchObject({ type: 5, data: { flags: MessageFlags.Ephemeral } });
    expect(fake.originalResponse(injected.id)?.flags).toBe(MessageFlags.Ephemeral | MessageFlags.Loading);

    const edited = await interaction.editReply({ content: 'Drafting 3 tweets…' });
    const [patch] = fake.requestsTo('PATCH', `/webhooks/${fake.applicationId}/${injected.token}/messages/@original`);
    // @discordjs/rest percent-encodes the @ of @original on the wire.
    expect(patch?.path).toContain('%40original');
    expect(patch?.body).toMatchObject({ content: 'Drafting 3 tweets…' });
    expect(edited.content).toBe('Drafting 3 tweets…');
    expect(fake.originalResponse(injected.id)).toMatchObject({ content: 'Drafting 3 tweets…', flags: MessageFlags.Ephemeral });

    const followup = await interaction.followUp({ content: 'done', flags: MessageFlags.Ephemeral });
    expect(fake.messages.get(followup.id)?.content).toBe('done');
    // Ephemeral messages never show up in the channel history.
    expect(await moderationChannel(client).messages.fetch({ limit: 10 })).toHaveProperty('size', 0);
    await expectValidAgainstDiscordSpec([
      callback.request,
      patch as RecordedRequest,
      ...fake.requestsTo('POST', `/webhooks/${fake.applicationId}/${injected.token}`),
    ]);
  });

  it('GIVEN with_response=true WHEN the bot replies THEN the callback answers 200 with the interaction callback response', async () => {
    const client = await readyClient();
    const arriving = nextInteraction<ChatInputCommandInteraction>(client);
    const injected = fake.injectSlashCommand({ name: 'status' });
    const interaction = await arriving;

    const response = await interaction.reply({ content: 'all good', withResponse: true });
    expect(response.interaction.id).toBe(injected.id);
    expect(response.resource?.message?.content).toBe('all good');
    expect(fake.callbacks[0]?.request.query).toEqual({ with_response: 'true' });
    await expect(interaction.followUp('again')).resolves.toBeDefined();
  });

  it("GIVEN a second callback for one interaction THEN Discord's 40060 already-acknowledged error reaches the bot", async () => {
    const client = await readyClient();
    const arriving = nextInteraction<ChatInputCommandInteraction>(client);
    const injected = fake.injectSlashCommand({ name: 'status' });
    const interaction = await arriving;
    await interaction.deferReply();
    // Bypass discord.js's own "already replied" guard to reach the wire.
    const second = client.rest.post(`/interactions/${injected.id}/${injected.token}/callback`, { body: { type: 5 }, auth: false });
    await expect(second).rejects.toMatchObject({ code: 40060, status: 400 });
  });

  it('GIVEN a clock moved past the 3 s ack deadline WHEN the bot defers THEN it gets 10062 Unknown interaction', async () => {
    await fake.stop();
    let now = 1_750_000_000_000;
    fake = new FakeDiscord({ clock: () => now });
    await fake.start();
    const client = await readyClient();
    const arriving = nextInteraction<ChatInputCommandInteraction>(client);
    fake.injectSlashCommand({ name: 'status' });
    const interaction = await arriving;

    now += 3_001;
    await expect(interaction.deferReply()).rejects.toBeInstanceOf(DiscordAPIError);
    await expect(fake.waitForCallback(interaction.id, 50)).rejects.toThrow(/no callback/);
  });

  it('GIVEN a modal shown with legacy action rows WHEN submitted THEN getTextInputValue reads each field', async () => {
    const client = await readyClient();
    const sent = await moderationChannel(client).send({ content: 'Draft #7', components: [approvalRow()] });
    const clicked = nextInteraction<ButtonInteraction>(client);
    fake.injectButtonClick({ messageId: sent.id, customId: 'draft:reject:42' });
    const button = await clicked;
    await button.showModal(
      new ModalBuilder()
        .setCustomId('reject:42')
        .setTitle('Reject draft')
        .addComponents(
          new ActionRowBuilder<TextInputBuilder>().addComponents(
            new TextInputBuilder().setCustomId('reason').setLabel('Reason').setStyle(TextInputStyle.Paragraph),
          ),
        ),
    );
    expect((await fake.waitForCallback(button.id)).type).toBe(9);

    const submitted = nextInteraction<ModalSubmitInteraction>(client);
    const injected = fake.injectModalSubmit({ customId: 'reject:42', fields: { reason: 'too spicy' }, messageId: sent.id });
    const modal = await submitted;
    expect(modal.isModalSubmit()).toBe(true);
    expect(modal.fields.getTextInputValue('reason')).toBe('too spicy');
    if (!modal.isFromMessage()) throw new Error('modal submit lost its message');
    expect(modal.message.id).toBe(sent.id);
    await modal.update({ content: 'Rejected: too spicy', components: [] });
    expect((await fake.waitForCallback(injected.id)).type).toBe(7);
    expect(fake.messages.get(sent.id)?.content).toBe('Rejected: too spicy');
    expect(() => fake.injectModalSubmit({ customId: 'reject:42', fields: { nope: 'x' } })).toThrow(/not present/);
  });

  it('GIVEN a modal shown with label components WHEN submitted THEN the submit mirrors labels and fields are readable', async () => {
    const client = await readyClient();
    const command = nextInteraction<ChatInputCommandInteraction>(client);
    fake.injectSlashCommand({ name: 'edit' });
    const slash = await command;
    await slash.showModal(
      new ModalBuilder()
        .setCustomId('edit:9')
        .setTitle('Edit draft')
        .addLabelComponents(
          new LabelBuilder().setLabel('Text').setTextInputComponent(new TextInputBuilder().setCustomId('text').setStyle(TextInputStyle.Paragraph)),
        ),
    );
    await fake.waitForCallback(slash.id);

    const submitted = nextInteraction<ModalSubmitInteraction>(client);
    fake.injectModalSubmit({ customId: 'edit:9', fields: { text: 'gm pump.fun' } });
    const modal = await submitted;
    expect(modal.fields.getTextInputValue('text')).toBe('gm pump.fun');
    expect(modal.components[0]).toMatchObject({ type: 18, component: { customId: 'text', value: 'gm pump.fun' } });
    await modal.reply({ content: 'saved', flags: MessageFlags.Ephemeral });
  });

  it('GIVEN an autocomplete request WHEN the bot responds THEN callback type 8 carries the choices', async () => {
    const client = await readyClient();
    const arriving = nextInteraction<AutocompleteInteraction>(client);
    const injected = fake.injectAutocomplete({ name: 'draft', focused: 'topic', value: 'pu', options: { count: 2 } });
    const interaction = await arriving;
    expect(interaction.isAutocomplete()).toBe(true);
    expect(interaction.options.getFocused(true)).toMatchObject({ name: 'topic', value: 'pu' });
    expect(interaction.options.getInteger('count')).toBe(2);

    await interaction.respond([{ name: 'pump.fun', value: 'pump.fun' }]);
    const callback = await fake.waitForCallback(injected.id);
    expect(callback).toMatchObject({ type: 8, data: { choices: [{ name: 'pump.fun', value: 'pump.fun' }] } });
    await expectValidAgainstDiscordSpec([callback.request]);
  });

  it('GIVEN a bulk overwrite twice THEN commands keep their ids by name and GET returns them', async () => {
    const client = await readyClient();
    const first = await client.application.commands.set(
      [
        { name: 'draft', description: 'Draft' },
        { name: 'queue', description: 'Queue' },
      ],
      fake.guildId,
    );
    const second = await client.application.commands.set([{ name: 'draft', description: 'Draft v2' }], fake.guildId);

    expect(second.first()?.id).toBe(first.find((c) => c.name === 'draft')?.id);
    expect(fake.commands.map((c) => [c.name, c.description, c.guild_id])).toEqual([['draft', 'Draft v2', fake.guildId]]);
    const fetched = await client.application.commands.fetch({ guildId: fake.guildId });
    expect(fetched.map((c) => c.name)).toEqual(['draft']);

    await client.application.commands.set([{ name: 'ping', description: 'Ping' }]);
    expect(fake.commands.find((c) => c.name === 'ping')?.guild_id).toBeUndefined();
    await expectValidAgainstDiscordSpec([...fake.requestsTo('PUT', /\/commands$/)]);
  });

  it('GIVEN a PNG chart attachment WHEN sent as multipart THEN payload_json and the file bytes are recorded and the embed image resolves', async () => {
    const client = await readyClient();
    const png = fakePng();
    const sent = await moderationChannel(client).send({
      embeds: [new EmbedBuilder().setTitle('24h volume').setImage('attachment://chart.png')],
      files: [new AttachmentBuilder(png, { name: 'chart.png' })],
    });

    const [request] = fake.requestsTo('POST', `/channels/${fake.channelId}/messages`);
    expect(request?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const payload = JSON.parse(request?.multipart?.find((p) => p.name === 'payload_json')?.data.toString() ?? '{}') as Record<string, unknown>;
    expect(payload['attachments']).toMatchObject([{ id: '0' }]);
    const file = request?.multipart?.find((p) => p.filename === 'chart.png');
    expect(file?.data.equals(png)).toBe(true);
    expect(file?.contentType).toBe('image/png');

    const attachment = sent.attachments.first();
    expect(attachment).toMatchObject({ name: 'chart.png', size: png.length, width: 640, height: 360 });
    expect(sent.embeds[0]?.image?.url).toBe(attachment?.url);
    const downloaded = Buffer.from(await (await fetch(attachment?.url ?? '')).arrayBuffer());
    expect(downloaded.equals(png)).toBe(true);

    const edited = await sent.edit({ content: 'with chart', attachments: [attachment!] });
    expect(edited.attachments.map((a) => a.id)).toEqual([attachment?.id]);
    await expectValidAgainstDiscordSpec([request as RecordedRequest]);
  });
});

describe("FakeDiscord enforces Discord's message limits (item 9)", () => {
  it('GIVEN an embed over 6,000 characters in total THEN discord.js gets 400 Invalid Form Body (50035) with MAX_EMBED_SIZE_EXCEEDED and nothing is stored', async () => {
    const client = await readyClient();
    const embeds = [
      {
        description: 'd'.repeat(4_000),
        fields: [
          { name: 'f', value: 'v'.repeat(1_000) },
          { name: 'g', value: 'v'.repeat(1_000) },
        ],
      },
    ];
    const error = (await moderationChannel(client)
      .send({ embeds })
      .catch((e: unknown) => e)) as DiscordAPIError;
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect(error.status).toBe(400);
    expect(error.code).toBe(50035);
    expect(error.rawError).toEqual({
      message: 'Invalid Form Body',
      code: 50035,
      errors: { embeds: { _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' }] } },
    });
    expect(fake.messages.size).toBe(0);
  });

  it('GIVEN a description, field value, title, footer, button label or custom_id over its limit THEN each is refused with the path Discord names', async () => {
    const client = await readyClient();
    const channel = moderationChannel(client);
    const refused = async (payload: Parameters<typeof channel.send>[0]) => ((await channel.send(payload).catch((e: unknown) => e)) as DiscordAPIError).rawError;
    expect(await refused({ embeds: [{ description: 'd'.repeat(4_097) }] })).toMatchObject({
      code: 50035,
      errors: { embeds: { 0: { description: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } },
    });
    expect(await refused({ embeds: [{ title: 't'.repeat(257) }] })).toMatchObject({
      errors: { embeds: { 0: { title: { _errors: [{ message: 'Must be 256 or fewer in length.' }] } } } },
    });
    expect(await refused({ embeds: [{ fields: [{ name: 'n', value: 'v'.repeat(1_025) }] }] })).toMatchObject({
      errors: { embeds: { 0: { fields: { 0: { value: {} } } } } },
    });
    expect(await refused({ embeds: [{ description: 'x', footer: { text: 'f'.repeat(2_049) } }] })).toMatchObject({
      errors: { embeds: { 0: { footer: { text: {} } } } },
    });
    const button = (customId: string, label: string) => ({
      type: ComponentType.Button as const,
      style: ButtonStyle.Secondary as const,
      custom_id: customId,
      label,
    });
    expect(await refused({ content: 'x', components: [{ type: ComponentType.ActionRow, components: [button('a'.repeat(101), 'ok')] }] })).toMatchObject({
      errors: { components: { 0: { components: { 0: { custom_id: {} } } } } },
    });
    expect(await refused({ content: 'x', components: [{ type: ComponentType.ActionRow, components: [button('b', 'l'.repeat(81))] }] })).toMatchObject({
      errors: { components: { 0: { components: { 0: { label: {} } } } } },
    });
    expect(fake.messages.size).toBe(0);
  });

  it("GIVEN string select menus THEN the fake keeps Discord's rules (alone in a row, 1-25 options, option texts up to 100, unique custom_ids) and a choice arrives with its values", async () => {
    const client = await readyClient();
    const channel = moderationChannel(client);
    const refused = async (payload: Parameters<typeof channel.send>[0]) => ((await channel.send(payload).catch((e: unknown) => e)) as DiscordAPIError).rawError;
    const option = (value: string, label = value) => ({ label, value });
    const select = (customId: string, options: Array<{ label: string; value: string }>) => ({
      type: ComponentType.StringSelect as const,
      custom_id: customId,
      options,
    });
    const button = (customId: string) => ({ type: ComponentType.Button as const, style: ButtonStyle.Secondary as const, custom_id: customId, label: 'b' });
    const row = (...components: Array<ReturnType<typeof select> | ReturnType<typeof button>>) => ({ type: ComponentType.ActionRow as const, components });
    const options = (n: number) => Array.from({ length: n }, (_, i) => option(`v${i}`));
    expect(await refused({ content: 'x', components: [row(select('s', options(26)))] })).toMatchObject({
      errors: { components: { 0: { components: { 0: { options: {} } } } } },
    });
    expect(await refused({ content: 'x', components: [row(select('s', [option('v', 'l'.repeat(101))]))] })).toMatchObject({
      errors: { components: { 0: { components: { 0: { options: { 0: { label: {} } } } } } } },
    });
    expect(await refused({ content: 'x', components: [row(select('s', options(2)), button('b'))] })).toMatchObject({ code: 50035 });
    expect(await refused({ content: 'x', components: [row(button('same')), row(button('same'))] })).toMatchObject({ code: 50035 });
    expect(fake.messages.size).toBe(0);

    const sent = await channel.send({ content: 'x', components: [row(select('pick', options(25)))] });
    expect(() => fake.injectSelect({ messageId: sent.id, customId: 'pick', values: ['nope'] })).toThrow(/does not offer/);
    expect(() => fake.injectSelect({ messageId: sent.id, customId: 'missing', values: ['v1'] })).toThrow(/no select menu/);
    const arriving = nextInteraction<StringSelectMenuInteraction>(client);
    fake.injectSelect({ messageId: sent.id, customId: 'pick', values: ['v24'] });
    const interaction = await arriving;
    expect(interaction.isStringSelectMenu() && interaction.values).toEqual(['v24']);
    expect(interaction.message.id).toBe(sent.id);
    await interaction.deferUpdate();
  });
});

describe('FakeDiscord faults against the real client', () => {
  it('GIVEN a 429 with retry_after 0.3 s THEN discord.js waits it out and retries the same message', async () => {
    const client = await readyClient();
    const limited: unknown[] = [];
    client.rest.on('rateLimited', (info) => limited.push(info));
    fake.injectFault({ method: 'POST', path: `/channels/${fake.channelId}/messages` }, discordFaults.rateLimited(0.3));

    const sent = await moderationChannel(client).send('after the limit');
    const attempts = fake.requestsTo('POST', `/channels/${fake.channelId}/messages`);
    expect(attempts).toHaveLength(2);
    expect((attempts[1]?.receivedAt ?? 0) - (attempts[0]?.receivedAt ?? 0)).toBeGreaterThanOrEqual(300);
    expect(limited).toHaveLength(1);
    expect(fake.messages.get(sent.id)?.content).toBe('after the limit');
  });

  it('GIVEN two 500s THEN discord.js retries and the third attempt succeeds', async () => {
    const client = await readyClient();
    fake.injectFault({ method: 'POST', path: `/channels/${fake.channelId}/messages`, times: 2 }, discordFaults.serverError());
    const sent = await moderationChannel(client).send('eventually');
    expect(fake.requestsTo('POST', `/channels/${fake.channelId}/messages`)).toHaveLength(3);
    expect(fake.messages.has(sent.id)).toBe(true);
  });

  it('GIVEN 500s on every attempt THEN discord.js gives up after 1 + 3 retries with an HTTPError', async () => {
    const client = await readyClient();
    fake.injectFault({ method: 'POST', path: `/channels/${fake.channelId}/messages`, times: Infinity }, discordFaults.serverError(502));
    await expect(moderationChannel(client).send('never')).rejects.toBeInstanceOf(HTTPError);
    expect(fake.requestsTo('POST', `/channels/${fake.channelId}/messages`)).toHaveLength(4);
    expect(fake.messages.size).toBe(0);
  });

  it('GIVEN a request that hangs THEN discord.js times out (rest.timeout) and retries successfully', async () => {
    const client = await readyClient({ rest: { timeout: 300 } });
    fake.injectFault({ method: 'POST', path: `/channels/${fake.channelId}/messages` }, discordFaults.hang());
    const sent = await moderationChannel(client).send('after a hang');
    expect(fake.requestsTo('POST', `/channels/${fake.channelId}/messages`)).toHaveLength(2);
    expect(fake.messages.get(sent.id)?.content).toBe('after a hang');
  });

  it('GIVEN the gateway socket drops THEN discord.js RESUMEs, gets the interaction injected while it was away, and keeps receiving new ones', async () => {
    const client = await readyClient();
    const received: string[] = [];
    client.on(Events.InteractionCreate, (interaction) => received.push(interaction.id));
    const resumed = once(client, Events.ShardResume);

    await fake.disconnect();
    const missed = fake.injectSlashCommand({ name: 'status' });
    await fake.waitForGateway('resume', 1);
    await resumed;
    await expect.poll(() => received).toEqual([missed.id]);

    const fresh = fake.injectSlashCommand({ name: 'status' });
    await expect.poll(() => received).toEqual([missed.id, fresh.id]);
    expect(fake.identifyCount).toBe(1);
    expect(fake.connectionCount).toBe(2);
  });

  it('GIVEN a normal close (1000) THEN discord.js re-IDENTIFIEs on a new session and still receives interactions', async () => {
    // The default identify throttler would hold the second IDENTIFY ~5 s; real Discord needs that, the test does not.
    const client = await readyClient({ ws: { buildIdentifyThrottler: () => Promise.resolve({ waitForIdentify: () => Promise.resolve() }) } });
    await fake.disconnect(1000);
    await fake.waitForGateway('identify', 2);
    await expect.poll(() => client.ws.status).toBe(0);

    const arriving = nextInteraction<ChatInputCommandInteraction>(client);
    const injected = fake.injectSlashCommand({ name: 'status' });
    expect((await arriving).id).toBe(injected.id);
    expect(fake.resumeCount).toBe(0);
  });

  it('GIVEN op 7 RECONNECT THEN discord.js reconnects and resumes the session', async () => {
    await readyClient();
    fake.requestReconnect();
    await fake.waitForGateway('resume', 1);
    expect(fake.identifyCount).toBe(1);
  });
});
