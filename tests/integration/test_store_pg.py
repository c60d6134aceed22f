#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""The PostgreSQL store itself (OSBROKER_STORE, src/store_pg.c), against a
real server started here (harness.PgServer: initdb in a temporary directory,
a free loopback port, password logins over TCP): the schema created on first
use and versioned, a schema newer than the broker refused, a user without
the right to create it, a wrong or unreachable store at start (one line
naming host and port, never the password: `osbroker --check-store` and
scripts/osbroker-serve), the database stopped and started again under
running workers, and a multi-host connection string.

Every other suite runs against PostgreSQL too under OSB_STORE=postgresql
(tests/run does); this one is about what only PostgreSQL has.  Without
PostgreSQL's server programs it skips, except as root, where `make check`
installs them.

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_store_pg.py
"""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BAD_LOG_PATTERNS, broker_bin, CgiStack, check, expect, finish_tmp,
                     free_port, make_tmpdir, pg_bindir_or_skip, PgServer, port_open,
                     scan_files, ServeStack, Tap, wait_for)
from cases import Ctx, new_id

ROLE = 'osb_broker'
WEAK = 'osb_weak'           # may log in, may not create tables
RETRY_AFTER = '5'           # OSB_STORE_RETRY_AFTER (src/limits.h)


class Suite:
    def __init__(self, tmp, pg, binary):
        self.tmp, self.pg, self.binary = tmp, pg, binary
        self.password = 'Pw-' + uuid.uuid4().hex
        self.weak_password = 'Wk-' + uuid.uuid4().hex
        self.stacks = []
        self.secrets = [self.password, self.weak_password]
        self.n = 0

    def setup(self):
        # Not in the server's statement log: the passwords.
        self.pg.admin("SET log_statement = 'none'; "
                      "CREATE ROLE %s LOGIN PASSWORD '%s'; CREATE ROLE %s LOGIN PASSWORD '%s'"
                      % (ROLE, self.password, WEAK, self.weak_password))

    def database(self, owner=ROLE):
        self.n += 1
        db = 'osb_t%d' % self.n
        self.pg.admin('CREATE DATABASE %s OWNER %s' % (db, owner))
        return db

    def uri(self, db, port=None, password=None, user=ROLE):
        return 'postgresql://%s:%s@127.0.0.1:%d/%s' % (
            user, password or self.password, port or self.pg.port, db)

    def state_dir(self):
        d = os.path.join(self.tmp, 'state-%s' % uuid.uuid4().hex[:8])
        os.makedirs(d, mode=0o700)
        return d

    def check_store(self, store):
        """`osbroker --check-store` with OSBROKER_STORE=store."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(('OSBROKER_', 'PG'))}
        env.update(OSBROKER_STORE=store, OSBROKER_STATE_DIR=self.state_dir())
        return subprocess.run([self.binary, '--check-store'], env=env, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)

    def stack(self, store, **kw):
        s = ServeStack(tmp=make_tmpdir('store-pg-serve'), workers=2,
                       extra_env={'OSBROKER_STORE': store}, **kw)
        self.stacks.append(s)
        return s

    def records(self, db):
        """Both tables of the broker, as rows (None when they do not exist)."""
        if self.pg.admin("SELECT to_regclass('osbroker_records') IS NULL", db)[0][0] == 't':
            return None
        return (self.pg.admin("SELECT name, value FROM osbroker_schema ORDER BY name", db),
                self.pg.admin("SELECT tbl, key, md5(value) FROM osbroker_records "
                              "ORDER BY tbl, key", db))

    def version(self, db):
        return self.pg.admin("SELECT value FROM osbroker_schema WHERE name = 'schema_version'", db)

    def no_secret(self, text, *more):
        for s in list(self.secrets) + list(more):
            check(s not in text, 'a password (%s...) is in %r', s[:4], text)


def one_line(p, *needles):
    """The refusal of --check-store: exit 1, nothing on stdout, one line on
    stderr containing each needle; returns it."""
    check(p.returncode == 1, 'exit %d, want 1; stdout %r, stderr %r', p.returncode, p.stdout,
          p.stderr)
    check(p.stdout == '', 'stdout %r, want nothing', p.stdout)
    lines = p.stderr.splitlines()
    check(len(lines) == 1, 'stderr has %d lines, want one: %r', len(lines), p.stderr)
    for n in needles:
        check(n in lines[0], '%r not in %r', n, lines[0])
    return lines[0]


