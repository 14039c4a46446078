// Downloads a known model's files into <cache>/models/<id>/, with one progress over all of them, and says what to
// place by hand when the hub cannot be reached.
import { join } from 'node:path';
import { UserError } from '../../errors';
import { missingFiles, modelCacheDir } from './model-cache';
import { downloadFile, type DownloadFileOptions, type DownloadedFile } from './download';
import { HubUnreachableError, probeHubFile, type DeclaredFile } from './hub-http';
import { proxyFor } from './proxy';
import { fileUrl, filesFor, hubEndpoint, type ModelEntry, type ModelVariant, type RegistryFile } from './registry';

export { HubUnreachableError } from './hub-http';

/** Progress of a model download: `done` never decreases, except when a server that ignores Range forces a restart. */
export interface ModelDownloadProgress {
  /** The file being transferred, by its path inside the model folder. */
  file: string;
  fileDone: number;
  fileTotal?: number;
  /** Over every file this download fetches (files already in place are not counted). */
  done: number;
  total?: number;
  filesDone: number;
  filesTotal: number;
}

export interface DownloadModelOptions extends Omit<DownloadFileOptions, 'expectedSize' | 'expectedSha256' | 'onProgress'> {
  cacheDir: string;
  onProgress?: (p: ModelDownloadProgress) => void;
  /** Called once a file is in place. */
  onFile?: (file: DownloadedFile, relativePath: string) => void;
}

export interface DownloadedModel {
  dir: string;
  /** Files fetched by this call. */
  fetched: DownloadedFile[];
  /** Files that were already in place. */
  present: string[];
}

/** The message for a hub we cannot reach: every file to place by hand, where, and from which URL. */
export function offlineMessage(
  entry: ModelEntry,
  variant: ModelVariant,
  files: RegistryFile[],
  cacheDir: string,
  reason: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const dir = modelCacheDir(cacheDir, entry.id);
  const lines = [
    `${reason}. To install ${entry.id} (${variant}) by hand, place these ${files.length} file(s) in ${dir}/ keeping their sub-folders:`,
    ...files.map((f) => `  ${join(dir, f.path)}  <-  ${fileUrl(entry, f, env)}`),
    `then check the folder with: gla model verify ${dir}`,
  ];
  return lines.join('\n');
}

/**
 * Downloads the files of a model variant that are missing from <cache>/models/<id>/. The hub is asked first (HEAD)
 * for every size and sha256, so progress has an overall total and a missing file fails before the big ones start.
 */
export async function downloadModel(entry: ModelEntry, variant: ModelVariant, opts: DownloadModelOptions): Promise<DownloadedModel> {
  const env = opts.env ?? process.env;
  const dir = modelCacheDir(opts.cacheDir, entry.id);
  const all = filesFor(entry, variant);
  const missing = await missingFiles(entry, variant, opts.cacheDir);
  const present = all.filter((f) => !missing.includes(f)).map((f) => f.path);
  const fetched: DownloadedFile[] = [];
  if (missing.length === 0) return { dir, fetched, present };

  const offline = (err: HubUnreachableError, remaining: RegistryFile[]) =>
    new UserError(offlineMessage(entry, variant, remaining, opts.cacheDir, `cannot download ${entry.id}: ${err.message}`, env));

  let declared: DeclaredFile[];
  try {
    declared = await Promise.all(
      missing.map(async (f) => {
        const probe = await probeHubFile(fileUrl(entry, f, env), opts);
        if (probe.status === 404 || probe.status === 401 || probe.status === 403) {
          throw new UserError(
            probe.status === 404
              ? `the hub has no ${f.path} for ${entry.id} (HTTP 404 from ${fileUrl(entry, f, env)})`
              : `the hub refused ${fileUrl(entry, f, env)} (HTTP ${probe.status}); for a gated or private repo set HF_TOKEN`,
          );
        }
        return { size: f.size ?? probe.size, sha256: f.sha256 ?? probe.sha256 };
      }),
    );
  } catch (err) {
    if (err instanceof HubUnreachableError) throw offline(err, missing);
    throw err;
  }

  const sizes = declared.map((d) => d.size);
  const total = sizes.every((s) => s !== undefined) ? sizes.reduce((a, b) => a! + b!, 0) : undefined;
  let finishedBytes = 0;
  for (let i = 0; i < missing.length; i++) {
    const f = missing[i];
    const dest = join(dir, f.path);
    try {
      const result = await downloadFile(fileUrl(entry, f, env), dest, {
        ...opts,
        expectedSize: declared[i].size,
        expectedSha256: declared[i].sha256,
        onProgress: (p) => {
          opts.onProgress?.({
            file: f.path,
            fileDone: p.done,
            fileTotal: p.total ?? declared[i].size,
            done: finishedBytes + p.done,
            total,
            filesDone: i,
            filesTotal: missing.length,
          });
        },
      });
      finishedBytes += result.size;
      fetched.push(result);
      opts.onFile?.(result, f.path);
      opts.onProgress?.({
        file: f.path,
        fileDone: result.size,
        fileTotal: result.size,
        done: finishedBytes,
        total,
        filesDone: i + 1,
        filesTotal: missing.length,
      });
    } catch (err) {
      if (err instanceof HubUnreachableError) throw offline(err, missing.slice(i));
      throw err;
    }
  }
  return { dir, fetched, present };
}

/** A one-line description of where downloads go and through what, for logs. */
export function describeHub(env: NodeJS.ProcessEnv = process.env): string {
  const endpoint = hubEndpoint(env);
  const proxy = proxyFor(new URL(endpoint), env);
  return proxy ? `${endpoint} via proxy ${proxy.host}` : endpoint;
}
