// Writing values into gla.yaml: quoted only where YAML would otherwise read them differently.
import { stringify } from 'yaml';

/** `golden retriever` stays plain; `007`, `yes: no` or `#1` come back quoted. */
export function yamlScalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** The top-level key a line belongs to: the nearest line above (or at) `line` that starts in column 0 with `key:`. */
export function enclosingTopLevelKey(lines: readonly string[], line: number): string | undefined {
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const m = /^([A-Za-z_][\w-]*)\s*:/.exec(lines[i]);
    if (m) return m[1];
    if (/^[^\s#-]/.test(lines[i])) return undefined;
  }
  return undefined;
}
