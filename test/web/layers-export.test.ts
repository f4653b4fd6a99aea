/**
 * Exported models in the browser: every trustnlu architecture, exported to the TensorFlow.js
 * Layers format, is loaded in headless Debian chromium by plain `tf.loadLayersModel(url)`
 * from a page whose only code is `@tensorflow/tfjs` and `trustnlu/layers` (bundled here by
 * esbuild for the browser platform, which fails on any node: import), and predicts the same
 * probabilities as trustnlu in Node (max |Δ| ≤ 1e-5).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tf, initEngine } from '../../src/engine/index.js';
import { INFERENCE, exportLayersModel, toTensorBatch, MODEL_KINDS } from '../../src/models/index.js';
import { smallBatch, smallModel } from '../models/fixtures.js';
import { collectErrors, launchChromium } from './chromium.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

async function bundle(): Promise<string> {
  const result = await build({
    stdin: {
      contents: "import * as tf from '@tensorflow/tfjs'; import './src/layers/index.ts'; (window as any).tf = tf;",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

function serve(files: (path: string) => { body: string | Buffer; type: string } | undefined): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const file = files(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type }).end(file.body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

test('exported models load with plain tf.loadLayersModel in Chromium and predict what trustnlu predicts', { timeout: 240_000 }, async () => {
  await initEngine({ backend: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-layers-web-'));
  const expected = new Map<string, { ids: number[]; shape: number[]; probabilities: Float32Array }>();
  for (const kind of MODEL_KINDS) {
    const model = smallModel(kind, 5);
    exportLayersModel(join(dir, kind), model);
    const host = smallBatch(model);
    const probabilities = tf.tidy(() => tf.softmax(model.logits(toTensorBatch(host, model.task), INFERENCE) as tf.Tensor).dataSync() as Float32Array);
    expected.set(kind, { ids: Array.from(host.ids), shape: [host.size, host.length], probabilities });
    model.dispose();
  }
  const script = await bundle();
  assert.ok(!/require\(["']node:/.test(script), 'the layers bundle has no node: imports');
  const { server, url } = await serve((path) => {
    if (path === '/') return { body: '<!doctype html><title>layers</title><link rel="icon" href="data:,"><script src="/bundle.js"></script>', type: 'text/html' };
    if (path === '/bundle.js') return { body: script, type: 'text/javascript' };
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir) || !existsSync(file)) return undefined;
    return { body: readFileSync(file), type: file.endsWith('.json') ? 'application/json' : 'application/octet-stream' };
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(url);
    await page.waitForFunction(() => 'tf' in window, undefined, { timeout: 60_000 });
    for (const [kind, { ids, shape, probabilities }] of expected) {
      const got = await page.evaluate(async ({ modelUrl, ids, shape }) => {
        const tf = (window as unknown as { tf: typeof import('@tensorflow/tfjs') }).tf;
        await tf.setBackend('cpu');
        const model = await tf.loadLayersModel(modelUrl);
        const out = model.predict(tf.tensor2d(ids, shape as [number, number], 'int32')) as import('@tensorflow/tfjs').Tensor;
        return Array.from(await out.data());
      }, { modelUrl: `${url}/${kind}/model.json`, ids, shape });
      assert.equal(got.length, probabilities.length, kind);
      const diff = Math.max(...got.map((v, i) => Math.abs(v - probabilities[i])));
      assert.ok(diff <= 1e-5, `${kind}: Chromium predicts within ${diff} of trustnlu`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
