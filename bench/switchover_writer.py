"""A redis-py writer for bench/switchover.ts: unique keys, back to back, through Sentinel discovery.

Usage:
  switchover_writer.py <host:port>[,<host:port>...] <master-name> <key-prefix> <timeout-ms> <max-seconds>

Writes SET <key-prefix>:<seq> <seq>, one at a time, through Sentinel(...).master_for(...) (the
client asks the monitors for the primary whenever it has to connect) and prints one line per
write on stdout, times in milliseconds of time.monotonic() (CLOCK_MONOTONIC, the clock of Node's
process.hrtime, so the bench can place them on its own time line):

  ok <seq> <sent> <acknowledged>
  err <seq> <sent> <failed> <error class>: <message>

A write not answered within <timeout-ms> fails (socket timeout); after a failure the next write
follows after 10 ms. Stops when stdin reaches EOF (the bench closes it, or the bench died), on
SIGTERM or SIGINT, or after <max-seconds>; the write in flight is finished first. Prints "end"
last and exits 0.
"""

import signal
import sys
import threading
import time

from redis.sentinel import Sentinel

ERROR_BACKOFF_S = 0.01


def main() -> int:
    if len(sys.argv) != 6:
        sys.stderr.write(__doc__ or "")
        return 2
    addrs, name, prefix, timeout_ms, max_seconds = sys.argv[1:6]
    sentinels = []
    for addr in addrs.split(","):
        host, port = addr.rsplit(":", 1)
        sentinels.append((host, int(port)))
    timeout = int(timeout_ms) / 1000.0
    deadline = time.monotonic() + float(max_seconds)

    stop = threading.Event()

    def watch_stdin() -> None:
        try:
            sys.stdin.buffer.read()
        except Exception:  # noqa: BLE001 - any failure of stdin means the bench is gone
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    sentinel = Sentinel(sentinels, socket_timeout=timeout, socket_connect_timeout=timeout)
    primary = sentinel.master_for(name, socket_timeout=timeout, socket_connect_timeout=timeout)
    out = sys.stdout
    seq = 0
    while not stop.is_set() and time.monotonic() < deadline:
        seq += 1
        sent = time.monotonic()
        try:
            primary.set("%s:%d" % (prefix, seq), str(seq))
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the loop goes on
            failed = time.monotonic()
            message = str(e).replace("\n", " ")[:160]
            out.write("err %d %.3f %.3f %s: %s\n" % (seq, sent * 1000, failed * 1000, type(e).__name__, message))
            out.flush()
            stop.wait(ERROR_BACKOFF_S)
            continue
        acked = time.monotonic()
        out.write("ok %d %.3f %.3f\n" % (seq, sent * 1000, acked * 1000))
        out.flush()
    out.write("end\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
