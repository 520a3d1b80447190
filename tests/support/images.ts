import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

/**
 * Real image files built in code for the issue 14 tests: every one decodes as what it claims
 * (tests/unit/test-images.test.ts checks each with image-size, and decodes it with node's zlib
 * and @napi-rs/canvas), at any width and height, and any of them can be padded to an exact byte
 * size (for the 5 MB / 15 MB limits) with chunks every decoder skips, so a padded file still
 * inspects as the same image.
 *
 * The pictures are solid colours on purpose: the encoders stay tiny (no DCT, no real LZW) and the
 * bytes are the same on every run.
 */

export type TestImageType = 'png' | 'jpeg' | 'gif' | 'webp';

export interface TestImageOptions {
  readonly width?: number;
  readonly height?: number;
  /** Pads the file to exactly this many bytes (it must be at least the unpadded size plus a chunk header). */
  readonly bytes?: number;
}

export const TEST_IMAGE_MIME: Readonly<Record<TestImageType, 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp'>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** A real image of `type`, `width` x `height` (default 4 x 3), optionally padded to exactly `bytes`. */
export function testImage(type: TestImageType, options: TestImageOptions = {}): Buffer {
  const width = options.width ?? 4;
  const height = options.height ?? 3;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`testImage: width and height must be positive integers, got ${width} x ${height}`);
  }
  switch (type) {
    case 'png':
      return pngImage(width, height, options.bytes);
    case 'jpeg':
      return jpegImage(width, height, options.bytes);
    case 'gif':
      return gifImage(width, height, options.bytes);
    case 'webp':
      return webpImage(width, height, options.bytes);
  }
}

/** The real PNG bytes, saved under a .jpg name and announced by Discord as image/jpeg. */
export function pngNamedJpg(): { readonly bytes: Buffer; readonly filename: string; readonly contentType: string } {
  return { bytes: testImage('png'), filename: 'chart.jpg', contentType: 'image/jpeg' };
}

/** A file that starts like a PNG but has no image header: no decoder (nor image-size) can read it. */
export function corruptImage(): Buffer {
  const bytes = Buffer.alloc(64, 0x5a);
  PNG_SIGNATURE.copy(bytes, 0);
  return bytes;
}

/** Bytes that are no image at all (a text file renamed .png). */
export function notAnImage(): Buffer {
  return Buffer.from('this is a text file, not an image\n'.repeat(4), 'utf8');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function tooSmall(type: TestImageType, wanted: number, minimum: number): Error {
  return new Error(`testImage: a padded ${type} needs at least ${minimum} bytes, ${wanted} asked`);
}

// --- PNG: IHDR, one zlib IDAT of filter-0 RGB rows, a private ancillary padding chunk, IEND -------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

function pngImage(width: number, height: number, bytes: number | undefined): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x += 1) row.set([0x2a, 0x7f, 0xd4], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const parts = [PNG_SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(raw))];
  const end = pngChunk('IEND', Buffer.alloc(0));
  const size = parts.reduce((sum, part) => sum + part.length, 0) + end.length;
  if (bytes !== undefined && bytes !== size) {
    // "paDd": ancillary (lower-case first letter), so every decoder skips it.
    if (bytes < size + 12) throw tooSmall('png', bytes, size + 12);
    parts.push(pngChunk('paDd', Buffer.alloc(bytes - size - 12)));
  }
  return Buffer.concat([...parts, end]);
}

// --- JPEG: baseline, greyscale, every 8x8 block DC 0 and EOB (a flat grey), COM segments to pad ---

/** The standard luminance tables (ITU T.81 K.3), so the 2-bit DC "0" code and the 4-bit EOB are known. */
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
const AC_VALUES = [
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23,
  0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a,
  0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
  0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94,
  0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2,
  0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
  0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
];

function jpegSegment(marker: number, data: Buffer): Buffer {
  const segment = Buffer.alloc(4 + data.length);
  segment[0] = 0xff;
  segment[1] = marker;
  segment.writeUInt16BE(data.length + 2, 2);
  data.copy(segment, 4);
  return segment;
}

