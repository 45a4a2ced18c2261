/** Command-line options of the benchmarks: strict parsing, --help, checked numbers and lists, the reproduce line. */
import { parseArgs } from 'node:util';

/**
 * Parses `--name value` options: those in `defaults` always have a value, those in `optional`
 * may be absent. Unknown options and positional arguments throw; --help / -h prints `usage` and
 * exits.
 */
export function readOptions<D extends Record<string, string>, O extends string = never>(
  argv: string[],
  usage: string,
  defaults: D,
  optional: readonly O[] = [],
): { [K in keyof D]: string } & { [K in O]?: string | undefined } {
  const options: Record<string, { type: 'string'; default?: string } | { type: 'boolean'; short: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, value] of Object.entries(defaults)) options[name] = { type: 'string', default: value };
  for (const name of optional) options[name] = { type: 'string' };
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values['help'] === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return values as { [K in keyof D]: string } & { [K in O]?: string | undefined };
}

export function intOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return n;
}

/**
 * A comma-separated list of known names, in the canonical order of `known` so that the
 * alternation of runs and the tables do not depend on how the list was spelt.
 */
export function listOption<T extends string>(name: string, text: string, known: readonly T[]): T[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of items) {
    if (!(known as readonly string[]).includes(s)) {
      throw new Error(`--${name}: unknown '${s}' (known: ${known.join(', ')})`);
    }
  }
  if (items.length === 0) throw new Error(`--${name}: nothing given`);
  return known.filter((k) => items.includes(k));
}

/** The command that runs the bench again with the same options (printed at the start and the end). */
export function reproduceCommand(
  script: string,
  options: readonly [string, string | number][],
  json: string | undefined,
): string {
  const parts = [`node dist/bench/${script}`, ...options.map(([name, value]) => `--${name} ${value}`)];
  if (json !== undefined) parts.push(`--json ${json}`);
  return parts.join(' ');
}
