// Free loopback ports for test servers.
//
// Ports are picked at random outside the kernel's ephemeral range (ip_local_port_range): a port
// obtained by binding to :0 comes from that range, which is also where outgoing connections get
// their source ports, so such a port can be taken by any client socket before the server binds
// it, or while a server is being restarted on it. Every candidate is checked by binding it; a
// port is never handed out twice in one process, and a lock file under <tmpdir>/vigil-h-ports
// keeps concurrently running test processes from picking the same one.
import net from 'node:net';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, onProcessExit } from './cleanup.js';

export interface FreePortOptions {
  /** Also require port + 10000 (the Redis Cluster bus port) to be free and reserve it. */
  clusterBus?: boolean;
}

const CLUSTER_BUS_OFFSET = 10_000;
const MIN_PORT = 10_000;
const MAX_PORT = 65_535;

const handedOut = new Set<number>();
const locks: string[] = [];
const lockDir = join(tmpdir(), 'vigil-h-ports');

onProcessExit(() => {
  for (const l of locks) {
    try {
      unlinkSync(l);
    } catch {
      // Already gone.
    }
  }
});

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (lo !== undefined && hi !== undefined && Number.isInteger(lo) && Number.isInteger(hi)) return [lo, hi];
  } catch {
    // Not Linux: assume the IANA dynamic range.
  }
  return [49_152, 65_535];
}

const [EPH_LO, EPH_HI] = ephemeralRange();
const inEphemeral = (p: number): boolean => p >= EPH_LO && p <= EPH_HI;

function acceptable(p: number, bus: boolean): boolean {
  if (inEphemeral(p) || handedOut.has(p)) return false;
  if (!bus) return true;
  const b = p + CLUSTER_BUS_OFFSET;
  return b <= MAX_PORT && !inEphemeral(b) && !handedOut.has(b);
}

function randomCandidate(bus: boolean): number | undefined {
  for (let i = 0; i < 5000; i++) {
    const p = MIN_PORT + Math.floor(Math.random() * (MAX_PORT - MIN_PORT + 1));
    if (acceptable(p, bus)) return p;
  }
  return undefined;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      srv.close(() =>
        addr !== null && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

function lockOwner(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8'));
  } catch {
    return NaN;
  }
}

let swept = false;

/** Removes lock files left by processes that died without running their exit hook. */
function sweepStaleLocks(): void {
  let names: string[];
  try {
    names = readdirSync(lockDir);
  } catch {
    return;
  }
  for (const n of names) {
    const owner = lockOwner(join(lockDir, n));
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
      try {
        unlinkSync(join(lockDir, n));
      } catch {
        // Someone else swept it.
      }
    }
  }
}

/** Takes the cross-process lock for a port; a lock whose owner is dead is taken over. */
function lockPort(port: number): boolean {
  const path = join(lockDir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      mkdirSync(lockDir, { recursive: true });
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      locks.push(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return true; // No lock possible: rely on bind checks.
      const owner = lockOwner(path);
      // Unreadable or still empty (being written): treat as taken.
      if (!Number.isInteger(owner) || owner <= 0) return false;
      if (owner === process.pid || isAlive(owner)) return false;
      try {
        unlinkSync(path);
      } catch {
        // Someone else took it over first; the retry decides.
      }
    }
  }
  return false;
}

/**
 * A loopback port that is free right now and has not been handed out before by this process
 * (nor, while it lives, by another harness process). With `clusterBus`, port + 10000 is free too.
 */
export async function freePort(opts: FreePortOptions = {}): Promise<number> {
  const bus = opts.clusterBus === true;
  if (!swept) {
    swept = true;
    sweepStaleLocks();
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    let p = randomCandidate(bus);
    if (p === undefined) {
      // Unusual ephemeral range covering everything: fall back to a kernel-chosen port.
      p = await ephemeralPort();
      const b = p + CLUSTER_BUS_OFFSET;
      if (handedOut.has(p) || (bus && (b > MAX_PORT || handedOut.has(b)))) continue;
    }
    if (!(await canBind(p))) continue;
    if (bus && !(await canBind(p + CLUSTER_BUS_OFFSET))) continue;
    if (!lockPort(p)) {
      handedOut.add(p); // Another process has it: never consider it again.
      continue;
    }
    if (bus && !lockPort(p + CLUSTER_BUS_OFFSET)) {
      handedOut.add(p);
      handedOut.add(p + CLUSTER_BUS_OFFSET);
      continue;
    }
    handedOut.add(p);
    if (bus) handedOut.add(p + CLUSTER_BUS_OFFSET);
    return p;
  }
  throw new Error(`freePort: no free loopback port found (clusterBus=${bus})`);
}
