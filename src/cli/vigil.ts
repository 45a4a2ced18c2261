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

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`vigil: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
