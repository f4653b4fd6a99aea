/**
 * Sensitive groups and the identity values that stand for them in probe sentences: person names
 * and identity terms, each with the grammatical forms a template needs (subject, object,
 * possessive). Values are aligned across the groups of a scheme: value k of one group is the
 * counterpart of value k of every other group (she ↔ he, my mother ↔ my father, the i-th female
 * name ↔ the i-th male name), which is what counterfactual token fairness swaps.
 *
 * Sources (see docs/fairness.md):
 * - gender names: the first names of trustnlu's synthetic dataset (PERSON_NAME_GROUPS, common
 *   English first names chosen for that set), so models trained on it know most of them;
 * - gender terms: "she"/"he" and nine "my <relative>" noun phrases in the spirit of the Equity
 *   Evaluation Corpus (Kiritchenko & Mohammad 2018), which uses she/he and "my sister"-style
 *   phrases; this explicit pair list is deliberately small (the full swap lexicon lives in the
 *   mitigation module);
 * - race names: the 40 first names the EEC uses, 10 per race × gender, all of them from the
 *   African-American and European-American name lists of Greenwald et al. (1998) as used by
 *   Caliskan et al. (2017) (WEAT.json's african_american_names_5 / european_american_names_5).
 *   These names were chosen in those studies as names *perceived* as typical of each group; a
 *   name says nothing about a real person's identity.
 */
import { ConfigError } from '../errors.js';
import { PERSON_NAME_GROUPS } from '../data/datasets/synthetic.js';

export type IdentityKind = 'name' | 'term';

/** One way of mentioning a person, with the forms templates use. */
export interface IdentityValue {
  group: string;
  kind: IdentityKind;
  /** Position in the group's aligned list: the counterpart in another group has the same index. */
  index: number;
  /** "she", "my mother", "mary". */
  subject: string;
  /** "her", "my mother", "mary". */
  object: string;
  /** "her", "my mother's", "mary's". */
  possessive: string;
  /** For names in the race scheme: the gender the source lists the name under. */
  gender?: 'female' | 'male';
}

export const GROUP_SCHEME_NAMES = ['gender', 'gender-names', 'gender-terms', 'race'] as const;
export type GroupSchemeName = (typeof GROUP_SCHEME_NAMES)[number];

export interface GroupScheme {
  name: GroupSchemeName;
  /** The protected attribute: 'gender' or 'race'. */
  attribute: 'gender' | 'race';
  description: string;
  source: string;
  /** Group labels, in a fixed order. */
  groups: string[];
  /** values[g][k]: value k of group groups[g]; every group has the same number of values. */
  values: IdentityValue[][];
}

function nameValue(group: string, index: number, name: string, gender?: 'female' | 'male'): IdentityValue {
  const value: IdentityValue = { group, kind: 'name', index, subject: name, object: name, possessive: `${name}'s` };
  if (gender) value.gender = gender;
  return value;
}

/** Female/male pronoun and noun-phrase pairs, aligned (female first). */
export const GENDER_TERM_PAIRS: readonly { female: [string, string, string]; male: [string, string, string] }[] = [
  { female: ['she', 'her', 'her'], male: ['he', 'him', 'his'] },
  ...(
    [
      ['mother', 'father'],
      ['sister', 'brother'],
      ['daughter', 'son'],
      ['wife', 'husband'],
      ['girlfriend', 'boyfriend'],
      ['aunt', 'uncle'],
      ['mom', 'dad'],
      ['grandmother', 'grandfather'],
      ['niece', 'nephew'],
    ] as const
  ).map(([f, m]) => ({
    female: [`my ${f}`, `my ${f}`, `my ${f}'s`] as [string, string, string],
    male: [`my ${m}`, `my ${m}`, `my ${m}'s`] as [string, string, string],
  })),
];

/** Names used by the Equity Evaluation Corpus, by race and gender (all from Greenwald et al. 1998). */
export const EEC_RACE_NAMES = {
  'african-american': {
    female: ['ebony', 'jasmine', 'lakisha', 'latisha', 'latoya', 'nichelle', 'shaniqua', 'shereen', 'tanisha', 'tia'],
    male: ['alonzo', 'alphonse', 'darnell', 'jamel', 'jerome', 'lamar', 'leroy', 'malik', 'terrence', 'torrance'],
  },
  'european-american': {
    female: ['amanda', 'betsy', 'courtney', 'ellen', 'heather', 'katie', 'kristin', 'melanie', 'nancy', 'stephanie'],
    male: ['adam', 'alan', 'andrew', 'frank', 'harry', 'jack', 'josh', 'justin', 'roger', 'ryan'],
  },
} as const;

