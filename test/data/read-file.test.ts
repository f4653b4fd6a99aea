import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  jsonErrorOffset,
  lineAndColumn,
  parseDelimited,
  parseDelimitedTable,
  parseJsonLines,
  parseJsonText,
  splitLines,
} from '../../src/data/datasets/read-file.js';
import { DatasetFormatError } from '../../src/errors.js';

test('parseDelimited: quotes, doubled quotes, delimiters and newlines inside quotes, CRLF', () => {
  const text = 'text,category\r\n' + '"a, b",x\r\n' + '"say ""hi""",y\n' + '"two\nlines",z\n' + 'plain,w';
  const rows = parseDelimited(text, 'f.csv', ',');
  assert.deepEqual(
    rows.map((r) => r.fields),
    [['text', 'category'], ['a, b', 'x'], ['say "hi"', 'y'], ['two\nlines', 'z'], ['plain', 'w']],
  );
  // Each row reports the line it starts on; the quoted newline pushes the last row to line 6.
  assert.deepEqual(rows.map((r) => r.line), [1, 2, 3, 4, 6]);
});

test('parseDelimited: empty fields, blank lines and a trailing delimiter', () => {
  const rows = parseDelimited('a;;c\n\n;b;\n   \nx;y;z\n', 'f.csv', ';');
  assert.deepEqual(rows.map((r) => r.fields), [['a', '', 'c'], ['', 'b', ''], ['x', 'y', 'z']]);
  assert.deepEqual(rows.map((r) => r.line), [1, 3, 5]);
});

test('parseDelimited: an unterminated quote names the line it started on', () => {
  assert.throws(
    () => parseDelimited('a,b\n"open,x\nmore\n', 'bad.csv', ','),
    (err: Error) => err instanceof DatasetFormatError && /bad\.csv:2:/.test(err.message) && /never closed/.test(err.message),
  );
  assert.throws(
    () => parseDelimited('a,b\n"closed"junk,x\n', 'bad.csv', ','),
    (err: Error) => err instanceof DatasetFormatError && /bad\.csv:2:/.test(err.message),
  );
});

test('parseDelimitedTable: checks the header and every row\'s field count', () => {
  const rows = parseDelimitedTable('text,category\nhello,greet\n', 'ok.csv', ',', ['text', 'category']);
  assert.deepEqual(rows, [{ fields: ['hello', 'greet'], line: 2 }]);
  assert.throws(
    () => parseDelimitedTable('text,category\nhello,greet\nhi, there,greet\n', 'rows.csv', ',', ['text', 'category']),
    (err: Error) => err instanceof DatasetFormatError && /rows\.csv:3:/.test(err.message) && /found 3/.test(err.message),
  );
  assert.throws(
    () => parseDelimitedTable('sentence,label\nhello,greet\n', 'head.csv', ',', ['text', 'category']),
    (err: Error) => err instanceof DatasetFormatError && /head\.csv:1:/.test(err.message) && /text,category/.test(err.message),
  );
  assert.throws(() => parseDelimitedTable('', 'empty.csv', ',', ['text']), DatasetFormatError);
});

test('lineAndColumn counts from 1', () => {
  assert.deepEqual(lineAndColumn('ab\ncd\nef', 0), { line: 1, column: 1 });
  assert.deepEqual(lineAndColumn('ab\ncd\nef', 4), { line: 2, column: 2 });
  assert.deepEqual(lineAndColumn('ab\ncd\nef', 6), { line: 3, column: 1 });
});

test('jsonErrorOffset finds the first bad character whatever the engine message says', () => {
  const cases: [string, number][] = [
    ['{"a": 1,}', 8], // trailing comma: the "}" is where a key was expected
    ['[1, 2 3]', 6],
    ['{"a": tru}', 9],
    ['["x",\n}', 6],
    ['{"a": [1, 2', 11], // truncated: the end of the text
    ['"tab\there"', 4], // raw control character in a string
    ['{"a": "\\q"}', 8], // bad escape
    ['[1] x', 4],
  ];
  for (const [text, expected] of cases) {
    let message = '';
    try {
      JSON.parse(text);
      assert.fail(`${JSON.stringify(text)} should not parse`);
    } catch (err) {
      message = (err as Error).message;
    }
    assert.equal(jsonErrorOffset(text, message), expected, JSON.stringify(text));
  }
});

test('parseJsonText: a syntax error gives the file and line; truncation is named', () => {
  const broken = '{\n  "train": [\n    ["a", "b"]\n    ["c", "d"]\n  ]\n}\n';
  assert.throws(
    () => parseJsonText(broken, 'data.json'),
    (err: Error) => err instanceof DatasetFormatError && /data\.json:4:5:/.test(err.message),
  );
  const truncated = '{\n  "train": [\n    ["a", "b"],\n    ["c", ';
  assert.throws(
    () => parseJsonText(truncated, 'cut.json'),
    (err: Error) => err instanceof DatasetFormatError && /cut\.json:4:/.test(err.message) && /truncated/.test(err.message),
  );
  assert.deepEqual(parseJsonText('{"a": [1]}', 'ok.json'), { a: [1] });
});

test('parseJsonLines: skips blank lines and names the bad line', () => {
  const rows = parseJsonLines('{"a":1}\n\n{"a":2}\n', 'ok.jsonl');
  assert.deepEqual(rows, [
    { value: { a: 1 }, line: 1 },
    { value: { a: 2 }, line: 3 },
  ]);
  assert.throws(
    () => parseJsonLines('{"a":1}\n{"a":2}\n{"a":\n', 'bad.jsonl'),
    (err: Error) => err instanceof DatasetFormatError && /bad\.jsonl:3:/.test(err.message),
  );
});

test('splitLines: LF or CRLF, a final newline adds no line', () => {
  assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
  assert.deepEqual(splitLines('a\r\nb'), ['a', 'b']);
  assert.deepEqual(splitLines('a\n\nb\n'), ['a', '', 'b']);
  assert.deepEqual(splitLines(''), []);
});
