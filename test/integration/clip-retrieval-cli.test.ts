// `gla analyze --embeddings DIR` on clip-retrieval's output folder (round-robin float16 shards, parquet metadata
// written by DuckDB, not by our reader's library), `gla embed --format clip-retrieval`, and the bad shards, each one
// clear line naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { cliPath, generatedFixtures } from '../helpers/paths';
import { duckdbReadColumn, duckdbWriteParquet } from '../helpers/duckdb-parquet';
import { parseNpy, serializeNpy } from '../../server/src/store/npy';

const dataset = join(generatedFixtures('finetuned'), 'shapes-dataset');
const clip = join(generatedFixtures('models'), 'tiny-clip');
const temp = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));
const readJson = (path: string): any => JSON.parse(readFileSync(path, 'utf8'));

function gla(cache: string, ...args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, GLA_CACHE_DIR: cache } });
}

/** Our float32 PREFIX of the dataset's embeddings (paths absolute). */
function embedPrefix(cache: string): { prefix: string; paths: string[]; rows: Float32Array; dim: number } {
  const prefix = join(temp('gla-emb-'), 'emb');
  const r = gla(cache, 'embed', '--model', clip, dataset, '--out', prefix);
  assert.equal(r.status, 0, r.stderr);
  const manifest = readJson(`${prefix}.json`);
  const npy = parseNpy(readFileSync(`${prefix}.npy`));
  return { prefix, paths: manifest.paths, rows: npy.data as Float32Array, dim: npy.shape[1] };
}

/**
 * clip-retrieval's layout as its Spark job writes it: `shards` partitions round-robin over the sorted paths, rows
 * L2-normalised float16, image_path as the cluster saw it (another root) and a caption column, parquet by DuckDB.
 */
async function clipRetrievalFolder(source: ReturnType<typeof embedPrefix>, shards: number): Promise<string> {
  const dir = join(temp('gla-cr-'), 'out');
  mkdirSync(join(dir, 'img_emb'), { recursive: true });
  mkdirSync(join(dir, 'metadata'));
  const order = source.paths.map((_, i) => i).sort((a, b) => (source.paths[a] < source.paths[b] ? -1 : 1));
  const digits = String(shards).length;
  for (let s = 0; s < shards; s++) {
    const rows = order.filter((_, k) => k % shards === s);
    const data = new Float32Array(rows.length * source.dim);
    rows.forEach((i, k) => {
      const row = source.rows.subarray(i * source.dim, (i + 1) * source.dim);
      const norm = Math.hypot(...row);
      row.forEach((v, d) => (data[k * source.dim + d] = v / norm));
    });
    const index = String(s).padStart(digits, '0');
    writeFileSync(join(dir, 'img_emb', `img_emb_${index}.npy`), serializeNpy({ dtype: 'float16', shape: [rows.length, source.dim], data }));
    await duckdbWriteParquet(join(dir, 'metadata', `metadata_${index}.parquet`), {
      image_path: rows.map((i) => `/mnt/cluster/data/shapes-dataset/${relative(dataset, source.paths[i])}`),
      caption: rows.map((i) => `a photo of a ${basename(join(source.paths[i], '..')).replace('_', ' ')}`),
    });
  }
  return dir;
}

function analyze(cache: string, embeddings: string) {
  const out = join(temp('gla-run-'), 'run');
  const r = gla(cache, 'analyze', dataset, '--model', clip, '--embeddings', embeddings, '--out', out);
  return { r, report: r.status === 0 ? readJson(join(out, 'report.json')) : undefined };
}

function assertSameAnalysis(a: any, b: any): void {
  const dq = Math.max(...a.classes.map((c: any, j: number) => Math.abs(c.logPrior - b.classes[j].logPrior)));
  assert.ok(dq <= 0.05, `max |Δ log q| = ${dq}`);
  for (const k of ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla']) assert.ok(Math.abs(a.metrics[k].top1 - b.metrics[k].top1) <= 0.02, `${k}: ${a.metrics[k].top1} vs ${b.metrics[k].top1}`);
  assert.equal(a.failed.length, b.failed.length, 'no more failed images');
}

test('a clip-retrieval folder (3 round-robin float16 shards, DuckDB parquet) gives the analysis of the same embeddings as a float32 PREFIX', async () => {
  const cache = temp('gla-cache-');
  const source = embedPrefix(cache);
  const dir = await clipRetrievalFolder(source, 3);
  const fromPrefix = analyze(cache, source.prefix);
  const fromFolder = analyze(cache, dir);
  assert.equal(fromPrefix.r.status, 0, fromPrefix.r.stderr);
  assert.equal(fromFolder.r.status, 0, fromFolder.r.stderr);
  assertSameAnalysis(fromFolder.report, fromPrefix.report);
  assert.equal(fromFolder.report.embeddings.computed, 0, 'nothing is embedded when the folder has every image');
});

test('gla embed --format clip-retrieval writes that layout: DuckDB reads its parquet, rows are unit float16, and analyze reads it back', async () => {
  const cache = temp('gla-cache-');
  const source = embedPrefix(cache);
  const out = join(temp('gla-cr-'), 'mine');
  const r = gla(cache, 'embed', '--model', clip, dataset, '--out', out, '--format', 'clip-retrieval', '--shard-size', '200');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(join(out, 'img_emb')), ['img_emb_0.npy', 'img_emb_1.npy', 'img_emb_2.npy']);
  assert.deepEqual(readdirSync(join(out, 'metadata')), ['metadata_0.parquet', 'metadata_1.parquet', 'metadata_2.parquet']);
  const paths: string[] = [];
  for (let s = 0; s < 3; s++) {
    const column = await duckdbReadColumn(join(out, 'metadata', `metadata_${s}.parquet`), 'image_path');
    const npy = parseNpy(readFileSync(join(out, 'img_emb', `img_emb_${s}.npy`)));
    assert.equal(npy.dtype, 'float16');
    assert.equal(npy.shape[0], column.length, `shard ${s}: npy rows = parquet rows`);
    for (let i = 0; i < npy.shape[0]; i++) {
      const norm = Math.hypot(...(npy.data as Float32Array).subarray(i * npy.shape[1], (i + 1) * npy.shape[1]));
      assert.ok(Math.abs(norm - 1) < 2e-3, `shard ${s} row ${i}: norm ${norm}`);
    }
    paths.push(...column);
  }
  assert.deepEqual(paths, source.paths, 'every image, in order, by its absolute path');
  assertSameAnalysis(analyze(cache, out).report, analyze(cache, source.prefix).report);
  const again = gla(cache, 'embed', '--model', clip, dataset, '--out', out, '--format', 'clip-retrieval');
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists; give a new folder \(nothing was written\)/);
});

