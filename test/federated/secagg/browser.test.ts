/**
 * The secure-aggregation client in a real browser: the compiled client (WebCrypto, no Node
 * built-ins) is bundled with esbuild and run in Debian's headless Chromium; two page clients
 * and two Node clients aggregate with a Node server, every message crossing as JSON
 * (toWire/fromWire), and the sum is exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { SeededRandom } from '../../../src/engine/random.js';
import { SecAggClient, SecAggServer, addInRing, encodeFixedPoint, fromWire, nodeSecAggCrypto, toWire } from '../../../src/federated/secagg/index.js';
import { launchChromium } from '../../web/chromium.js';

test('browser clients (WebCrypto in Chromium) and Node clients aggregate exactly with a Node server', async () => {
  const dist = join(process.cwd(), 'dist', 'src', 'federated', 'secagg');
  const bundle = await build({
    stdin: { contents: `export { SecAggClient } from './client.js'; export { toWire, fromWire } from './wire.js';`, resolveDir: dist },
    bundle: true,
    format: 'iife',
    globalName: 'SecAgg',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0].text;
  assert.doesNotMatch(script, /require\("node:|from "node:/, 'the client bundle uses no Node built-in');
  // WebCrypto needs a secure context: serve the page from loopback
  const http = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><script>${script}</script>`);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.evaluate(() => {
      const w = window as unknown as { SecAgg: { SecAggClient: new () => unknown }; clients: unknown[] };
      w.clients = [new w.SecAgg.SecAggClient(), new w.SecAgg.SecAggClient()];
    });
    const n = 4;
    const m = 64;
    const rng = new SeededRandom(4);
    const inputs = Array.from({ length: n }, () => Float32Array.from({ length: m }, () => rng.next() - 0.5));
    const nodeClients = [new SecAggClient(nodeSecAggCrypto), new SecAggClient(nodeSecAggCrypto)];
    // clients 0 and 2 live in the page, 1 and 3 in Node
    const call = async (index: number, method: string, request: object, values?: number[]): Promise<unknown> => {
      if (index % 2 === 1) {
        const client = nodeClients[(index - 1) / 2] as unknown as Record<string, (r: unknown, v?: unknown) => Promise<unknown>>;
        return client[method](request, values);
      }
      const json = await page.evaluate(
        async ([slot, name, body, vals]) => {
          const w = window as unknown as { SecAgg: { toWire(x: unknown): unknown; fromWire(x: unknown): unknown }; clients: Record<string, (r: unknown, v?: unknown) => Promise<unknown>>[] };
          const reply = await w.clients[slot as number][name as string](w.SecAgg.fromWire(JSON.parse(body as string)), vals ?? undefined);
          return JSON.stringify(w.SecAgg.toWire(reply));
        },
        [index / 2, method, JSON.stringify(toWire(request)), values ?? null] as const,
      );
      return fromWire(JSON.parse(json));
    };
    const server = new SecAggServer({ numClients: n, vectorLength: m });
    for (const r of server.advertiseRequests()) server.receiveAdvertiseKeys((await call(r.index, 'advertiseKeys', r)) as never);
    for (const r of server.closeAdvertiseKeys()) server.receiveShareKeys((await call(r.index, 'shareKeys', r)) as never);
    for (const r of server.closeShareKeys()) server.receiveMaskedInput((await call(r.index, 'maskedInput', r, [...inputs[r.index]])) as never);
    for (const r of server.closeMaskedInput()) server.receiveUnmask((await call(r.index, 'unmask', r)) as never);
    const result = await server.finish();
    const expected = new Uint32Array(m);
    for (const x of inputs) addInRing(expected, encodeFixedPoint(x, result.encoding).encoded);
    assert.deepEqual([...result.sum], [...expected]);
  } finally {
    await browser.close();
    http.close();
  }
});
