/**
 * Gradients with respect to tensors that are created while the forward pass runs.
 * Per-sample-gradient taps are zeros added to each layer's pre-activation output; their
 * shapes are only known inside the forward pass, so they cannot be listed beforehand.
 * tfjs's engine filters its tape by the `xs` array *after* running `f`, so `f` may append
 * to it. (Taps are disposed when the forward scope ends; their gradients need only shapes.)
 */
import * as tf from '@tensorflow/tfjs';

export interface LazyGradients {
  value: tf.Scalar;
  grads: tf.Tensor[];
}

/**
 * Runs `f(register)`; every tensor passed to `register` during `f` gets a gradient of the
 * returned scalar. Gradients come back in registration order (zeros where unconnected).
 */
export function gradientsOfRegistered(f: (register: (t: tf.Tensor) => void) => tf.Scalar): LazyGradients {
  const anchor = tf.scalar(0);
  const xs: tf.Tensor[] = [anchor];
  const register = (t: tf.Tensor): void => {
    xs.push(t);
  };
  const { value, grads } = tf.engine().gradients(
    () => tf.add(f(register), anchor) as tf.Scalar,
    xs,
    undefined,
    true,
  );
  anchor.dispose();
  grads[0].dispose();
  const out = grads.slice(1).map((g, i) => g ?? tf.zeros(xs[i + 1].shape));
  return { value: value as tf.Scalar, grads: out };
}
