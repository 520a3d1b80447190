import { createCanvas, type Canvas } from '@napi-rs/canvas';
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
  type ChartDataset,
  type ChartItem,
  type Plugin,
} from 'chart.js';
import type { DailyBucket } from '../../services/stats-service.js';
import { encodeOpaquePng, encodePng } from './png.js';

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

/** One account's posts per bucket, aligned with the chart's buckets. */
export interface StatsChartAccountSeries {
  readonly label: string;
  readonly publications: readonly number[];
}

export interface StatsChartInput {
  readonly title: string;
  /** The buckets; with `accounts`, their totals over every account. */
  readonly buckets: readonly DailyBucket[];
  /** Bucket width, to label a multi-day bucket by its first day (28 days or more: calendar months, labelled by month and year). */
  readonly bucketMs: number;
  readonly timezone: string;
  /**
   * Several accounts: posts are drawn as one stacked bar series per account, engagement as one
   * line over all of them. Omitted (or one account): one posts series, as before accounts.
   */
  readonly accounts?: readonly StatsChartAccountSeries[];
}

/** Bar colours of the accounts' series, in order; more accounts than colours reuse them. */
export const ACCOUNT_COLORS = ['#5865f2', '#57f287', '#fee75c', '#ed4245', '#faa61a', '#3ba55c', '#9b59b6', '#1abc9c', '#e67e22', '#95a5a6'] as const;
const ENGAGEMENT_COLOR = '#eb459e';

/** The label formats already made (one per unit and zone: the accounts have a few zones); making one costs about a quarter of a millisecond, formatting with it next to nothing. */
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The labels' date format in `timeZone`: "07 Mar" (day) or "Mar 2025" (month). */
function dateFormat(timeZone: string, unit: 'day' | 'month'): Intl.DateTimeFormat {
  const key = `${unit} ${timeZone}`;
  let format = dateFormats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', unit === 'month' ? { timeZone, month: 'short', year: 'numeric' } : { timeZone, day: '2-digit', month: 'short' });
    dateFormats.set(key, format);
  }
  return format;
}

/**
 * The chart.js configuration of the /stats chart: pure, so the series can be checked without
 * drawing. Posts are bars on the left axis (stacked per account when there are several),
 * engagement a line on the right axis.
 */
export function statsChartConfig(input: StatsChartInput): ChartConfiguration<'bar' | 'line'> {
  // Calendar-month buckets ("all" over a long history) read as "Mar 2025"; days as "07 Mar".
  const months = input.bucketMs >= 28 * 86_400_000;
  const label = dateFormat(input.timezone, months ? 'month' : 'day');
  // Buckets start at local midnight; label with the local date at noon to stay clear of DST edges.
  const labels = input.buckets.map((b) => label.format(new Date(b.start + 12 * 3_600_000)));
  const several = input.accounts !== undefined && input.accounts.length > 1;
  const posts: ChartDataset<'bar' | 'line'>[] = several
    ? (input.accounts ?? []).map((account, i) => ({
        type: 'bar' as const,
        label: account.label,
        data: [...account.publications],
        backgroundColor: ACCOUNT_COLORS[i % ACCOUNT_COLORS.length],
        yAxisID: 'posts',
        stack: 'posts',
        order: 2,
      }))
    : [
        {
          type: 'bar',
          label: 'Posts',
          data: input.buckets.map((b) => b.publications),
          backgroundColor: '#5865f2',
          yAxisID: 'posts',
          order: 2,
        },
      ];
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        ...posts,
        {
          type: 'line',
          label: several ? 'Engagement (all accounts)' : 'Engagement',
          data: input.buckets.map((b) => b.engagement),
          borderColor: ENGAGEMENT_COLOR,
          backgroundColor: ENGAGEMENT_COLOR,
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
        x: { stacked: several, ticks: { color: '#4f545c', maxRotation: 0, autoSkip: true } },
        posts: {
          type: 'linear',
          position: 'left',
          beginAtZero: true,
          stacked: several,
          ticks: { color: '#5865f2', precision: 0 },
          title: { display: true, text: 'posts' },
        },
        engagement: {
          type: 'linear',
          position: 'right',
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          ticks: { color: ENGAGEMENT_COLOR, precision: 0 },
          title: { display: true, text: 'engagement' },
        },
      },
    },
    plugins: [whiteBackground],
  };
}

/**
 * Renders publications (bars, left axis) and engagement (line, right axis) per day to a PNG,
 * server-side: chart.js draws on an @napi-rs/canvas canvas (a prebuilt binary shipped as an npm
 * package, nothing downloaded at install time). Animations and responsiveness are off, so one
 * synchronous draw happens.
 */
export async function renderStatsChart(input: StatsChartInput): Promise<Buffer> {
  return drawToPng('stats', statsChartConfig(input));
}

/** One canvas and chart per kind of chart, drawn again for every render (see drawToPng). */
const reusable = new Map<string, { readonly canvas: Canvas; readonly chart: Chart<'bar' | 'line'> }>();

/**
 * Draws `config` and encodes the pixels with the fast encoder (./png.ts), which takes a tenth of
 * the time of the canvas's own.
 *
 * Each kind of chart keeps its canvas and chart.js instance and draws the next chart on them
 * (update with the new data and options): a new canvas and chart cost about half of a render
 * (allocating the surface, resizing it for the pixel ratio, resolving the options anew). Reuse is
 * safe because chart.js draws synchronously here (no animation, not responsive) and the pixels are
 * read before returning, so no other render can come in between.
 */
