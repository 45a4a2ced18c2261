/**
 * What a monitor keeps across a crash: the config file the daemon writes on every
 * `flush-config` effect, and the core it builds from that file at start-up. The simulation goes
 * through exactly the daemon's path (configFromCore, the rewrite, the parser, coreFromConfig),
 * with the file kept in memory.
 */
import type { SentinelCore } from '../../src/core/core.js';
import { defaultSentinelConfig } from '../../src/sentinel/config/model.js';
import { parseConfig } from '../../src/sentinel/config/parse.js';
import { renderConfig } from '../../src/sentinel/config/rewrite.js';
import { configFromCore, coreFromConfig } from '../../src/sentinel/core-config.js';

export interface PersistedState {
  /** The config file's text, as the daemon would have written it. */
  text: string;
}

const FILE = '/vigil-sim/sentinel.conf';

/** The config file the daemon would write now. */
export function snapshotCore(core: SentinelCore, previous?: PersistedState): PersistedState {
  const base = { ...defaultSentinelConfig(), port: core.port };
  return { text: renderConfig(previous?.text ?? '', configFromCore(core, base)) };
}

/**
 * A core built from a persisted file, as the daemon starts from its config file. The parser's
 * rules apply: a `config-epoch` above `current-epoch` raises it, and a duplicate `known-replica`
 * refuses to start (thrown here, so a run that would write such a file fails loudly).
 */
export function restoreCore(state: PersistedState, rand: () => number, now: number): SentinelCore {
  const config = parseConfig(state.text, FILE, { cwd: '/', checkFilesystem: false });
  return coreFromConfig(config, rand, now);
}
