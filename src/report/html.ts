/**
 * Renders a TrustReport to one self-contained HTML page: inline CSS, inline SVG charts
 * (Vega-Lite rendered in Node), no scripts, no network. Every number on the page is a
 * `<span data-report="path">` whose text is `formatValue` of report.json at that path.
 */
import { renderSvg, barChart, type VegaLiteSpec } from './charts.js';
import type { TrustReport, ModelSection } from './trust-report.js';

/** The one formatting rule for numbers on the page (the browser test uses it too). */
export function formatValue(value: number | null | string | boolean): string {
  if (value === null) return '–';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : value < 0 ? '−∞' : 'NaN';
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(1);
  if (Math.abs(value) >= 0.001 || value === 0) return value.toFixed(3);
  return value.toExponential(2);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Reads a dotted path ("models.0.accuracy") from the report. */
export function valueAt(report: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o === null || o === undefined ? undefined : (o as Record<string, unknown>)[k]), report);
}

function num(report: TrustReport, path: string): string {
  const v = valueAt(report, path) as number | null | string | boolean;
  return `<span data-report="${path}">${escapeHtml(formatValue(v))}</span>`;
}

function modelTable(report: TrustReport): string {
  const rows = report.models
    .map((m, i) => {
      const p = `models.${i}`;
      return `<tr><th>${escapeHtml(m.name)}</th><td>${num(report, `${p}.accuracy`)}</td><td>${num(report, `${p}.oosRecall`)}</td><td>${num(report, `${p}.privacy.epsilon`)}</td><td>${num(report, `${p}.privacy.delta`)}</td><td>${num(report, `${p}.privacy.noiseMultiplier`)}</td><td>${num(report, `${p}.trainSeconds`)}</td></tr>`;
    })
    .join('\n');
  return `<table><thead><tr><th>model</th><th>test accuracy</th><th>out-of-scope recall</th><th>ε</th><th>δ</th><th>noise σ</th><th>training s</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function auditTable(report: TrustReport): string {
  const rows: string[] = [];
  report.models.forEach((m, i) =>
    m.audit.forEach((a, j) => {
      const p = `models.${i}.audit.${j}`;
      rows.push(
        `<tr><th>${escapeHtml(m.name)}</th><td>${num(report, `${p}.attack`)}</td><td>${num(report, `${p}.auc`)}</td><td>${num(report, `${p}.balancedAccuracy`)}</td><td>${num(report, `${p}.tprAtFpr001`)}</td><td>${num(report, `${p}.tprAtFpr01`)}</td><td>${num(report, `${p}.epsilonLowerBound`)}</td><td>${num(report, `${p}.members`)}</td></tr>`,
      );
    }),
  );
  return `<table><thead><tr><th>model</th><th>attack</th><th>AUC</th><th>balanced acc.</th><th>TPR @ 0.1% FPR</th><th>TPR @ 1% FPR</th><th>empirical ε (lower bound)</th><th>members</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function canaryTable(report: TrustReport): string {
  const rows = report.models
    .map((m, i) => {
      if (!m.canary) return '';
      const p = `models.${i}.canary`;
      return `<tr><th>${escapeHtml(m.name)}</th><td>${num(report, `${p}.recovered`)} of ${num(report, `${p}.planted`)}</td><td>${num(report, `${p}.chance`)}</td><td>${num(report, `${p}.tokenAccuracy`)}</td><td>${num(report, `${p}.meanRank`)}</td><td>${num(report, `${p}.referenceMeanRank`)}</td><td>${num(report, `${p}.candidates`)}</td></tr>`;
    })
    .join('\n');
  const first = report.models.find((m) => m.canary)?.canary;
  if (!first) return '';
  return `<p>Secrets of the form <code>${escapeHtml(first.format)}</code> were planted in the training data (each ${first.repetitions} times, under its own intent); a white-box model-inversion attack (ModIvA) knows the prefix and the intent and tries to recover the digits. Uniform guessing recovers a PIN with the chance shown; its mean rank among all candidates is half their number. The never-inserted secrets are the control.</p>
<table><thead><tr><th>model</th><th>PINs recovered exactly</th><th>chance per PIN</th><th>digits right</th><th>mean rank of the true PIN</th><th>mean rank, never inserted</th><th>candidates</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function fairnessTable(report: TrustReport, m: ModelSection, i: number): string {
  if (!m.fairness) return '';
  const p = `models.${i}.fairness`;
  const rows = m.fairness.accuracyByGroup
    .map((g, j) => `<tr><th>${num(report, `${p}.accuracyByGroup.${j}.group`)}</th><td>${num(report, `${p}.accuracyByGroup.${j}.value`)}</td><td>[${num(report, `${p}.accuracyByGroup.${j}.low`)}, ${num(report, `${p}.accuracyByGroup.${j}.high`)}]</td><td>${num(report, `${p}.accuracyByGroup.${j}.count`)}</td></tr>`)
    .join('\n');
  const fromData = m.fairness.source === 'data';
  const counterfactual = fromData
    ? ''
    : `\nSwapping the identity term flips ${num(report, `${p}.counterfactualFlipRate`)} of predictions (mean change in the original label's probability ${num(report, `${p}.counterfactualMeanChange`)}). Accumulated prediction sensitivity: ${num(report, `${p}.aps`)}.`;
  return `<h3>${escapeHtml(m.name)}: ${fromData ? '' : 'probe '}${num(report, `${p}.probe`)}</h3>
<table><thead><tr><th>group</th><th>accuracy</th><th>95% interval</th><th>${fromData ? 'test examples' : 'probes'}</th></tr></thead><tbody>${rows}</tbody></table>
<p>Largest accuracy gap between groups: ${num(report, `${p}.accuracyDifference`)} (95% interval [${num(report, `${p}.accuracyDifferenceLow`)}, ${num(report, `${p}.accuracyDifferenceHigh`)}]).${counterfactual}</p>`;
}

const STYLE = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:.2em}table{border-collapse:collapse;margin:1em 0}th,td{border-bottom:1px solid #ddd;padding:.3em .7em;text-align:right}th:first-child{text-align:left}
.synthetic{background:#fff3cd;border:1px solid #e0c36c;padding:.6em 1em;border-radius:4px}.card{background:#f6f8fa;padding:.8em 1.2em;border-radius:6px}.charts{display:flex;flex-wrap:wrap;gap:1em}`;

/**
 * Privacy vs utility: test accuracy of each private model against its ε (log scale), with the
 * non-private model as a dashed line labelled "no DP".
 */
function privacyUtilityChart(report: TrustReport): VegaLiteSpec {
  const privateModels = report.models.filter((m) => m.private && m.privacy.epsilon !== null).map((m) => ({ model: m.name, epsilon: m.privacy.epsilon, accuracy: m.accuracy }));
  const standard = report.models.filter((m) => !m.private).map((m) => ({ model: `${m.name} (no DP)`, accuracy: m.accuracy }));
  return {
    title: 'Privacy vs utility',
    width: 420,
    height: 260,
    layer: [
      {
        data: { values: privateModels },
        mark: { type: 'line', point: { size: 80, filled: true } },
        encoding: {
          x: { field: 'epsilon', type: 'quantitative', title: 'ε (δ fixed; log scale)', scale: { type: 'log' } },
          y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1] } },
        },
      },
      {
        data: { values: standard },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#d62728' },
        encoding: { y: { field: 'accuracy', type: 'quantitative' } },
      },
      {
        data: { values: standard },
        mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#d62728' },
        encoding: { y: { field: 'accuracy', type: 'quantitative' }, x: { value: 0 }, text: { field: 'model' } },
      },
    ],
  };
}

