import { MediaRuleError } from '../../domain/media.js';
import type { AttachmentDownloader, AttachmentRef } from '../../services/ports.js';

export interface AttachmentDownloaderOptions {
  /** MEDIA_DOWNLOAD_TIMEOUT: the whole download (connect, headers and body) must end within this. */
  readonly timeoutMs: number;
  /** Injected for tests; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

/**
 * Downloads a Discord attachment from the URL Discord gave, bounded in time (one deadline for the
 * whole download, so a body that trickles cannot hold a moderator's request open) and in size (the
 * body is streamed and dropped the moment it passes the limit, so a huge or endless file costs at
 * most `maxBytes` of memory). Every failure is a MediaRuleError naming the file, for the
 * moderator's ephemeral reply.
 */
export class HttpAttachmentDownloader implements AttachmentDownloader {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: AttachmentDownloaderOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async download(ref: AttachmentRef, maxBytes: number, limitForHead?: (head: Uint8Array) => number | null): Promise<Uint8Array> {
    let limit = maxBytes;
    let typed = limitForHead === undefined;
    let narrowed = false;
    const name = ref.filename;
    let url: URL;
    try {
      url = new URL(ref.url);
    } catch {
      throw new MediaRuleError('download', `${name} could not be downloaded: its URL is not valid`, { url: ref.url });
    }
    // Only the web: a file: or data: URL in an attachment would read this machine, not Discord.
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new MediaRuleError('download', `${name} could not be downloaded: only http(s) URLs are fetched, not ${url.protocol}`, { url: ref.url });
    }
    const tooBig = () =>
      new MediaRuleError('size', `${name} is ${narrowed ? 'not a GIF, and ' : ''}over ${megabytes(limit)}, the most X takes for it; it was not downloaded`, {
        url: ref.url,
        maxBytes: limit,
      });

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const failed = (reason: string, error?: unknown) =>
      new MediaRuleError('download', `${name} could not be downloaded: ${timedOut ? `it took longer than ${seconds(this.options.timeoutMs)}` : reason}`, {
        url: ref.url,
        cause: error instanceof Error ? error.message : error,
      });
    try {
      let response: Response;
      try {
        response = await this.fetch(url, { signal: controller.signal, redirect: 'follow' });
      } catch (error) {
        throw failed(error instanceof Error ? describeNetworkError(error) : String(error), error);
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw failed(`the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
      }
      const declared = Number(response.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > maxBytes) {
        controller.abort();
        throw tooBig();
      }
      if (!response.body) return new Uint8Array(0);
      const chunks: Uint8Array[] = [];
      let received = 0;
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received += value.byteLength;
          chunks.push(value);
          if (!typed && limitForHead) {
            // The real type is in the first bytes: a file that is no GIF stops at an image's limit.
            const known = limitForHead(chunks.length === 1 ? value : concat(chunks, received));
            if (known !== null) {
              typed = true;
              narrowed = known < limit;
              limit = Math.min(limit, known);
            }
          }
          if (received > limit) {
            controller.abort();
            throw tooBig();
          }
        }
      } catch (error) {
        if (error instanceof MediaRuleError) throw error;
        throw failed(error instanceof Error ? describeNetworkError(error) : String(error), error);
      }
      return concat(chunks, received);
    } finally {
      clearTimeout(timer);
    }
  }
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** fetch's errors say "fetch failed" and hide the reason in `cause` (ECONNRESET, ECONNREFUSED...). */
function describeNetworkError(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : undefined;
  return detail ? `${error.message} (${detail})` : error.message;
}
