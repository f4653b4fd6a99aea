/**
 * Loader tests on tiny fixture files written in the exact upstream formats, so they always run
 * (no real data needed): parsing, out-of-scope handling, carved splits, SNIPS alignment, HWU64
 * quoting, Shakespeare turns, and the errors for malformed or missing files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DATASETS,
  defaultDatasetName,
  listDatasets,
  loadCorpus,
  loadDataset,
  loadIntentDataset,
} from '../../src/data/registry.js';
import { parseShakespeareTurns } from '../../src/data/datasets/shakespeare.js';
import { DatasetFormatError, DatasetNotFoundError } from '../../src/errors.js';

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function makeDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-data-'));
  tempDirs.push(dir);
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, relative)), { recursive: true });
    writeFileSync(join(dir, relative), content);
  }
  return dir;
}

/** Pretty-printed like the upstream clinc/oos-eval files (4-space indent, one value per line). */
function clincJson(data: Record<string, [string, string][]>): string {
  return JSON.stringify(data, null, 4);
}

const CLINC = {
  train: [
    ['wake me up at six', 'alarm'],
    ['set an alarm', 'alarm'],
    ['what is my balance', 'balance'],
  ] as [string, string][],
  val: [['alarm at nine please', 'alarm']] as [string, string][],
  test: [
    ['how much money do i have', 'balance'],
    ['alarm for noon', 'alarm'],
  ] as [string, string][],
  oos_train: [['how tall is everest', 'oos']] as [string, string][],
  oos_val: [['tell me a poem', 'oos']] as [string, string][],
  oos_test: [
    ['who won the game', 'oos'],
    ['what is a quark', 'oos'],
  ] as [string, string][],
};
const CLINC_DOMAINS = JSON.stringify({ utility: ['alarm'], banking: ['balance'] }, null, 4);

function bankingCsv(counts: Record<string, number>, extraRows: string[] = []): string {
  const lines = ['text,category'];
  for (const [label, n] of Object.entries(counts)) for (let i = 0; i < n; i++) lines.push(`query ${i} about ${label},${label}`);
  return [...lines, ...extraRows].join('\r\n') + '\r\n';
}

const HWU_HEADER = 'answerid;scenario;intent;answer_annotation;answer_from_anno;answer_from_user';
function hwuCsv(scenario: string, intent: string, texts: string[]): string {
  const rows = texts.map((t, i) => `${100 + i};${scenario};${intent};"${t}";"${t}";"${t}"`);
  return [HWU_HEADER, ...rows].join('\n') + '\n';
}

function slurpLine(id: number, sentence: string, scenario: string, action: string, intent = `${scenario}_${action}`): string {
  return JSON.stringify({ slurp_id: id, sentence, intent, action, scenario, tokens: [], entities: [], recordings: [] });
}

function shakespeareText(turns: number): string {
  const blocks: string[] = [];
  for (let i = 0; i < turns; i++) {
    const speaker = i % 3 === 0 ? 'First Citizen' : i % 3 === 1 ? 'MENENIUS' : 'ROMEO';
    blocks.push(`${speaker}:\nline ${i} one\nline ${i} two`);
  }
  return blocks.join('\n\n') + '\n';
}

