"""Writes unique keys through redis-py's Sentinel support and prints one line per write.

Usage: redis_py_writer.py <sentinel-port> <master-name> <key-prefix> <max-seconds>
"""
import sys
import time

from redis.sentinel import Sentinel

port, name, prefix, limit = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
sentinel = Sentinel([("127.0.0.1", port)], socket_timeout=0.5)
primary = sentinel.master_for(name, socket_timeout=0.5)
deadline = time.time() + limit
seq = 0
while time.time() < deadline:
    seq += 1
    key = "%s:%d" % (prefix, seq)
    try:
        primary.set(key, "1")
        print("ok " + key, flush=True)
    except Exception as e:  # a failover in progress: the client rediscovers the primary
        print("err %s" % type(e).__name__, flush=True)
        time.sleep(0.02)
    time.sleep(0.005)
