// A config rewrite must never leave a torn file behind: a child process rewrites a large config
// over and over with writeFileAtomic, and is SIGKILLed at random moments. After each kill the file
// must parse and hold exactly the last content the child reported written, or the next one.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseConfig } from '../../src/sentinel/config/parse.js';
import { renderConfig, writeFileAtomic } from '../../src/sentinel/config/rewrite.js';
import type { SentinelConfig } from '../../src/sentinel/config/model.js';

const KILLS = 200;
const DEADLINE_MS = 150_000;

/** Generation `g` of the config. Runs in the child too (passed as source), so it stays self-contained. */
function mutate(cfg: SentinelConfig, g: number): SentinelConfig {
  cfg.currentEpoch = g;
  let i = 0;
  for (const m of cfg.masters.values()) {
    m.configEpoch = g;
    m.leaderEpoch = g;
    m.knownReplicas = [];
    // The file's length changes with the generation, so a mix of two would show.
    for (let r = 0; r < (g + i) % 9; r++)
      m.knownReplicas.push({ host: `10.${i % 250}.${r}.${g % 250}`, port: 6379 + r });
    i++;
  }
  return cfg;
}

function baseConfig(): string {
  const lines = ['# Vigil kill test: a large sentinel.conf', 'port 26379', `sentinel myid ${'f'.repeat(40)}`];
  for (let i = 0; i < 30; i++) {
    // Comments make the file large (several hundred KB) while keeping each render cheap.
    for (let c = 0; c < 60; c++)
      lines.push(`# master ${i}, note ${c}: ${'lorem ipsum dolor sit amet '.repeat(4)}`);
    lines.push(`sentinel monitor master-${i} 10.1.${i}.1 ${6379 + i} 2`);
    lines.push(`sentinel down-after-milliseconds master-${i} ${5000 + i}`);
    lines.push(`sentinel auth-pass master-${i} password-${i}-${'x'.repeat(40)}`);
    for (let s = 0; s < 4; s++) {
      lines.push(`sentinel known-sentinel master-${i} 10.2.${s}.${i} 26379 ${String(s).repeat(40)}`);
    }
  }
  return lines.join('\n') + '\n';
}

const BASE = baseConfig();

function content(g: number): string {
  return renderConfig(BASE, mutate(parseConfig(BASE, 'base.conf', { checkFilesystem: false }), g), {
    cwd: '/',
  });
}

const CHILD_SOURCE = `
const { readFileSync } = await import('node:fs');
const { parseConfig } = await import(${JSON.stringify(new URL('../../src/sentinel/config/parse.js', import.meta.url).href)});
const { renderConfig, writeFileAtomic } = await import(${JSON.stringify(new URL('../../src/sentinel/config/rewrite.js', import.meta.url).href)});
const mutate = ${mutate.toString()};
const [target, basePath, start] = process.argv.slice(1);
const base = readFileSync(basePath, 'utf8');
const stopAt = Date.now() + 10000;
const render = (g) => renderConfig(base, mutate(parseConfig(base, 'base.conf', { checkFilesystem: false }), g), { cwd: '/' });
// Render a batch ahead, so that the kills land among back-to-back writes.
let g = Number(start);
let batch = [];
for (let k = 0; k < 8; k++) batch.push(render(g + k));
process.stdout.write('ready\\n');
while (Date.now() < stopAt) {
  for (const text of batch) {
    writeFileAtomic(target, text);
    process.stdout.write('done ' + g + '\\n');
    g++;
  }
  batch = [];
  for (let k = 0; k < 8; k++) batch.push(render(g + k));
}
`;

function generationOf(text: string): number {
  const m = /^sentinel current-epoch (\d+)$/m.exec(text);
  assert.ok(m, 'no current-epoch line');
  return Number(m[1]);
}

describe('config rewrite under SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-kill-'));
  let child: ChildProcess | undefined;
  after(() => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    `leaves the old or the new file, never a torn one, over ${KILLS} kills`,
    { timeout: DEADLINE_MS + 30_000 },
    async (t) => {
      const target = join(dir, 'sentinel.conf');
      const basePath = join(dir, 'base.conf');
      writeFileSync(basePath, BASE);
      writeFileAtomic(target, content(0));
      assert.ok(content(0).length > 200_000, `the config is large: ${content(0).length} bytes`);
      assert.notEqual(content(1).length, content(2).length);

      const deadline = Date.now() + DEADLINE_MS;
      let gen = 0;
      let kills = 0;
      const outcomes = { old: 0, new: 0 };
      const cache = new Map<number, string>();
      const expected = (g: number): string => {
        let t = cache.get(g);
        if (t === undefined) cache.set(g, (t = content(g)));
        return t;
      };

      while (kills < KILLS && Date.now() < deadline) {
        const start = gen + 1;
        const p = spawn(
          process.execPath,
          ['--input-type=module', '-e', CHILD_SOURCE, target, basePath, String(start)],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        child = p;
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const closed = new Promise<void>((resolve) => p.once('close', () => resolve()));
        const readyBy = Date.now() + 10_000;
        while (!out.includes('ready\n')) {
          if (p.exitCode !== null) assert.fail(`child exited early: ${err}`);
          if (Date.now() > readyBy) assert.fail(`child not ready: ${err}`);
          await new Promise((r) => setTimeout(r, 2));
        }
        await new Promise((r) => setTimeout(r, Math.random() * 20));
        p.kill('SIGKILL');
        await closed;
        kills++;
        assert.equal(p.signalCode, 'SIGKILL', `child ended on its own: ${err}`);

        const done = [...out.matchAll(/^done (\d+)$/gm)].map((m) => Number(m[1]));
        const lastDone = done.length > 0 ? done[done.length - 1]! : gen;
        const text = readFileSync(target, 'utf8');
        const parsed = parseConfig(text, target, { checkFilesystem: false });
        const found = generationOf(text);
        assert.equal(parsed.currentEpoch, found);
        assert.ok(
          found === lastDone || found === lastDone + 1,
          `file holds generation ${found}, last written ${lastDone}`,
        );
        assert.equal(text, expected(found), `generation ${found} is torn`);
        if (found === lastDone) outcomes.old++;
        else outcomes.new++;
        cache.delete(gen);
        gen = found;

        // A killed writer may leave its temporary file behind; nothing else may appear.
        for (const name of readdirSync(dir)) {
          if (name === 'sentinel.conf' || name === 'base.conf') continue;
          assert.match(name, new RegExp(`^${basename(target).replace('.', '\\.')}\\.tmp\\.\\d+$`));
          unlinkSync(join(dir, name));
        }
      }
      t.diagnostic(`${kills} kills, ${gen} generations written, outcomes ${JSON.stringify(outcomes)}`);
      assert.ok(kills >= 50, `only ${kills} kills before the deadline`);
      assert.ok(gen > kills / 2, `the child wrote only ${gen} generations`);
      // Both outcomes are expected to occur over so many kills.
      assert.ok(outcomes.old > 0, JSON.stringify(outcomes));
    },
  );
});