function fixtureFiles(): Record<string, string> {
  const devel: string[] = [];
  for (let i = 0; i < 20; i++) devel.push(slurpLine(i, `wake me at ${i}`, 'alarm', 'set'));
  for (let i = 0; i < 10; i++) devel.push(slurpLine(100 + i, `weather number ${i}`, 'weather', 'query', i === 0 ? 'query' : undefined));
  return {
    'clinc150/data_full.json': clincJson(CLINC),
    'clinc150/domains.json': CLINC_DOMAINS,
    'banking77/train.csv':
      bankingCsv({ card_arrival: 20, pin_blocked: 10, top_up: 4 }, [
        '"Where is my card, it has not arrived?",card_arrival',
        '"It says ""pending"", why?",pending_card_payment',
        '"\nHow do I unblock my PIN?",pin_blocked',
      ]),
    'banking77/test.csv': 'text,category\n"A card, arriving?",card_arrival\nunblock pin,pin_blocked\n',
    'snips/train/seq.in': 'play some jazz \nbook a table for two\n',
    'snips/train/seq.out': 'O O B-genre \nO O O O B-party_size\n',
    'snips/train/label': 'PlayMusic\nBookRestaurant\n\n',
    'snips/valid/seq.in': 'play rock\n',
    'snips/valid/seq.out': 'O B-genre\n',
    'snips/valid/label': 'PlayMusic\n',
    'snips/test/seq.in': 'table for three\n',
    'snips/test/seq.out': 'O O B-party_size\n',
    'snips/test/label': 'BookRestaurant\n',
    'hwu64/train/alarm_set.csv':
      [
        HWU_HEADER,
        '1;alarm;set;"wake me at [time : six]";"wake me at six";"Wake me at 6"',
        '2;alarm;set;"set it; now";"set it; now";"set it; now"',
        '3;alarm;set;"say ""wake up""";"say ""wake up""";"say ""wake up"""',
        '4;alarm;set;"x";"";"fallback from user"',
        ...Array.from({ length: 6 }, (_, i) => `${10 + i};alarm;set;"alarm ${i}";"alarm ${i}";"alarm ${i}"`),
      ].join('\n') + '\n',
    'hwu64/train/weather_query.csv': hwuCsv('weather', 'query', Array.from({ length: 10 }, (_, i) => `weather ${i}`)),
    'hwu64/test/alarm_set.csv': hwuCsv('alarm', 'set', ['alarm test']),
    'hwu64/test/weather_query.csv': hwuCsv('weather', 'query', ['weather test']),
    'slurp/devel.jsonl': devel.join('\n') + '\n',
    'slurp/test.jsonl': [slurpLine(900, 'what is the weather', 'weather', 'query'), slurpLine(901, 'dim the lights', 'iot', 'hue_lightdim')].join('\n') + '\n',
    'slurp/lm.txt': Array.from({ length: 20 }, (_, i) => `utterance ${i}`).join('\n') + '\n',
    'tinyshakespeare/input.txt': 'TITUS:\n\n' + shakespeareText(20) + '\n\nGLOUCESTER:\nNow is the winter\nof our discontent\n',
  };
}

const FIXTURE = makeDir(fixtureFiles());

test('clinc150: in-scope intents with domains, oos added to each split with label and domain "oos"', () => {
  const data = loadIntentDataset('clinc150', { dataDir: FIXTURE });
  assert.equal(data.task, 'intent');
  assert.equal(data.synthetic, false);
  assert.equal(data.outOfScopeLabel, 'oos');
  assert.deepEqual(data.labels, ['alarm', 'balance', 'oos']);
  assert.deepEqual(
    [data.splits.train.length, data.splits.val.length, data.splits.test.length],
    [3 + 1, 1 + 1, 2 + 2],
  );
  assert.deepEqual(data.splits.train[0], { text: 'wake me up at six', label: 'alarm', domain: 'utility' });
  assert.deepEqual(data.splits.train[2], { text: 'what is my balance', label: 'balance', domain: 'banking' });
  assert.deepEqual(data.splits.train[3], { text: 'how tall is everest', label: 'oos', domain: 'oos' });
  assert.deepEqual(data.splits.test.filter((e) => e.label === 'oos').map((e) => e.text), ['who won the game', 'what is a quark']);
  assert.ok(data.notes.some((n) => n.includes('oos_train')));
  assert.equal(data.licence, 'CC BY 3.0');
});

test('clinc150: an intent missing from domains.json is a format error naming it', () => {
  const dir = makeDir({
    'clinc150/data_full.json': clincJson({ ...CLINC, train: [...CLINC.train, ['play a song', 'play_music']] }),
    'clinc150/domains.json': CLINC_DOMAINS,
  });
  assert.throws(
    () => loadDataset('clinc150', { dataDir: dir }),
    (err: Error) => err instanceof DatasetFormatError && /play_music/.test(err.message) && /domains\.json/.test(err.message),
  );
});

test('clinc150: truncated JSON is a format error with file and line', () => {
  const full = clincJson(CLINC);
  const cut = full.slice(0, Math.floor(full.length / 2));
  const dir = makeDir({ 'clinc150/data_full.json': cut, 'clinc150/domains.json': CLINC_DOMAINS });
  const lastLine = cut.split('\n').length;
  assert.throws(
    () => loadDataset('clinc150', { dataDir: dir }),
    (err: Error) =>
      err instanceof DatasetFormatError &&
      err.message.includes(`data_full.json:${lastLine}:`) &&
      /truncated/.test(err.message),
  );
});

