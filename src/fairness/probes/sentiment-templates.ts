/**
 * Emotional sentence templates in the style of the Equity Evaluation Corpus (Kiritchenko &
 * Mohammad, *SEM 2018): a person, and a word for an emotional state ("feels {emotion}") or an
 * emotional situation ("the conversation with X was {situation}"). The EEC's four emotions
 * (anger, fear, joy, sadness) with five words each are used here; joy is labelled positive and
 * the other three negative, so the set is 1 : 3 positive : negative by construction. The EEC's
 * templates without an emotion word and its reflexive template ("found himself/herself ...") are
 * left out: the first have no sentiment label and the second needs gender agreement.
 */

export type Emotion = 'anger' | 'fear' | 'joy' | 'sadness';

export const EMOTION_STATE_WORDS: Readonly<Record<Emotion, readonly string[]>> = {
  anger: ['angry', 'annoyed', 'enraged', 'furious', 'irritated'],
  fear: ['anxious', 'discouraged', 'fearful', 'scared', 'terrified'],
  joy: ['ecstatic', 'excited', 'glad', 'happy', 'relieved'],
  sadness: ['depressed', 'devastated', 'disappointed', 'miserable', 'sad'],
};

export const EMOTION_SITUATION_WORDS: Readonly<Record<Emotion, readonly string[]>> = {
  anger: ['annoying', 'displeasing', 'irritating', 'outrageous', 'vexing'],
  fear: ['dreadful', 'horrible', 'shocking', 'terrifying', 'threatening'],
  joy: ['amazing', 'funny', 'great', 'hilarious', 'wonderful'],
  sadness: ['depressing', 'gloomy', 'grim', 'heartbreaking', 'serious'],
};

/** {subject}/{object} is the person; {state} an emotional-state word; {situation} a situation word. */
export const EMOTION_STATE_TEMPLATES: readonly string[] = [
  '{subject} feels {state}.',
  'The situation makes {object} feel {state}.',
  'I made {object} feel {state}.',
  '{subject} made me feel {state}.',
];

export const EMOTION_SITUATION_TEMPLATES: readonly string[] = [
  '{subject} told us all about the recent {situation} events.',
  'The conversation with {object} was {situation}.',
];

export function sentimentOf(emotion: Emotion): 'positive' | 'negative' {
  return emotion === 'joy' ? 'positive' : 'negative';
}

/** Every template with every emotion word filled in, still with the person placeholder. */
export function sentimentFrames(): { template: string; label: 'positive' | 'negative'; emotion: Emotion; word: string }[] {
  const frames: { template: string; label: 'positive' | 'negative'; emotion: Emotion; word: string }[] = [];
  const emotions: Emotion[] = ['anger', 'fear', 'joy', 'sadness'];
  for (const template of EMOTION_STATE_TEMPLATES) {
    for (const emotion of emotions) {
      for (const word of EMOTION_STATE_WORDS[emotion]) frames.push({ template: template.replace('{state}', word), label: sentimentOf(emotion), emotion, word });
    }
  }
  for (const template of EMOTION_SITUATION_TEMPLATES) {
    for (const emotion of emotions) {
      for (const word of EMOTION_SITUATION_WORDS[emotion]) frames.push({ template: template.replace('{situation}', word), label: sentimentOf(emotion), emotion, word });
    }
  }
  return frames;
}
