/**
 * Engine handler for non-private data-parallel training: a part's gradient of the SUM of
 * its per-example losses, written into the part's shared gradient buffer (the main thread
 * adds the parts and divides by the batch size, so the result is the batch's mean gradient).
 */
import { tf } from '../../engine/index.js';
import { copyTensorInto } from '../../engine/workers/index.js';
import { toTensorBatch } from '../../models/index.js';
import { EngineReplica, type EngineBoot, type PartJob } from './replica.js';

let replica: EngineReplica | undefined;

export function init(boot: EngineBoot): void {
  replica = new EngineReplica(boot);
}

/** The part's loss sum, and the milliseconds its engine spent (parameter reload included). */
export function handle(job: PartJob<null>): { lossSum: number; ms: number } {
  const started = performance.now();
  const r = replica!;
  r.sync(job.version);
  const out = r.gradientViews(job.part);
  const model = r.model;
  const vars = model.parameters();
  return tf.tidy(() => {
    const batch = toTensorBatch(job.batch, model.task);
    const ctx = r.context(job);
    const { value, grads } = tf.variableGrads(() => tf.sum(model.perExampleLoss(batch, ctx)) as tf.Scalar, vars.map((p) => p.variable));
    for (const p of vars) {
      const g = grads[p.variable.name];
      if (g) copyTensorInto(g, out.get(p.name)!);
    }
    return { lossSum: value.dataSync()[0], ms: performance.now() - started };
  });
}
