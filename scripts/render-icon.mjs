// The extension's icon: media/icon.svg (committed) rendered to the 128×128 PNG that package.json's "icon" names
// (dist/icon.png), because the Marketplace and VS Code want a PNG. Run by scripts/package.mjs, or alone.
import sharp from 'sharp';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ICON_SVG = join(root, 'media', 'icon.svg');
export const ICON_PNG = join(root, 'dist', 'icon.png');

/** Rasterised at 4× and scaled down, so the bars' edges are antialiased rather than jagged. */
export async function renderIcon(from = ICON_SVG, to = ICON_PNG) {
  mkdirSync(dirname(to), { recursive: true });
  const info = await sharp(from, { density: 288 }).resize(128, 128).png({ compressionLevel: 9 }).toFile(to);
  if (info.width !== 128 || info.height !== 128) throw new Error(`icon: rendered ${info.width}×${info.height}, not 128×128`);
  return to;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await renderIcon());
