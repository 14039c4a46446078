// ImageNet-shaped cases for issue 11 (1000 classes, 512-d embeddings via --embeddings): a dataset of class folders
// under train/val/test, one tiny JPEG hard-linked for every image (the run never decodes them), PREFIX.npy +
// PREFIX.json embeddings, and label errors planted in train. Written once per size into bench-data/ (git-ignored).
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../server/src/dataset/splits';
import { serializeNpy } from '../../server/src/store/npy';
import { repoRoot } from '../helpers/paths';
import { normal } from './simulated-logits';

export interface ImagenetShapedCase {
  dataset: string;
  /** PREFIX of PREFIX.npy + PREFIX.json. */
  embeddings: string;
  images: number;
  classes: number;
  dim: number;
  /** Dataset-relative paths of the train images whose folder is not their true class. */
  planted: string[];
}

export interface ImagenetShape {
  classes?: number;
  dim?: number;
  /** Images per class in train, val and test: ImageNet-shaped 20 / 5 / 25 gives 50 000 at 1000 classes. */
  perClass?: { train: number; val: number; test: number };
  /** Train images filed under a wrong class folder. */
  planted?: number;
  seed?: number;
}

/** Images of class c are norm(t_c + noise): separable classes whose probe gets ≥ 0.9 top-1 on test. */
export async function ensureImagenetShaped(shape: ImagenetShape = {}): Promise<ImagenetShapedCase> {
  const classes = shape.classes ?? 1000;
  const dim = shape.dim ?? 512;
  const perClass = shape.perClass ?? { train: 20, val: 5, test: 25 };
  const plantedCount = shape.planted ?? 100;
  const seed = shape.seed ?? 5;
  const images = classes * (perClass.train + perClass.val + perClass.test);
  const root = join(repoRoot, 'bench-data', `imagenet-shaped-v1-${images}x${classes}x${dim}-p${plantedCount}-s${seed}`);
  const dataset = join(root, 'dataset');
  const embeddings = join(root, 'embeddings');
  const plantedFile = join(root, 'planted.json');
  if (existsSync(plantedFile)) return { dataset, embeddings, images, classes, dim, planted: JSON.parse(readFileSync(plantedFile, 'utf8')) };

  const tmp = `${root}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'dataset'), { recursive: true });
  const jpeg = join(tmp, 'one.jpg');
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 120, g: 90, b: 60 } } }).jpeg().toFile(join(tmp, 'source.jpg'));
  const random = seededRandom(seed);
  const centres = new Float32Array(classes * dim);
  for (let k = 0; k < centres.length; k++) centres[k] = normal(random);
  const names = Array.from({ length: classes }, (_, c) => `n${String(c).padStart(5, '0')}`);
  const data = new Float32Array(images * dim);
  const paths: string[] = [];
  const planted: string[] = [];
  // Every `stride`-th train image is filed under the next class: its embedding stays that of its true class.
  const trainImages = classes * perClass.train;
  const stride = plantedCount ? Math.floor(trainImages / plantedCount) : Infinity;
  let trainSeen = 0;
  const row = new Float64Array(dim);
  for (const split of ['train', 'val', 'test'] as const) {
    for (let c = 0; c < classes; c++) mkdirSync(join(tmp, 'dataset', split, names[c]), { recursive: true });
    for (let c = 0; c < classes; c++) {
      for (let k = 0; k < perClass[split]; k++) {
        let norm = 0;
        for (let j = 0; j < dim; j++) {
          row[j] = centres[c * dim + j] / Math.sqrt(dim) + (0.9 / Math.sqrt(dim)) * normal(random);
          norm += row[j] * row[j];
        }
        const r = paths.length;
        for (let j = 0; j < dim; j++) data[r * dim + j] = row[j] / Math.sqrt(norm);
        let folder = c;
        if (split === 'train') {
          if (trainSeen % stride === stride - 1 && planted.length < plantedCount) folder = (c + 1) % classes;
          trainSeen++;
        }
        const relative = `${split}/${names[folder]}/img_${String(r).padStart(7, '0')}.jpg`;
        if (folder !== c) planted.push(relative);
        // ext4 allows 65 000 links to one file: a fresh copy of the JPEG every 50 000 images.
        if (r % 50_000 === 0) copyFileSync(join(tmp, 'source.jpg'), jpeg + `.${r}`);
        linkSync(jpeg + `.${r - (r % 50_000)}`, join(tmp, 'dataset', relative));
        paths.push(relative);
      }
    }
  }
  for (const f of readdirSync(tmp)) if (f.startsWith('one.jpg.') || f === 'source.jpg') rmSync(join(tmp, f));
  writeFileSync(join(tmp, 'embeddings.npy'), serializeNpy({ dtype: 'float32', shape: [images, dim], data }));
  writeFileSync(join(tmp, 'embeddings.json'), JSON.stringify({ dim, paths: paths.map((p) => `dataset/${p}`) }));
  writeFileSync(join(tmp, 'planted.json'), JSON.stringify(planted));
  rmSync(root, { recursive: true, force: true });
  renameSync(tmp, root);
  return { dataset, embeddings, images, classes, dim, planted };
}
