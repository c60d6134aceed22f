#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A PostgreSQL failover under load (docs/high-availability.md).

A primary with a synchronous streaming standby (the standby made with
`pg_basebackup -R`; synchronous_standby_names = '*' on the primary, so the
standby has it too, as a copy of the primary's settings does), each in a
temporary directory on a free port; two broker hosts whose OSBROKER_STORE
names both servers (host=127.0.0.1,127.0.0.1 port=P1,P2
target_session_attrs=read-write); the load balancer in front.

First a COMMIT that no synchronous standby confirms (the standby stopped
with SIGSTOP): the broker cancels its wait after OSB_PG_COMMIT_WAIT seconds
(src/limits.h) and must answer 503, not 2xx, since the change is on the
primary only.  Then a mixed load of provisions, binds,
fetches and deletes through the load balancer; mid-load the primary is
SIGKILLed, and 3 s later the standby is promoted (`pg_ctl promote`) and its
synchronous_standby_names cleared (without that every commit waits for a
standby that is not there).  Required: while there is no primary every
answer is 503 JSON with Retry-After (never a 500, never a raw libpq message,
never slower than the request timeout); the brokers reach the new primary
without a restart (the same worker pids); afterwards every write that was
answered 2xx is there, through the API and in the database, and
`osbroker --verify` is clean.  The figures (requests, acknowledged writes,
503s, failover time) are printed as TAP comments.  About 60 s.

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_failover.py
"""

import os
import re
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BAD_LOG_PATTERNS, REPO, Tap, broker_bin, check, children, expect,
                     files_under, finish_tmp, make_tmpdir, pg_bindir, scan_files, wait_for)
from hosts import LIBPQ_WORDS, Load, World, kill_leftovers, start_pg

REQUEST_TIMEOUT = 20        # the hosts' OSBROKER_REQUEST_TIMEOUT
OUTAGE = 5                  # seconds without a primary before the promotion


def limit(name):
    with open(os.path.join(REPO, 'src', 'limits.h')) as f:
        m = re.search(r'#define\s+%s\s+(\d+)' % name, f.read())
    check(m, 'src/limits.h defines no %s', name)
    return int(m.group(1))


COMMIT_WAIT = limit('OSB_PG_COMMIT_WAIT')


def sync_standby(pg):
    """The primary's view: one standby streaming, synchronous."""
    rows = pg.admin("SELECT state, sync_state FROM pg_stat_replication")
    return rows == [['streaming', 'sync']]


def signal_server(pg, sig):
    pm = pg.postmaster_pid()
    for p in [pm] + children(pm):
        try:
            os.kill(p, sig)
        except OSError:
            pass


class Failover:
    def __init__(self, root):
        self.root = root
        self.w = World(root, REQUEST_TIMEOUT)
        self.primary = self.standby = None
        self.figures = {}

    def start(self):
        self.primary, password = start_pg(self.root, 'pg1', "synchronous_standby_names = '*'\n",
                                          replication=True)
        self.standby = self.primary.standby('pg2')
        wait_for(lambda: sync_standby(self.primary), 30, 'the standby to stream synchronously')
        self.conninfo = ('host=127.0.0.1,127.0.0.1 port=%d,%d dbname=osb user=osb '
                         'password=%s target_session_attrs=read-write connect_timeout=2'
                         % (self.primary.port, self.standby.port, password))
        self.w.start(self.primary, password, self.conninfo)


def t_unconfirmed(f):
    """The standby stopped (SIGSTOP): a COMMIT waits for it, and the broker
    cancels that wait after OSB_PG_COMMIT_WAIT seconds."""
    w = f.w
    iid = 'unconfirmed-' + uuid.uuid4().hex[:8]
    signal_server(f.standby, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        r = w.c.put('/v2/service_instances/' + iid, w.body('sync'))
        dt = time.monotonic() - t0
    finally:
        signal_server(f.standby, signal.SIGCONT)
    check(r.status == 503, 'a commit no standby confirmed was answered %s after %.1fs: %r',
          r.status, dt, r.body[:300])
    doc = expect(r, 503)
    check(r.header('Retry-After') == '5', 'Retry-After %r', r.header('Retry-After'))
    check(not any(x in doc['description'] for x in LIBPQ_WORDS), 'description %r', doc)
    check(COMMIT_WAIT - 1 <= dt < COMMIT_WAIT + 5, 'answered after %.1fs, want %d s and a little',
          dt, COMMIT_WAIT)
    f.figures['unconfirmed'] = dt
    wait_for(lambda: sync_standby(f.primary), 30, 'the standby to catch up')
    # What was cancelled was the commit of the provision "in progress": it
    # holds on the primary (and, once the standby caught up, there too), so
    # the platform's retry finds the provision in progress, whose request
    # ended with the 503: it stays so until its deadline (op.h).
    rec = w.record('instances', iid)
    check(rec and rec['last_operation']['state'] == 'in progress', 'stored: %r', rec)
    check(('instances', iid) in set(tuple(x) for x in f.standby.admin(
        'SELECT tbl, key FROM osbroker_records', 'osb')), 'not on the standby')
    r = w.c.put('/v2/service_instances/' + iid, w.body('sync'))
    check(r.status == 422 and r.json.get('error') == 'ConcurrencyError', 'the retry: %r', r)
    logs = ''.join(open(os.path.join(f.root, h, 'state', 'run', 'osbroker.log')).read()
                   for h in ('host-a', 'host-b'))
    check('no synchronous standby confirmed it within %d s' % COMMIT_WAIT in logs,
          'no host\'s log says why')


def t_failover(f):
    w = f.w
    workers = (w.a.pids()['workers'], w.b.pids()['workers'])
    load = Load(w.c, w.sid, w.plans['sync'], threads=4, tag='fo', retry_for=12,
                timeout=REQUEST_TIMEOUT + 15)
    # and a platform that only reads, and tries new provisions once each,
    # so that there are requests that begin while there is no primary
    probe = Load(w.c, w.sid, w.plans['sync'], threads=2, tag='probe', retry_for=0,
                 timeout=REQUEST_TIMEOUT + 15, pause=0.2)
    load.start()
    probe.start()
    time.sleep(5)
    t_kill = time.monotonic()
    f.primary.kill()
    time.sleep(OUTAGE)
    t_promote = time.monotonic()
    f.standby.promote()
    f.standby.admin("ALTER SYSTEM SET synchronous_standby_names = ''")
    f.standby.admin('SELECT pg_reload_conf()')
    t_cleared = time.monotonic()
    time.sleep(10)
    load.stop()
    probe.stop()
    w.secrets += load.secrets + probe.secrets
    w.pg = f.standby

    fig = f.figures
    answers = sorted(load.since(0) + probe.since(0), key=lambda a: a.t0)
    fig['requests'] = len(answers)
    fig['acked'] = load.acked + probe.acked
    fig['503'] = sum(1 for a in answers if a.status == 503)
    fig['422'] = sum(1 for a in answers if a.status == 422)
    writes_after = sorted(a.t1 for a in answers if a.t0 >= t_kill and a.method != 'GET'
                          and a.status is not None and 200 <= a.status < 300)
    fig['promote'] = t_cleared - t_promote
    fig['first_write'] = writes_after[0] - t_kill if writes_after else None
    during = [a for a in answers if a.t0 >= t_kill + 0.5 and a.t1 <= t_promote]
    fig['during'] = len(during)
    fig['max_latency_outage'] = max([a.t1 - a.t0 for a in during] or [0])
    fig['max_latency'] = max(a.t1 - a.t0 for a in answers)

    bad = load.bad_answers(answers, {200, 201, 202, 404, 409, 410, 422, 503})
    fig['checked'] = 0
    check(not bad, 'answers a platform must not get:\n' + '\n'.join(bad[:20]))
    check(during and all(a.status == 503 for a in during),
          'without a primary: %s', sorted(set(a.status for a in during)))
    check(fig['503'] > 0, 'no 503 at all: the outage was not seen')
    check(writes_after, 'no write acknowledged after the failover')
    check(fig['first_write'] < OUTAGE + 15, 'the first write after the kill was acknowledged '
          '%.1fs later', fig['first_write'])
    now = (w.a.pids()['workers'], w.b.pids()['workers'])
    check(now == workers, 'workers were restarted: %s -> %s', workers, now)
    rows = set(tuple(r) for r in f.standby.admin('SELECT tbl, key FROM osbroker_records', 'osb'))
    fig['checked'] = load.check(w.c, rows) + probe.check(w.c, rows)
    fig['unknown'] = sum(1 for x in list(load.state.values()) + list(probe.state.values())
                         if x == 'unknown')


def t_verify(f):
    w = f.w
    env = {k: v for k, v in os.environ.items() if not k.startswith('OSBROKER_')}
    env.update({'OSBROKER_STORE': f.conninfo,
                'OSBROKER_STATE_DIR': os.path.join(f.root, 'host-b', 'state'),
                'OSBROKER_CATALOG': w.b.catalog})
    p = subprocess.run([w.b.binary, '--verify'], env=env, capture_output=True, text=True,
                       timeout=120)
    check(p.returncode == 0 and p.stdout.startswith('ok:'), 'osbroker --verify: exit %d: %s%s',
          p.returncode, p.stdout, p.stderr)
    f.figures['verify'] = p.stdout.strip()


def t_logs(f):
    w = f.w
    logs = [x for s in (w.a, w.b, w.lb) for x in s.log_files()]
    logs += [f.primary.log, f.standby.log]
    problems = scan_files(logs, [w.password, w.db_password] + w.secrets, BAD_LOG_PATTERNS)
    problems += scan_files([x for x in files_under(f.root) if '/data/' not in x],
                           [w.password, w.db_password])
    check(not problems, '\n'.join(problems[:20]))


def main():
    tap = Tap()
    root = make_tmpdir('failover')
    os.chmod(root, 0o755)
    f = Failover(root)
    print('# broker: %s' % broker_bin())
    if not pg_bindir():
        if os.geteuid() == 0:
            tap.run('PostgreSQL is installed', lambda: check(False, 'no PostgreSQL server '
                                                             'programs (postgresql package)'))
        else:
            tap.skip('failover', 'PostgreSQL server programs not installed')
        return tap.done()
    ok = tap.run('a PostgreSQL primary with a synchronous standby (pg_basebackup -R), two '
                 'broker hosts on both (target_session_attrs=read-write) and the load balancer '
                 'start', f.start, step=True)
    for s in (f.w.a, f.w.b, f.w.lb):
        if s is not None:
            tap.stacks.append(s)
    if ok:
        tap.run('a COMMIT no synchronous standby confirms is cancelled after '
                'OSB_PG_COMMIT_WAIT and answered 503 with Retry-After; the retry finds it '
                'stored', t_unconfirmed, f)
        tap.run('the primary SIGKILLed under load, the standby promoted: 503 with Retry-After '
                'while there is no primary, the brokers reach the new primary unrestarted, '
                'every acknowledged write is there', t_failover, f)
        fig = f.figures
        if 'requests' in fig:
            print('# failover: %(requests)d requests, %(acked)d acknowledged writes, %(503)d '
                  'answered 503 (%(during)d of them while there was no primary, the slowest '
                  'in %(max_latency_outage).2f s), %(422)d answered 422; slowest answer '
                  '%(max_latency).1f s' % fig)
            if 'unknown' in fig:
                print('# failover: %(checked)d acknowledged instances and bindings found as '
                      'acknowledged (API and database); %(unknown)d left unknown (no 2xx)' % fig)
            if fig.get('first_write') is not None:
                print('# failover: promotion + clearing synchronous_standby_names %.1f s; first '
                      'write acknowledged %.1f s after the kill (%d s without a primary)'
                      % (fig['promote'], fig['first_write'], OUTAGE))
        tap.run('osbroker --verify with the multi-host OSBROKER_STORE is clean afterwards',
                t_verify, f)
        if 'verify' in fig:
            print('# failover: %s' % fig['verify'])

    def stop():
        problems = []
        for s in (f.w.b, f.w.a, f.w.lb):
            if s is not None:
                problems += s.stop()
        kill_leftovers([(x, n) for x, n in ((f.w.a, 'host-a'), (f.w.b, 'host-b'))
                        if x is not None])
        for pg in (f.standby, f.primary):
            if pg is not None:
                pg.stop()
        check(not problems, '; '.join(problems))
    tap.run('the hosts, the load balancer and PostgreSQL stop cleanly', stop, step=True)
    if ok:
        tap.run('no log shows a password or a binding secret; no sanitizer report', t_logs, f)
    rc = tap.done()
    f.tmp = root
    finish_tmp([f], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