test('clinc150: a missing comma is reported at its line; a wrong shape names the key', () => {
  const lines = clincJson(CLINC).split('\n');
  const at = lines.findIndex((l) => l.includes('"set an alarm"'));
  lines[at + 1] = lines[at + 1].replace('"alarm"', '"alarm" "extra"');
  const dir = makeDir({ 'clinc150/data_full.json': lines.join('\n'), 'clinc150/domains.json': CLINC_DOMAINS });
  assert.throws(
    () => loadDataset('clinc150', { dataDir: dir }),
    (err: Error) => err instanceof DatasetFormatError && err.message.includes(`data_full.json:${at + 2}:`),
  );
  const shape = makeDir({
    'clinc150/data_full.json': JSON.stringify({ ...CLINC, val: [['only text']] }),
    'clinc150/domains.json': CLINC_DOMAINS,
  });
  assert.throws(
    () => loadDataset('clinc150', { dataDir: shape }),
    (err: Error) => err instanceof DatasetFormatError && /"val"\[0\]/.test(err.message),
  );
});

test('a missing file is DatasetNotFoundError naming the file and how to provide the directory', () => {
  const dir = makeDir({ 'clinc150/data_full.json': clincJson(CLINC) });
  assert.throws(
    () => loadDataset('clinc150', { dataDir: dir }),
    (err: Error) =>
      err instanceof DatasetNotFoundError &&
      err.message.includes('clinc150/domains.json') &&
      err.message.includes('--data-dir') &&
      err.message.includes('TRUSTNLU_DATA'),
  );
  assert.throws(() => loadDataset('snips', { dataDir: dir }), (err: Error) => err instanceof DatasetNotFoundError && /snips\/train\/seq\.in/.test(err.message));
  assert.throws(() => loadDataset('hwu64', { dataDir: dir }), (err: Error) => err instanceof DatasetNotFoundError && /hwu64\/train/.test(err.message));
  assert.throws(
    () => loadDataset('clinc150', { dataDir: join(dir, 'does-not-exist') }),
    (err: Error) => err instanceof DatasetNotFoundError && /does-not-exist/.test(err.message),
  );
});

test('unknown names list the valid names; intent/corpus mix-ups are errors', () => {
  assert.throws(
    () => loadDataset('clinc', { dataDir: FIXTURE }),
    (err: Error) => err instanceof DatasetNotFoundError && DATASETS.every((d) => err.message.includes(d.name)),
  );
  assert.throws(() => loadIntentDataset('tinyshakespeare', { dataDir: FIXTURE }), (err: Error) => err instanceof DatasetNotFoundError && /corpus/.test(err.message));
  assert.throws(() => loadCorpus('banking77', { dataDir: FIXTURE }), (err: Error) => err instanceof DatasetNotFoundError && /intent dataset/.test(err.message));
});

test('banking77: RFC 4180 quoting, newline in a quoted text, stratified 10% val from train', () => {
  const data = loadIntentDataset('banking77', { dataDir: FIXTURE });
  const all = [...data.splits.train, ...data.splits.val];
  assert.equal(all.length, 20 + 10 + 4 + 3);
  assert.ok(all.some((e) => e.text === 'Where is my card, it has not arrived?' && e.label === 'card_arrival'));
  assert.ok(all.some((e) => e.text === 'It says "pending", why?' && e.label === 'pending_card_payment'));
  assert.ok(all.some((e) => e.text === 'How do I unblock my PIN?'), 'a leading newline inside quotes is dropped');
  assert.deepEqual(data.splits.test, [
    { text: 'A card, arriving?', label: 'card_arrival' },
    { text: 'unblock pin', label: 'pin_blocked' },
  ]);
  // card_arrival 21 -> round(2.1) = 2; pin_blocked 11 -> 1; top_up 4 -> 0; pending 1 -> 0
  const valCounts = Object.fromEntries(data.labels.map((l) => [l, data.splits.val.filter((e) => e.label === l).length]));
  assert.deepEqual(valCounts, { card_arrival: 2, pending_card_payment: 0, pin_blocked: 1, top_up: 0 });
  const trainTexts = new Set(data.splits.train.map((e) => e.text));
  assert.ok(data.splits.val.every((e) => !trainTexts.has(e.text)));
  assert.deepEqual(data.labels, ['card_arrival', 'pending_card_payment', 'pin_blocked', 'top_up']);
  // Deterministic for a seed, different for another.
  const again = loadIntentDataset('banking77', { dataDir: FIXTURE });
  assert.deepEqual(again.splits.val, data.splits.val);
  const seeds = [1, 2, 3, 4, 5].map((seed) => loadIntentDataset('banking77', { dataDir: FIXTURE, seed }).splits.val.map((e) => e.text).join('|'));
  assert.ok(new Set([data.splits.val.map((e) => e.text).join('|'), ...seeds]).size > 1, 'other seeds choose other examples');
  assert.ok(data.notes.some((n) => /stratified 10%/.test(n) && /seed 0/.test(n)));
});

