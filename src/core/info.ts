/** What the monitor reads out of a Redis `INFO` reply. Parsing is pure and total. */
export interface ReplicaListing {
  ip: string;
  port: number;
  state: string;
  offset: number;
  lag: number;
}

export interface InfoSnapshot {
  runId: string | undefined;
  role: 'master' | 'slave' | undefined;
  replicas: ReplicaListing[];
  masterHost: string | undefined;
  masterPort: number | undefined;
  masterLinkUp: boolean | undefined;
  /** ms; 0 when the field is absent (Sentinel resets it when missing). */
  masterLinkDownSinceMs: number;
  replicaPriority: number | undefined;
  replicaReplOffset: number | undefined;
  replicaAnnounced: boolean | undefined;
  masterReplId: string | undefined;
  masterReplId2: string | undefined;
  masterReplOffset: number | undefined;
  secondReplOffset: number | undefined;
  masterSyncInProgress: boolean | undefined;
  loading: boolean | undefined;
  /** Keys in every database (`# Keyspace`); undefined when the reply has no keyspace section. */
  keys: number | undefined;
  fields: ReadonlyMap<string, string>;
}

function int(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : undefined;
}

function parseReplicaLine(value: string): ReplicaListing | undefined {
  if (!value.includes('ip=')) {
    // Pre-2.8 format: ip,port,state
    const [ip, port, state] = value.split(',');
    if (ip === undefined || port === undefined) return undefined;
    return { ip, port: int(port) ?? 0, state: state ?? '', offset: 0, lag: 0 };
  }
  const kv = new Map<string, string>();
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) kv.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const ip = kv.get('ip');
  const port = int(kv.get('port'));
  if (ip === undefined || port === undefined) return undefined;
  return {
    ip,
    port,
    state: kv.get('state') ?? '',
    offset: int(kv.get('offset')) ?? 0,
    lag: int(kv.get('lag')) ?? 0,
  };
}

export function parseInfo(text: string): InfoSnapshot {
  const fields = new Map<string, string>();
  const replicas: ReplicaListing[] = [];
  let keys: number | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#')) {
      if (line.trim().toLowerCase() === '# keyspace') keys ??= 0;
      continue;
    }
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    fields.set(key, value);
    if (/^slave\d+$/.test(key)) {
      const r = parseReplicaLine(value);
      if (r) replicas.push(r);
    }
    if (/^db\d+$/.test(key)) {
      const n = /(?:^|,)keys=(\d+)/.exec(value);
      keys = (keys ?? 0) + (n ? Number(n[1]) : 0);
    }
  }
  const role = fields.get('role');
  const runId = fields.get('run_id');
  const linkStatus = fields.get('master_link_status');
  const announced = fields.get('replica_announced');
  const syncing = fields.get('master_sync_in_progress');
  const loading = fields.get('loading');
  return {
    runId: runId !== undefined && runId.length >= 40 ? runId.slice(0, 40) : undefined,
    role: role === 'master' ? 'master' : role === 'slave' ? 'slave' : undefined,
    replicas,
    masterHost: fields.get('master_host'),
    masterPort: int(fields.get('master_port')),
    masterLinkUp: linkStatus === undefined ? undefined : linkStatus.toLowerCase() === 'up',
    masterLinkDownSinceMs: (int(fields.get('master_link_down_since_seconds')) ?? 0) * 1000,
    replicaPriority: int(fields.get('slave_priority') ?? fields.get('replica_priority')),
    replicaReplOffset: int(fields.get('slave_repl_offset')),
    replicaAnnounced: announced === undefined ? undefined : announced !== '0',
    masterReplId: fields.get('master_replid'),
    masterReplId2: fields.get('master_replid2'),
    masterReplOffset: int(fields.get('master_repl_offset')),
    secondReplOffset: int(fields.get('second_repl_offset')),
    masterSyncInProgress: syncing === undefined ? undefined : syncing === '1',
    loading: loading === undefined ? undefined : loading === '1',
    keys,
    fields,
  };
}
