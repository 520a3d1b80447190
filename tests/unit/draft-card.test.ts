import { ButtonStyle } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { CARD_COLOURS, describeCardOutcome, renderDraftCard } from '../../src/adapters/discord/draft-card.js';
import type { Draft } from '../../src/domain/draft.js';
import type { DraftCardView } from '../../src/services/ports.js';
import { draftCardView } from '../support/draft-fixtures.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const MIA = { id: '1200000000000000401', name: 'Mia (mod)' };

const view = (draft: Partial<Draft> = {}, extra: Partial<DraftCardView> = {}): DraftCardView => draftCardView(NOW, draft, extra);

const fields = (v: DraftCardView) => Object.fromEntries((renderDraftCard(v).embeds[0]?.fields ?? []).map((f) => [f.name, f.value]));
const buttons = (v: DraftCardView) => renderDraftCard(v).components.flatMap((row) => row.components.map((b) => [b.label, b.style, b.custom_id]));

describe('draft card rendering', () => {
  it('GIVEN a pending tweet THEN the card shows text, topic, length, flags, revision, deadline with its action, budget and four buttons', () => {
    const card = renderDraftCard(view({ riskFlags: [{ id: 'mentions_price', label: 'mentions a price' }] }, { timeoutAction: 'publish' }));
    const embed = card.embeds[0];
    expect(embed?.title).toBe('Draft #12 · tweet');
    expect(embed?.description).toBe('Know the bonding curve before you buy.');
    expect(embed?.color).toBe(CARD_COLOURS.pending);
    expect(fields(view({ riskFlags: [{ id: 'mentions_price', label: 'mentions a price' }] }, { timeoutAction: 'publish' }))).toMatchObject({
      Status: '⏳ Awaiting moderation',
      Topic: 'education · Education',
      Revision: '1',
      'Weighted length': '38/280',
      'Risk flags': '⚠️ mentions a price',
      Deadline: `<t:${(NOW + 7_200_000) / 1000}:R>, then it is published automatically`,
      Budget: '1/2 posts this hour · 5/12 today',
    });
    expect(buttons(view())).toEqual([
      ['Approve', ButtonStyle.Success, 'dg1:approve:12:1'],
      ['Regenerate', ButtonStyle.Secondary, 'dg1:regenerate:12:1'],
      ['Edit', ButtonStyle.Secondary, 'dg1:edit:12:1'],
      ['Reject', ButtonStyle.Danger, 'dg1:reject:12:1'],
      ['Add image', ButtonStyle.Secondary, 'dg1:add-image:12:1'],
    ]);
  });

  it('GIVEN a thread THEN every tweet is numbered with its own weighted length, and markdown in the text is escaped', () => {
    const v = view({ kind: 'thread', tweets: ['1/ *not bold*', '2/ second'], revision: 3 });
    expect(renderDraftCard(v).embeds[0]?.description).toBe('**1/2**\n1/ \\*not bold\\*\n\n**2/2**\n2/ second');
    expect(fields(v)['Weighted length']).toBe('1: 13/280\n2: 9/280');
    expect(buttons(v)[0]?.[2]).toBe('dg1:approve:12:3');
  });

  it('GIVEN sanitiser fixes THEN the card lists them; GIVEN none THEN there is no such field', () => {
    expect(fields(view({ sanitiserChanges: ['Removed the quotes wrapping the whole tweet'] }))['Auto-fixes']).toBe(
      '• Removed the quotes wrapping the whole tweet',
    );
    expect(fields(view({ sanitiserChanges: [] }))['Auto-fixes']).toBeUndefined();
  });

  it('GIVEN DRY_RUN THEN the title and footer say so', () => {
    const embed = renderDraftCard(view({}, { dryRun: true })).embeds[0];
    expect(embed?.title).toBe('[DRY RUN] Draft #12 · tweet');
    expect(embed?.footer?.text).toContain('DRY RUN: nothing is sent to X');
  });

  it('GIVEN the two-approval rule THEN the button and status count approvals and name the first approver, and the deadline explains it will not publish', () => {
    const waiting = view({ riskFlags: [{ id: 'names_token', label: 'names a token' }] }, { needsSecondApproval: true });
    expect(buttons(waiting)[0]?.[0]).toBe('Approve (1 of 2)');
    expect(fields(waiting)['Deadline']).toContain('then it expires (risk flags need two approvals)');
    const half = view({ firstApprovedBy: MIA }, { needsSecondApproval: true });
    expect(buttons(half)[0]?.[0]).toBe('Approve (2 of 2)');
    expect(fields(half)['Status']).toBe('☑️ First approval by **Mia (mod)**: a second, different moderator must approve');
  });

  it('GIVEN each outcome THEN the status line, colour and buttons tell the story', () => {
    const published = view({ status: 'published', decidedBy: MIA, tweetId: '1850000000000000001', publishedAt: NOW });
    expect(fields(published)['Status']).toBe(`✅ Published <t:${NOW / 1000}:f> (approved by **Mia (mod)**) · https://x.com/i/status/1850000000000000001`);
    expect(renderDraftCard(published).embeds[0]?.color).toBe(CARD_COLOURS.published);
    expect(renderDraftCard(published).components).toEqual([]);
    expect(fields(published)['Deadline']).toBeUndefined();

    const dry = view({ status: 'published', decidedBy: MIA, tweetId: 'dryrun-12-1', publishedAt: NOW, dryRun: true });
    expect(fields(dry)['Status']).toContain('dry run: not sent to X');
    expect(fields(dry)['Status']).not.toContain('https://');

    const rejected = view({ status: 'rejected', decidedBy: MIA, rejectReason: 'off-brand' });
    expect(fields(rejected)['Status']).toBe('❌ Rejected by **Mia (mod)**: off-brand');
    expect(renderDraftCard(rejected).embeds[0]?.color).toBe(CARD_COLOURS.rejected);
    expect(fields(view({ status: 'rejected', decidedBy: MIA }))['Status']).toContain('no reason given');

    expect(fields(view({ status: 'expired' }))['Status']).toContain('Expired');
    expect(renderDraftCard(view({ status: 'expired' })).components).toEqual([]);

    const queued = view({ status: 'approved', decidedBy: MIA, notBefore: NOW + 1_800_000, queueReason: 'hourly cap reached (2/2)' });
    expect(fields(queued)['Status']).toBe(`🕒 Approved by **Mia (mod)**; queued until <t:${(NOW + 1_800_000) / 1000}:f> (hourly cap reached (2/2))`);

    const failed = view({ status: 'failed', decidedBy: MIA, errorMessage: 'X refused the request', errorClass: 'forbidden' });
    expect(fields(failed)['Status']).toContain('Publishing failed (forbidden): X refused the request');
    expect(buttons(failed)).toEqual([['Retry', ButtonStyle.Primary, 'dg1:retry:12:1']]);
  });

  it("GIVEN a six-tweet thread of very long tweets and a long error THEN the card stays inside Discord's embed limits", () => {
    const long = 'https://pump.fun/' + 'a'.repeat(1_500);
    const v = view({ kind: 'thread', tweets: Array.from({ length: 6 }, () => long), status: 'failed', errorMessage: 'e'.repeat(3_000) });
    const embed = renderDraftCard(v).embeds[0];
    expect(embed?.description?.length).toBeLessThanOrEqual(4096);
    for (const f of embed?.fields ?? []) expect(f.value.length).toBeLessThanOrEqual(1024);
  });
});

