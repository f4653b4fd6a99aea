/**
 * WEAT on WEFE's word2vec fixture (a GoogleNews word2vec subset) with the WEAT.json sets must
 * reproduce Caliskan et al.'s (2017) published word2vec effect sizes to two decimals.
 * The exact p-values (8 + 8 words: C(16, 8) = 12,870 partitions; 6 + 6: C(12, 6) = 924) were
 * checked against an independent Python brute force over all partitions.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { embeddingLookup, readWord2VecText, readWordSets } from '../../../src/data/word-vectors.js';
import { SeededRandom } from '../../../src/engine/random.js';
import { ConfigError } from '../../../src/errors.js';
import { weat, weatQueryFromSets } from '../../../src/fairness/intrinsic/index.js';
import { needsRealData, REAL_DATA_DIR } from '../../helpers.js';

function load() {
  const dir = join(REAL_DATA_DIR!, 'wefe-weat');
  const vectors = readWord2VecText(join(dir, 'weat_w2v____old.txt'));
  return { embed: embeddingLookup(vectors), sets: readWordSets(join(dir, 'WEAT.json')) };
}

const round2 = (v: number) => Math.round(v * 100) / 100;

test('reproduces Caliskan et al. word2vec effect sizes with exact p-values where enumeration applies', needsRealData, () => {
  const { embed, sets } = load();
  const cases: { q: [string, string, string, string]; published: number; exceedances?: number; partitions?: number }[] = [
    { q: ['flowers', 'insects', 'pleasant_5', 'unpleasant_5a'], published: 1.54 }, // 25 + 25: Monte Carlo
    { q: ['male_names', 'female_names', 'career', 'family'], published: 1.89, exceedances: 0, partitions: 12870 },
    { q: ['math', 'arts', 'male_terms', 'female_terms'], published: 0.97, exceedances: 291, partitions: 12870 },
    { q: ['science', 'arts_2', 'male_terms_2', 'female_terms_2'], published: 1.24, exceedances: 51, partitions: 12870 },
  ];
  for (const c of cases) {
    const r = weat(weatQueryFromSets(sets, ...c.q), embed, { permutations: 20000, rng: new SeededRandom(1) });
    assert.deepEqual(r.missing, [], `${c.q[0]}: no missing words`);
    assert.equal(round2(r.effectSize), c.published, `${c.q.join('/')}: effect size ${r.effectSize}`);
    if (c.partitions) {
      assert.equal(r.exact, true);
      assert.equal(r.permutations, c.partitions);
      assert.equal(r.exceedances, c.exceedances, `${c.q[0]} exceedances`);
      assert.equal(r.pValue, c.exceedances! / c.partitions);
    } else {
      // C(50, 25) ≈ 1.3e14 partitions: Monte Carlo; no random re-partition beats the observed one.
      assert.equal(r.exact, false);
      assert.equal(r.exceedances, 0);
      assert.ok(r.pValueInterval!.high < 2e-4);
    }
  }
});

test("WEFE's ddof = 0 gives larger effect sizes than the published ones", needsRealData, () => {
  const { embed, sets } = load();
  // Population SD (ddof = 0): 1.5550, 1.9518, 0.9981, 1.2846 versus 1.5393, 1.8899, 0.9664, 1.2439
  // with ddof = 1 (the ratio is √(n/(n−1)): √(50/49) for 25 + 25 words, √(16/15) for 8 + 8).
  const expected: [string, string, string, string, number][] = [
    ['flowers', 'insects', 'pleasant_5', 'unpleasant_5a', 1.55],
    ['male_names', 'female_names', 'career', 'family', 1.95],
    ['math', 'arts', 'male_terms', 'female_terms', 1.0],
    ['science', 'arts_2', 'male_terms_2', 'female_terms_2', 1.28],
  ];
  for (const [x, y, a, b, value] of expected) {
    const r = weat(weatQueryFromSets(sets, x, y, a, b), embed, { standardDeviation: 'population', skipPValue: true });
    assert.equal(round2(r.effectSize), value, `${x}: ${r.effectSize}`);
  }
});

test('other WEAT.json tests: missing words are reported, and the name sets are refused (most names missing)', needsRealData, () => {
  const { embed, sets } = load();
  const weapons = weat(weatQueryFromSets(sets, 'instruments', 'weapons', 'pleasant_5', 'unpleasant_5a'), embed, { permutations: 2000 });
  assert.deepEqual(weapons.missing, ['axe']);
  assert.equal(round2(weapons.effectSize), 1.63);
  const mental = weat(weatQueryFromSets(sets, 'mental_disease', 'physical_disease', 'temporary', 'permanent'), embed);
  assert.equal(round2(mental.effectSize), 1.3);
  assert.equal(mental.permutations, 924); // C(12, 6)
  assert.equal(mental.exceedances, 6);
  assert.throws(
    () => weat(weatQueryFromSets(sets, 'european_american_names_5', 'african_american_names_5', 'pleasant_5', 'unpleasant_5b'), embed),
    (e: Error) => e instanceof ConfigError && /"european_american_names_5" \(X\) has 29 of 32 words missing/.test(e.message),
  );
});
