/** Charts of the text-privacy study: utility against privacy, per dataset. */
import type { VegaLiteSpec } from '../report/charts.js';
import type { StudyRow } from './runner.js';

const COLORS = { domain: ['madlib', 'mahalanobis', 'truncated-gumbel', 'adept', 'vocabulary only', 'clean'], range: ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#7f7f7f', '#000000'] };

/** Accuracy against median N_w for the word mechanisms: where does density-aware calibration pay? */
function accuracyVsUnchanged(rows: StudyRow[]): VegaLiteSpec {
  const values = rows.filter((r) => r.medianUnchanged !== null || r.mechanism === 'vocabulary only').map((r) => ({ ...r, medianUnchanged: r.medianUnchanged ?? 1 }));
  return {
    title: 'Accuracy at equal plausible deniability (median N_w; vocabulary only = 1)',
    data: { values },
    facet: { column: { field: 'dataset', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 220,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x: { field: 'medianUnchanged', type: 'quantitative', title: 'median N_w', scale: { domain: [0, 1] } }, y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { zero: false } }, color: { field: 'mechanism', type: 'nominal', scale: COLORS } } },
        { mark: { type: 'errorbar' }, encoding: { x: { field: 'medianUnchanged', type: 'quantitative' }, y: { field: 'accuracyLow', type: 'quantitative' }, y2: { field: 'accuracyHigh' }, color: { field: 'mechanism', type: 'nominal', scale: COLORS } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as VegaLiteSpec;
}

/** Accuracy against word overlap, every mechanism (ADePT included). */
function accuracyVsOverlap(rows: StudyRow[]): VegaLiteSpec {
  return {
    title: 'Accuracy against word overlap (share of original words left in the rewrite)',
    data: { values: rows },
    facet: { column: { field: 'dataset', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 220,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x: { field: 'wordOverlap', type: 'quantitative', title: 'word overlap', scale: { domain: [0, 1] } }, y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { zero: false } }, color: { field: 'mechanism', type: 'nominal', scale: COLORS } } },
        { mark: { type: 'errorbar' }, encoding: { x: { field: 'wordOverlap', type: 'quantitative' }, y: { field: 'accuracyLow', type: 'quantitative' }, y2: { field: 'accuracyHigh' }, color: { field: 'mechanism', type: 'nominal', scale: COLORS } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as VegaLiteSpec;
}

export function textPrivacyCharts(rows: StudyRow[]): { name: string; spec: VegaLiteSpec }[] {
  return [
    { name: 'accuracy-vs-unchanged', spec: accuracyVsUnchanged(rows) },
    { name: 'accuracy-vs-overlap', spec: accuracyVsOverlap(rows) },
  ];
}
