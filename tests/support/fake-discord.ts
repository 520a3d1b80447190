import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ChannelType,
  ComponentType,
  GatewayDispatchEvents,
  GatewayIntentBits,
  GatewayOpcodes,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
  PermissionFlagsBits,
} from 'discord.js';
import { imageSize } from 'image-size';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { FakeHttpServer, type FakeResponse, type Fault, type FaultMatcher, type MultipartPart, type RecordedRequest } from './fake-http.js';

/** Loosely typed JSON object: the fake builds Discord payloads by hand and checks them via discord.js itself. */
type Json = Record<string, unknown>;

const DISCORD_EPOCH_MS = 1_420_070_400_000;
/** Keeps generated snowflakes 18+ digits even under a test clock near 1970. */
const MIN_SNOWFLAKE_MS = 100_000_000_000;
const API_PREFIX = '/api/v10';

/** Thrown when a test drives the fake in a way real Discord could never produce (unknown message, button...). */
export class FakeDiscordError extends Error {
  constructor(
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'FakeDiscordError';
  }
}

/** The member fixtures of the fake guild. */
export interface FakeDiscordUserIds {
  readonly moderator: string;
  readonly admin: string;
  readonly plain: string;
}

/** Constructor options; every id defaults to a fixed, valid snowflake. */
export interface FakeDiscordOptions {
  readonly applicationId?: string;
  /** The bot user's id; Discord makes it equal to the application id, and so does the fake by default. */
  readonly botUserId?: string;
  readonly botToken?: string;
  readonly guildId?: string;
  /** The moderation channel (the only text channel in the guild). */
  readonly channelId?: string;
  readonly moderatorRoleId?: string;
  readonly adminRoleId?: string;
  readonly botRoleId?: string;
  readonly userIds?: Partial<FakeDiscordUserIds>;
  readonly heartbeatIntervalMs?: number;
  /** Discord rejects a first callback later than 3 s after the interaction with 10062 Unknown interaction. */
  readonly ackDeadlineMs?: number;
  /** Source of time for snowflakes, timestamps, injection and callback times (default `Date.now`). */
  readonly clock?: () => number;
}

/** A slash-command option value as a test supplies it; its Discord type comes from the registered command. */
export type SlashOptionValue = string | number | boolean;

/** The handle of an injected interaction. */
/** A file a user puts into a modal's file upload component. `contentType` null: Discord could not tell the type. */
export interface ModalUpload {
  readonly filename: string;
  readonly data: Buffer;
  readonly contentType?: string | null;
  /** The CDN answers 404 for it (an expired or deleted upload): the bot's download fails. */
  readonly unavailable?: boolean;
}

export interface InjectedInteraction {
  readonly id: string;
  readonly token: string;
}

/** An interaction callback Discord accepted (POST /interactions/:id/:token/callback). */
export interface RecordedCallback {
  readonly interactionId: string;
  readonly token: string;
  /** InteractionResponseType (4 reply, 5 deferred reply, 6 deferred update, 7 update, 8 autocomplete, 9 modal). */
  readonly type: number;
  readonly data: Json | undefined;
  readonly files: ReadonlyArray<{ readonly name: string; readonly size: number }>;
  readonly request: RecordedRequest;
  /** Clock time at which the fake handled the callback. */
  readonly receivedAt: number;
}

/** An application command as registered through the bulk-overwrite or create routes. */
export interface StoredCommand extends Json {
  readonly id: string;
  readonly name: string;
  readonly type: number;
  readonly application_id: string;
  readonly guild_id?: string;
  readonly options?: Json[];
}

/** A message in the fake's store, exactly as the fake returns it on the wire. */
export type FakeMessage = Json & {
  readonly id: string;
  readonly channel_id: string;
  content: string;
  embeds: Json[];
  components: Json[];
  attachments: Json[];
  flags: number;
};

/** What the gateway client asked for when it opened the WebSocket. */
export interface GatewayConnection {
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly openedAt: number;
  /** Set when the socket closed, with the close code the client (or the fake) used. */
  closedAt?: number;
  closeCode?: number;
}

/** How long Discord remembers a message nonce for `enforce_nonce` ("the past few minutes"). */
const NONCE_WINDOW_MS = 5 * 60_000;

/** Ready-made faults with Discord's real wire shapes, for `FakeDiscord.injectFault`. */
export const discordFaults = {
  /** A per-route (or global) 429 with the headers and body Discord sends. */
  rateLimited(retryAfterSeconds: number, options: { global?: boolean } = {}): Fault {
    const headers: Record<string, string> = {
      'retry-after': String(retryAfterSeconds),
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String((Date.now() / 1000 + retryAfterSeconds).toFixed(3)),
      'x-ratelimit-reset-after': String(retryAfterSeconds),
      'x-ratelimit-bucket': 'fake-bucket-0001',
      'x-ratelimit-scope': options.global ? 'global' : 'user',
    };
    if (options.global) headers['x-ratelimit-global'] = 'true';
    return {
      status: 429,
      headers,
      body: { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: options.global ?? false },
    };
  },
  serverError(status = 500): Fault {
    return { status, body: { message: `${status}: Internal Server Error`, code: 0 } };
  },
  hang(): Fault {
    return { hang: true };
  },
} as const;

interface InteractionRecord {
  readonly id: string;
  readonly token: string;
  readonly type: number;
  readonly userId: string;
  readonly sentAt: number;
  /** The channel the interaction happened in; the bot's replies to it land there. */
  readonly channelId: string;
  /** The message a component or modal-from-message interaction is attached to. */
  readonly sourceMessageId?: string;
  acknowledged: boolean;
  originalMessageId?: string;
}

interface GatewaySession {
  readonly id: string;
  readonly intents: number;
  seq: number;
  readonly events: Array<{ s: number; t: string; d: unknown }>;
  socket: WebSocket | undefined;
}

interface DiscordUserFixture {
  readonly id: string;
  readonly username: string;
  readonly globalName: string | null;
  readonly bot: boolean;
  readonly roleIds: readonly string[];
}

/**
 * A fake Discord (REST under `/api/v10` + JSON gateway) that the real discord.js client talks to.
 * Build the client with `rest: { api: fake.apiBase }`; discord.js discovers the gateway through
 * GET /gateway/bot. State (messages, commands, callbacks) is observable for assertions.
 */
export class FakeDiscord {
  readonly http = new FakeHttpServer('fake-discord');
  readonly applicationId: string;
  readonly botUserId: string;
  readonly botToken: string;
  readonly guildId: string;
  readonly channelId: string;
  readonly everyoneRoleId: string;
  readonly moderatorRoleId: string;
  readonly adminRoleId: string;
  readonly botRoleId: string;
  readonly userIds: FakeDiscordUserIds;
  readonly heartbeatIntervalMs: number;
  readonly ackDeadlineMs: number;

  /** Every message the bot created, by id (ephemeral ones included, flagged 64). */
  readonly messages = new Map<string, FakeMessage>();
  readonly callbacks: RecordedCallback[] = [];
  readonly gatewayConnections: GatewayConnection[] = [];
  /** The `d` of every IDENTIFY received. */
  readonly identifyPayloads: Json[] = [];
  connectionCount = 0;
  identifyCount = 0;
  resumeCount = 0;
  heartbeatCount = 0;

  private readonly clock: () => number;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly events = new EventEmitter();
  private readonly interactions = new Map<string, InteractionRecord>();
  private readonly interactionsByToken = new Map<string, InteractionRecord>();
  private readonly payloadHistory = new Map<string, Json[]>();
  private readonly attachmentBytes = new Map<string, Buffer>();
  private readonly globalCommandStore: StoredCommand[] = [];
  private readonly guildCommandStore = new Map<string, StoredCommand[]>();
  private readonly sessions = new Map<string, GatewaySession>();
  private readonly users: Map<string, DiscordUserFixture>;
  private currentSession: GatewaySession | undefined;
  private snowflakeCounter = 0;
  private tokenCounter = 0;
  private readonly startedAt: number;
  /** Where interactions injected from another guild or from a DM happen (see injectInteraction). */
  private readonly foreignChannelId = '1200000000000000901';
  private readonly dmChannelId = '1200000000000000902';
  /** The guild's text channels by id: the moderation channel, then any `addChannel` added. */
  private readonly channels = new Map<string, { readonly name: string; readonly topic: string }>();

