/**
 * Maintenance mode: while a group is paused, no monitor starts an automatic failover of it (it
 * keeps watching, and logs what it would have done), and no Vigil monitor votes for one, so a
 * redis-sentinel peer cannot fail it over alone either. Planned switchovers asked for explicitly
 * still run. A pause expires by itself and is persisted. Vigil monitors tell each other about it
 * on the data nodes' `__vigil__:hello` channel (redis-sentinel does not listen there), so a
 * monitor that was down when it was set, or resumed, learns it when it comes back: the newest
 * setting wins.
 */
import type { CoreContext } from './context.js';
import type { MasterState, PauseState } from './instance.js';

export function isPaused(c: CoreContext, m: MasterState): boolean {
  const p = m.pause;
  return p !== undefined && p.active && c.now < p.until;
}

/** SENTINEL PAUSE / RESUME on this monitor. */
export function setPause(
  c: CoreContext,
  m: MasterState,
  p: { active: boolean; until: number; reason: string },
): void {
  // A resume keeps the pause's end as its own: until then it must override the pause elsewhere.
  const until = p.active ? p.until : Math.max(m.pause?.until ?? c.now, c.now);
  apply(c, m, { ...p, until, setAt: Math.max(c.now, (m.pause?.setAt ?? 0) + 1), by: c.myid });
}

function apply(c: CoreContext, m: MasterState, p: PauseState): void {
  const was = isPaused(c, m);
  m.pause = p;
  const is = isPaused(c, m);
  if (is && !was) {
    c.event(
      'warning',
      '+pause',
      m,
      ` until ${new Date(p.until).toISOString()}${p.reason ? `: ${p.reason}` : ''}`,
    );
  } else if (was && !is) {
    c.event('warning', '-pause', m, ' resumed');
  }
  c.flushConfig();
}

/** At every tick: a pause ends by itself; an old setting is forgotten. */
export function checkPause(c: CoreContext, m: MasterState): void {
  const p = m.pause;
  if (!p || c.now < p.until) return;
  m.pause = undefined;
  if (p.active) c.event('warning', '-pause', m, ' expired');
  c.flushConfig();
}

/** Logged once per reason while paused: what the monitor would have done. */
export function heldBack(c: CoreContext, m: MasterState, what: string): void {
  const key = `${m.pause?.setAt ?? 0}:${what}`;
  if (m.pauseLogged === key) return;
  m.pauseLogged = key;
  c.log(
    'warning',
    `${m.name} is paused for maintenance${m.pause?.reason ? ` (${m.pause.reason})` : ''} until ${new Date(m.pause?.until ?? 0).toISOString()}: not starting the failover it would start now (${what}). Resume it with vigil resume ${m.name} or SENTINEL RESUME ${m.name}.`,
  );
}

/** The gossip payload: `<runid>,<name>,<setAt>,<until>,<1|0>,<reason>` (the reason may hold commas). */
export function pauseMessage(c: CoreContext, m: MasterState): string | undefined {
  const p = m.pause;
  if (!p || c.now >= p.until) return undefined;
  return [c.myid, m.name, p.setAt, p.until, p.active ? 1 : 0, p.reason].join(',');
}

/** A message on the Vigil channel: adopt a newer pause setting. */
export function onVigilMessage(c: CoreContext, payload: string): void {
  const parts = payload.split(',');
  if (parts.length < 6) return;
  const [by = '', name = '', setAt, until, active] = parts;
  if (by === c.myid) return;
  const m = c.masters.get(name);
  const p: PauseState = {
    by,
    setAt: Number(setAt),
    until: Number(until),
    active: active === '1',
    reason: parts.slice(5).join(','),
  };
  if (!m || !Number.isFinite(p.setAt) || !Number.isFinite(p.until) || c.now >= p.until) return;
  if (m.pause && m.pause.setAt >= p.setAt) return;
  apply(c, m, p);
}
