import { ComponentType, type APIButtonComponentWithCustomId } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { cardImageSources } from '../../src/adapters/discord/card-images.js';
import {
  CARD_IMAGE_PREVIEW_MAX_BYTES,
  cardImagePlan,
  CARD_IMAGE_PREVIEWS_TOTAL_MAX_BYTES,
  discordLimitViolations,
  renderDraftCard,
  type DraftCardMessage,
} from '../../src/adapters/discord/draft-card.js';
import { buildAddImageModal, buildEditModal, readEditedAltTexts } from '../../src/adapters/discord/draft-modals.js';
import { decodeDraftCustomId } from '../../src/domain/custom-id.js';
import type { Draft } from '../../src/domain/draft.js';
import type { DraftMedia, MediaMimeType } from '../../src/domain/media.js';
import { MediaFileMissingError, type DraftCardView, type MediaFileStore } from '../../src/services/ports.js';
import { draftCardView } from '../support/draft-fixtures.js';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const MB = 1024 * 1024;

function image(position: number, overrides: Partial<DraftMedia> = {}): DraftMedia {
  return {
    position,
    sha256: `${String(position).repeat(2)}${'ab'.repeat(31)}`,
    mimeType: 'image/png' as MediaMimeType,
    bytes: 1_500_000,
    width: 1200,
    height: 675,
    altText: `A chart of the bonding curve, number ${position + 1}`,
    altSource: 'claude',
    findings: [],
    ...overrides,
  };
}

const view = (draft: Partial<Draft> = {}): DraftCardView => draftCardView(NOW, draft, { timeoutAction: 'expire' });
const buttons = (card: DraftCardMessage) => card.components.flatMap((row) => row.components) as APIButtonComponentWithCustomId[];
const fieldsOf = (card: DraftCardMessage) => card.embeds[0]?.fields ?? [];

/** A media store holding the given files (by sha256). */
function store(files: Record<string, Uint8Array>): MediaFileStore & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    put: () => Promise.reject(new Error('not used')),
    read: (sha) => {
      reads.push(sha);
      const bytes = files[sha];
      return bytes ? Promise.resolve(bytes) : Promise.reject(new MediaFileMissingError(sha));
    },
    sweep: () => Promise.resolve([]),
  };
}

