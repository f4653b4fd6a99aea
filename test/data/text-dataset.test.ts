import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDatasetSource, loadTextCorpus, loadTextDataset, readTable } from '../../src/data/index.js';
import { writeTable } from '../../src/data/table.js';
import { ConfigError, DatasetFormatError, DatasetNotFoundError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'trustnlu-text-dataset-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** n rows per label for labels a..e, as CSV lines with a user and a time. */
function csvRows(perLabel: number): string[] {
  const rows: string[] = [];
  for (const label of ['a', 'b', 'c', 'd', 'e']) {
    for (let i = 0; i < perLabel; i++) rows.push(`"utterance ${label} ${i}, with a comma",${label},u${i % 3},${1000 + i}`);
  }
  return rows;
}

test('CSV with other column names: quoted commas, splits carved stratified and reproducible from the seed', () => {
  const path = file('intents.csv', ['utterance,intent,speaker,when', ...csvRows(20)].join('\n') + '\n');
  const options = { text: 'utterance', label: 'intent', user: 'speaker', time: 'when', seed: 3 };
  const data = loadTextDataset(path, options);
  assert.equal(data.task, 'intent');
  assert.equal(data.name, 'intents.csv');
  assert.deepEqual(data.labels, ['a', 'b', 'c', 'd', 'e']);
  // 100 rows: 10% test and 10% val, 2 of each label in each (stratified).
  assert.equal(data.splits.test.length, 10);
  assert.equal(data.splits.val.length, 10);
  assert.equal(data.splits.train.length, 80);
  for (const label of data.labels) {
    assert.equal(data.splits.test.filter((e) => e.label === label).length, 2, `test has 2 of ${label}`);
    assert.equal(data.splits.val.filter((e) => e.label === label).length, 2, `val has 2 of ${label}`);
  }
  const all = [...data.splits.train, ...data.splits.val, ...data.splits.test];
  assert.equal(new Set(all.map((e) => e.text)).size, 100, 'every row in exactly one split');
  assert.match(all[0].text, /, with a comma$/);
  assert.ok(all.every((e) => e.user !== undefined && typeof e.time === 'number'));
  // Same seed, same split; another seed, another split.
  const again = loadTextDataset(path, options);
  assert.deepEqual(again.splits.test.map((e) => e.text), data.splits.test.map((e) => e.text));
  const other = loadTextDataset(path, { ...options, seed: 4 });
  assert.notDeepEqual(other.splits.test.map((e) => e.text), data.splits.test.map((e) => e.text));
  // The origin reloads the same dataset.
  assert.deepEqual(data.origin?.kind, 'files');
  const reloaded = loadDatasetSource(data.origin!, { task: 'intent', seed: 3 });
  assert.deepEqual(reloaded.splits.val.map((e) => e.text), data.splits.val.map((e) => e.text));
});

test('JSONL, JSON array and TSV give the same examples; given split files are used as they are', () => {
  const examples = [
    { text: 'book a table', label: 'restaurant' },
    { text: 'play some "jazz"', label: 'music' },
    { text: 'what is the weather', label: 'weather', group: 'g1' },
  ];
  const jsonl = file('train.jsonl', examples.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const json = file('train.json', JSON.stringify(examples, null, 2));
  const tsv = file('train.tsv', 'text\tlabel\tgroup\n' + examples.map((e) => `${e.text}\t${e.label}\t${e.group ?? ''}`).join('\n'));
  const test1 = file('test.jsonl', JSON.stringify({ text: 'order pizza', label: 'restaurant' }) + '\n');
  const val1 = file('val.jsonl', JSON.stringify({ text: 'next song', label: 'music' }) + '\n');
  for (const train of [jsonl, json, tsv]) {
    const data = loadTextDataset({ train, val: val1, test: test1 }, { group: 'group' });
    assert.deepEqual(data.splits.train.map((e) => [e.text, e.label]), examples.map((e) => [e.text, e.label]), train);
    assert.equal(data.splits.train[2].group, 'g1');
    assert.equal(data.splits.train[0].group, undefined);
    assert.deepEqual(data.splits.test.map((e) => e.text), ['order pizza']);
    assert.deepEqual(data.splits.val.map((e) => e.text), ['next song']);
  }
  // Numbers in JSON become text labels.
  const numeric = file('numeric.jsonl', '{"text":"x","label":3}\n{"text":"y","label":4}\n');
  assert.deepEqual(readTable(numeric).rows.map((r) => r.values.label), ['3', '4']);
});

test('errors name the file, the line and the fix', () => {
  const missingColumn = file('cols.csv', 'utterance,intent\nhello,greet\n');
  assert.throws(
    () => loadTextDataset(missingColumn),
    (e: Error) => e instanceof DatasetFormatError && /cols\.csv: no column "text"/.test(e.message) && /"utterance", "intent"/.test(e.message) && /--text-column/.test(e.message),
  );
  const ragged = file('ragged.csv', 'text,label\nhello,greet\nhi, there,greet\n');
  assert.throws(() => loadTextDataset(ragged), (e: Error) => e instanceof DatasetFormatError && /ragged\.csv:3: expected 2/.test(e.message));
  const open = file('open.csv', 'text,label\n"never closed,greet\nmore,x\n');
  assert.throws(() => loadTextDataset(open), (e: Error) => e instanceof DatasetFormatError && /open\.csv:2: .*never closed/.test(e.message));
  const badJson = file('bad.jsonl', '{"text":"a","label":"b"}\n{"text": oops}\n');
  assert.throws(() => loadTextDataset(badJson), (e: Error) => e instanceof DatasetFormatError && /bad\.jsonl:2: invalid JSON/.test(e.message));
  const notObject = file('arr.json', '[\n  {"text":"a","label":"b"},\n  ["x"]\n]');
  assert.throws(() => loadTextDataset(notObject), (e: Error) => e instanceof DatasetFormatError && /arr\.json:3: expected a JSON object/.test(e.message));
  const emptyText = file('empty.csv', 'text,label\nhello,greet\n  ,greet\n');
  assert.throws(() => loadTextDataset(emptyText), (e: Error) => e instanceof DatasetFormatError && /empty\.csv:3: column "text" is empty/.test(e.message));
  const badTime = file('time.csv', 'text,label,t\nhello,greet,yesterday\n');
  assert.throws(() => loadTextDataset(badTime, { time: 't' }), (e: Error) => e instanceof DatasetFormatError && /time\.csv:2: column "t" is "yesterday"/.test(e.message));
  assert.throws(() => loadTextDataset(file('x.xlsx', 'a')), (e: Error) => e instanceof DatasetFormatError && /--format/.test(e.message));
  assert.throws(() => loadTextDataset(join(dir, 'nope.csv')), (e: Error) => e instanceof DatasetNotFoundError && /nope\.csv does not exist/.test(e.message));
  assert.throws(() => loadTextDataset(missingColumn, { valFraction: 2, text: 'utterance', label: 'intent' }), ConfigError);
  // Too few rows to carve a test split says what to do.
  const tiny = file('tiny.csv', 'text,label\nhello,greet\n');
  assert.throws(() => loadTextDataset(tiny), (e: Error) => e instanceof DatasetFormatError && /split is empty/.test(e.message) && /--(val|test)-data/.test(e.message));
});

test('a corpus from a text file (paragraphs) or a table column, val/test the last shares in order', () => {
  const paragraphs = Array.from({ length: 20 }, (_, i) => `paragraph ${i}\nsecond line ${i}`).join('\n\n');
  const corpus = loadTextCorpus(file('book.txt', paragraphs));
  assert.equal(corpus.task, 'lm');
  assert.equal(corpus.splits.train.length, 16);
  assert.equal(corpus.splits.val.length, 2);
  assert.equal(corpus.splits.test.length, 2);
  assert.equal(corpus.splits.test[1].text, 'paragraph 19\nsecond line 19\n');
  const table = loadTextCorpus(file('lines.jsonl', Array.from({ length: 10 }, (_, i) => JSON.stringify({ body: `line ${i}`, who: `s${i % 2}` })).join('\n')), { text: 'body', user: 'who' });
  assert.equal(table.splits.train.length, 8);
  assert.equal(table.splits.train[1].speaker, 's1');
});

test('writeTable then readTable gives back the same values in every format (quotes, commas, tabs)', () => {
  const columns = ['utterance', 'intent'];
  const rows = [
    { utterance: 'say "hi", then leave', intent: 'greet' },
    { utterance: 'tab\there', intent: 'odd' },
    { utterance: 'plain', intent: 'x' },
  ];
  for (const ext of ['csv', 'tsv', 'jsonl', 'json']) {
    const path = join(dir, `round-trip.${ext}`);
    writeTable(path, columns, rows);
    const back = readTable(path).rows.map((r) => r.values);
    const expected = rows.map((r) => (ext === 'tsv' ? { ...r, utterance: r.utterance.replace(/\t/g, ' ') } : r));
    assert.deepEqual(back, expected, ext);
  }
});
