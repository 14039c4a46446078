// Position arithmetic over plain ranges (manifest ranges and LSP ranges share the shape).
import type { SourcePosition, SourceRange } from '../../dataset/manifest';

export function comparePositions(a: SourcePosition, b: SourcePosition): number {
  return a.line - b.line || a.character - b.character;
}

/** Whether `p` lies in `r`, both ends included (a cursor just after a word still hovers it). */
export function rangeContains(r: SourceRange, p: SourcePosition): boolean {
  return comparePositions(r.start, p) <= 0 && comparePositions(p, r.end) <= 0;
}

export function rangesIntersect(a: SourceRange, b: SourceRange): boolean {
  return comparePositions(a.start, b.end) <= 0 && comparePositions(b.start, a.end) <= 0;
}
