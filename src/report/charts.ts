/**
 * Charts: Vega-Lite specifications compiled and rendered to SVG in Node, offline (no
 * canvas, no CDN). Studies and the HTML report embed the SVG text directly.
 */
import { importOptional } from '../optional-dependency.js';

export type VegaLiteSpec = Record<string, unknown>;

/** Fails at once, in one line, when the chart renderer (an optional peer) is missing: before minutes of training, not after. */
export async function requireChartRenderer(forWhat: string): Promise<void> {
  await importOptional('vega', forWhat);
  await importOptional('vega-lite', forWhat);
}

/** Renders a Vega-Lite spec (data inline in `data.values`) to an SVG string (vega and vega-lite are optional peers, loaded here). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const vega = await importOptional<typeof import('vega')>('vega', 'rendering charts (trust report, studies)');
  const vegaLite = await importOptional<typeof import('vega-lite')>('vega-lite', 'rendering charts (trust report, studies)');
  const compiled = vegaLite.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A line chart of y against x, one line per `series` value (optional log scales). */
export function lineChart(options: {
  title: string;
  values: Record<string, unknown>[];
  x: string;
  y: string;
  series?: string;
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  logY?: boolean;
  points?: boolean;
}): VegaLiteSpec {
  return {
    title: options.title,
    width: 420,
    height: 260,
    data: { values: options.values },
    mark: { type: 'line', point: options.points ?? true },
    encoding: {
      x: { field: options.x, type: 'quantitative', title: options.xTitle ?? options.x, scale: options.logX ? { type: 'log' } : {} },
      y: { field: options.y, type: 'quantitative', title: options.yTitle ?? options.y, scale: options.logY ? { type: 'log' } : { zero: false } },
      ...(options.series ? { color: { field: options.series, type: 'nominal' } } : {}),
    },
  };
}

/** A bar chart with optional error bars (low/high fields). */
export function barChart(options: {
  title: string;
  values: Record<string, unknown>[];
  category: string;
  value: string;
  low?: string;
  high?: string;
  color?: string;
  valueTitle?: string;
}): VegaLiteSpec {
  const bars = {
    mark: 'bar',
    encoding: {
      x: { field: options.category, type: 'nominal', sort: null },
      y: { field: options.value, type: 'quantitative', title: options.valueTitle ?? options.value },
      ...(options.color ? { color: { field: options.color, type: 'nominal' } } : {}),
    },
  };
  const layers: unknown[] = [bars];
  if (options.low && options.high) {
    layers.push({
      mark: { type: 'errorbar' },
      encoding: {
        x: { field: options.category, type: 'nominal', sort: null },
        y: { field: options.low, type: 'quantitative', title: options.valueTitle ?? options.value },
        y2: { field: options.high },
      },
    });
  }
  return { title: options.title, width: 420, height: 260, data: { values: options.values }, layer: layers };
}
