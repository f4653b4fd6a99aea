/**
 * Bench hygiene of `trustnlu bench dp` (issue 19 part 6): each case reports the full
 * configuration trained (defaults included, e.g. the embedding bag's dropout 0.2), the
 * vocabulary size, the label count and the padded lengths; the naive loop gets its timed
 * steps even when there are fewer timed steps of the other modes; the noise worker's CPU
 * time is reported; --engines adds data-parallel timings (N engines and one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { platform } from 'node:os';
import { CLASSIFIER_DEFAULTS } from '../../../src/models/index.js';
import { runDpBench, SMALL_LM_CONFIG } from '../../../src/privacy/index.js';
import { timeAlternating, timedMode } from '../../../src/privacy/dpsgd/bench-timing.js';

test('the naive loop gets naiveSteps timed steps even with fewer timed steps of the other modes', async () => {
  let batches = 0;
  const mode = timedMode(() => {});
  const naive = timedMode(() => {});
  await timeAlternating({ steps: 2, naiveSteps: 5 }, () => batches++, [mode], naive);
  assert.equal(mode.wall.length, 2);
  assert.equal(naive.wall.length, 5);
});

test('bench dp reports what it trained: full config, vocabulary, labels, padded lengths, noise worker CPU, engines', async () => {
  const result = await runDpBench({ models: ['embbag', 'char-transformer'], batches: [4], steps: 2, naiveSteps: 5, engines: 2 });
  const [embbag, lm] = result.cases;
  assert.equal(embbag.config.dropout, CLASSIFIER_DEFAULTS.embbag.dropout, 'the embedding bag trains with its default dropout, and says so');
  assert.deepEqual(embbag.overrides, {});
  assert.ok(embbag.vocabularySize > 4 && Number.isInteger(embbag.vocabularySize));
  assert.ok(embbag.labels !== null && embbag.labels >= 2);
  assert.equal(embbag.paddedLength.model, CLASSIFIER_DEFAULTS.embbag.maxLength);
  assert.ok(embbag.paddedLength.batches.min >= 1 && embbag.paddedLength.batches.max <= embbag.paddedLength.model);
  assert.equal(lm.labels, null);
  assert.equal(lm.paddedLength.model, SMALL_LM_CONFIG.contextLength);
  assert.equal(lm.config.embeddingDim, SMALL_LM_CONFIG.embeddingDim);
  for (const c of result.cases) {
    assert.equal(c.naiveSteps, 5, `${c.model}: naive steps`);
    if (platform() === 'linux') assert.ok(typeof c.noiseWorkerCpuMs === 'number' && c.noiseWorkerCpuMs > 0, `${c.model}: noise worker CPU ${c.noiseWorkerCpuMs}`);
    assert.deepEqual(c.engines?.counts.map((n) => n.engines), [2, 1], `${c.model}: engine counts`);
    for (const n of c.engines!.counts) assert.ok(n.nonDpMs > 0 && n.dpMs > 0 && Number.isFinite(n.ratio));
  }
});
