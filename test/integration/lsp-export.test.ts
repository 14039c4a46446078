// gla.export through the real bundled server over stdio: the run's classifier written by the job thread, with
// work-done progress, and bad arguments refused with one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LspTestClient, uriOf } from '../helpers/lsp-client';
import { makeWorkspace } from '../helpers/lsp-workspace';
import { modelFixture } from '../helpers/model-fixtures';
import type { AnalyzeResult, ExportResult } from '../../server/src/protocol';

test('gla.export writes the run\'s classifier folder; an existing folder or a bad argument is refused', async (t) => {
  const ws = makeWorkspace();
  writeFileSync(join(ws.shapes, 'gla.yaml'), `model: ${JSON.stringify(modelFixture('tiny-clip'))}\n`);
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir, trusted: true } });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  const run = (await client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.shapes) }])) as AnalyzeResult;
  const out = join(ws.root, 'exported');
  const result = (await client.executeCommand('gla.export', [{ run: uriOf(run.runDir), out: uriOf(out) }])) as ExportResult;
  assert.equal(result.out, out);
  assert.equal(result.model, 'gla');
  assert.equal(result.layout, 'one-graph');
  assert.deepEqual(result.files.sort(), ['config.json', 'onnx/model.onnx', 'preprocessor_config.json']);
  assert.ok(existsSync(join(out, 'onnx', 'model.onnx')));
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(Object.keys(config.id2label).length, result.classes);
  assert.equal(config.gla.run.dir, run.runDir);
  await assert.rejects(client.executeCommand('gla.export', [{ run: uriOf(run.runDir), out: uriOf(out) }]), /the folder exists .*give a new folder \(nothing was written\)/);
  await assert.rejects(client.executeCommand('gla.export', [{ run: uriOf(run.runDir) }]), (err: Error & { code?: number }) => err.code === -32602);
  await assert.rejects(client.executeCommand('gla.export', [{ run: uriOf(run.runDir), out: uriOf(join(ws.root, 'x')), model: 'best' }]), /--model best: expected one of/);
  assert.ok(!readdirSync(ws.root).some((e) => e.includes('.partial-') || e === 'x'));
});
