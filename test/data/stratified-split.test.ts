import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contiguousSplit, sortedLabels, stratifiedHoldOut } from '../../src/data/datasets/stratified-split.js';

function examples(counts: Record<string, number>): { text: string; label: string }[] {
  const out: { text: string; label: string }[] = [];
  // Interleave labels so that order preservation is visible.
  const max = Math.max(...Object.values(counts));
  for (let i = 0; i < max; i++) {
    for (const [label, n] of Object.entries(counts)) if (i < n) out.push({ text: `${label}-${i}`, label });
  }
  return out;
}

test('stratifiedHoldOut holds out round(10%) of each label, disjoint and complete', () => {
  const items = examples({ a: 40, b: 25, c: 4, d: 15 });
  const { kept, heldOut } = stratifiedHoldOut(items, 0.1, 0, 'test');
  const count = (list: { label: string }[], label: string) => list.filter((e) => e.label === label).length;
  // round(4) = 4, round(2.5) = 3 (JavaScript rounds .5 up), round(0.4) = 0, round(1.5) = 2
  assert.deepEqual(['a', 'b', 'c', 'd'].map((l) => count(heldOut, l)), [4, 3, 0, 2]);
  assert.equal(kept.length + heldOut.length, items.length);
  const keptTexts = new Set(kept.map((e) => e.text));
  assert.ok(heldOut.every((e) => !keptTexts.has(e.text)), 'held-out examples must not also be kept');
  assert.equal(new Set([...keptTexts, ...heldOut.map((e) => e.text)]).size, items.length);
  // Both parts keep the original order.
  const position = new Map(items.map((e, i) => [e.text, i]));
  for (const part of [kept, heldOut]) {
    for (let i = 1; i < part.length; i++) assert.ok(position.get(part[i - 1].text)! < position.get(part[i].text)!);
  }
});

test('stratifiedHoldOut is deterministic for a seed and changes with the seed', () => {
  const items = examples({ a: 50, b: 50 });
  const first = stratifiedHoldOut(items, 0.2, 7, 'val').heldOut.map((e) => e.text);
  const again = stratifiedHoldOut(items, 0.2, 7, 'val').heldOut.map((e) => e.text);
  const other = stratifiedHoldOut(items, 0.2, 8, 'val').heldOut.map((e) => e.text);
  assert.deepEqual(first, again);
  assert.notDeepEqual(first, other);
  assert.equal(other.length, first.length);
});

test("stratifiedHoldOut: one label's choice does not depend on the other labels", () => {
  const withB = stratifiedHoldOut(examples({ a: 30, b: 30 }), 0.1, 3, 'val').heldOut.filter((e) => e.label === 'a');
  const alone = stratifiedHoldOut(examples({ a: 30 }), 0.1, 3, 'val').heldOut;
  assert.deepEqual(withB.map((e) => e.text), alone.map((e) => e.text));
});

test('stratifiedHoldOut rejects a fraction outside [0, 1]', () => {
  assert.throws(() => stratifiedHoldOut([], 1.5, 0, 'x'), RangeError);
});

test('contiguousSplit: first 90%, next 5%, last 5%', () => {
  const items = Array.from({ length: 100 }, (_, i) => i);
  const { train, val, test: testPart } = contiguousSplit(items);
  assert.deepEqual([train.length, val.length, testPart.length], [90, 5, 5]);
  assert.deepEqual([train[0], train[89], val[0], val[4], testPart[0], testPart[4]], [0, 89, 90, 94, 95, 99]);
  const odd = contiguousSplit(Array.from({ length: 21 }, (_, i) => i));
  assert.deepEqual([odd.train.length, odd.val.length, odd.test.length], [18, 1, 2]);
});

test('sortedLabels merges and sorts', () => {
  assert.deepEqual(sortedLabels([{ label: 'b' }, { label: 'a' }], [{ label: 'c' }, { label: 'a' }]), ['a', 'b', 'c']);
});
