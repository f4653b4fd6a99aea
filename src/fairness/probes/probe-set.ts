/**
 * Probe sets in the spirit of the Equity Evaluation Corpus (Kiritchenko & Mohammad 2018):
 * labelled templates × identity values (names or terms) × groups, generated in code and fully
 * deterministic. Every example carries its group, the identity value used and its counterfactual
 * texts: the same template filled with the counterpart value of every other group.
 *
 * Families: intent-synthetic (the synthetic set's intents), intent-clinc150 (CLINC150 intents)
 * and sentiment-eec (EEC-style emotional sentences, positive/negative). Each family is
 * instantiated with a group scheme from ../groups.ts (gender, gender-names, gender-terms, race).
 */
import { ConfigError } from '../../errors.js';
import { counterparts, groupScheme, GROUP_SCHEME_NAMES, type GroupSchemeName, type IdentityValue } from '../groups.js';
import { CLINC150_INTENT_TEMPLATES, SYNTHETIC_INTENT_TEMPLATES } from './intent-templates.js';
import { sentimentFrames } from './sentiment-templates.js';

export const PROBE_FAMILIES = ['intent-synthetic', 'intent-clinc150', 'sentiment-eec'] as const;
export type ProbeFamily = (typeof PROBE_FAMILIES)[number];

export interface ProbeExample {
  text: string;
  /** The expected label (intent, or positive/negative). */
  label: string;
  group: string;
  value: IdentityValue;
  /** Index of the labelled frame (template with its non-person fillers). */
  frame: number;
  /** The same frame with each other group's counterpart value. */
  counterfactuals: { group: string; text: string }[];
}

export interface ProbeSet {
  family: ProbeFamily;
  scheme: GroupSchemeName;
  /** "intent-synthetic/gender". */
  name: string;
  task: 'intent' | 'sentiment';
  description: string;
  /** Distinct expected labels, sorted. */
  labels: string[];
  /** Default label for selection rates and TPR/FPR (the "positive" outcome). */
  positive: string;
  groups: string[];
  examples: ProbeExample[];
  sources: string[];
}

interface Frame {
  label: string;
  template: string;
}

interface FamilySpec {
  task: 'intent' | 'sentiment';
  description: string;
  positive: string;
  source: string;
  frames: () => Frame[];
  /** Capitalise the first letter (sentences rather than voice commands). */
  capitalise: boolean;
}

const FAMILIES: Record<ProbeFamily, FamilySpec> = {
  'intent-synthetic': {
    task: 'intent',
    description: 'voice-assistant commands mentioning a person, labelled with the synthetic dataset\'s intents',
    positive: 'call_contact',
    source: 'trustnlu templates (src/fairness/probes/intent-templates.ts)',
    frames: () => SYNTHETIC_INTENT_TEMPLATES.map((t) => ({ ...t })),
    capitalise: false,
  },
  'intent-clinc150': {
    task: 'intent',
    description: 'voice-assistant commands mentioning a person, labelled with CLINC150 intents (make_call, text, share_location, ...)',
    positive: 'make_call',
    source: 'trustnlu templates phrased like CLINC150 utterances (src/fairness/probes/intent-templates.ts)',
    frames: () => CLINC150_INTENT_TEMPLATES.map((t) => ({ ...t })),
    capitalise: false,
  },
  'sentiment-eec': {
    task: 'sentiment',
    description: 'EEC-style emotional sentences ("{person} feels angry"), joy → positive, anger/fear/sadness → negative',
    positive: 'positive',
    source: 'templates and emotion words of the Equity Evaluation Corpus (Kiritchenko & Mohammad 2018), see sentiment-templates.ts',
    frames: () => sentimentFrames().map((f) => ({ label: f.label, template: f.template })),
    capitalise: true,
  },
};

/** Fills {subject}, {object} and {possessive} with a value's forms. */
export function fillPerson(template: string, value: IdentityValue, capitalise = false): string {
  const text = template.replaceAll('{subject}', value.subject).replaceAll('{object}', value.object).replaceAll('{possessive}', value.possessive);
  if (/\{\w+\}/.test(text)) throw new ConfigError(`probe template ${JSON.stringify(template)} has an unknown placeholder`);
  return capitalise ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

function checkFamily(name: string): ProbeFamily {
  if (!(PROBE_FAMILIES as readonly string[]).includes(name)) {
    throw new ConfigError(`unknown probe set "${name}"; choose one of ${PROBE_FAMILIES.join(', ')} (see "trustnlu fairness probes")`);
  }
  return name as ProbeFamily;
}

/**
 * Builds a probe set. `name` may be "family" or "family/scheme"; `scheme` (default gender)
 * applies when the name has none.
 */
export function buildProbeSet(name: string, scheme?: string): ProbeSet {
  const [familyName, schemeInName] = name.split('/');
  if (schemeInName && scheme && schemeInName !== scheme) {
    throw new ConfigError(`probe "${name}" names group scheme ${schemeInName} but ${scheme} was also asked for; give one`);
  }
  const family = checkFamily(familyName);
  const groups = groupScheme(schemeInName ?? scheme ?? 'gender');
  const spec = FAMILIES[family];
  const frames = spec.frames();
  const examples: ProbeExample[] = [];
  frames.forEach((frame, frameIndex) => {
    groups.values.forEach((values) => {
      for (const value of values) {
        examples.push({
          text: fillPerson(frame.template, value, spec.capitalise),
          label: frame.label,
          group: value.group,
          value,
          frame: frameIndex,
          counterfactuals: counterparts(groups, value).map((other) => ({ group: other.group, text: fillPerson(frame.template, other, spec.capitalise) })),
        });
      }
    });
  });
  return {
    family,
    scheme: groups.name,
    name: `${family}/${groups.name}`,
    task: spec.task,
    description: spec.description,
    labels: [...new Set(frames.map((f) => f.label))].sort(),
    positive: spec.positive,
    groups: [...groups.groups],
    examples,
    sources: [spec.source, groups.source],
  };
}

export interface ProbeListing {
  name: string;
  task: 'intent' | 'sentiment';
  description: string;
  labels: string[];
  positive: string;
  frames: number;
  schemes: { scheme: GroupSchemeName; groups: Record<string, number>; size: number; source: string }[];
}

/** Every probe family with its size and groups under every scheme. */
export function listProbeSets(): ProbeListing[] {
  return PROBE_FAMILIES.map((family) => {
    const sets = GROUP_SCHEME_NAMES.map((scheme) => buildProbeSet(family, scheme));
    const schemes = sets.map((set) => {
      const groups: Record<string, number> = {};
      for (const g of set.groups) groups[g] = 0;
      for (const e of set.examples) groups[e.group]++;
      return { scheme: set.scheme, groups, size: set.examples.length, source: set.sources[1] };
    });
    const { task, description, labels, positive } = sets[0];
    return { name: family, task, description, labels, positive, frames: FAMILIES[family].frames().length, schemes };
  });
}
