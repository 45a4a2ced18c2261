/**
 * Asking peers and answering them: SENTINEL IS-MASTER-DOWN-BY-ADDR both ways, the one vote per
 * epoch this monitor gives (on disk before the reply leaves), and counting who won an epoch.
 */
import { FAST_ASK_PERIOD, MAX_DESYNC, MAX_PENDING_COMMANDS } from './constants.js';
import type { CoreContext } from './context.js';
import { failoverInProgress, type MasterState, type PeerState } from './instance.js';
import { isPaused } from './pause.js';
import { sendInfo } from './periodic.js';
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
    // Asked again quickly until it sees the primary down and, in our election, until it voted.
    const votedForUs = s.leader !== undefined && s.leaderEpoch === m.failoverEpoch;
    const settled = s.masterDown && (!failoverInProgress(m) || votedForUs);
    const period = settled ? c.timing.askPeriod : Math.min(FAST_ASK_PERIOD, c.timing.askPeriod);
    if (!forced && c.now - s.lastMasterDownReplyTime < period) continue;
    askPeer(c, m, s);
  }
}

/**
 * One IS-MASTER-DOWN-BY-ADDR to a peer. A planned switchover's vote request carries Vigil's
 * SWITCHOVER marker: a Vigil peer votes for a switchover of a primary it sees healthy only when
 * told that is what it is (see voteRefusal). redis-sentinel refuses the extra word; it is asked
 * again without it (it votes whatever it sees).
 */
export function askPeer(c: CoreContext, m: MasterState, s: PeerState): void {
  const asking = failoverInProgress(m);
  const switchover = asking && m.coordinated !== undefined && s.vigil !== false;
  c.send(
    s.link,
    [
      [
        'SENTINEL',
        'is-master-down-by-addr',
        m.addr.host,
        String(m.addr.port),
        String(c.currentEpoch),
        asking ? c.myid : '*',
        ...(switchover ? [SWITCHOVER_MARKER] : []),
      ],
    ],
    { t: 'is-master-down', master: m.name, sentinel: s.name, ...(switchover ? { switchover } : {}) },
  );
}

/**
 * Asks a peer, once, the question with the marker and no vote request: a Vigil peer answers it,
 * redis-sentinel refuses the extra word. Which it is decides who salvages when a redis-sentinel
 * peer leads a failover (see fence.ts).
 */
export function probePeer(c: CoreContext, m: MasterState, s: PeerState): void {
  c.send(
    s.link,
    [['SENTINEL', 'is-master-down-by-addr', m.addr.host, String(m.addr.port), '0', '*', SWITCHOVER_MARKER]],
    { t: 'is-master-down', master: m.name, sentinel: s.name, switchover: true },
  );
}

/** The word Vigil adds to IS-MASTER-DOWN-BY-ADDR when it asks for a planned switchover's vote. */
export const SWITCHOVER_MARKER = 'SWITCHOVER';

export function onIsMasterDownReply(
  c: CoreContext,
  m: MasterState,
  s: PeerState,
  r: CoreReply,
  switchover: boolean,
): void {
  if (switchover && r.t === 'error') {
    // A redis-sentinel peer: it does not know the marker (and votes without being told).
    s.vigil = false;
    if (failoverInProgress(m)) askPeer(c, m, s);
    return;
  }
  if (r.t !== 'array' || r.v.length !== 3) return;
  if (switchover) s.vigil = true;
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
  raiseEpoch(c, m, reqEpoch);
  if (m.leaderEpoch < reqEpoch && c.currentEpoch <= reqEpoch) {
    m.leader = reqRunId;
    m.leaderEpoch = c.currentEpoch;
    m.votesGranted++;
    c.flushConfig();
    c.event('warning', '+vote-for-leader', m, `${m.leader} ${m.leaderEpoch}`, true);
    if (!c.isMe(m.leader)) {
      m.failoverStartTime = c.now + Math.floor(c.rand() * MAX_DESYNC);
    }
  }
  return { leader: m.leader, epoch: m.leaderEpoch };
}

function raiseEpoch(c: CoreContext, m: MasterState, epoch: number): void {
  if (epoch <= c.currentEpoch) return;
  c.currentEpoch = epoch;
  c.flushConfig();
  c.event('warning', '+new-epoch', m, `${c.currentEpoch}`, true);
}

/**
 * SENTINEL IS-MASTER-DOWN-BY-ADDR, answered from our own view. A vote is given only for a
 * failover this monitor would start itself (see voteRefusal); otherwise the reply says "no vote"
 * the way redis-sentinel reads it (`*`), or repeats a vote already given in that epoch.
 */
export function isMasterDownByAddr(
  c: CoreContext,
  host: string,
  port: number,
  reqEpoch: number,
  runId: string,
  switchover = false,
): { down: boolean; leader: string; epoch: number } {
  const m = [...c.masters.values()].find((x) => addrEqual(x.addr, { host, port }));
  const down = !c.tilt && m !== undefined && m.sDown;
  let leader: string | undefined;
  let epoch = 0;
  if (m && runId !== '*') {
    const refused = voteRefusal(c, m, switchover);
    if (refused === undefined) {
      const v = voteLeader(c, m, reqEpoch, runId);
      leader = v.leader;
      epoch = v.epoch;
    } else {
      // The epoch still moves on: this monitor's next failover must not reuse one a peer started.
      raiseEpoch(c, m, reqEpoch);
      refuseVote(c, m, runId, reqEpoch, refused);
      if (m.leaderEpoch === reqEpoch) {
        leader = m.leader;
        epoch = m.leaderEpoch;
      }
    }
  }
  return { down, leader: leader ?? '*', epoch };
}

/**
 * Why this monitor will not vote for a failover of `m` now, or undefined when it will: a vote
 * means "I see it down too" (SDOWN, or no valid reply for down-after), "it came back without its
 * data" (the wiped-primary guard), or "I was told it is a planned switchover". A minority that
 * sees a healthy primary down cannot take it away from the majority that sees it up.
 */
export function voteRefusal(c: CoreContext, m: MasterState, switchover: boolean): string | undefined {
  if (isPaused(c, m) && !switchover)
    return `${m.name} is paused for maintenance${m.pause?.reason ? ` (${m.pause.reason})` : ''}`;
  if (m.sDown) return undefined;
  if (c.now - m.link.lastAvailTime > m.downAfterMs) return undefined;
  // It restarted and came back (or may have come back) without its data.
  if (m.guardPending !== undefined || m.guard || m.rebootCheck !== undefined || m.rebootLoading)
    return undefined;
  if (switchover) return undefined;
  return `I see ${m.name} at ${m.addr.host}:${m.addr.port} up (its last valid reply ${c.now - m.link.lastAvailTime} ms ago)`;
}

function refuseVote(c: CoreContext, m: MasterState, runId: string, epoch: number, why: string): void {
  m.votesRefused++;
  m.refusedElection = { runId, epoch, at: c.now };
  const key = `${runId}:${epoch}`;
  if (m.lastRefusal === key) return;
  m.lastRefusal = key;
  c.log('warning', `Refused to vote for ${runId} in epoch ${epoch} to fail over ${m.name}: ${why}.`);
  // Look again now: if it did just fail (or come back wiped), the next request gets the vote.
  if (m.link.pendingCommands === 0) sendInfo(c, m, m);
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
  // A planned switchover needs only the majority that makes its epoch's leader unique: the
  // quorum is how many monitors must agree a primary is down, and this one is not.
  const quorum = m.coordinated ? 0 : m.quorum;
  return electionResult(maxVotes, cast, voters, quorum) === 'won' ? winner : undefined;
}
