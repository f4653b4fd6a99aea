/**
 * The privatize CLI contract on small files (no real data needed: a hand-made embedding file):
 * rewriting CSV / TSV / JSONL / JSON keeps every other column; --oov is an explicit choice;
 * `privatize stats --json` prints {"words": [{word, unchanged, distinct, unchangedInterval}]};
 * choose-epsilon; ADePT through train-adept and a rewrite, the published variant only behind
 * its flag; usage errors and bad input (files, words, ε) exit 2, each with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');
const dir = mkdtempSync(join(tmpdir(), 'trustnlu-privatize-'));

function run(args: string[], dataDir?: string) {
  const env = { ...process.env };
  delete env.TRUSTNLU_DATA;
  if (dataDir) env.TRUSTNLU_DATA = dataDir;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onlyJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected exactly one line on stdout, got:\n${stdout}`);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

function oneLineError(r: { stderr: string }): string {
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('(add --help'));
  assert.equal(lines.length, 1, `expected one error line, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  return lines[0];
}

// Twelve words in 3-d: clusters {play, listen}, {music, jazz, songs}, {weather, rain, snow}, {set, an, alarm, for}.
const VECTORS: Record<string, number[]> = {
  play: [0, 0, 0], listen: [0.4, 0, 0],
  music: [5, 0, 0], jazz: [5.3, 0.2, 0], songs: [5, 0.4, 0],
  weather: [0, 5, 0], rain: [0.3, 5.2, 0], snow: [0, 5.4, 0.2],
  set: [0, 0, 5], an: [0.5, 0, 5], alarm: [0, 0.5, 5], for: [0.3, 0.3, 5.3],
};
const embeddings = join(dir, 'tiny.txt');
writeFileSync(embeddings, `${Object.keys(VECTORS).length} 3\n${Object.entries(VECTORS).map(([w, v]) => `${w} ${v.join(' ')}`).join('\n')}\n`);
const csv = join(dir, 'in.csv');
writeFileSync(csv, 'id,text,label,note\n1,"Play jazz, music",music,"has ""quotes"", and commas"\n2,rain snow weather,weather,\n3,set an alarm for Tuesday,alarm,x\n');

test('privatize rewrites the text column and keeps the other columns (CSV, TSV, JSONL, JSON)', () => {
  const out = join(dir, 'out.csv');
  const r = run(['privatize', '--mechanism', 'madlib', '--epsilon', '1e9', '--embeddings', embeddings, '--data', csv, '--text-column', 'text', '--out', out, '--oov', 'drop', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = onlyJson(r.stdout);
  assert.equal(result.rows, 3);
  assert.equal(result.privatizedWords, 10);
  assert.equal(result.changedWords, 0, 'ε = 1e9 keeps every word');
  assert.equal(result.outOfVocabularyDropped, 2);
  assert.deepEqual(result.outOfVocabularyExamples, [',', 'tuesday']);
  assert.equal(result.secure, true);
  assert.equal(readFileSync(out, 'utf8'), 'id,text,label,note\n1,play jazz music,music,"has ""quotes"", and commas"\n2,rain snow weather,weather,\n3,set an alarm for,alarm,x\n');

  const noisy = join(dir, 'noisy.jsonl');
  const n = run(['privatize', '--mechanism', 'mahalanobis', '--lambda', '0.5', '--epsilon', '0.5', '--embeddings', embeddings, '--data', csv, '--text-column', 'text', '--out', noisy, '--oov', 'keep', '--seed', '3', '--json']);
  assert.equal(n.code, 0, n.stderr);
  assert.match(n.stderr, /--seed given: .* NOT private/);
  assert.equal(onlyJson(n.stdout).secure, false);
  const rows = readFileSync(noisy, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
  assert.deepEqual(rows.map((x) => [x.id, x.label, x.note]), [['1', 'music', 'has "quotes", and commas'], ['2', 'weather', ''], ['3', 'alarm', 'x']]);
  assert.ok(rows[2].text.endsWith(' tuesday'), 'kept out-of-vocabulary word');
  // The same seed gives the same rewrite.
  const again = join(dir, 'again.jsonl');
  run(['privatize', '--mechanism', 'mahalanobis', '--lambda', '0.5', '--epsilon', '0.5', '--embeddings', embeddings, '--data', csv, '--text-column', 'text', '--out', again, '--oov', 'keep', '--seed', '3']);
  assert.equal(readFileSync(again, 'utf8'), readFileSync(noisy, 'utf8'));

  const json = join(dir, 'in.json');
  writeFileSync(json, JSON.stringify([{ utterance: 'play music', intent: 'm', n: 3 }, { utterance: 'snow', intent: 'w', n: null }]));
  const outJson = join(dir, 'out.json');
  const j = run(['privatize', '--mechanism', 'gumbel', '--epsilon', '1e300', '--embeddings', embeddings, '--data', json, '--text-column', 'utterance', '--out', outJson]);
  assert.equal(j.code, 0, j.stderr);
  // The shared table reader keeps values as text (numbers become strings, null an absent value).
  assert.deepEqual(JSON.parse(readFileSync(outJson, 'utf8')), [{ utterance: 'play music', intent: 'm', n: '3' }, { utterance: 'snow', intent: 'w' }]);
});

test('privatize stats prints N_w, S_w and the interval; choose-epsilon finds the target', () => {
  const r = run(['privatize', 'stats', '--mechanism', 'madlib', '--epsilon', '2', '--embeddings', embeddings, '--words', 'play,jazz', '--samples', '400', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { words } = onlyJson(r.stdout) as { words: { word: string; unchanged: number; distinct: number; unchangedInterval: { low: number; high: number } }[] };
  assert.deepEqual(words.map((w) => w.word), ['play', 'jazz']);
  for (const w of words) {
    assert.ok(w.unchanged > 0 && w.unchanged < 1);
    assert.ok(w.unchangedInterval.low <= w.unchanged && w.unchanged <= w.unchangedInterval.high);
    assert.ok(w.distinct >= 2 && w.distinct <= 12);
  }
  const sure = onlyJson(run(['privatize', 'stats', '--mechanism', 'gumbel', '--epsilon', '1e300', '--embeddings', embeddings, '--words', 'rain', '--samples', '50', '--json']).stdout) as { words: { unchanged: number; distinct: number }[] };
  assert.equal(sure.words[0].unchanged, 1);
  assert.equal(sure.words[0].distinct, 1);
  const chosen = run(['privatize', 'choose-epsilon', '--mechanism', 'madlib', '--embeddings', embeddings, '--target-unchanged', '0.5', '--samples', '200', '--low', '0.1', '--high', '100', '--json']);
  assert.equal(chosen.code, 0, chosen.stderr);
  const c = onlyJson(chosen.stdout) as { epsilon: number; medianUnchanged: { median: number } };
  assert.ok(c.epsilon > 0.1 && c.epsilon < 100 && c.medianUnchanged.median <= 0.5, JSON.stringify(c));
});

test('ADePT from the CLI: train-adept on public text, a corrected rewrite, the published variant only behind its flag', () => {
  const publicFile = join(dir, 'public.tsv');
  writeFileSync(publicFile, `text\n${['play some jazz', 'turn on the lights', 'what is the weather', 'set an alarm', 'play the news', 'call my mother'].join('\n')}\n`);
  const model = join(dir, 'adept');
  const t = run(['privatize', 'train-adept', '--public', publicFile, '--text-column', 'text', '--out', model, '--epochs', '3', '--hidden', '16', '--json']);
  assert.equal(t.code, 0, t.stderr);
  assert.equal((onlyJson(t.stdout).history as unknown[]).length, 3);
  const out = join(dir, 'adept.csv');
  const r = run(['privatize', '--mechanism', 'adept', '--adept-model', model, '--epsilon', '5', '--delta', '1e-5', '--data', csv, '--text-column', 'text', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = onlyJson(r.stdout);
  assert.equal(result.dp, true);
  assert.equal(result.noise, 'gaussian');
  assert.ok((result.noiseScale as number) > 0);
  assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split(',')[0]), ['id', '1', '2', '3']);
  const needsFlag = run(['privatize', '--mechanism', 'adept', '--adept-model', model, '--epsilon', '5', '--adept-published-not-dp', '--data', csv, '--text-column', 'text', '--out', out]);
  assert.equal(needsFlag.code, 2);
  assert.match(oneLineError(needsFlag), /--adept-published-not-dp is the Laplace variant: add --adept-noise laplace/);
  // The model was trained with L2 clipping: the corrected Laplace variant (L1 clip) is refused.
  const l1 = run(['privatize', '--mechanism', 'adept', '--adept-model', model, '--epsilon', '5', '--adept-noise', 'laplace', '--data', csv, '--text-column', 'text', '--out', out]);
  assert.equal(l1.code, 2);
  assert.match(oneLineError(l1), /trained with L2 clipping/);
  const published = run(['privatize', '--mechanism', 'adept', '--adept-model', model, '--epsilon', '5', '--adept-noise', 'laplace', '--adept-published-not-dp', '--data', csv, '--text-column', 'text', '--out', out, '--json']);
  assert.equal(published.code, 0, published.stderr);
  const p = onlyJson(published.stdout);
  assert.equal(p.dp, false);
  assert.ok(Math.abs((p.actualEpsilon as number) - 5 * 4) < 1e-9, 'ε·√16');
  assert.match(published.stderr, /NOT 5-DP/);
});

test('privatize: usage errors and bad input (files, out-of-vocabulary words, ε) exit 2, one line each', () => {
  const out = join(dir, 'x.csv');
  const base = ['--embeddings', embeddings, '--data', csv, '--text-column', 'text', '--out', out];
  const cases: [string[], number, RegExp][] = [
    [['privatize', '--mechanism', 'madlib', '--epsilon', '1', ...base], 2, /text 1 has ",", which is not in the embedding vocabulary.*--oov keep\|drop/],
    [['privatize', '--mechanism', 'madlib', '--epsilon', '0', ...base], 2, /--epsilon must be a number > 0/],
    [['privatize', '--mechanism', 'word2vec', '--epsilon', '1', ...base], 2, /--mechanism must be one of madlib, mahalanobis, gumbel, adept/],
    [['privatize', '--mechanism', 'madlib', '--epsilon', '1', '--data', csv], 2, /privatize needs --text-column, --out/],
    [['privatize', '--mechanism', 'madlib', '--epsilon', '1', '--lambda', '0.3', ...base], 2, /--lambda applies to --mechanism mahalanobis only/],
    [['privatize', '--mechanism', 'madlib', '--epsilon', '1', '--oov', 'drop', '--embeddings', embeddings, '--data', csv, '--text-column', 'utterance', '--out', out], 2, /no column "utterance" \(columns: id, text, label, note\)/],
    [['privatize', '--mechanism', 'madlib', '--epsilon', '1', '--oov', 'drop', '--embeddings', embeddings, '--data', join(dir, 'in.xml'), '--text-column', 'text', '--out', out], 2, /cannot tell the format from the extension ".xml"/],
    [['privatize', '--mechanism', 'madlib', '--epsilon', '1', '--oov', 'drop', '--embeddings', csv, '--data', csv, '--text-column', 'text', '--out', out], 2, /bad word2vec header/],
    [['privatize', '--mechanism', 'gumbel', '--epsilon', '3', '--oov', 'drop', ...base], 2, /too small for the truncated Gumbel calibration.*needs epsilon > /],
    [['privatize', '--mechanism', 'adept', '--epsilon', '1', ...base], 2, /--mechanism adept needs --adept-model DIR/],
    [['privatize', 'stats', '--mechanism', 'madlib', '--epsilon', '1', '--embeddings', embeddings, '--words', 'play,tuesday'], 2, /"tuesday" is not in the embedding vocabulary/],
    [['privatize', 'stats', '--mechanism', 'adept', '--epsilon', '1', '--words', 'play'], 2, /for the word mechanisms/],
    [['privatize', 'stats', '--epsilon', '1', '--words', 'play'], 2, /--mechanism is required/],
    // A data directory without the GloVe subset.
    [['privatize', 'stats', '--mechanism', 'madlib', '--epsilon', '1', '--words', 'play'], 2, /no embeddings: pass --embeddings FILE/],
  ];
  for (const [args, code, pattern] of cases) {
    const r = run(args, dir);
    assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(oneLineError(r), pattern, args.join(' '));
  }
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"text": "play"}\n{"label": "x"}\n');
  const r = run(['privatize', '--mechanism', 'madlib', '--epsilon', '1', '--embeddings', embeddings, '--data', bad, '--text-column', 'text', '--out', out, '--json']);
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(onlyJson(r.stdout), { error: { type: 'DatasetFormatError', message: `${bad}:2: the row has no "text" value; every row needs a text` } });
});
