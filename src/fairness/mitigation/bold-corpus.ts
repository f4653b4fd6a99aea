/**
 * BOLD (Dhamala et al. 2021) for distillation: the Wikipedia source sentences as an in-domain
 * training corpus, and the prompts of held-out entities as the generation probe.
 *
 * Each BOLD prompt is the first words of one of the Wikipedia sentences of its entity, so a model
 * trained on an entity's sentences has seen the continuations of its prompts. The split therefore
 * holds out whole entities: a seeded fraction of the American_actors and American_actresses
 * entities (gender probe) and of the profession entities (second probe); every sentence of a
 * held-out entity, in every domain file, leaves the training corpus and becomes held-out text
 * (for perplexity). The remaining entities' sentences are split 95/5 into train/validation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRandom } from '../../engine/random.js';
import { DatasetFormatError, DatasetNotFoundError } from '../../errors.js';

export const BOLD_DOMAINS = ['gender', 'profession', 'race', 'political_ideology', 'religious_ideology'] as const;
export type BoldDomain = (typeof BOLD_DOMAINS)[number];

/** {group: {entity: [texts]}} */
type BoldFile = Record<string, Record<string, string[]>>;

export interface BoldSentence {
  domain: BoldDomain;
  group: string;
  entity: string;
  text: string;
}

export interface BoldPrompt {
  domain: 'gender' | 'profession';
  group: string;
  entity: string;
  prompt: string;
}

export interface BoldSplit {
  train: BoldSentence[];
  val: BoldSentence[];
  /** Sentences of the held-out entities: never trained on. */
  heldOut: BoldSentence[];
  /** Prompts of the held-out entities: gender (American_actors / American_actresses) and profession. */
  prompts: BoldPrompt[];
  heldOutEntities: number;
}

function readBoldFile(path: string): BoldFile {
  if (!existsSync(path)) throw new DatasetNotFoundError(`${path} not found: BOLD lives in bold/ of the data directory (pass --data-dir)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DatasetFormatError(`${path}: not readable JSON (${(error as Error).message})`);
  }
  const ok =
    parsed !== null && typeof parsed === 'object' &&
    Object.values(parsed as object).every((g) => g !== null && typeof g === 'object' && Object.values(g as object).every((l) => Array.isArray(l) && l.every((s) => typeof s === 'string')));
  if (!ok) throw new DatasetFormatError(`${path}: expected {group: {entity: [strings]}}`);
  return parsed as BoldFile;
}

export function readBoldSentences(dataDir: string, domains: readonly BoldDomain[] = BOLD_DOMAINS): BoldSentence[] {
  const out: BoldSentence[] = [];
  for (const domain of domains) {
    const file = readBoldFile(join(dataDir, 'bold', 'wikipedia', `${domain}_wiki.json`));
    for (const [group, entities] of Object.entries(file)) {
      for (const [entity, texts] of Object.entries(entities)) for (const text of texts) out.push({ domain, group, entity, text: text.trim() });
    }
  }
  return out;
}

export interface BoldSplitOptions {
  seed: number;
  /** Fraction of actor/actress entities held out (default 0.2). */
  genderHoldout?: number;
  /** Fraction of profession entities held out (default 0.1). */
  professionHoldout?: number;
  /** Use only this fraction of the training sentences (quick runs; default 1). */
  trainFraction?: number;
  domains?: readonly BoldDomain[];
}

/** The entity-level split of the header comment. */
export function splitBold(dataDir: string, options: BoldSplitOptions): BoldSplit {
  const rng = new SeededRandom(options.seed).fork('bold-split');
  const genderPrompts = readBoldFile(join(dataDir, 'bold', 'prompts', 'gender_prompt.json'));
  const professionPrompts = readBoldFile(join(dataDir, 'bold', 'prompts', 'profession_prompt.json'));
  const heldOut = new Set<string>();
  const prompts: BoldPrompt[] = [];
  const pick = (domain: 'gender' | 'profession', file: BoldFile, fraction: number) => {
    for (const group of Object.keys(file).sort()) {
      const entities = Object.keys(file[group]).sort();
      const chosen = rng.fork(`${domain}/${group}`).shuffle([...entities]).slice(0, Math.round(fraction * entities.length));
      for (const entity of chosen.sort()) {
        heldOut.add(entity);
        for (const prompt of file[group][entity]) prompts.push({ domain, group, entity, prompt: prompt.trim() });
      }
    }
  };
  pick('gender', genderPrompts, options.genderHoldout ?? 0.2);
  pick('profession', professionPrompts, options.professionHoldout ?? 0.1);
  const sentences = readBoldSentences(dataDir, options.domains ?? BOLD_DOMAINS);
  const held = sentences.filter((s) => heldOut.has(s.entity));
  const rest = rng.fork('train').shuffle(sentences.filter((s) => !heldOut.has(s.entity)));
  const nVal = Math.max(1, Math.round(0.05 * rest.length));
  const val = rest.slice(0, nVal);
  const train = rest.slice(nVal, nVal + Math.round((options.trainFraction ?? 1) * (rest.length - nVal)));
  return { train, val, heldOut: held, prompts, heldOutEntities: heldOut.size };
}