describe('draft card images (issue 14)', () => {
  it('GIVEN a draft with two images WHEN its card is rendered THEN the first is the embed image, both are attached and each is described with type, size, dimensions and alt text by its author', async () => {
    const media = [image(0), image(1, { mimeType: 'image/jpeg', bytes: 820_000, width: 800, height: 800, altText: 'Our logo', altSource: 'moderator' })];
    const draft = view({ media }).draft;
    const sources = await cardImageSources(draft, store({ [media[0]!.sha256]: new Uint8Array([1]), [media[1]!.sha256]: new Uint8Array([2]) }), []);
    const card = renderDraftCard(view({ media }), sources);
    const [first, second] = cardImagePlan(draft);
    expect(card.files.map((f) => f.name)).toEqual([first?.name, second?.name]);
    expect(first?.name).toMatch(/^image-1-[0-9a-f]{12}\.png$/);
    expect(second?.name).toMatch(/\.jpg$/);
    expect(card.embeds[0]?.image?.url).toBe(`attachment://${first?.name}`);
    const described = fieldsOf(card).filter((f) => f.name.startsWith('Image '));
    expect(described.map((f) => f.name)).toEqual(['Image 1 of 2', 'Image 2 of 2']);
    expect(described[0]?.value).toContain('PNG · 1.4 MB · 1200×675');
    expect(described[0]?.value).toContain('Alt text (by Claude): A chart of the bonding curve, number 1');
    expect(described[1]?.value).toContain('JPEG · 800.8 KB · 800×800');
    expect(described[1]?.value).toContain('Alt text (by a moderator): Our logo');
    expect(discordLimitViolations(card)).toEqual([]);
  });

  it('GIVEN a card whose images are already on the message WHEN it is re-rendered THEN they are kept by attachment id and not read or uploaded again', async () => {
    const media = [image(0), image(1)];
    const draft = view({ media }).draft;
    const plan = cardImagePlan(draft);
    const files = store({});
    const sources = await cardImageSources(draft, files, [
      { id: '9001', name: plan[0]!.name },
      { id: '9002', name: plan[1]!.name },
      { id: '9003', name: 'image-3-ffffffffffff.png' },
    ]);
    const card = renderDraftCard(view({ media }), sources);
    expect(files.reads).toEqual([]);
    expect(card.files).toEqual([]);
    // Only the images the draft still has: the removed third one is dropped by Discord.
    expect(card.attachments).toEqual([{ id: '9001' }, { id: '9002' }]);
    expect(card.embeds[0]?.image?.url).toBe(`attachment://${plan[0]!.name}`);
  });

  it('GIVEN a 15 MB GIF WHEN the card is rendered THEN it is listed without a preview (over Discord’s 10 MB) and never read from the store', async () => {
    const gif = image(0, { mimeType: 'image/gif', bytes: 15 * MB, width: 480, height: 270, altText: null, altSource: null });
    expect(gif.bytes).toBeGreaterThan(CARD_IMAGE_PREVIEW_MAX_BYTES);
    const files = store({ [gif.sha256]: new Uint8Array(10) });
    const draft = view({ media: [gif] }).draft;
    const card = renderDraftCard(view({ media: [gif] }), await cardImageSources(draft, files, []));
    expect(files.reads).toEqual([]);
    expect(card.files).toEqual([]);
    expect(card.embeds[0]?.image).toBeUndefined();
    const value = fieldsOf(card).find((f) => f.name === 'Image 1 of 1')?.value ?? '';
    expect(value).toContain('GIF · 15.0 MB · 480×270');
    expect(value).toContain("no preview: over Discord's 10.0 MB upload limit");
    expect(value).toContain('Alt text: none yet');
  });

  it('GIVEN previews that fit one by one but not together in one Discord message (25 MiB a request) WHEN the card is planned THEN the ones past the total are listed without a preview and never read', async () => {
    // Not a set X takes (5 MB an image): the plan must hold whatever the per-file limit allows.
    const media = [0, 1, 2, 3].map((p) => image(p, { bytes: 9 * MB }));
    const draft = view({ media }).draft;
    const plan = cardImagePlan(draft);
    expect(plan.map((p) => [p.preview, p.over])).toEqual([
      [true, undefined],
      [true, undefined],
      [false, 'message'],
      [false, 'message'],
    ]);
    expect(plan.filter((p) => p.preview).reduce((sum, p) => sum + p.media.bytes, 0)).toBeLessThanOrEqual(CARD_IMAGE_PREVIEWS_TOTAL_MAX_BYTES);
    const files = store(Object.fromEntries(media.map((m) => [m.sha256, new Uint8Array(10)])));
    const card = renderDraftCard(view({ media }), await cardImageSources(draft, files, []));
    expect(files.reads).toEqual([media[0]!.sha256, media[1]!.sha256]);
    expect(card.files.filter((f) => f.name.startsWith('image-'))).toHaveLength(2);
    expect(fieldsOf(card).find((f) => f.name === 'Image 3 of 4')?.value).toContain("no preview: the card's previews would pass Discord's 24.0 MB per message");
    // Four images as X takes them (5 MB each) all fit.
    expect(cardImagePlan(view({ media: [0, 1, 2, 3].map((p) => image(p, { bytes: 5 * MB })) }).draft).every((p) => p.preview)).toBe(true);
  });

  it('GIVEN an image whose file is missing from the store WHEN the card is rendered THEN the card is still shown, listing it without a preview', async () => {
    const media = [image(0)];
    const draft = view({ media }).draft;
    const card = renderDraftCard(view({ media }), await cardImageSources(draft, store({}), []));
    expect(card.files).toEqual([]);
    expect(fieldsOf(card).find((f) => f.name === 'Image 1 of 1')?.value).toContain('file is missing');
  });

  it('GIVEN four images with 1,000-character alt texts and a long thread WHEN the card is rendered THEN it stays within Discord limits', () => {
    const media = [0, 1, 2, 3].map((p) => image(p, { altText: `*_${'x'.repeat(996)}` }));
    const tweets = Array.from({ length: 6 }, (_, i) => `${i + 1}. ${'word '.repeat(50)}`);
    const card = renderDraftCard(view({ media, kind: 'thread', tweets, feedback: '*'.repeat(1000) }), {});
    expect(discordLimitViolations(card)).toEqual([]);
    expect(fieldsOf(card).filter((f) => f.name.startsWith('Image '))).toHaveLength(4);
  });

  it('GIVEN four images and a text too long for embeds WHEN the card is rendered THEN the images and the text file are all attached, within Discord limits', () => {
    const media = [0, 1, 2, 3].map((p) => image(p));
    const bytes = new Map(media.map((m) => [m.sha256, Buffer.from([m.position])]));
    const text = `${'*'.repeat(3_000)}\n${'`'.repeat(3_000)}`;
    const card = renderDraftCard(view({ media, tweets: [text] }), { bytes });
    expect(discordLimitViolations(card)).toEqual([]);
    expect(card.files.map((f) => f.name)).toEqual([
      ...cardImagePlan(view({ media }).draft).map((p) => p.name),
      expect.stringMatching(/^draft-12-revision-1\.txt$/),
    ]);
    expect(card.files.length).toBeLessThanOrEqual(10);
  });

  it('GIVEN pending drafts WHEN rendered THEN "Add image" is offered under 4 images and no GIF, and hidden otherwise', () => {
    const labels = (draft: Partial<Draft>) => buttons(renderDraftCard(view(draft))).map((b) => b.label);
    expect(labels({})).toContain('Add image');
    expect(labels({ media: [image(0), image(1), image(2)] })).toContain('Add image');
    expect(labels({ media: [0, 1, 2, 3].map((p) => image(p)) })).not.toContain('Add image');
    expect(labels({ media: [image(0, { mimeType: 'image/gif' })] })).not.toContain('Add image');
    expect(labels({ status: 'rejected' })).not.toContain('Add image');
    const add = buttons(renderDraftCard(view({ revision: 3 }))).find((b) => b.label === 'Add image');
    expect(decodeDraftCustomId(add?.custom_id ?? '')).toMatchObject({ action: 'add-image', revision: 3 });
  });

  it('GIVEN a draft with one image WHEN the Add image form is built THEN it has a file upload taking 1 to 3 files and an optional alt text', () => {
    const modal = buildAddImageModal(view({ media: [image(0)] }).draft);
    expect(decodeDraftCustomId(modal.custom_id)?.action).toBe('add-image-modal');
    const [upload, alt] = modal.components as unknown as Array<{ component: Record<string, unknown> }>;
    expect(upload?.component).toMatchObject({ type: ComponentType.FileUpload, custom_id: 'images', min_values: 1, max_values: 3, required: true });
    expect(alt?.component).toMatchObject({ type: ComponentType.TextInput, custom_id: 'alt-text', required: false, max_length: 1000 });
    expect(() => buildAddImageModal(view({ media: [image(0, { mimeType: 'image/gif' })] }).draft)).toThrow(/GIF/);
  });

  it('GIVEN a six-tweet thread with two images WHEN the Edit form is built THEN it keeps five inputs: three tweet fields, the alt texts prefilled and a Remove images select', () => {
    const media = [image(0, { altText: 'first' }), image(1, { altText: 'second' })];
    const tweets = Array.from({ length: 6 }, (_, i) => `tweet ${i + 1}`);
    const modal = buildEditModal(view({ media, kind: 'thread', tweets }).draft);
    const components = modal.components as unknown as Array<{ label: string; component: Record<string, unknown> }>;
    expect(components).toHaveLength(5);
    expect(components.map((c) => c.label)).toEqual(['Tweet 1 of 6', 'Tweet 2 of 6', 'Tweets 3-6 of 6', 'Alt texts of images 1-2', 'Remove images']);
    expect(components[3]?.component['value']).toBe('first\n---\nsecond');
    expect(components[4]?.component).toMatchObject({ type: ComponentType.StringSelect, min_values: 0, max_values: 2, required: false });
    expect(readEditedAltTexts('first\n---\nsecond, changed', 2)).toEqual(['first', 'second, changed']);
    expect(readEditedAltTexts('', 2)).toEqual(['', '']);
    expect(readEditedAltTexts('only one', 2)).toBeNull();
  });

  it('GIVEN four images with 1,000-character alt texts (over the one 4,000-character field together) WHEN the Edit form is built THEN it opens without the alt-text field and says why the alt texts stay', () => {
    const media = [0, 1, 2, 3].map((i) => image(i, { altText: `Image ${i}: ${'a chart '.repeat(125)}`.slice(0, 1_000) }));
    expect(media.every((m) => m.altText!.length === 1_000)).toBe(true);
    const modal = buildEditModal(view({ media, kind: 'tweet', tweets: ['gm pump.fun'] }).draft);
    const components = modal.components as unknown as Array<{ label: string; description?: string; component: Record<string, unknown> }>;
    expect(components.map((c) => c.label)).toEqual(['Tweet', 'Remove images']);
    expect(components.some((c) => c.component['custom_id'] === 'alt-text')).toBe(false);
    expect(components[1]?.description).toMatch(/Alt texts stay.*4000 characters/);
    expect(components[1]!.description!.length).toBeLessThanOrEqual(100);
    // A form without the field keeps every alt text (what the Edit handler reads).
    expect(readEditedAltTexts('', 4)).toEqual(['', '', '', '']);
  });

  it('GIVEN an alt text holding a line of only --- WHEN the Edit form is built THEN it opens without the alt-text field, naming that reason', () => {
    const media = [image(0, { altText: 'top\n---\nbottom' }), image(1, { altText: 'second' })];
    const modal = buildEditModal(view({ media, kind: 'tweet', tweets: ['gm pump.fun'] }).draft);
    const components = modal.components as unknown as Array<{ label: string; description?: string; component: Record<string, unknown> }>;
    expect(components.map((c) => c.label)).toEqual(['Tweet', 'Remove images']);
    expect(components[1]?.description).toMatch(/Alt texts stay.*---/);
  });
});
