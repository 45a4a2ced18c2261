/** The `vigil` command: operator tools around the monitor daemon. */
import { Command } from 'commander';
import { VIGIL_VERSION } from '../sentinel/daemon.js';

const program = new Command();
program
  .name('vigil')
  .description(
    'High-availability manager for Redis and Valkey: a drop-in Redis Sentinel that does not lose acknowledged writes.',
  )
  .version(VIGIL_VERSION);

program
  .command('sentinel')
  .description('run the monitor daemon (same as vigil-sentinel): vigil sentinel /path/to/sentinel.conf')
  .argument('<config>', 'sentinel.conf path (must be writable)')
  .allowUnknownOption(true)
  .allowExcessArguments(true)
  .action(async () => {
    const idx = process.argv.indexOf('sentinel');
    process.argv = [process.argv[0] ?? 'node', process.argv[1] ?? 'vigil', ...process.argv.slice(idx + 1)];
    await import('../sentinel/main.js');
  });

program
  .command('demo')
  .description(
    'start a local primary with two replicas watched by three Vigil monitors, write to it, kill the primary, and show the failover',
  )
  .option('--keep', 'leave the group running after the demo (Ctrl-C stops it)')
  .option('--base-port <port>', 'first port to use', '0')
  .action(async (opts: { keep?: boolean; basePort: string }) => {
    const { runDemo } = await import('./demo.js');
    const code = await runDemo({ keep: opts.keep === true, basePort: Number(opts.basePort) });
    process.exitCode = code;
  });

program
  .command('candidates')
  .description(
    'show what a failover would do now: every replica with its history, offset, lag, priority and eligibility (exit 0: a replica would be promoted, 2: none would, 1: error)',
  )
  .argument('<name>', 'name of the monitored primary (as in sentinel monitor <name> ...)')
  .option('--sentinel <host:port>', 'Vigil monitor to ask', '127.0.0.1:26379')
  .option('--password <password>', "the monitor's password (requirepass)")
  .option('--user <user>', "the monitor's ACL user")
  .option('--json', 'print the report as JSON')
  .action(
    async (name: string, opts: { sentinel: string; password?: string; user?: string; json?: boolean }) => {
      const { runCandidates } = await import('./candidates.js');
      process.exitCode = await runCandidates(name, opts);
    },
  );

program
  .command('switchover')
  .description(
    'planned failover that loses no acknowledged write: writes paused, handover with FAILOVER, clients moved at the switch (exit 0: switched, 2: refused or called off, 1: error, 3: no outcome in time)',
  )
  .argument('<name>', 'name of the monitored primary')
  .option('--sentinel <host:port>', 'Vigil monitor to ask', '127.0.0.1:26379')
  .option('--to <host:port>', 'the replica to hand over to (default: the safest, as vigil candidates shows)')
  .option(
    '--timeout <ms>',
    'longest write pause before the switchover is called off (default: half of down-after)',
  )
  .option('--password <password>', "the monitor's password (requirepass)")
  .option('--user <user>', "the monitor's ACL user")
  .option('--wait <seconds>', 'how long to follow the switchover', '30')
  .action(async (name: string, opts: import('./switchover.js').SwitchoverOptions) => {
    const { runSwitchover } = await import('./switchover.js');
    process.exitCode = await runSwitchover(name, opts);
  });

