/**
 * The gender-swap lexicon and swapper: the cleaning of the source lists, the name pairing, tricky
 * cases with hand-written expected outputs (possessives, names, capitals, "her"), tokenisation kept
 * byte for byte, and the round-trip target (swapping twice is the identity on ≥ 200 sentences with
 * ≤ 2% errors: our own fixture plus BOLD sentences when the data is present).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  builtinGenderPairs,
  cleanGenderWord,
  genderSwapLexicon,
  genderWordPairs,
  matchCase,
  pairFirstNames,
  readGnGlovePairs,
  swapGender,
  swapTokens,
  SwapLexicon,
} from '../../../src/fairness/mitigation/index.js';
import { SeededRandom } from '../../../src/engine/random.js';
import { needsRealData, REAL_DATA_DIR } from '../../helpers.js';

const lexicon = genderSwapLexicon();
const swap = (text: string) => swapGender(text, lexicon).text;

function fixtureSentences(): string[] {
  return readFileSync(join(process.cwd(), 'test', 'fixtures', 'gender-swap-sentences.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

function roundTripErrors(sentences: string[]): { errors: string[]; swapped: number } {
  const errors: string[] = [];
  let swapped = 0;
  for (const s of sentences) {
    const once = swapGender(s, lexicon);
    if (once.swapped) swapped++;
    const twice = swapGender(once.text, lexicon).text;
    if (twice !== s) errors.push(`${s}\n  → ${once.text}\n  → ${twice}`);
  }
  return { errors, swapped };
}

test('cleaning: misspellings fixed, periods stripped, multi-word entries and non-counterparts dropped', () => {
  assert.equal(cleanGenderWord('godess'), 'goddess');
  assert.equal(cleanGenderWord("seamstress'"), 'seamstress');
  assert.equal(cleanGenderWord('Mrs.'), 'mrs');
  assert.equal(cleanGenderWord('ballet_dancer'), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'gnglove-'));
  writeFileSync(join(dir, 'female_word_file.txt'), "godess\nseamstress'\nmrs.\nballerina\nvagina\nher\nqueen\n");
  writeFileSync(join(dir, 'male_word_file.txt'), 'god\nstailor\nmr.\nballet_dancer\npenis\nhis\nking\n');
  const pairs = readGnGlovePairs(dir).map((p) => `${p.female}/${p.male}`);
  assert.deepEqual(pairs, ['goddess/god', 'seamstress/tailor', 'mrs/mr', 'queen/king']);
  writeFileSync(join(dir, 'male_word_file.txt'), 'god\n');
  assert.throws(() => readGnGlovePairs(dir), /line-aligned/);
});

test('the lexicon is a bijection: every word maps to a word that maps back', () => {
  const seen = new Set<string>();
  for (const { female, male } of lexicon.pairs()) {
    assert.ok(!seen.has(female) && !seen.has(male), `${female}/${male} reuses a word`);
    seen.add(female);
    seen.add(male);
    assert.equal(lexicon.counterpart(female), male);
    assert.equal(lexicon.counterpart(male), female);
    assert.equal(lexicon.genderOf(female), 'female');
    assert.equal(lexicon.genderOf(male), 'male');
  }
  // Every built-in pair is kept unless an earlier built-in pair already took one of its words
  // (mum/dad after mom/dad, ms/mr after mrs/mr: first pair wins), with or without the data dir.
  const used = new Set<string>();
  for (const { female, male } of builtinGenderPairs()) {
    if (used.has(female) || used.has(male)) continue;
    used.add(female);
    used.add(male);
    assert.equal(lexicon.counterpart(female), male, `built-in pair ${female}/${male} kept`);
  }
  assert.ok(lexicon.stats.namePairs > 3000, `name pairs: ${lexicon.stats.namePairs}`);
});

test('debiaswe and GN-GloVe pairs are read and oriented female/male', { skip: needsRealData.skip }, () => {
  const { pairs, sources } = genderWordPairs(REAL_DATA_DIR);
  assert.deepEqual(sources, ['builtin', 'debiaswe', 'gn-glove']);
  const find = (f: string) => pairs.find((p) => p.female === f && p.source !== 'builtin');
  assert.equal(find('mother')?.male, 'father'); // debiaswe equalize lists ["Father", "Mother"]
  assert.equal(find('grandma')?.male, 'grandpa');
  assert.equal(find('goddess')?.male, 'god'); // GN-GloVe's "godess"
  assert.ok(!pairs.some((p) => p.female.includes('_') || p.male.includes('_')));
  assert.equal(lexicon.counterpart('adulteress'), 'adulterer');
});

test('first names: shared spelling first, then alphabetical rank; names in both lists and everyday words dropped', () => {
  const pairs = pairFirstNames(['Roberta', 'Danielle', 'Jean', 'Zoe', 'Hope'], ['Robert', 'Daniel', 'Jean', 'Adam', 'Abe']);
  assert.deepEqual(pairs, [
    // both share 6 letters; Roberta/Robert differ in length by 1, Danielle/Daniel by 2
    { female: 'roberta', male: 'robert', by: 'spelling' },
    { female: 'danielle', male: 'daniel', by: 'spelling' },
    { female: 'zoe', male: 'abe', by: 'rank' },
  ]);
});

test('tricky cases: possessives, clitics, "her" by context, capitals, names, titles, surnames', () => {
  assert.equal(swap("Her mother's sister married him."), "His father's brother married her.");
  assert.equal(swap('MOM told her that the idea was his.'), 'DAD told him that the idea was hers.');
  assert.equal(swap('She gave him her word.'), 'He gave her his word.');
  assert.equal(swap('He cast her as the lead in her first film.'), 'She cast him as the lead in his first film.');
  assert.equal(swap("She'll see her."), "He'll see him.");
  assert.equal(swap('The Actress and the ACTRESS'), 'The Actor and the ACTOR');
  assert.equal(swap('the girls\' school'), "the boys' school");
  // A name and its possessive, and a surname after a first name or a title kept.
  const roberta = lexicon.counterpart('roberta')!;
  assert.equal(lexicon.genderOf(roberta), 'male');
  const cap = roberta[0].toUpperCase() + roberta.slice(1);
  assert.equal(swap("Roberta Smith's husband"), `${cap} Smith's wife`);
  assert.equal(swap('Mrs. Doe and Dr. Smith'), 'Mr. Doe and Dr. Smith');
  // Lower-case names are words ("rose"), and everyday-word names are never swapped.
  assert.equal(swap('a rose for Rose and Mark'), 'a rose for Rose and Mark');
  assert.equal(swapGender('call roberta', lexicon, { names: 'any' }).text, `call ${roberta}`);
  assert.equal(swapGender('Roberta', lexicon, { names: 'none' }).text, 'Roberta');
});

test('spacing and punctuation are kept byte for byte; replacements say where and what', () => {
  const text = '  she ,\tsaid  "HE"…  [her]\n';
  const r = swapGender(text, lexicon);
  assert.equal(r.text, '  he ,\tsaid  "SHE"…  [him]\n');
  assert.deepEqual(r.replacements, [
    { index: 2, from: 'she', to: 'he' },
    { index: 15, from: 'HE', to: 'SHE' },
    { index: 22, from: 'her', to: 'him' },
  ]);
  assert.equal(swapGender('no gender here.', lexicon).swapped, false);
  assert.equal(matchCase('Mother', 'father'), 'Father');
  assert.equal(matchCase('MOM', 'dad'), 'DAD');
});

test('token swap (lower-case language-model pieces) follows the same rules', () => {
  assert.deepEqual(swapTokens(['her', 'film', 'made', 'her', 'a', 'star', '.'], lexicon), ['his', 'film', 'made', 'him', 'a', 'star', '.']);
  assert.deepEqual(swapTokens(["mother's", 'roberta'], lexicon), ["father's", lexicon.counterpart('roberta')!]);
  assert.deepEqual(swapTokens(['the', 'idea', 'was', 'his'], lexicon, '.'), ['the', 'idea', 'was', 'hers']);
});

test('a lexicon refuses to reuse a word: the first pair wins, conflicts are counted', () => {
  const lex = new SwapLexicon([{ female: 'lady', male: 'lord' }, { female: 'lady', male: 'gentleman' }, { female: 'her', male: 'his' }]);
  assert.equal(lex.counterpart('lady'), 'lord');
  assert.equal(lex.counterpart('gentleman'), undefined);
  assert.equal(lex.stats.conflicts, 2);
});

test('round trip on the fixture: swapping twice is the identity (≤ 2% errors)', () => {
  const sentences = fixtureSentences();
  assert.ok(sentences.length >= 50);
  const { errors, swapped } = roundTripErrors(sentences);
  assert.equal(swapped, sentences.length, 'every fixture sentence has a gendered word');
  assert.ok(errors.length <= 0.02 * sentences.length, `round-trip errors:\n${errors.join('\n')}`);
});

test('round trip on ≥ 200 BOLD sentences with gendered words plus the fixture (≤ 2% errors)', { skip: needsRealData.skip }, () => {
  const sentences: string[] = [];
  for (const file of ['gender_wiki.json', 'profession_wiki.json']) {
    const data = JSON.parse(readFileSync(join(REAL_DATA_DIR!, 'bold', 'wikipedia', file), 'utf8')) as Record<string, Record<string, string[]>>;
    for (const group of Object.values(data)) for (const list of Object.values(group)) sentences.push(...list);
  }
  const gendered = sentences.filter((s) => swapGender(s, lexicon).swapped);
  const sample = new SeededRandom(9).shuffle(gendered).slice(0, 1000);
  const all = [...sample, ...fixtureSentences()];
  const { errors } = roundTripErrors(all);
  assert.ok(all.length >= 200);
  assert.ok(errors.length <= 0.02 * all.length, `${errors.length}/${all.length} round-trip errors:\n${errors.slice(0, 10).join('\n')}`);
});
