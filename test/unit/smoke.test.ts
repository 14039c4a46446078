import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../server/src/errors';

test('UserError keeps its exit code', () => {
  assert.equal(new UserError('x', 3).exitCode, 3);
});
