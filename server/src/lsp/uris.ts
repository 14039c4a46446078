// File URIs at the protocol edge; everything inside the server works on absolute paths.
import { basename, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function fileUri(path: string): string {
  return pathToFileURL(resolve(path)).href;
}

/** The path of a file: URI, or undefined for other schemes (untitled:, vscode-notebook-cell:, …). */
export function uriPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** Clients spell the same file differently (%3A vs :, case of hex escapes): compare by path. */
export function uriKey(uri: string): string {
  return uriPath(uri) ?? uri;
}

/** Documents the server treats as dataset manifests: language id gla-dataset, or a file named gla.yaml / gla.yml. */
export function isManifestDocument(uri: string, languageId?: string): boolean {
  if (languageId === 'gla-dataset') return true;
  const path = uriPath(uri);
  const name = path ? basename(path) : uri.slice(uri.lastIndexOf('/') + 1);
  return name === 'gla.yaml' || name === 'gla.yml';
}