function drawToPng(kind: string, config: ChartConfiguration<'bar' | 'line'>): Buffer {
  let drawn = reusable.get(kind);
  if (drawn === undefined) {
    const canvas = createCanvas(STATS_CHART_WIDTH, STATS_CHART_HEIGHT);
    // chart.js takes any 2D context with the canvas API; @napi-rs/canvas implements it.
    drawn = { canvas, chart: new Chart(canvas.getContext('2d') as unknown as ChartItem, config) };
    reusable.set(kind, drawn);
  } else {
    drawn.chart.data = config.data;
    if (config.options) drawn.chart.options = config.options;
    drawn.chart.update('none');
  }
  const { canvas } = drawn;
  // The white background makes every pixel opaque, so the canvas's own (premultiplied) pixels are
  // the straight ones: no getImageData copy and conversion. Should a pixel not be opaque, the
  // encoder says so and getImageData's straight RGBA is encoded instead.
  return (
    encodeOpaquePng(canvas.data(), canvas.width, canvas.height) ??
    encodePng(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height)
  );
}

/** One account's weeks on the approval chart, aligned with the chart's weeks. */
export interface ApprovalChartAccountSeries {
  readonly label: string;
  /** Moderator decisions per week. */
  readonly decisions: readonly number[];
  /** Approval rate (0..1) per week; null for a week without decisions (drawn as a gap). */
  readonly approvalRates: readonly (number | null)[];
}

export interface ApprovalChartInput {
  readonly title: string;
  /** The weeks' Mondays as local day numbers (src/domain/local-day.ts), oldest first. */
  readonly weeks: readonly number[];
  readonly accounts: readonly ApprovalChartAccountSeries[];
}

const APPROVAL_COLOR = '#3ba55c';
const DECISIONS_COLOR = '#b9bbbe';
const NO_DATA = 'no data';

/**
 * Writes "no data" over the weeks in which no account had a decision: with only a gap in the
 * line and no bar, an empty week could read as 0 %.
 */
const noDataLabels: Plugin<'bar' | 'line'> = {
  id: 'draftgate-no-data',
  afterDatasetsDraw(chart) {
    const empty = (chart.options.plugins as { draftgateNoData?: { weeks?: readonly boolean[] } }).draftgateNoData?.weeks ?? [];
    const x = chart.scales['x'];
    const { ctx, chartArea } = chart;
    if (!x) return;
    ctx.save();
    ctx.fillStyle = '#72767d';
    ctx.font = '12px sans-serif';
    ctx.textAlign = 'center';
    for (const [i, isEmpty] of empty.entries()) {
      if (!isEmpty) continue;
      ctx.fillText(NO_DATA, x.getPixelForValue(i), chartArea.bottom - 8);
    }
    ctx.restore();
  },
};

/**
 * The chart.js configuration of the weekly approval chart (pure, so it can be checked without
 * drawing): per account, the approval rate as a line on the right axis (0-100 %, a gap where the
 * week had no decision) and the number of decisions as bars on the left axis, so a week reads as
 * "3 decisions, 67 %" or "no data", never as a bare 0 %.
 */
export function approvalChartConfig(input: ApprovalChartInput): ChartConfiguration<'bar' | 'line'> {
  // A local day number is a calendar date: format it in UTC, whatever the account's zone.
  const label = dateFormat('UTC', 'day');
  const labels = input.weeks.map((day) => label.format(new Date(day * 86_400_000)));
  const several = input.accounts.length > 1;
  const colorOf = (i: number, fallback: string) => (several ? ACCOUNT_COLORS[i % ACCOUNT_COLORS.length] : fallback);
  const bars: ChartDataset<'bar' | 'line'>[] = input.accounts.map((account, i) => ({
    type: 'bar' as const,
    label: several ? `${account.label}: decisions` : 'Moderator decisions',
    data: [...account.decisions],
    backgroundColor: several ? `${colorOf(i, DECISIONS_COLOR)}66` : DECISIONS_COLOR,
    yAxisID: 'decisions',
    order: 2,
  }));
  const lines: ChartDataset<'bar' | 'line'>[] = input.accounts.map((account, i) => ({
    type: 'line' as const,
    label: several ? `${account.label}: approval %` : 'Approval rate %',
    data: account.approvalRates.map((rate) => (rate === null ? null : Math.round(rate * 1000) / 10)),
    borderColor: colorOf(i, APPROVAL_COLOR),
    backgroundColor: colorOf(i, APPROVAL_COLOR),
    pointRadius: 3,
    spanGaps: false,
    yAxisID: 'approval',
    order: 1,
  }));
  const emptyWeeks = input.weeks.map((_, w) => input.accounts.every((a) => (a.decisions[w] ?? 0) === 0));
  return {
    type: 'bar',
    data: { labels, datasets: [...bars, ...lines] },
    options: {
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      events: [],
      plugins: {
        title: { display: true, text: input.title, color: '#23272a', font: { size: 16 } },
        legend: { labels: { color: '#23272a' } },
        // Read by the noDataLabels plugin.
        ...({ draftgateNoData: { weeks: emptyWeeks } } as object),
      },
      scales: {
        x: { ticks: { color: '#4f545c', maxRotation: 0, autoSkip: false } },
        decisions: {
          type: 'linear',
          position: 'left',
          beginAtZero: true,
          ticks: { color: '#4f545c', precision: 0 },
          title: { display: true, text: 'decisions' },
        },
        approval: {
          type: 'linear',
          position: 'right',
          min: 0,
          max: 100,
          grid: { drawOnChartArea: false },
          ticks: { color: APPROVAL_COLOR, callback: (value) => `${value} %` },
          title: { display: true, text: 'approval rate' },
        },
      },
    },
    plugins: [whiteBackground, noDataLabels],
  };
}

/** Renders the weekly approval chart to a PNG, the same way as the /stats chart (renderStatsChart). */
export async function renderApprovalChart(input: ApprovalChartInput): Promise<Buffer> {
  return drawToPng('approval', approvalChartConfig(input));
}
