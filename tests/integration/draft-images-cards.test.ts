import { InteractionResponseType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { encodeDraftCustomId } from '../../src/domain/custom-id.js';
import type { FakeMessage, ModalUpload } from '../support/fake-discord.js';
import { corruptImage, pngNamedJpg, testImage } from '../support/images.js';
import { useModerationHarness } from '../support/app-harness.js';
import type { ModerationDriver, PostedCard } from '../support/moderation-driver.js';

const moderation = useModerationHarness();
const MB = 1024 * 1024;

const field = (message: FakeMessage, name: string): string | undefined =>
  ((message.embeds[0] as { fields?: Array<{ name: string; value: string }> } | undefined)?.fields ?? []).find((f) => f.name === name)?.value;
const revisionOf = (message: FakeMessage) => Number(field(message, 'Revision'));
const attachmentNames = (message: FakeMessage) => message.attachments.map((a) => String(a['filename']));

const png = (name = 'chart.png', width = 1200, height = 675): ModalUpload => ({
  filename: name,
  data: testImage('png', { width, height }),
  contentType: 'image/png',
});

/** Clicks Add image on the card and submits the form the bot showed with these files and alt text; returns the submit. */
async function addImages(driver: ModerationDriver, card: PostedCard, revision: number, files: readonly ModalUpload[], altText = '') {
  const click = moderation.track(driver.click(card, 'add-image', card.draft.id, revision));
  const shown = await driver.fakes.discord.waitForCallback(click.id);
  expect(shown.type).toBe(InteractionResponseType.Modal);
  return moderation.track(driver.submit(card, 'add-image-modal', card.draft.id, revision, { 'alt-text': altText }, undefined, { files: { images: files } }));
}

/** Waits until the card shows `revision`. */
function cardAt(driver: ModerationDriver, card: PostedCard, revision: number): Promise<FakeMessage> {
  return driver.fakes.discord.waitForMessage((m) => m.id === card.messageId && revisionOf(m) === revision);
}

describe('images on draft cards (issue 14)', () => {
  it('GIVEN a pending card WHEN a moderator adds two images with alt text THEN the submit is deferred at once and the card shows them at the next revision, files on the wire', async () => {
    const driver = await moderation.start();
    const card = await driver.postDraft('Read the bonding curve before you buy: it tells you who sells to whom.');
    const submit = await addImages(driver, card, 1, [png('chart.png'), png('logo.png', 64, 64)], 'A bonding curve chart');
    const callback = await driver.fakes.discord.waitForCallback(submit.id);
    expect(callback.type).toBe(InteractionResponseType.DeferredMessageUpdate);

    const shown = await cardAt(driver, card, 2);
    expect(attachmentNames(shown)).toEqual([expect.stringMatching(/^image-1-[0-9a-f]{12}\.png$/), expect.stringMatching(/^image-2-[0-9a-f]{12}\.png$/)]);
    expect((shown.embeds[0]?.['image'] as { url?: string } | undefined)?.url).toContain('/attachments/');
    expect(field(shown, 'Image 1 of 2')).toContain('PNG');
    expect(field(shown, 'Image 1 of 2')).toContain('1200×675');
    expect(field(shown, 'Image 1 of 2')).toContain('Alt text (by a moderator): A bonding curve chart');
    expect(field(shown, 'Image 2 of 2')).toContain('64×64');
    const stored = await driver.testApp.app.services.moderation.draftForForm({ draftId: card.draft.id, revision: 2, messageId: card.messageId });
    expect(stored.status === 'ok' && stored.draft.media?.map((m) => [m.position, m.width, m.altText])).toEqual([
      [0, 1200, 'A bonding curve chart'],
      [1, 64, 'A bonding curve chart'],
    ]);

    // Approve (a dry run here: the X side, upload → metadata → tweet with media_ids, is XPUB's and the lead's).
    const approve = moderation.track(driver.click(card, 'approve', card.draft.id, 2));
    await driver.fakes.discord.waitForCallback(approve.id);
    const published = await driver.fakes.discord.waitForMessage((m) => m.id === card.messageId && (field(m, 'Status') ?? '').includes('Published'));
    expect(published.attachments.map((a) => a['id'])).toEqual(shown.attachments.map((a) => a['id']));
    expect(field(published, 'Image 2 of 2')).toContain('64×64');
  });

  const badInputs: Array<{ name: string; existing?: readonly ModalUpload[]; files: () => readonly ModalUpload[]; altText?: string; says: RegExp }> = [
    {
      name: 'a text file',
      files: () => [{ filename: 'notes.txt', data: Buffer.from('not an image at all, just words'), contentType: 'text/plain' }],
      says: /PNG|JPEG|type/i,
    },
    {
      name: 'a GIF next to a PNG',
      existing: [png('1.png')],
      files: () => [{ filename: 'a.gif', data: testImage('gif'), contentType: 'image/gif' }],
      says: /GIF/,
    },
    {
      name: 'a 6 MB PNG',
      files: () => [{ filename: 'big.png', data: testImage('png', { bytes: 6 * MB }), contentType: 'image/png' }],
      says: /5 MB|size|large/i,
    },
    {
      // X takes it (15 MB), but Discord could not show it on the card (10 MB): nothing is published unseen.
      name: 'a 12 MB GIF',
      files: () => [{ filename: 'exit.gif', data: testImage('gif', { width: 480, height: 270, bytes: 12 * MB }), contentType: 'image/gif' }],
      says: /exit\.gif is 12 MB: X takes GIFs up to 15 MB, but the card can only show 10 MB, and nothing is published that moderators could not see/,
    },
    { name: 'a corrupt PNG', files: () => [{ filename: 'broken.png', data: corruptImage(), contentType: 'image/png' }], says: /decode|corrupt|read/i },
    {
      name: 'a truncated GIF whose header is valid',
      files: () => {
        const whole = testImage('gif', { width: 64, height: 48 });
        return [{ filename: 'cut.gif', data: whole.subarray(0, Math.floor(whole.length * 0.7)), contentType: 'image/gif' }];
      },
      says: /cut\.gif does not decode as a GIF image/,
    },
    {
      name: 'a PNG named .jpg',
      files: () => {
        const file = pngNamedJpg();
        return [{ filename: file.filename, data: file.bytes, contentType: file.contentType }];
      },
      says: /JPEG|PNG|claims|mismatch/i,
    },
    { name: 'a file Discord no longer serves', files: () => [{ ...png('gone.png'), unavailable: true }], says: /download/i },
    { name: 'alt text with an @mention', files: () => [png()], altText: 'Chart by @someone', says: /mention|alt/i },
  ];

  for (const bad of badInputs) {
    it(`GIVEN ${bad.name} WHEN a moderator adds it THEN a private error names the rule and the card and draft keep what they had`, async () => {
      const driver = await moderation.start();
      const card = await driver.postDraft('Check the contract on the explorer, not in a screenshot from a stranger.');
      let revision = 1;
      if (bad.existing) {
        await addImages(driver, card, 1, bad.existing, 'A chart');
        await cardAt(driver, card, 2);
        revision = 2;
      }
      const before = structuredClone(driver.message(card.messageId));
      const submit = await addImages(driver, card, revision, bad.files(), bad.altText ?? 'A picture');
      const reply = await driver.ephemeralReply(submit.id);
      expect(reply).toMatch(bad.says);
      expect(reply).toMatch(/nothing was added|keeps what it had/i);
      const after = driver.message(card.messageId);
      expect(revisionOf(after)).toBe(revision);
      expect(after.attachments).toEqual(before.attachments);
      const stored = await driver.testApp.app.services.moderation.draftForForm({ draftId: card.draft.id, revision, messageId: card.messageId });
      expect(stored.status === 'ok' && (stored.draft.media?.length ?? 0)).toBe(bad.existing?.length ?? 0);
    });
  }

  it('GIVEN a draft with three images WHEN Add image is pressed THEN the form takes one more file, and at four the button is gone', async () => {
    const driver = await moderation.start();
    const card = await driver.postDraft('Four charts, one lesson: the curve always ends.');
    await addImages(driver, card, 1, [png('1.png'), png('2.png'), png('3.png')], 'A chart');
    await cardAt(driver, card, 2);
    const click = moderation.track(driver.click(card, 'add-image', card.draft.id, 2));
    const form = await driver.fakes.discord.waitForCallback(click.id);
    const upload = (form.data?.['components'] as Array<{ component: Record<string, unknown> }>)[0]?.component;
    expect(upload).toMatchObject({ type: 19, min_values: 1, max_values: 1 });
    // Discord itself refuses a second file in that form.
    expect(() => driver.submit(card, 'add-image-modal', card.draft.id, 2, {}, undefined, { files: { images: [png('4.png'), png('5.png')] } })).toThrow(
      /max_values/,
    );
    moderation.track(driver.submit(card, 'add-image-modal', card.draft.id, 2, { 'alt-text': 'A chart' }, undefined, { files: { images: [png('4.png')] } }));
    const full = await cardAt(driver, card, 3);
    expect(attachmentNames(full)).toHaveLength(4);
    expect(driver.buttons(card.messageId)).not.toContain(encodeDraftCustomId({ action: 'add-image', draftId: card.draft.id, revision: 3 }));
  });

  it('GIVEN a pending card WHEN someone without the moderator role presses Add image THEN they are refused privately and no form opens', async () => {
    const driver = await moderation.start();
    const card = await driver.postDraft('Never share your seed phrase, not even with support.');
    const click = moderation.track(driver.click(card, 'add-image', card.draft.id, 1, driver.fakes.discord.userIds.plain));
    expect(await driver.ephemeralReply(click.id)).toMatch(/Only moderators/);
    expect((await driver.fakes.discord.waitForCallback(click.id)).type).not.toBe(InteractionResponseType.Modal);
    // A forged submit is checked again.
    const forged = moderation.track(
      driver.fakes.discord.injectModalSubmit({
        customId: encodeDraftCustomId({ action: 'add-image-modal', draftId: card.draft.id, revision: 1 }),
        fields: { 'alt-text': 'x' },
        messageId: card.messageId,
        userId: driver.fakes.discord.userIds.plain,
      }),
    );
    expect(await driver.ephemeralReply(forged.id)).toMatch(/Only moderators/);
    expect(revisionOf(driver.message(card.messageId))).toBe(1);
  });

  it('GIVEN a draft with two images WHEN a moderator edits it removing one and changing the other’s alt text THEN both land in one new revision', async () => {
    const driver = await moderation.start();
    const card = await driver.postDraft('Liquidity that can be pulled is not liquidity.');
    await addImages(driver, card, 1, [png('a.png'), png('b.png', 300, 200)], 'Old alt text');
    await cardAt(driver, card, 2);
    const click = moderation.track(driver.click(card, 'edit', card.draft.id, 2));
    const modal = await driver.fakes.discord.waitForCallback(click.id);
    expect(modal.type).toBe(InteractionResponseType.Modal);
    const submit = moderation.track(
      driver.submit(
        card,
        'edit-modal',
        card.draft.id,
        2,
        { 'tweet-1': 'Liquidity that can be pulled is not liquidity. Check the lock.', 'alt-text': 'Old alt text\n---\nA locked liquidity pool' },
        undefined,
        { selects: { 'remove-images': ['0'] } },
      ),
    );
    const shown = await cardAt(driver, card, 3);
    expect(driver.ephemeralReplies(submit.id)).toEqual([]);
    expect(shown.embeds[0]?.['description']).toContain('Check the lock');
    expect(field(shown, 'Image 1 of 1')).toContain('300×200');
    expect(field(shown, 'Image 1 of 1')).toContain('A locked liquidity pool');
    expect(attachmentNames(shown)).toHaveLength(1);
  });

  it('GIVEN four images with 1,000-character alt texts WHEN a moderator clicks Edit THEN the form opens (no alt-text field, a note says why), and a text edit keeps every alt text', async () => {
    const driver = await moderation.start();
    const card = await driver.postDraft('Four charts, one lesson: the curve does not care about your feelings.');
    const alt = `Four charts of token launches: ${'volume rises then fades, '.repeat(50)}`.slice(0, 1_000).trimEnd().padEnd(1_000, '.');
    expect(alt).toHaveLength(1_000);
    await addImages(driver, card, 1, [png('1.png'), png('2.png'), png('3.png'), png('4.png')], alt);
    await cardAt(driver, card, 2);
    const click = moderation.track(driver.click(card, 'edit', card.draft.id, 2));
    const modal = await driver.fakes.discord.waitForCallback(click.id);
    expect(modal.type).toBe(InteractionResponseType.Modal);
    const labels = (modal.data?.['components'] as Array<{ label?: string; description?: string }>).map((c) => [c.label, c.description ?? '']);
    expect(labels.map(([label]) => label)).toEqual(['Tweet', 'Remove images']);
    expect(labels[1]![1]).toMatch(/Alt texts stay: together they exceed the form's 4000 characters/);
    moderation.track(
      driver.submit(card, 'edit-modal', card.draft.id, 2, { 'tweet-1': 'Four charts, one lesson: the curve never cares.' }, undefined, {
        selects: { 'remove-images': [] },
      }),
    );
    await cardAt(driver, card, 3);
    const stored = await driver.testApp.app.repos.drafts.findById(card.draft.id);
    expect(stored!.tweets).toEqual(['Four charts, one lesson: the curve never cares.']);
    expect(stored!.media!.map((m) => m.altText)).toEqual([alt, alt, alt, alt]);
  });

  it('GIVEN a draft with an image WHEN a moderator regenerates it THEN the new revision keeps the image and the card keeps its attachment without uploading it again', async () => {
    const driver = await moderation.start();
    const card = await driver.postDraft('A rug pull starts with a mint authority nobody renounced.');
    await addImages(driver, card, 1, [png()], 'A chart');
    const withImage = await cardAt(driver, card, 2);
    const attachmentId = withImage.attachments[0]?.['id'];
    driver.fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: 'Renounced mint authority: the first thing to check before you buy.' } });
    const click = moderation.track(driver.click(card, 'regenerate', card.draft.id, 2));
    await driver.fakes.discord.waitForCallback(click.id);
    const uploadsBefore = driver.fakes.discord.http.requests.filter((r) => (r.multipart ?? []).some((p) => p.filename !== undefined)).length;
    moderation.track(driver.submit(card, 'regenerate-modal', card.draft.id, 2, { feedback: '' }));
    const regenerated = await cardAt(driver, card, 3);
    expect(regenerated.embeds[0]?.['description']).toContain('Renounced mint authority');
    expect(field(regenerated, 'Image 1 of 1')).toContain('Alt text (by a moderator): A chart');
    expect(regenerated.attachments.map((a) => a['id'])).toEqual([attachmentId]);
    const uploadsAfter = driver.fakes.discord.http.requests.filter((r) => (r.multipart ?? []).some((p) => p.filename !== undefined)).length;
    expect(uploadsAfter).toBe(uploadsBefore);
  });
});
