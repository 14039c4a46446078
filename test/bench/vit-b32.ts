// The benchmark's ViT-B/32-shaped model: generated once into bench-data/vit-b32/ (git-ignored) by a committed script.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths';

export const vitB32Dir = join(repoRoot, 'bench-data', 'vit-b32-v2');
const generator = join(repoRoot, 'test', 'bench', 'models', 'generate-vitb32.py');

/** The model folder, generating it (about 10 s, 430 MiB) when missing. */
export function ensureVitB32Model(dir: string = vitB32Dir): string {
  const files = ['vision_model.onnx', 'vision_model_quantized.onnx', 'text_model.onnx'].map((f) => join(dir, 'onnx', f));
  if (files.every((f) => existsSync(f))) return dir;
  const python = process.env.GLA_PYTHON || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  // The generator's report goes to stderr: stdout carries only the benchmark's JSON lines.
  const r = spawnSync(python, [generator, dir], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`${generator} failed (exit ${r.status ?? r.signal}); it needs python3 with onnx and numpy`);
  return dir;
}
