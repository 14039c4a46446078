// "A transformers.js-style pipeline loads it without any code of ours": the exported folder driven by ONNX Runtime,
// sharp and the folder's own preprocessor_config.json and config.json alone (nothing from server/src).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { cliPath, repoRoot } from '../helpers/paths';

interface Preprocessor {
  size: { shortest_edge?: number; height?: number; width?: number };
  crop_size: { height: number; width: number };
  do_center_crop: boolean;
  rescale_factor: number;
  image_mean: number[];
  image_std: number[];
}

/** An image processor as transformers.js applies one: resize, center crop, rescale, normalise, CHW. */
async function pixelValues(file: string, p: Preprocessor): Promise<Float32Array> {
  const { width = 0, height = 0 } = await sharp(file).metadata();
  let w = p.size.width ?? 0;
  let h = p.size.height ?? 0;
  if (p.size.shortest_edge) {
    const s = p.size.shortest_edge / Math.min(width, height);
    [w, h] = [Math.round(width * s), Math.round(height * s)];
  }
  let image = sharp(file).removeAlpha().resize(w, h, { kernel: 'cubic', fit: 'fill' });
  const crop = p.do_center_crop ? p.crop_size : { width: w, height: h };
  image = image.extract({ left: Math.floor((w - crop.width) / 2), top: Math.floor((h - crop.height) / 2), width: crop.width, height: crop.height });
  const rgb = await image.raw().toBuffer();
  const plane = crop.width * crop.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = (rgb[3 * i + c] * p.rescale_factor - p.image_mean[c]) / p.image_std[c];
  return out;
}

test('the exported folder classifies the sample with ONNX Runtime + sharp + its own JSON files, as the run does', async () => {
  const work = mkdtempSync(join(tmpdir(), 'gla-export-pipeline-'));
  const env = { ...process.env, GLA_CACHE_DIR: join(work, 'cache') };
  const data = join(work, 'shapes');
  cpSync(join(repoRoot, 'samples', 'shapes'), data, { recursive: true });
  for (const args of [['analyze', data, '--out', join(work, 'run')], ['export', join(work, 'run'), '--out', join(work, 'export')]]) {
    const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
  }
  const folder = join(work, 'export');
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
  const preprocessor = JSON.parse(readFileSync(join(folder, 'preprocessor_config.json'), 'utf8')) as Preprocessor;
  const session = await ort.InferenceSession.create(join(folder, 'onnx', 'model.onnx'));
  assert.deepEqual(session.inputNames, ['pixel_values']);
  assert.deepEqual(session.outputNames, ['logits']);
  const all = readdirSync(join(data, 'test'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.png'))
    .map((e) => join(e.parentPath, e.name));
  // The sample plants an unreadable image; the run skipped it too.
  const readable = await Promise.all(all.map((f) => sharp(f).raw().toBuffer().then(() => true, () => false)));
  const files = all.filter((_, i) => readable[i]);
  assert.equal(all.length - files.length, 1);
  assert.ok(files.length >= 90);
  const { height, width } = preprocessor.crop_size;
  const batch = new Float32Array(files.length * 3 * height * width);
  for (const [i, f] of files.entries()) batch.set(await pixelValues(f, preprocessor), i * 3 * height * width);
  const { logits } = await session.run({ pixel_values: new ort.Tensor('float32', batch, [files.length, 3, height, width]) });
  const C = Object.keys(config.id2label).length;
  assert.deepEqual(logits.dims, [files.length, C]);
  // The run's own GLA predictions of the same images.
  const lines = readFileSync(join(work, 'run', 'predictions.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const byPath = new Map(lines.slice(1).map((l) => l.split(',')).map((r) => [r[header.indexOf('path')], r[header.indexOf('gla')]]));
  let agree = 0;
  const scores = logits.data as Float32Array;
  files.forEach((f, r) => {
    let best = 0;
    for (let k = 1; k < C; k++) if (scores[r * C + k] > scores[r * C + best]) best = k;
    if (config.id2label[String(best)] === byPath.get(f.slice(data.length + 1))) agree++;
  });
  // sharp's bicubic is not PIL's, so a near-tie may flip; the classifier itself is the run's.
  assert.ok(agree / files.length >= 0.95, `agrees with the run's GLA top-1 on ${agree} of ${files.length}`);
  console.log(`pipeline without our code agrees with the run's GLA top-1 on ${agree}/${files.length} test images`);
});
