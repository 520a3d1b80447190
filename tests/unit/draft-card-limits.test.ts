import { describe, expect, it } from 'vitest';
import {
  describeCardOutcome,
  discordLimitViolations,
  DISCORD_LIMITS,
  escapeText,
  fitMessageContent,
  renderDraftCard,
  type DraftCardMessage,
} from '../../src/adapters/discord/draft-card.js';
import { describeRefusal, describeScheduleRefusal } from '../../src/adapters/discord/moderation-handlers.js';
import type { Draft } from '../../src/domain/draft.js';
import { weightedLength } from '../../src/domain/tweet-length.js';
import type { DraftCardView } from '../../src/services/ports.js';
import { draftCardView } from '../support/draft-fixtures.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const LONG_NAME = `${'*_'.repeat(16)}`;
const URL = `https://pump.fun/coin/${'a_'.repeat(1_880)}`;

const view = (draft: Partial<Draft> = {}, extra: Partial<DraftCardView> = {}): DraftCardView =>
  draftCardView(NOW, draft, { timeoutAction: 'publish', dryRun: true, ...extra });

const embedTotal = (card: DraftCardMessage) =>
  card.embeds.reduce(
    (sum, e) =>
      sum +
      (e.title?.length ?? 0) +
      (e.description?.length ?? 0) +
      (e.footer?.text.length ?? 0) +
      (e.fields ?? []).reduce((s, f) => s + f.name.length + f.value.length, 0),
    0,
  );
