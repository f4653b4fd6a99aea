/**
 * Counterfactual data augmentation (CDA; Lu et al. 2020, Zmigrod et al. 2019), as pure functions:
 * - one-sided: every example that mentions a gender is replaced by its gender-swapped
 *   counterfactual (the data set keeps its size; the original wording is gone);
 * - two-sided: the counterfactual is added beside the original (examples that mention no gender
 *   are kept once), so each gendered context appears with both genders.
 * Labels and other fields are copied: the swap must not change what an example means for the task.
 */
import type { TextExample, TextUnit } from '../../data/types.js';
import { matchCase, swapGender, type SwapOptions } from './gender-swap.js';
import { genderSwapLexicon, type SwapLexicon } from './swap-lexicon.js';

export type AugmentationMode = 'one-sided' | 'two-sided';

export const AUGMENTATION_MODES: readonly AugmentationMode[] = ['one-sided', 'two-sided'];

/** CDA over any items: `counterfactualOf` is an item's gender-swapped copy, undefined when it mentions no gender. */
function augment<T>(items: readonly T[], mode: AugmentationMode, counterfactualOf: (item: T) => T | undefined): T[] {
  const out: T[] = [];
  for (const item of items) {
    const counterfactual = counterfactualOf(item);
    if (counterfactual === undefined) out.push(item);
    else if (mode === 'one-sided') out.push(counterfactual);
    else out.push(item, counterfactual);
  }
  return out;
}

/** Texts under CDA: one-sided replaces gendered texts by their counterfactuals, two-sided adds them. */
export function augmentTexts(texts: readonly string[], mode: AugmentationMode, lexicon: SwapLexicon = genderSwapLexicon(), options: SwapOptions = {}): string[] {
  return augment(texts, mode, (text) => {
    const swap = swapGender(text, lexicon, options);
    return swap.swapped ? swap.text : undefined;
  });
}

/** Labelled examples under CDA (labels kept; the synthetic set's person field follows the swap). */
export function augmentExamples(examples: readonly TextExample[], mode: AugmentationMode, lexicon: SwapLexicon = genderSwapLexicon(), options: SwapOptions = {}): TextExample[] {
  return augment(examples, mode, (example) => {
    const swap = swapGender(example.text, lexicon, options);
    if (!swap.swapped) return undefined;
    const counterfactual: TextExample = { ...example, text: swap.text };
    if (example.tokens) counterfactual.tokens = example.tokens.map((t) => swapGender(t, lexicon, options).text);
    if (example.person) {
      const counterpart = lexicon.counterpart(example.person.name.toLowerCase());
      const group = example.person.group === 'female' ? 'male' : example.person.group === 'male' ? 'female' : example.person.group;
      counterfactual.person = { name: counterpart ? matchCase(example.person.name, counterpart) : example.person.name, group };
    }
    return counterfactual;
  });
}

/** Corpus units (language-model text) under CDA. */
export function augmentUnits(units: readonly TextUnit[], mode: AugmentationMode, lexicon: SwapLexicon = genderSwapLexicon(), options: SwapOptions = {}): TextUnit[] {
  return augment(units, mode, (unit) => {
    const swap = swapGender(unit.text, lexicon, options);
    return swap.swapped ? { ...unit, text: swap.text } : undefined;
  });
}

/** A training-set transform for other modules (e.g. a "with CDA" variant of the fairness-metrics study). */
export function counterfactualAugmentation(mode: AugmentationMode = 'two-sided', options: SwapOptions = { names: 'any' }, lexicon?: SwapLexicon): (examples: TextExample[]) => TextExample[] {
  return (examples) => augmentExamples(examples, mode, lexicon ?? genderSwapLexicon(), options);
}
