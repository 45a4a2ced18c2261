/**
 * A decision core's context with one primary, its replicas and peer monitors, every link up,
 * for unit tests of the core's modules: set a field, call one function, read the effects.
 */
import { CoreContext } from '../../src/core/context.js';
import {
  newMaster,
  newPeer,
  newReplica,
  newLink,
  type MasterState,
  type ReplicaState,
} from '../../src/core/instance.js';
import { newMasterRecord } from '../../src/core/record.js';
import type { Effect } from '../../src/core/types.js';

export const T0 = 1_000_000;
export const MYID = '5'.repeat(40);
export const REPLID = 'a'.repeat(40);

export interface Fixture {
  c: CoreContext;
  m: MasterState;
  replicas: ReplicaState[];
  /** Drain the queued effects. */
  effects: () => Effect[];
  /** The event types queued so far (drains). */
  events: () => string[];
}

export function fixture(
  opts: { replicas?: number; peers?: number; quorum?: number; downAfterMs?: number; myid?: string } = {},
): Fixture {
  const c = new CoreContext({ myid: opts.myid ?? MYID, currentEpoch: 0, port: 26379 }, () => 0.5, T0);
  const m = newMaster(
    newMasterRecord('mymaster', { host: '10.0.0.1', port: 6379 }, opts.quorum ?? 2, {
      downAfterMs: opts.downAfterMs ?? 5000,
      failoverTimeoutMs: 60_000,
    }),
    T0,
  );
  c.masters.set(m.name, m);
  const up = (l: {
    cc: boolean;
    pc: boolean;
    actPingTime: number;
    ccConnTime: number;
    pcConnTime: number;
  }) => {
    l.cc = true;
    l.pc = true;
    l.actPingTime = 0;
    l.ccConnTime = T0;
    l.pcConnTime = T0;
  };
  up(m.link);
  m.replId = REPLID;
  m.replOffset = 1000;
  m.infoRefresh = T0;
  m.runId = 'f'.repeat(40);
  const replicas: ReplicaState[] = [];
  for (let i = 0; i < (opts.replicas ?? 2); i++) {
    const r = newReplica(m, { host: `10.0.0.${i + 2}`, port: 6379 }, T0);
    up(r.link);
    r.runId = `${i + 1}`.repeat(40);
    r.masterReplId = REPLID;
    r.replOffset = 1000 - i * 10;
    r.slaveMasterHost = '10.0.0.1';
    r.slaveMasterPort = 6379;
    r.slaveMasterLinkUp = true;
    r.syncedSinceRestart = true;
    r.infoRefresh = T0;
    r.link.lastAvailTime = T0;
    m.replicas.set(r.name, r);
    replicas.push(r);
  }
  for (let i = 0; i < (opts.peers ?? 2); i++) {
    const runId = `${i + 6}`.repeat(40);
    const link = newLink(`sentinel:${runId}`, T0);
    link.cc = true;
    link.actPingTime = 0;
    m.sentinels.set(runId, newPeer(m, { host: `10.0.1.${i + 1}`, port: 26379 }, runId, link, T0));
  }
  const effects = () => {
    const out = c.out;
    c.out = [];
    return out;
  };
  return {
    c,
    m,
    replicas,
    effects,
    events: () =>
      effects()
        .filter((e): e is Extract<Effect, { kind: 'event' }> => e.kind === 'event')
        .map((e) => e.type),
  };
}

/** The commands of every `send` effect, each batch joined as one line. */
export function sent(effects: readonly Effect[]): string[] {
  return effects
    .filter((e): e is Extract<Effect, { kind: 'send' }> => e.kind === 'send')
    .map((e) => e.commands.map((cmd) => cmd.join(' ')).join('; '));
}
