import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpAttachmentDownloader } from '../../src/adapters/media/attachment-downloader.js';
import { MediaRuleError, type MediaRule } from '../../src/domain/media.js';
import type { AttachmentRef } from '../../src/services/ports.js';
import { FakeHttpServer } from '../support/fake-http.js';
import { testImage } from '../support/images.js';

const MB = 1024 * 1024;

async function refusal(promise: Promise<unknown>): Promise<{ rule: MediaRule; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MediaRuleError) return { rule: error.rule, message: error.message };
    throw error;
  }
  throw new Error('expected a MediaRuleError');
}

describe('HttpAttachmentDownloader', () => {
  let cdn: FakeHttpServer;
  let base: string;
  const ref = (path: string, size = 100): AttachmentRef => ({ url: `${base}${path}`, filename: 'chart.png', contentType: 'image/png', size });

  beforeEach(async () => {
    cdn = new FakeHttpServer('cdn');
    base = await cdn.start();
  });
  afterEach(async () => {
    await cdn.stop();
  });

  it('GIVEN an attachment URL WHEN downloaded THEN the exact bytes come back', async () => {
    const png = testImage('png', { width: 20, height: 10, bytes: 3000 });
    cdn.route('GET', '/attachments/1/chart.png', () => ({ status: 200, headers: { 'content-type': 'image/png' }, body: png }));
    const bytes = await new HttpAttachmentDownloader({ timeoutMs: 5_000 }).download(ref('/attachments/1/chart.png'), 5 * MB);
    expect(Buffer.from(bytes).equals(png)).toBe(true);
  });

  it('GIVEN a 404 WHEN downloaded THEN a download error names the file and the status', async () => {
    const result = await refusal(new HttpAttachmentDownloader({ timeoutMs: 5_000 }).download(ref('/attachments/gone.png'), 5 * MB));
    expect(result.rule).toBe('download');
    expect(result.message).toMatch(/chart\.png/);
    expect(result.message).toMatch(/404/);
  });

  it('GIVEN a Content-Length over the limit WHEN downloaded THEN it is refused as size before the body is read', async () => {
    cdn.route('GET', '/big.png', () => ({ status: 200, body: Buffer.alloc(6 * MB) }));
    const result = await refusal(new HttpAttachmentDownloader({ timeoutMs: 5_000 }).download(ref('/big.png'), 5 * MB));
    expect(result.rule).toBe('size');
    expect(result.message).toMatch(/chart\.png/);
  });

  it('GIVEN an endless body without Content-Length WHEN downloaded THEN it stops as soon as the limit is passed, as size', async () => {
    const sockets = new Set<Socket>();
    let sent = 0;
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (!res.destroyed && sent < 200 * MB) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/endless.png`;
      const result = await refusal(new HttpAttachmentDownloader({ timeoutMs: 20_000 }).download({ url, filename: 'endless.png', contentType: null, size: 10 }, 1 * MB));
      expect(result.rule).toBe('size');
      expect(result.message).toMatch(/endless\.png is over 1 MB/);
      // Aborted early: nowhere near the 200 MB the server would have sent.
      expect(sent).toBeLessThan(50 * MB);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('GIVEN a body that trickles past the deadline WHEN downloaded THEN it fails as download naming the timeout', async () => {
    cdn.route('GET', '/slow.png', () => ({ status: 200, body: Buffer.alloc(500) }));
    cdn.injectFault({ path: '/slow.png' }, { trickleMs: 20 });
    const result = await refusal(new HttpAttachmentDownloader({ timeoutMs: 300 }).download(ref('/slow.png'), 5 * MB));
    expect(result.rule).toBe('download');
    expect(result.message).toMatch(/chart\.png/);
    expect(result.message).toMatch(/0\.3 s|300 ms/);
  });

  it('GIVEN a server that resets the connection WHEN downloaded THEN it fails as download', async () => {
    cdn.route('GET', '/reset.png', () => ({ status: 200, body: 'x' }));
    cdn.injectFault({ path: '/reset.png' }, { disconnect: true });
    const result = await refusal(new HttpAttachmentDownloader({ timeoutMs: 5_000 }).download(ref('/reset.png'), 5 * MB));
    expect(result.rule).toBe('download');
    expect(result.message).toMatch(/chart\.png/);
  });

  it('GIVEN a URL that is not http(s) WHEN downloaded THEN it is refused without a request', async () => {
    const result = await refusal(
      new HttpAttachmentDownloader({ timeoutMs: 5_000 }).download({ url: 'file:///etc/passwd', filename: 'x.png', contentType: null, size: 1 }, 5 * MB),
    );
    expect(result.rule).toBe('download');
    expect(result.message).toMatch(/http/);
  });
});
