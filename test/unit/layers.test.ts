/**
 * The shape of src/, checked on its import graph (type imports included): each layer imports
 * only from layers below it, and outside the decision core no file imports itself back through
 * others. (Inside src/core the modules are functions over one context that call each other,
 * like raft's files of one package; its boundary is kept by the lint rule instead.)
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SRC = join(ROOT, 'src');

/** Which layers each layer may import from (itself included). */
const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  resp: ['resp'],
  node: ['node', 'core', 'resp'],
  sentinel: ['sentinel', 'core', 'resp', 'node'],
  rollout: ['rollout', 'core', 'node', 'resp'],
  http: ['http', 'core', 'node', 'sentinel', 'resp'],
  cli: ['cli', 'core', 'node', 'rollout', 'sentinel', 'resp', 'http'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'/g)) {
    out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

const layer = (file: string) => relative(SRC, file).split('/')[0]!;
const graph = new Map(files(SRC).map((f) => [f, imports(f)]));

describe('layers of src/', () => {
  it('every folder is a known layer', () => {
    for (const f of graph.keys()) assert.ok(ALLOWED[layer(f)], `${relative(ROOT, f)}: unknown layer`);
  });

  it('a layer imports only from the layers below it', () => {
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      for (const d of deps) {
        if (!ALLOWED[layer(f)]?.includes(layer(d))) bad.push(`${relative(SRC, f)} -> ${relative(SRC, d)}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('outside src/core, no import cycle', () => {
    const outside = [...graph.keys()].filter((f) => layer(f) !== 'core');
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].map((x) => relative(SRC, x)).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const d of graph.get(f) ?? []) if (layer(d) !== 'core') visit(d, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of outside) visit(f, []);
    assert.deepEqual(cycles, []);
  });
});
