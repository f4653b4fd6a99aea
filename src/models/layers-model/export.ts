/**
 * Any trustnlu model as a tf.LayersModel: the same architecture from tfjs layers (plus
 * trustnlu/layers where tfjs has none), with the trained weights copied in. Input: token
 * ids [B, T] (int32; the padding id 0 marks padding); output: probabilities — [B, classes]
 * for a classifier, [B, T, vocabulary] for a language model — equal to softmax of trustnlu's
 * logits. Dropout layers sit where trustnlu applies dropout (inactive when predicting), so
 * the exported model also trains as the original did.
 */
import { tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { EndPadding1D, MaskedMaxPooling, MaskedMeanPooling, MultiHeadSelfAttention, PaddingMask, PositionEmbedding } from '../../layers/index.js';
import type { ClassifierConfig } from '../classifiers/classifier.js';
import type { LanguageModelConfig } from '../lm/language-model.js';
import type { AnyModel } from '../serialize.js';

/** What trustnlu records in an exported model.json (userDefinedMetadata.trustnlu). */
export interface LayersModelMetadata {
  task: 'classifier' | 'lm';
  /** The trustnlu architecture it came from, if any. */
  kind?: string;
  labels?: string[];
  /** Longest input (classifiers) or training context (LMs), in tokens. */
  maxLength: number;
  /** The tokenizer file beside model.json. */
  tokenizer?: string;
  /** What the trainer records with a checkpoint (dataset, epoch, validation, privacy...). */
  meta?: Record<string, unknown>;
}

type Sym = tf.SymbolicTensor;

function dropout(x: Sym, rate: number, name: string): Sym {
  return rate > 0 ? (tf.layers.dropout({ rate, name }).apply(x) as Sym) : x;
}

/** A tfjs layer and the trustnlu parameters (by name, optionally reshaped) that become its weights, in its weight order. */
interface Pending {
  layer: tf.layers.Layer;
  names: string[];
  reshape?: (number[] | null)[];
  /** Weights computed otherwise (an LSTM's kernel split in two). */
  values?: tf.Tensor[];
}

/** The transformer stack (positions, pre-norm blocks, final norm), as trustnlu's TransformerStack. */
function transformerStack(x: Sym, mask: Sym | null, prefix: string, c: { embeddingDim: number; heads: number; layers: number; ffnDim: number; dropout: number }, maxLength: number, causal: boolean, pending: Pending[]): Sym {
  const name = (s: string) => `${prefix}_${s}`;
  const positions = new PositionEmbedding({ maxLength, name: name('positions') });
  pending.push({ layer: positions, names: [`${prefix}/positions/embeddings`] });
  let h = dropout(positions.apply(x) as Sym, c.dropout, name('dropout'));
  const layerNorm = (n: string, input: Sym): Sym => {
    const ln = tf.layers.layerNormalization({ epsilon: 1e-5, name: name(n.replace(/\//g, '_')) });
    pending.push({ layer: ln, names: [`${prefix}/${n}/gamma`, `${prefix}/${n}/beta`] });
    return ln.apply(input) as Sym;
  };
  const dense = (n: string, units: number, activation: 'gelu' | 'linear', input: Sym): Sym => {
    const d = tf.layers.dense({ units, activation, name: name(n.replace(/\//g, '_')) });
    pending.push({ layer: d, names: [`${prefix}/${n}/kernel`, `${prefix}/${n}/bias`] });
    return d.apply(input) as Sym;
  };
  for (let i = 0; i < c.layers; i++) {
    const block = `block${i}`;
    const attention = new MultiHeadSelfAttention({ heads: c.heads, causal, attentionDropout: c.dropout, name: name(`${block}_attention`) });
    pending.push({ layer: attention, names: [`${prefix}/${block}/attention/qkv/kernel`, `${prefix}/${block}/attention/qkv/bias`, `${prefix}/${block}/attention/output/kernel`, `${prefix}/${block}/attention/output/bias`] });
    const normed = layerNorm(`${block}/norm1`, h);
    const attended = attention.apply(mask ? [normed, mask] : normed) as Sym;
    h = tf.layers.add({ name: name(`${block}_residual1`) }).apply([h, dropout(attended, c.dropout, name(`${block}_dropout1`))]) as Sym;
    const ffn = dense(`${block}/ffn_out`, c.embeddingDim, 'linear', dense(`${block}/ffn_in`, c.ffnDim, 'gelu', layerNorm(`${block}/norm2`, h)));
    h = tf.layers.add({ name: name(`${block}_residual2`) }).apply([h, dropout(ffn, c.dropout, name(`${block}_dropout2`))]) as Sym;
  }
  return layerNorm('final_norm', h);
}

/** The tf.LayersModel equivalent of a trustnlu model, its weights copied in. */
export function toLayersModel(model: AnyModel): tf.LayersModel {
  // Temporaries (split and reshaped weights) end with this scope; variables outlive it.
  tf.engine().startScope();
  try {
    return buildLayersModel(model);
  } finally {
    tf.engine().endScope();
  }
}

function buildLayersModel(model: AnyModel): tf.LayersModel {
  const pending: Pending[] = [];
  const ids = tf.input({ shape: [null], dtype: 'int32', name: 'ids' });
  const V = model.tokenizer.vocabSize;
  let output: Sym;
  let metadata: LayersModelMetadata;
  if (model.task === 'classifier') {
    const c = model.config as ClassifierConfig;
    const D = c.embeddingDim;
    const mask = new PaddingMask({ name: 'padding_mask' }).apply(ids) as Sym;
    const embedding = tf.layers.embedding({ inputDim: V, outputDim: D, name: 'embedding' });
    pending.push({ layer: embedding, names: ['embedding/embeddings'] });
    const embedded = embedding.apply(ids) as Sym;
    let features: Sym;
    switch (c.kind) {
      case 'embbag': {
        features = dropout(new MaskedMeanPooling({ name: 'masked_mean' }).apply([embedded, mask]) as Sym, c.dropout, 'pooled_dropout');
        if (c.hidden > 0) {
          const hidden = tf.layers.dense({ units: c.hidden, activation: 'relu', name: 'hidden' });
          pending.push({ layer: hidden, names: ['hidden/kernel', 'hidden/bias'] });
          features = dropout(hidden.apply(features) as Sym, c.dropout, 'hidden_dropout');
        }
        break;
      }
      case 'cnn': {
        const x = dropout(embedded, c.dropout / 2, 'embedding_dropout');
        const pooled = c.kernelSizes.map((k) => {
          const conv = tf.layers.conv1d({ filters: c.filters, kernelSize: k, padding: 'valid', activation: 'relu', name: `conv${k}` });
          pending.push({ layer: conv, names: [`conv${k}/kernel`, `conv${k}/bias`], reshape: [[k, D, c.filters], null] });
          const padded = k > 1 ? (new EndPadding1D({ size: k - 1, name: `conv${k}_end_padding` }).apply(x) as Sym) : x;
          return new MaskedMaxPooling({ name: `conv${k}_masked_max` }).apply([conv.apply(padded) as Sym, mask]) as Sym;
        });
        features = dropout(pooled.length === 1 ? pooled[0] : (tf.layers.concatenate({ name: 'pooled' }).apply(pooled) as Sym), c.dropout, 'pooled_dropout');
        break;
      }
      case 'transformer': {
        const states = transformerStack(embedded, mask, 'encoder', c, c.maxLength, false, pending);
        features = new MaskedMeanPooling({ name: 'masked_mean' }).apply([states, mask]) as Sym;
        break;
      }
      default:
        throw new ConfigError(`cannot export a classifier of kind "${(c as { kind: string }).kind}"`);
    }
    const out = tf.layers.dense({ units: model.labels.length, activation: 'softmax', name: 'output' });
    pending.push({ layer: out, names: ['output/kernel', 'output/bias'] });
    output = out.apply(features) as Sym;
    metadata = { task: 'classifier', kind: model.kind, labels: model.labels, maxLength: model.maxLength, tokenizer: 'tokenizer.json' };
  } else {
    const c = model.config as LanguageModelConfig;
    const embedding = tf.layers.embedding({ inputDim: V, outputDim: c.embeddingDim, name: 'embedding' });
    pending.push({ layer: embedding, names: ['embedding/embeddings'] });
    let h = dropout(embedding.apply(ids) as Sym, c.dropout, 'embedding_dropout');
    if (c.kind.endsWith('lstm')) {
      for (let l = 0; l < c.layers; l++) {
        const inDim = l === 0 ? c.embeddingDim : c.hidden;
        const lstm = tf.layers.lstm({ units: c.hidden, returnSequences: true, recurrentActivation: 'sigmoid', name: `lstm${l}` });
        // trustnlu's one kernel over [x, h] is tfjs's kernel (rows of x) over its recurrent kernel (rows of h).
        const [kernel, recurrent] = tf.split(model.store.get(`lstm${l}/kernel`), [inDim, c.hidden], 0);
        pending.push({ layer: lstm, names: [], values: [kernel, recurrent, model.store.get(`lstm${l}/bias`)] });
        h = dropout(lstm.apply(h) as Sym, c.dropout, `lstm${l}_dropout`);
      }
    } else {
      h = transformerStack(h, null, 'decoder', c, c.contextLength, true, pending);
    }
    const out = tf.layers.dense({ units: V, activation: 'softmax', name: 'output' });
    pending.push({ layer: out, names: ['output/kernel', 'output/bias'] });
    output = out.apply(h) as Sym;
    metadata = { task: 'lm', kind: model.kind, maxLength: model.contextLength, tokenizer: 'tokenizer.json' };
  }
  const layersModel = tf.model({ inputs: ids, outputs: output, name: `trustnlu_${model.kind.replace(/-/g, '_')}` });
  for (const p of pending) {
    p.layer.setWeights(p.values ?? p.names.map((name, i) => (p.reshape?.[i] ? tf.reshape(model.store.get(name), p.reshape[i]!) : model.store.get(name))));
  }
  layersModel.setUserDefinedMetadata({ trustnlu: metadata as unknown as Record<string, unknown> });
  return layersModel;
}
