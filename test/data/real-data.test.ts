/**
 * Counts on the real shared data, checked against /work/shared/data/MANIFEST.json
 * (count_summary) and its README. Skipped, with the reason, when the data is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REAL_DATA_DIR, needsRealData } from '../helpers.js';
import { defaultDatasetName, listDatasets, loadCorpus, loadIntentDataset } from '../../src/data/registry.js';
import { parseShakespeareTurns } from '../../src/data/datasets/shakespeare.js';
import type { IntentDataset, TextExample } from '../../src/data/types.js';

const dataDir = REAL_DATA_DIR;

function sizes(data: { splits: Record<'train' | 'val' | 'test', unknown[]> }): number[] {
  return [data.splits.train.length, data.splits.val.length, data.splits.test.length];
}
function countBy(list: TextExample[], key: (e: TextExample) => string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of list) {
    const k = key(e) ?? '';
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}
function all(data: IntentDataset): TextExample[] {
  return [...data.splits.train, ...data.splits.val, ...data.splits.test];
}

test('clinc150 full: 15,000+100 / 3,000+100 / 4,500+1,000, 151 labels, 10 domains', needsRealData, () => {
  const data = loadIntentDataset('clinc150', { dataDir });
  assert.deepEqual(sizes(data), [15_100, 3_100, 5_500]);
  assert.equal(data.labels.length, 151);
  assert.ok(data.labels.includes('oos'));
  const oos = (list: TextExample[]) => list.filter((e) => e.label === 'oos').length;
  assert.deepEqual([oos(data.splits.train), oos(data.splits.val), oos(data.splits.test)], [100, 100, 1_000]);
  const domains = countBy(all(data), (e) => e.domain);
  domains.delete('oos');
  assert.equal(domains.size, 10);
  assert.ok(all(data).every((e) => typeof e.domain === 'string'));
  // 100 train examples for every in-scope intent; each domain has 15 intents.
  const perIntent = countBy(data.splits.train.filter((e) => e.label !== 'oos'), (e) => e.label);
  assert.ok([...perIntent.values()].every((n) => n === 100));
  const intentsPerDomain = new Map<string, Set<string>>();
  for (const e of data.splits.train) if (e.label !== 'oos') (intentsPerDomain.get(e.domain!) ?? intentsPerDomain.set(e.domain!, new Set()).get(e.domain!)!).add(e.label);
  assert.ok([...intentsPerDomain.values()].every((s) => s.size === 15));
});

test('clinc150 small and imbalanced: train 7,500+100 and 10,525+100, same val/test', needsRealData, () => {
  assert.deepEqual(sizes(loadIntentDataset('clinc150-small', { dataDir })), [7_600, 3_100, 5_500]);
  assert.deepEqual(sizes(loadIntentDataset('clinc150-imbalanced', { dataDir })), [10_625, 3_100, 5_500]);
});

test('banking77: 10,003 train+val, 3,080 test, 77 labels', needsRealData, () => {
  const data = loadIntentDataset('banking77', { dataDir });
  assert.equal(data.splits.train.length + data.splits.val.length, 10_003);
  assert.equal(data.splits.test.length, 3_080);
  assert.equal(data.labels.length, 77);
  const categories = JSON.parse(readFileSync(join(dataDir!, 'banking77/categories.json'), 'utf8')) as string[];
  assert.deepEqual(data.labels, [...categories].sort());
  // Every label is in val (the smallest train class is large enough to give one).
  assert.equal(new Set(data.splits.val.map((e) => e.label)).size, 77);
  assert.ok(all(data).every((e) => !/[\r\n]/.test(e.text) && e.text === e.text.trim()));
});

test('snips: 13,084 / 700 / 700, 7 intents, tokens and slots aligned', needsRealData, () => {
  const data = loadIntentDataset('snips', { dataDir });
  assert.deepEqual(sizes(data), [13_084, 700, 700]);
  assert.equal(data.labels.length, 7);
  assert.ok(all(data).every((e) => e.tokens!.length === e.slots!.length && e.text === e.tokens!.join(' ')));
});

test('hwu64: 9,960 train+val, 1,076 test, 64 labels, 18 scenarios', needsRealData, () => {
  const data = loadIntentDataset('hwu64', { dataDir });
  assert.equal(data.splits.train.length + data.splits.val.length, 9_960);
  assert.equal(data.splits.test.length, 1_076);
  assert.equal(data.labels.length, 64);
  assert.equal(countBy(all(data), (e) => e.domain).size, 18);
  assert.ok(all(data).every((e) => e.label.startsWith(`${e.domain}_`)));
});

test('slurp: devel 2,033 carved into train+val, test 2,974, 18 scenarios, 60 scenario_action intents', needsRealData, () => {
  const data = loadIntentDataset('slurp', { dataDir });
  assert.equal(data.splits.train.length + data.splits.val.length, 2_033);
  assert.equal(data.splits.test.length, 2_974);
  assert.equal(countBy(all(data), (e) => e.domain).size, 18);
  // MANIFEST counts 71 devel / 77 test values of the records' "intent" field; that field is the
  // bare action ("query", "set", ...) in 30 devel and 37 test records. As scenario_action there
  // are 59 intents in each file and 60 together.
  assert.equal(countBy(data.splits.test, (e) => e.label).size, 59);
  assert.equal(countBy([...data.splits.train, ...data.splits.val], (e) => e.label).size, 59);
  assert.equal(data.labels.length, 60);
  const raw = (file: string) => readFileSync(join(dataDir!, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l).intent as string);
  assert.equal(new Set(raw('slurp/devel.jsonl')).size, 71);
  assert.equal(new Set(raw('slurp/test.jsonl')).size, 77);
});

test('tinyshakespeare: 7,222 blocks, 309 speakers, GLOUCESTER 229 / DUKE VINCENTIO 193 / ROMEO 163', needsRealData, () => {
  const path = join(dataDir!, 'tinyshakespeare/input.txt');
  const text = readFileSync(path, 'utf8');
  assert.equal(text.length, 1_115_394);
  const turns = parseShakespeareTurns(text, path);
  assert.equal(turns.length, 7_222);
  const bySpeaker = new Map<string, number>();
  for (const t of turns) bySpeaker.set(t.speaker, (bySpeaker.get(t.speaker) ?? 0) + 1);
  assert.equal(bySpeaker.size, 309);
  const top = [...bySpeaker.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  assert.deepEqual(top, [
    ['GLOUCESTER', 229],
    ['DUKE VINCENTIO', 193],
    ['ROMEO', 163],
  ]);
  assert.equal([...bySpeaker.values()].filter((n) => n >= 20).length, 99);
  assert.equal([...bySpeaker.values()].filter((n) => n >= 5).length, 185);
  // The corpus leaves out the 125 speaker-only blocks (18 of them GLOUCESTER's).
  const corpus = loadCorpus('tinyshakespeare', { dataDir });
  const units = [...corpus.splits.train, ...corpus.splits.val, ...corpus.splits.test];
  assert.equal(units.length, 7_097);
  assert.deepEqual(sizes(corpus), [6_387, 355, 355]);
  assert.equal(units.filter((u) => u.speaker === 'GLOUCESTER').length, 211);
  assert.ok(units.every((u) => u.speaker && u.text.length > 0));
});

test('slurp-lm: 29,104 lines', needsRealData, () => {
  const corpus = loadCorpus('slurp-lm', { dataDir });
  assert.deepEqual(sizes(corpus), [26_193, 1_455, 1_456]);
  const words = [...corpus.splits.train, ...corpus.splits.val, ...corpus.splits.test].reduce((n, u) => n + u.text.split(/\s+/).length, 0);
  assert.equal(words, 189_751);
});

test('listDatasets on the real data: everything found, no errors; the default is clinc150', needsRealData, () => {
  const listing = listDatasets(dataDir);
  assert.ok(listing.every((l) => l.found && l.error === undefined), JSON.stringify(listing.filter((l) => !l.found || l.error)));
  const byName = new Map(listing.map((l) => [l.name, l]));
  assert.deepEqual(byName.get('clinc150')!.splits, { train: 15_100, val: 3_100, test: 5_500 });
  assert.equal(byName.get('hwu64')!.labels, 64);
  assert.equal(defaultDatasetName(dataDir), 'clinc150');
});
