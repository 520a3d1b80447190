import { describe, expect, it } from 'vitest';
import {
  maxBytesForHead,
  maxDownloadBytes,
  altTextViolations,
  checkImageCount,
  checkImageSet,
  editDraftMedia,
  imageRiskFlags,
  inspectImage,
  MEDIA_LIMITS,
  mediaUploadReusable,
  revisionRiskFlags,
  MediaRuleError,
  type DraftMedia,
  type ImageFacts,
  type MediaRule,
} from '../../src/domain/media.js';
import { corruptImage, notAnImage, pngNamedJpg, testImage } from '../support/images.js';

function ruleOf(action: () => unknown): MediaRule | 'none' {
  try {
    action();
    return 'none';
  } catch (error) {
    if (error instanceof MediaRuleError) return error.rule;
    throw error;
  }
}

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

const png = (bytes = 1000): ImageFacts => ({ mimeType: 'image/png', bytes, width: 10, height: 10 });
const gif = (bytes = 1000): ImageFacts => ({ mimeType: 'image/gif', bytes, width: 10, height: 10 });

describe('inspectImage', () => {
  it.each([
    ['png', 'image/png'],
    ['jpeg', 'image/jpeg'],
    ['gif', 'image/gif'],
    ['webp', 'image/webp'],
  ] as const)('GIVEN a real %s claimed as %s THEN its type, size and dimensions come back', (type, mime) => {
    const bytes = testImage(type, { width: 640, height: 360 });
    expect(inspectImage(bytes, mime)).toEqual({ mimeType: mime, bytes: bytes.length, width: 640, height: 360 });
  });

  it.each(['png', 'gif', 'webp'] as const)(
    'GIVEN a small %s whose header claims more than 8192 pixels a side THEN it is refused as dimensions before anything decodes it; 8192 passes',
    (type) => {
      expect(() => inspectImage(testImage(type, { width: 8193, height: 1 }), null, 'wide.img')).toThrowError(
        expect.objectContaining({ rule: 'dimensions', message: 'wide.img is 8193 x 1 pixels; X takes images up to 8192 x 8192' }),
      );
      expect(() => inspectImage(testImage(type, { width: 2, height: 9000 }), null)).toThrowError(expect.objectContaining({ rule: 'dimensions' }));
      expect(inspectImage(testImage(type, { width: 8192, height: 1 }), null)).toMatchObject({ width: 8192, height: 1 });
    },
  );

  it('GIVEN no claimed type or "image/jpg" THEN the bytes decide', () => {
    expect(inspectImage(testImage('webp'), null).mimeType).toBe('image/webp');
    expect(inspectImage(testImage('jpeg'), 'image/jpg').mimeType).toBe('image/jpeg');
  });

  it('GIVEN a PNG named .jpg and announced as JPEG THEN it is refused as a mismatch naming both types', () => {
    const file = pngNamedJpg();
    expect(ruleOf(() => inspectImage(file.bytes, file.contentType, file.filename))).toBe('mismatch');
    expect(messageOf(() => inspectImage(file.bytes, file.contentType, file.filename))).toMatch(/chart\.jpg claims to be JPEG but its bytes are PNG/);
  });

  it('GIVEN a corrupt PNG or a text file THEN it is refused as not decoding', () => {
    expect(ruleOf(() => inspectImage(corruptImage(), 'image/png'))).toBe('decode');
    expect(ruleOf(() => inspectImage(notAnImage(), null))).toBe('decode');
  });

  it('GIVEN a type X does not take (claimed or real) THEN it is refused as type', () => {
    expect(ruleOf(() => inspectImage(testImage('png'), 'application/pdf'))).toBe('type');
    // A BMP: image-size reads it, X does not take it.
    const bmp = Buffer.alloc(54);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(54, 2);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(2, 18);
    bmp.writeInt32LE(2, 22);
    expect(ruleOf(() => inspectImage(bmp, null))).toBe('type');
  });
});

