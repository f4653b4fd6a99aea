/**
 * Counterfactual role reversal of a teacher's next-token distribution (Gupta et al., "Mitigating
 * gender bias in distilled language models via counterfactual role reversal", Findings of ACL
 * 2022), on a word-level vocabulary.
 *
 * For a window x_1..x_T, the teacher gives p_t = softmax(z(x_≤t)/τ) on the original context and
 * p'_t = softmax(z(x'_≤t)/τ) on the gender-swapped context x' (every gendered token swapped by the
 * lexicon, her/his by the next token). p'_t predicts the counterfactual text, so its tokens are
 * mapped back: the mass p'_t[w] of a gendered word w goes to its counterpart (p̃_t[σ(w)] = p'_t[w]);
 * the ambiguous pronouns split their mass over their possible counterparts in proportion to the
 * original distribution (counterfactual "her" → original "his"/"him" in the ratio p_t[his] :
 * p_t[him]; "his" → "her"/"hers"; "him" → "her"; "hers" → "his"). Every column of that map sums
 * to one, so p̃_t is a distribution. The teacher's target is then combined per position:
 * - max:  q_t ∝ max(p_t, p̃_t) elementwise, renormalised;
 * - mean: q_t = (p_t + p̃_t) / 2;
 * - swap: q_t = p̃_t (the counterfactual context's prediction alone).
 * (We could read only the abstract through our search tool, not the full paper; these are the
 * three variants the issue names, defined as above. See docs/fairness-mitigation.md.)
 * The combination is applied at every position, including those whose context has no gendered
 * word: there p'_t = p_t and p̃_t = σ(p_t), so "mean" balances he/she and actor/actress in the
 * next-token prediction itself.
 */
import { tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { EOS_ID, UNK_ID, type Tokenizer } from '../../text/index.js';
import { CLOSED_CLASS, genderSwapLexicon, type SwapLexicon } from './swap-lexicon.js';
import { swapTokens } from './gender-swap.js';

export const ROLE_REVERSAL_VARIANTS = ['max', 'mean', 'swap'] as const;
export type RoleReversalVariant = (typeof ROLE_REVERSAL_VARIANTS)[number];

/** The gender swap as maps over a word tokenizer's ids. */
export interface VocabularySwap {
  vocabSize: number;
  /** σ: id → counterpart id (identity for non-gendered tokens and for the four pronouns). */
  permutation: Int32Array;
  /** Ids of her, his, him, hers (−1 where the vocabulary lacks the word). */
  pronouns: { her: number; his: number; him: number; hers: number };
  /** Whether a token can start a noun phrase (decides her → his/him before it). */
  startsNounPhrase: Uint8Array;
  /** Number of gendered ids whose counterpart is in the vocabulary. */
  swappable: number;
}

export function vocabularySwap(tokenizer: Tokenizer, lexicon: SwapLexicon = genderSwapLexicon()): VocabularySwap {
  if (tokenizer.type !== 'word') throw new ConfigError(`role reversal needs a word tokenizer; this model uses a ${tokenizer.type} tokenizer`);
  const V = tokenizer.vocabSize;
  const permutation = Int32Array.from({ length: V }, (_, i) => i);
  const startsNounPhrase = new Uint8Array(V);
  const pronounIds = { her: -1, his: -1, him: -1, hers: -1 };
  let swappable = 0;
  for (let id = 0; id < V; id++) {
    const token = tokenizer.tokenOf(id);
    startsNounPhrase[id] = id === UNK_ID || (id > EOS_ID && /^[\p{L}\p{N}]/u.test(token) && !CLOSED_CLASS.has(token)) ? 1 : 0;
    if (token in pronounIds) {
      pronounIds[token as keyof typeof pronounIds] = id;
      continue;
    }
    if (id <= EOS_ID) continue;
    const [swapped] = swapTokens([token], lexicon);
    if (swapped !== token) {
      const other = tokenizer.idOf(swapped);
      if (other !== UNK_ID && tokenizer.tokenOf(other) === swapped) {
        permutation[id] = other;
        swappable++;
      }
    }
  }
  // σ must be an involution for the mapping back to be a permutation.
  for (let id = 0; id < V; id++) {
    if (permutation[permutation[id]] !== id) permutation[id] = id;
  }
  return { vocabSize: V, permutation, pronouns: pronounIds, startsNounPhrase, swappable };
}

/**
 * The counterfactual of a window's input ids. The next token of input t is target t (the
 * window's next-token target), which decides her → his/him and his → her/hers.
 */
export function counterfactualIds(ids: ArrayLike<number>, targets: ArrayLike<number>, swap: VocabularySwap): Int32Array {
  const out = new Int32Array(ids.length);
  const { her, his, him, hers } = swap.pronouns;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const nextIsNoun = swap.startsNounPhrase[targets[i]] === 1;
    if (id === her && id >= 0) out[i] = nextIsNoun ? (his >= 0 ? his : id) : him >= 0 ? him : id;
    else if (id === his && id >= 0) out[i] = nextIsNoun ? (her >= 0 ? her : id) : hers >= 0 ? hers : her >= 0 ? her : id;
    else if (id === him && id >= 0) out[i] = her >= 0 ? her : id;
    else if (id === hers && id >= 0) out[i] = his >= 0 ? his : id;
    else out[i] = swap.permutation[id];
  }
  return out;
}