  constructor(options: FakeDiscordOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.startedAt = this.clock();
    this.applicationId = options.applicationId ?? '1200000000000000001';
    this.botUserId = options.botUserId ?? this.applicationId;
    this.botToken = options.botToken ?? 'MTIwMDAwMDAwMDAwMDAwMDAwMQ.FAKE00.draftgate-fake-discord-token';
    this.guildId = options.guildId ?? '1200000000000000100';
    this.everyoneRoleId = this.guildId;
    this.channelId = options.channelId ?? '1200000000000000200';
    this.channels.set(this.channelId, { name: 'moderation', topic: 'Draft approvals' });
    this.moderatorRoleId = options.moderatorRoleId ?? '1200000000000000301';
    this.adminRoleId = options.adminRoleId ?? '1200000000000000302';
    this.botRoleId = options.botRoleId ?? '1200000000000000303';
    this.userIds = {
      moderator: options.userIds?.moderator ?? '1200000000000000401',
      admin: options.userIds?.admin ?? '1200000000000000402',
      plain: options.userIds?.plain ?? '1200000000000000403',
    };
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
    this.ackDeadlineMs = options.ackDeadlineMs ?? 3_000;
    this.users = new Map<string, DiscordUserFixture>([
      [this.botUserId, { id: this.botUserId, username: 'draftgate', globalName: null, bot: true, roleIds: [this.botRoleId] }],
      [this.userIds.moderator, { id: this.userIds.moderator, username: 'mod_mia', globalName: 'Mia (mod)', bot: false, roleIds: [this.moderatorRoleId] }],
      [this.userIds.admin, { id: this.userIds.admin, username: 'admin_ada', globalName: 'Ada (admin)', bot: false, roleIds: [this.adminRoleId] }],
      [this.userIds.plain, { id: this.userIds.plain, username: 'plain_pat', globalName: 'Pat', bot: false, roleIds: [] }],
    ]);
    this.events.setMaxListeners(100);
    this.registerRoutes();
    this.http.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGatewayConnection(ws, req));
    });
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<string> {
    return this.http.start();
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await this.http.stop();
  }

  get url(): string {
    return this.http.url;
  }

  /** What to pass as discord.js `rest.api` (discord.js appends `/v10`). */
  get apiBase(): string {
    return `${this.http.url}/api`;
  }

  get gatewayUrl(): string {
    return this.http.url.replace(/^http/, 'ws');
  }

  // ---------------------------------------------------------------- recorded traffic / faults

  get requests(): RecordedRequest[] {
    return this.http.requests;
  }

  /** Requests by method and path; a string path is relative to `/api/v10` when it does not start with it. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.http.requestsTo(method, typeof path === 'string' ? this.apiPath(path) : path);
  }

  /** Arms a REST fault; a string `path` is relative to `/api/v10` like in `requestsTo`. */
  injectFault(matcher: FaultMatcher, fault: Fault): void {
    const path = typeof matcher.path === 'string' ? this.apiPath(matcher.path) : matcher.path;
    this.http.injectFault({ ...matcher, ...(path !== undefined ? { path } : {}) }, fault);
  }

  waitForRequest(predicate: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest> {
    return this.http.waitForRequest(predicate, timeoutMs);
  }

  /** All registered application commands (global ones have no `guild_id`). */
  get commands(): StoredCommand[] {
    return [...this.globalCommandStore, ...[...this.guildCommandStore.values()].flat()];
  }

  /** Every JSON payload (create then edits) the bot sent for a message, including `allowed_mentions`. */
  messagePayloads(messageId: string): readonly Json[] {
    return this.payloadHistory.get(messageId) ?? [];
  }

  /** The message that answers an interaction (`@original`), once the interaction was acknowledged. */
  originalResponse(interactionId: string): FakeMessage | undefined {
    const id = this.interactions.get(interactionId)?.originalMessageId;
    return id === undefined ? undefined : this.messages.get(id);
  }

  /** Resolves with the first stored message (existing or future) matching `predicate`. */
  waitForMessage(predicate: (message: FakeMessage) => boolean, timeoutMs = 10_000): Promise<FakeMessage> {
    return this.waitFor('message', () => [...this.messages.values()].find(predicate), timeoutMs, 'no matching message');
  }

  /** Resolves with the accepted callback of an interaction. */
  waitForCallback(interactionId: string, timeoutMs = 10_000): Promise<RecordedCallback> {
    return this.waitFor(
      'callback',
      () => this.callbacks.find((c) => c.interactionId === interactionId),
      timeoutMs,
      `no callback for interaction ${interactionId}`,
    );
  }

  /** Milliseconds between sending INTERACTION_CREATE and the bot's accepted callback. */
  ackLatencyMs(interactionId: string): number {
    const interaction = this.interactions.get(interactionId);
    const callback = this.callbacks.find((c) => c.interactionId === interactionId);
    if (!interaction || !callback) {
      throw new FakeDiscordError('ackLatencyMs: interaction was not injected or not acknowledged', { interactionId });
    }
    return callback.receivedAt - interaction.sentAt;
  }

  /** Resolves once the gateway counter (`connect`, `identify`, `resume`) reaches `atLeast`. */
  waitForGateway(kind: 'connect' | 'identify' | 'resume', atLeast: number, timeoutMs = 15_000): Promise<number> {
    const read = () => ({ connect: this.connectionCount, identify: this.identifyCount, resume: this.resumeCount })[kind];
    return this.waitFor('gateway', () => (read() >= atLeast ? read() : undefined), timeoutMs, `${kind} count < ${atLeast}`);
  }

  // ---------------------------------------------------------------- gateway control

  /**
   * Drops the bot's gateway socket. Without a code the TCP connection is cut (client sees 1006 and
   * resumes); with a code a close frame is sent (4000 → resume; 1000 → discord.js re-identifies).
   */
  async disconnect(code?: number): Promise<void> {
    const socket = this.currentSession?.socket;
    if (!socket) throw new FakeDiscordError('disconnect: no gateway connection');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (code === undefined) socket.terminate();
    else socket.close(code, 'fake-discord disconnect');
    await closed;
  }

  /** Sends op 7 RECONNECT, after which discord.js reconnects and resumes. */
  requestReconnect(): void {
    const socket = this.currentSession?.socket;
    if (!socket) throw new FakeDiscordError('requestReconnect: no gateway connection');
    this.send(socket, { op: GatewayOpcodes.Reconnect, d: null, s: null, t: null });
  }

  /** Sends a dispatch event on the current session (queued for replay when the socket is down). */
  dispatch(t: string, d: unknown): number {
    const session = this.currentSession;
    if (!session) throw new FakeDiscordError('dispatch: no identified gateway session', { t });
    session.seq += 1;
    const event = { s: session.seq, t, d };
    session.events.push(event);
    if (session.socket) this.send(session.socket, { op: GatewayOpcodes.Dispatch, ...event });
    return session.seq;
  }

  // ---------------------------------------------------------------- interaction injection

  /** Injects a CHAT_INPUT command; option types are taken from the registered command when there is one. */
  injectSlashCommand(input: {
    name: string;
    options?: Record<string, SlashOptionValue>;
    subcommand?: string;
    userId?: string;
    /** Sent from another guild (its id), or from a DM (null); default: the fake guild. */
    guildId?: string | null;
    /** The guild channel it is used in (see addChannel); default: the moderation channel. */
    channelId?: string;
  }): InjectedInteraction {
    const command = this.findCommand(input.name);
    const definitions = this.optionDefinitions(command, input.subcommand);
    const resolved: Json = {};
    let options = Object.entries(input.options ?? {}).map(([name, value]) => this.buildOption(name, value, definitions, resolved));
    if (input.subcommand !== undefined) {
      options = [{ type: ApplicationCommandOptionType.Subcommand, name: input.subcommand, options }];
    }
    const data: Json = {
      id: command?.id ?? this.snowflake(),
      name: input.name,
      type: ApplicationCommandType.ChatInput,
      // Discord omits `options` entirely for a command invoked without any.
      ...(options.length > 0 ? { options } : {}),
      ...(command?.guild_id ? { guild_id: command.guild_id } : {}),
      ...(Object.keys(resolved).length > 0 ? { resolved } : {}),
    };
    return this.injectInteraction(InteractionType.ApplicationCommand, data, input.userId, undefined, input.guildId, input.channelId);
  }

  /** Injects an autocomplete request with `focused` marked as the option being typed. */
  injectAutocomplete(input: {
    name: string;
    focused: string;
    value: string;
    options?: Record<string, SlashOptionValue>;
    subcommand?: string;
    userId?: string;
    /** Sent from another guild (its id), or from a DM (null); default: the fake guild. */
    guildId?: string | null;
    /** The guild channel it is used in (see addChannel); default: the moderation channel. */
    channelId?: string;
  }): InjectedInteraction {
    const command = this.findCommand(input.name);
    const definitions = this.optionDefinitions(command, input.subcommand);
    const focusedType = definitions.find((d) => d['name'] === input.focused)?.['type'] ?? ApplicationCommandOptionType.String;
    let options: Json[] = Object.entries(input.options ?? {})
      .filter(([name]) => name !== input.focused)
      .map(([name, value]) => this.buildOption(name, value, definitions, {}));
    // While typing, Discord sends the partial input as a string whatever the option's type.
    options.push({ type: focusedType, name: input.focused, value: input.value, focused: true });
    if (input.subcommand !== undefined) {
      options = [{ type: ApplicationCommandOptionType.Subcommand, name: input.subcommand, options }];
    }
    const data: Json = {
      id: command?.id ?? this.snowflake(),
      name: input.name,
      type: ApplicationCommandType.ChatInput,
      options,
      ...(command?.guild_id ? { guild_id: command.guild_id } : {}),
    };
    return this.injectInteraction(InteractionType.ApplicationCommandAutocomplete, data, input.userId, undefined, input.guildId, input.channelId);
  }

  /** Injects a click on a button of a message the bot posted; the full message rides along, as on Discord. */
  injectButtonClick(input: {
    messageId: string;
    customId: string;
    userId?: string;
    guildId?: string | null;
    /**
     * A client still showing an earlier version of the message (Discord delivers such clicks, with
     * the message as it is now): the button need only have been on one of the message's versions.
     */
    stale?: boolean;
  }): InjectedInteraction {
    const message = this.messages.get(input.messageId);
    if (!message) throw new FakeDiscordError('injectButtonClick: unknown message', { messageId: input.messageId });
    const versions = input.stale
      ? [message.components, ...this.messagePayloads(input.messageId).map((p) => (Array.isArray(p['components']) ? (p['components'] as Json[]) : []))]
      : [message.components];
    const button = versions
      .map((components) => findComponent(components, (c) => c['type'] === ComponentType.Button && c['custom_id'] === input.customId))
      .find((found) => found !== undefined);
    if (!button) {
      throw new FakeDiscordError('injectButtonClick: the message has no button with that custom_id', {
        messageId: input.messageId,
        customId: input.customId,
      });
    }
    const data: Json = { custom_id: input.customId, component_type: ComponentType.Button, id: button['id'] };
    return this.injectInteraction(InteractionType.MessageComponent, data, input.userId, message, input.guildId);
  }

  /**
   * Injects a choice in a string select menu of a message the bot posted. As Discord does, it
   * refuses values that are not among the menu's options, and more or fewer than the menu allows.
   */
  injectSelect(input: { messageId: string; customId: string; values: readonly string[]; userId?: string; guildId?: string | null }): InjectedInteraction {
    const message = this.messages.get(input.messageId);
    if (!message) throw new FakeDiscordError('injectSelect: unknown message', { messageId: input.messageId });
    const select = findComponent(message.components, (c) => c['type'] === ComponentType.StringSelect && c['custom_id'] === input.customId);
    if (!select)
      throw new FakeDiscordError('injectSelect: the message has no select menu with that custom_id', { messageId: input.messageId, customId: input.customId });
    const offered = ((select['options'] as Json[] | undefined) ?? []).map((o) => String(o['value']));
    const min = Number(select['min_values'] ?? 1);
    const max = Number(select['max_values'] ?? 1);
    if (input.values.some((v) => !offered.includes(v)) || input.values.length < min || input.values.length > max) {
      throw new FakeDiscordError('injectSelect: values the menu does not offer', { customId: input.customId, values: input.values.join(',') });
    }
    const data: Json = { custom_id: input.customId, component_type: ComponentType.StringSelect, values: [...input.values], id: select['id'] };
    return this.injectInteraction(InteractionType.MessageComponent, data, input.userId, message, input.guildId);
  }

  /**
   * Injects a modal submit. When the bot showed the modal (callback type 9) the submitted components
   * mirror its layout (legacy action rows or type-18 labels) and unknown field ids are rejected;
   * otherwise `layout` decides (default action rows).
   */
  injectModalSubmit(input: {
    customId: string;
    fields: Record<string, string>;
    /**
     * Files for the modal's file upload components (type 19), by custom_id. As on Discord, the
     * client uploads them first: the fake keeps the bytes, serves them from its attachment CDN
     * route, and the submit carries the attachment ids as the component's `values` and their
     * descriptions in `data.resolved.attachments`.
     */
    files?: Record<string, readonly ModalUpload[]>;
    /** Choices in the modal's string selects (in labels), by custom_id; checked against the options and min/max. */
    selects?: Record<string, readonly string[]>;
    messageId?: string;
    userId?: string;
    layout?: 'actionRow' | 'label';
    guildId?: string | null;
  }): InjectedInteraction {
    const message = input.messageId === undefined ? undefined : this.messages.get(input.messageId);
    if (input.messageId !== undefined && !message) {
      throw new FakeDiscordError('injectModalSubmit: unknown message', { messageId: input.messageId });
    }
    const shown = [...this.callbacks].reverse().find((c) => c.type === InteractionResponseType.Modal && c.data?.['custom_id'] === input.customId);
    const attachments: Record<string, Json> = {};
    const components = shown
      ? this.modalSubmitFromShown(shown.data?.['components'], input, attachments, message?.channel_id ?? this.channelId)
      : this.modalSubmitFromFields(input.fields, input.layout ?? 'actionRow');
    if (!shown && (input.files || input.selects))
      throw new FakeDiscordError('injectModalSubmit: files and selects need a modal the bot showed', { customId: input.customId });
    const data: Json = { custom_id: input.customId, components, ...(Object.keys(attachments).length > 0 ? { resolved: { attachments } } : {}) };
    return this.injectInteraction(InteractionType.ModalSubmit, data, input.userId, message, input.guildId);
  }

  /** The bytes the fake CDN serves for an attachment id (a message's or a modal upload's); undefined when unknown. */
  attachmentData(attachmentId: string): Buffer | undefined {
    return this.attachmentBytes.get(attachmentId);
  }

  // ---------------------------------------------------------------- fixtures (also served over REST)

  /**
   * Adds a guild member (e.g. a second moderator) and returns their id. Members joined this way
   * appear in interactions and REST at once; a connected client only sees them via interactions,
   * as with a real guild and no GuildMembers intent.
   */
  addMember(input: { username: string; globalName?: string | null; roleIds?: readonly string[]; id?: string }): string {
    const id = input.id ?? this.snowflake();
    if (this.users.has(id)) throw new FakeDiscordError('addMember: the user already exists', { id });
    this.users.set(id, { id, username: input.username, globalName: input.globalName ?? null, bot: false, roleIds: [...(input.roleIds ?? [])] });
    return id;
  }

  /** The READY/GUILD_CREATE user object of a fixture user. */
  userPayload(userId: string): Json {
    const user = this.users.get(userId);
    if (!user) throw new FakeDiscordError('unknown fixture user', { userId });
    const payload: Json = {
      id: user.id,
      username: user.username,
      discriminator: '0',
      global_name: user.globalName,
      avatar: null,
      public_flags: 0,
      flags: 0,
      banner: null,
      accent_color: null,
      avatar_decoration_data: null,
      primary_guild: null,
      collectibles: null,
    };
    if (user.bot) Object.assign(payload, { bot: true, verified: true, mfa_enabled: false });
    return payload;
  }

  /** Permissions a member holds in the guild: the union of @everyone and their roles (Administrator = all). */
  memberPermissions(userId: string): bigint {
    const user = this.users.get(userId);
    if (!user) throw new FakeDiscordError('unknown fixture user', { userId });
    let bits = 0n;
    for (const role of this.roles()) {
      if (role.id === this.everyoneRoleId || user.roleIds.includes(role.id)) bits |= BigInt(role.permissions);
    }
    if (bits & PermissionFlagsBits.Administrator) return allPermissions();
    return bits;
  }

  memberPayload(userId: string): Json {
    const user = this.users.get(userId);
    if (!user) throw new FakeDiscordError('unknown fixture user', { userId });
    return {
      user: this.userPayload(userId),
      nick: null,
      avatar: null,
      banner: null,
      roles: [...user.roleIds],
      joined_at: new Date(this.startedAt).toISOString(),
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      communication_disabled_until: null,
      avatar_decoration_data: null,
    };
  }

  /**
   * Another text channel in the fake guild (e.g. a second account's moderation channel); add it
   * before the bot connects, so GUILD_CREATE lists it. Returns its id. Messages remember their
   * channel, and a message is found only under its own channel, as on Discord.
   */
  addChannel(name: string, id = `12000000000000002${(this.channels.size + 10).toString().padStart(2, '0')}`): string {
    if (this.channels.has(id)) throw new FakeDiscordError('addChannel: the channel exists', { channelId: id });
    this.channels.set(id, { name, topic: `Draft approvals (${name})` });
    return id;
  }

  /** The ids of the guild's text channels, the moderation channel first. */
  get channelIds(): string[] {
    return [...this.channels.keys()];
  }

  channelPayload(channelId = this.channelId): Json {
    const channel = this.channels.get(channelId) ?? { name: 'moderation', topic: 'Draft approvals' };
    return {
      id: channelId,
      type: ChannelType.GuildText,
      guild_id: this.guildId,
      name: channel.name,
      position: [...this.channels.keys()].indexOf(channelId),
      permission_overwrites: [],
      topic: channel.topic,
      nsfw: false,
      last_message_id: null,
      rate_limit_per_user: 0,
      parent_id: null,
      last_pin_timestamp: null,
      flags: 0,
    };
  }

  /** The GUILD_CREATE payload; members beyond the bot only with the GUILD_MEMBERS intent, as on Discord. */
  guildCreatePayload(intents: number): Json {
    const memberIds = (intents & GatewayIntentBits.GuildMembers) !== 0 ? [...this.users.keys()] : [this.botUserId];
    return {
      id: this.guildId,
      name: 'Draftgate Test Guild',
      icon: null,
      icon_hash: null,
      splash: null,
      discovery_splash: null,
      owner_id: this.userIds.admin,
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      widget_channel_id: null,
      verification_level: 0,
      default_message_notifications: 1,
      explicit_content_filter: 0,
      roles: this.roles(),
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      max_presences: null,
      max_members: 500_000,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      safety_alerts_channel_id: null,
      incidents_data: null,
      joined_at: new Date(this.startedAt).toISOString(),
      large: false,
      unavailable: false,
      member_count: this.users.size,
      voice_states: [],
      members: memberIds.map((id) => this.memberPayload(id)),
      channels: this.channelIds.map((id) => this.channelPayload(id)),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  roles(): Array<Json & { id: string; permissions: string }> {
    const basic =
      PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ReadMessageHistory | PermissionFlagsBits.UseApplicationCommands;
    const role = (id: string, name: string, position: number, permissions: bigint, extra: Json = {}) => ({
      id,
      name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position,
      permissions: permissions.toString(),
      managed: false,
      mentionable: false,
      flags: 0,
      ...extra,
    });
    return [
      role(this.everyoneRoleId, '@everyone', 0, 0n),
      role(this.moderatorRoleId, 'Moderator', 1, basic, { mentionable: true }),
      role(this.adminRoleId, 'Admin', 2, basic | PermissionFlagsBits.ManageGuild),
      role(this.botRoleId, 'draftgate', 3, basic | PermissionFlagsBits.EmbedLinks | PermissionFlagsBits.AttachFiles, {
        managed: true,
        tags: { bot_id: this.botUserId },
      }),
    ];
  }

  // ---------------------------------------------------------------- gateway internals

  private onGatewayConnection(socket: WebSocket, req: IncomingMessage): void {
    this.connectionCount += 1;
    const query = Object.fromEntries(new URL(req.url ?? '/', 'http://fake').searchParams.entries());
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    const connection: GatewayConnection = { query, headers, openedAt: this.clock() };
    this.gatewayConnections.push(connection);
    socket.on('close', (code: number) => {
      connection.closedAt = this.clock();
      connection.closeCode = code;
    });
    this.events.emit('gateway');
    let session: GatewaySession | undefined;
    socket.on('message', (raw: RawData, isBinary: boolean) => {
      let payload: { op?: unknown; d?: unknown };
      try {
        // The fake only speaks JSON without transport compression, like discord.js without zlib-sync.
        if (isBinary) throw new Error('binary frame');
        payload = JSON.parse(rawDataToString(raw)) as { op?: unknown; d?: unknown };
      } catch {
        socket.close(4002, 'Error while decoding payload.');
        return;
      }
      const d = (payload.d ?? {}) as Json;
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          this.heartbeatCount += 1;
          this.send(socket, { op: GatewayOpcodes.HeartbeatAck });
          return;
        case GatewayOpcodes.Identify: {
          if (session) return socket.close(4005, 'Already authenticated.');
          if (d['token'] !== this.botToken) return socket.close(4004, 'Authentication failed.');
          this.identifyCount += 1;
          this.identifyPayloads.push(d);
          session = this.openSession(socket, typeof d['intents'] === 'number' ? d['intents'] : 0);
          this.dispatch(GatewayDispatchEvents.Ready, {
            v: 10,
            user: this.userPayload(this.botUserId),
            guilds: [{ id: this.guildId, unavailable: true }],
            session_id: session.id,
            resume_gateway_url: this.gatewayUrl,
            shard: Array.isArray(d['shard']) ? d['shard'] : [0, 1],
            application: { id: this.applicationId, flags: 0 },
            user_settings: {},
            presences: [],
            private_channels: [],
            relationships: [],
            guild_join_requests: [],
            geo_ordered_rtc_regions: [],
            _trace: ['["fake-discord-gateway",{"micros":0}]'],
          });
          this.dispatch(GatewayDispatchEvents.GuildCreate, this.guildCreatePayload(session.intents));
          this.events.emit('gateway');
          return;
        }
        case GatewayOpcodes.Resume: {
          if (session) return socket.close(4005, 'Already authenticated.');
          if (d['token'] !== this.botToken) return socket.close(4004, 'Authentication failed.');
          const resumed = this.sessions.get(String(d['session_id']));
          if (!resumed) {
            this.send(socket, { op: GatewayOpcodes.InvalidSession, d: false });
            return;
          }
          this.resumeCount += 1;
          resumed.socket?.terminate();
          resumed.socket = socket;
          session = resumed;
          this.currentSession = resumed;
          const since = typeof d['seq'] === 'number' ? d['seq'] : 0;
          for (const event of resumed.events.filter((e) => e.s > since)) {
            this.send(socket, { op: GatewayOpcodes.Dispatch, ...event });
          }
          this.dispatch(GatewayDispatchEvents.Resumed, { _trace: ['["fake-discord-gateway",{"micros":0}]'] });
          this.events.emit('gateway');
          return;
        }
        case GatewayOpcodes.PresenceUpdate:
        case GatewayOpcodes.VoiceStateUpdate:
        case GatewayOpcodes.RequestGuildMembers:
          if (!session) socket.close(4003, 'Not authenticated.');
          return;
        default:
          socket.close(4001, 'Unknown opcode.');
      }
    });
    socket.on('close', () => {
      if (session && session.socket === socket) session.socket = undefined;
    });
    this.send(socket, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.heartbeatIntervalMs, _trace: [] }, s: null, t: null });
  }

  private openSession(socket: WebSocket, intents: number): GatewaySession {
    // A fresh IDENTIFY invalidates the previous session, so its missed events are gone (as on Discord).
    if (this.currentSession) this.sessions.delete(this.currentSession.id);
    const session: GatewaySession = {
      id: `fakesession${this.identifyCount.toString().padStart(8, '0')}`,
      intents,
      seq: 0,
      events: [],
      socket,
    };
    this.sessions.set(session.id, session);
    this.currentSession = session;
    return session;
  }

  private send(socket: WebSocket, payload: Json): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
  }

  // ---------------------------------------------------------------- interaction internals

  /**
   * `guildId` other than the fake guild's makes the interaction come from another guild the bot
   * was added to (same member roles and permissions, a channel of that guild); null makes it a DM
   * (no guild, no member, only `user`), as Discord sends them.
   */
  private injectInteraction(
    type: number,
    data: Json,
    userId = this.userIds.moderator,
    message?: FakeMessage,
    guildId: string | null = this.guildId,
    // A component or modal happens in its message's channel.
    channelId: string = message?.channel_id ?? this.channelId,
  ): InjectedInteraction {
    if (!this.users.has(userId)) throw new FakeDiscordError('inject: the user is not a member of the fake guild', { userId });
    if (!this.channels.has(channelId)) throw new FakeDiscordError('inject: no such channel in the fake guild', { channelId });
    const id = this.snowflake();
    this.tokenCounter += 1;
    // Discord's interaction tokens are base64url of `interaction:<id>:<secret>`; URL-safe on the wire.
    const token = Buffer.from(`interaction:${id}:fake${this.tokenCounter.toString().padStart(6, '0')}`).toString('base64url');
    const member = { ...this.memberPayload(userId), permissions: this.memberPermissions(userId).toString() };
    const where: Json =
      guildId === null
        ? {
            channel_id: this.dmChannelId,
            channel: { id: this.dmChannelId, type: ChannelType.DM, recipients: [this.userPayload(userId)], last_message_id: null, flags: 0 },
            user: this.userPayload(userId),
            authorizing_integration_owners: { '1': userId },
            context: 1,
          }
        : {
            guild_id: guildId,
            guild: { id: guildId, locale: 'en-US', features: [] },
            channel_id: guildId === this.guildId ? channelId : this.foreignChannelId,
            channel: {
              ...this.channelPayload(channelId),
              ...(guildId === this.guildId ? {} : { id: this.foreignChannelId, guild_id: guildId }),
              permissions: this.memberPermissions(userId).toString(),
            },
            member,
            guild_locale: 'en-US',
            authorizing_integration_owners: { '0': guildId },
            context: 0,
          };
    const payload: Json = {
      id,
      application_id: this.applicationId,
      type,
      data,
      ...where,
      token,
      version: 1,
      app_permissions: this.memberPermissions(this.botUserId).toString(),
      locale: 'en-US',
      entitlements: [],
      attachment_size_limit: FAKE_ATTACHMENT_SIZE_LIMIT,
      ...(message ? { message } : {}),
    };
    const record: InteractionRecord = {
      id,
      token,
      type,
      userId,
      sentAt: this.clock(),
      // Replies to an interaction from elsewhere stay where they always were in this fake: the moderation channel.
      channelId: guildId === this.guildId ? channelId : this.channelId,
      ...(message ? { sourceMessageId: message.id } : {}),
      acknowledged: false,
    };
    this.interactions.set(id, record);
    this.interactionsByToken.set(token, record);
    this.dispatch(GatewayDispatchEvents.InteractionCreate, payload);
    return { id, token };
  }

  private findCommand(name: string): StoredCommand | undefined {
    const guild = this.guildCommandStore.get(this.guildId) ?? [];
    return (
      guild.find((c) => c.name === name && c.type === ApplicationCommandType.ChatInput) ??
      this.globalCommandStore.find((c) => c.name === name && c.type === ApplicationCommandType.ChatInput)
    );
  }

  private optionDefinitions(command: StoredCommand | undefined, subcommand: string | undefined): Json[] {
    const top = command?.options ?? [];
    if (subcommand === undefined) return top;
    const sub = top.find((o) => o['name'] === subcommand && o['type'] === ApplicationCommandOptionType.Subcommand);
    return (sub?.['options'] as Json[] | undefined) ?? [];
  }

  private buildOption(name: string, value: SlashOptionValue, definitions: Json[], resolved: Json): Json {
    const declared = definitions.find((d) => d['name'] === name)?.['type'];
    const type =
      typeof declared === 'number'
        ? declared
        : typeof value === 'boolean'
          ? ApplicationCommandOptionType.Boolean
          : typeof value === 'number'
            ? Number.isInteger(value)
              ? ApplicationCommandOptionType.Integer
              : ApplicationCommandOptionType.Number
            : ApplicationCommandOptionType.String;
    const id = String(value);
    const bucket = (key: string): Json => (resolved[key] ??= {}) as Json;
    if (type === ApplicationCommandOptionType.User || type === ApplicationCommandOptionType.Mentionable) {
      if (this.users.has(id)) {
        bucket('users')[id] = this.userPayload(id);
        const { user: _user, ...member } = this.memberPayload(id);
        bucket('members')[id] = { ...member, permissions: this.memberPermissions(id).toString() };
      }
    }
    if (type === ApplicationCommandOptionType.Role || type === ApplicationCommandOptionType.Mentionable) {
      const role = this.roles().find((r) => r.id === id);
      if (role) bucket('roles')[id] = role;
    }
    if (type === ApplicationCommandOptionType.Channel && this.channels.has(id)) {
      bucket('channels')[id] = { ...this.channelPayload(id), permissions: allPermissions().toString() };
    }
    // An attachment option's value is the id of a file uploaded with uploadSlashAttachment (issue 14).
    const attachment = type === ApplicationCommandOptionType.Attachment ? slashAttachments.get(this)?.get(id) : undefined;
    if (attachment) bucket('attachments')[id] = attachment.payload;
    return { type, name, value };
  }

  private modalSubmitFromShown(
    shownComponents: unknown,
    input: { customId: string; fields: Record<string, string>; files?: Record<string, readonly ModalUpload[]>; selects?: Record<string, readonly string[]> },
    attachments: Record<string, Json>,
    channelId: string,
  ): Json[] {
    const { customId, fields } = input;
    const files = input.files ?? {};
    const selects = input.selects ?? {};
    const shown = Array.isArray(shownComponents) ? (shownComponents as Json[]) : [];
    const known = new Set<string>();
    let nextId = 1;
    const field = (component: Json): Json => {
      const fieldId = String(component['custom_id']);
      const id = component['id'] ?? nextId++;
      if (component['type'] === ComponentType.FileUpload) {
        const uploads = files[fieldId] ?? [];
        known.add(`file:${fieldId}`);
        const min = Number(component['min_values'] ?? 1);
        const max = Number(component['max_values'] ?? 1);
        const required = component['required'] !== false;
        if ((uploads.length > 0 || required) && (uploads.length < min || uploads.length > max)) {
          throw new FakeDiscordError('injectModalSubmit: Discord lets a file upload take only min_values..max_values files', {
            customId: fieldId,
            count: uploads.length,
            min,
            max,
          });
        }
        const ids = uploads.map((upload) => {
          const attachment = this.storeUpload(upload, channelId);
          attachments[String(attachment['id'])] = attachment;
          return String(attachment['id']);
        });
        return { type: ComponentType.FileUpload, id, custom_id: fieldId, values: ids };
      }
      if (component['type'] === ComponentType.StringSelect) {
        const values = selects[fieldId] ?? [];
        known.add(`select:${fieldId}`);
        const offered = ((component['options'] as Json[] | undefined) ?? []).map((o) => String(o['value']));
        const min = Number(component['min_values'] ?? 1);
        const max = Number(component['max_values'] ?? 1);
        const required = component['required'] !== false;
        if (values.some((v) => !offered.includes(v)) || ((values.length > 0 || required) && (values.length < min || values.length > max))) {
          throw new FakeDiscordError('injectModalSubmit: values the select does not offer', { customId: fieldId, values: values.join(',') });
        }
        return { type: ComponentType.StringSelect, id, custom_id: fieldId, values: [...values] };
      }
      known.add(fieldId);
      return { type: ComponentType.TextInput, id, custom_id: fieldId, value: fields[fieldId] ?? '' };
    };
    const submitted = shown.map((top): Json => {
      const id = top['id'] ?? nextId++;
      if (top['type'] === ComponentType.Label) {
        return { type: ComponentType.Label, id, component: field(top['component'] as Json) };
      }
      if (top['type'] === ComponentType.ActionRow) {
        return { type: ComponentType.ActionRow, id, components: ((top['components'] as Json[] | undefined) ?? []).map(field) };
      }
      return { type: top['type'], id };
    });
    const unknown = [
      ...Object.keys(fields).filter((f) => !known.has(f)),
      ...Object.keys(files).filter((f) => !known.has(`file:${f}`)),
      ...Object.keys(selects).filter((f) => !known.has(`select:${f}`)),
    ];
    if (unknown.length > 0) {
      throw new FakeDiscordError('injectModalSubmit: fields not present in the modal the bot showed', { customId, unknown });
    }
    return submitted;
  }

  /**
   * A file a user uploaded into a modal: kept under a new attachment id and served by the CDN
   * route, described the way Discord's `resolved.attachments` does (width and height for images).
   */
  private storeUpload(upload: ModalUpload, channelId: string): Json {
    const id = this.snowflake();
    if (!upload.unavailable) this.attachmentBytes.set(id, upload.data);
    const url = `${this.http.url}/attachments/${channelId}/${id}/${encodeURIComponent(upload.filename)}`;
    return {
      id,
      filename: upload.filename,
      size: upload.data.length,
      url,
      proxy_url: url,
      ...(upload.contentType !== null ? { content_type: upload.contentType ?? 'application/octet-stream' } : {}),
      ...imageDimensions(upload.data),
      ephemeral: true,
    };
  }

  private modalSubmitFromFields(fields: Record<string, string>, layout: 'actionRow' | 'label'): Json[] {
    let nextId = 1;
    return Object.entries(fields).map(([fieldId, value]) => {
      const id = nextId++;
      const input = { type: ComponentType.TextInput, id: nextId++, custom_id: fieldId, value };
      return layout === 'label' ? { type: ComponentType.Label, id, component: input } : { type: ComponentType.ActionRow, id, components: [input] };
    });
  }

  // ---------------------------------------------------------------- REST

  private registerRoutes(): void {
    const api = (path: string) => `${API_PREFIX}${path}`;
    const http = this.http;
    http.route('GET', api('/gateway'), () => ({ status: 200, body: { url: this.gatewayUrl } }));
    http.route(
      'GET',
      api('/gateway/bot'),
      this.authed(() => ({
        status: 200,
        body: {
          url: this.gatewayUrl,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
        },
      })),
    );
    http.route(
      'GET',
      api('/users/@me'),
      this.authed(() => ({ status: 200, body: this.userPayload(this.botUserId) })),
    );
    http.route(
      'GET',
      api('/applications/@me'),
      this.authed(() => ({
        status: 200,
        body: {
          id: this.applicationId,
          name: 'draftgate',
          icon: null,
          description: '',
          bot_public: false,
          bot_require_code_grant: false,
          verify_key: '0'.repeat(64),
          flags: 0,
          bot: this.userPayload(this.botUserId),
          owner: this.userPayload(this.userIds.admin),
          team: null,
        },
      })),
    );

    // Application commands.
    http.route(
      'GET',
      api('/applications/:appId/commands'),
      this.authed((_r, p) => this.withApp(p, () => ({ status: 200, body: this.globalCommandStore }))),
    );
    http.route(
      'PUT',
      api('/applications/:appId/commands'),
      this.authed((r, p) => this.withApp(p, () => this.overwriteCommands(r, undefined))),
    );
    http.route(
      'POST',
      api('/applications/:appId/commands'),
      this.authed((r, p) => this.withApp(p, () => this.upsertCommand(r, undefined))),
    );
    http.route(
      'GET',
      api('/applications/:appId/guilds/:guildId/commands'),
      this.authed((_r, p) => this.withApp(p, () => this.withGuild(p, () => ({ status: 200, body: this.guildCommandStore.get(this.guildId) ?? [] })))),
    );
    http.route(
      'PUT',
      api('/applications/:appId/guilds/:guildId/commands'),
      this.authed((r, p) => this.withApp(p, () => this.withGuild(p, () => this.overwriteCommands(r, this.guildId)))),
    );
    http.route(
      'POST',
      api('/applications/:appId/guilds/:guildId/commands'),
      this.authed((r, p) => this.withApp(p, () => this.withGuild(p, () => this.upsertCommand(r, this.guildId)))),
    );

    // Guild, channel, members (for bots that fetch instead of relying on the cache).
    http.route(
      'GET',
      api('/guilds/:guildId'),
      this.authed((_r, p) =>
        this.withGuild(p, () => {
          const { members: _m, channels: _c, voice_states: _v, presences: _p, threads: _t, ...guild } = this.guildCreatePayload(0);
          return { status: 200, body: guild };
        }),
      ),
    );
    http.route(
      'GET',
      api('/guilds/:guildId/roles'),
      this.authed((_r, p) => this.withGuild(p, () => ({ status: 200, body: this.roles() }))),
    );
    http.route(
      'GET',
      api('/guilds/:guildId/channels'),
      this.authed((_r, p) => this.withGuild(p, () => ({ status: 200, body: this.channelIds.map((id) => this.channelPayload(id)) }))),
    );
    http.route(
      'GET',
      api('/guilds/:guildId/members/:userId'),
      this.authed((_r, p) =>
        this.withGuild(p, () =>
          this.users.has(p['userId'] ?? '') ? { status: 200, body: this.memberPayload(p['userId'] ?? '') } : discordError(404, 10007, 'Unknown Member'),
        ),
      ),
    );
    http.route(
      'GET',
      api('/channels/:channelId'),
      this.authed((_r, p) => this.withChannel(p, () => ({ status: 200, body: this.channelPayload(p['channelId']) }))),
    );

    // Channel messages.
    http.route(
      'GET',
      api('/channels/:channelId/messages'),
      this.authed((r, p) =>
        this.withChannel(p, () => {
          const limit = Math.min(Number(r.query['limit'] ?? 50) || 50, 100);
          const visible = [...this.messages.values()]
            .filter((m) => m.channel_id === p['channelId'] && (m.flags & MessageFlags.Ephemeral) === 0)
            .sort((a, b) => compareSnowflakes(b.id, a.id));
          return { status: 200, body: visible.slice(0, limit) };
        }),
      ),
    );
    http.route(
      'POST',
      api('/channels/:channelId/messages'),
      this.authed((r, p) =>
        this.withChannel(p, () => {
          const { payload, files } = readPayload(r);
          const invalid = validateMessagePayload(payload, files, false);
          if (invalid) return invalid;
          // enforce_nonce: a message the bot created with the same nonce in the past few minutes is
          // returned instead of creating another (Discord's guard against retried creates).
          const nonce = payload['nonce'];
          if (payload['enforce_nonce'] === true && nonce !== undefined) {
            const earlier = [...this.messages.values()].find(
              (m) => m.channel_id === p['channelId'] && m['nonce'] === nonce && this.clock() - Date.parse(String(m.timestamp)) <= NONCE_WINDOW_MS,
            );
            if (earlier) return { status: 200, body: earlier };
          }
          const message = this.createMessage({ payload, files, type: MessageType.Default, channelId: p['channelId'] ?? this.channelId });
          return { status: 200, body: message };
        }),
      ),
    );
    http.route(
      'GET',
      api('/channels/:channelId/messages/:messageId'),
      this.authed((_r, p) =>
        this.withChannel(p, () => {
          const message = this.channelMessage(p);
          if (!message) return discordError(404, 10008, 'Unknown Message');
          return { status: 200, body: message };
        }),
      ),
    );
    http.route(
      'PATCH',
      api('/channels/:channelId/messages/:messageId'),
      this.authed((r, p) =>
        this.withChannel(p, () => {
          const message = this.channelMessage(p);
          if (!message) return discordError(404, 10008, 'Unknown Message');
          return this.editMessage(message, r);
        }),
      ),
    );
    http.route(
      'DELETE',
      api('/channels/:channelId/messages/:messageId'),
      this.authed((_r, p) =>
        this.withChannel(p, () => {
          if (!this.channelMessage(p) || !this.messages.delete(p['messageId'] ?? '')) return discordError(404, 10008, 'Unknown Message');
          return { status: 204 };
        }),
      ),
    );

    // Interaction callbacks and the interaction webhook. Discord authenticates these by token, not bot auth.
    http.route('POST', api('/interactions/:interactionId/:token/callback'), (r, p) => this.handleCallback(r, p));
    http.route('GET', api('/webhooks/:appId/:token/messages/@original'), (_r, p) =>
      this.withInteractionMessage(p, 'original', (message) => ({ status: 200, body: message })),
    );
    http.route('PATCH', api('/webhooks/:appId/:token/messages/@original'), (r, p) =>
      this.withInteractionMessage(p, 'original', (message) => this.editMessage(message, r)),
    );
    http.route('DELETE', api('/webhooks/:appId/:token/messages/@original'), (_r, p) =>
      this.withInteractionMessage(p, 'original', (message) => {
        this.messages.delete(message.id);
        return { status: 204 };
      }),
    );
    http.route('POST', api('/webhooks/:appId/:token'), (r, p) => this.handleFollowup(r, p));
    http.route('GET', api('/webhooks/:appId/:token/messages/:messageId'), (_r, p) =>
      this.withInteractionMessage(p, p['messageId'] ?? '', (message) => ({ status: 200, body: message })),
    );
    http.route('PATCH', api('/webhooks/:appId/:token/messages/:messageId'), (r, p) =>
      this.withInteractionMessage(p, p['messageId'] ?? '', (message) => this.editMessage(message, r)),
    );
    http.route('DELETE', api('/webhooks/:appId/:token/messages/:messageId'), (_r, p) =>
      this.withInteractionMessage(p, p['messageId'] ?? '', (message) => {
        this.messages.delete(message.id);
        return { status: 204 };
      }),
    );

    // Stand-in for the CDN so attachment URLs in returned messages resolve.
    http.route('GET', '/attachments/:channelId/:attachmentId/:filename', (_r, p) => {
      const bytes = this.attachmentBytes.get(p['attachmentId'] ?? '');
      return bytes ? { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: bytes } : { status: 404 };
    });
  }

  private apiPath(path: string): string {
    return path.startsWith(API_PREFIX) || path.startsWith('/attachments/') ? path : `${API_PREFIX}${path}`;
  }

  private authed(
    handler: (request: RecordedRequest, params: Record<string, string>) => FakeResponse,
  ): (request: RecordedRequest, params: Record<string, string>) => FakeResponse {
    return (request, params) =>
      request.headers['authorization'] === `Bot ${this.botToken}` ? handler(request, params) : discordError(401, 0, '401: Unauthorized');
  }

  private withApp(params: Record<string, string>, then: () => FakeResponse): FakeResponse {
    return params['appId'] === this.applicationId ? then() : discordError(403, 50001, 'Missing Access');
  }

  private withGuild(params: Record<string, string>, then: () => FakeResponse): FakeResponse {
    return params['guildId'] === this.guildId ? then() : discordError(404, 10004, 'Unknown Guild');
  }

  private withChannel(params: Record<string, string>, then: () => FakeResponse): FakeResponse {
    return this.channels.has(params['channelId'] ?? '') ? then() : discordError(404, 10003, 'Unknown Channel');
  }

  /** A channel message as the channel routes see it: a message in another channel is unknown there, as on Discord. */
  private channelMessage(params: Record<string, string>): FakeMessage | undefined {
    const message = this.messages.get(params['messageId'] ?? '');
    if (!message || (message.flags & MessageFlags.Ephemeral) !== 0 || message.channel_id !== params['channelId']) return undefined;
    return message;
  }

  private overwriteCommands(request: RecordedRequest, guildId: string | undefined): FakeResponse {
    if (!Array.isArray(request.body)) return discordError(400, 50035, 'Invalid Form Body');
    const previous = guildId ? (this.guildCommandStore.get(guildId) ?? []) : this.globalCommandStore;
    const stored = (request.body as Json[]).map((command) => this.storeCommand(command, previous, guildId));
    if (guildId) this.guildCommandStore.set(guildId, stored);
    else this.globalCommandStore.splice(0, this.globalCommandStore.length, ...stored);
    return { status: 200, body: stored };
  }

  private upsertCommand(request: RecordedRequest, guildId: string | undefined): FakeResponse {
    const body = request.body as Json | undefined;
    if (!body || typeof body['name'] !== 'string') return discordError(400, 50035, 'Invalid Form Body');
    const list = guildId ? (this.guildCommandStore.get(guildId) ?? []) : this.globalCommandStore;
    const command = this.storeCommand(body, list, guildId);
    const index = list.findIndex((c) => c.id === command.id);
    if (index >= 0) list[index] = command;
    else list.push(command);
    if (guildId) this.guildCommandStore.set(guildId, list);
    return { status: index >= 0 ? 200 : 201, body: command };
  }

  private storeCommand(command: Json, previous: StoredCommand[], guildId: string | undefined): StoredCommand {
    const type = typeof command['type'] === 'number' ? command['type'] : ApplicationCommandType.ChatInput;
    // Discord keeps a command's id when an overwrite carries the same name and type.
    const existing = previous.find((c) => c.name === command['name'] && c.type === type);
    return {
      default_member_permissions: null,
      dm_permission: true,
      nsfw: false,
      integration_types: [0],
      contexts: null,
      description_localizations: null,
      name_localizations: null,
      ...command,
      id: existing?.id ?? this.snowflake(),
      application_id: this.applicationId,
      version: this.snowflake(),
      type,
      name: String(command['name']),
      description: typeof command['description'] === 'string' ? command['description'] : '',
      ...(guildId ? { guild_id: guildId } : {}),
    };
  }

  private handleCallback(request: RecordedRequest, params: Record<string, string>): FakeResponse {
    const interaction = this.interactions.get(params['interactionId'] ?? '');
    const now = this.clock();
    if (!interaction || interaction.token !== params['token'] || now - interaction.sentAt > this.ackDeadlineMs) {
      return discordError(404, 10062, 'Unknown interaction');
    }
    if (interaction.acknowledged) return discordError(400, 40060, 'Interaction has already been acknowledged.');
    const { payload, files } = readPayload(request);
    const type = payload['type'];
    const data = payload['data'] as Json | undefined;
    const allowed = allowedCallbackTypes(interaction);
    if (typeof type !== 'number' || !allowed.includes(type)) {
      return discordError(400, 50035, 'Invalid Form Body', {
        type: { _errors: [{ code: 'INTERACTION_RESPONSE_TYPE_INVALID', message: 'Invalid interaction response type' }] },
      });
    }
    let message: FakeMessage | undefined;
    switch (type) {
      case InteractionResponseType.ChannelMessageWithSource:
      case InteractionResponseType.DeferredChannelMessageWithSource: {
        const deferred = type === InteractionResponseType.DeferredChannelMessageWithSource;
        const body = data ?? {};
        if (!deferred) {
          const invalid = validateMessagePayload(body, files, false);
          if (invalid) return invalid;
        }
        const flags = (Number(body['flags'] ?? 0) & MessageFlags.Ephemeral) | (deferred ? MessageFlags.Loading : 0);
        message = this.createMessage({
          payload: deferred ? {} : body,
          files: deferred ? [] : files,
          type: interaction.type === InteractionType.ApplicationCommand ? MessageType.ChatInputCommand : MessageType.Reply,
          flags,
          interaction,
        });
        interaction.originalMessageId = message.id;
        break;
      }
      case InteractionResponseType.Modal: {
        const invalid = validateModal(data ?? {});
        if (invalid) return invalid;
        break;
      }
      case InteractionResponseType.DeferredMessageUpdate:
      case InteractionResponseType.UpdateMessage: {
        const source = interaction.sourceMessageId ? this.messages.get(interaction.sourceMessageId) : undefined;
        if (!source) return discordError(404, 10008, 'Unknown Message');
        interaction.originalMessageId = source.id;
        if (type === InteractionResponseType.UpdateMessage) {
          const invalid = validateMessagePayload(data ?? {}, files, true);
          if (invalid) return invalid;
          this.applyEdit(source, data ?? {}, files);
        }
        message = source;
        break;
      }
      default:
        break;
    }
    interaction.acknowledged = true;
    const callback: RecordedCallback = {
      interactionId: interaction.id,
      token: interaction.token,
      type,
      data,
      files: files.map((f) => ({ name: f.filename ?? f.name, size: f.data.length })),
      request,
      receivedAt: now,
    };
    this.callbacks.push(callback);
    this.events.emit('callback');
    if (request.query['with_response'] !== 'true') return { status: 204 };
    const loading = message ? (message.flags & MessageFlags.Loading) !== 0 : undefined;
    return {
      status: 200,
      body: {
        interaction: {
          id: interaction.id,
          type: interaction.type,
          ...(message
            ? {
                response_message_id: message.id,
                response_message_loading: loading,
                response_message_ephemeral: (message.flags & MessageFlags.Ephemeral) !== 0,
              }
            : {}),
        },
        ...(message && type !== InteractionResponseType.DeferredMessageUpdate ? { resource: { type, message } } : { resource: { type } }),
      },
    };
  }

  private handleFollowup(request: RecordedRequest, params: Record<string, string>): FakeResponse {
    const interaction = this.interactionsByToken.get(params['token'] ?? '');
    if (params['appId'] !== this.applicationId || !interaction || !interaction.acknowledged) {
      return discordError(404, 10015, 'Unknown Webhook');
    }
    const { payload, files } = readPayload(request);
    const invalid = validateMessagePayload(payload, files, false);
    if (invalid) return invalid;
    const message = this.createMessage({
      payload,
      files,
      type: MessageType.Default,
      flags: Number(payload['flags'] ?? 0) & MessageFlags.Ephemeral,
      interaction,
    });
    return { status: 200, body: message };
  }

  private withInteractionMessage(params: Record<string, string>, which: string, then: (message: FakeMessage) => FakeResponse): FakeResponse {
    const interaction = this.interactionsByToken.get(params['token'] ?? '');
    if (params['appId'] !== this.applicationId || !interaction) return discordError(404, 10015, 'Unknown Webhook');
    const id = which === 'original' ? interaction.originalMessageId : which;
    const message = id === undefined ? undefined : this.messages.get(id);
    if (!message) return discordError(404, 10008, 'Unknown Message');
    return then(message);
  }

  private createMessage(input: {
    payload: Json;
    files: readonly MultipartPart[];
    type: number;
    flags?: number;
    interaction?: InteractionRecord;
    channelId?: string;
  }): FakeMessage {
    const id = this.snowflake();
    const bot = this.userPayload(this.botUserId);
    const message: FakeMessage = {
      id,
      type: input.type,
      channel_id: input.channelId ?? input.interaction?.channelId ?? this.channelId,
      author: bot,
      content: '',
      timestamp: new Date(this.clock()).toISOString(),
      edited_timestamp: null,
      tts: Boolean(input.payload['tts']),
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      components: [],
      pinned: false,
      flags:
        input.flags ?? Number(input.payload['flags'] ?? 0) & (MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications | MessageFlags.IsComponentsV2),
      ...(input.payload['nonce'] !== undefined ? { nonce: input.payload['nonce'] } : {}),
    };
    if (input.interaction) {
      Object.assign(message, {
        webhook_id: this.applicationId,
        application_id: this.applicationId,
        interaction_metadata: {
          id: input.interaction.id,
          type: input.interaction.type,
          user: this.userPayload(input.interaction.userId),
          authorizing_integration_owners: { '0': this.guildId },
        },
      });
    }
    this.applyEdit(message, input.payload, input.files, false);
    this.messages.set(id, message);
    this.events.emit('message');
    return message;
  }

  private editMessage(message: FakeMessage, request: RecordedRequest): FakeResponse {
    const { payload, files } = readPayload(request);
    const invalid = validateMessagePayload(payload, files, true);
    if (invalid) return invalid;
    this.applyEdit(message, payload, files);
    return { status: 200, body: message };
  }

  /** Applies a create/edit payload the way Discord does: only the fields present change. */
  private applyEdit(message: FakeMessage, payload: Json, files: readonly MultipartPart[], isEdit = true): void {
    const history = this.payloadHistory.get(message.id) ?? [];
    history.push(payload);
    this.payloadHistory.set(message.id, history);
    if (typeof payload['content'] === 'string' || payload['content'] === null) message.content = (payload['content'] as string | null) ?? '';
    if (Array.isArray(payload['embeds']) || payload['embeds'] === null)
      message.embeds = ((payload['embeds'] as Json[] | null) ?? []).map((e) => ({ type: 'rich', ...e }));
    if (Array.isArray(payload['components']) || payload['components'] === null)
      message.components = assignComponentIds((payload['components'] as Json[] | null) ?? []);
    message.attachments = this.resolveAttachments(message, payload, files);
    message.embeds = message.embeds.map((embed) => this.resolveEmbedAttachments(embed, message.attachments));
    this.applyMentions(message, payload);
    if (isEdit) {
      // The deferred "thinking..." state ends with the first edit of the original response.
      message.flags &= ~MessageFlags.Loading;
      message['edited_timestamp'] = new Date(this.clock()).toISOString();
    }
    this.events.emit('message');
  }

  private resolveAttachments(message: FakeMessage, payload: Json, files: readonly MultipartPart[]): Json[] {
    const uploads = new Map<string, MultipartPart>();
    for (const part of files) {
      const index = /^files\[(\d+)\]$/.exec(part.name)?.[1] ?? part.name;
      uploads.set(index, part);
    }
    const upload = (key: string, part: MultipartPart, entry: Json | undefined): Json => {
      const id = this.snowflake();
      const filename = typeof entry?.['filename'] === 'string' ? entry['filename'] : (part.filename ?? `file${key}`);
      this.attachmentBytes.set(id, part.data);
      const url = `${this.http.url}/attachments/${message.channel_id}/${id}/${encodeURIComponent(filename)}`;
      return {
        id,
        filename,
        size: part.data.length,
        url,
        proxy_url: url,
        content_type: part.contentType ?? 'application/octet-stream',
        ...imageDimensions(part.data),
        ...(typeof entry?.['description'] === 'string' ? { description: entry['description'] } : {}),
      };
    };
    const entries = payload['attachments'];
    if (!Array.isArray(entries)) {
      return [...message.attachments, ...[...uploads.entries()].map(([key, part]) => upload(key, part, undefined))];
    }
    const result: Json[] = [];
    for (const entry of entries as Json[]) {
      const key = String(entry['id']);
      const kept = message.attachments.find((a) => a['id'] === key);
      const part = uploads.get(key);
      if (kept) result.push(kept);
      else if (part) {
        result.push(upload(key, part, entry));
        uploads.delete(key);
      }
    }
    return result;
  }

  private resolveEmbedAttachments(embed: Json, attachments: Json[]): Json {
    const resolved = { ...embed };
    for (const key of ['image', 'thumbnail'] as const) {
      const media = resolved[key] as Json | undefined;
      const url = media?.['url'];
      if (typeof url !== 'string' || !url.startsWith('attachment://')) continue;
      const attachment = attachments.find((a) => a['filename'] === url.slice('attachment://'.length));
      if (attachment) {
        resolved[key] = { ...media, url: attachment['url'], proxy_url: attachment['proxy_url'], width: attachment['width'], height: attachment['height'] };
      }
    }
    return resolved;
  }

  /** Only pings that `allowed_mentions` permits show up in `mentions`/`mention_roles`, as on Discord. */
  private applyMentions(message: FakeMessage, payload: Json): void {
    const allowed = payload['allowed_mentions'] as Json | undefined;
    const parse = Array.isArray(allowed?.['parse']) ? (allowed['parse'] as string[]) : allowed ? [] : ['users', 'roles', 'everyone'];
    const explicitUsers = Array.isArray(allowed?.['users']) ? (allowed['users'] as string[]) : [];
    const explicitRoles = Array.isArray(allowed?.['roles']) ? (allowed['roles'] as string[]) : [];
    const userIds = [...message.content.matchAll(/<@!?(\d{17,20})>/g)].map((m) => m[1] as string);
    const roleIds = [...message.content.matchAll(/<@&(\d{17,20})>/g)].map((m) => m[1] as string);
    message['mentions'] = userIds
      .filter((id) => (parse.includes('users') || explicitUsers.includes(id)) && this.users.has(id))
      .map((id) => ({ ...this.userPayload(id), member: { ...this.memberPayload(id), user: undefined } }));
    message['mention_roles'] = roleIds.filter((id) => parse.includes('roles') || explicitRoles.includes(id));
    message['mention_everyone'] = parse.includes('everyone') && /@(everyone|here)/.test(message.content);
  }

  // ---------------------------------------------------------------- utilities

  private snowflake(): string {
    const ms = Math.max(this.clock() - DISCORD_EPOCH_MS, MIN_SNOWFLAKE_MS);
    this.snowflakeCounter = (this.snowflakeCounter + 1) & 0xfff;
    // Worker/process bits carry a fake "1" so ids minted in the same ms stay unique across counters.
    return ((BigInt(Math.floor(ms)) << 22n) | (1n << 17n) | BigInt(this.snowflakeCounter)).toString();
  }

  private waitFor<T>(event: string, probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const listener = () => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        this.events.off(event, listener);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.events.off(event, listener);
        reject(new FakeDiscordError(`fake-discord: ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.events.on(event, listener);
    });
  }
}

function discordError(status: number, code: number, message: string, errors?: Json): FakeResponse {
  return { status, body: { message, code, ...(errors ? { errors } : {}) } };
}

/** JSON body, or the `payload_json` part plus uploaded files of a multipart body. */
function readPayload(request: RecordedRequest): { payload: Json; files: MultipartPart[] } {
  if (request.multipart) {
    const json = request.multipart.find((p) => p.name === 'payload_json');
    const payload = json ? (JSON.parse(json.data.toString('utf8')) as Json) : {};
    return { payload, files: request.multipart.filter((p) => p.filename !== undefined) };
  }
  const body = request.body;
  return { payload: body && typeof body === 'object' && !Array.isArray(body) ? (body as Json) : {}, files: [] };
}

/** The guild's upload limit per file (no boosts), as `attachment_size_limit` in the guild payload says. */
export const FAKE_ATTACHMENT_SIZE_LIMIT = 10_485_760;

/** Discord's cap on one message request with its files (25 MiB), whatever the per-file limit. */
export const FAKE_MESSAGE_REQUEST_LIMIT = 26_214_400;

/** The checks Discord applies that a bot can realistically trip (empty message, limits). */
function validateMessagePayload(payload: Json, files: readonly MultipartPart[], isEdit: boolean): FakeResponse | undefined {
  // Discord refuses the whole request when one file is over the upload limit: 413, 40005.
  if (files.some((file) => file.data.length > FAKE_ATTACHMENT_SIZE_LIMIT)) return discordError(413, 40005, 'Request entity too large');
  // And the whole message request: "the maximum request size when sending a message is 25 MiB".
  if (files.reduce((sum, file) => sum + file.data.length, 0) > FAKE_MESSAGE_REQUEST_LIMIT) return discordError(413, 40005, 'Request entity too large');
  if (files.length > 10) return tooLong(['files'], 10);
  const content = payload['content'];
  if (typeof content === 'string' && content.length > 2000) {
    return discordError(400, 50035, 'Invalid Form Body', {
      content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] },
    });
  }
  const embeds = payload['embeds'];
  if (Array.isArray(embeds) && embeds.length > 10) {
    return discordError(400, 50035, 'Invalid Form Body', {
      embeds: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 10 or fewer in length.' }] },
    });
  }
  if (Array.isArray(embeds)) {
    const invalid = validateEmbeds(embeds as Json[]);
    if (invalid) return invalid;
  }
  const components = payload['components'];
  if (Array.isArray(components) && components.length > 5 && (Number(payload['flags'] ?? 0) & MessageFlags.IsComponentsV2) === 0) {
    return discordError(400, 50035, 'Invalid Form Body', {
      components: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 5 or fewer in length.' }] },
    });
  }
  if (Array.isArray(components) && (Number(payload['flags'] ?? 0) & MessageFlags.IsComponentsV2) === 0) {
    const invalid = validateActionRows(components as Json[]);
    if (invalid) return invalid;
  }
  const empty =
    (typeof content !== 'string' || content.length === 0) &&
    (!Array.isArray(embeds) || embeds.length === 0) &&
    (!Array.isArray(components) || components.length === 0) &&
    files.length === 0 &&
    payload['sticker_ids'] === undefined &&
    payload['poll'] === undefined;
  if (!isEdit && empty) return discordError(400, 50006, 'Cannot send an empty message');
  return undefined;
}

/** Discord's "Invalid Form Body" for one field, nested the way Discord nests it (`embeds.0.description`). */
function formError(path: ReadonlyArray<string | number>, code: string, message: string): FakeResponse {
  let errors: Json = { _errors: [{ code, message }] };
  for (const key of [...path].reverse()) errors = { [String(key)]: errors };
  return discordError(400, 50035, 'Invalid Form Body', errors);
}

const tooLong = (path: ReadonlyArray<string | number>, limit: number) => formError(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${limit} or fewer in length.`);

/**
 * Discord's embed limits: title 256, description 4096, 25 fields, field name 256 and value 1024,
 * footer 2048, author 256, and 6000 characters over all embeds of the message (counted in UTF-16
 * code units here, which is never less than what Discord counts).
 */
function validateEmbeds(embeds: Json[]): FakeResponse | undefined {
  let total = 0;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  for (const [e, embed] of embeds.entries()) {
    const title = text(embed['title']);
    const description = text(embed['description']);
    const footer = text((embed['footer'] as Json | undefined)?.['text']);
    const author = text((embed['author'] as Json | undefined)?.['name']);
    if (title.length > 256) return tooLong(['embeds', e, 'title'], 256);
    if (description.length > 4096) return tooLong(['embeds', e, 'description'], 4096);
    if (footer.length > 2048) return tooLong(['embeds', e, 'footer', 'text'], 2048);
    if (author.length > 256) return tooLong(['embeds', e, 'author', 'name'], 256);
    total += title.length + description.length + footer.length + author.length;
    const fields = Array.isArray(embed['fields']) ? (embed['fields'] as Json[]) : [];
    if (fields.length > 25) return tooLong(['embeds', e, 'fields'], 25);
    for (const [f, field] of fields.entries()) {
      const name = text(field['name']);
      const value = text(field['value']);
      if (name.length === 0) return formError(['embeds', e, 'fields', f, 'name'], 'BASE_TYPE_REQUIRED', 'This field is required');
      if (value.length === 0) return formError(['embeds', e, 'fields', f, 'value'], 'BASE_TYPE_REQUIRED', 'This field is required');
      if (name.length > 256) return tooLong(['embeds', e, 'fields', f, 'name'], 256);
      if (value.length > 1024) return tooLong(['embeds', e, 'fields', f, 'value'], 1024);
      total += name.length + value.length;
    }
  }
  if (total > 6000) return formError(['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
  return undefined;
}

/**
 * Classic components: at most 5 buttons per action row, custom_id up to 100 and unique in the
 * message, label up to 80. A select menu fills its row alone; it has 1 to 25 options, each with a
 * label, value and description of at most 100, and a placeholder of at most 150.
 */
function validateActionRows(rows: Json[]): FakeResponse | undefined {
  const seen = new Set<string>();
  for (const [r, row] of rows.entries()) {
    const children = Array.isArray(row['components']) ? (row['components'] as Json[]) : [];
    if (children.length > 5) return tooLong(['components', r, 'components'], 5);
    const hasSelect = children.some((child) => child['type'] === ComponentType.StringSelect);
    if (hasSelect && children.length > 1)
      return formError(['components', r, 'components'], 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'The specified component exceeds the maximum width');
    for (const [c, child] of children.entries()) {
      const customId = child['custom_id'];
      const label = child['label'];
      if (typeof customId === 'string' && customId.length > 100) return tooLong(['components', r, 'components', c, 'custom_id'], 100);
      if (typeof customId === 'string') {
        if (seen.has(customId))
          return formError(['components', r, 'components', c, 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
        seen.add(customId);
      }
      if (typeof label === 'string' && label.length > 80) return tooLong(['components', r, 'components', c, 'label'], 80);
      if (child['type'] === ComponentType.StringSelect) {
        const options = Array.isArray(child['options']) ? (child['options'] as Json[]) : [];
        if (options.length === 0) return formError(['components', r, 'components', c, 'options'], 'BASE_TYPE_MIN_LENGTH', 'Must be 1 or more in length.');
        if (options.length > 25) return tooLong(['components', r, 'components', c, 'options'], 25);
        const placeholder = child['placeholder'];
        if (typeof placeholder === 'string' && placeholder.length > 150) return tooLong(['components', r, 'components', c, 'placeholder'], 150);
        for (const [o, option] of options.entries()) {
          for (const key of ['label', 'value', 'description']) {
            const value = option[key];
            if (typeof value === 'string' && value.length > 100) return tooLong(['components', r, 'components', c, 'options', o, key], 100);
          }
        }
      }
    }
  }
  return undefined;
}

/**
 * A modal (callback type 9) the way Discord checks it: a custom_id and a title, 1 to 5 top-level
 * components, each a label (or a legacy action row) holding one text input, string select or
 * file upload (the file upload and select only in labels). A file upload takes 0..10 as
 * min_values and 1..10 as max_values, min never above max; a select's options as on messages.
 */
function validateModal(data: Json): FakeResponse | undefined {
  const title = data['title'];
  if (typeof title !== 'string' || title.length === 0) return formError(['data', 'title'], 'BASE_TYPE_REQUIRED', 'This field is required');
  if (title.length > 45) return tooLong(['data', 'title'], 45);
  const components = Array.isArray(data['components']) ? (data['components'] as Json[]) : [];
  if (components.length === 0) return formError(['data', 'components'], 'BASE_TYPE_MIN_LENGTH', 'Must be 1 or more in length.');
  if (components.length > 5) return tooLong(['data', 'components'], 5);
  const seen = new Set<string>();
  for (const [i, top] of components.entries()) {
    const path = ['data', 'components', i];
    let inner: Json[];
    if (top['type'] === ComponentType.Label) {
      const label = top['label'];
      if (typeof label !== 'string' || label.length === 0) return formError([...path, 'label'], 'BASE_TYPE_REQUIRED', 'This field is required');
      if (label.length > 45) return tooLong([...path, 'label'], 45);
      if (typeof top['description'] === 'string' && top['description'].length > 100) return tooLong([...path, 'description'], 100);
      inner = top['component'] ? [top['component'] as Json] : [];
    } else if (top['type'] === ComponentType.ActionRow) {
      inner = Array.isArray(top['components']) ? (top['components'] as Json[]) : [];
      if (inner.some((c) => c['type'] !== ComponentType.TextInput)) {
        return formError([...path, 'components'], 'COMPONENT_TYPE_INVALID', 'Only text inputs may be in an action row of a modal');
      }
    } else if (top['type'] === ComponentType.TextDisplay) {
      continue;
    } else {
      return formError([...path, 'type'], 'COMPONENT_TYPE_INVALID', 'Invalid component type');
    }
    if (inner.length !== 1) return formError([...path, 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be 1 in length.');
    const child = inner[0] as Json;
    const customId = child['custom_id'];
    if (typeof customId !== 'string' || customId.length === 0 || customId.length > 100) return tooLong([...path, 'component', 'custom_id'], 100);
    if (seen.has(customId)) return formError([...path, 'component', 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
    seen.add(customId);
    const min = child['min_values'];
    const max = child['max_values'];
    if (child['type'] === ComponentType.FileUpload) {
      if (min !== undefined && min !== null && (typeof min !== 'number' || min < 0 || min > 10)) {
        return formError([...path, 'component', 'min_values'], 'NUMBER_TYPE_MAX', 'int value should be between 0 and 10.');
      }
      if (max !== undefined && max !== null && (typeof max !== 'number' || max < 1 || max > 10)) {
        return formError([...path, 'component', 'max_values'], 'NUMBER_TYPE_MAX', 'int value should be between 1 and 10.');
      }
      if (Number(min ?? 1) > Number(max ?? 1))
        return formError([...path, 'component', 'min_values'], 'SELECT_COMPONENT_MIN_MAX_INVALID', 'min_values above max_values');
    } else if (child['type'] === ComponentType.StringSelect) {
      const options = Array.isArray(child['options']) ? (child['options'] as Json[]) : [];
      if (options.length === 0) return formError([...path, 'component', 'options'], 'BASE_TYPE_MIN_LENGTH', 'Must be 1 or more in length.');
      if (options.length > 25) return tooLong([...path, 'component', 'options'], 25);
      if (Number(min ?? 1) > Number(max ?? 1) || Number(max ?? 1) > options.length) {
        return formError(
          [...path, 'component', 'max_values'],
          'SELECT_COMPONENT_MIN_MAX_INVALID',
          'max_values above the number of options, or below min_values',
        );
      }
    } else if (child['type'] !== ComponentType.TextInput) {
      return formError([...path, 'component', 'type'], 'COMPONENT_TYPE_INVALID', 'Invalid component type');
    } else if (top['type'] === ComponentType.Label && child['label'] !== undefined) {
      // A text input inside a label takes its label from the label component.
      return formError([...path, 'component', 'label'], 'COMPONENT_FIELD_INVALID', 'A text input in a label has no label of its own');
    }
  }
  return undefined;
}

function allowedCallbackTypes(interaction: InteractionRecord): number[] {
  switch (interaction.type) {
    case InteractionType.ApplicationCommandAutocomplete:
      return [InteractionResponseType.ApplicationCommandAutocompleteResult];
    case InteractionType.ApplicationCommand:
      return [InteractionResponseType.ChannelMessageWithSource, InteractionResponseType.DeferredChannelMessageWithSource, InteractionResponseType.Modal];
    case InteractionType.MessageComponent:
      return [
        InteractionResponseType.ChannelMessageWithSource,
        InteractionResponseType.DeferredChannelMessageWithSource,
        InteractionResponseType.DeferredMessageUpdate,
        InteractionResponseType.UpdateMessage,
        InteractionResponseType.Modal,
      ];
    case InteractionType.ModalSubmit:
      return interaction.sourceMessageId
        ? [
            InteractionResponseType.ChannelMessageWithSource,
            InteractionResponseType.DeferredChannelMessageWithSource,
            InteractionResponseType.DeferredMessageUpdate,
            InteractionResponseType.UpdateMessage,
          ]
        : [InteractionResponseType.ChannelMessageWithSource, InteractionResponseType.DeferredChannelMessageWithSource];
    default:
      return [];
  }
}

/** Discord numbers every component of a message; discord.js exposes the numbers as `component.id`. */
function assignComponentIds(components: Json[]): Json[] {
  let next = 1;
  const visit = (component: Json): Json => {
    const copy: Json = { ...component };
    if (copy['id'] === undefined) copy['id'] = next++;
    if (Array.isArray(copy['components'])) copy['components'] = (copy['components'] as Json[]).map(visit);
    if (copy['component'] && typeof copy['component'] === 'object') copy['component'] = visit(copy['component'] as Json);
    if (copy['accessory'] && typeof copy['accessory'] === 'object') copy['accessory'] = visit(copy['accessory'] as Json);
    return copy;
  };
  return components.map(visit);
}

function findComponent(components: Json[], predicate: (component: Json) => boolean): Json | undefined {
  for (const component of components) {
    if (predicate(component)) return component;
    const children = [
      ...(Array.isArray(component['components']) ? (component['components'] as Json[]) : []),
      ...(component['component'] ? [component['component'] as Json] : []),
      ...(component['accessory'] ? [component['accessory'] as Json] : []),
    ];
    const found = findComponent(children, predicate);
    if (found) return found;
  }
  return undefined;
}

/** Width and height of an image file, as Discord reports them on an attachment (nothing for other files). */
function imageDimensions(data: Buffer): { width?: number; height?: number } {
  try {
    const { width, height } = imageSize(data);
    return { width, height };
  } catch {
    return {};
  }
}

function allPermissions(): bigint {
  return Object.values(PermissionFlagsBits).reduce((all, bit) => all | bit, 0n);
}

function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function rawDataToString(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('utf8');
  return raw.toString('utf8');
}

// ---------------------------------------------------------------- slash command attachments (issue 14)

/** A file a user picks for a slash command's attachment option (`/draft image:`). `contentType` null: Discord could not tell. */
export interface SlashAttachmentUpload {
  readonly filename: string;
  readonly data: Buffer;
  readonly contentType?: string | null;
}

/** The files uploaded for slash command options, per fake: their `resolved.attachments` entries and bytes. */
const slashAttachments = new WeakMap<FakeDiscord, Map<string, { payload: Json; data: Buffer }>>();
let slashAttachmentCounter = 0;

/**
 * Uploads a file for a slash command's attachment option, as the Discord client does before it
 * sends the command. The fake keeps the bytes and serves them on 127.0.0.1 under
 * `/ephemeral-attachments/...` (where Discord's CDN keeps command attachments); the returned id
 * is the option's value, and injectSlashCommand then describes the file in
 * `data.resolved.attachments` (id, filename, size, url, proxy_url, content_type, width, height,
 * ephemeral), as Discord does.
 */
export function uploadSlashAttachment(fake: FakeDiscord, upload: SlashAttachmentUpload): string {
  let files = slashAttachments.get(fake);
  if (!files) {
    const known = new Map<string, { payload: Json; data: Buffer }>();
    files = known;
    slashAttachments.set(fake, known);
    fake.http.route('GET', '/ephemeral-attachments/:channelId/:attachmentId/:filename', (_r, p) => {
      const file = known.get(p['attachmentId'] ?? '');
      return file ? { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: file.data } : { status: 404 };
    });
  }
  slashAttachmentCounter += 1;
  const id = `13${String(slashAttachmentCounter).padStart(17, '0')}`;
  const url = `${fake.http.url}/ephemeral-attachments/${fake.channelId}/${id}/${encodeURIComponent(upload.filename)}`;
  const payload: Json = {
    id,
    filename: upload.filename,
    size: upload.data.length,
    url,
    proxy_url: url,
    ...(upload.contentType !== null ? { content_type: upload.contentType ?? 'application/octet-stream' } : {}),
    ...slashImageDimensions(upload.data),
    ephemeral: true,
  };
  files.set(id, { payload, data: upload.data });
  return id;
}

/** Width and height, which Discord reports for images only. */
function slashImageDimensions(data: Buffer): { width?: number; height?: number } {
  try {
    const { width, height } = imageSize(data);
    return { width, height };
  } catch {
    return {};
  }
}
