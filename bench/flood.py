#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""flood: wrong-password requests at a steady rate from another address.

    python3 bench/flood.py PORT SOURCE RATE CONNECTIONS OUT.json

GET /v2/catalog with a wrong password, RATE requests a second in all,
spread over CONNECTIONS keep-alive connections (one thread each) made from
the local address SOURCE (127.0.0.2: another client to nginx and the
broker than wrk's 127.0.0.1).  A connection that falls behind does not
catch up by more than a second's worth.  Runs until SIGTERM, then writes
{"sent": n, "seconds": s, "statuses": {"401": n, "429": n, ...},
"errors": n} to OUT.json.  bench/run starts it around the counted runs of
the flood row (bench/README.md).
"""

import base64
import http.client
import json
import signal
import sys
import threading
import time

stop = threading.Event()


def worker(port, source, interval, counts, lock):
    auth = 'Basic ' + base64.b64encode(b'bench:not-the-password').decode()
    headers = {'Authorization': auth, 'X-Broker-API-Version': '2.17'}
    conn = None
    nxt = time.monotonic()
    while not stop.is_set():
        now = time.monotonic()
        if nxt > now:
            stop.wait(nxt - now)
            continue
        nxt = max(nxt + interval, now - 1.0)
        try:
            if conn is None:
                conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10,
                                                  source_address=(source, 0))
            conn.request('GET', '/v2/catalog', headers=headers)
            r = conn.getresponse()
            r.read()
            key = str(r.status)
            if r.getheader('Connection', '').lower() == 'close':
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            key = 'errors'
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            counts[key] = counts.get(key, 0) + 1


def main():
    port, source, rate, conns, out = (int(sys.argv[1]), sys.argv[2], float(sys.argv[3]),
                                      int(sys.argv[4]), sys.argv[5])
    signal.signal(signal.SIGTERM, lambda s, f: stop.set())
    counts, lock = {}, threading.Lock()
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(port, source, conns / rate, counts, lock))
               for _ in range(conns)]
    for t in threads:
        t.start()
    while not stop.is_set():
        stop.wait(0.5)
    for t in threads:
        t.join(15)
    errors = counts.pop('errors', 0)
    with open(out, 'w') as f:
        json.dump({'sent': sum(counts.values()) + errors,
                   'seconds': round(time.monotonic() - t0, 2),
                   'statuses': counts, 'errors': errors}, f)


if __name__ == '__main__':
    main()
