/** Charts of the text-privacy study: utility against privacy, per dataset. */
import type { VegaLiteSpec } from '../report/charts.js';
import type { StudyRow } from './runner.js';

const COLORS = { domain: ['madlib', 'mahalanobis', 'truncated-gumbel', 'adept', 'vocabulary only', 'clean'], range: ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#7f7f7f', '#000000'] };

/** Accuracy (with its interval over seeds) against a privacy measure on x, one line per mechanism and a panel per dataset. */
function accuracyAgainst(title: string, values: StudyRow[], x: string, xTitle: string): VegaLiteSpec {
  const color = { field: 'mechanism', type: 'nominal', scale: COLORS };
  return {
    title,
    data: { values },
    facet: { column: { field: 'dataset', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 220,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x: { field: x, type: 'quantitative', title: xTitle, scale: { domain: [0, 1] } }, y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { zero: false } }, color } },
        { mark: { type: 'errorbar' }, encoding: { x: { field: x, type: 'quantitative' }, y: { field: 'accuracyLow', type: 'quantitative' }, y2: { field: 'accuracyHigh' }, color } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as VegaLiteSpec;
}

export function textPrivacyCharts(rows: StudyRow[]): { name: string; spec: VegaLiteSpec }[] {
  return [
    // Where does density-aware calibration pay? The word mechanisms at equal N_w ("vocabulary only" at N_w = 1).
    {
      name: 'accuracy-vs-unchanged',
      spec: accuracyAgainst(
        'Accuracy at equal plausible deniability (median N_w; vocabulary only = 1)',
        rows.filter((r) => r.medianUnchanged !== null || r.mechanism === 'vocabulary only').map((r) => ({ ...r, medianUnchanged: r.medianUnchanged ?? 1 })),
        'medianUnchanged',
        'median N_w',
      ),
    },
    // Every mechanism, ADePT included.
    { name: 'accuracy-vs-overlap', spec: accuracyAgainst('Accuracy against word overlap (share of original words left in the rewrite)', rows, 'wordOverlap', 'word overlap') },
  ];
}
