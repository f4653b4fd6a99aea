/**
 * Probe sets for extrinsic fairness: labelled templates × identity values × groups, generated in
 * code (Equity Evaluation Corpus style), each example with its counterfactual texts.
 */
export { buildProbeSet, fillPerson, listProbeSets, PROBE_FAMILIES, type ProbeExample, type ProbeFamily, type ProbeListing, type ProbeSet } from './probe-set.js';
export { CLINC150_INTENT_TEMPLATES, SYNTHETIC_INTENT_TEMPLATES, type LabelledTemplate } from './intent-templates.js';
export {
  EMOTION_SITUATION_TEMPLATES,
  EMOTION_SITUATION_WORDS,
  EMOTION_STATE_TEMPLATES,
  EMOTION_STATE_WORDS,
  sentimentFrames,
  sentimentOf,
  type Emotion,
} from './sentiment-templates.js';
