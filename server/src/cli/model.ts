// `gla model list | download ID | verify DIR`: the known CLIP models, fetching them into the cache, checking a folder.
import { join } from 'node:path';
import { CancelledError, UserError } from '../errors';
import { defaultCacheDir, modelsDir } from '../store/cache-dir';
import { isDirectory } from '../store/files';
import {
  MODEL_VARIANTS,
  cachedVariants,
  describeHub,
  downloadModel,
  filesFor,
  findModel,
  isModelVariant,
  listModels,
  modelCacheDir,
  verifyModelFolder,
  type ModelVariant,
  type ModelVerification,
} from '../clip/models';
import { parseCommandArgs } from './args';
import { printJson, type Command } from './command';
import { withInterrupt } from './interrupt';
import { DownloadProgressLine, formatBytes } from './download-progress';
import { printable } from './terminal-text';

const USAGE = [
  'gla model list [--cache-dir DIR] [--json]',
  '       gla model download ID [--variant fp32|quantized|fp16] [--cache-dir DIR] [--json]',
  '       gla model verify DIR|ID [--variant fp32|quantized|fp16] [--cache-dir DIR] [--json]',
].join('\n');

function variantOption(value: string | undefined): ModelVariant | undefined {
  if (value === undefined) return undefined;
  if (!isModelVariant(value)) throw new UserError(`gla model: --variant must be one of ${MODEL_VARIANTS.join(', ')}, got '${value}'`);
  return value;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

async function list(argv: string[]): Promise<number> {
  const { options, positionals } = parseCommandArgs('model list', argv, { 'cache-dir': 'string', json: 'boolean' });
  if (positionals.length) throw new UserError(`gla model list: unexpected argument '${positionals[0]}'`);
  const cacheDir = options['cache-dir'] ?? defaultCacheDir();
  const models = [];
  for (const m of listModels()) {
    models.push({
      id: m.id,
      repo: m.repo,
      description: m.description,
      dim: m.dim,
      imageSize: m.imageSize,
      logitScale: m.logitScale,
      variants: [...MODEL_VARIANTS],
      cached: await cachedVariants(m, cacheDir),
      dir: modelCacheDir(cacheDir, m.id),
    });
  }
  if (options.json) {
    printJson({ cacheDir, modelsDir: modelsDir(cacheDir), models });
    return 0;
  }
  const rows = [['id', 'dim', 'input', 'in cache', 'variants', 'repo']];
  for (const m of models) {
    rows.push([m.id, String(m.dim), String(m.imageSize), m.cached.join(', ') || '-', m.variants.join(', '), m.repo]);
  }
  process.stdout.write(`${table(rows)}\n\nmodels are cached in ${printable(modelsDir(cacheDir))}\n`);
  return 0;
}

async function download(argv: string[]): Promise<number> {
  const { options, positionals } = parseCommandArgs('model download', argv, {
    variant: 'string',
    'cache-dir': 'string',
    json: 'boolean',
  });
  if (positionals.length !== 1) throw new UserError('gla model download: give exactly one model id (see gla model list)');
  const entry = findModel(positionals[0]);
  if (!entry) {
    throw new UserError(`gla model download: unknown model '${positionals[0]}' (known: ${listModels().map((m) => m.id).join(', ')})`);
  }
  const variant = variantOption(options.variant) ?? 'fp32';
  const cacheDir = options['cache-dir'] ?? defaultCacheDir();
  const tty = Boolean(process.stderr.isTTY);
  const line = new DownloadProgressLine((t) => process.stderr.write(t), `${entry.id} (${variant})`, { tty });

  if (!options.json) process.stderr.write(`downloading ${entry.id} (${variant}) from ${describeHub()} into ${printable(modelCacheDir(cacheDir, entry.id))}\n`);
  let result;
  try {
    // First Ctrl-C cancels cleanly (the .part stays for a resume); a second one quits at once.
    result = await withInterrupt((signal) =>
      downloadModel(entry, variant, {
        cacheDir,
        signal,
        onProgress: (p) => line.update(p),
        onFile: (f, path) => {
          const checks = f.sha256Verified ? 'sha256 ok' : f.sizeVerified ? 'size ok, no sha256 declared' : 'unverified: no size or sha256 declared';
          line.note(`  ${printable(path)}  ${formatBytes(f.size)}  ${checks}`);
        },
      }),
    );
  } catch (err) {
    line.finish();
    if (err instanceof CancelledError) {
      process.stderr.write('gla model download: cancelled; partial files are kept, run the same command again to resume\n');
    }
    throw err;
  }
  line.finish();
  const fetchedBytes = result.fetched.reduce((s, f) => s + f.size, 0);
  if (options.json) {
    printJson({
      id: entry.id,
      variant,
      dir: result.dir,
      files: filesFor(entry, variant).map((f) => {
        const got = result.fetched.find((r) => r.path === join(result.dir, f.path));
        return got
          ? { path: f.path, downloaded: true, size: got.size, sha256: got.sha256, sha256Verified: got.sha256Verified }
          : { path: f.path, downloaded: false };
      }),
    });
  } else {
    const what = result.fetched.length
      ? `${result.fetched.length} file(s) downloaded, ${formatBytes(fetchedBytes)}`
      : 'all files were already there';
    process.stdout.write(`${entry.id} (${variant}) is ready in ${printable(result.dir)} (${what})\n`);
  }
  return 0;
}

function describeTower(t: { file: string; inputs: { name: string; shape: (number | string)[] }[]; outputs: { name: string; shape: (number | string)[] }[] }): string {
  const io = (v: { name: string; shape: (number | string)[] }[]) => v.map((x) => `${x.name} [${x.shape.join(',')}]`).join(', ');
  return `${printable(t.file)}: ${io(t.inputs)} -> ${io(t.outputs)}`;
}

function verificationText(v: ModelVerification): string {
  const lines = [`${printable(v.dir)}: ok${v.dim !== undefined ? `, embeddings of width ${v.dim}` : ''}${v.imageSize ? `, ${v.imageSize}×${v.imageSize} input` : ''}`];
  for (const variant of v.variants) {
    for (const t of [variant.vision, variant.text]) if (t) lines.push(`  ${variant.variant}  ${describeTower(t)}`);
  }
  return lines.join('\n');
}

async function verify(argv: string[]): Promise<number> {
  const { options, positionals } = parseCommandArgs('model verify', argv, {
    variant: 'string',
    'cache-dir': 'string',
    json: 'boolean',
  });
  if (positionals.length !== 1) throw new UserError('gla model verify: give exactly one model folder (or a known id, for its cache folder)');
  let dir = positionals[0];
  if (!(await isDirectory(dir))) {
    const entry = findModel(dir);
    if (entry) dir = modelCacheDir(options['cache-dir'] ?? defaultCacheDir(), entry.id);
  }
  const result = await verifyModelFolder(dir, { variant: variantOption(options.variant) });
  if (options.json) {
    printJson(result);
    return result.ok ? 0 : 1;
  }
  if (result.ok) {
    process.stdout.write(`${verificationText(result)}\n`);
    return 0;
  }
  const n = result.problems.length;
  const lines = result.problems.map((p) => `  ${p.file}: ${p.message}`);
  throw new UserError(`gla model verify: ${dir} has ${n} problem${n === 1 ? '' : 's'}:\n${lines.join('\n')}`, 1);
}

export const modelCommand: Command = {
  name: 'model',
  summary: 'list the known CLIP models, download one into the cache, or verify a model folder',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'list':
        return list(rest);
      case 'download':
        return download(rest);
      case 'verify':
        return verify(rest);
      default:
        throw new UserError(
          sub ? `gla model: unknown subcommand '${sub}' (expected list, download or verify)` : `gla model: missing subcommand\nusage: ${USAGE}`,
        );
    }
  },
};
