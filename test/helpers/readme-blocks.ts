// The README's contract examples: the fenced block right after a `<!-- contract: NAME -->` line, so a test can send
// or run exactly what the documentation shows, and the two cannot drift apart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths';

export function readmeBlock(name: string, language: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const marker = `<!-- contract: ${name} -->`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no "${marker}" line`);
  const block = new RegExp(`^${marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n\`\`\`${language}\\n([\\s\\S]*?)\\n\`\`\`$`, 'm').exec(readme);
  if (!block) throw new Error(`README.md: "${marker}" must be followed at once by a \`\`\`${language} block`);
  return block[1];
}
