/** Summaries and tables of the benchmarks' figures. */

/** Median with min and max. */
export interface Stat {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function stat(xs: readonly number[]): Stat | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median, min: s[0]!, max: s[s.length - 1]! };
}

/** The q-quantile by nearest rank (q = 0.9: p90). */
export function nearestRank(xs: readonly number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)];
}

/** A figure read from each run; runs without it are left out of its summary. */
export interface Metric<R> {
  label: string;
  get: (run: R) => number | undefined;
}

/** Each metric's summary over the runs, by label. */
export function statsOf<R>(
  runs: readonly R[],
  metrics: readonly Metric<R>[],
): Record<string, Stat | undefined> {
  return Object.fromEntries(
    metrics.map((m) => [m.label, stat(runs.map(m.get).filter((x): x is number => x !== undefined))]),
  );
}

/** a / b with two decimals; undefined when either is missing or b is not positive. */
export function ratio(a: number | undefined, b: number | undefined): string | undefined {
  return a !== undefined && b !== undefined && b > 0 ? (a / b).toFixed(2) : undefined;
}

export function fmt(x: number | undefined, digits = 0): string {
  if (x === undefined) return '-';
  return digits === 0 ? String(Math.round(x)) : x.toFixed(digits);
}

function widths(header: readonly string[], rows: readonly (readonly string[])[], least = 0): number[] {
  return header.map((h, i) => Math.max(least, h.length, ...rows.map((r) => (r[i] ?? '').length)));
}

function cells(row: readonly string[], w: readonly number[]): string[] {
  return row.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!)));
}

/** A plain table: the first column left-aligned, the others right-aligned, a rule under the header. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = widths(header, rows);
  const line = (row: readonly string[]): string => cells(row, w).join('  ');
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** A Markdown table, padded so that it reads as well in a terminal; columns after the first right-aligned. */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = widths(header, rows, 3);
  const line = (row: readonly string[]): string => `| ${cells(row, w).join(' | ')} |`;
  const rule = `| ${w.map((n, i) => (i === 0 ? '-'.repeat(n) : `${'-'.repeat(n - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