program
  .command('doctor')
  .description(
    'check a live group against Sentinel\'s "don\'t do" list: persistence, replica priorities, min-replicas-to-write, monitors and quorum, announced addresses, down-after vs latency (exit 0: no errors, 2: errors found, 1: could not run)',
  )
  .argument('<name>', 'name of the monitored primary')
  .option(
    '--sentinel <host:port>',
    'monitor to ask (repeat or comma-separate for several; default 127.0.0.1:26379)',
    (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
  )
  .option('--password <password>', "the monitors' password (requirepass)")
  .option('--user <user>', "the monitors' ACL user")
  .option('--auth-pass <password>', "the data nodes' password (the monitors' sentinel auth-pass)")
  .option('--auth-user <user>', "the data nodes' ACL user (sentinel auth-user)")
  .option('--json', 'print the findings as JSON')
  .action(
    async (
      name: string,
      opts: {
        sentinel?: string[];
        password?: string;
        user?: string;
        authPass?: string;
        authUser?: string;
        json?: boolean;
      },
    ) => {
      const { runDoctor } = await import('./doctor.js');
      process.exitCode = await runDoctor(name, opts);
    },
  );

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

program
  .command('rollout')
  .description(
    'rolling restart with no reactive failover: replicas first, then a coordinated handover to an up-to-date replica, then the old primary, then the monitors; recomputed from the live state before every step, so an interrupted rollout resumes when run again (exit 0: done, 2: stopped by a safety gate, 3: a gate did not clear in time, 1: error)',
  )
  .argument('[name]', 'name of the monitored primary (replication groups)')
  .option('--sentinel <host:port>', 'a Vigil monitor of the group (repeat or comma-separate)', collect)
  .option('--cluster <host:port>', 'a node of a Redis Cluster (rolled shard by shard)', collect)
  .option('--node <host:port>', 'a standalone server (plain restart: writes fail while it restarts)')
  .option(
    '--driver <local|exec>',
    'how processes are restarted (default: local with --local-root, else exec)',
  )
  .option(
    '--restart <command>',
    "exec driver: shell command with {host} and {port}, e.g. 'systemctl restart redis@{port}'",
  )
  .option(
    '--restart-monitor <command>',
    'exec driver: the same for the monitors (without it they are not restarted)',
  )
  .option('--local-root <dir>', 'local driver: the directory with one directory per node run by vigil node')
  .option(
    '--restart-token <time>',
    'restart every process started before this time: now, an ISO time or epoch ms',
  )
  .option('--redis-version <version>', 'the version every data node should run (INFO redis_version)')
  .option('--executable <path>', 'the executable every data node should run (INFO executable)')
  .option('--args <args>', 'local driver: the extra arguments every node should run with')
  .option('--skip-monitors', 'do not restart the monitors')
  .option('--dry-run', 'print the plan and what would hold it back, and change nothing')
  .option('--switchover-timeout <ms>', 'longest write pause of each handover (default: the monitors choose)')
  .option(
    '--gate-timeout <seconds>',
    'longest wait for a node to come back, sync, or the monitors to agree',
    '120',
  )
  .option(
    '--restart-timeout <seconds>',
    'longest wait for a restarted process to run the desired spec',
    '120',
  )
  .option('--max-lag-bytes <n>', 'a replica counts as in sync when at most this far behind', '0')
  .option('--accept-data-loss', 'restart a standalone server without persistence anyway (its data is erased)')
  .option('--password <password>', "the monitors' password")
  .option('--user <user>', "the monitors' ACL user")
  .option('--auth-pass <password>', "the data nodes' password")
  .option('--auth-user <user>', "the data nodes' ACL user")
  .action(async (name: string | undefined, opts: import('./rollout.js').RolloutCliOptions) => {
    const { runRolloutCli } = await import('./rollout.js');
    process.exitCode = await runRolloutCli(name, opts);
  });

program
  .command('node')
  .description(
    'run and supervise one redis-server (or --monitor: one Vigil monitor) from its config file; when stopped (SIGTERM, SIGINT) while primary, hand the role over through the monitors first',
  )
  .argument('<config>', 'redis.conf (or sentinel.conf with --monitor)')
  .argument('[args...]', 'extra redis-server arguments (after --)')
  .option('--monitor', 'run a Vigil monitor instead of a redis-server')
  .option(
    '--sentinel <host:port>',
    'the monitors to ask for the handover (repeat or comma-separate)',
    collect,
  )
  .option('--name <name>', 'the monitored name of the group')
  .option('--password <password>', "the monitors' password")
  .option('--user <user>', "the monitors' ACL user")
  .option('--auth-pass <password>', "this server's password")
  .option('--auth-user <user>', "this server's ACL user")
  .option(
    '--grace <ms>',
    "longest time a stop may take, handover included (keep your init system's stop timeout above it)",
    '30000',
  )
  .option('--server <path>', 'the redis-server executable', 'redis-server')
  .option(
    '--monitor-server <path>',
    'with --monitor: run this monitor executable (e.g. redis-sentinel) instead of Vigil',
  )
  .option(
    '--restart-delay <ms>',
    'on a restart (SIGHUP), keep the server down this long, as a package upgrade or a rescheduled pod would (benchmarks)',
  )
  .option(
    '--runtime-config <path>',
    'run redis-server from this file, generated at every start from <config> plus the persisted replication role: Redis (CONFIG REWRITE at failovers) rewrites only it, never <config>',
  )
  .action(async (config: string, args: string[], opts: import('./node.js').NodeOptions) => {
    const { runNode } = await import('./node.js');
    process.exitCode = await runNode(config, args, opts);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`vigil: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
