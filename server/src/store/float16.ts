// IEEE 754 half precision as raw bits (Node 20 has no Float16Array): fp16 model I/O and fp16 storage.

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The fp16 bit pattern nearest to `value` (round half to even; overflow gives infinity, NaN stays NaN). */
export function float16Bits(value: number): number {
  scratch[0] = value;
  const x = scratchBits[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal in fp16: value = m * 2^-24 with m = (1.mantissa) >> (14 - e).
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  // A carry out of the mantissa correctly bumps the exponent (and reaches infinity at the top).
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** The number an fp16 bit pattern stands for. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

let decodeTable: Float32Array | undefined;

export function float32ToFloat16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  if (dst.length < src.length) throw new RangeError(`float32ToFloat16: destination holds ${dst.length} < ${src.length}`);
  for (let i = 0; i < src.length; i++) dst[i] = float16Bits(src[i]);
  return dst;
}

export function float16ToFloat32(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  if (dst.length < src.length) throw new RangeError(`float16ToFloat32: destination holds ${dst.length} < ${src.length}`);
  // All 65 536 patterns decoded once (256 KiB): a lookup beats the arithmetic for large arrays.
  if (!decodeTable) {
    decodeTable = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) decodeTable[b] = float16Value(b);
  }
  const table = decodeTable;
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]];
  return dst;
}
