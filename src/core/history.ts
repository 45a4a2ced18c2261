/**
 * The failover history: every failover, switchover, abort, refusal, guard action, salvage,
 * fence and pause as one entry, with what an operator asks at 3 a.m.: when, which epoch, who led,
 * from where to where, which replica was chosen and why, which were passed over and why, each
 * step's time, and the replication offsets at the decision (how much could have been at risk).
 * The core builds entries from its own events and hands each one to the shell as a `history`
 * effect; the shell keeps them (see sentinel/history-log.ts).
 */
import type { CoreContext } from './context.js';
import type { AnyInstance } from './events.js';
import type { MasterState } from './instance.js';
import { addrKey } from './types.js';

export type HistoryKind =
  | 'failover'
  | 'guard'
  | 'switchover'
  | 'forced'
  | 'adopted'
  | 'observed'
  | 'fence'
  | 'salvage'
  | 'pause'
  | 'resume';

export interface HistoryEntry {
  /** Epoch ms when it ended (or happened). */
  at: number;
  /** The monitor that recorded it. */
  monitor: string;
  master: string;
  kind: HistoryKind;
  result: 'done' | 'aborted' | 'refused' | 'noted';
  epoch: number;
  /** Who led (a run id), when known. */
  leader: string | undefined;
  from: string | undefined;
  to: string | undefined;
  /** Why it started, or why it ended when it did not succeed. */
  reason: string;
  selected: { replica: string; why: string } | undefined;
  passedOver: { replica: string; reason: string }[];
  steps: { event: string; at: number }[];
  /** Offsets when the replica was selected: the primary's last known one and each replica's. */
  offsets: { primary: number | undefined; replicas: Record<string, number> } | undefined;
  /** Writes replayed by a salvage. */
  salvaged: number | undefined;
  /** A coordinated switchover: how long writes were paused on the primary, ms. */
  writePauseMs: number | undefined;
}

/** A failover this monitor is running, as it goes. */
export interface Journal {
  startedAt: number;
  epoch: number;
  from: string;
  reason: string;
  leader: string | undefined;
  selected: HistoryEntry['selected'];
  passedOver: HistoryEntry['passedOver'];
  steps: HistoryEntry['steps'];
  offsets: HistoryEntry['offsets'];
  pausedAt: number;
  /** The abort event that ended it, if one did. */
  abortedBy: string | undefined;
}

/** Events that are steps of a failover (their times go into its entry). */
const STEPS = new Set([
  '+try-failover',
  '+elected-leader',
  '+failover-state-select-slave',
  '+selected-slave',
  '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion',
  '+coordinated-handover',
  '+failover-forced',
  '+promoted-slave',
  '+failover-state-reconf-slaves',
  '+failover-end',
  '+failover-end-for-timeout',
  '+switch-master',
]);

function newEntry(
  c: CoreContext,
  m: MasterState,
  kind: HistoryKind,
  result: HistoryEntry['result'],
): HistoryEntry {
  return {
    at: c.now,
    monitor: c.myid,
    master: m.name,
    kind,
    result,
    epoch: c.currentEpoch,
    leader: undefined,
    from: undefined,
    to: undefined,
    reason: '',
    selected: undefined,
    passedOver: [],
    steps: [],
    offsets: undefined,
    salvaged: undefined,
    writePauseMs: undefined,
  };
}

function record(c: CoreContext, entry: HistoryEntry): void {
  c.out.push({ kind: 'history', entry });
}

function kindOf(m: MasterState): HistoryKind {
  if (m.coordinated?.adopted) return 'adopted';
  if (m.coordinated) return 'switchover';
  if (m.guard) return 'guard';
  if (m.forceFailover) return 'forced';
  return 'failover';
}

