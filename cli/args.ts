/** node:util parseArgs with errors turned into UsageError (exit 2) and typed value checks. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(argv: readonly string[], options: OptionSpec, usage: string, allowPositionals = false): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(parseArgsMessage(e.code, e.message ?? String(err), options), usage);
    }
    throw err;
  }
}

/** Node's messages, minus hints about positionals (we take none), plus a did-you-mean. */
function parseArgsMessage(code: string, message: string, options: OptionSpec): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /^Unknown option '(-{1,2})([^'=]*)/.exec(lines[0] ?? '');
    const first = (lines[0] ?? message).replace(/\. To specify a positional.*$/, '').replace(/\.$/, '');
    const guess = m ? closest(m[2]!, Object.keys(options)) : undefined;
    return guess ? `${first.replace(/^Unknown/, 'unknown')} (did you mean --${guess}?)` : first.replace(/^Unknown/, 'unknown');
  }
  return lines.join(' ').replace(/\.$/, '');
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export class Opts {
  constructor(
    private readonly values: Parsed['values'],
    private readonly usage: string,
  ) {}

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value`, this.usage);
    return v;
  }

  required(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw new UsageError(`missing --${name}`, this.usage);
    return v;
  }

  number(name: string, check: (n: number) => boolean = Number.isFinite, what = 'a number'): number | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    const n = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s.trim()) ? Number(s) : NaN;
    if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what} (got '${s}')`, this.usage);
    return n;
  }

  integer(name: string, min: number, max?: number): number | undefined {
    if (max === undefined) return this.number(name, (n) => Number.isInteger(n) && n >= min, `a whole number >= ${min}`);
    return this.number(name, (n) => Number.isInteger(n) && n >= min && n <= max, `a whole number from ${min} to ${max}`);
  }

  choice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    if (!(choices as readonly string[]).includes(s)) {
      throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got '${s}')`, this.usage);
    }
    return s as T;
  }

  date(name: string): Date | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
    if (!m || !d || d.getUTCDate() !== Number(m[3]) || d.getUTCMonth() !== Number(m[2]) - 1) {
      throw new UsageError(`--${name} must be a date YYYY-MM-DD (got '${s}')`, this.usage);
    }
    return d;
  }
}
