/**
 * A user's own model as tfjs users make one, for the tests of commands that take
 * `--model PATH/model.json`: a small tf.layers intent classifier on the synthetic set, trained
 * with tfjs's own fit and saved with model.save('file://...') (trustnlu's file:// handler in
 * Node), its tokenizer.json beside it and its labels in a file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initEngine } from '../src/engine/index.js';
import '../src/models/index.js'; // registers the file:// handler
import { loadIntentDataset } from '../src/data/registry.js';
import { fitWordTokenizer, padSequences, type Tokenizer } from '../src/text/index.js';

export const MAX_LENGTH = 16;

export function ids(tokenizer: Tokenizer, texts: string[]): tf.Tensor2D {
  return tf.tensor2d(padSequences(texts.map((t) => tokenizer.encode(t)), MAX_LENGTH).ids, [texts.length, MAX_LENGTH], 'int32');
}

/** A user's model trained and saved as tfjs users do; its directory, its tokenizer and a labels file. `seed` fixes its initial weights. */
export async function savedUserModel(seed = 1): Promise<{ dir: string; labelsFile: string; model: tf.LayersModel; tokenizer: Tokenizer; labels: string[] }> {
  await initEngine({ backend: 'wasm' });
  const data = loadIntentDataset('synthetic', { seed: 0 });
  const tokenizer = fitWordTokenizer(data.splits.train.map((e) => e.text));
  const labels = data.labels;
  const model = tf.sequential({
    name: 'my_intents',
    layers: [
      tf.layers.embedding({ inputDim: tokenizer.vocabSize, outputDim: 16, inputLength: MAX_LENGTH, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }) }),
      tf.layers.globalAveragePooling1d(),
      tf.layers.dense({ units: labels.length, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'sparseCategoricalCrossentropy' });
  const x = ids(tokenizer, data.splits.train.map((e) => e.text));
  const y = tf.tensor1d(data.splits.train.map((e) => labels.indexOf(e.label)), 'float32');
  await model.fit(x, y, { epochs: 3, batchSize: 64, verbose: 0, shuffle: false });
  tf.dispose([x, y]);
  const root = mkdtempSync(join(tmpdir(), 'cli-user-model-'));
  const dir = join(root, 'mine');
  await model.save(`file://${dir}`);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
  const labelsFile = join(root, 'labels.txt');
  writeFileSync(labelsFile, labels.join('\n') + '\n');
  return { dir, labelsFile, model, tokenizer, labels };
}

