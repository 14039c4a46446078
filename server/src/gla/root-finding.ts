export interface RootResult {
  x: number;
  value: number;
  evaluations: number;
  /** 'root' when found; 'below'/'above' when f kept its sign down to lo or up to hi and x is that bound. */
  status: 'root' | 'below' | 'above';
}

/**
 * Root of an increasing function of a positive variable, searched in log x: bracket by doubling from x0,
 * then the Illinois variant of regula falsi (superlinear, never leaves the bracket).
 */
export function rootOfIncreasing(
  f: (x: number) => number,
  x0: number,
  bounds: { lo: number; hi: number },
  tolerance = { relativeX: 1e-10, absoluteF: 1e-12 },
): RootResult {
  let evaluations = 0;
  const g = (u: number): number => {
    evaluations++;
    return f(Math.exp(u));
  };
  const uLo = Math.log(bounds.lo);
  const uHi = Math.log(bounds.hi);
  let a = Math.log(x0);
  let fa = g(a);
  if (fa === 0) return { x: x0, value: 0, evaluations, status: 'root' };
  let b = a;
  let fb = fa;
  // Walk away from x0 by factors of 2 until the sign changes or a bound is reached.
  const direction = fa < 0 ? 1 : -1;
  for (;;) {
    const next = b + direction * Math.LN2;
    const clamped = direction > 0 ? Math.min(next, uHi) : Math.max(next, uLo);
    if (clamped === b) {
      return { x: Math.exp(b), value: fb, evaluations, status: direction > 0 ? 'above' : 'below' };
    }
    a = b;
    fa = fb;
    b = clamped;
    fb = g(b);
    // No early stop on a small |f| here: an f that only tends to 0 (separable data) has no root to find.
    if (fb === 0) return { x: Math.exp(b), value: fb, evaluations, status: 'root' };
    if (Math.sign(fb) !== Math.sign(fa)) break;
  }
  // Now f(a) and f(b) have opposite signs.
  let side = 0;
  for (let it = 0; it < 200; it++) {
    const u = (a * fb - b * fa) / (fb - fa);
    const fu = g(u);
    if (Math.abs(fu) <= tolerance.absoluteF || Math.abs(b - a) <= tolerance.relativeX) {
      return { x: Math.exp(u), value: fu, evaluations, status: 'root' };
    }
    if (Math.sign(fu) === Math.sign(fb)) {
      b = u;
      fb = fu;
      if (side === -1) fa /= 2;
      side = -1;
    } else {
      a = u;
      fa = fu;
      if (side === 1) fb /= 2;
      side = 1;
    }
  }
  const u = Math.abs(fa) < Math.abs(fb) ? a : b;
  return { x: Math.exp(u), value: Math.abs(fa) < Math.abs(fb) ? fa : fb, evaluations, status: 'root' };
}
