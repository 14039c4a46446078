// The release's version, package.json's "version": esbuild writes it into dist/ (scripts/bundle.mjs); the tsc output
// under out/ has no define, so it reads the package.json above it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

declare const VERSION_FROM_BUNDLE: string | undefined;

const PACKAGE_NAME = 'gla-studio';

/** Walks up from this file to our own package.json (not a dataset's or a dependency's). */
function versionFromPackageJson(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json here, or not JSON: keep climbing.
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

export const VERSION: string = typeof VERSION_FROM_BUNDLE === 'string' ? VERSION_FROM_BUNDLE : versionFromPackageJson();
