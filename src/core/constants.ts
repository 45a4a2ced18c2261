/**
 * Every timer and limit of the monitor, with Redis Sentinel 7.0's value. `SENTINEL DEBUG` can
 * change the tunable ones at run time, exactly as in Sentinel, so they live in one object.
 */
export interface Timing {
  infoPeriod: number;
  pingPeriod: number;
  askPeriod: number;
  publishPeriod: number;
  defaultDownAfter: number;
  defaultFailoverTimeout: number;
  tiltTrigger: number;
  tiltPeriod: number;
  slaveReconfTimeout: number;
  minLinkReconnectPeriod: number;
  electionTimeout: number;
  scriptMaxRuntime: number;
  scriptRetryDelay: number;
}

export const SENTINEL_PING_PERIOD = 1000;

export function defaultTiming(): Timing {
  return {
    infoPeriod: 10_000,
    pingPeriod: SENTINEL_PING_PERIOD,
    askPeriod: 1000,
    publishPeriod: 2000,
    defaultDownAfter: 30_000,
    defaultFailoverTimeout: 3 * 60 * 1000,
    tiltTrigger: 2000,
    tiltPeriod: SENTINEL_PING_PERIOD * 30,
    slaveReconfTimeout: 10_000,
    minLinkReconnectPeriod: 15_000,
    electionTimeout: 10_000,
    scriptMaxRuntime: 60_000,
    scriptRetryDelay: 30_000,
  };
}

/** Order and names used by `SENTINEL DEBUG` (reply and arguments). */
export const TIMING_DEBUG_NAMES: readonly (readonly [string, keyof Timing])[] = [
  ['INFO-PERIOD', 'infoPeriod'],
  ['PING-PERIOD', 'pingPeriod'],
  ['ASK-PERIOD', 'askPeriod'],
  ['PUBLISH-PERIOD', 'publishPeriod'],
  ['DEFAULT-DOWN-AFTER', 'defaultDownAfter'],
  ['DEFAULT-FAILOVER-TIMEOUT', 'defaultFailoverTimeout'],
  ['TILT-TRIGGER', 'tiltTrigger'],
  ['TILT-PERIOD', 'tiltPeriod'],
  ['SLAVE-RECONF-TIMEOUT', 'slaveReconfTimeout'],
  ['MIN-LINK-RECONNECT-PERIOD', 'minLinkReconnectPeriod'],
  ['ELECTION-TIMEOUT', 'electionTimeout'],
  ['SCRIPT-MAX-RUNTIME', 'scriptMaxRuntime'],
  ['SCRIPT-RETRY-DELAY', 'scriptRetryDelay'],
];

/** The timer runs at hz 10 plus random jitter (Sentinel: 10 + rand() % 10). */
export const TIMER_BASE_HZ = 10;
export const DEFAULT_REPLICA_PRIORITY = 100;
export const DEFAULT_PARALLEL_SYNCS = 1;
export const MAX_PENDING_COMMANDS = 100;
/** Random delay added to a failover start so monitors do not all ask for votes at once. */
export const MAX_DESYNC = 1000;
export const HELLO_CHANNEL = '__sentinel__:hello';
/** Vigil monitors' own messages to each other (maintenance pauses), beside Sentinel's hellos. */
export const VIGIL_CHANNEL = '__vigil__:hello';
export const RUN_ID_SIZE = 40;
export const SCRIPT_MAX_QUEUE = 256;
export const SCRIPT_MAX_RUNNING = 16;
export const SCRIPT_MAX_RETRY = 10;

/**
 * Vigil's faster-but-not-looser timings. Sentinel waits for its next timer run or INFO cycle
 * between failover steps; Vigil acts on each reply as it arrives and confirms a promotion with
 * an immediate INFO. The guarantees (majority authorisation, ordered epochs) are unchanged.
 */
/** While we see the primary down and a peer does not (yet), ask that peer again this often. */
export const FAST_ASK_PERIOD = 25;
/**
 * A monitor that reaches ODOWN waits `rank * FAILOVER_START_STAGGER` (+ jitter) before asking
 * for votes, rank being its place among the monitors that see the primary down, ordered by id.
 * The first asker wins every other vote and suppresses the others' attempts, so votes do not
 * split when all monitors detect the failure within the same few milliseconds.
 */
export const FAILOVER_START_STAGGER = 40;
export const FAILOVER_START_JITTER = 20;
/** At replica selection, how long to wait for fresh INFO from replicas before judging them on stale INFO. */
export const SELECT_FRESH_INFO_WAIT = 1000;
/**
 * A lost primary is reconnected every 100 ms (Sentinel: every second), and asked for INFO the
 * moment the link is back: a primary that restarted empty must be caught before its replicas
 * resync from it (see the wiped-primary guard in core.ts).
 */
export const PRIMARY_RECONNECT_PERIOD = 100;
/** Coordinated switchover: how often the target is asked for INFO while the handover runs. */
export const COORDINATED_POLL_PERIOD = 10;
/** Coordinated switchover default pause/FAILOVER timeout: half of down-after, within these bounds. */
export const COORDINATED_MIN_TIMEOUT = 100;
export const COORDINATED_MAX_TIMEOUT = 5000;
/** The primary's hz while it hands over (see the coordinated switchover in core.ts). */
export const HANDOVER_HZ = 100;
/**
 * Wiped-primary guard: how long to wait for the replicas' fresh INFO before comparing their data
 * with a primary that restarted with a new history (they resync from it within about a second).
 */
export const GUARD_FRESH_INFO_WAIT = 250;
/**
 * Fencing a replaced primary that answers as a primary again (see fence.ts): its writes are
 * paused at once, for this long, renewed while it stays a primary.
 */
export const FENCE_PAUSE = 5000;
/**
 * A monitor that did not lead the failover leaves the salvage and demotion to the leader for
 * this long, then demotes the node itself (without salvage: only the leader replays writes, so
 * no write is replayed twice).
 */
export const FENCE_GRACE = 1000;
