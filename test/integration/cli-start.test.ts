// The CLI as users start it: `npx gla` from the repository prints nothing from npm (no unknown .npmrc keys), and
// the linked `gla` is the bundled CLI itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths';

test('npx gla --help prints its usage and not one npm warning', () => {
  const r = spawnSync('npx', ['--no-install', 'gla', '--help'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: gla <command>/);
  assert.equal(r.stderr, '', 'npm prints nothing');
});

test('no .npmrc key npm does not know: the onnxruntime install skip is an environment variable of setup.sh', () => {
  const npmrc = join(repoRoot, '.npmrc');
  if (existsSync(npmrc)) assert.doesNotMatch(readFileSync(npmrc, 'utf8'), /onnxruntime-node-install/);
  assert.match(readFileSync(join(repoRoot, 'scripts', 'setup.sh'), 'utf8'), /^export ONNXRUNTIME_NODE_INSTALL=skip$/m);
});