/** Where the mass of each counterfactual pronoun goes in the original world (present ids only). */
function pronounTargets(swap: VocabularySwap): { source: number; targets: number[] }[] {
  const { her, his, him, hers } = swap.pronouns;
  const present = (ids: number[]) => ids.filter((i) => i >= 0);
  const rules = [
    { source: her, targets: present([his, him]) },
    { source: his, targets: present([her, hers]) },
    { source: him, targets: present([her]) },
    { source: hers, targets: present([his]) },
  ];
  return rules.filter((r) => r.source >= 0).map((r) => (r.targets.length ? r : { source: r.source, targets: [r.source] }));
}

/**
 * p̃: the counterfactual distribution mapped back to the original world. `p` and `pCounterfactual`
 * are [N, V] probabilities (rows sum to one); the result is [N, V] with rows summing to one.
 */
export function mapBackCounterfactual(p: tf.Tensor2D, pCounterfactual: tf.Tensor2D, swap: VocabularySwap): tf.Tensor2D {
  return tf.tidy(() => {
    const V = swap.vocabSize;
    if (p.shape[1] !== V || pCounterfactual.shape[1] !== V) throw new ConfigError(`distributions have ${p.shape[1]} / ${pCounterfactual.shape[1]} columns; the vocabulary has ${V}`);
    // σ is an involution, so p̃[w] = p'[σ(w)] is a gather by σ.
    let mapped = tf.gather(pCounterfactual, tf.tensor1d(swap.permutation, 'int32'), 1) as tf.Tensor2D;
    const rules = pronounTargets(swap);
    if (rules.length === 0) return mapped;
    const pronounIds = rules.map((r) => r.source);
    const keep = new Float32Array(V).fill(1);
    for (const id of pronounIds) keep[id] = 0;
    mapped = tf.mul(mapped, tf.tensor1d(keep)) as tf.Tensor2D;
    // Columns to add: for each rule, the source's counterfactual mass split over its targets by p.
    const targetIds = [...new Set(rules.flatMap((r) => r.targets))];
    const column = (id: number) => tf.gather(p, tf.tensor1d([id], 'int32'), 1);
    const cfColumn = (id: number) => tf.gather(pCounterfactual, tf.tensor1d([id], 'int32'), 1);
    const additions = targetIds.map(() => [] as tf.Tensor[]);
    for (const rule of rules) {
      const mass = cfColumn(rule.source);
      if (rule.targets.length === 1) {
        additions[targetIds.indexOf(rule.targets[0])].push(mass);
        continue;
      }
      const weights = rule.targets.map(column);
      const total = tf.addN(weights);
      rule.targets.forEach((t, k) => additions[targetIds.indexOf(t)].push(tf.mul(mass, tf.divNoNan(weights[k], total))));
    }
    // divNoNan: a split whose targets all have zero original mass drops that mass; the final renormalisation restores a distribution.
    const added = tf.concat(additions.map((list) => (list.length === 1 ? list[0] : tf.addN(list))), 1); // [N, k]
    const scatter = new Float32Array(targetIds.length * V);
    targetIds.forEach((id, k) => (scatter[k * V + id] = 1));
    const full = tf.add(mapped, tf.matMul(added, tf.tensor2d(scatter, [targetIds.length, V])));
    return tf.div(full, tf.sum(full, 1, true)) as tf.Tensor2D;
  });
}

/** The teacher's role-reversed target q (rows sum to one) for one variant. */
export function combineTeacherDistributions(p: tf.Tensor2D, pBack: tf.Tensor2D, variant: RoleReversalVariant): tf.Tensor2D {
  return tf.tidy(() => {
    switch (variant) {
      case 'max': {
        const m = tf.maximum(p, pBack);
        return tf.div(m, tf.sum(m, 1, true)) as tf.Tensor2D;
      }
      case 'mean':
        return tf.mul(tf.add(p, pBack), 0.5) as tf.Tensor2D;
      case 'swap':
        return tf.clone(pBack);
      default:
        throw new ConfigError(`unknown role-reversal variant "${variant as string}"; choose one of ${ROLE_REVERSAL_VARIANTS.join(', ')}`);
    }
  });
}
