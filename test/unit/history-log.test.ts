/** The history file: entries survive a restart, a torn last line is skipped, the file stays bounded. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { HistoryEntry } from '../../src/core/history.js';
import { HistoryLog } from '../../src/sentinel/history-log.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-history-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function entry(n: number, master = 'm'): HistoryEntry {
  return {
    at: n,
    monitor: 'x',
    master,
    kind: 'failover',
    result: 'done',
    epoch: n,
    leader: undefined,
    from: '10.0.0.1:6379',
    to: '10.0.0.2:6379',
    reason: 'test',
    selected: undefined,
    passedOver: [],
    steps: [],
    offsets: undefined,
    salvaged: undefined,
    writePauseMs: undefined,
  };
}

describe('history log', () => {
  it('reads back what was appended, skipping a line torn by a crash', () => {
    const path = join(dir, 'a.history.jsonl');
    const log = new HistoryLog(path);
    log.append(entry(1));
    log.append(entry(2, 'other'));
    appendFileSync(path, '{"at":3,"monit');
    const back = new HistoryLog(path);
    assert.deepEqual(
      back.recent(10).map((e) => e.epoch),
      [1, 2],
    );
    assert.deepEqual(
      back.recent(10, 'other').map((e) => e.epoch),
      [2],
    );
    back.append(entry(4));
    assert.deepEqual(
      new HistoryLog(path).recent(10).map((e) => e.epoch),
      [1, 2, 4],
    );
  });

  it('keeps the newest entries and the file bounded', () => {
    const path = join(dir, 'b.history.jsonl');
    const log = new HistoryLog(path, 10);
    for (let i = 1; i <= 35; i++) log.append(entry(i));
    assert.deepEqual(
      log.recent(100).map((e) => e.epoch),
      Array.from({ length: 10 }, (_, i) => 26 + i),
    );
    const lines = readFileSync(path, 'utf8').trim().split('\n').length;
    assert.ok(lines <= 20, `${lines} lines`);
    assert.equal(new HistoryLog(path, 10).recent(1)[0]!.epoch, 35);
  });
});
