/** Stale or current: what a process runs against what it should run. */
import type { DesiredSpec, RunningSpec } from './types.js';

function short(s: string): string {
  return s.length > 12 ? s.slice(0, 12) : s;
}

/**
 * Why a process does not run the desired spec (empty: it does). A field that cannot be observed
 * counts as stale when a value is wanted for it: restarting once too often is safe, running the
 * wrong version is not what the operator asked for.
 */
export function staleReasons(
  running: RunningSpec,
  desired: DesiredSpec,
  desiredConfigHash?: string,
): string[] {
  const out: string[] = [];
  if (desired.version !== undefined && running.version !== desired.version)
    out.push(`version ${running.version ?? 'unknown'}, wanted ${desired.version}`);
  if (desired.executable !== undefined && running.executable !== desired.executable)
    out.push(`runs ${running.executable ?? 'an unknown executable'}, wanted ${desired.executable}`);
  if (desiredConfigHash !== undefined && running.configHash !== desiredConfigHash)
    out.push(
      running.configHash === undefined
        ? `started with an unknown configuration (wanted ${short(desiredConfigHash)})`
        : `configuration changed (${short(running.configHash)} -> ${short(desiredConfigHash)})`,
    );
  if (desired.args !== undefined && (running.args ?? '') !== desired.args)
    out.push(`arguments '${running.args ?? ''}', wanted '${desired.args}'`);
  if (desired.restartedAfterMs !== undefined) {
    if (running.startedAtMs === undefined) out.push('start time unknown');
    // To the second: that is what Redis reports (uptime_in_seconds).
    else if (Math.floor(running.startedAtMs / 1000) < Math.floor(desired.restartedAfterMs / 1000))
      out.push(
        `started ${new Date(running.startedAtMs).toISOString()}, before the restart token ${new Date(desired.restartedAfterMs).toISOString()}`,
      );
  }
  return out;
}
