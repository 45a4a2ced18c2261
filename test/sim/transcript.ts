/**
 * Transcript tests for the decision core (etcd-io/raft's `testdata/*.txt` style): a scenario is a
 * text file of commands, each followed by `----` and what it printed. The commands drive the
 * simulated world (nodes, monitors, faults, operators' requests); what they print is what a
 * reviewer wants to read: the monitors' events and actions, and the state they end in.
 *
 *   world seed=1
 *   node 6000
 *   node 6001 of=6000
 *   monitor 26000 primary=6000 quorum=2 down-after=1000
 *   run 2000                      events and actions of every monitor, times from the start
 *   kill 6000 | restart 6000 | freeze 6000 | thaw 6000 | set 6000 persistent=no priority=0
 *   crash-monitor 0 | restart-monitor 0 | partition 6000 26000 | heal
 *   failover 0 [coordinated] [to=6001] [timeout=500]   SENTINEL FAILOVER on monitor 0
 *   pause 0 60000 [reason...] | resume 0               SENTINEL PAUSE / RESUME on monitor 0
 *   state                         every node's role and every monitor's view
 *   history 0                     monitor 0's history entries so far
 *
 * Run with VIGIL_REWRITE_TRANSCRIPTS=1 to write what the commands print now into the files.
 */
import type { HistoryEntry } from '../../src/core/history.js';
import type { Effect, LogLevel } from '../../src/core/types.js';
import { failoverInProgress } from '../../src/core/instance.js';
import { World } from './world.js';

export interface Block {
  command: string;
  expected: string;
  /** Comment lines before the command, kept when the file is rewritten. */
  comments: string[];
}

export function parseTranscript(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let comments: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('#')) {
      comments.push(line);
      continue;
    }
    if (line.trim() === '') continue;
    if (lines[i + 1] !== '----') throw new Error(`line ${i + 1}: '${line}' must be followed by '----'`);
    const out: string[] = [];
    i += 2;
    while (i < lines.length && lines[i] !== '') out.push(lines[i++]!);
    blocks.push({ command: line, expected: out.join('\n'), comments });
    comments = [];
  }
  return blocks;
}

export function renderTranscript(blocks: readonly Block[], outputs: readonly string[]): string {
  return (
    blocks
      .map((b, i) => [...b.comments, b.command, '----', ...(outputs[i] ? [outputs[i]] : [])].join('\n'))
      .join('\n\n') + '\n'
  );
}

/** Notice-level events worth reading in a transcript (every warning-level one is shown). */
const NOTICE_SHOWN = new Set([
  '+reboot',
  '+convert-to-slave',
  '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion',
  '+slave-reconf-sent',
  '+slave-reconf-inprog',
  '+slave-reconf-done',
  '+salvage',
]);

/** Commands that change a node: the actions a transcript shows. */
const ACTIONS = /\b(SLAVEOF|FAILOVER|PAUSE|UNPAUSE)\b/;

/** 40-character ids (run ids, replication ids) cut to 8 for reading. */
const shortIds = (s: string) => s.replace(/\b([0-9a-f]{8})[0-9a-f]{32}\b/g, '$1');

export class TranscriptRunner {
  private w: World | undefined;
  private start = 0;
  private log: string[] = [];
  private readonly histories = new Map<number, HistoryEntry[]>();

  private world(): World {
    if (!this.w) throw new Error("the transcript must start with 'world seed=<n>'");
    return this.w;
  }

  private record(monitor: number, e: Effect): void {
    if (e.kind === 'history') {
      const list = this.histories.get(monitor) ?? [];
      list.push(e.entry);
      this.histories.set(monitor, list);
    }
    const t = this.world().now - this.start;
    const line = (text: string) => this.log.push(`${t} m${monitor} ${shortIds(text)}`);
    if (e.kind === 'event' && shown(e.level, e.type)) line(e.message ? `${e.type} ${e.message}` : e.type);
    if (e.kind === 'log' && e.level === 'warning') line(`# ${e.message}`);
    if (e.kind === 'send') {
      const cmds = e.commands.filter((c) => c[0] !== 'MULTI' && c[0] !== 'EXEC').map((c) => c.join(' '));
      if (cmds.some((c) => ACTIONS.test(c))) line(`-> ${e.link}: ${cmds.join('; ')}`);
    }
  }

