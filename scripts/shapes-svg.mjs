// Coloured shapes drawn as SVG (rendered by sharp): the sample dataset and the analysis test fixtures use them.

export const COLOURS = { red: '#e6261f', green: '#2e9e44', blue: '#1f4fe6', yellow: '#f2d21b', orange: '#f28a1b', purple: '#8a2be2' };

/** mulberry32: deterministic shapes for a given seed. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A circle, square, triangle or star of a CSS colour at a random place and size on a light, tinted background. */
export function shapeSvg(shape, colour, random, size = 96) {
  const cx = size * (0.35 + 0.3 * random());
  const cy = size * (0.35 + 0.3 * random());
  const r = size * (0.22 + 0.12 * random());
  const tint = Math.round(225 + 30 * random());
  const bg = `rgb(${tint},${Math.round(tint - 10 * random())},${Math.round(tint - 20 * random())})`;
  const poly = (n, rr, rot) => Array.from({ length: n }, (_, k) => {
    const a = rot + (2 * Math.PI * k) / n;
    return `${(cx + rr * Math.cos(a)).toFixed(1)},${(cy + rr * Math.sin(a)).toFixed(1)}`;
  });
  let body;
  if (shape === 'circle') body = `<circle cx="${cx}" cy="${cy}" r="${r}"/>`;
  else if (shape === 'square') body = `<rect x="${cx - r * 0.85}" y="${cy - r * 0.85}" width="${r * 1.7}" height="${r * 1.7}"/>`;
  else if (shape === 'triangle') body = `<polygon points="${poly(3, r, -Math.PI / 2).join(' ')}"/>`;
  else if (shape === 'star') {
    const outer = poly(5, r, -Math.PI / 2);
    const inner = poly(5, r * 0.4, -Math.PI / 2 + Math.PI / 5);
    body = `<polygon points="${outer.flatMap((p, k) => [p, inner[k]]).join(' ')}"/>`;
  } else throw new Error(`unknown shape ${shape}`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="${bg}"/><g fill="${colour}">${body}</g></svg>`;
}
