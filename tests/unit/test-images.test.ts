import { inflateSync, crc32 } from 'node:zlib';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { imageSize } from 'image-size';
import { describe, expect, it } from 'vitest';
import { corruptImage, notAnImage, pngNamedJpg, testImage, type TestImageType } from '../support/images.js';

/** Decodes a file with a real decoder (Skia, through @napi-rs/canvas) and reads its size and one pixel. */
async function decode(bytes: Buffer): Promise<{ width: number; height: number; pixel: number[] }> {
  const image = await loadImage(bytes);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, pixel: Array.from(context.getImageData(image.width - 1, image.height - 1, 1, 1).data) };
}

const COLOURS: Record<TestImageType, number[]> = {
  png: [0x2a, 0x7f, 0xd4, 255],
  jpeg: [128, 128, 128, 255],
  gif: [0xf7, 0x93, 0x1a, 255],
  webp: [0x1a, 0x93, 0xf7, 255],
};
const SIZE_NAMES: Record<TestImageType, string> = { png: 'png', jpeg: 'jpg', gif: 'gif', webp: 'webp' };
const TYPES: TestImageType[] = ['png', 'jpeg', 'gif', 'webp'];

describe('test images (tests/support/images.ts)', () => {
  it.each(TYPES)('GIVEN a %s of 37 x 21 WHEN image-size and a real decoder read it THEN both see that image', async (type) => {
    const bytes = testImage(type, { width: 37, height: 21 });
    expect(imageSize(bytes)).toMatchObject({ type: SIZE_NAMES[type], width: 37, height: 21 });
    expect(await decode(bytes)).toEqual({ width: 37, height: 21, pixel: COLOURS[type] });
  });

  it.each(TYPES)('GIVEN a %s padded to an exact odd size WHEN read THEN it has that size and is still the same image', async (type) => {
    const bytes = testImage(type, { width: 9, height: 5, bytes: 200_001 });
    expect(bytes.length).toBe(200_001);
    expect(imageSize(bytes)).toMatchObject({ type: SIZE_NAMES[type], width: 9, height: 5 });
    expect(await decode(bytes)).toEqual({ width: 9, height: 5, pixel: COLOURS[type] });
  });

  it.each([
    ['png', 5 * 1024 * 1024 + 1],
    ['gif', 15 * 1024 * 1024],
  ] as const)('GIVEN a %s padded to %i bytes (a limit) THEN it still inspects as the same image', (type, size) => {
    const bytes = testImage(type, { width: 3, height: 2, bytes: size });
    expect(bytes.length).toBe(size);
    expect(imageSize(bytes)).toMatchObject({ type: SIZE_NAMES[type], width: 3, height: 2 });
  });

  it('GIVEN a PNG WHEN its chunks are walked with node zlib THEN every CRC holds and IDAT inflates to the filtered rows', () => {
    const bytes = testImage('png', { width: 5, height: 4, bytes: 5000 });
    const types: string[] = [];
    let idat = Buffer.alloc(0);
    for (let offset = 8; offset < bytes.length; ) {
      const length = bytes.readUInt32BE(offset);
      const type = bytes.toString('latin1', offset + 4, offset + 8);
      expect(bytes.readUInt32BE(offset + 8 + length)).toBe(crc32(bytes.subarray(offset + 4, offset + 8 + length)));
      if (type === 'IDAT') idat = Buffer.concat([idat, bytes.subarray(offset + 8, offset + 8 + length)]);
      types.push(type);
      offset += 12 + length;
    }
    expect(types).toEqual(['IHDR', 'IDAT', 'paDd', 'IEND']);
    expect(inflateSync(idat).length).toBe(4 * (1 + 5 * 3));
  });

  it('GIVEN the corrupt file and a text file THEN neither image-size nor a decoder reads them', async () => {
    expect(() => imageSize(corruptImage())).toThrow();
    expect(() => imageSize(notAnImage())).toThrow();
    await expect(decode(corruptImage())).rejects.toThrow();
  });

  it('GIVEN the PNG named .jpg THEN it is announced as JPEG but its bytes are PNG', () => {
    const file = pngNamedJpg();
    expect(file).toMatchObject({ filename: 'chart.jpg', contentType: 'image/jpeg' });
    expect(imageSize(file.bytes).type).toBe('png');
  });

  it('GIVEN a size too small to pad to THEN the builder says so', () => {
    expect(() => testImage('png', { bytes: 10 })).toThrow(/at least/);
  });
});
