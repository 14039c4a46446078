// The users' README as the VSIX carries it (dist/readme.md): media/marketplace/README.md with each image inlined as
// a data: URI. VS Code's extension page loads only https: and data: images, and an installed VSIX must show its
// pictures offline, so the committed screenshots travel inside the README itself (downscaled JPEG, ~100 KB each).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const WIDTH = 1000;

/** Writes dist/readme.md from `source` (images linked from the repository root, /path); returns its path. */
export async function writeUsersReadme(root, source) {
  const markdown = readFileSync(join(root, source), 'utf8');
  const images = [...markdown.matchAll(/!\[([^\]]*)\]\((\/[^)\s]+)\)/g)];
  let out = markdown;
  for (const [whole, alt, link] of images) {
    const jpeg = await sharp(join(root, link)).resize({ width: WIDTH, withoutEnlargement: true }).flatten({ background: '#ffffff' }).jpeg({ quality: 82 }).toBuffer();
    out = out.replace(whole, `![${alt}](data:image/jpeg;base64,${jpeg.toString('base64')})`);
  }
  const path = join(root, 'dist', 'readme.md');
  writeFileSync(path, out);
  return { path: 'dist/readme.md', images: images.length, bytes: Buffer.byteLength(out) };
}
