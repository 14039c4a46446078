// Which model the status bar names: gla.yaml's `model:` over the gla.model setting, and which gla.yaml governs the
// active file (its own folder or the nearest above, never above the workspace folder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chooseModel, nearestManifest, shortModelName } from '../../client/src/model-choice';

const ws = join('/', 'ws');
const manifestAt = (dirs: string[]) => (path: string) => dirs.some((d) => join(ws, d, 'gla.yaml') === path);

test("gla.yaml's model wins over the setting, and says it came from there", () => {
  const manifest = { path: join(ws, 'shapes', 'gla.yaml'), text: 'model: clip-vit-large-patch14\nclasses:\n  - folder: a\n' };
  assert.deepEqual(chooseModel(manifest, 'clip-vit-base-patch32'), { model: 'clip-vit-large-patch14', source: 'gla.yaml', manifestPath: manifest.path });
});

test('a gla.yaml without a model line, or none at all, leaves the setting in charge', () => {
  assert.deepEqual(chooseModel({ path: join(ws, 'gla.yaml'), text: 'classes:\n  - folder: a\n' }, 'clip-vit-base-patch16'), {
    model: 'clip-vit-base-patch16',
    source: 'setting',
  });
  assert.deepEqual(chooseModel(undefined, 'clip-vit-base-patch16'), { model: 'clip-vit-base-patch16', source: 'setting' });
  assert.equal(chooseModel({ path: join(ws, 'gla.yaml'), text: 'model: "   "\n' }, 'x').source, 'setting');
});

test('a model line still counts while another line of gla.yaml has an error', () => {
  assert.equal(chooseModel({ path: join(ws, 'gla.yaml'), text: 'model: ./models/tiny\nclasses: 7\n' }, 'x').model, './models/tiny');
});

test('the nearest gla.yaml above a file governs it; none above the workspace folder does', () => {
  const exists = manifestAt(['shapes', '']);
  assert.equal(nearestManifest(join(ws, 'shapes', 'train', 'red', 'a.png'), ws, exists), join(ws, 'shapes', 'gla.yaml'));
  assert.equal(nearestManifest(join(ws, 'flowers', 'rose', 'b.png'), ws, exists), join(ws, 'gla.yaml'));
  assert.equal(nearestManifest(join(ws, 'flowers', 'rose', 'b.png'), ws, manifestAt(['shapes'])), undefined);
  assert.equal(nearestManifest(join('/', 'elsewhere', 'c.png'), ws, () => true), undefined);
  assert.equal(nearestManifest(join(ws, 'flowers', 'gla.yaml'), ws, () => false), join(ws, 'flowers', 'gla.yaml'), 'a gla.yaml governs itself');
});

test('a model folder shows by its last name, an id as it is', () => {
  assert.equal(shortModelName('/home/me/models/tiny-clip/'), 'tiny-clip');
  assert.equal(shortModelName('clip-vit-base-patch32'), 'clip-vit-base-patch32');
});
