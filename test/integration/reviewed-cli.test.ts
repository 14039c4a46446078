// The bundled `gla analyze` honours <cwd>/.gla/reviewed.json (the CLI's workspace root is its working directory, as
// for .gla/runs/): a reviewed image whose bytes are unchanged is left out of report.json's labelIssues and counted,
// and is flagged again once the file is gone; a malformed file is ignored with one warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from '../helpers/paths';
import type { Report } from '../../server/src/engine/report';

const SAMPLE = join(repoRoot, 'samples', 'shapes');
/** samples/shapes/PLANTED_LABEL_ERRORS.txt's first line: a purple circle filed as a red circle. */
const PLANTED = { path: 'train/red_circle/red_circle_003.png', given: 'red_circle', suggested: 'purple_circle' };
const MORE = '(1 more marked "not an error" in .gla/reviewed.json)';

interface Work {
  root: string;
  reviewed: string;
  /** `gla analyze shapes --out <name>` run in the workspace root. */
  analyze(name: string): { stdout: string; stderr: string; report: Report };
}

function workspace(t: { after(fn: () => void): void }): Work {
  const root = mkdtempSync(join(tmpdir(), 'gla-reviewed-cli-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  cpSync(SAMPLE, join(root, 'shapes'), { recursive: true, dereference: true });
  return {
    root,
    reviewed: join(root, '.gla', 'reviewed.json'),
    analyze(name) {
      const r = spawnSync(process.execPath, [cliPath, 'analyze', 'shapes', '--out', name], { cwd: root, encoding: 'utf8', env: { ...process.env, GLA_CACHE_DIR: join(root, '.cache') } });
      assert.equal(r.status, 0, r.stderr);
      return { stdout: r.stdout, stderr: r.stderr, report: JSON.parse(readFileSync(join(root, name, 'report.json'), 'utf8')) as Report };
    },
  };
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The summary's label-error line: `N suspected label error(s), e.g. PATH → CLASS[ (1 more …)]`. */
function issueLine(stdout: string): string {
  const lines = stdout.split('\n').filter((l) => /suspected label error/.test(l));
  assert.equal(lines.length, 1, stdout);
  return lines[0];
}

test('gla analyze leaves an image marked "not an error" out while unchanged, says so, and flags it again once reviewed.json is gone', (t) => {
  const work = workspace(t);
  mkdirSync(join(work.root, '.gla'));
  // Written by hand to the documented format: the dataset relative to the workspace root, the image's sha256.
  writeFileSync(work.reviewed, JSON.stringify({
    version: 1,
    datasetRoot: 'shapes',
    entries: [{ ...PLANTED, contentHash: sha256(join(work.root, 'shapes', ...PLANTED.path.split('/'))), reviewedAt: '2026-01-01T00:00:00.000Z' }],
  }, null, 2));

  const reviewed = work.analyze('run-reviewed');
  assert.equal(reviewed.report.labelIssues.some((i) => i.path === PLANTED.path), false, `left out: ${JSON.stringify(reviewed.report.labelIssues)}`);
  assert.equal(reviewed.report.labelIssuesReviewed, 1);
  assert.doesNotMatch(reviewed.stderr, /reviewed\.json/, 'a well-formed file draws no warning');
  const [first] = reviewed.report.labelIssues;
  assert.ok(first, 'the sample\'s other planted errors are still flagged');
  assert.equal(issueLine(reviewed.stdout), `${reviewed.report.labelIssues.length} suspected label error(s), e.g. ${first.path} → ${first.suggested} ${MORE}`);

  rmSync(work.reviewed);
  const again = work.analyze('run-again');
  const issue = again.report.labelIssues.find((i) => i.path === PLANTED.path);
  assert.deepEqual(issue && { path: issue.path, given: issue.given, suggested: issue.suggested }, PLANTED, 'flagged again');
  assert.equal(again.report.labelIssuesReviewed, 0);
  assert.equal(again.report.labelIssues.length, reviewed.report.labelIssues.length + 1, 'only the reviewed image came back');
  assert.equal(issueLine(again.stdout), `${again.report.labelIssues.length} suspected label error(s), e.g. ${PLANTED.path} → ${PLANTED.suggested}`, 'the most confident, and no "more marked" count');
});

test('gla analyze with an entry whose image changed since, or a malformed reviewed.json: flagged, and a malformed file warns once', (t) => {
  const work = workspace(t);
  mkdirSync(join(work.root, '.gla'));
  // The image's hash before a change: an entry for different bytes does not apply.
  writeFileSync(work.reviewed, JSON.stringify({
    version: 1,
    datasetRoot: 'shapes',
    entries: [{ ...PLANTED, contentHash: createHash('sha256').update('earlier bytes').digest('hex'), reviewedAt: '2026-01-01T00:00:00.000Z' }],
  }));
  const stale = work.analyze('run-stale');
  assert.ok(stale.report.labelIssues.some((i) => i.path === PLANTED.path), 'a changed image is flagged again');
  assert.equal(stale.report.labelIssuesReviewed, 0);
  assert.doesNotMatch(stale.stdout, /more marked/);

  writeFileSync(work.reviewed, 'not json');
  const malformed = work.analyze('run-malformed');
  assert.deepEqual(malformed.report.labelIssues.map((i) => i.path), stale.report.labelIssues.map((i) => i.path), 'the flags are as without the file');
  assert.equal(malformed.report.labelIssuesReviewed, 0);
  const warnings = malformed.stderr.split('\n').filter((l) => l.includes('reviewed.json'));
  assert.deepEqual(warnings, [`warning: ${work.reviewed} is not valid JSON; it was ignored (images marked "not an error" may be flagged again)`], 'one warning, not one per image');
  assert.equal(readFileSync(work.reviewed, 'utf8'), 'not json', 'the CLI never writes reviewed.json');
});