describe('the card shows the text as it will be posted', () => {
  /** Discord's rendering of escaped text: a backslash before punctuation shows the punctuation. */
  const unescape = (shown: string) => shown.replace(/\\([^\p{L}\p{N}\s])/gu, '$1');
  /** Markup Discord turns into something else even inside an embed: <t:…>, <#…>, <@…>, <:…:…>, </cmd:…>, and numbered-list lines it renumbers. */
  const liveMarkup = (shown: string) => [...shown.matchAll(/(?<!\\)<(?:t:|#|@|a?:|\/)|^\s*\d+\.\s/gmu)].map((m) => m[0]);

  it('GIVEN tweet text with a Discord timestamp, a channel reference, a custom emoji and numbered lines WHEN its card is rendered THEN Discord shows each character as written (nothing becomes a timestamp, link, emoji or renumbered list)', () => {
    const text = 'Snapshot <t:1767225600:R>, see <#1234567890> and <:pump:123456789012345678> or </draft:42>.\n3. Wait.\n1. Check.';
    const description = renderDraftCard(view({ tweets: [text] })).embeds[0]?.description ?? '';
    expect(liveMarkup(description)).toEqual([]);
    expect(unescape(description)).toBe(text);
  });
});

describe('the account on the card', () => {
  it('GIVEN a draft of an account whose X handle is known THEN the title names the handle (escaped) and the footer the account id', () => {
    const card = renderDraftCard(view({}, { account: { id: 'pump-news', handle: 'pump_news_' } }));
    const embed = card.embeds[0];
    expect(embed?.title).toBe('Draft #12 · tweet · @pump\\_news\\_');
    expect(embed?.footer?.text.startsWith('account pump-news · draft 12 · revision 1')).toBe(true);
  });

  it('GIVEN a handle not known yet (dry run, X unreachable at start) THEN the footer still names the account', () => {
    const embed = renderDraftCard(view({}, { account: { id: 'alerts', handle: null } })).embeds[0];
    expect(embed?.title).toBe('Draft #12 · tweet');
    expect(embed?.footer?.text).toContain('account alerts');
  });
});

describe('the scheduled card (publishing calendar)', () => {
  const SLOT = Date.UTC(2026, 10, 26, 8, 0, 0);
  const SEC = SLOT / 1000;
  const scheduled = (draft: Partial<Draft> = {}) =>
    view({ status: 'approved', decidedBy: MIA, decidedAt: NOW, notBefore: SLOT, queueReason: 'scheduled', scheduledFor: SLOT, scheduleNote: null, ...draft });

  it('GIVEN an approved draft with a slot THEN the card says when (absolute and relative) and who approved it, and carries Publish now, Reschedule and Unschedule', () => {
    const v = scheduled();
    expect(fields(v)['Status']).toBe(`🗓️ Scheduled for <t:${SEC}:F> (<t:${SEC}:R>) · approved by **Mia (mod)**`);
    expect(renderDraftCard(v).embeds[0]?.color).toBe(CARD_COLOURS.scheduled);
    expect(buttons(v)).toEqual([
      ['Publish now', ButtonStyle.Primary, 'dg1:publish-now:12:1'],
      ['Reschedule', ButtonStyle.Secondary, 'dg1:reschedule:12:1'],
      ['Unschedule', ButtonStyle.Danger, 'dg1:unschedule:12:1'],
    ]);
    expect(fields(v)['Schedule note']).toBeUndefined();
    expect(fields(v)['Deadline']).toBeUndefined();
  });

  it('GIVEN a schedule that moved on its own THEN the card shows the note, escaped', () => {
    const note = 'the 09:00 slot passed while the bot was down; moved to the next free slot *18:30*';
    expect(fields(scheduled({ scheduleNote: note }))['Schedule note']).toBe(note.replace(/\*/g, '\\*'));
  });

  it("GIVEN a scheduled draft held past its slot (X's limit, or the pause) THEN the status says it waits and why, and the buttons stay", () => {
    const later = SLOT + 1_800_000;
    const limited = scheduled({ notBefore: later, queueReason: "X's rate limit until its reset" });
    expect(fields(limited)['Status']).toBe(
      `🗓️ Scheduled for <t:${SEC}:F> (<t:${SEC}:R>) · approved by **Mia (mod)** · waiting past its slot until <t:${later / 1000}:f>: X's rate limit until its reset`,
    );
    const paused = draftCardView(SLOT + 60_000, {
      status: 'approved',
      decidedBy: MIA,
      notBefore: SLOT,
      queueReason: 'publishing is paused (/pause)',
      scheduledFor: SLOT,
    });
    expect(fields(paused)['Status']).toContain('· waiting past its slot: publishing is paused (/pause)');
    expect(buttons(paused).map((b) => b[0])).toEqual(['Publish now', 'Reschedule', 'Unschedule']);
  });

  it('GIVEN an approved draft without a slot (no slots configured) THEN the card is as before: no calendar buttons', () => {
    const queued = view({ status: 'approved', decidedBy: MIA, notBefore: NOW + 60_000, queueReason: 'hourly cap reached (2/2)', scheduledFor: null });
    expect(fields(queued)['Status']).toContain('queued until');
    expect(buttons(queued)).toEqual([]);
    // Published, it has no buttons whatever its slot was.
    expect(buttons(view({ status: 'published', decidedBy: MIA, publishedAt: SLOT, tweetId: '1', scheduledFor: SLOT }))).toEqual([]);
  });

  it('GIVEN a scheduled draft WHEN the card cannot be edited THEN the moderator is told it is scheduled and when', () => {
    expect(describeCardOutcome(scheduled())).toBe(`Approved; scheduled for <t:${SEC}:F> (<t:${SEC}:R>).`);
  });
});