test('banking77: a row with an unquoted comma is a format error with its line', () => {
  const dir = makeDir({
    'banking77/train.csv': 'text,category\nfine,card_arrival\nnot, fine,card_arrival\n',
    'banking77/test.csv': 'text,category\nok,card_arrival\n',
  });
  assert.throws(
    () => loadDataset('banking77', { dataDir: dir }),
    (err: Error) => err instanceof DatasetFormatError && err.message.includes('banking77/train.csv:3:') && /expected 2/.test(err.message),
  );
});

test('snips: tokens and slots aligned, trailing spaces and a trailing empty line tolerated', () => {
  const data = loadIntentDataset('snips', { dataDir: FIXTURE });
  assert.deepEqual(data.labels, ['BookRestaurant', 'PlayMusic']);
  assert.deepEqual(data.splits.train[0], {
    text: 'play some jazz',
    label: 'PlayMusic',
    tokens: ['play', 'some', 'jazz'],
    slots: ['O', 'O', 'B-genre'],
  });
  assert.equal(data.splits.train.length, 2);
  assert.equal(data.splits.val[0].label, 'PlayMusic');
  assert.deepEqual(data.splits.test[0].slots, ['O', 'O', 'B-party_size']);
  for (const split of Object.values(data.splits)) for (const e of split) assert.equal(e.tokens!.length, e.slots!.length);
});

test('snips: a token/slot count mismatch names the line; a line-count mismatch names the files', () => {
  const files = fixtureFiles();
  const misaligned = makeDir({
    ...files,
    'snips/train/seq.in': 'play some jazz\nbook a table for two\nplay rock\n',
    'snips/train/seq.out': 'O O B-genre\nO O O B-party_size\nO B-genre\n',
    'snips/train/label': 'PlayMusic\nBookRestaurant\nPlayMusic\n',
  });
  assert.throws(
    () => loadDataset('snips', { dataDir: misaligned }),
    (err: Error) => err instanceof DatasetFormatError && err.message.includes('snips/train/seq.out:2:') && /4 slot tags for 5 tokens/.test(err.message),
  );
  const short = makeDir({ ...files, 'snips/valid/label': '' });
  assert.throws(
    () => loadDataset('snips', { dataDir: short }),
    (err: Error) => err instanceof DatasetFormatError && /snips\/valid/.test(err.message) && /1, 1 and 0 lines/.test(err.message),
  );
});

test('hwu64: ";" inside quotes, doubled quotes, label scenario_intent, domain scenario, user-text fallback', () => {
  const data = loadIntentDataset('hwu64', { dataDir: FIXTURE });
  assert.deepEqual(data.labels, ['alarm_set', 'weather_query']);
  const all = [...data.splits.train, ...data.splits.val];
  assert.equal(all.length, 20);
  assert.ok(all.some((e) => e.text === 'set it; now'));
  assert.ok(all.some((e) => e.text === 'say "wake up"'));
  assert.ok(all.some((e) => e.text === 'wake me at six'), 'text is answer_from_anno, not the annotation');
  assert.ok(all.some((e) => e.text === 'fallback from user'));
  assert.ok(all.every((e) => e.domain === e.label.split('_')[0]));
  assert.deepEqual(
    data.splits.val.map((e) => e.label),
    ['alarm_set', 'weather_query'],
  );
  assert.deepEqual(data.splits.test.map((e) => [e.text, e.label, e.domain]), [
    ['alarm test', 'alarm_set', 'alarm'],
    ['weather test', 'weather_query', 'weather'],
  ]);
});

