// Photo-like 500×375 JPEGs for the end-to-end benchmark, generated once into bench-data/jpegs/ (git-ignored).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../server/src/dataset/splits';
import { repoRoot } from '../helpers/paths';

export const photosDir = join(repoRoot, 'bench-data', 'jpegs');

/**
 * Smooth colour gradients, a few blobs with edges, and sensor-like noise: JPEG decodes as hard as a real photo's.
 * `palette` (0..1 per channel) tints the base colour, so photos of one class look alike, as real classes do.
 */
async function photo(seed: number, palette?: number[], width = 500, height = 375): Promise<Buffer> {
  const random = seededRandom(seed);
  const pixels = Buffer.alloc(width * height * 3);
  const base = [random(), random(), random()].map((v, k) => 60 + 150 * (palette ? 0.7 * palette[k] + 0.3 * v : v));
  // Scaled with the width, so a 12 MP photo has the same scene as a 500×375 one, at 8× the detail per object.
  const zoom = width / 500;
  const slope = [random() - 0.5, random() - 0.5, random() - 0.5].map((v) => v / zoom);
  const blobs = Array.from({ length: 6 }, () => ({ x: random() * width, y: random() * height, r: zoom * (20 + random() * 90), c: [random(), random(), random()].map((v) => 255 * v) }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      let c = [0, 1, 2].map((k) => base[k] + slope[k] * (x - y) * 0.3);
      for (const b of blobs) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r * b.r) c = b.c;
      for (let k = 0; k < 3; k++) pixels[o + k] = Math.max(0, Math.min(255, c[k] + (random() - 0.5) * 24));
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 88 }).toBuffer();
}

/** Writes photo `seed` to `path` atomically (so an interrupted benchmark never leaves half a JPEG). */
export async function writePhoto(path: string, seed: number, palette?: number[]): Promise<void> {
  const tmp = `${path}.tmp`;
  await sharp(await photo(seed, palette)).toFile(tmp);
  rmSync(path, { force: true });
  renameSync(tmp, path);
}

/** `count` photos named <prefix>-NNNN.jpg in `dir`, generating any that are missing. */
export async function ensurePhotos(count: number, dir = photosDir, prefix = 'photo', seedBase = 1000, palette?: number[]): Promise<string[]> {
  const names = Array.from({ length: count }, (_, k) => `${prefix}-${String(k).padStart(4, '0')}.jpg`);
  const have = existsSync(dir) ? new Set(readdirSync(dir)) : new Set<string>();
  mkdirSync(dir, { recursive: true });
  for (const [k, name] of names.entries()) if (!have.has(name)) await writePhoto(join(dir, name), seedBase + k, palette);
  return names.map((n) => join(dir, n));
}

/**
 * `count` phone-sized 4032×3024 JPEGs (quality 90) in `dir`, the last one stored landscape with EXIF orientation 6
 * (upright portrait), as phones write them; generated once.
 */
export async function ensureLargePhotos(count: number, dir: string): Promise<string[]> {
  const names = Array.from({ length: count }, (_, k) => `photo-12mp-${String(k).padStart(2, '0')}${k === count - 1 ? '-exif6' : ''}.jpg`);
  const have = existsSync(dir) ? new Set(readdirSync(dir)) : new Set<string>();
  mkdirSync(dir, { recursive: true });
  for (const [k, name] of names.entries()) {
    if (have.has(name)) continue;
    const raw = await sharp(await photo(50_000 + k, undefined, 4032, 3024)).raw().toBuffer({ resolveWithObject: true });
    const tmp = join(dir, `${name}.tmp`);
    const jpeg = sharp(raw.data, { raw: raw.info }).jpeg({ quality: 90 });
    await (name.includes('exif6') ? jpeg.withMetadata({ orientation: 6 }) : jpeg).toFile(tmp);
    rmSync(join(dir, name), { force: true });
    renameSync(tmp, join(dir, name));
  }
  return names.map((n) => join(dir, n));
}