def worker_log(stack):
    try:
        with open(os.path.join(stack.run_dir, 'osbroker.log'), 'rb') as f:
            return f.read().decode('utf-8', 'replace').splitlines()
    except OSError:
        return []


# --------------------------------------------------------------------------- the schema

def t_schema_created(x):
    db = x.database()
    check(x.records(db) is None, 'the new database already has the tables')
    for _ in range(2):          # the second time: nothing to create, still version 1
        p = x.check_store(x.uri(db))
        check(p.returncode == 0, 'exit %d: %s', p.returncode, p.stderr)
        want = 'ok: postgresql store, PostgreSQL at 127.0.0.1 port %d, database %s, user %s\n' % (
            x.pg.port, db, ROLE)
        check(p.stdout == want, 'stdout %r, want %r', p.stdout, want)
        check(x.version(db) == [['1']], 'schema_version rows %r, want [1]', x.version(db))
        check(x.pg.admin("SELECT count(*) FROM osbroker_records", db) == [['0']], 'records were written')
    cols = x.pg.admin("SELECT column_name, data_type, collation_name FROM information_schema.columns "
                      "WHERE table_name = 'osbroker_records' ORDER BY ordinal_position", db)
    check(cols == [['tbl', 'text', ''], ['key', 'text', 'C'], ['value', 'bytea', '']],
          'osbroker_records columns %r', cols)
    owner = x.pg.admin("SELECT tableowner FROM pg_tables WHERE tablename LIKE 'osbroker_%%' "
                       "GROUP BY tableowner", db)
    check(owner == [[ROLE]], 'the tables belong to %r, want the broker\'s user', owner)


def t_schema_newer_check(x):
    db = x.database()
    check(x.check_store(x.uri(db)).returncode == 0, 'creating the schema failed')
    x.pg.admin("INSERT INTO osbroker_records VALUES ('instances', 'kept', 'v'); "
               "UPDATE osbroker_schema SET value = '2' WHERE name = 'schema_version'", db)
    before = x.records(db)
    line = one_line(x.check_store(x.uri(db)), 'schema version 2', 'newer')
    check(re.search(r'refus', line), 'no refusal in %r', line)
    check(x.records(db) == before, 'the refused check changed the database')
    print('# %s' % line)


def t_weak_user(x):
    db = x.database(owner='postgres')
    line = one_line(x.check_store(x.uri(db, user=WEAK, password=x.weak_password)),
                    'may not create', 'GRANT CREATE ON SCHEMA')
    x.no_secret(line)
    check(x.records(db) is None, 'tables were created anyway')
    print('# %s' % line)
    # that right was the one missing
    x.pg.admin('GRANT CREATE ON SCHEMA public TO %s' % WEAK, db)
    p = x.check_store(x.uri(db, user=WEAK, password=x.weak_password))
    check(p.returncode == 0, 'with CREATE granted: exit %d: %s', p.returncode, p.stderr)
    check(x.version(db) == [['1']], 'schema_version %r', x.version(db))


# --------------------------------------------------------------------------- bad configuration

def t_unreachable_uri(x):
    dead = free_port()
    line = one_line(x.check_store(x.uri('osb_any', port=dead)), '127.0.0.1', 'port %d' % dead)
    x.no_secret(line)
    print('# %s' % line)


def t_unreachable_keyvalue(x):
    dead = free_port()
    for store in ('host=127.0.0.1 port=%d user=%s password=%s dbname=osb_any'
                  % (dead, ROLE, x.password),
                  "host=127.0.0.1 port=%d user=%s password='%s' dbname=osb_any"
                  % (dead, ROLE, x.password)):
        line = one_line(x.check_store(store), '127.0.0.1', 'port %d' % dead)
        x.no_secret(line)


