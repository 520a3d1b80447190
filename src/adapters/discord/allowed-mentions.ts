import type { MessageMentionOptions } from 'discord.js';

/**
 * Sent explicitly with every message, edit and interaction reply, so that no text a model or a
 * moderator wrote can ping anyone, even where discord.js would not apply the client default.
 */
export const NO_MENTIONS: MessageMentionOptions = Object.freeze({ parse: [] }) as MessageMentionOptions;
