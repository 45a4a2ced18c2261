/**
 * Asking peers and answering them: SENTINEL IS-MASTER-DOWN-BY-ADDR both ways, the one vote per
 * epoch this monitor gives (on disk before the reply leaves), and counting who won an epoch.
 */
import { FAST_ASK_PERIOD, MAX_DESYNC, MAX_PENDING_COMMANDS } from './constants.js';
import type { CoreContext } from './context.js';
import { failoverInProgress, type MasterState, type PeerState } from './instance.js';
import { electionResult, tally } from './quorum.js';
import { addrEqual, type CoreReply } from './types.js';

/**
 * Ask every peer whether it sees the primary down (and, once a failover started, for its vote).
 * `forced` asks now, whatever the ask period says.
 */
export function askOthers(c: CoreContext, m: MasterState, forced: boolean): void {
  for (const s of m.sentinels.values()) {
    if (c.now - s.lastMasterDownReplyTime > c.timing.askPeriod * 5) {
      s.masterDown = false;
      s.leader = undefined;
    }
    if (!m.sDown && !m.guard && !(m.coordinated && m.failoverState === 'wait_start')) continue;
    if (!s.link.cc || s.link.pendingCommands >= MAX_PENDING_COMMANDS) continue;
    const period = s.masterDown ? c.timing.askPeriod : Math.min(FAST_ASK_PERIOD, c.timing.askPeriod);
    if (!forced && c.now - s.lastMasterDownReplyTime < period) continue;
    c.send(
      s.link,
      [
        [
          'SENTINEL',
          'is-master-down-by-addr',
          m.addr.host,
          String(m.addr.port),
          String(c.currentEpoch),
          failoverInProgress(m) ? c.myid : '*',
        ],
      ],
      { t: 'is-master-down', master: m.name, sentinel: s.name },
    );
  }
}

export function onIsMasterDownReply(c: CoreContext, s: PeerState, r: CoreReply): void {
  if (r.t !== 'array' || r.v.length !== 3) return;
  const [down, leader, epoch] = r.v as [CoreReply, CoreReply, CoreReply];
  if (down.t !== 'int' || leader.t !== 'string' || epoch.t !== 'int') return;
  s.lastMasterDownReplyTime = c.now;
  s.masterDown = down.v === 1;
  if (leader.v !== '*') {
    if (s.leaderEpoch !== epoch.v) c.log('warning', `${s.name} voted for ${leader.v} ${epoch.v}`);
    s.leader = leader.v;
    s.leaderEpoch = epoch.v;
  }
}

/** Sentinel's sentinelVoteLeader: vote once per epoch, persisting before the reply leaves. */
export function voteLeader(
  c: CoreContext,
  m: MasterState,
  reqEpoch: number,
  reqRunId: string,
): { leader: string | undefined; epoch: number } {
  if (reqEpoch > c.currentEpoch) {
    c.currentEpoch = reqEpoch;
    c.flushConfig();
    c.event('warning', '+new-epoch', m, `${c.currentEpoch}`, true);
  }
  if (m.leaderEpoch < reqEpoch && c.currentEpoch <= reqEpoch) {
    m.leader = reqRunId;
    m.leaderEpoch = c.currentEpoch;
    c.flushConfig();
    c.event('warning', '+vote-for-leader', m, `${m.leader} ${m.leaderEpoch}`, true);
    if (!c.isMe(m.leader)) {
      m.failoverStartTime = c.now + Math.floor(c.rand() * MAX_DESYNC);
    }
  }
  return { leader: m.leader, epoch: m.leaderEpoch };
}

/** SENTINEL IS-MASTER-DOWN-BY-ADDR, answered from our own view. */
export function isMasterDownByAddr(
  c: CoreContext,
  host: string,
  port: number,
  reqEpoch: number,
  runId: string,
): { down: boolean; leader: string; epoch: number } {
  const m = [...c.masters.values()].find((x) => addrEqual(x.addr, { host, port }));
  const down = !c.tilt && m !== undefined && m.sDown;
  let leader: string | undefined;
  let epoch = 0;
  if (m && runId !== '*') {
    const v = voteLeader(c, m, reqEpoch, runId);
    leader = v.leader;
    epoch = v.epoch;
  }
  return { down, leader: leader ?? '*', epoch };
}

/**
 * The leader of `epoch`, if one has won it: the peers' votes cast in that epoch, plus this
 * monitor's own (given to the leading candidate, or to itself).
 */
export function getLeader(c: CoreContext, m: MasterState, epoch: number): string | undefined {
  const voters = m.sentinels.size + 1;
  // Only votes cast in the failover's own epoch count (Sentinel compares with the current
  // epoch, which a later epoch may have moved past: two leaders for one failover epoch).
  const peerVotes: string[] = [];
  for (const s of m.sentinels.values()) {
    if (s.leader !== undefined && s.leaderEpoch === epoch) peerVotes.push(s.leader);
  }
  const count = tally(peerVotes);
  let winner = count.winner;
  let maxVotes = count.votes;
  let cast = peerVotes.length;
  const mine = voteLeader(c, m, epoch, winner ?? c.myid);
  if (mine.leader !== undefined && mine.epoch === epoch) {
    cast++;
    const votes = (count.counts.get(mine.leader) ?? 0) + 1;
    if (votes > maxVotes) {
      maxVotes = votes;
      winner = mine.leader;
    }
  }
  if (winner === undefined) return undefined;
  return electionResult(maxVotes, cast, voters, m.quorum) === 'won' ? winner : undefined;
}
