/**
 * The fairness-metrics correlation study: its variant grid (architectures, seeds, skews,
 * counterfactual augmentation, DP), the name-swap augmentation by hand, and a three-variant run
 * end to end (a standard, an augmented and a DP-SGD model) whose rows carry every score.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PERSON_NAME_GROUPS } from '../../src/data/datasets/synthetic.js';
import type { TextExample } from '../../src/data/types.js';
import { initEngine, SeededRandom } from '../../src/engine/index.js';
import { correlationRows, fairnessVariants, nameSwapAugmentation, runFairnessMetrics, type FairnessVariant } from '../../src/studies/fairness-metrics.js';
import { spearman } from '../../src/metrics/index.js';
import { SILENT } from '../../src/train/index.js';

test('the variant grid has at least 8 variants over architectures, seeds, augmentation and DP', () => {
  for (const quick of [true, false]) {
    const variants = fairnessVariants(quick);
    assert.ok(variants.length >= 8, `${variants.length} variants`);
    assert.equal(new Set(variants.map((v) => v.name)).size, variants.length, 'names are unique');
    assert.ok(new Set(variants.map((v) => v.architecture)).size >= 2);
    assert.ok(new Set(variants.map((v) => v.seed)).size >= 2);
    assert.ok(variants.some((v) => v.augmentation === 'name-swap') && variants.some((v) => !v.augmentation));
    assert.ok(variants.some((v) => v.privacy) && variants.some((v) => !v.privacy));
  }
  assert.deepEqual([...new Set(fairnessVariants(false).map((v) => v.architecture))], ['embbag', 'cnn', 'transformer']);
});

test('name-swap augmentation keeps every example and adds one copy with a name of the other group', () => {
  const female = PERSON_NAME_GROUPS.female.seen[0];
  const male = PERSON_NAME_GROUPS.male.seen[0];
  const examples: TextExample[] = [
    { text: `call ${female} now`, label: 'call_contact', person: { name: female, group: 'female' } },
    { text: `text ${male} that ${male}ly is late`, label: 'send_message', person: { name: male, group: 'male' } },
    { text: 'set an alarm', label: 'set_alarm' },
  ];
  const out = nameSwapAugmentation(examples, new SeededRandom(4));
  assert.equal(out.length, 5);
  assert.deepEqual(out.slice(0, 3), examples);
  const [a, b] = out.slice(3);
  assert.equal(a.person!.group, 'male');
  assert.ok(PERSON_NAME_GROUPS.male.seen.includes(a.person!.name));
  assert.equal(a.text, `call ${a.person!.name} now`);
  assert.equal(a.label, 'call_contact');
  assert.equal(b.person!.group, 'female');
  // only the whole-word name is replaced, once
  assert.equal(b.text, `text ${b.person!.name} that ${male}ly is late`);
});

test('correlation rows are Spearman and Kendall of the intrinsic columns against the others', () => {
  const rows = [1, 2, 3, 4, 5].map((i) => ({ kind: 'variant', weatAbs: i, seatAbs: i * i, dpGap: 6 - i, eoGap: i, flipRate: i % 2, cfChange: i, aps: i }));
  const out = correlationRows(rows);
  assert.equal(out.length, 4);
  const spearmanWeat = out.find((r) => r.kind === 'spearman' && r.intrinsic === 'weatAbs')!;
  assert.equal(spearmanWeat.seatAbsEstimate, 1);
  assert.equal(spearmanWeat.dpGapEstimate, -1);
  assert.equal(spearmanWeat.flipRateEstimate, spearman([1, 2, 3, 4, 5], [1, 0, 1, 0, 1]).estimate);
});

test('three variants end to end: standard, name-swap augmented and DP-SGD, with ε for the DP one', async () => {
  await initEngine({ backend: 'wasm' });
  const small = { embeddingDim: 16, hidden: 16 };
  const variants: FairnessVariant[] = [
    { name: 'plain', architecture: 'embbag', seed: 1, skew: 0.9, epochs: 1, config: small },
    { name: 'cda', architecture: 'embbag', seed: 1, skew: 0.9, epochs: 1, config: small, augmentation: 'name-swap' },
    { name: 'dp', architecture: 'embbag', seed: 1, skew: 0.9, epochs: 1, config: small, privacy: { noiseMultiplier: 1, clip: 1 } },
  ];
  const rows = await runFairnessMetrics({ seed: 0, quick: true, progress: SILENT }, variants);
  const byName = new Map(rows.filter((r) => r.kind === 'variant').map((r) => [r.row, r]));
  assert.equal(byName.size, 3);
  assert.equal(byName.get('plain')!.training, 'standard');
  assert.equal(byName.get('cda')!.training, 'name-swap CDA');
  assert.equal(byName.get('dp')!.training, 'DP-SGD');
  assert.equal(byName.get('plain')!.epsilon, null);
  const epsilon = byName.get('dp')!.epsilon as number;
  assert.ok(Number.isFinite(epsilon) && epsilon > 0, `ε = ${epsilon}`);
  for (const r of byName.values()) {
    for (const key of ['accuracy', 'weatAbs', 'seatAbs', 'flipRate', 'cfChange', 'aps']) assert.ok(Number.isFinite(r[key] as number), `${r.row}.${key} = ${r[key]}`);
  }
  assert.equal(rows.filter((r) => r.kind === 'spearman' || r.kind === 'kendall').length, 4);
});
