/**
 * `vigil node` stopping a server that turns the first SIGTERM down, as Redis does while it
 * writes its initial AOF after a full sync ("Writing initial AOF, can't exit"): the supervisor
 * asks again until the server exits, instead of waiting forever.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readNodeState } from '../../src/node/supervised.js';
import { makeTempDir, registerCleanupHooks, VIGIL_BIN, waitFor } from '../harness/index.js';

registerCleanupHooks();

test('vigil node: a server that ignores the first SIGTERM is asked again until it exits', async () => {
  const dir = makeTempDir('node-supervisor');
  const server = join(dir, 'stubborn-server.sh');
  // Exits on the second SIGTERM only.
  writeFileSync(
    server,
    '#!/bin/sh\nn=0\ntrap \'n=$((n+1)); [ "$n" -ge 2 ] && exit 0\' TERM\nwhile :; do sleep 0.05; done\n',
  );
  chmodSync(server, 0o755);
  writeFileSync(join(dir, 'node.conf'), 'port 1\n');
  const out = { text: '' };
  const supervisor = spawn(
    process.execPath,
    [VIGIL_BIN, 'node', join(dir, 'node.conf'), '--server', server],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  supervisor.stdout.on('data', (b: Buffer) => (out.text += b.toString()));
  const exited = new Promise<number | null>((r) => supervisor.on('exit', (code) => r(code)));
  try {
    await waitFor(() => readNodeState(dir)?.supervisorPid === supervisor.pid, {
      what: 'the supervisor to start its server',
      timeoutMs: 10_000,
    });
    await waitFor(() => /started redis-server pid/.test(out.text), {
      what: 'the start line',
      timeoutMs: 5000,
    });
    supervisor.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r('still running after 10 s'), 10_000)),
    ]);
    assert.equal(code, 0, out.text);
    assert.match(out.text, /is still running after SIGTERM \(see its log\): asking again every second/);
    assert.match(out.text, /redis-server exited \(0\)/);
  } finally {
    supervisor.kill('SIGKILL');
    const pid = readNodeState(dir)?.pid;
    if (pid !== undefined)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone.
      }
  }
});