describe('checkImageSet', () => {
  it('GIVEN 4 images THEN they pass, and a 5th is refused as count', () => {
    expect(ruleOf(() => checkImageSet([png(), png()], [png(), png()]))).toBe('none');
    expect(ruleOf(() => checkImageSet([png(), png(), png()], [png(), png()]))).toBe('count');
    expect(messageOf(() => checkImageSet([png(), png(), png()], [png(), png()]))).toMatch(/at most 4 images; the draft has 3 and 2 were added/);
  });

  it('GIVEN a GIF with any other image (either side) THEN it is refused as gif_alone; a GIF alone passes', () => {
    expect(ruleOf(() => checkImageSet([], [gif()]))).toBe('none');
    expect(ruleOf(() => checkImageSet([gif()], [png()]))).toBe('gif_alone');
    expect(ruleOf(() => checkImageSet([png()], [gif()]))).toBe('gif_alone');
    expect(ruleOf(() => checkImageSet([], [gif(), gif()]))).toBe('gif_alone');
  });

  it("GIVEN sizes at and over the limits THEN 5 MB per image and 10 MB per GIF (what the card can show of X's 15 MB) are the line", () => {
    expect(ruleOf(() => checkImageSet([], [png(MEDIA_LIMITS.maxImageBytes)]))).toBe('none');
    expect(ruleOf(() => checkImageSet([], [png(MEDIA_LIMITS.maxImageBytes + 1)]))).toBe('size');
    expect(ruleOf(() => checkImageSet([], [gif(10 * 1024 * 1024)]))).toBe('none');
    expect(ruleOf(() => checkImageSet([], [gif(10 * 1024 * 1024 + 1)]))).toBe('size');
    expect(ruleOf(() => checkImageSet([], [gif(MEDIA_LIMITS.maxGifBytes)]))).toBe('size');
    expect(ruleOf(() => checkImageSet([], [gif(MEDIA_LIMITS.maxGifBytes + 1)]))).toBe('size');
    expect(messageOf(() => checkImageSet([], [{ ...gif(12 * 1024 * 1024), name: 'loop.gif' }]))).toBe(
      'loop.gif is 12 MB: X takes GIFs up to 15 MB, but the card can only show 10 MB, and nothing is published that moderators could not see',
    );
    expect(messageOf(() => checkImageSet([png()], [{ ...png(6 * 1024 * 1024), name: 'big.png' }]))).toMatch(/big\.png is 6 MB; X takes at most 5 MB per image/);
  });

  it('GIVEN the count check before any download THEN unknown types still count, and nothing joins a GIF', () => {
    expect(ruleOf(() => checkImageCount([png(), png(), png()], [null, null]))).toBe('count');
    expect(ruleOf(() => checkImageCount([png(), png()], [null, null]))).toBe('none');
    expect(ruleOf(() => checkImageCount([gif()], [null]))).toBe('gif_alone');
  });
});

describe('download bounds', () => {
  it("GIVEN Discord's type and the file name THEN a GIF's 15 MB only when either says GIF, otherwise an image's 5 MB", () => {
    expect(maxDownloadBytes(null, 'chart.png')).toBe(MEDIA_LIMITS.maxImageBytes);
    expect(maxDownloadBytes(null, 'loop.GIF')).toBe(MEDIA_LIMITS.maxGifBytes);
    expect(maxDownloadBytes('image/gif', 'loop')).toBe(MEDIA_LIMITS.maxGifBytes);
    expect(maxDownloadBytes('image/png', 'chart.png')).toBe(MEDIA_LIMITS.maxImageBytes);
  });

  it('GIVEN the first bytes of a file THEN only a real GIF keeps 15 MB; too few bytes say nothing yet', () => {
    expect(maxBytesForHead(testImage('gif').subarray(0, 8))).toBe(MEDIA_LIMITS.maxGifBytes);
    expect(maxBytesForHead(testImage('png').subarray(0, 8))).toBe(MEDIA_LIMITS.maxImageBytes);
    expect(maxBytesForHead(testImage('gif').subarray(0, 3))).toBeNull();
  });
});

