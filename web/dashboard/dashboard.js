// The FL dashboard: polls /v1/status and /v1/rounds every second and redraws. Plain DOM and
// SVG, no library and no network beyond this server. Every number shown comes from those two
// JSON answers (data-field names match their keys), so a test can compare them.
const POLL_MS = 1000;

/** The federated estimate with its interval and clients (", secure" when the sums were masked), and the personalisation change when there is one. */
function federatedCell(m) {
  if (typeof m.federatedAccuracy !== 'number') return '–';
  const interval = (key) => `${fmt(m[key])} [${fmt(m[`${key}Low`])}, ${fmt(m[`${key}High`])}]`;
  const base = `${interval('federatedAccuracy')} (${m.federatedEvaluationClients} clients${m.federatedEvaluationSecure === 1 ? ', secure' : ''})`;
  return typeof m.federatedPersonalisedDelta === 'number' ? `${base}; personalised change ${interval('federatedPersonalisedDelta')}` : base;
}

const fmt = (x, digits = 4) => (typeof x === 'number' && Number.isFinite(x) ? (Number.isInteger(x) ? String(x) : x.toFixed(digits)) : '–');

function setField(name, value) {
  for (const el of document.querySelectorAll(`[data-field="${name}"]`)) el.textContent = value;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function drawCurve(svg, curve, rounds) {
  const ns = 'http://www.w3.org/2000/svg';
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const W = Number(svg.getAttribute('width'));
  const H = Number(svg.getAttribute('height'));
  const pad = { l: 44, r: 12, t: 12, b: 30 };
  const points = curve.filter((p) => typeof p.accuracy === 'number');
  // federated evaluation: the estimate from the sampled clients' sums, with its interval
  const federated = rounds.filter((r) => typeof r.metrics.federatedAccuracy === 'number');
  const add = (tag, attrs, text) => {
    const el = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    svg.appendChild(el);
    return el;
  };
  if (points.length === 0 && federated.length === 0) {
    add('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', fill: '#888' }, 'no evaluated round yet');
    return;
  }
  const maxRound = Math.max(1, ...points.map((p) => p.round), ...federated.map((r) => r.round));
  const x = (r) => pad.l + ((W - pad.l - pad.r) * (r - 0)) / maxRound;
  const y = (a) => pad.t + (H - pad.t - pad.b) * (1 - a);
  for (const a of [0, 0.25, 0.5, 0.75, 1]) {
    add('line', { x1: pad.l, x2: W - pad.r, y1: y(a), y2: y(a), stroke: '#eee' });
    add('text', { x: pad.l - 6, y: y(a) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#666' }, a.toFixed(2));
  }
  const step = Math.max(1, Math.ceil(maxRound / 10));
  for (let r = step; r <= maxRound; r += step) add('text', { x: x(r), y: H - pad.b + 14, 'text-anchor': 'middle', 'font-size': 11, fill: '#666' }, String(r));
  add('text', { x: (W + pad.l) / 2, y: H - 2, 'text-anchor': 'middle', 'font-size': 11, fill: '#666' }, 'round');
  if (points.length > 0) add('polyline', { points: points.map((p) => `${x(p.round)},${y(p.accuracy)}`).join(' '), fill: 'none', stroke: '#0969da', 'stroke-width': 2 });
  for (const r of federated) {
    const m = r.metrics;
    add('line', { x1: x(r.round), x2: x(r.round), y1: y(m.federatedAccuracyLow), y2: y(m.federatedAccuracyHigh), stroke: '#bc4c00', 'stroke-width': 2 });
    const mark = add('rect', { x: x(r.round) - 3.5, y: y(m.federatedAccuracy) - 3.5, width: 7, height: 7, fill: '#bc4c00', 'data-round': r.round, 'data-federated-accuracy': m.federatedAccuracy });
    const title = document.createElementNS(ns, 'title');
    title.textContent = `round ${r.round}: federated accuracy ${fmt(m.federatedAccuracy)} [${fmt(m.federatedAccuracyLow)}, ${fmt(m.federatedAccuracyHigh)}] from ${m.federatedEvaluationClients} clients`;
    mark.appendChild(title);
  }
  for (const p of points) {
    const dot = add('circle', { cx: x(p.round), cy: y(p.accuracy), r: 3.5, fill: '#0969da', 'data-round': p.round, 'data-accuracy': p.accuracy });
    const title = document.createElementNS(ns, 'title');
    title.textContent = `round ${p.round}: accuracy ${fmt(p.accuracy)}`;
    dot.appendChild(title);
  }
}

function render(status, rounds) {
  for (const key of ['federation', 'strategy', 'aggregator', 'protocol', 'roundsCompleted', 'roundsTarget', 'modelVersion', 'registeredClients', 'availableClients']) {
    setField(key, String(status[key]));
  }
  const last = [...status.curve].reverse().find((p) => typeof p.accuracy === 'number');
  setField('latestAccuracy', last ? fmt(last.accuracy) : '–');
  setField('privacy', status.privacy ? `ε = ${fmt(status.privacy.epsilon, 3)}, δ = ${status.privacy.delta}` : 'not private');
  const current = document.getElementById('current');
  if (status.currentRound) {
    const r = status.currentRound;
    current.textContent = '';
    current.className = '';
    current.append(`round ${r.round} (model ${r.modelVersion}): `);
    const strong = document.createElement('strong');
    strong.dataset.field = 'currentAccepted';
    strong.textContent = String(r.accepted);
    current.append(strong, ` of ${r.target} updates in; ${r.selected.length} selected; deadline in ${Math.max(0, Math.round((r.deadline - Date.now()) / 1000))} s`);
  } else {
    current.className = 'muted';
    current.textContent = status.finished ? 'federation finished' : 'no round open (waiting for enough clients)';
  }
  drawCurve(document.getElementById('curve'), status.curve, rounds);
  const body = document.getElementById('rounds');
  body.textContent = '';
  for (const r of [...rounds].reverse()) {
    const tr = document.createElement('tr');
    tr.dataset.round = String(r.round);
    tr.append(
      cell(String(r.round), 'num'),
      cell(r.status, r.status),
      cell(String(r.modelVersion), 'num'),
      cell(String(r.selected.length), 'num'),
      cell(String(r.aggregated.length), 'num'),
      cell(String(r.dropped.length), 'num'),
      cell(fmt(r.metrics.accuracy), 'num'),
      cell(fmt(r.metrics.trainLoss), 'num'),
      cell(r.dropped.join(', '), 'ids'),
      cell(federatedCell(r.metrics), 'num'),
    );
    body.appendChild(tr);
  }
  document.getElementById('updated').textContent = new Date().toLocaleTimeString();
  document.body.dataset.modelVersion = String(status.modelVersion);
}

async function poll() {
  try {
    const [status, rounds] = await Promise.all([fetch('/v1/status').then((r) => r.json()), fetch('/v1/rounds').then((r) => r.json())]);
    render(status, rounds.rounds);
  } catch (error) {
    document.getElementById('updated').textContent = `server unreachable (${error.message})`;
  }
  setTimeout(poll, POLL_MS);
}

poll();