const field = (card: DraftCardMessage, name: string) => card.embeds[0]?.fields?.find((f) => f.name === name)?.value;
/** What a moderator reads as the text: every description, code fences and escapes removed. */
const shownText = (card: DraftCardMessage) =>
  card.embeds
    .map((e) => e.description ?? '')
    .join('\n')
    .replace(/```\n?/g, '')
    .replace(/\u200b/g, '');

describe('draft card within Discord limits (item 9)', () => {
  it('GIVEN the reported card (3,989-character text with a long pump.fun URL, 1,000 * of feedback, a 500 * reject reason) THEN it fits every limit after escaping, shows the text whole and says what was shortened', () => {
    const text = `Before you buy, read the whole page: ${URL} and check who holds the supply *first*.`.padEnd(3_989, '!');
    expect(weightedLength(text)).toBeLessThanOrEqual(280);
    const card = renderDraftCard(
      view({
        tweets: [text],
        feedback: '*'.repeat(1_000),
        status: 'rejected',
        rejectReason: '*'.repeat(500),
        decidedBy: { id: '1', name: LONG_NAME },
        editedBy: { id: '2', name: LONG_NAME },
      }),
    );
    expect(discordLimitViolations(card)).toEqual([]);
    expect(embedTotal(card)).toBeLessThanOrEqual(6_000);
    // Exactly the text, unescaped, in a code block.
    expect(card.embeds.map((e) => e.description).join('\n')).toContain(`\`\`\`\n${text}\n\`\`\``);
    expect(field(card, 'Feedback')).toMatch(/… \(feedback shortened\)$/);
    expect(field(card, 'Status')).toMatch(/^❌ Rejected by \*\*(\\\*\\_){16}\*\*: (\\\*)+… \(reason shortened\)$/);
    expect(card.embeds[0]?.footer?.text).toContain('text shown in code blocks, exactly as it will be posted');
  });

  it('GIVEN a six-tweet thread at the weighted maximum full of markdown THEN every tweet is shown whole (escaped when it fits, else in code blocks) and the card fits', () => {
    const tweet = (i: number) => `${i}/ ${'*_~|`'.repeat(55)}`.slice(0, 280);
    const tweets = Array.from({ length: 6 }, (_, i) => tweet(i + 1));
    const card = renderDraftCard(
      view({ kind: 'thread', tweets, feedback: '*'.repeat(1_000), sanitiserChanges: Array.from({ length: 30 }, () => '*'.repeat(200)) }),
    );
    expect(discordLimitViolations(card)).toEqual([]);
    const shown = shownText(card);
    for (const t of tweets) expect(shown.includes(t) || shown.includes(escapeText(t))).toBe(true);
    expect(field(card, 'Auto-fixes')).toMatch(/auto-fixes shortened\)$/);
  });

  it('GIVEN a text too long for any embed layout (six tweets with 1,500-character URLs) THEN the full text is attached as a file, the card says so, and nothing breaks a limit', () => {
    const long = (i: number) => `${i}/ https://pump.fun/${'a'.repeat(1_500)}`;
    const tweets = Array.from({ length: 6 }, (_, i) => long(i + 1));
    const card = renderDraftCard(view({ kind: 'thread', tweets, status: 'failed', errorMessage: 'e'.repeat(3_000) }));
    expect(discordLimitViolations(card)).toEqual([]);
    expect(card.files).toHaveLength(1);
    const file = card.files[0]?.attachment.toString('utf8') ?? '';
    for (const t of tweets) expect(file).toContain(t);
    expect(card.embeds[0]?.description).toContain(`**${card.files[0]?.name}** (attached) holds it exactly as it will be posted`);
    expect(field(card, 'Status')).toMatch(/reason shortened\)\. Press Retry once the cause is fixed\.$|reason shortened\)/);
  });

  it('GIVEN long names, a long topic and a long queue reason THEN names are shortened with a note and every limit holds', () => {
    const card = renderDraftCard(
      view({
        topicName: '_'.repeat(2_000),
        status: 'approved',
        decidedBy: { id: '1', name: LONG_NAME },
        notBefore: NOW + 60_000,
        queueReason: '|'.repeat(3_000),
        editedBy: { id: '2', name: '*'.repeat(600) },
      }),
    );
    expect(discordLimitViolations(card)).toEqual([]);
    expect(field(card, 'Topic')).toMatch(/topic shortened\) · Education$/);
    expect(field(card, 'Edited by')).toMatch(/name shortened\)$/);
    expect(field(card, 'Status')).toMatch(/reason shortened\)\)$/);
  });

  it('GIVEN a scheduled card with a long schedule note, a long wait reason, long names and a text at the limit THEN it keeps its three buttons and every limit holds', () => {
    const slot = NOW + 3_600_000;
    const card = renderDraftCard(
      view({
        tweets: [URL],
        status: 'approved',
        decidedBy: { id: '1', name: LONG_NAME.repeat(10) },
        scheduledFor: slot,
        notBefore: slot + 60_000,
        queueReason: '|'.repeat(3_000),
        scheduleNote: '*'.repeat(3_000),
        feedback: '*'.repeat(1_000),
        revision: 999_999_999,
        id: Number.MAX_SAFE_INTEGER,
      }),
    );
    expect(discordLimitViolations(card)).toEqual([]);
    expect(card.components.flatMap((row) => row.components.map((b) => b.label))).toEqual(['Publish now', 'Reschedule', 'Unschedule']);
    expect(field(card, 'Schedule note')).toMatch(/note shortened\)$/);
    expect(shownText(card).replace(/\\/g, '')).toContain(URL.slice(0, 200));
  });

  it('GIVEN markdown in a short text THEN it is escaped so Discord shows it as written, links included', () => {
    expect(escapeText('*bold* _it_ ~~s~~ `c` ||sp|| [x](https://evil.example) \\')).toBe(
      '\\*bold\\* \\_it\\_ \\~\\~s\\~\\~ \\`c\\` \\|\\|sp\\|\\| \\[x\\](https://evil.example) \\\\',
    );
    expect(escapeText('# big\n> quote\n- item')).toBe('\\# big\n\\> quote\n\\- item');
  });

  it('GIVEN every outcome with adversarial text THEN the reply that replaces a failed card edit fits a message', () => {
    for (const status of ['published', 'approved', 'publishing', 'failed', 'rejected', 'expired', 'pending'] as const) {
      const text = describeCardOutcome(
        view({ status, errorMessage: 'e'.repeat(5_000), rejectReason: '*'.repeat(5_000), queueReason: 'q'.repeat(5_000), notBefore: NOW + 1 }),
      );
      expect(fitMessageContent(`${text} The card could not be updated right now; it will be refreshed.`).length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    }
    expect(fitMessageContent('x'.repeat(3_000))).toMatch(/… \(shortened\)$/);
    expect(fitMessageContent('x'.repeat(3_000)).length).toBe(2_000);
  });

  it('GIVEN refusals carrying long text (violations, model errors) THEN the ephemeral reply fits a message', () => {
    const invalid = describeRefusal({
      status: 'invalid',
      violations: Array.from({ length: 50 }, () => ({ rule: 'length', message: 'x'.repeat(200) }) as never),
    });
    expect(invalid.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    expect(describeRefusal({ status: 'failed', reason: 'r'.repeat(5_000) }).length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
  });

  it('GIVEN every way a schedule request is refused, with long reasons THEN the ephemeral reply says why and fits a message', () => {
    const draft = view({ status: 'approved', scheduledFor: NOW + 3_600_000 }).draft;
    const replies = [
      describeScheduleRefusal({ status: 'invalid_time', reason: 'that time has passed'.repeat(200) }),
      describeScheduleRefusal({ status: 'publishing_paused', reason: 'p'.repeat(5_000) }),
      describeScheduleRefusal({ status: 'not_scheduled', draft: { ...draft, status: 'published' } }),
      describeScheduleRefusal({ status: 'moved', draft }),
      describeScheduleRefusal({ status: 'no_free_slot' }),
      describeScheduleRefusal({ status: 'not_found' }),
      describeScheduleRefusal({ status: 'moved', draft: { ...draft, scheduledFor: null } }),
    ];
    for (const reply of replies) expect(reply.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    expect(replies[0]).toMatch(/^That time was not accepted: that time has passed/);
    expect(replies[1]).toMatch(/^Publishing is paused for this account/);
    expect(replies[2]).toBe('Draft #12 is not scheduled any more: it is published. Nothing was changed.');
    expect(replies[3]).toBe(
      `Draft #12 was moved meanwhile: it is scheduled for <t:${(NOW + 3_600_000) / 1000}:F> now. Nothing was changed; look at the queue again.`,
    );
    expect(replies[4]).toMatch(/no free slot in the next 8 days/);
    expect(replies[5]).toBe('This draft no longer exists.');
    // Lost to someone else's Publish now: no slot to name.
    expect(replies[6]).toMatch(/^Draft #12 is not scheduled any more: someone else changed it meanwhile/);
  });

  it('GIVEN a card that would break a limit THEN discordLimitViolations names each broken limit', () => {
    const bad = {
      content: 'c'.repeat(2_001),
      embeds: [{ title: 't'.repeat(257), description: 'd'.repeat(4_097), fields: Array.from({ length: 26 }, () => ({ name: 'n', value: 'v'.repeat(1_025) })) }],
      components: [],
    };
    const violations = discordLimitViolations(bad);
    expect(violations).toEqual(
      expect.arrayContaining([
        'content is 2001 (limit 2000)',
        'embed 0 title is 257 (limit 256)',
        'embed 0 description is 4097 (limit 4096)',
        'embed 0 fields is 26 (limit 25)',
        'embed 0 field 0 value is 1025 (limit 1024)',
        expect.stringMatching(/^embed total is \d+ \(limit 6000\)$/),
      ]),
    );
  });
});
