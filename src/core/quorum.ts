/**
 * Quorum arithmetic, on plain numbers: who counts, how many are needed, and whether an election
 * is won, lost or still open. Sentinel's two thresholds meet here: the configured `quorum`
 * (how many monitors must see a primary down) and the majority of every known monitor (how
 * many must authorise one failover leader per epoch).
 */

export type ElectionResult = 'won' | 'lost' | 'pending';

/** More than half of `voters`: two leaders of one epoch can never both reach it. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** Votes a leader needs: a majority of every known monitor, and never fewer than the quorum. */
export function votesNeeded(voters: number, quorum: number): number {
  return Math.max(majority(voters), quorum);
}

/**
 * One candidate's election: `votesFor` of `votesCast` votes went to it among `voters` monitors.
 * Lost once the votes still to come cannot lift it to the threshold.
 */
export function electionResult(
  votesFor: number,
  votesCast: number,
  voters: number,
  quorum: number,
): ElectionResult {
  const need = votesNeeded(voters, quorum);
  if (votesFor >= need) return 'won';
  if (votesFor + Math.max(0, voters - votesCast) < need) return 'lost';
  return 'pending';
}

/**
 * Votes counted per candidate, and the leading one: the most votes, ties going to the candidate
 * counted first (Sentinel walks its vote table in insertion order and keeps the first maximum).
 */
export function tally(votes: Iterable<string>): {
  counts: Map<string, number>;
  winner: string | undefined;
  votes: number;
} {
  const counts = new Map<string, number>();
  for (const v of votes) counts.set(v, (counts.get(v) ?? 0) + 1);
  let winner: string | undefined;
  let max = 0;
  for (const [id, n] of counts) {
    if (n > max) {
      max = n;
      winner = id;
    }
  }
  return { counts, winner, votes: max };
}

/** ODOWN: this monitor plus the peers that report the primary down reach the quorum. */
export function objectivelyDown(agreeing: number, quorum: number): boolean {
  return agreeing >= quorum;
}

/** SENTINEL CKQUORUM: can `usable` monitors (this one included) reach each threshold? */
export function quorumCheck(
  usable: number,
  voters: number,
  quorum: number,
): { quorum: boolean; majority: boolean } {
  return { quorum: usable >= quorum, majority: usable >= majority(voters) };
}
