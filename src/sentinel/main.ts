/**
 * `vigil-sentinel <config> [--directive value ...]`: a drop-in for `redis-sentinel`, started
 * the same way by service files and test harnesses.
 */
import { spawn } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Daemon } from './daemon.js';
import { REDIS_COMPAT_VERSION, VIGIL_VERSION } from './version.js';
import { checkConfigFileWritable, ConfigError, parseConfig } from './config/parse.js';

const USAGE = `Usage: vigil-sentinel /path/to/sentinel.conf [--<directive> <value> ...]
       vigil-sentinel -v | --version
       vigil-sentinel -h | --help

Reads a Redis Sentinel configuration file and monitors the primaries it names,
speaking the Sentinel protocol on its port. The file must be writable: the
monitor's state (epochs, known replicas and monitors) is saved there.`;

/** Turn `--port 26380 --sentinel` style overrides into config lines, as redis-server does. */
export function overridesToLines(args: readonly string[]): string[] {
  const lines: string[] = [];
  let cur: string[] = [];
  for (const a of args) {
    if (a.startsWith('--')) {
      if (cur.length) lines.push(cur.join(' '));
      const name = a.slice(2);
      cur = name === 'sentinel' ? [] : [name];
    } else if (cur.length) {
      cur.push(/\s/.test(a) || a === '' ? JSON.stringify(a) : a);
    }
  }
  if (cur.length) lines.push(cur.join(' '));
  return lines;
}

function fail(message: string): never {
  process.stderr.write(`vigil-sentinel: ${message}\n`);
  process.exit(1);
}

async function main(argv: string[]): Promise<void> {
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help') {
    process.stdout.write(USAGE + '\n');
    process.exit(argv.length === 0 ? 1 : 0);
  }
  if (argv[0] === '-v' || argv[0] === '--version') {
    process.stdout.write(
      `Vigil v=${VIGIL_VERSION} (Redis Sentinel compatible, redis_version ${REDIS_COMPAT_VERSION})\n`,
    );
    return;
  }
  const configPath = resolve(argv[0] ?? '');
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    fail(`cannot read config file ${configPath}: ${(e as Error).message}`);
  }
  const extra = overridesToLines(argv.slice(1));
  let config;
  try {
    checkConfigFileWritable(configPath);
    config = parseConfig(extra.length ? `${text}\n${extra.join('\n')}\n` : text, configPath);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    fail((e as Error).message);
  }
  if (config.dir !== undefined) {
    try {
      process.chdir(config.dir);
    } catch (e) {
      fail(`cannot chdir to '${config.dir}': ${(e as Error).message}. Fix 'dir' in ${configPath}.`);
    }
  }
  if (config.daemonize && process.env.VIGIL_DAEMONIZED !== '1') {
    const child = spawn(process.execPath, process.argv.slice(1), {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, VIGIL_DAEMONIZED: '1' },
    });
    child.unref();
    return;
  }
  let daemon: Daemon;
  try {
    daemon = new Daemon({ config, configPath });
  } catch (e) {
    fail((e as Error).message);
  }
  if (config.pidfile) {
    try {
      writeFileSync(config.pidfile, `${process.pid}\n`);
    } catch (e) {
      daemon.logger.warning(`Failed to write PID file ${config.pidfile}: ${(e as Error).message}`);
    }
  }
  const stop = (signal: string) => {
    void daemon.shutdown(`Received ${signal} scheduling shutdown`).then(() => {
      if (config.pidfile) {
        try {
          unlinkSync(config.pidfile);
        } catch {
          // already gone
        }
      }
      process.exit(0);
    });
  };
  // A fault in one connection's handler must not take the monitor down with every primary it watches.
  process.on('uncaughtException', (e) =>
    daemon.logger.warning(`Internal error (continuing): ${e.stack ?? e.message}`),
  );
  process.on('unhandledRejection', (e) =>
    daemon.logger.warning(
      `Internal error (continuing): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    ),
  );
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await daemon.start();
  } catch (e) {
    daemon.logger.warning((e as Error).message);
    fail((e as Error).message);
  }
}

main(process.argv.slice(2)).catch((e: unknown) =>
  fail(e instanceof Error ? (e.stack ?? e.message) : String(e)),
);
