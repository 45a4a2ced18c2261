/**
 * Records what Debian's redis-sentinel 7.0 answers to COMMAND, COMMAND DOCS and the HELP
 * subcommands, into src/sentinel/commands/redis-sentinel-7.0.json, which Vigil serves verbatim.
 * Run after a Redis upgrade: `npm run build && node dist/scripts/capture-command-table.js`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TypedConnection, type Typed } from '../test/harness/typed-resp.js';
import type { Reply } from '../src/resp/reply.js';

function toReply(v: Typed): Reply {
  switch (v.t) {
    case 'simple':
    case 'error':
    case 'bulk':
      return { t: v.t, v: v.v };
    case 'verbatim':
      return { t: 'verbatim', format: 'txt', v: v.v.slice(4) };
    case 'double':
      return { t: 'double', v: Number(v.v) };
    case 'bignum':
      return { t: 'bulk', v: v.v };
    case 'int':
      return { t: 'int', v: v.v };
    case 'bool':
      return { t: 'bool', v: v.v };
    case 'null':
    case 'nullbulk':
      return { t: 'null' };
    case 'nullarray':
      return { t: 'nullArray' };
    case 'array':
    case 'set':
    case 'push':
      return { t: v.t, v: v.v.map(toReply) };
    case 'map':
      return { t: 'map', v: v.v.map(([k, x]) => [toReply(k), toReply(x)] as const) };
  }
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-capture-'));
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\n`);
  const child = spawn('/usr/bin/redis-sentinel', [conf], { stdio: 'ignore' });
  try {
    let c: TypedConnection | undefined;
    for (let i = 0; i < 100 && !c; i++) {
      try {
        c = await TypedConnection.connect(port);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (!c) throw new Error('redis-sentinel did not start');
    await c.call(['HELLO', '3']);
    const out: Record<string, Reply> = {
      command: toReply(await c.call(['COMMAND'])),
      commandDocs: toReply(await c.call(['COMMAND', 'DOCS'])),
      clientHelp: toReply(await c.call(['CLIENT', 'HELP'])),
      aclHelp: toReply(await c.call(['ACL', 'HELP'])),
      aclCat: toReply(await c.call(['ACL', 'CAT'])),
      commandHelp: toReply(await c.call(['COMMAND', 'HELP'])),
    };
    c.close();
    const target = resolve('src/sentinel/commands/redis-sentinel-7.0.json');
    writeFileSync(target, JSON.stringify(out) + '\n');
    process.stdout.write(`wrote ${target}\n`);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
