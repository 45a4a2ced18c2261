/** INFO (server, clients, cpu, stats, sentinel) and ROLE, in redis-sentinel 7.0's layout. */
import os from 'node:os';
import { R } from '../../resp/reply.js';
import { REDIS_COMPAT_VERSION } from '../version.js';
import type { Monitor } from './types.js';
import { sentinelInfoSection } from '../replies.js';
import type { CommandSpec } from './types.js';

const SECTIONS = ['server', 'clients', 'cpu', 'stats', 'sentinel'] as const;
type Section = (typeof SECTIONS)[number];

function serverSection(d: Monitor, now: number): string {
  // As Redis: whole seconds of the clock since the start second, so that server_time_usec minus
  // uptime gives the start second exactly.
  const up = Math.floor(now / 1000) - Math.floor(d.stats.startedAt / 1000);
  const lines = [
    '# Server',
    `redis_version:${REDIS_COMPAT_VERSION}`,
    'redis_git_sha1:00000000',
    'redis_git_dirty:0',
    'redis_build_id:0',
    'redis_mode:sentinel',
    `os:${os.type()} ${os.release()} ${os.arch()}`,
    `arch_bits:${process.arch.endsWith('64') ? 64 : 32}`,
    'monotonic_clock:POSIX clock_gettime',
    'multiplexing_api:epoll',
    'atomicvar_api:c11-builtin',
    'gcc_version:0.0.0',
    `process_id:${process.pid}`,
    'process_supervised:no',
    `run_id:${d.runId}`,
    `tcp_port:${d.config.port}`,
    `server_time_usec:${now * 1000}`,
    `uptime_in_seconds:${up}`,
    `uptime_in_days:${Math.floor(up / 86400)}`,
    'hz:10',
    'configured_hz:10',
    `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
    `executable:${process.argv[1] ?? ''}`,
    `config_file:${d.configPath}`,
    'io_threads_active:0',
  ];
  return lines.join('\r\n') + '\r\n';
}

function clientsSection(d: Monitor): string {
  const sessions = [...d.server.sessions.values()];
  return (
    [
      '# Clients',
      `connected_clients:${sessions.length}`,
      'cluster_connections:0',
      'maxclients:10000',
      'client_recent_max_input_buffer:0',
      'client_recent_max_output_buffer:0',
      'blocked_clients:0',
      'tracking_clients:0',
      'clients_in_timeout_table:0',
    ].join('\r\n') + '\r\n'
  );
}

function cpuSection(): string {
  const u = process.cpuUsage();
  const f = (us: number) => (us / 1e6).toFixed(6);
  return (
    [
      '# CPU',
      `used_cpu_sys:${f(u.system)}`,
      `used_cpu_user:${f(u.user)}`,
      'used_cpu_sys_children:0.000000',
      'used_cpu_user_children:0.000000',
      `used_cpu_sys_main_thread:${f(u.system)}`,
      `used_cpu_user_main_thread:${f(u.user)}`,
    ].join('\r\n') + '\r\n'
  );
}

function statsSection(d: Monitor): string {
  const s = d.stats;
  return (
    [
      '# Stats',
      `total_connections_received:${s.totalConnections}`,
      `total_commands_processed:${s.totalCommands}`,
      'instantaneous_ops_per_sec:0',
      `total_net_input_bytes:${s.totalNetInput}`,
      `total_net_output_bytes:${s.totalNetOutput}`,
      'total_net_repl_input_bytes:0',
      'total_net_repl_output_bytes:0',
      'instantaneous_input_kbps:0.00',
      'instantaneous_output_kbps:0.00',
      'instantaneous_input_repl_kbps:0.00',
      'instantaneous_output_repl_kbps:0.00',
      `rejected_connections:${s.rejectedConnections}`,
      'sync_full:0',
      'sync_partial_ok:0',
      'sync_partial_err:0',
      'expired_keys:0',
      'expired_stale_perc:0.00',
      'expired_time_cap_reached_count:0',
      'expire_cycle_cpu_milliseconds:0',
      'evicted_keys:0',
      'evicted_clients:0',
      'total_eviction_exceeded_time:0',
      'current_eviction_exceeded_time:0',
      'keyspace_hits:0',
      'keyspace_misses:0',
      `pubsub_channels:${d.hub.channelCount}`,
      `pubsub_patterns:${d.hub.patternCount}`,
      'pubsubshard_channels:0',
      'latest_fork_usec:0',
      'total_forks:0',
      'migrate_cached_sockets:0',
      'slave_expires_tracked_keys:0',
      'active_defrag_hits:0',
      'active_defrag_misses:0',
      'active_defrag_key_hits:0',
      'active_defrag_key_misses:0',
      'total_active_defrag_time:0',
      'current_active_defrag_time:0',
      'tracking_total_keys:0',
      'tracking_total_items:0',
      'tracking_total_prefixes:0',
      'unexpected_error_replies:0',
      'total_error_replies:0',
      'dump_payload_sanitizations:0',
      'total_reads_processed:0',
      'total_writes_processed:0',
      'io_threaded_reads_processed:0',
      'io_threaded_writes_processed:0',
      'reply_buffer_shrinks:0',
      'reply_buffer_expands:0',
    ].join('\r\n') + '\r\n'
  );
}

function selectSections(args: readonly string[]): Set<Section> {
  if (args.length === 0) return new Set(SECTIONS);
  const out = new Set<Section>();
  for (const a of args) {
    const s = a.toLowerCase();
    if (s === 'all' || s === 'everything' || s === 'default') SECTIONS.forEach((x) => out.add(x));
    else if ((SECTIONS as readonly string[]).includes(s)) out.add(s as Section);
  }
  return out;
}

export function infoText(d: Monitor, args: readonly string[], now: number): string {
  const want = selectSections(args);
  const parts: string[] = [];
  if (want.has('server')) parts.push(serverSection(d, now));
  if (want.has('clients')) parts.push(clientsSection(d));
  if (want.has('stats')) parts.push(statsSection(d));
  if (want.has('cpu')) parts.push(cpuSection());
  if (want.has('sentinel')) {
    const core = d.core;
    parts.push(
      sentinelInfoSection(core.masters.values(), {
        tilt: core.tilt,
        tiltSinceSeconds: Math.floor((now - core.tiltStartTime) / 1000),
        runningScripts: d.runtime.scripts.running,
        queueLength: d.runtime.scripts.queue.length,
        simFlags:
          (core.simFailure.crashAfterElection ? 1 : 0) | (core.simFailure.crashAfterPromotion ? 2 : 0),
      }),
    );
  }
  return parts.join('\r\n');
}

export const info: CommandSpec = {
  name: 'info',
  arity: -1,
  flags: ['loading', 'stale', 'sentinel'],
  categories: ['@slow', '@dangerous'],
  // Sentinel answers INFO with a plain bulk string in both protocols (sentinelInfoCommand).
  handler: ({ daemon, argv, now }) => R.bulk(infoText(daemon, argv.slice(1), now)),
};

export const role: CommandSpec = {
  name: 'role',
  arity: 1,
  flags: ['noscript', 'loading', 'stale', 'fast', 'sentinel'],
  categories: ['@admin', '@fast', '@dangerous'],
  handler: ({ daemon }) => R.array([R.bulk('sentinel'), R.bulks([...daemon.core.masters.keys()])]),
};
