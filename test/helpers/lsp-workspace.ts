// Per-test copies of the lsp-dataset fixture (test/fixtures/lsp-dataset/generate.py), so no test writes into it.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatedFixtures, sharedDir } from './paths';
import type { Report } from '../../server/src/engine/report';
import type { TestContext } from 'node:test';
import { LspTestClient } from './lsp-client';

export interface TestWorkspace {
  root: string;
  /** shapes/: train/val/test split folders with four classes (spaces, Unicode, a WordNet id). */
  shapes: string;
  /** flat/: class folders directly under the dataset folder. */
  flat: string;
  /** An empty cache dir, or one holding the default model's tokenizer. */
  cacheDir: string;
  remove(): void;
}

export interface ExpectedRun {
  classes: { name: string; severity: 'warning' | 'information'; prior: string; bias: string; recallZeroShot: string; recallGla: string }[];
  labelIssue: { path: string; suggested: string; confidence: string };
}

export function makeWorkspace(options: { tokenizerInCache?: boolean } = {}): TestWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'gla-lsp-'));
  const fixture = generatedFixtures('lsp-dataset');
  cpSync(join(fixture, 'shapes'), join(root, 'shapes'), { recursive: true });
  cpSync(join(fixture, 'flat'), join(root, 'flat'), { recursive: true });
  const cacheDir = join(root, '.cache');
  mkdirSync(cacheDir);
  if (options.tokenizerInCache) {
    // The default model's folder in the cache with only its tokenizer: enough for the prompt-length check.
    const modelDir = join(cacheDir, 'models', 'clip-vit-base-patch32');
    mkdirSync(modelDir, { recursive: true });
    copyFileSync(join(sharedDir, 'clip', 'bpe_simple_vocab_16e6.txt.gz'), join(modelDir, 'bpe_simple_vocab_16e6.txt.gz'));
  }
  return { root, shapes: join(root, 'shapes'), flat: join(root, 'flat'), cacheDir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** The fixture run, placed in <workspace>/.gla/runs/<runId>/ and pointed at `datasetRoot`. */
export function placeRun(workspace: string, datasetRoot: string, edit: (r: Report) => void = () => undefined): { runDir: string; report: Report } {
  const report = JSON.parse(readFileSync(join(generatedFixtures('lsp-dataset'), 'run', 'report.json'), 'utf8')) as Report;
  report.dataset.root = datasetRoot;
  edit(report);
  const runDir = join(workspace, '.gla', 'runs', report.runId);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'report.json'), JSON.stringify(report, null, 2));
  return { runDir, report };
}

export function expectedRun(): ExpectedRun {
  return JSON.parse(readFileSync(join(generatedFixtures('lsp-dataset'), 'expected.json'), 'utf8')) as ExpectedRun;
}

/** The gla.yaml the run tests use: every class of shapes/ with its prompt. */
export const SHAPES_MANIFEST = [
  'classes:',
  '  - folder: red circle',
  '    prompt: red circle',
  '  - folder: blue_square',
  '    prompt: blue square',
  '  - folder: grüne Dreiecke',
  '    prompt: green triangle',
  '  - folder: n04254680',
  '    prompt: yellow circle',
  'templates: ["a photo of a {}."]',
  '',
].join('\n');

/** A fresh workspace with the server started in it; both go away when the test ends. */
export async function serverInWorkspace(t: TestContext): Promise<{ ws: TestWorkspace; client: LspTestClient }> {
  const ws = makeWorkspace();
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir } });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  return { ws, client };
}
