import { createCanvas } from '@napi-rs/canvas';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Title,
  type ChartConfiguration,
  type ChartItem,
  type Plugin,
} from 'chart.js';
import type { DailyBucket } from '../../services/stats-service.js';

// Only what the one chart needs: keeps chart.js's start-up and per-render work small.
Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Title);

export const STATS_CHART_WIDTH = 800;
export const STATS_CHART_HEIGHT = 400;

/** Discord shows attachments on a dark or light theme; an opaque background reads on both. */
const whiteBackground: Plugin<'bar' | 'line'> = {
  id: 'draftgate-background',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

export interface StatsChartInput {
  readonly title: string;
  readonly buckets: readonly DailyBucket[];
  /** Bucket width, to label a multi-day bucket by its first day. */
  readonly bucketMs: number;
  readonly timezone: string;
}

/**
 * Renders publications (bars, left axis) and engagement (line, right axis) per day to a PNG,
 * server-side: chart.js draws on an @napi-rs/canvas canvas (a prebuilt binary shipped as an npm
 * package, nothing downloaded at install time). Animations and responsiveness are off, so one
 * synchronous draw happens; the PNG is encoded off the main thread.
 */
export async function renderStatsChart(input: StatsChartInput): Promise<Buffer> {
  const canvas = createCanvas(STATS_CHART_WIDTH, STATS_CHART_HEIGHT);
  const label = new Intl.DateTimeFormat('en-GB', { timeZone: input.timezone, day: '2-digit', month: 'short' });
  // Buckets start at local midnight; label with the local date at noon to stay clear of DST edges.
  const labels = input.buckets.map((b) => label.format(new Date(b.start + 12 * 3_600_000)));
  const config: ChartConfiguration<'bar' | 'line'> = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          type: 'bar',
          label: 'Posts',
          data: input.buckets.map((b) => b.publications),
          backgroundColor: '#5865f2',
          yAxisID: 'posts',
          order: 2,
        },
        {
          type: 'line',
          label: 'Engagement',
          data: input.buckets.map((b) => b.engagement),
          borderColor: '#eb459e',
          backgroundColor: '#eb459e',
          pointRadius: input.buckets.length > 31 ? 0 : 2,
          yAxisID: 'engagement',
          order: 1,
        },
      ],
    },
    options: {
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      events: [],
      plugins: {
        title: { display: true, text: input.title, color: '#23272a', font: { size: 16 } },
        legend: { labels: { color: '#23272a' } },
      },
      scales: {
        x: { ticks: { color: '#4f545c', maxRotation: 0, autoSkip: true } },
        posts: { type: 'linear', position: 'left', beginAtZero: true, ticks: { color: '#5865f2', precision: 0 }, title: { display: true, text: 'posts' } },
        engagement: {
          type: 'linear',
          position: 'right',
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          ticks: { color: '#eb459e', precision: 0 },
          title: { display: true, text: 'engagement' },
        },
      },
    },
    plugins: [whiteBackground],
  };
  // chart.js takes any 2D context with the canvas API; @napi-rs/canvas implements it.
  const chart = new Chart(canvas.getContext('2d') as unknown as ChartItem, config);
  // Drawing is synchronous; the PNG encoding runs on libuv's thread pool, off the event loop.
  // destroy() clears the canvas, so it waits for the encoder.
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}