/** Every event the core publishes passes here: failover steps are noted, some make an entry. */
export function noteEvent(c: CoreContext, type: string, i: AnyInstance | undefined, rest: string): void {
  if (!i) return;
  const m = c.masterOf(i);
  if (!m) return;
  const j = m.journal;
  if (type === '+try-failover') {
    m.journal = {
      startedAt: c.now,
      epoch: m.failoverEpoch,
      from: addrKey(m.addr),
      reason: m.guardReason ?? (m.oDown ? 'the primary is objectively down' : 'requested by an operator'),
      leader: undefined,
      selected: undefined,
      passedOver: [],
      steps: [],
      offsets: undefined,
      pausedAt: 0,
      abortedBy: undefined,
    };
  }
  const journal = m.journal ?? j;
  if (journal && STEPS.has(type)) journal.steps.push({ event: type, at: c.now });
  if (journal && type === '+elected-leader') journal.leader = c.myid;
  if (journal && type === '+coordinated-handover') journal.pausedAt = c.now;
  if (journal && type.startsWith('-failover-abort')) journal.abortedBy = `${type}${rest}`;
  if (journal && type === '-failover-refused-replica' && i.kind === 'replica')
    journal.passedOver.push({ replica: i.name, reason: rest.trim() });
  switch (type) {
    case '+fence':
    case '+salvage':
    case '-salvage': {
      const e = newEntry(
        c,
        m,
        type === '+fence' ? 'fence' : 'salvage',
        type === '-salvage' ? 'aborted' : 'done',
      );
      e.from = addrKey(i.addr);
      e.to = addrKey(m.addr);
      e.reason = rest.trim();
      const n = /^ (\d+) writes replayed/.exec(rest);
      if (n) e.salvaged = Number(n[1]);
      record(c, e);
      return;
    }
    case '+pause':
    case '-pause': {
      const e = newEntry(c, m, type === '+pause' ? 'pause' : 'resume', 'noted');
      e.reason = rest.trim();
      e.leader = m.pause?.by;
      record(c, e);
      return;
    }
  }
}

/** The promoted replica was selected: who, why, who was passed over, and the offsets then. */
export function noteSelection(
  c: CoreContext,
  m: MasterState,
  selected: string,
  why: string,
  passedOver: { replica: string; reason: string }[],
): void {
  const j = m.journal;
  if (!j) return;
  j.selected = { replica: selected, why };
  j.passedOver = passedOver;
  const replicas: Record<string, number> = {};
  for (const r of m.replicas.values()) replicas[r.name] = r.replOffset;
  j.offsets = { primary: m.replId !== undefined ? m.replOffset : undefined, replicas };
}

/** The running failover ended: its entry, then the journal is closed. */
export function finishJournal(c: CoreContext, m: MasterState, ended: 'done' | 'aborted', why?: string): void {
  const j = m.journal;
  if (!j) return;
  const abort = why ?? j.abortedBy;
  const result: HistoryEntry['result'] =
    ended === 'done' ? 'done' : abort?.startsWith('-failover-abort-no-good-slave') ? 'refused' : 'aborted';
  m.journal = undefined;
  const e = newEntry(c, m, kindOf(m), result);
  e.epoch = j.epoch;
  e.leader = j.leader;
  e.from = j.from;
  e.to = result === 'done' && m.promoted ? addrKey(m.promoted.addr) : undefined;
  e.reason = result === 'done' ? j.reason : (abort ?? 'aborted');
  e.selected = j.selected;
  e.passedOver = j.passedOver;
  e.steps = j.steps;
  e.offsets = j.offsets;
  if (j.pausedAt > 0 && result === 'done') {
    const promoted = j.steps.find((s) => s.event === '+promoted-slave');
    if (promoted) e.writePauseMs = promoted.at - j.pausedAt;
  }
  record(c, e);
}

/** A switch this monitor learned from a peer's hello (the peer led it). */
export function noteObservedSwitch(
  c: CoreContext,
  m: MasterState,
  from: string,
  to: string,
  announcer: string,
): void {
  const e = newEntry(c, m, 'observed', 'done');
  e.epoch = m.configEpoch;
  e.leader = announcer;
  e.from = from;
  e.to = to;
  e.reason = `a newer configuration (epoch ${m.configEpoch}) announced by ${announcer}`;
  record(c, e);
}
