/**
 * wasm's Transpose walks the output element by element through a generic index
 * computation: ~19 ns per element, 77 ms for a [16384, 256] activation. Every transposed
 * matmul (our BatchMatMul patch transposes explicitly to reach XNNPACK) and every
 * head split/merge of attention goes through it, so the weight gradients of the
 * transformer spent most of their time transposing. This kernel first merges input axes
 * that stay adjacent under the permutation; a (batched) transpose of large matrices is then
 * copied in cache-sized tiles. The original kernel is fine when everything fits in cache
 * (small matrices, head splits that keep the last axis), so those keep it.
 */
import { allocateWasm, heapView, type TypedValues, replaceWasmKernel, type Kernel } from '../kernel-io.js';

/** Side of the square tiles of a matrix transpose (64 × 64 floats: 16 KB, in L1 with its target; measured best of 8–128). */
const TILE = 64;

/**
 * Merges input axes that are consecutive in `perm` (they move as one block) and drops
 * unit axes. Returns the reduced input shape and the permutation over it.
 */
export function collapseTranspose(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  // groups of input axes in output order, each a run of consecutive input axes
  const groups: number[][] = [];
  for (const axis of perm) {
    if (shape[axis] === 1) continue;
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] === axis - 1) last.push(axis);
    else groups.push([axis]);
  }
  // each group becomes one axis; its position in the input is the order of its first axis
  const byInput = [...groups].sort((a, b) => a[0] - b[0]);
  const newShape = byInput.map((g) => g.reduce((p, a) => p * shape[a], 1));
  const newPerm = groups.map((g) => byInput.indexOf(g));
  return { shape: newShape, perm: newPerm };
}

/**
 * out = transpose of `batch` row-major [rows, cols] matrices stored back to back. Within a
 * tile, writes run along output rows and reads are strided: measured faster in V8 than the
 * other order (10 vs 35 ms for [16384, 256]), since stores that miss cost more than loads.
 */
export function transposeMatrices(src: TypedValues, out: TypedValues, batch: number, rows: number, cols: number): void {
  const size = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * size;
    for (let i0 = 0; i0 < rows; i0 += TILE) {
      const i1 = Math.min(rows, i0 + TILE);
      for (let j0 = 0; j0 < cols; j0 += TILE) {
        const j1 = Math.min(cols, j0 + TILE);
        for (let j = j0; j < j1; j++) {
          let d = base + j * rows + i0;
          let s = base + i0 * cols + j;
          for (let i = i0; i < i1; i++, d++, s += cols) out[d] = src[s];
        }
      }
    }
  }
}

/**
 * Matrix size (elements) from which the tiled copy beats the original kernel; below it the
 * matrices fit in cache and the original is as fast or faster (measured: 256² equal,
 * 512² 0.9 vs 2.0 ms, 1024² 4.8 vs 14 ms, [1024, 64, 16] 3.2 vs 2.5 ms).
 */
export const TILED_MIN_ELEMENTS = 1 << 16;

/**
 * The (batch, rows, cols) of a permutation that is a (batched) matrix transpose after
 * merging axes, large enough to be worth tiling; undefined for anything else.
 */
export function tiledTranspose(shape: number[], perm: number[]): { batch: number; rows: number; cols: number } | undefined {
  const c = collapseTranspose(shape, perm);
  let m: { batch: number; rows: number; cols: number } | undefined;
  if (c.shape.length === 2 && c.perm[0] === 1) m = { batch: 1, rows: c.shape[0], cols: c.shape[1] };
  else if (c.shape.length === 3 && c.perm[0] === 0 && c.perm[1] === 2) m = { batch: c.shape[0], rows: c.shape[1], cols: c.shape[2] };
  return m && m.rows * m.cols >= TILED_MIN_ELEMENTS ? m : undefined;
}

const transposeKernel = (original: Kernel): Kernel => (args) => {
  const { x } = args.inputs;
  if (x.dtype === 'string' || x.dtype === 'complex64') return original(args);
  const perm = args.attrs.perm as number[];
  const m = tiledTranspose(x.shape, perm);
  if (!m) return original(args);
  const out = allocateWasm(args.backend, perm.map((p) => x.shape[p]), x.dtype);
  transposeMatrices(heapView(args.backend, x), heapView(args.backend, out), m.batch, m.rows, m.cols);
  return out;
};

export function registerFastTranspose(): void {
  replaceWasmKernel('Transpose', transposeKernel);
}
