import { imageSize } from 'image-size';
import { GenerationError, type GenerationImage } from '../../domain/generation.js';

/**
 * What the Messages API takes in one base64 image block (Anthropic, "Images and vision"): the
 * base64 text at most 5 MB (so about 3.75 MB of raw bytes) and neither side over 8000 px. X takes
 * more (a PNG up to 5 MB, a GIF up to 15 MB), so an image X accepts can be one Claude refuses.
 */
export const CLAUDE_IMAGE_LIMITS = {
  maxBase64Chars: 5 * 1024 * 1024,
  maxSidePx: 8_000,
  /** Claude scales anything bigger down to this long edge anyway: a larger copy buys nothing. */
  targetLongEdgePx: 1_568,
} as const;

/** The length of `bytes` in base64 (padded), without encoding them. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** Whether Claude takes these bytes as they are: within the base64 and the dimension limits. */
export function fitsClaude(image: GenerationImage): boolean {
  if (base64Length(image.data.byteLength) > CLAUDE_IMAGE_LIMITS.maxBase64Chars) return false;
  try {
    const { width, height } = imageSize(image.data);
    return width <= CLAUDE_IMAGE_LIMITS.maxSidePx && height <= CLAUDE_IMAGE_LIMITS.maxSidePx;
  } catch {
    // Unreadable dimensions: send it as it is and let the API's answer (a 400) say why.
    return true;
  }
}

/** JPEG qualities tried in turn until the copy fits (the first fits any 1568 px picture in practice). */
const JPEG_QUALITIES = [85, 70, 50] as const;

/**
 * The image as Claude should get it: the same bytes when they fit Claude's limits, otherwise a
 * copy scaled down to a 1,568 px long edge and re-encoded as JPEG (a GIF's first frame; a
 * transparent background becomes white). Only Claude sees the copy: the stored original is what
 * the card shows and X gets. @napi-rs/canvas is loaded on the first image that needs it, as
 * claude-sdk.ts is (issue 16: idle memory).
 */
export async function imageForClaude(image: GenerationImage): Promise<GenerationImage> {
  if (fitsClaude(image)) return image;
  const { createCanvas, loadImage } = await import('@napi-rs/canvas');
  let decoded;
  try {
    decoded = await loadImage(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength));
  } catch (error) {
    throw new GenerationError(
      'bad_request',
      `The image (${image.mimeType}, ${image.data.byteLength} bytes) is over Claude's limits and could not be decoded to make a smaller copy: ${(error as Error).message}`,
      { retryable: false, cause: error },
    );
  }
  const scale = Math.min(1, CLAUDE_IMAGE_LIMITS.targetLongEdgePx / Math.max(decoded.width, decoded.height));
  const width = Math.max(1, Math.round(decoded.width * scale));
  const height = Math.max(1, Math.round(decoded.height * scale));
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  context.drawImage(decoded, 0, 0, width, height);
  for (const quality of JPEG_QUALITIES) {
    const data = await canvas.encode('jpeg', quality);
    const copy: GenerationImage = { mimeType: 'image/jpeg', data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    if (base64Length(data.byteLength) <= CLAUDE_IMAGE_LIMITS.maxBase64Chars) return copy;
  }
  throw new GenerationError(
    'bad_request',
    `The image (${image.mimeType}, ${width} x ${height} after scaling) does not fit Claude's 5 MB image limit even as a JPEG`,
    { retryable: false },
  );
}

/** Each image as Claude should get it (see imageForClaude), in the same order. */
export function imagesForClaude(images: readonly GenerationImage[]): Promise<GenerationImage[]> {
  return Promise.all(images.map(imageForClaude));
}