def t_malformed(x):
    raw = 'Mal%2Fformed-' + uuid.uuid4().hex[:8]       # percent-encoded in the URI
    decoded = urllib.parse.unquote(raw)
    for store in ('postgresql://%s:%s@[127.0.0.1:5432/osb_any' % (ROLE, raw),
                  'postgresql://%s:%s@127.0.0.1:5432/osb_any?no_such_option=1' % (ROLE, raw),
                  'host=127.0.0.1 password=%s dbname' % raw):
        line = one_line(x.check_store(store), 'not a valid PostgreSQL connection string')
        x.no_secret(line, raw, decoded)


def t_wrong_password(x):
    db = x.database()
    wrong = 'Wrong-' + uuid.uuid4().hex
    line = one_line(x.check_store(x.uri(db, password=wrong)), 'port %d' % x.pg.port,
                    'password authentication failed')
    x.no_secret(line, wrong)


def t_serve_refuses(x):
    dead = free_port()
    where = ('127.0.0.1', 'port %d' % dead)
    for store, needles in ((x.uri('osb_any', port=dead), where),
                           ('host=127.0.0.1 port=%d user=%s password=%s dbname=osb_any'
                            % (dead, ROLE, x.password), where),
                           ('postgresql://%s:%s@[127.0.0.1:%d/osb_any' % (ROLE, x.password, dead),
                            ('not a valid PostgreSQL connection string',))):
        s = x.stack(store)
        p = s.launch()
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            s.stop()
            raise AssertionError('osbroker-serve started with an unreachable store')
        out = s.output()
        lines = [l for l in out.splitlines() if l.strip()]
        check(rc != 0, 'osbroker-serve exited 0')
        check(len(lines) == 1, 'want one line, got %r', out)
        check(all(n in lines[0] for n in needles), 'the line does not say %s: %r',
              ' and '.join(needles), lines[0])
        x.no_secret(out)
        check(not port_open(s.port), 'something listens on %d', s.port)
        left = [f for f in ('osbroker.sock', 'nginx.pid', 'spawn-fcgi.pid')
                if os.path.exists(os.path.join(s.run_dir, f))]
        check(not left, 'left behind: %s', left)
        s.proc = None
    print('# %s' % lines[0])


# --------------------------------------------------------------------------- serving

