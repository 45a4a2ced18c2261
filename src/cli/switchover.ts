/**
 * `vigil switchover <name>`: a planned, coordinated switchover, shown step by step. Sends
 * SENTINEL FAILOVER <name> COORDINATED [TO host port] [TIMEOUT ms] to a monitor and follows its
 * events until the new primary is announced or the switchover is called off.
 */
import { formatAddr } from '../node/address.js';
import { connect } from '../node/connect.js';
import { monitorError, parseEndpoint, UsageError, type Endpoint } from './common.js';

export interface SwitchoverOptions {
  sentinel: string;
  to?: string | undefined;
  timeout?: string | undefined;
  password?: string | undefined;
  user?: string | undefined;
  wait: string;
}

const SHOWN: Record<string, string> = {
  '+try-failover': 'asking the other monitors for a new epoch',
  '+elected-leader': 'elected to lead it',
  '+selected-slave': 'target chosen',
  '+coordinated-handover': 'writes paused on the primary; handing over',
  '+promoted-slave': 'the target is the primary now; clients disconnected to follow it',
  '+slave-reconf-sent': 'repointing a replica',
  '+slave-reconf-done': 'replica repointed',
  '+switch-master': 'new configuration announced',
  '-failover-abort-coordinated': 'called off',
  '-failover-abort-not-elected': 'called off: not elected (another monitor is failing over?)',
  '-failover-abort-no-good-slave': 'called off: no eligible replica',
  '-failover-refused-replica': 'refused',
};

export async function runSwitchover(name: string, opts: SwitchoverOptions): Promise<number> {
  let monitor: Endpoint;
  try {
    monitor = parseEndpoint(opts.sentinel);
  } catch (e) {
    process.stderr.write(`vigil switchover: ${(e as Error).message}\n`);
    return 1;
  }
  const args: string[] = ['SENTINEL', 'FAILOVER', name, 'COORDINATED'];
  if (opts.to !== undefined) {
    const to = parseEndpoint(opts.to, 6379);
    args.push('TO', to.host, String(to.port));
  }
  if (opts.timeout !== undefined) {
    if (!/^\d+$/.test(opts.timeout) || Number(opts.timeout) <= 0) {
      process.stderr.write(`vigil switchover: --timeout takes milliseconds, e.g. --timeout 500\n`);
      return 1;
    }
    args.push('TIMEOUT', opts.timeout);
  }
  const creds = { password: opts.password, user: opts.user };
  let events;
  let cmd;
  try {
    events = await connect(monitor, { ...creds, commandTimeoutMs: 0 });
    // Generous: a loaded machine must not turn a slow reply into a failed switchover.
    cmd = await connect(monitor, { ...creds, commandTimeoutMs: 10_000 });
  } catch (e) {
    process.stderr.write(
      `vigil switchover: cannot reach a monitor at ${formatAddr(monitor)} (${(e as Error).message}): check --sentinel\n`,
    );
    events?.close();
    return 1;
  }
  const t0 = Date.now();
  const say = (s: string) => process.stdout.write(`${`+${Date.now() - t0} ms`.padStart(10)}  ${s}\n`);
  try {
    const before = (await cmd.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null;
    const outcome = new Promise<number>((resolve) => {
      events.client.on('pmessage', (_p: string, channel: string, payload: string) => {
        if (channel !== '+switch-master' && !payload.includes(` ${name} `) && !payload.startsWith(`${name} `))
          return;
        const what = SHOWN[channel];
        if (what) say(`${what}: ${channel} ${payload}`);
        if (channel === '+switch-master' && payload.startsWith(`${name} `)) resolve(0);
        if (channel.startsWith('-failover-abort')) resolve(2);
      });
    });
    await events.client.psubscribe('*');
    say(`switching over ${name} (primary now ${before ? `${before[0]}:${before[1]}` : 'unknown'})`);
    try {
      await cmd.call(...args);
    } catch (e) {
      const msg = (e as Error).message;
      if (/^ERR unknown subcommand|syntax error/.test(msg)) {
        throw new UsageError(
          `${formatAddr(monitor)} does not support coordinated switchovers: it is not a Vigil monitor`,
        );
      }
      if (/No such master/i.test(msg)) throw monitorError(monitor, e, name);
      process.stderr.write(`vigil switchover: refused: ${msg}\n`);
      return 2;
    }
    const limit = Number(opts.wait) * 1000;
    const timer = new Promise<number>((resolve) => setTimeout(() => resolve(3), limit));
    const code = await Promise.race([outcome, timer]);
    if (code === 0) {
      const after = (await cmd.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null;
      say(`done: ${name} is served by ${after ? `${after[0]}:${after[1]}` : '?'}`);
    } else if (code === 3) {
      process.stderr.write(
        `vigil switchover: no outcome within ${opts.wait} s; check SENTINEL MASTER ${name} on the monitors\n`,
      );
    }
    return code;
  } catch (e) {
    process.stderr.write(`vigil switchover: ${(e as Error).message}\n`);
    return 1;
  } finally {
    events.close();
    cmd.close();
  }
}
