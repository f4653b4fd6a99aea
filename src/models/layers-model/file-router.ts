/**
 * `file://` URLs for tfjs in Node without tfjs-node (which cannot be installed here: its install
 * downloads libtensorflow): `model.save('file:///path/dir')` writes model.json + weights.bin as
 * tfjs-node does, and `tf.loadLayersModel('file:///path/dir/model.json')` (or the directory)
 * reads any Layers directory. Registered once when trustnlu's models are imported in Node, and
 * only if no other file:// handler is registered (with tfjs-node installed, its own stays the
 * only one: two handlers for one URL make tfjs refuse to save).
 */
import { fileURLToPath } from 'node:url';
import { tf } from '../../engine/index.js';
import { layersDirHandler, layersDirSaveHandler } from './io.js';

const SCHEME = 'file://';

/** The path of a file:// URL (file:///abs/path, or file://relative/path as tfjs-node accepts). */
function pathOf(url: string): string {
  return url.startsWith('file:///') ? fileURLToPath(url) : url.slice(SCHEME.length);
}

function fileUrl(url: string | string[]): string | undefined {
  return typeof url === 'string' && url.startsWith(SCHEME) ? url : undefined;
}

export function registerFileRouter(): void {
  if (tf.io.getSaveHandlers('file:///probe').length > 0 || tf.io.getLoadHandlers('file:///probe').length > 0) return;
  tf.io.registerSaveRouter((url) => {
    const u = fileUrl(url);
    return (u ? layersDirSaveHandler(pathOf(u)) : null) as tf.io.IOHandler; // tfjs skips routers that answer null
  });
  tf.io.registerLoadRouter((url) => {
    const u = fileUrl(url);
    return (u ? layersDirHandler(pathOf(u)) : null) as tf.io.IOHandler;
  });
}

// Node only: the browser bundle stubs node: modules, and a page has no files.
if (typeof process !== 'undefined' && process.versions?.node) registerFileRouter();
