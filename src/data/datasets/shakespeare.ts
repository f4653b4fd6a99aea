/**
 * Tiny Shakespeare (karpathy/char-rnn): plays as one text file of speaker turns. A turn is a
 * `NAME:` line followed by its lines; turns are separated by blank lines. Keeping the speaker
 * on every unit gives real, heterogeneous "users" for per-speaker federated partitions.
 */
import { DatasetFormatError } from '../../errors.js';
import type { DatasetInfo, TextCorpus, TextUnit } from '../types.js';
import { readParsedFile, requireDataFile } from './read-file.js';
import { contiguousSplit } from './stratified-split.js';

const FILE = 'tinyshakespeare/input.txt';

export const TINY_SHAKESPEARE_INFO: DatasetInfo = {
  name: 'tinyshakespeare',
  task: 'lm',
  description: 'Tiny Shakespeare as speaker turns (text with its speaker), for language models and per-speaker partitions',
  licence: 'Public domain text (char-rnn repository MIT per its README, no LICENSE file)',
  files: [FILE],
};

export interface ShakespeareTurn {
  speaker: string;
  /** The turn's lines after the speaker line, joined with "\n" (empty when the block has none). */
  text: string;
  /** 1-based line of the speaker line. */
  line: number;
}

/**
 * Every block of the file as a turn, including the blocks that are only a speaker line
 * (the upstream text has 125 such blocks, where a speech was cut when the file was made).
 */
export function parseShakespeareTurns(content: string, path: string): ShakespeareTurn[] {
  const lines = content.split(/\r?\n/);
  const turns: ShakespeareTurn[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i].trim() === '') {
      i++;
      continue;
    }
    const header = lines[i];
    const match = /^(\S.*?):\s*$/.exec(header);
    if (!match) {
      throw new DatasetFormatError(
        `${path}:${i + 1}: expected a speaker line "NAME:" at the start of a block (blocks are separated by blank lines), ` +
          `found "${header.slice(0, 60)}"; use the unmodified tinyshakespeare input.txt`,
      );
    }
    const start = i;
    const body: string[] = [];
    i++;
    while (i < lines.length && lines[i].trim() !== '') body.push(lines[i++]);
    turns.push({ speaker: match[1].trim(), text: body.join('\n'), line: start + 1 });
  }
  return turns;
}

export function loadTinyShakespeare(dataDir: string): TextCorpus {
  const path = requireDataFile(dataDir, FILE, 'tinyshakespeare');
  const turns = readParsedFile(path, 'tinyshakespeare', parseShakespeareTurns);
  const units: TextUnit[] = turns.filter((t) => t.text !== '').map((t) => ({ text: t.text, speaker: t.speaker }));
  const splits = contiguousSplit(units);
  const empty = turns.length - units.length;
  return {
    name: 'tinyshakespeare',
    task: 'lm',
    splits,
    synthetic: false,
    notes: [
      `units are speaker turns (a "NAME:" line and the lines under it, up to a blank line); speaker = that line minus the colon`,
      `${turns.length} blocks in ${FILE}; ${empty} of them are a speaker line with no text and are left out, leaving ${units.length} turns`,
      `contiguous split of the turns in file order: first 90% train, next 5% val, last 5% test ` +
        `(${splits.train.length}/${splits.val.length}/${splits.test.length}); so val/test are later text of the file, and a speaker may occur in more than one split`,
    ],
    licence: TINY_SHAKESPEARE_INFO.licence,
    source: 'Tiny Shakespeare, Karpathy, https://github.com/karpathy/char-rnn (data/tinyshakespeare/input.txt)',
  };
}