function jpegImage(width: number, height: number, bytes: number | undefined): Buffer {
  if (width > 0xffff || height > 0xffff) throw new Error('testImage: a JPEG is at most 65535 x 65535');
  const dqt = Buffer.alloc(65, 1); // table 0, 8-bit, every quantiser 1
  dqt[0] = 0;
  const sof = Buffer.from([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  const dht = Buffer.from([0x00, ...DC_BITS, ...DC_VALUES, 0x10, ...AC_BITS, ...AC_VALUES]);
  const sos = Buffer.from([1, 1, 0x00, 0, 63, 0]);
  // Each block is DC category 0 ("00") then EOB ("1010"): 6 bits, never eight 1s in a row, so no
  // 0xFF byte needs stuffing. The last byte is padded with 1 bits, as T.81 says.
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const scan = Buffer.alloc(Math.ceil((blocks * 6) / 8));
  let bit = 0;
  for (let block = 0; block < blocks; block += 1) {
    for (const value of [0, 0, 1, 0, 1, 0]) {
      if (value === 1) scan[bit >> 3]! |= 0x80 >> (bit & 7);
      bit += 1;
    }
  }
  for (; bit < scan.length * 8; bit += 1) scan[bit >> 3]! |= 0x80 >> (bit & 7);
  const head = [Buffer.from([0xff, 0xd8]), jpegSegment(0xdb, dqt), jpegSegment(0xc0, sof), jpegSegment(0xc4, dht)];
  const tail = [jpegSegment(0xda, sos), scan, Buffer.from([0xff, 0xd9])];
  const size = [...head, ...tail].reduce((sum, part) => sum + part.length, 0);
  if (bytes !== undefined && bytes !== size) {
    if (bytes < size + 4) throw tooSmall('jpeg', bytes, size + 4);
    // Comment segments (FF FE) between the headers and the scan: 4 to 65537 bytes each.
    for (const length of splitPadding(bytes - size, 4, 65537)) head.push(jpegSegment(0xfe, Buffer.alloc(length - 4, 0x20)));
  }
  return Buffer.concat([...head, ...tail]);
}

// --- GIF: 89a, a 2-colour table, LZW with a clear code every 2 pixels, comment extensions to pad ---

function gifImage(width: number, height: number, bytes: number | undefined): Buffer {
  if (width > 0xffff || height > 0xffff) throw new Error('testImage: a GIF is at most 65535 x 65535');
  const header = Buffer.alloc(13);
  header.write('GIF89a', 0, 'latin1');
  header.writeUInt16LE(width, 6);
  header.writeUInt16LE(height, 8);
  header[10] = 0x80; // global colour table of 2 entries
  const palette = Buffer.from([0xf7, 0x93, 0x1a, 0x00, 0x00, 0x00]);
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  // LZW with minimum code size 2: clear = 4, end = 5. "clear, 0, 0" adds one entry (6), so the codes
  // stay 3 bits wide and no decoder's code-size switch can disagree with ours.
  const codes: number[] = [];
  const pixels = width * height;
  for (let done = 0; done < pixels; done += 2) {
    codes.push(4, 0);
    if (done + 1 < pixels) codes.push(0);
  }
  codes.push(5);
  const lzw = Buffer.alloc(Math.ceil((codes.length * 3) / 8));
  codes.forEach((code, index) => {
    const at = index * 3;
    lzw[at >> 3]! |= (code << (at & 7)) & 0xff;
    if ((at & 7) > 5) lzw[(at >> 3) + 1]! |= code >> (8 - (at & 7));
  });
  const data = [Buffer.from([2]), ...subBlocks(lzw), Buffer.from([0])];
  const trailer = Buffer.from([0x3b]);
  const parts = [header, palette, descriptor, ...data];
  const size = parts.reduce((sum, part) => sum + part.length, 0) + 1;
  if (bytes !== undefined && bytes !== size) {
    if (bytes < size + 4) throw tooSmall('gif', bytes, size + 4);
    // Comment extensions (21 FE, one sub-block, terminator): 4 to 259 bytes each.
    for (const length of splitPadding(bytes - size, 4, 259)) {
      const comment = Buffer.alloc(length, 0x20);
      comment[0] = 0x21;
      comment[1] = 0xfe;
      comment[2] = length - 4;
      comment[length - 1] = 0;
      parts.push(comment);
    }
  }
  return Buffer.concat([...parts, trailer]);
}

function subBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 255) {
    const part = data.subarray(offset, offset + 255);
    blocks.push(Buffer.concat([Buffer.from([part.length]), part]));
  }
  return blocks;
}

