import { EmbedBuilder, MessageFlags, type AttachmentBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { NO_MENTIONS } from './allowed-mentions.js';

/** Embed colours: one meaning each, so a glance on a phone tells the state. */
export const COLORS = {
  info: 0x5865f2,
  ok: 0x57f287,
  warn: 0xfee75c,
  error: 0xed4245,
  paused: 0xfaa61a,
} as const;

export { NO_MENTIONS };

/** A Discord timestamp markup: rendered in each reader's own time zone and locale. */
export function discordTime(ms: number, style: 'R' | 'f' | 'F' | 't' | 'T' | 'd' | 'D' = 'f'): string {
  return `<t:${Math.floor(ms / 1000)}:${style}>`;
}

/** `<t:…:f> (<t:…:R>)`: absolute and relative, the pair people read best. */
export function discordWhen(ms: number): string {
  return `${discordTime(ms, 'f')} (${discordTime(ms, 'R')})`;
}

export function percent(rate: number | null): string {
  return rate === null ? '–' : `${Math.round(rate * 1000) / 10}%`;
}

export function usd(value: number): string {
  // Sub-dollar amounts (a few tweets, a few drafts) need the extra digits to be visible at all.
  return `$${value > 0 && value < 1 ? value.toFixed(4) : value.toFixed(2)}`;
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** `1d 2h 3m`, `4m 10s`: coarse durations for uptime and decision times. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const sec = s % 60;
  const parts = d > 0 ? [`${d}d`, `${h}h`, `${m}m`] : h > 0 ? [`${h}h`, `${m}m`] : m > 0 ? [`${m}m`, `${sec}s`] : [`${sec}s`];
  return parts.join(' ');
}

/** Escapes markdown in user- or model-provided text shown inside an embed. */
export function plain(text: string): string {
  return text.replace(/([\\*_`~|>[\]])/g, '\\$1').replace(/@/g, '@\u200b');
}

export function embed(color: number, title: string): EmbedBuilder {
  return new EmbedBuilder().setColor(color).setTitle(title);
}

/** Replies (or edits the deferred reply) with embeds and optional files, never mentioning anyone. */
export async function respond(
  interaction: ChatInputCommandInteraction,
  embeds: EmbedBuilder[],
  options: { ephemeral?: boolean; files?: AttachmentBuilder[] } = {},
): Promise<void> {
  const payload = { embeds, files: options.files ?? [], allowedMentions: NO_MENTIONS };
  if (interaction.deferred || interaction.replied) {
    await interaction.editReply(payload);
    return;
  }
  await interaction.reply({ ...payload, ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
}

/**
 * Acknowledges (defers the reply) before a write: a write can wait for a database lock (up to
 * the write gate's bound), and Discord drops an interaction not acknowledged within 3 s. The
 * choice of ephemeral is made here, as a deferred reply keeps it. No-op once acknowledged.
 */
export async function deferBeforeWrite(interaction: ChatInputCommandInteraction, options: { ephemeral: boolean }): Promise<void> {
  if (interaction.deferred || interaction.replied) return;
  await interaction.deferReply(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {});
}

/** The most choices Discord accepts in one autocomplete response. */
export const MAX_AUTOCOMPLETE_CHOICES = 25;
