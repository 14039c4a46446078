import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy, readNpyHeader, readNpyRowsInto, serializeNpy } from '../../server/src/store/npy';
import { GlaCase } from '../helpers/gla-cases';

test('reads NumPy-written float32, float64 and int64 arrays', () => {
  const c = new GlaCase('metrics');
  const z = parseNpy(readFileSync(c.path('logits.npy')));
  assert.equal(z.dtype, 'float32');
  assert.deepEqual(z.shape, [500, 12]);
  const y = parseNpy(readFileSync(c.path('labels.npy')));
  assert.equal(y.dtype, 'int64');
  assert.deepEqual(y.shape, [500]);
  const p = parseNpy(readFileSync(new GlaCase('label-issues').path('probabilities.npy')));
  assert.equal(p.dtype, 'float64');
});

test('round-trips every supported dtype, with a 64-byte aligned header', () => {
  for (const data of [Float32Array.from([1.5, -2]), Float64Array.from([Math.PI, 1e-300]), Int32Array.from([-7, 9]), BigInt64Array.from([-3n, 2n ** 40n])]) {
    const dtype = data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : data instanceof Int32Array ? 'int32' : 'int64';
    const bytes = serializeNpy({ dtype, shape: [1, 2], data });
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    assert.equal((10 + headerLength) % 64, 0);
    const back = parseNpy(bytes);
    assert.equal(back.dtype, dtype);
    assert.deepEqual(back.shape, [1, 2]);
    assert.deepEqual(Array.from(back.data as ArrayLike<unknown>), Array.from(data as ArrayLike<unknown>));
  }
});

test('anything else is a clear error', () => {
  const header = (descr: string, extra = "'fortran_order': False, 'shape': (2,), "): Buffer => {
    const h = `{'descr': '${descr}', ${extra}}`.padEnd(118, ' ') + '\n';
    const b = Buffer.alloc(10 + h.length + 16);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(b);
    b.writeUInt16LE(h.length, 8);
    b.write(h, 10, 'latin1');
    return b;
  };
  assert.throws(() => parseNpy(Buffer.from('hello, not numpy')), /not a \.npy file/);
  assert.throws(() => parseNpy(header('<c8')), /unsupported dtype '<c8'/);
  assert.throws(() => parseNpy(header('>f4')), /big-endian/);
  assert.throws(() => parseNpy(header('<f4', "'fortran_order': True, 'shape': (2,), ")), /Fortran-ordered/);
  assert.throws(() => parseNpy(header('<f8', "'fortran_order': False, 'shape': (9,), ")), /truncated data/);
});

test('chosen rows stream into a float32 matrix in chunks, from float32 and float64 files alike', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gla-npy-rows-'));
  try {
    const rows = 7;
    const dim = 3;
    const values = Float64Array.from({ length: rows * dim }, (_, k) => k + 0.25);
    for (const dtype of ['float32', 'float64'] as const) {
      const path = join(dir, `${dtype}.npy`);
      writeFileSync(path, serializeNpy({ dtype, shape: [rows, dim], data: dtype === 'float32' ? Float32Array.from(values) : values }));
      const header = await readNpyHeader(path);
      assert.deepEqual(header.shape, [rows, dim]);
      // File rows 5, 0 and 3 into destination rows 0, 1 and 2; the rest skipped. Chunks of two rows cross every boundary.
      const target = Int32Array.from([1, -1, -1, 2, -1, 0, -1]);
      const dest = new Float32Array(3 * dim).fill(NaN);
      await readNpyRowsInto(path, header, target, dest, 2 * dim * (dtype === 'float32' ? 4 : 8));
      assert.deepEqual(Array.from(dest), [15.25, 16.25, 17.25, 0.25, 1.25, 2.25, 9.25, 10.25, 11.25]);
    }
    // A file cut short is a clear error, not zeros.
    const cut = join(dir, 'cut.npy');
    writeFileSync(cut, readFileSync(join(dir, 'float32.npy')).subarray(0, 128 + 10));
    await assert.rejects(readNpyRowsInto(cut, await readNpyHeader(cut), new Int32Array(rows).fill(0), new Float32Array(dim)), /truncated data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('float16 arrays are written as half-precision bits and read back as float32 (clip-retrieval shards)', () => {
  const values = Float32Array.from([1, -0.5, 0.333251953125, 65504, 6.103515625e-5, 0]);
  const bytes = serializeNpy({ dtype: 'float16', shape: [2, 3], data: values });
  const header = Buffer.from(bytes).toString('latin1', 10, 70);
  assert.match(header, /'descr': '<f2'/);
  assert.equal(bytes.length % 2, 0);
  const back = parseNpy(bytes);
  assert.equal(back.dtype, 'float16');
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual(Array.from(back.data as Float32Array), Array.from(values), 'values representable in fp16 round-trip exactly');
});