test('hwu64: a row with the wrong number of fields is a format error with file and line', () => {
  const dir = makeDir({
    ...fixtureFiles(),
    'hwu64/train/weather_query.csv': [HWU_HEADER, '1;weather;query;"a";"a";"a"', '2;weather;query;"b";b; unquoted;"b"'].join('\n') + '\n',
  });
  assert.throws(
    () => loadDataset('hwu64', { dataDir: dir }),
    (err: Error) =>
      err instanceof DatasetFormatError && err.message.includes('hwu64/train/weather_query.csv:3:') && /expected 6/.test(err.message) && /found 7/.test(err.message),
  );
});

test('slurp: train/val carved from devel (stratified 90/10), test from test.jsonl, label scenario_action', () => {
  const data = loadIntentDataset('slurp', { dataDir: FIXTURE });
  assert.deepEqual([data.splits.train.length, data.splits.val.length, data.splits.test.length], [27, 3, 2]);
  assert.deepEqual(data.splits.val.map((e) => e.label).sort(), ['alarm_set', 'alarm_set', 'weather_query']);
  // The record whose own "intent" field is the bare action still gets scenario_action.
  assert.ok([...data.splits.train, ...data.splits.val].every((e) => e.label === 'alarm_set' || e.label === 'weather_query'));
  assert.deepEqual(data.labels, ['alarm_set', 'iot_hue_lightdim', 'weather_query']);
  assert.equal(data.splits.test[1].domain, 'iot');
  assert.ok(data.notes.some((n) => /no upstream train text/.test(n)));
  assert.ok(data.notes.some((n) => /differs from scenario_action in 1 devel and 0 test/.test(n)));
  assert.ok(data.notes.some((n) => /iot_hue_lightdim/.test(n)), 'test intents unseen in train are listed');
});

test('slurp: a bad JSON line names the file and line', () => {
  const dir = makeDir({ ...fixtureFiles(), 'slurp/test.jsonl': slurpLine(1, 'ok', 'alarm', 'set') + '\n{"slurp_id": 2, "sentence": \n' });
  assert.throws(
    () => loadDataset('slurp', { dataDir: dir }),
    (err: Error) => err instanceof DatasetFormatError && err.message.includes('slurp/test.jsonl:2:'),
  );
  const fields = makeDir({ ...fixtureFiles(), 'slurp/test.jsonl': '{"sentence": "hi", "scenario": "general"}\n' });
  assert.throws(
    () => loadDataset('slurp', { dataDir: fields }),
    (err: Error) => err instanceof DatasetFormatError && err.message.includes('slurp/test.jsonl:1:') && /"action"/.test(err.message),
  );
});

test('tinyshakespeare: turns with speakers, empty speaker-only blocks left out, contiguous 90/5/5', () => {
  const corpus = loadCorpus('tinyshakespeare', { dataDir: FIXTURE });
  assert.equal(corpus.task, 'lm');
  const units = [...corpus.splits.train, ...corpus.splits.val, ...corpus.splits.test];
  assert.equal(units.length, 21);
  assert.deepEqual([corpus.splits.train.length, corpus.splits.val.length, corpus.splits.test.length], [18, 1, 2]);
  assert.deepEqual(units[0], { text: 'line 0 one\nline 0 two', speaker: 'First Citizen' });
  assert.deepEqual(units[20], { text: 'Now is the winter\nof our discontent', speaker: 'GLOUCESTER' });
  assert.ok(units.every((u) => typeof u.speaker === 'string' && u.speaker.length > 0));
  assert.ok(corpus.notes.some((n) => /1 of them are a speaker line with no text/.test(n)));
});

