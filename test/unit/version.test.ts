// The version the tsc output reports (no esbuild define there) is package.json's; the bundle's is checked through
// serverInfo in test/integration/lsp-before-initialize.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../../server/src/version';
import { repoRoot } from '../helpers/paths';

test('VERSION outside the bundle is package.json\'s version, found by walking up from out/', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  assert.equal(VERSION, pkg.version);
});