describe('altTextViolations', () => {
  it('GIVEN a plain description THEN there is no violation', () => {
    expect(altTextViolations('A line chart of launches per day, rising to the right.')).toEqual([]);
  });

  it('GIVEN 1,000 characters THEN it passes, and 1,001 is a length violation', () => {
    expect(altTextViolations('a'.repeat(1000))).toEqual([]);
    expect(altTextViolations('a'.repeat(1001), 'The alt text of image 2')).toEqual([
      { rule: 'length', tweetIndex: null, message: 'The alt text of image 2 is 1001 characters; the limit is 1000' },
    ]);
  });

  it('GIVEN a wallet address, an EVM address or a mention THEN each is a violation', () => {
    const rules = altTextViolations('Send to 7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU or 0x52908400098527886E0F7030069857D2E4169EE7, says @someone').map(
      (v) => v.rule,
    );
    expect(rules).toEqual(['address', 'address', 'mention']);
  });

  it('GIVEN a mention written with a fullwidth at sign THEN it is still found', () => {
    expect(altTextViolations('Thanks ＠someone').map((v) => v.rule)).toEqual(['mention']);
  });
});

describe('mediaUploadReusable', () => {
  const hour = 60 * 60 * 1000;
  it('GIVEN an upload younger than 23 h THEN it is re-used; at 23 h or from the future THEN it is not', () => {
    expect(mediaUploadReusable({ uploadedAt: 0 }, 23 * hour - 1)).toBe(true);
    expect(mediaUploadReusable({ uploadedAt: 0 }, 23 * hour)).toBe(false);
    expect(mediaUploadReusable({ uploadedAt: 10 * hour }, 9 * hour)).toBe(false);
  });
});

describe('imageRiskFlags', () => {
  it('GIVEN findings on images 1 and 3 THEN each becomes an image_content flag naming the image, in post order', () => {
    expect(
      imageRiskFlags([
        { position: 2, findings: ['promises a price'] },
        { position: 0, findings: ['shows a wallet address', 'shows a wallet address'] },
        { position: 1, findings: [] },
      ]),
    ).toEqual([
      { id: 'image_content', label: 'image 1: shows a wallet address' },
      { id: 'image_content', label: 'image 3: promises a price' },
    ]);
  });

  it('GIVEN a very long finding THEN its label is cut to 100 characters', () => {
    const [flag] = imageRiskFlags([{ position: 0, findings: ['x'.repeat(300)] }]);
    expect([...flag!.label]).toHaveLength(100);
  });
});

describe('editDraftMedia', () => {
  const media = (position: number, extra: Partial<DraftMedia> = {}): DraftMedia => ({
    ...png(),
    position,
    sha256: String(position).repeat(64),
    altText: `alt ${position}`,
    altSource: 'claude',
    findings: [],
    ...extra,
  });

  it("GIVEN a removal and a new alt text THEN the rest is renumbered in order and the written alt text is the moderator's", () => {
    const result = editDraftMedia([media(0), media(1), media(2, { findings: ['promises a price'] })], {
      altTexts: [null, 'gone anyway', '  Mine  '],
      remove: [1],
    });
    expect(result).toEqual({
      media: [media(0), { ...media(2, { findings: ['promises a price'] }), position: 1, altText: 'Mine', altSource: 'moderator' }],
    });
  });

  it("GIVEN blank alt texts THEN the images keep theirs (Claude's stay Claude's)", () => {
    expect(editDraftMedia([media(0)], { altTexts: ['   '], remove: [] })).toEqual({ media: [media(0)] });
  });

  it('GIVEN a bad alt text on image 2 THEN the violation names image 2', () => {
    expect(editDraftMedia([media(0), media(1)], { altTexts: [null, 'a'.repeat(1001)], remove: [] })).toEqual({
      violations: [{ rule: 'length', tweetIndex: null, message: 'The alt text of image 2 is 1001 characters; the limit is 1000' }],
    });
  });
});

describe('revisionRiskFlags', () => {
  it("GIVEN text flags and an old image flag THEN the old image flag is replaced by the current images' flags", () => {
    expect(
      revisionRiskFlags(
        [
          { id: 'mentions_price', label: 'mentions a price' },
          { id: 'image_content', label: 'image 3: old' },
        ],
        [{ position: 0, findings: ['shows a wallet address'] }],
      ),
    ).toEqual([
      { id: 'mentions_price', label: 'mentions a price' },
      { id: 'image_content', label: 'image 1: shows a wallet address' },
    ]);
  });
});
