import { ComponentType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { pageCount, QUEUE_PAGE_SIZE, renderQueuePage, selectViolations, type QueuePageInput } from '../../commands/queue.js';
import { discordLimitViolations } from '../../src/adapters/discord/draft-card.js';
import { decodeQueueCustomId, decodeQueueTarget } from '../../src/domain/custom-id.js';
import type { Draft } from '../../src/domain/draft.js';
import { draftCardView } from '../support/draft-fixtures.js';

const NOW = Date.UTC(2026, 11, 2, 6, 0);
const HOUR = 3_600_000;
const scheduled = (id: number, slot: number, overrides: Partial<Draft> = {}): Draft =>
  draftCardView(NOW, {
    id,
    status: 'approved',
    decidedBy: { id: '1', name: 'Mia' },
    scheduledFor: slot,
    notBefore: slot,
    queueReason: 'scheduled',
    tweets: [`Post ${id}: the first line\nthe second line`],
    ...overrides,
  }).draft;

const queue = (count: number): Draft[] => Array.from({ length: count }, (_, i) => scheduled(100 + i, NOW + (i + 1) * HOUR));
const page = (all: readonly Draft[], n: number, extra: Partial<QueuePageInput> = {}): QueuePageInput => ({
  accountId: 'acme-news',
  accountTitle: ' · acme-news',
  items: all.slice(n * QUEUE_PAGE_SIZE, (n + 1) * QUEUE_PAGE_SIZE),
  total: all.length,
  page: n,
  now: NOW,
  timeZone: 'Europe/Berlin',
  slots: '09:00, 13:00, 18:30',
  ...extra,
});
const customIds = (message: ReturnType<typeof renderQueuePage>) =>
  message.components.flatMap((row) => row.components.map((c) => ('custom_id' in c ? c.custom_id : '')));
const text = (message: ReturnType<typeof renderQueuePage>) =>
  message.embeds.map((e) => [e.title, e.description, e.footer?.text, ...(e.fields ?? []).map((f) => `${f.name}\n${f.value}`)].join('\n')).join('\n');

describe('/queue page rendering', () => {
  it('GIVEN scheduled posts THEN each line shows the time (absolute and relative), the draft, its first line and who approved it, and a select offers them', () => {
    const all = queue(3);
    const message = renderQueuePage(page(all, 0));
    const slot = (NOW + HOUR) / 1000;
    expect(message.embeds[0]?.description?.split('\n')[0]).toBe(`**1.** <t:${slot}:F> (<t:${slot}:R>) · #100 · Post 100: the first line · approved by Mia`);
    expect(message.embeds[0]?.footer?.text).toBe('page 1 of 1 · 3 upcoming · slots (Europe/Berlin): 09:00, 13:00, 18:30');
    const select = message.components[0]?.components[0];
    expect(select?.type).toBe(ComponentType.StringSelect);
    if (select?.type !== ComponentType.StringSelect) return;
    expect(decodeQueueCustomId(select.custom_id)).toEqual({ action: 'pick', accountId: 'acme-news', page: 0 });
    expect(select.options.map((o) => decodeQueueTarget(o.value))).toEqual(all.map((d) => ({ draftId: d.id, scheduledFor: d.scheduledFor })));
    // 07:00 UTC is 08:00 in Berlin (CET), as the label says without Discord's timestamps.
    expect(select.options[0]?.label).toBe('#100 · Wed 2 Dec 08:00');
    expect(select.options[0]?.description).toBe('Post 100: the first line');
    // One page: no paging buttons.
    expect(message.components).toHaveLength(1);
  });

  it("GIVEN a queue of 60 THEN it spans 6 pages of 10, Prev/Next lead to the neighbours, and every page stays within Discord's limits", () => {
    const all = queue(60);
    expect(pageCount(60)).toBe(6);
    const seen = new Set<number>();
    for (let n = 0; n < 6; n += 1) {
      const message = renderQueuePage(page(all, n));
      expect(discordLimitViolations({ content: message.content, embeds: message.embeds })).toEqual([]);
      expect(selectViolations(message)).toEqual([]);
      const pages = customIds(message)
        .map((id) => decodeQueueCustomId(id))
        .filter((id) => id?.action === 'page')
        .map((id) => id?.page);
      expect(pages).toEqual([...(n > 0 ? [n - 1] : []), ...(n < 5 ? [n + 1] : [])]);
      const select = message.components[0]?.components[0];
      if (select?.type === ComponentType.StringSelect) for (const o of select.options) seen.add(decodeQueueTarget(o.value)?.draftId ?? 0);
    }
    expect(seen.size).toBe(60);
  });

  it('GIVEN a picked draft THEN the page shows it, a select of free slots to move it to, and Publish now / Swap / Unschedule / Back carrying the slot seen; within the limits', () => {
    const all = queue(60);
    const picked = all[12] as Draft;
    const free = Array.from({ length: 30 }, (_, i) => NOW + (100 + i) * HOUR);
    const message = renderQueuePage(page(all, 1, { selected: { draft: picked, freeSlots: free } }));
    expect(selectViolations(message)).toEqual([]);
    expect(discordLimitViolations({ content: message.content, embeds: message.embeds })).toEqual([]);
    expect(message.components.length).toBeLessThanOrEqual(5);
    expect(text(message)).toContain('Selected: draft #112');
    const ids = customIds(message).map((id) => decodeQueueCustomId(id));
    const expected = { draftId: 112, scheduledFor: picked.scheduledFor };
    expect(ids.filter((id) => id?.target).map((id) => [id?.action, id?.target])).toEqual([
      ['move', expected],
      ['now', expected],
      ['swap', expected],
      ['unschedule', expected],
    ]);
    const move = message.components[1]?.components[0];
    if (move?.type !== ComponentType.StringSelect) throw new Error('no move select');
    expect(move.options).toHaveLength(10);
    expect(move.options[0]?.value).toBe(String(free[0]));
  });

  it('GIVEN hostile text and names THEN lines are clipped and escaped, and the page still fits', () => {
    const hostile = Array.from({ length: 10 }, (_, i) =>
      scheduled(Number.MAX_SAFE_INTEGER - i, NOW + i * HOUR, { tweets: ['*_`|<@1>'.repeat(300)], decidedBy: { id: '1', name: '*'.repeat(200) } }),
    );
    const message = renderQueuePage({ ...page(hostile, 0), total: 9_999, selected: { draft: hostile[0] as Draft, freeSlots: [NOW + HOUR] } });
    expect(discordLimitViolations({ content: message.content, embeds: message.embeds })).toEqual([]);
    expect(selectViolations(message)).toEqual([]);
    expect(message.embeds[0]?.description).not.toMatch(/(?<!\\)<@1>/);
  });

  it('GIVEN an empty queue THEN it says so (and why posts go out at once without slots), with no select and no paging', () => {
    const message = renderQueuePage(page([], 0, { slots: null }));
    expect(message.embeds[0]?.description).toContain('Nothing is waiting to be published. This account has no slots');
    expect(message.components).toEqual([]);
  });

  it('GIVEN a draft waiting for the caps rather than a slot THEN it is listed by its time with that reason, and its id carries no slot', () => {
    const capped = scheduled(7, NOW + HOUR, { scheduledFor: null, notBefore: NOW + HOUR, queueReason: 'hourly cap' });
    const message = renderQueuePage(page([capped], 0));
    expect(message.embeds[0]?.description).toContain('waiting for the caps');
    const select = message.components[0]?.components[0];
    if (select?.type !== ComponentType.StringSelect) throw new Error('no select');
    expect(decodeQueueTarget(select.options[0]?.value ?? '')).toEqual({ draftId: 7, scheduledFor: null });
  });
});