test('parseShakespeareTurns keeps speaker-only blocks and rejects a block without a speaker line', () => {
  const turns = parseShakespeareTurns('A:\nx\n\n\n\nB:\n\nC:\ny\nz\n', 'in.txt');
  assert.deepEqual(turns, [
    { speaker: 'A', text: 'x', line: 1 },
    { speaker: 'B', text: '', line: 6 },
    { speaker: 'C', text: 'y\nz', line: 8 },
  ]);
  assert.throws(
    () => parseShakespeareTurns('A:\nx\n\nno speaker here\ny\n', 'in.txt'),
    (err: Error) => err instanceof DatasetFormatError && /in\.txt:4:/.test(err.message),
  );
});

test('slurp-lm: one unit per line, contiguous 90/5/5', () => {
  const corpus = loadCorpus('slurp-lm', { dataDir: FIXTURE });
  assert.deepEqual([corpus.splits.train.length, corpus.splits.val.length, corpus.splits.test.length], [18, 1, 1]);
  assert.deepEqual(corpus.splits.val[0], { text: 'utterance 18' });
  assert.deepEqual(corpus.splits.test[0], { text: 'utterance 19' });
});

test('loads return fresh objects: changing one result does not change the next', () => {
  const first = loadIntentDataset('clinc150', { dataDir: FIXTURE });
  first.splits.train[0].text = 'changed';
  first.splits.train.pop();
  const second = loadIntentDataset('clinc150', { dataDir: FIXTURE });
  assert.equal(second.splits.train[0].text, 'wake me up at six');
  assert.equal(second.splits.train.length, 4);
});

test('listDatasets with a fixture directory: found flags, sizes and label counts', () => {
  const listing = listDatasets(FIXTURE);
  assert.deepEqual(listing.map((l) => l.name), DATASETS.map((d) => d.name));
  const byName = new Map(listing.map((l) => [l.name, l]));
  assert.deepEqual(byName.get('clinc150'), {
    name: 'clinc150',
    task: 'intent',
    found: true,
    synthetic: false,
    splits: { train: 4, val: 2, test: 4 },
    labels: 3,
    licence: 'CC BY 3.0',
    description: byName.get('clinc150')!.description,
  });
  assert.equal(byName.get('clinc150-small')!.found, false);
  assert.deepEqual(byName.get('clinc150-small')!.splits, { train: 0, val: 0, test: 0 });
  assert.equal(byName.get('tinyshakespeare')!.labels, 0);
  assert.equal(byName.get('tinyshakespeare')!.splits.train, 18);
  assert.equal(byName.get('synthetic')!.found, true);
  assert.equal(byName.get('synthetic')!.synthetic, true);
  assert.equal(byName.get('synthetic')!.labels, 12);
  assert.ok(listing.every((l) => l.error === undefined));
  assert.equal(defaultDatasetName(FIXTURE), 'clinc150');
});

test('listDatasets with an empty directory: only the synthetic sets are found; default is synthetic', () => {
  const empty = makeDir({});
  const listing = listDatasets(empty);
  assert.deepEqual(
    listing.filter((l) => l.found).map((l) => l.name),
    ['synthetic', 'synthetic-lm'],
  );
  assert.ok(listing.filter((l) => !l.found).every((l) => l.splits.train === 0 && l.labels === 0));
  assert.equal(defaultDatasetName(empty), 'synthetic');
});

test('listDatasets reports a damaged file as an error on that dataset instead of failing', () => {
  const dir = makeDir({ ...fixtureFiles(), 'banking77/test.csv': 'text,category\n"never closed,card_arrival\n' });
  const banking = listDatasets(dir).find((l) => l.name === 'banking77')!;
  assert.equal(banking.found, true);
  assert.match(banking.error ?? '', /banking77\/test\.csv:2:/);
  assert.deepEqual(banking.splits, { train: 0, val: 0, test: 0 });
});

test('every registered dataset has a description, licence and (unless synthetic) files', () => {
  for (const info of DATASETS) {
    assert.ok(info.description.length > 10, info.name);
    assert.ok(info.licence.length > 3, info.name);
    if (!info.name.startsWith('synthetic')) assert.ok(info.files.length > 0, info.name);
  }
  const corpusNames = DATASETS.filter((d) => d.task === 'lm').map((d) => d.name);
  assert.deepEqual(corpusNames.sort(), ['slurp-lm', 'synthetic-lm', 'tinyshakespeare']);
});
