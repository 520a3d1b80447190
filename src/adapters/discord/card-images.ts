import type { Draft } from '../../domain/draft.js';
import { MediaFileMissingError, type MediaFileStore } from '../../services/ports.js';
import { cardImagePlan, type CardImageSources } from './draft-card.js';

/** An attachment already on the card message. */
export interface ExistingAttachment {
  readonly id: string;
  readonly name: string;
}

/**
 * Where a card's image previews come from: each image already attached to the card message
 * under its name (the name carries the file's hash, so it is the same file) is kept by id and
 * not uploaded again on every edit; the others are read from the media store. An image too large
 * for Discord is not read at all, and a file missing from the store is listed without a preview
 * rather than keeping the card (and its decision) from being shown.
 */
export async function cardImageSources(draft: Draft, store: MediaFileStore | undefined, existing: readonly ExistingAttachment[]): Promise<CardImageSources> {
  const plan = cardImagePlan(draft).filter((image) => image.preview);
  if (plan.length === 0) return {};
  const kept = new Map<string, string>();
  const bytes = new Map<string, Buffer>();
  for (const image of plan) {
    const attached = existing.find((a) => a.name === image.name);
    if (attached) {
      kept.set(image.name, attached.id);
      continue;
    }
    if (!store) continue;
    try {
      bytes.set(image.media.sha256, Buffer.from(await store.read(image.media.sha256)));
    } catch (error) {
      if (!(error instanceof MediaFileMissingError)) throw error;
    }
  }
  return { kept, bytes };
}