  /** Run one command; returns what it printed. */
  exec(command: string): string {
    const [verb = '', ...rest] = command.trim().split(/\s+/);
    const pos = rest.filter((a) => !a.includes('='));
    const opt = new Map(rest.filter((a) => a.includes('=')).map((a) => a.split('=') as [string, string]));
    const num = (k: string, d?: number): number => {
      const v = opt.get(k);
      if (v === undefined) {
        if (d === undefined) throw new Error(`${verb}: ${k}=<number> is required`);
        return d;
      }
      return Number(v);
    };
    const port = () => Number(pos[0]);
    this.log = [];
    if (verb === 'world') {
      this.w = new World(num('seed'));
      this.start = this.w.now;
      this.w.onEffect = (m, e) => this.record(m, e);
      return '';
    }
    const w = this.world();
    const node = () => w.node(port());
    switch (verb) {
      case 'node':
        w.addNode(port(), opt.has('of') ? num('of') : undefined);
        return '';
      case 'monitor':
        w.addMonitor(
          port(),
          num('primary'),
          num('quorum'),
          num('down-after', 1000),
          num('failover-timeout', 10_000),
        );
        return this.flush();
      case 'run':
        w.run(Number(pos[0]));
        return this.flush();
      case 'kill':
        w.killNode(node());
        return '';
      case 'restart':
        w.restartNode(node());
        return '';
      case 'freeze':
        w.freezeNode(node());
        return '';
      case 'thaw':
        w.thawNode(node());
        return this.flush();
      case 'set': {
        const n = node();
        if (opt.has('persistent')) n.persistent = opt.get('persistent') === 'yes';
        if (opt.has('priority')) n.priority = num('priority');
        return '';
      }
      case 'crash-monitor':
        w.crashMonitor(Number(pos[0]));
        return '';
      case 'restart-monitor':
        w.restartMonitor(Number(pos[0]));
        return this.flush();
      case 'partition':
        w.partition(addrOf(Number(pos[0])), addrOf(Number(pos[1])));
        return '';
      case 'heal':
        w.heal();
        return '';
      case 'failover': {
        const idx = Number(pos[0]);
        const res = w.command(idx, (core) =>
          pos.includes('coordinated')
            ? core.startCoordinated(w.now, 'mymaster', {
                to: opt.has('to') ? addrOf(num('to')) : undefined,
                timeoutMs: opt.has('timeout') ? num('timeout') : undefined,
              })
            : core.forceFailover(w.now, 'mymaster'),
        );
        const result = typeof res === 'string' ? res : res.ok ? `ok ${res.target}` : res.error;
        return [this.flush(), `=> ${result}`].filter(Boolean).join('\n');
      }
      case 'pause': {
        const reason = pos.slice(2).join(' ');
        w.command(Number(pos[0]), (core) => core.pause(w.now, 'mymaster', Number(pos[1]), reason));
        return this.flush();
      }
      case 'resume':
        w.command(Number(pos[0]), (core) => core.resume(w.now, 'mymaster'));
        return this.flush();
      case 'state':
        return this.state();
      case 'history':
        return (this.histories.get(Number(pos[0])) ?? [])
          .map((h) => shortIds(historyLine(h, this.start)))
          .join('\n');
      default:
        throw new Error(`unknown transcript command '${verb}'`);
    }
  }

  private flush(): string {
    const out = this.log.join('\n');
    this.log = [];
    return out;
  }

  private state(): string {
    const w = this.world();
    const lines: string[] = [];
    for (const n of w.nodes.values()) {
      const status = !n.alive ? 'dead' : n.frozen ? 'frozen' : n.role === 'master' ? 'primary' : 'replica';
      const of = n.role === 'slave' && n.master ? ` of ${n.master.port}` : '';
      lines.push(`node ${n.addr.port}: ${status}${n.alive ? of : ''} history ${shortIds(n.replId)}`);
    }
    w.monitors.forEach((core, i) => {
      if (!w.monitorAlive(i)) return lines.push(`monitor ${i}: down`);
      const m = core.masters.get('mymaster');
      if (!m) return lines.push(`monitor ${i}: not monitoring mymaster`);
      const paused = m.pause?.active === true && w.now < m.pause.until;
      const flags = [
        m.sDown ? 'sdown' : '',
        m.oDown ? 'odown' : '',
        failoverInProgress(m) ? m.failoverState : '',
        paused ? 'paused' : '',
      ]
        .filter(Boolean)
        .join(',');
      lines.push(
        `monitor ${i}: primary ${m.addr.port} config-epoch ${m.configEpoch} epoch ${core.currentEpoch}${flags ? ` ${flags}` : ''}`,
      );
    });
    return lines.join('\n');
  }
}

/** One history entry on one line (and its refusals and steps indented below it). */
function historyLine(h: HistoryEntry, start: number): string {
  const head = [
    `${h.at - start} ${h.kind} ${h.result} epoch ${h.epoch}`,
    h.from !== undefined ? `from ${h.from}` : '',
    h.to !== undefined ? `to ${h.to}` : '',
    h.leader !== undefined ? `leader ${h.leader}` : '',
    h.reason ? `(${h.reason})` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const lines = [head];
  if (h.selected) lines.push(`  selected ${h.selected.replica}: ${h.selected.why}`);
  for (const p of h.passedOver) lines.push(`  passed over ${p.replica}: ${p.reason}`);
  if (h.offsets) {
    const rs = Object.entries(h.offsets.replicas).map(([k, v]) => `${k}=${v}`);
    lines.push(`  offsets: primary ${h.offsets.primary ?? 'unknown'}, ${rs.join(' ')}`);
  }
  if (h.steps.length > 0)
    lines.push(`  steps: ${h.steps.map((x) => `${x.event}@${x.at - start}`).join(' ')}`);
  if (h.writePauseMs !== undefined) lines.push(`  writes paused ${h.writePauseMs} ms`);
  if (h.salvaged !== undefined) lines.push(`  ${h.salvaged} writes salvaged`);
  return lines.join('\n');
}

function shown(level: LogLevel, type: string): boolean {
  return level === 'warning' || (level === 'notice' && NOTICE_SHOWN.has(type));
}

function addrOf(port: number): { host: string; port: number } {
  return { host: '127.0.0.1', port };
}