// --- WEBP: extended (VP8X) container around a lossless VP8L solid colour, an unknown chunk to pad ---

/** Writes `count` bits of `value`, least significant first (VP8L's bit order). */
class BitWriter {
  private readonly bytes: number[] = [];
  private bit = 0;
  write(value: number, count: number): void {
    for (let i = 0; i < count; i += 1) {
      if ((this.bit & 7) === 0) this.bytes.push(0);
      if ((value >> i) & 1) this.bytes[this.bytes.length - 1]! |= 1 << (this.bit & 7);
      this.bit += 1;
    }
  }
  buffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

function riffChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(8 + data.length + (data.length & 1));
  chunk.write(type, 0, 'latin1');
  chunk.writeUInt32LE(data.length, 4);
  data.copy(chunk, 8);
  return chunk;
}

function webpImage(width: number, height: number, bytes: number | undefined): Buffer {
  if (width > 16384 || height > 16384) throw new Error('testImage: a lossless WEBP is at most 16384 x 16384');
  // VP8L: every prefix code has one symbol, so each pixel costs 0 bits: a solid colour of any size.
  const bits = new BitWriter();
  bits.write(0x2f, 8);
  bits.write(width - 1, 14);
  bits.write(height - 1, 14);
  bits.write(0, 1); // no alpha
  bits.write(0, 3); // version 0
  bits.write(0, 1); // no transform
  bits.write(0, 1); // no colour cache
  bits.write(0, 1); // no meta prefix codes
  for (const symbol of [0x93, 0x1a, 0xf7, 0xff]) {
    // green, red, blue, alpha: simple code, 1 symbol, 8-bit symbol
    bits.write(1, 1);
    bits.write(0, 1);
    bits.write(1, 1);
    bits.write(symbol, 8);
  }
  bits.write(1, 1); // distance: simple code, 1 symbol, 1-bit symbol 0
  bits.write(0, 1);
  bits.write(0, 1);
  bits.write(0, 1);
  const vp8x = Buffer.alloc(10);
  vp8x.writeUIntLE(width - 1, 4, 3);
  vp8x.writeUIntLE(height - 1, 7, 3);
  const chunks = [riffChunk('VP8X', vp8x), riffChunk('VP8L', bits.buffer())];
  const riffSize = () => 4 + chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  let trailing = Buffer.alloc(0);
  if (bytes !== undefined && bytes !== riffSize() + 8) {
    const minimum = riffSize() + 8 + 8;
    if (bytes < minimum) throw tooSmall('webp', bytes, minimum);
    // A RIFF file is always even-sized; an odd size gets one byte after the container, which
    // decoders ignore (they read the RIFF size).
    const padding = bytes - riffSize() - 8 - (bytes & 1);
    chunks.push(riffChunk('PADD', Buffer.alloc(padding - 8)));
    trailing = Buffer.alloc(bytes & 1);
  }
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(riffSize(), 4);
  head.write('WEBP', 8, 'latin1');
  return Buffer.concat([head, ...chunks, trailing]);
}

/** Splits `total` bytes into pieces each between `min` and `max` bytes. */
function splitPadding(total: number, min: number, max: number): number[] {
  const pieces: number[] = [];
  let left = total;
  while (left > max) {
    // Never leave a remainder smaller than one piece.
    const piece = left - max < min ? left - min : max;
    pieces.push(piece);
    left -= piece;
  }
  pieces.push(left);
  return pieces;
}