/** Log-log ROC curves with the chance diagonal TPR = FPR. */
function rocChart(values: { curve: string; fpr: number; tpr: number }[]): VegaLiteSpec {
  const lo = Math.max(1e-4, Math.min(...values.map((v) => v.fpr)));
  const chance = [lo, 1].map((x) => ({ fpr: x, tpr: x, curve: 'chance (TPR = FPR)' }));
  return {
    title: 'Membership inference ROC (log-log)',
    width: 420,
    height: 300,
    layer: [
      {
        data: { values },
        mark: { type: 'line', clip: true },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { type: 'log' } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { type: 'log' } },
          color: { field: 'curve', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1, labelLimit: 400 } },
        },
      },
      {
        data: { values: chance },
        mark: { type: 'line', strokeDash: [4, 4], color: '#888' },
        encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
      },
    ],
  };
}

export async function renderTrustReport(report: TrustReport): Promise<string> {
  const charts: string[] = [];
  charts.push(await renderSvg(privacyUtilityChart(report)));
  const roc = report.models.flatMap((m) =>
    m.audit.flatMap((a) => a.roc.filter((p) => p.fpr > 0 && p.tpr > 0).map((p) => ({ curve: `${m.name} · ${a.attack}`, fpr: p.fpr, tpr: p.tpr }))),
  );
  if (roc.length > 0) {
    charts.push(await renderSvg(rocChart(roc)));
  }
  const groups = report.models.flatMap((m) => (m.fairness ? m.fairness.accuracyByGroup.map((g) => ({ model: m.name, group: `${m.name} · ${g.group}`, accuracy: g.value, low: g.low, high: g.high })) : []));
  if (groups.length > 0) {
    charts.push(await renderSvg(barChart({ title: 'Probe accuracy by group (95% intervals)', values: groups, category: 'group', value: 'accuracy', low: 'low', high: 'high', color: 'model' })));
  }
  const synthetic = report.dataset.synthetic
    ? `<p class="synthetic"><strong>Synthetic data.</strong> No real dataset was found, so this report uses trustnlu's generated voice-assistant set. Its numbers show how the toolkit works, not how a real model behaves.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<p class="sub">Dataset ${num(report, 'dataset.name')} (${num(report, 'dataset.train')} train / ${num(report, 'dataset.val')} validation / ${num(report, 'dataset.test')} test, ${num(report, 'dataset.labels')} labels) · model ${num(report, 'modelKind')} · seed ${num(report, 'seed')} · generated ${escapeHtml(report.generatedAt)} in ${num(report, 'seconds')} s</p>
${synthetic}
<p class="sub">Every model trains on the training split minus ${num(report, 'dataset.heldOut')} examples held out at random as membership-inference non-members, plus the planted secrets below.</p>
<div class="card"><h2>Model card</h2><ul>${report.summary.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul></div>
<h2>Utility and privacy</h2>
${modelTable(report)}
<h2>What an attacker can learn</h2>
<p>Membership inference: can an attacker tell whether an utterance was in the training set? AUC 0.5 and TPR at low FPR near the FPR mean no; the empirical ε is a statistical lower bound on the privacy loss that the attack demonstrates (it must stay below the guarantee).</p>
${auditTable(report)}
<h3>Planted secrets</h3>
${canaryTable(report)}
<h2>Fairness</h2>
${report.models.map((m, i) => fairnessTable(report, m, i)).join('\n')}
<h2>Charts</h2>
<div class="charts">${charts.join('\n')}</div>
<p class="sub">Command: <code>${escapeHtml(report.command)}</code> · ${escapeHtml(report.machine.cpu)} × ${report.machine.cores}, Node ${escapeHtml(report.machine.node)}, backend ${escapeHtml(report.machine.backend)}. Every number here is in report.json.</p>
</body></html>
`;
}
