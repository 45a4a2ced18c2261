/**
 * The two directions between `sentinel.conf` and the decision core, each one function: the core
 * a monitor starts with, and the config file that records what the core holds now. The daemon
 * and the simulation both use them, so the simulation restarts monitors exactly as the daemon
 * does.
 */
import { SentinelCore, type PeerAuth } from '../core/core.js';
import type { SentinelConfig } from './config/model.js';
import { generateMyId, type MasterConfig } from './config/model.js';

/** Peer monitors are reached with sentinel-user/sentinel-pass, else with requirepass. */
export function peerAuthOf(config: SentinelConfig): PeerAuth {
  return config.sentinelPass
    ? { user: config.sentinelUser, pass: config.sentinelPass }
    : { pass: config.requirepass };
}

/** A core for this configuration (a fresh id when the file has none yet). */
export function coreFromConfig(config: SentinelConfig, rand: () => number, now: number): SentinelCore {
  const core = new SentinelCore(
    {
      myid: config.myid ?? generateMyId(),
      currentEpoch: config.currentEpoch,
      port: config.port,
      announceIp: config.announceIp,
      announcePort: config.announcePort,
      peerAuth: peerAuthOf(config),
    },
    rand,
    now,
  );
  for (const m of config.masters.values()) core.addMaster(m, now);
  return core;
}

/**
 * The configuration to write now: `base` (what was loaded, with the global settings changed at
 * run time) with the core's id, epoch and primaries. A primary keeps the file that declared it.
 */
export function configFromCore(core: SentinelCore, base: SentinelConfig): SentinelConfig {
  const masters = new Map<string, MasterConfig>();
  for (const record of core.records()) {
    const mc: MasterConfig = record;
    const definedIn = base.masters.get(record.name)?.definedIn;
    if (definedIn !== undefined) mc.definedIn = definedIn;
    masters.set(record.name, mc);
  }
  return {
    ...base,
    myid: core.myid,
    currentEpoch: core.currentEpoch,
    announceIp: core.announceIp,
    announcePort: core.announcePort,
    masters,
  };
}