test('bad shards: one clear line naming the file; NaN rows are failed images, not a failed run', async () => {
  const cache = temp('gla-cache-');
  const source = embedPrefix(cache);
  const good = await clipRetrievalFolder(source, 3);
  const broken = async (edit: (dir: string) => Promise<void> | void): Promise<string> => {
    const dir = join(temp('gla-bad-'), 'out');
    cpSync(good, dir, { recursive: true });
    await edit(dir);
    return dir;
  };
  const npyOf = (dir: string, s: number) => parseNpy(readFileSync(join(dir, 'img_emb', `img_emb_${s}.npy`)));
  const cases: [string, string, RegExp][] = [
    ['rows differ', await broken((d) => {
      const a = npyOf(d, 1);
      writeFileSync(join(d, 'img_emb', 'img_emb_1.npy'), serializeNpy({ dtype: 'float16', shape: [a.shape[0] - 1, a.shape[1]], data: (a.data as Float32Array).slice(a.shape[1]) }));
    }), /metadata_1\.parquet has \d+ rows but .*img_emb_1\.npy has \d+: row r of one must be row r of the other/],
    ['no image_path column', await broken((d) => duckdbWriteParquet(join(d, 'metadata', 'metadata_2.parquet'), { caption: Array(npyOf(d, 2).shape[0]).fill('x') })), /metadata_2\.parquet: no 'image_path' column \(its columns: caption\)/],
    ['a corrupt footer', await broken((d) => truncateSync(join(d, 'metadata', 'metadata_0.parquet'), 40)), /metadata_0\.parquet: not a readable parquet file/],
    ['not parquet at all', await broken((d) => writeFileSync(join(d, 'metadata', 'metadata_1.parquet'), 'image_path\n/a.png\n')), /metadata_1\.parquet: not a readable parquet file/],
    ['a shard without its metadata', await broken((d) => writeFileSync(join(d, 'img_emb', 'img_emb_3.npy'), serializeNpy({ dtype: 'float16', shape: [1, source.dim], data: new Float32Array(source.dim) }))), /img_emb_3\.npy: no metadata\/metadata_3\.parquet beside it/],
    ['another model\'s dimension', await broken((d) => {
      for (let s = 0; s < 3; s++) {
        const a = npyOf(d, s);
        writeFileSync(join(d, 'img_emb', `img_emb_${s}.npy`), serializeNpy({ dtype: 'float16', shape: [a.shape[0], 16], data: new Float32Array(a.shape[0] * 16).fill(0.25) }));
      }
    }), /are 16-dimensional but model .*'s text tower is 32-dimensional: give --model the model that made them/],
  ];
  for (const [what, dir, message] of cases) {
    const out = join(temp('gla-run-'), 'run');
    const r = gla(cache, 'analyze', dataset, '--model', clip, '--embeddings', dir, '--out', out);
    assert.equal(r.status, 2, `${what}: exit ${r.status}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('gla:'));
    assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
    assert.match(lines[0], message, what);
  }
  // Two NaN rows in shard 0: those two images are failed, with the file named; the run completes.
  const nan = await broken((d) => {
    const a = npyOf(d, 0);
    const data = a.data as Float32Array;
    data[0] = NaN;
    data[3 * a.shape[1] + 5] = NaN;
    writeFileSync(join(d, 'img_emb', 'img_emb_0.npy'), serializeNpy({ dtype: 'float16', shape: a.shape, data }));
  });
  const { r, report } = analyze(cache, nan);
  assert.equal(r.status, 0, r.stderr);
  const failed = report.failed.filter((f: any) => /img_emb_0\.npy has NaN or infinite values/.test(f.error));
  assert.equal(failed.length, 2, JSON.stringify(report.failed));
});
