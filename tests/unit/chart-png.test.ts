import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { encodeOpaquePng, encodePng } from '../../src/adapters/chart/png.js';
import { Chart, type ChartConfiguration, type ChartItem } from 'chart.js';
import {
  approvalChartConfig,
  renderApprovalChart,
  renderStatsChart,
  statsChartConfig,
  STATS_CHART_HEIGHT,
  STATS_CHART_WIDTH,
  type ApprovalChartInput,
  type StatsChartInput,
} from '../../src/adapters/chart/stats-chart.js';
import { mulberry32 } from '../support/seeded-random.js';

/** The straight RGBA pixels of a PNG, as @napi-rs/canvas (libpng's reader, not ours) decodes it. */
async function decode(png: Buffer): Promise<{ width: number; height: number; pixels: Uint8ClampedArray }> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, pixels: ctx.getImageData(0, 0, image.width, image.height).data };
}

describe('the charts PNG encoder', () => {
  it('GIVEN random opaque RGBA pixels WHEN encoded THEN a PNG reader gets exactly those pixels back', async () => {
    const rng = mulberry32(16);
    const width = 37;
    const height = 11;
    const rgba = new Uint8ClampedArray(width * height * 4).map((_, i) => (i % 4 === 3 ? 255 : Math.floor(rng() * 256)));
    const png = encodePng(rgba, width, height);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const back = await decode(png);
    expect([back.width, back.height]).toEqual([width, height]);
    expect(Buffer.from(back.pixels).equals(Buffer.from(rgba))).toBe(true);
  });

  it('GIVEN random opaque RGBA pixels WHEN encoded without alpha THEN the PNG is RGB (colour type 2) and a PNG reader gets exactly those pixels back', async () => {
    const rng = mulberry32(161);
    const width = 29;
    const height = 13;
    const rgba = new Uint8Array(width * height * 4).map((_, i) => (i % 4 === 3 ? 255 : Math.floor(rng() * 256)));
    const png = encodeOpaquePng(rgba, width, height);
    expect(png).not.toBeNull();
    // IHDR's colour type byte: signature (8) + length (4) + type (4) + width, height (8) + bit depth (1).
    expect((png as Buffer)[8 + 4 + 4 + 8 + 1]).toBe(2);
    const back = await decode(png as Buffer);
    expect([back.width, back.height]).toEqual([width, height]);
    expect(Buffer.from(back.pixels).equals(Buffer.from(rgba))).toBe(true);
  });

  it('GIVEN one pixel that is not opaque WHEN encoded without alpha THEN it gives null (premultiplied pixels would need converting), so the caller encodes straight RGBA', () => {
    const rgba = new Uint8Array(4 * 4 * 4).fill(255);
    rgba[4 * 9 + 3] = 254;
    expect(encodeOpaquePng(rgba, 4, 4)).toBeNull();
    expect(() => encodeOpaquePng(new Uint8Array(10), 2, 2)).toThrow(/10 bytes are not 2×2 RGBA/);
  });

  it('GIVEN pixels that are not width × height × 4 bytes WHEN encoded THEN it throws a RangeError naming the sizes', () => {
    expect(() => encodePng(new Uint8Array(10), 2, 2)).toThrow(/10 bytes are not 2×2 RGBA/);
  });

  it('GIVEN a /stats chart WHEN rendered THEN its PNG holds the pixels the chart drew, at the chart size', async () => {
    const day = 86_400_000;
    const buckets = Array.from({ length: 30 }, (_, i) => ({ start: Date.UTC(2026, 10, 1) + i * day, publications: i % 5, engagement: i * 3 }));
    const png = await renderStatsChart({ title: 'Posts and engagement', buckets, bucketMs: day, timezone: 'Europe/Berlin' });
    const { width, height, pixels } = await decode(png);
    expect([width, height]).toEqual([STATS_CHART_WIDTH, STATS_CHART_HEIGHT]);
    // Opaque everywhere (the white background), and more than the background was drawn.
    const colours = new Set<number>();
    for (let i = 0; i < pixels.length; i += 4) {
      expect(pixels[i + 3]).toBe(255);
      colours.add(((pixels[i] as number) << 16) | ((pixels[i + 1] as number) << 8) | (pixels[i + 2] as number));
    }
    expect(colours.size).toBeGreaterThan(10);
    expect(colours.has(0x5865f2)).toBe(true); // the posts bars
  });

  it('GIVEN charts of different data, one account and several, drawn one after another WHEN each is rendered THEN its pixels are those of the same chart drawn on a fresh canvas', async () => {
    /** The chart drawn by a new chart.js instance on a new canvas: nothing carried over. */
    const fresh = (config: ChartConfiguration<'bar' | 'line'>) => {
      const canvas = createCanvas(STATS_CHART_WIDTH, STATS_CHART_HEIGHT);
      const ctx = canvas.getContext('2d');
      const chart = new Chart(ctx as unknown as ChartItem, config);
      try {
        return Buffer.from(ctx.getImageData(0, 0, STATS_CHART_WIDTH, STATS_CHART_HEIGHT).data);
      } finally {
        chart.destroy();
      }
    };
    const day = 86_400_000;
    const series = (n: number, scale: number) =>
      Array.from({ length: n }, (_, i) => ({ start: Date.UTC(2026, 9, 1) + i * day, publications: (i * scale) % 9, engagement: i * scale * 40 }));
    const stats: StatsChartInput[] = [
      { title: 'one, 30 days', buckets: series(30, 1), bucketMs: day, timezone: 'UTC' },
      {
        title: 'three accounts, 7 days',
        buckets: series(7, 3),
        bucketMs: day,
        timezone: 'Europe/Berlin',
        accounts: ['a', 'b', 'c'].map((label, i) => ({ label, publications: series(7, i + 1).map((b) => b.publications) })),
      },
      { title: 'one, 60 months', buckets: series(60, 7), bucketMs: 30 * day, timezone: 'UTC' },
      { title: 'one, 2 days', buckets: series(2, 1), bucketMs: day, timezone: 'UTC' },
    ];
    for (const input of stats) {
      const { pixels } = await decode(await renderStatsChart(input));
      expect(Buffer.from(pixels).equals(fresh(statsChartConfig(input))), input.title).toBe(true);
    }
    const approval: ApprovalChartInput[] = [
      { title: 'one', weeks: [0, 7, 14], accounts: [{ label: 'a', decisions: [3, 0, 5], approvalRates: [0.5, null, 1] }] },
      {
        title: 'two',
        weeks: [7, 14],
        accounts: [
          { label: 'a', decisions: [9, 1], approvalRates: [0.1, 0] },
          { label: 'b', decisions: [0, 4], approvalRates: [null, 0.75] },
        ],
      },
      { title: 'one again', weeks: [0, 7, 14], accounts: [{ label: 'a', decisions: [0, 0, 0], approvalRates: [null, null, null] }] },
    ];
    for (const input of approval) {
      const { pixels } = await decode(await renderApprovalChart(input));
      expect(Buffer.from(pixels).equals(fresh(approvalChartConfig(input))), input.title).toBe(true);
    }
  });
});
