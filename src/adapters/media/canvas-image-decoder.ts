import type { MediaMimeType } from '../../domain/media.js';
import { ImageDecodeError, type DecodedImage, type ImageDecoder } from '../../services/ports.js';

type Canvas = typeof import('@napi-rs/canvas');

/**
 * Decodes images with Skia through @napi-rs/canvas (the decoder the /stats chart already ships).
 * The native module costs memory once loaded, so it is imported on the first decode only, as the
 * Claude SDK is (issue 16: idle memory).
 *
 * Skia decodes what it can of a file cut short and fills the rest, as browsers do (measured: a
 * PNG, JPEG or GIF truncated to 30 % still "decodes"), so the decode alone would let a file broken
 * in transit through. Each format's end of stream is checked too: a PNG's IEND chunk, a JPEG's EOI
 * marker after its last scan, a GIF's trailer, a WEBP's RIFF length.
 */
export class CanvasImageDecoder implements ImageDecoder {
  private canvas: Promise<Canvas> | undefined;

  async decode(bytes: Uint8Array, mimeType: MediaMimeType): Promise<DecodedImage> {
    const missing = missingEnd(bytes, mimeType);
    if (missing !== null) throw new ImageDecodeError(missing);
    const { Image } = await (this.canvas ??= import('@napi-rs/canvas'));
    const image = new Image();
    // decode() rejects on a broken file; the error event would otherwise go unheard.
    image.onerror = () => undefined;
    image.src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    try {
      await image.decode();
    } catch (error) {
      throw new ImageDecodeError(`its data does not decode (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    return { width: image.naturalWidth, height: image.naturalHeight };
  }
}

const PNG_IEND = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
const JPEG_SOS = Buffer.from([0xff, 0xda]);
const JPEG_EOI = Buffer.from([0xff, 0xd9]);
const GIF_TRAILER = 0x3b;

/** Why the file stops before its format's end of stream, or null when the end is there. */
function missingEnd(bytes: Uint8Array, mimeType: MediaMimeType): string | null {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (mimeType) {
    case 'image/png':
      // IEND has no data, so its type and CRC are always these 8 bytes; bytes may follow it.
      return data.includes(PNG_IEND) ? null : 'it is cut short: the PNG has no end chunk (IEND)';
    case 'image/jpeg': {
      // Entropy-coded data never holds an unstuffed 0xFF 0xD9, so EOI must follow the last scan.
      const scan = data.lastIndexOf(JPEG_SOS);
      return scan >= 0 && data.indexOf(JPEG_EOI, scan + 2) > scan ? null : 'it is cut short: the JPEG has no end-of-image marker after its image data';
    }
    case 'image/gif':
      return data[data.length - 1] === GIF_TRAILER ? null : 'it is cut short: the GIF does not end with its trailer';
    case 'image/webp': {
      const declared = data.length >= 12 ? data.readUInt32LE(4) + 8 : Number.POSITIVE_INFINITY;
      return data.length >= declared ? null : `it is cut short: the WEBP announces ${declared} bytes but has ${data.length}`;
    }
  }
}
