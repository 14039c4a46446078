import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { writeClipRetrievalFolder } from '../engine/precomputed/clip-retrieval-writer';
import { UserError } from '../errors';
import { parseExecutionProviderRequest } from '../clip/inference/execution-providers';
import { isModelVariant } from '../clip/models';
import { collectImagePaths } from '../dataset/image-files';
import { embedWithModel } from '../engine/embed-with-model';
import { DEFAULT_MODEL, openModel } from '../engine/open-model';
import { writeFileAtomic } from '../store/atomic-write';
import { defaultCacheDir } from '../store/cache-dir';
import { writeNpy } from '../store/npy';
import { parseCommandArgs, required } from './args';
import { printJson, type Command } from './command';
import { DownloadProgressLine } from './download-progress';
import { withInterrupt } from './interrupt';
import { ProgressBar } from './progress-bar';
import { printable } from './terminal-text';

const USAGE = `gla embed --model DIR|ID PATH... --out PREFIX [--batch-size N] [--provider auto|cpu|cuda|dml|coreml|webgpu]
          [--variant fp32|quantized|fp16] [--cache-dir DIR] [--json]
          [--format gla|clip-retrieval [--shard-size N]] [--exact-decode]

Embeds images with CLIP's image tower into PREFIX.npy (N × D float32, rows in the order of PREFIX.json's
"paths") and PREFIX.json {model, dim, paths, failed}. PATHs are image files or folders (searched recursively).
Embeddings are cached by content, so a second run over the same images is fast; unreadable files are listed in
"failed" with the reason, and the rest are embedded. --format clip-retrieval writes clip-retrieval's layout into
the new folder --out: img_emb/img_emb_{i}.npy (L2-normalised float16) and metadata/metadata_{i}.parquet
(image_path), --shard-size rows per shard (default 1000000, clip-retrieval's write_batch_size). Large JPEG and
WebP photos are decoded at 1/2, 1/4 or 1/8 scale while at least 1.5× the model's input (cosine ≥ 0.9997 with
PIL's pixels); --exact-decode decodes every pixel, as PIL does (PREFIX.json's "decode" says which).`;

export const embedCommand: Command = {
  name: 'embed',
  summary: 'embed images with CLIP into PREFIX.npy + PREFIX.json',
  usage: USAGE,
  async run(argv) {
    const { options, positionals } = parseCommandArgs('embed', argv, {
      model: 'string',
      out: 'string',
      'batch-size': 'count',
      provider: 'string',
      variant: 'string',
      'cache-dir': 'string',
      json: 'boolean',
      format: 'string',
      'shard-size': 'count',
      'exact-decode': 'boolean',
    });
    const format = options.format ?? 'gla';
    if (format !== 'gla' && format !== 'clip-retrieval') throw new UserError(`gla embed: --format takes gla or clip-retrieval, got '${format}'`);
    if (options['shard-size'] !== undefined && format !== 'clip-retrieval') throw new UserError('gla embed: --shard-size applies to --format clip-retrieval');
    const prefix = required('embed', 'out', options.out).replace(/\.(npy|json)$/, '');
    if (positionals.length === 0) throw new UserError('gla embed: give at least one image file or folder');
    if (options.variant && !isModelVariant(options.variant)) throw new UserError(`gla embed: --variant must be fp32, quantized or fp16`);
    const batchSize = options['batch-size'];
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) throw new UserError('gla embed: --batch-size must be a positive integer');
    const provider = parseExecutionProviderRequest(options.provider ?? 'auto');
    const cacheDir = options['cache-dir'] ?? defaultCacheDir();
    // A clip-retrieval folder is written whole or not at all: an existing one is refused before any image is embedded.
    if (format === 'clip-retrieval' && (await stat(prefix).then(() => true, () => false))) throw new UserError(`gla embed: --out ${options.out} already exists; give a new folder (nothing was written)`);
    const { paths, problems } = await collectImagePaths(positionals);
    if (paths.length === 0) throw new UserError(`gla embed: no image files found in ${positionals.join(', ')}`);

    return withInterrupt(async (signal) => {
      const started = Date.now();
      const download = new DownloadProgressLine((t) => process.stderr.write(t), 'downloading model', { tty: Boolean(process.stderr.isTTY) });
      const model = await openModel(options.model ?? DEFAULT_MODEL, {
        cacheDir,
        variant: options.variant as never,
        allowDownload: true,
        decode: options['exact-decode'] ? 'exact' : 'shrink-on-load',
        signal,
        onProgress: (p) => download.update(p),
      });
      download.finish();
      const bar = new ProgressBar('embedding', 'img');
      const result = await embedWithModel(paths, model, {
        cacheDir,
        provider,
        batchSize,
        signal,
        onProgress: (done, total, cached) => bar.update(done, total, cached ? `${cached} cached` : '', cached),
      }).finally(() => bar.finish());
      if (result.paths.length === 0) throw new UserError(`gla embed: none of the ${paths.length} images could be read (first error: ${result.failed[0]?.path}: ${result.failed[0]?.error})`);
      const manifest = {
        model: model.folder.id,
        dim: result.dim,
        paths: result.paths,
        failed: [...problems, ...result.failed],
        variant: model.folder.variant,
        decode: model.config.decode,
        executionProvider: result.executionProvider,
        cached: result.cached,
        computed: result.computed,
        seconds: (Date.now() - started) / 1000,
      };
      const shards = format === 'clip-retrieval'
        ? await writeClipRetrievalFolder(prefix, { paths: result.paths.map((p) => resolve(p)), embeddings: result.embeddings, dim: result.dim }, options['shard-size'])
        : undefined;
      if (!shards) {
        await writeNpy(`${prefix}.npy`, { dtype: 'float32', shape: [result.paths.length, result.dim], data: result.embeddings });
        await writeFileAtomic(`${prefix}.json`, JSON.stringify(manifest, null, 2) + '\n');
      }
      if (options.json) {
        printJson(manifest);
      } else {
        const where = printable(dirname(prefix) === '.' ? basename(prefix) : prefix);
        process.stderr.write(
          `embedded ${result.paths.length} images (${result.cached} from cache, ${result.computed} computed on ${manifest.executionProvider}) ` +
            `into ${shards ? `${where}/ (${shards.length / 2} clip-retrieval shard${shards.length > 2 ? 's' : ''}, float16)` : `${where}.npy`} (${result.paths.length} × ${result.dim}) in ${manifest.seconds.toFixed(1)} s\n`,
        );
        for (const f of manifest.failed) process.stderr.write(`  skipped ${printable(f.path)}: ${printable(f.error)}\n`);
      }
      return 0;
    });
  },
};
