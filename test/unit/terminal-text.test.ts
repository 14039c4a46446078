// Names printed to the terminal carry no raw control characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printable, printableLines } from '../../server/src/cli/terminal-text';

test('control characters are escaped, ordinary Unicode is kept', () => {
  assert.equal(printable('\x1b[31mred\x1b[0m.jpg'), '\\x1b[31mred\\x1b[0m.jpg');
  assert.equal(printable('bell\x07'), 'bell\\x07');
  assert.equal(printable('a\nb\rc\td'), 'a\\nb\\rc\\td');
  assert.equal(printable('del\x7f'), 'del\\x7f');
  assert.equal(printable('csi\u009b31m'), 'csi\\x9b31m');
  assert.equal(printable('nul\0'), 'nul\\x00');
  assert.equal(printable('é 中文 🐱 grün ✓ \u00a0nbsp'), 'é 中文 🐱 grün ✓ \u00a0nbsp');
  assert.equal(printable('C:\\data\\x1b'), 'C:\\data\\x1b', 'a backslash is left alone');
  assert.doesNotMatch(printable(String.fromCharCode(...Array.from({ length: 0xa0 }, (_, i) => i))), /[\u0000-\u001f\u007f-\u009f]/);
});

test('printableLines keeps the line breaks of our own messages', () => {
  assert.equal(printableLines('problems:\n  \x1b]0;title\x07: bad'), 'problems:\n  \\x1b]0;title\\x07: bad');
});