/** The synthetic set's names, seen then held-out, aligned female[i] ↔ male[i]. */
export function genderNameLists(): { female: string[]; male: string[] } {
  const female = [...PERSON_NAME_GROUPS.female.seen, ...PERSON_NAME_GROUPS.female.heldOut];
  const male = [...PERSON_NAME_GROUPS.male.seen, ...PERSON_NAME_GROUPS.male.heldOut];
  if (female.length !== male.length) throw new ConfigError(`gender name lists must align: ${female.length} female vs ${male.length} male names`);
  return { female, male };
}

function genderNames(): IdentityValue[][] {
  const { female, male } = genderNameLists();
  return [female.map((n, i) => nameValue('female', i, n)), male.map((n, i) => nameValue('male', i, n))];
}

function genderTerms(offset = 0): IdentityValue[][] {
  const make = (group: 'female' | 'male') =>
    GENDER_TERM_PAIRS.map((pair, i) => {
      const [subject, object, possessive] = pair[group];
      return { group, kind: 'term' as const, index: offset + i, subject, object, possessive };
    });
  return [make('female'), make('male')];
}

function raceNames(): IdentityValue[][] {
  return (['african-american', 'european-american'] as const).map((race) => {
    const lists = EEC_RACE_NAMES[race];
    return [
      ...lists.female.map((n, i) => nameValue(race, i, n, 'female')),
      ...lists.male.map((n, i) => nameValue(race, lists.female.length + i, n, 'male')),
    ];
  });
}

const SYNTHETIC_NAMES_SOURCE =
  'first names of the trustnlu synthetic dataset (src/data/datasets/synthetic.ts, PERSON_NAME_GROUPS: seen then held-out names)';
const TERMS_SOURCE = 'she/he and "my <relative>" pairs in the spirit of the Equity Evaluation Corpus (Kiritchenko & Mohammad 2018)';
const RACE_SOURCE =
  'the 40 EEC names (Kiritchenko & Mohammad 2018), 10 per race × gender, from the name lists of Greenwald et al. (1998) as used by Caliskan et al. (2017)';

/** A group scheme by name: its groups and aligned identity values. */
export function groupScheme(name: string): GroupScheme {
  switch (name) {
    case 'gender-names':
      return { name, attribute: 'gender', description: 'female vs male first names', source: SYNTHETIC_NAMES_SOURCE, groups: ['female', 'male'], values: genderNames() };
    case 'gender-terms':
      return { name, attribute: 'gender', description: 'female vs male pronouns and relative terms', source: TERMS_SOURCE, groups: ['female', 'male'], values: genderTerms() };
    case 'gender': {
      const names = genderNames();
      const terms = genderTerms(names[0].length);
      return {
        name,
        attribute: 'gender',
        description: 'female vs male: first names and identity terms',
        source: `${SYNTHETIC_NAMES_SOURCE}; ${TERMS_SOURCE}`,
        groups: ['female', 'male'],
        values: [
          [...names[0], ...terms[0]],
          [...names[1], ...terms[1]],
        ],
      };
    }
    case 'race':
      return {
        name,
        attribute: 'race',
        description: 'names perceived as African-American vs European-American (EEC selection)',
        source: RACE_SOURCE,
        groups: ['african-american', 'european-american'],
        values: raceNames(),
      };
    default:
      throw new ConfigError(`unknown group scheme "${name}"; choose one of ${GROUP_SCHEME_NAMES.join(', ')}`);
  }
}

/** The counterpart of a value in every other group of the scheme (same index). */
export function counterparts(scheme: GroupScheme, value: IdentityValue): IdentityValue[] {
  return scheme.groups
    .map((g, gi) => ({ g, gi }))
    .filter(({ g }) => g !== value.group)
    .map(({ gi }) => {
      const other = scheme.values[gi][value.index];
      if (!other) throw new ConfigError(`group scheme ${scheme.name}: no counterpart ${value.index} in group ${scheme.groups[gi]}`);
      return other;
    });
}

/**
 * Single-word gender markers for labelling free text (training data for the protected-status
 * model): pronouns and relative nouns, female and male. Names come from the caller.
 */
export const GENDER_MARKER_WORDS: Readonly<Record<'female' | 'male', readonly string[]>> = {
  female: ['she', 'her', 'hers', 'herself', 'woman', 'women', 'girl', 'girls', 'lady', 'mother', 'mom', 'mum', 'sister', 'daughter', 'wife', 'girlfriend', 'aunt', 'grandmother', 'grandma', 'niece', 'mrs', 'ms'],
  male: ['he', 'him', 'his', 'himself', 'man', 'men', 'boy', 'boys', 'gentleman', 'father', 'dad', 'brother', 'son', 'husband', 'boyfriend', 'uncle', 'grandfather', 'grandpa', 'nephew', 'mr'],
};
