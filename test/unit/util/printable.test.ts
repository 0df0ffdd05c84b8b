import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printable } from '../../../core/util/printable.ts';

test('printable escapes control characters (C0, DEL, C1, line separators) and keeps everything else', () => {
  assert.equal(printable('ep\x1b[31mred\n.npz'), 'ep\\e[31mred\\n.npz');
  assert.equal(printable('a\rb\tc\x00d\x7fe\x9bf\u2028g'), 'a\\rb\\tc\\x00d\\x7fe\\x9bf\\u2028g');
  assert.equal(printable('épisode ü 幻 🙂 - ok.npz'), 'épisode ü 幻 🙂 - ok.npz');
});
