// The "gla" settings: what the server keeps of what a client sends, and how package.json contributes them (the
// gla.finetuned setting and its command, which Restricted Mode must ignore like gla.model).
/// <reference path="../../server/src/types/vscode-languageserver.d.ts" />
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths';
import { DEFAULT_SETTINGS, sanitizeSettings } from '../../server/src/lsp/settings';

test('gla.finetuned: a trimmed path kept as given; anything but a string is the linear probe', () => {
  assert.equal(DEFAULT_SETTINGS.finetuned, '');
  assert.equal(sanitizeSettings({}).finetuned, '');
  assert.equal(sanitizeSettings(undefined).finetuned, '');
  assert.equal(sanitizeSettings({ finetuned: '  /models/vit-shapes \n' }).finetuned, '/models/vit-shapes');
  assert.equal(sanitizeSettings({ finetuned: 'runs/logits' }).finetuned, 'runs/logits');
  for (const bad of [5, true, null, ['/m'], { path: '/m' }]) assert.equal(sanitizeSettings({ finetuned: bad }).finetuned, '', JSON.stringify(bad));
  // The other settings are unaffected by it.
  const s = sanitizeSettings({ finetuned: '/m', model: 'clip-vit-base-patch16', batchSize: 8 });
  assert.deepEqual({ ...s, finetuned: undefined }, { ...DEFAULT_SETTINGS, finetuned: undefined, model: 'clip-vit-base-patch16', batchSize: 8 });
});

test('package.json contributes gla.finetuned (ignored in Restricted Mode) and GLA: Select Fine-tuned Model…', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const setting = pkg.contributes.configuration.properties['gla.finetuned'];
  assert.equal(setting.type, 'string');
  assert.equal(setting.default, '');
  assert.equal(setting.scope, 'resource');
  assert.match(setting.markdownDescription, /onnx\/model\.onnx/);
  assert.match(setting.markdownDescription, /PREFIX\.npy/);
  assert.match(setting.markdownDescription, /Empty: the linear probe/);
  const untrusted = pkg.capabilities.untrustedWorkspaces;
  assert.deepEqual(untrusted.restrictedConfigurations, ['gla.model', 'gla.finetuned', 'gla.cacheDir']);
  assert.match(untrusted.description, /gla\.finetuned/);
  const orders = Object.values(pkg.contributes.configuration.properties).map((p: any) => p.order);
  assert.equal(new Set(orders).size, orders.length, 'each setting has its own place');

  const command = pkg.contributes.commands.find((c: any) => c.command === 'gla.selectFinetuned');
  assert.deepEqual(command, { command: 'gla.selectFinetuned', title: 'Select Fine-tuned Model…', category: 'GLA' });
  // Registered like the others (commands.ts imports vscode, so it is read, not loaded).
  const commands = readFileSync(join(repoRoot, 'client', 'src', 'commands.ts'), 'utf8');
  assert.match(commands, /selectFinetuned: 'gla\.selectFinetuned'/);
  assert.match(commands, /register\(Commands\.selectFinetuned, async \(\) => \(await import\('\.\/commands\/select-finetuned'\)\)\.selectFinetuned\)/);
  // Every contributed command is registered.
  for (const c of pkg.contributes.commands) assert.ok(commands.includes(`'${c.command}'`), c.command);
});

test('gla.exactDecode: only true turns shrink-on-load off; package.json describes the trade-off', () => {
  assert.equal(DEFAULT_SETTINGS.exactDecode, false);
  assert.equal(sanitizeSettings({ exactDecode: true }).exactDecode, true);
  for (const other of [undefined, false, 'true', 1, null]) assert.equal(sanitizeSettings({ exactDecode: other }).exactDecode, false, String(other));
  const setting = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).contributes.configuration.properties['gla.exactDecode'];
  assert.equal(setting.type, 'boolean');
  assert.equal(setting.default, false);
  assert.match(setting.markdownDescription, /1\/2, 1\/4 or 1\/8/);
  assert.match(setting.markdownDescription, /cosine 0\.9997/);
});
