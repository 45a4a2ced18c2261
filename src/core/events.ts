/** Sentinel's event text: `<type> <name> <ip> <port>[ @ <master> <ip> <port>] <details>`. */
import type { MasterState, PeerState, ReplicaState } from './instance.js';

export type AnyInstance = MasterState | ReplicaState | PeerState;

export function typeStr(i: AnyInstance): string {
  return i.kind === 'master' ? 'master' : i.kind === 'replica' ? 'slave' : 'sentinel';
}

/** The `%@` prefix of Sentinel events. */
export function describe(i: AnyInstance, master: MasterState | undefined): string {
  const self = `${typeStr(i)} ${i.name} ${i.addr.host} ${i.addr.port}`;
  if (i.kind === 'master' || master === undefined) return self;
  return `${self} @ ${master.name} ${master.addr.host} ${master.addr.port}`;
}
