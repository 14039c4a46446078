import { parseArgs } from 'node:util';
import { UserError } from '../errors';

/** 'count' is a positive integer (batch sizes, shots): 0 or 2.5 is refused at parse time, not deep in a run. */
export type OptionKind = 'string' | 'number' | 'count' | 'boolean' | 'strings';
export type OptionSpec = Record<string, OptionKind>;

type Value<K extends OptionKind> = K extends 'number' | 'count' ? number : K extends 'boolean' ? boolean : K extends 'strings' ? string[] : string;
export type Options<S extends OptionSpec> = { [K in keyof S]?: Value<S[K]> };

export interface ParsedArgs<S extends OptionSpec> {
  options: Options<S>;
  positionals: string[];
  /** Words after a bare `--`. */
  rest: string[];
}

/** Parses `--flag value` style arguments; unknown flags and malformed numbers are user errors. */
export function parseCommandArgs<S extends OptionSpec>(command: string, argv: string[], spec: S): ParsedArgs<S> {
  const dashdash = argv.indexOf('--');
  const head = dashdash >= 0 ? argv.slice(0, dashdash) : argv;
  const rest = dashdash >= 0 ? argv.slice(dashdash + 1) : [];
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, kind] of Object.entries(spec)) {
    options[name] = kind === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: kind === 'strings' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: head, options, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UserError(`gla ${command}: ${msg.replace(/^Option '(.*?)'.*argument missing$/, "option '$1' needs a value")}`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(spec)) {
    const v = (parsed.values as Record<string, unknown>)[name];
    if (v === undefined) continue;
    if (kind === 'number' || kind === 'count') {
      const n = Number(v);
      if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) {
        throw new UserError(`gla ${command}: --${name} must be a finite number, got '${String(v)}'`);
      }
      if (kind === 'count' && !(Number.isInteger(n) && n > 0)) throw new UserError(`gla ${command}: --${name} must be a positive whole number, got '${String(v)}'`);
      out[name] = n;
    } else {
      out[name] = v;
    }
  }
  return { options: out as Options<S>, positionals: parsed.positionals, rest };
}

/** The value of a required option, or a user error naming it. */
export function required<T>(command: string, name: string, value: T | undefined): T {
  if (value === undefined) throw new UserError(`gla ${command}: --${name} is required`);
  return value;
}