def t_multi_host(x):
    db = x.database()
    dead = free_port()
    store = ('host=127.0.0.1,127.0.0.1 port=%d,%d user=%s password=%s dbname=%s '
             'target_session_attrs=read-write' % (dead, x.pg.port, ROLE, x.password, db))
    p = x.check_store(store)
    check(p.returncode == 0 and 'port %d' % x.pg.port in p.stdout,
          'exit %d: %s%s', p.returncode, p.stdout, p.stderr)
    s = x.stack(store)
    s.start()
    c = Ctx(s, s.client())
    x.ctx_secrets = c.secrets
    iid, bid, bid2 = new_id(), new_id('b'), new_id('b')
    c.provision(iid, 'basic', {'k': 1})
    creds = c.bind(iid, bid)
    c.bind(iid, bid2)
    doc = expect(c.c.get(c.bpath(iid, bid)), 200)
    check(doc.get('credentials') == creds, 'fetched credentials differ')
    rows = x.pg.admin("SELECT tbl, key FROM osbroker_records WHERE tbl <> 'audit' "
                      "ORDER BY tbl, key", db)
    check(rows == [['bindings', '%s/%s' % (iid, b)] for b in sorted((bid, bid2))] +
          [['instances', iid]], 'the database holds %r', rows)
    env = {k: v for k, v in os.environ.items() if not k.startswith(('OSBROKER_', 'PG'))}
    env.update(OSBROKER_STORE=store, OSBROKER_STATE_DIR=s.state_dir, OSBROKER_CATALOG=s.catalog)
    p = subprocess.run([x.binary, '--verify'], env=env, capture_output=True, text=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    check(p.returncode == 0 and p.stdout.startswith('ok: 1 instances, 2 bindings'),
          'osbroker --verify: exit %d: %s%s', p.returncode, p.stdout, p.stderr)
    expect(c.c.delete(c.bpath(iid, bid) + '?' + c.query('basic')), 200)
    c.assert_no_binding(iid, bid)
    c.deprovision(iid)          # its other binding goes with it
    c.assert_no_instance(iid)
    rows = x.pg.admin("SELECT tbl, key FROM osbroker_records WHERE key LIKE '%s%%'" % iid, db)
    check(rows == [], 'left in the database: %r', rows)
    problems = s.stop()
    check(not problems, '; '.join(problems))


class Outage:
    def __init__(self):
        self.stack = self.ctx = self.cgi = None
        self.iid = self.bid = self.creds = None
        self.workers = []
        self.failed = 0


def t_outage_setup(x, o):
    db = x.database()
    o.db = db
    s = o.stack = x.stack(x.uri(db))
    s.start()
    # the same store through the CGI program, one connection per request
    o.cgi = CgiStack(tmp=make_tmpdir('store-pg-cgi'), store=x.uri(db))
    x.stacks.append(o.cgi)
    o.cgi.start()
    c = o.ctx = Ctx(s, s.client())
    o.iid, o.bid = new_id(), new_id('b')
    c.provision(o.iid, 'basic', {'before': 'outage'})
    o.creds = c.bind(o.iid, o.bid)
    o.workers = s.pids()['workers']
    check(len(o.workers) == 2, 'workers %s', o.workers)


def failing_requests(o):
    c = o.ctx
    q = '?' + c.query('basic')
    return [('GET', c.ipath(o.iid), None), ('GET', c.bpath(o.iid, o.bid), None),
            ('GET', c.ipath(o.iid) + '/last_operation', None),
            ('PUT', c.ipath(new_id()), c.prov_body('basic')),
            ('PUT', c.bpath(o.iid, new_id('b')), c.bind_body('basic')),
            ('DELETE', c.bpath(o.iid, o.bid) + q, None), ('DELETE', c.ipath(o.iid) + q, None)]


def expect_503(o, what):
    """Every request that needs the store: 503 JSON with Retry-After, fast."""
    before = len(worker_log(o.stack))
    n = 0
    for method, path, body in failing_requests(o):
        t0 = time.monotonic()
        r = o.ctx.c.request(method, path, body=body)
        dt = time.monotonic() - t0
        expect(r, 503)
        check(r.header('Retry-After') == RETRY_AFTER, '%s: Retry-After %r, want %s (%s)',
              r.what(), r.header('Retry-After'), RETRY_AFTER, what)
        check(dt < 10, '%s took %.1f s', r.what(), dt)
        n += 1
    o.failed += n
    return worker_log(o.stack)[before:], n


def t_outage_stopped(x, o):
    x.pg.stop()
    expect(o.ctx.c.get('/v2/catalog'), 200)     # needs no store
    lines, n = expect_503(o, 'the database stopped')
    errors = [l for l in lines if 'state store error' in l]
    check(len(errors) == n, '%d requests failed, %d "state store" log lines, want one each:\n%s',
          n, len(errors), '\n'.join(lines))
    check(all('127.0.0.1 port %d' % x.pg.port in l for l in errors),
          'a log line does not name the server: %r', errors)
    others = [l for l in lines if 'state store error' not in l and
              not re.search(r' 503 [0-9.]+ms ', l)]
    check(not others, 'other log lines: %r', others)
    print('# %s' % errors[0].split(': ', 1)[1][:300])


def t_outage_cgi(x, o):
    c = o.cgi.client()
    for path in (o.ctx.ipath(o.iid), o.ctx.bpath(o.iid, o.bid)):
        r = c.get(path)
        expect(r, 503)
        check(r.header('Retry-After') == RETRY_AFTER, '%s: Retry-After %r', r.what(),
              r.header('Retry-After'))
    expect(c.put(o.ctx.ipath(new_id()), o.ctx.prov_body('basic')), 503)


def t_outage_workers(x, o):
    time.sleep(2)
    check(o.stack.pids()['workers'] == o.workers, 'workers restarted: %s, before %s',
          o.stack.pids()['workers'], o.workers)
    # a worker that starts during the outage stays up and answers 503 as well
    os.kill(o.workers[0], signal.SIGKILL)
    wait_for(lambda: len(o.stack.pids()['workers']) == 2 and o.workers[0] not in
             o.stack.pids()['workers'], 30, 'multiwatch to replace the killed worker')
    o.workers = o.stack.pids()['workers']
    for _ in range(3):          # both workers, whichever nginx picks
        expect_503(o, 'a worker started during the outage')
    time.sleep(2)
    check(o.stack.pids()['workers'] == o.workers, 'the new worker did not stay up: %s, before %s',
          o.stack.pids()['workers'], o.workers)
    check(o.stack.proc.poll() is None, 'osbroker-serve exited')
    starting = [l for l in worker_log(o.stack) if 'answering 503 until it can be reached' in l]
    check(starting, 'the new worker did not log that it answers 503 until the store is back')


def t_outage_back(x, o):
    x.pg.start_again()
    c = o.ctx
    c.assert_instance(o.iid, 'basic', {'before': 'outage'})
    doc = expect(c.c.get(c.bpath(o.iid, o.bid)), 200)
    check(doc.get('credentials') == o.creds, 'the credentials changed')
    iid = new_id()
    c.provision(iid, 'basic', {'after': 'outage'})
    c.bind(iid, new_id('b'))
    c.deprovision(iid)
    cgi = o.cgi.client()
    doc = expect(cgi.get(c.ipath(o.iid)), 200)
    check(doc.get('parameters') == {'before': 'outage'}, 'CGI: GET instance %r', doc)
    # nothing of the refused requests was stored
    rows = x.pg.admin("SELECT tbl, key FROM osbroker_records WHERE tbl <> 'audit' "
                      "ORDER BY tbl, key", o.db)
    check(rows == [['bindings', '%s/%s' % (o.iid, o.bid)], ['instances', o.iid]],
          'the store holds %r', rows)
    check(o.stack.pids()['workers'] == o.workers, 'workers restarted: %s, before %s',
          o.stack.pids()['workers'], o.workers)
    x.ctx_secrets += c.secrets


def cut_connections(x, db):
    """Terminate the brokers' sessions on db: they reconnect on their next
    request (as after a failover)."""
    x.pg.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE datname = '%s' AND usename = '%s'" % (db, ROLE))


def t_schema_newer_serving(x, o):
    c = o.ctx
    before = x.records(o.db)
    x.pg.admin("UPDATE osbroker_schema SET value = '2' WHERE name = 'schema_version'", o.db)
    cut_connections(x, o.db)
    mark = len(worker_log(o.stack))
    for _ in range(2):
        expect_503(o, 'a newer schema')
    lines = worker_log(o.stack)[mark:]
    check(any('newer' in l and 'schema version 2' in l for l in lines),
          'the log does not say the schema is newer: %r', [l for l in lines if 'store' in l][-3:])
    after = x.records(o.db)
    check(after[1] == before[1], 'the records changed')
    check(x.version(o.db) == [['2']], 'schema_version is now %r', x.version(o.db))
    check(o.stack.pids()['workers'] == o.workers, 'workers restarted: %s, before %s',
          o.stack.pids()['workers'], o.workers)
    # the operator's fix (here: the version back): served again, no restart
    x.pg.admin("UPDATE osbroker_schema SET value = '1' WHERE name = 'schema_version'", o.db)
    c.assert_instance(o.iid, 'basic', {'before': 'outage'})
    print('# %s' % [l for l in lines if 'newer' in l][0].split(': ', 1)[1][:300])


def t_outage_stop(x, o):
    problems = []
    for s in (o.stack, o.cgi):
        if s is not None:
            problems += s.stop()
    check(not problems, '; '.join(problems))


def t_server_log(x):
    with open(x.pg.log, 'rb') as f:
        text = f.read().decode('utf-8', 'replace')
    check('osbroker_records' in text, 'the server log does not show the statements')
    problems = scan_files([x.pg.log], x.secrets)
    check(not problems, '\n'.join(problems))


def t_logs(x):
    logs = [f for s in x.stacks for f in s.log_files()]
    secrets = x.secrets + x.ctx_secrets + [s.password for s in x.stacks] + \
        [s.extra_env['OSBROKER_STORE'] if isinstance(s, ServeStack) else s.store
         for s in x.stacks]
    problems = scan_files(logs, secrets, BAD_LOG_PATTERNS)
    check(not problems, '\n'.join(problems))


def main():
    tap = Tap()
    bindir = pg_bindir_or_skip(tap, 'the PostgreSQL store')
    if bindir is None:
        return tap.done()
    tmp = make_tmpdir('store-pg')
    pg = PgServer(tmp, bindir)
    binary = broker_bin()
    print('# broker: %s' % binary)
    x = Suite(tmp, pg, binary)
    x.ctx_secrets = []
    tap.stacks = x.stacks
    o = Outage()

    def start():
        pg.start()
        x.setup()
    try:
        if not tap.run('PostgreSQL starts (initdb, pg_ctl start)', start, step=True):
            return tap.done()
        tap.run('schema: --check-store on an empty database creates osbroker_schema and '
                'osbroker_records (key in "C" order, owned by the broker\'s user), '
                'schema_version 1; exit 0 with one "ok:" line naming host, port, database and user',
                t_schema_created, x)
        tap.run('schema: a newer schema_version (2): --check-store exits 1 with one line saying '
                'so; nothing changed', t_schema_newer_check, x)
        tap.run('schema: a user without the CREATE right on the schema: --check-store exits 1 with '
                'one line naming that right; nothing created; granted, it works', t_weak_user, x)
        tap.run('start: unreachable, a URI with a password: --check-store exits 1 with one line '
                'naming host and port, not the password', t_unreachable_uri, x)
        tap.run('start: unreachable, key=value with a password (bare and quoted): one line naming '
                'host and port, not the password', t_unreachable_keyvalue, x)
        tap.run('start: malformed connection strings holding a password (raw and percent-encoded): '
                'one line, not the password', t_malformed, x)
        tap.run('start: a wrong password: one line saying authentication failed, not the password',
                t_wrong_password, x)
        tap.run('start: osbroker-serve with an unreachable store (URI, key=value: one line naming '
                'host and port) or a malformed one (one line): non-zero exit, no password, nothing '
                'left running',
                t_serve_refuses, x)
        tap.run('multi-host: host=127.0.0.1,127.0.0.1 port=<dead>,<live> '
                'target_session_attrs=read-write: --check-store ok, osbroker-serve provisions, '
                'binds twice, fetches, --verify is ok, unbinds and deprovisions', t_multi_host, x)
        if tap.run('outage: osbroker-serve on PostgreSQL, an instance and a binding',
                   t_outage_setup, x, o, step=True):
            tap.run('outage: PostgreSQL stopped: every request that needs the store gets 503 JSON '
                    'with Retry-After within 10 s, one "state store" log line each; the catalog '
                    'is still served', t_outage_stopped, x, o)
            tap.run('outage: the CGI program on the same store answers 503 JSON with Retry-After '
                    'too', t_outage_cgi, x, o)
            tap.run('outage: the workers stay up (same pids); a worker started during the outage '
                    'stays up and answers 503 too', t_outage_workers, x, o)
            tap.run('outage: PostgreSQL started again: the broker serves without a restart '
                    '(instance, binding, a new provision; the CGI program too); nothing refused '
                    'was stored',
                    t_outage_back, x, o)
            tap.run('schema: a newer schema_version under running workers (their sessions cut): '
                    '503 JSON with Retry-After, the log says why, nothing changed; back to 1, '
                    'served again without a restart', t_schema_newer_serving, x, o)
            tap.run('outage: SIGTERM stops everything cleanly', t_outage_stop, x, o, step=True)
        tap.run('PostgreSQL\'s log (every statement logged) shows no password', t_server_log, x)
    finally:
        for s in x.stacks:
            if getattr(s, 'proc', None) is not None or getattr(s, 'nginx', None) is not None:
                s.stop()
        if pg.running:
            try:
                pg.stop()
            except AssertionError as e:
                print('# %s' % e)
    tap.run('no log of any stack shows a password, a connection string or a binding secret; '
            'no sanitizer report', t_logs, x)
    rc = tap.done()
    finish_tmp(x.stacks + [x], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
