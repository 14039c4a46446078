import { join, resolve } from 'node:path';

/** The repository root (tests run from out/test/..., two levels below it once compiled). */
export const repoRoot = resolve(__dirname, '..', '..', '..');

/** ../shared beside the repository: the CLIP vocabulary and reference data (read-only, never committed). */
export const sharedDir = resolve(repoRoot, '..', 'shared');

/** Where `npm run fixtures` writes a fixture family's generated files. */
export function generatedFixtures(family: string): string {
  return join(repoRoot, 'test', 'fixtures', 'generated', family);
}

/** The bundled CLI and language server, as users run them. */
export const cliPath = join(repoRoot, 'dist', 'cli.js');
export const serverPath = join(repoRoot, 'dist', 'server.js');
