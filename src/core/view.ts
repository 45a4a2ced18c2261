/**
 * The read-only picture of the core that everything outside it reads: command replies, the
 * config rewrite, health endpoints, metrics, history. The same objects the core works on, typed
 * so that no reader can change them: every change goes through one of the core's inputs.
 */
import type { Timing } from './constants.js';
import type { MasterState, PeerState, ReplicaState } from './instance.js';

export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends ReadonlyMap<infer K, infer V>
    ? ReadonlyMap<K, DeepReadonly<V>>
    : T extends ReadonlySet<infer V>
      ? ReadonlySet<DeepReadonly<V>>
      : T extends readonly (infer V)[]
        ? readonly DeepReadonly<V>[]
        : T extends object
          ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
          : T;

export type MasterView = DeepReadonly<MasterState>;
export type ReplicaView = DeepReadonly<ReplicaState>;
export type PeerView = DeepReadonly<PeerState>;
export type InstanceView = MasterView | ReplicaView | PeerView;

/** The monitor-wide part of the picture. */
export interface CoreView {
  readonly myid: string;
  readonly currentEpoch: number;
  readonly tilt: boolean;
  readonly tiltStartTime: number;
  readonly simFailure: { readonly crashAfterElection: boolean; readonly crashAfterPromotion: boolean };
  readonly announceIp: string | undefined;
  readonly announcePort: number;
  readonly port: number;
  readonly timing: Readonly<Timing>;
  readonly masters: ReadonlyMap<string, MasterView>;
}
