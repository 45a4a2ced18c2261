/**
 * Reply shapes of SENTINEL MASTER/REPLICAS/SENTINELS, field for field in redis-sentinel 7.0's
 * order (addReplySentinelRedisInstance). Numbers are bulk strings, as Sentinel sends them.
 */
import { linkDisconnected } from '../core/instance.js';
import type { InstanceView, MasterView } from '../core/view.js';
import { R, type Reply } from '../resp/reply.js';

function flagsOf(i: InstanceView): string {
  const f: string[] = [];
  if (i.sDown) f.push('s_down');
  if (i.kind === 'master' && i.oDown) f.push('o_down');
  if (i.kind === 'master') f.push('master');
  if (i.kind === 'replica') f.push('slave');
  if (i.kind === 'sentinel') f.push('sentinel');
  if (linkDisconnected(i.link, i.kind !== 'sentinel')) f.push('disconnected');
  if (i.kind === 'sentinel' && i.masterDown) f.push('master_down');
  if (i.kind === 'master' && i.failoverState !== 'none') f.push('failover_in_progress');
  if (i.kind === 'replica') {
    if (i.promoted) f.push('promoted');
    if (i.reconf === 'sent') f.push('reconf_sent');
    if (i.reconf === 'inprog') f.push('reconf_inprog');
    if (i.reconf === 'done') f.push('reconf_done');
  }
  if (i.kind === 'master' && i.forceFailover) f.push('force_failover');
  if (i.kind !== 'sentinel' && i.scriptKillSent) f.push('script_kill_sent');
  return f.join(',');
}

export function instanceReply(i: InstanceView, now: number): Reply {
  const fields: [string, string][] = [];
  const add = (k: string, v: string | number) => fields.push([k, String(v)]);
  add('name', i.name);
  add('ip', i.addr.host);
  add('port', i.addr.port);
  add('runid', i.runId ?? '');
  add('flags', flagsOf(i));
  add('link-pending-commands', i.link.pendingCommands);
  add('link-refcount', i.link.refcount);
  if (i.kind === 'master' && i.failoverState !== 'none') add('failover-state', i.failoverState);
  add('last-ping-sent', i.link.actPingTime ? now - i.link.actPingTime : 0);
  add('last-ok-ping-reply', now - i.link.lastAvailTime);
  add('last-ping-reply', now - i.link.lastPongTime);
  if (i.sDown) add('s-down-time', now - i.sDownSince);
  if (i.kind === 'master' && i.oDown) add('o-down-time', now - i.oDownSince);
  add('down-after-milliseconds', i.downAfterMs);
  if (i.kind !== 'sentinel') {
    add('info-refresh', i.infoRefresh ? now - i.infoRefresh : 0);
    add('role-reported', i.roleReported);
    add('role-reported-time', now - i.roleReportedTime);
  }
  if (i.kind === 'master') {
    add('config-epoch', i.configEpoch);
    add('num-slaves', i.replicas.size);
    add('num-other-sentinels', i.sentinels.size);
    add('quorum', i.quorum);
    add('failover-timeout', i.failoverTimeoutMs);
    add('parallel-syncs', i.parallelSyncs);
    if (i.notificationScript) add('notification-script', i.notificationScript);
    if (i.clientReconfigScript) add('client-reconfig-script', i.clientReconfigScript);
  }
  if (i.kind === 'replica') {
    add('master-link-down-time', i.masterLinkDownTime);
    add('master-link-status', i.slaveMasterLinkUp ? 'ok' : 'err');
    add('master-host', i.slaveMasterHost ?? '?');
    add('master-port', i.slaveMasterPort);
    add('slave-priority', i.priority);
    add('slave-repl-offset', i.replOffset);
    add('replica-announced', i.announced ? 1 : 0);
  }
  if (i.kind === 'sentinel') {
    add('last-hello-message', now - i.lastHelloTime);
    add('voted-leader', i.leader ?? '?');
    add('voted-leader-epoch', i.leaderEpoch);
  }
  return R.strMap(fields.map(([k, v]) => [k, R.bulk(v)] as const));
}

export function instancesReply(list: Iterable<InstanceView>, now: number): Reply {
  const out: Reply[] = [];
  for (const i of list) {
    // Sentinel hides replicas that set replica-announced no.
    if (i.kind === 'replica' && !i.announced) continue;
    out.push(instanceReply(i, now));
  }
  return R.array(out);
}

/** INFO's `# Sentinel` section. */
export function sentinelInfoSection(
  masters: Iterable<MasterView>,
  s: {
    tilt: boolean;
    tiltSinceSeconds: number;
    runningScripts: number;
    queueLength: number;
    simFlags: number;
  },
): string {
  const list = [...masters];
  let out =
    '# Sentinel\r\n' +
    `sentinel_masters:${list.length}\r\n` +
    `sentinel_tilt:${s.tilt ? 1 : 0}\r\n` +
    `sentinel_tilt_since_seconds:${s.tilt ? s.tiltSinceSeconds : -1}\r\n` +
    `sentinel_running_scripts:${s.runningScripts}\r\n` +
    `sentinel_scripts_queue_length:${s.queueLength}\r\n` +
    `sentinel_simulate_failure_flags:${s.simFlags}\r\n`;
  list.forEach((m, idx) => {
    const status = m.oDown ? 'odown' : m.sDown ? 'sdown' : 'ok';
    out +=
      `master${idx}:name=${m.name},status=${status},address=${m.addr.host}:${m.addr.port},` +
      `slaves=${m.replicas.size},sentinels=${m.sentinels.size + 1}\r\n`;
  });
  return out;
}
