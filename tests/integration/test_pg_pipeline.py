#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""The PostgreSQL store's pipelined transactions (src/store_pg.c, "Pipeline
mode"): a write is sent without waiting for it, BEGIN and the locks travel
with the first statement, a ROLLBACK is read back by the next transaction,
a bind's binding is fetched with its instance.  What must hold whatever is
in flight:

  - a write the server refuses in the middle of a transaction (a CHECK
    constraint the superuser adds, so that the put of one id fails) makes
    the request fail with nothing of it stored: the COMMIT after it never
    runs, and a 2xx never comes;
  - the same worker (one worker: one connection) then serves the next
    requests as if nothing had happened;
  - after every request the broker's session is idle, outside any
    transaction, and holds no advisory lock (a ROLLBACK sent and not yet
    read has still run);
  - a provision creates its instance without reading first (INSERT ... ON
    CONFLICT DO NOTHING sent with the COMMIT), its record and its audit
    entry and nothing more: a tombstone of its id (planted here) is left
    where it is, counting only while the record is absent; an id that
    exists changes nothing, the audit trail included, and is answered 200
    or 409 from a second transaction; a synchronous unbind or deprovision
    (no hook) takes the tombstones of the ids it removes;
  - a bind answers from the binding fetched with its instance: the same
    binding again is 200 with the credentials of the first, and a rotation,
    which reads its predecessor in between, is 201;
  - binds of one instance do not wait for each other (STORE_WRITE_KEY: the
    instance's advisory lock shared, the binding key's exclusive), but do
    wait for whoever holds the instance's lock exclusively (a deprovision,
    an update), and for another transaction of the same binding key: shown
    with locks an admin session takes on the same keys, on a second stack
    of four workers;
  - a connection the server ends between two requests costs one 503 with
    Retry-After, then the worker connects again;
  - a new binding of an instance whose record the worker remembers
    (store_recall()) is decided on that record and written in one round
    trip (without BEGIN and COMMIT, but after the locks: it waits for the
    instance's exclusive lock as any bind), counted by a relay between the worker and the server that counts
    the Sync messages of the frontend protocol (one per pipeline the broker
    sends; two for a bind decided on what it reads); an instance changed
    (its plan updated) or deprovisioned through another broker host after
    the worker remembered it gets exactly the answer that host gives (400,
    404), nothing of the bind is stored (binding, audit entry), and the
    worker's next bind is decided on the record as stored.

A throwaway server (harness.PgServer), a password role over TCP, one
worker under scripts/osbroker-serve.  Without PostgreSQL the suite skips,
except as root, where `make check` installs it.

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_pg_pipeline.py
"""

import os
import socket
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, check_logs, expect, finish_tmp, make_tmpdir, pg_bindir_or_skip,
                     PgServer, ServeStack, Tap, wait_for)
from cases import new_id

ROLE, DB = 'osbpipe', 'osbpipe'


class Ctx:
    def __init__(self, tmp, pg):
        self.pg = pg
        self.role_pw = 'pgpw-' + uuid.uuid4().hex
        self.tmp = tmp
        self.stack = ServeStack(tmp=tmp, workers=1, extra_env={})
        self.extra_stacks = []
        self.c = None
        self.plan = None
        self.poison_iid = new_id('poison')
        self.poison_bid = new_id('poison')
        self.secrets = [self.role_pw]

    def conninfo(self):
        return 'postgresql://%s:%s@127.0.0.1:%d/%s' % (ROLE, self.role_pw, self.pg.port, DB)

    def rows(self, tbl, key):
        return self.pg.admin("SELECT count(*) FROM osbroker_records WHERE tbl = '%s' AND "
                             "key = '%s'" % (tbl, key), database=DB)[0][0]

    def provision(self, iid):
        return self.c.put('/v2/service_instances/' + iid, {
            'service_id': self.plan[0], 'plan_id': self.plan[1],
            'organization_guid': 'org', 'space_guid': 'space'})

    def bind(self, iid, bid, predecessor=None):
        body = {'service_id': self.plan[0], 'plan_id': self.plan[1]}
        if predecessor is not None:
            body['predecessor_binding_id'] = predecessor
        return self.c.put('/v2/service_instances/%s/service_bindings/%s' % (iid, bid), body)

    def session_clean(self):
        """The broker's sessions: idle, no transaction, no advisory lock."""
        def idle():
            rows = self.pg.admin("SELECT state, coalesce(backend_xid::text, '-'), "
                                 "coalesce(xact_start::text, '-') FROM pg_stat_activity "
                                 "WHERE usename = '%s'" % ROLE)
            return rows and all(r == ['idle', '-', '-'] for r in rows) and rows
        try:
            wait_for(idle, 5, 'the broker\'s session to be idle outside a transaction')
        except AssertionError:
            rows = self.pg.admin("SELECT state, backend_xid, xact_start, query FROM "
                                 "pg_stat_activity WHERE usename = '%s'" % ROLE)
            check(False, 'the broker\'s sessions are not idle: %s', rows)
        locks = self.pg.admin("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        check(locks[0][0] == '0', '%s advisory locks still held', locks[0][0])


def t_start(x):
    x.pg.start()
    x.pg.admin("CREATE ROLE %s LOGIN PASSWORD '%s'; CREATE DATABASE %s OWNER %s"
               % (ROLE, x.role_pw, DB, ROLE))
    x.stack.extra_env['OSBROKER_STORE'] = x.conninfo()
    x.stack.start()
    x.c = x.stack.client()
    svc = [s for s in expect(x.c.get('/v2/catalog'), 200)['services']
           if s['name'] == 'itest-db'][0]
    x.plan = (svc['id'], [p for p in svc['plans'] if p['name'] == 'basic'][0]['id'])
    # The broker made its tables at its first transaction; refuse two ids.
    expect(x.provision(new_id()), 201)
    x.pg.admin("ALTER TABLE osbroker_records ADD CONSTRAINT itest_poison CHECK "
               "(key <> '%s' AND key <> '%s/%s')"
               % (x.poison_iid, x.poison_iid, x.poison_bid), database=DB)


def t_put_refused(x):
    r = x.provision(x.poison_iid)
    check(r.status >= 500, 'a provision whose put the server refused got %s', r.what())
    check(x.rows('instances', x.poison_iid) == '0', 'the refused instance was stored')
    x.session_clean()


def t_serves_after(x):
    iid = new_id()
    expect(x.provision(iid), 201)
    expect(x.c.get('/v2/service_instances/' + iid), 200)
    expect(x.provision(iid), 200)     # the same again: nothing written, ROLLBACK
    x.session_clean()
    expect(x.c.get('/v2/service_instances/' + new_id()), 404)
    check(x.rows('instances', iid) == '1', 'the instance is not stored once')
    x.session_clean()


def plant_tombstone(x, iid):
    x.pg.admin("INSERT INTO osbroker_records (tbl, key, value) VALUES ('gone', '%s', "
               "convert_to('{\"itest\":1}', 'UTF8'))" % iid, database=DB)


def t_create(x):
    iid = new_id()
    plant_tombstone(x, iid)
    expect(x.provision(iid), 201)
    check(x.rows('instances', iid) == '1', 'the new instance is not stored')
    check(x.rows('gone', iid) == '1', 'the create of a new instance touched its id\'s '
          'tombstone (a create writes its record and its audit entry, nothing more)')
    # An instance that exists: the create changes nothing.
    audit = x.pg.admin("SELECT count(*) FROM osbroker_records WHERE tbl = 'audit'",
                       database=DB)[0][0]
    before = x.pg.admin("SELECT encode(value, 'escape') FROM osbroker_records WHERE "
                        "tbl = 'instances' AND key = '%s'" % iid, database=DB)
    expect(x.provision(iid), 200)
    r = x.c.put('/v2/service_instances/' + iid, {
        'service_id': x.plan[0], 'plan_id': x.plan[1], 'organization_guid': 'org',
        'space_guid': 'space', 'parameters': {'other': 1}})
    expect(r, 409)
    after = x.pg.admin("SELECT encode(value, 'escape') FROM osbroker_records WHERE "
                       "tbl = 'instances' AND key = '%s'" % iid, database=DB)
    check(before == after, 'a provision of an existing id changed its record')
    check(x.rows('gone', iid) == '1', 'a provision of an existing id touched the tombstone')
    check(x.pg.admin("SELECT count(*) FROM osbroker_records WHERE tbl = 'audit'",
                     database=DB)[0][0] == audit,
          'a provision of an existing id left an audit entry')
    x.session_clean()


def t_removed(x):
    """A synchronous unbind and deprovision without a hook (handlers, not
    runners) take the tombstones of their ids with the records: of the
    binding, of the instance, and of a binding the deprovision removes."""
    iid, b1, b2 = new_id(), new_id('b'), new_id('b')
    q = '?service_id=%s&plan_id=%s' % tuple(x.plan)
    plant_tombstone(x, iid)
    expect(x.provision(iid), 201)
    for bid in (b1, b2):
        plant_tombstone(x, '%s/%s' % (iid, bid))
        expect(x.bind(iid, bid), 201)
    bpath = '/v2/service_instances/%s/service_bindings/' % iid
    expect(x.c.delete(bpath + b1 + q), 200)
    check(x.rows('gone', '%s/%s' % (iid, b1)) == '0',
          'a synchronous unbind left its binding id\'s tombstone')
    expect(x.c.get(bpath + b1 + '/last_operation'), 404)
    expect(x.c.delete('/v2/service_instances/' + iid + q), 200)
    check(x.rows('gone', iid) == '0', 'a synchronous deprovision left its id\'s tombstone')
    check(x.rows('gone', '%s/%s' % (iid, b2)) == '0',
          'a synchronous deprovision left the tombstone of a binding it removed')
    expect(x.c.get('/v2/service_instances/%s/last_operation' % iid), 404)
    expect(x.c.get(bpath + b2 + '/last_operation'), 404)
    x.session_clean()


def t_bind_refused(x):
    # The put is refused after the binding (prefetched) and the instance
    # were read in the transaction's first round trip.
    iid = new_id()
    expect(x.provision(iid), 201)
    x.pg.admin("ALTER TABLE osbroker_records DROP CONSTRAINT itest_poison; "
               "ALTER TABLE osbroker_records ADD CONSTRAINT itest_poison CHECK "
               "(key <> '%s/%s')" % (iid, x.poison_bid), database=DB)
    r = x.bind(iid, x.poison_bid)
    check(r.status >= 500, 'a bind whose put the server refused got %s', r.what())
    check(x.rows('bindings', '%s/%s' % (iid, x.poison_bid)) == '0',
          'the refused binding was stored')
    x.session_clean()


def t_bind_again(x):
    iid, bid = new_id(), new_id('b')
    expect(x.provision(iid), 201)
    first = expect(x.bind(iid, bid), 201)
    x.secrets += [str(v) for v in (first.get('credentials') or {}).values()]
    again = expect(x.bind(iid, bid), 200)
    check(again.get('credentials') == first.get('credentials'),
          'the same bind again answered other credentials')
    # A rotation reads the predecessor between the prefetch of the new
    # binding and its get: each get answers its own key.
    rotated = expect(x.bind(iid, new_id('b'), predecessor=bid), 201)
    x.secrets += [str(v) for v in (rotated.get('credentials') or {}).values()]
    check(rotated.get('credentials') != first.get('credentials'),
          'the rotated binding answered its predecessor\'s credentials')
    expect(x.bind('itest-i-' + uuid.uuid4().hex[:16], new_id('b')), 404)
    x.session_clean()


def lock_key(scope):
    """src/store_pg.c scope_key(): 64-bit FNV-1a, as a signed bigint."""
    h = 14695981039346656037
    for b in scope.encode():
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    return h - (1 << 64) if h >= 1 << 63 else h


class LockHolder:
    """An admin psql session that takes and releases session advisory
    locks when told, and says when it has."""
    def __init__(self, pg):
        env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LANG': 'C.UTF-8'}
        self.p = subprocess.Popen([os.path.join(pg.bindir, 'psql'), '-X', '-q', '-A', '-t',
                                   '-h', pg.sockdir, '-p', str(pg.port), '-U', 'postgres',
                                   '-d', DB], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, env=env)

    def do(self, sql):
        self.p.stdin.write(sql + ';\n\\echo itest-done\n')
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            check(line != '', 'the admin psql session ended')
            if line.strip() == 'itest-done':
                return

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


class Pending:
    """A request sent from a thread, to see whether it waits."""
    def __init__(self, fn):
        self.r = None
        self.t = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.t.start()

    def _run(self, fn):
        self.r = fn()

    def waiting(self, seconds=1.0):
        self.t.join(seconds)
        return self.t.is_alive()

    def result(self):
        self.t.join(30)
        check(not self.t.is_alive(), 'a request still waits after its lock was released')
        return self.r


def t_bind_locks(x):
    tmp = os.path.join(x.tmp, 'locks')
    os.makedirs(tmp, exist_ok=True)
    stack = ServeStack(tmp=tmp, workers=4, extra_env={'OSBROKER_STORE': x.conninfo()})
    x.extra_stacks.append(stack)
    stack.start()
    c = stack.client()
    iid = new_id()
    expect(c.put('/v2/service_instances/' + iid, {
        'service_id': x.plan[0], 'plan_id': x.plan[1], 'organization_guid': 'org',
        'space_guid': 'space'}), 201)

    def bind(bid):
        return lambda: c.put('/v2/service_instances/%s/service_bindings/%s' % (iid, bid),
                             {'service_id': x.plan[0], 'plan_id': x.plan[1]})
    h = LockHolder(x.pg)
    try:
        inst = lock_key(iid)
        # The instance's lock held shared, as another bind does: a bind
        # goes through.
        h.do('SELECT pg_advisory_lock_shared(%d)' % inst)
        expect(Pending(bind(new_id('b'))).result(), 201)
        h.do('SELECT pg_advisory_unlock_shared(%d)' % inst)
        # Held exclusively, as a deprovision does: a bind waits for it.
        h.do('SELECT pg_advisory_lock(%d)' % inst)
        waiting = Pending(bind(new_id('b')))
        check(waiting.waiting(), 'a bind did not wait for the instance\'s exclusive lock: %s',
              waiting.r and waiting.r.what())
        h.do('SELECT pg_advisory_unlock(%d)' % inst)
        expect(waiting.result(), 201)
        # One binding key's lock held: its bind waits, another binding of
        # the same instance does not.
        held = new_id('b')
        h.do('SELECT pg_advisory_lock(%d)' % lock_key('%s/%s' % (iid, held)))
        waiting = Pending(bind(held))
        check(waiting.waiting(), 'a bind did not wait for its binding key\'s lock: %s',
              waiting.r and waiting.r.what())
        other = Pending(bind(new_id('b')))
        check(not other.waiting(8), 'a bind of another binding waited for the first one\'s lock')
        expect(other.result(), 201)
        h.do('SELECT pg_advisory_unlock(%d)' % lock_key('%s/%s' % (iid, held)))
        expect(waiting.result(), 201)
    finally:
        h.close()
        problems = stack.stop()
    check(not problems, 'the second stack did not stop cleanly: %s', problems)
    x.session_clean()


def t_connection_ended(x):
    x.pg.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '%s'"
               % ROLE)
    r = x.c.get('/v2/service_instances/' + new_id())
    check(r.status in (503, 404), 'the first request after the server ended the '
          'connection got %s', r.what())
    if r.status == 503:
        check(r.header('Retry-After') is not None, '503 without Retry-After')
    iid = new_id()
    expect(x.provision(iid), 201)
    expect(x.c.get('/v2/service_instances/' + iid), 200)
    x.session_clean()


class SyncCounter:
    """A TCP relay between the broker and PostgreSQL that counts the
    pipelines the broker sends: the frontend's Sync messages (src/store_pg.c
    ends each batch of statements it waits on with one; a ROLLBACK's too,
    which is read later) and simple Query messages (session setup).  The
    connection string says sslmode=disable, so the stream stays readable."""
    SPECIAL = (80877103, 80877104)      # SSLRequest, GSSENCRequest

    def __init__(self, target_port):
        self.target = target_port
        self.lock = threading.Lock()
        self.syncs = 0
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            s = socket.create_connection(('127.0.0.1', self.target))
            threading.Thread(target=self._up, args=(c, s), daemon=True).start()
            threading.Thread(target=self._down, args=(s, c), daemon=True).start()

    @staticmethod
    def _down(s, c):
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                c.sendall(data)
        except OSError:
            pass
        for x in (c, s):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _up(self, c, s):
        buf, startup = b'', True
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                s.sendall(data)
                buf += data
                while True:
                    if startup:     # untyped: length, then a code
                        if len(buf) < 8 or len(buf) < int.from_bytes(buf[:4], 'big'):
                            break
                        n = int.from_bytes(buf[:4], 'big')
                        startup = int.from_bytes(buf[4:8], 'big') in self.SPECIAL
                        buf = buf[n:]
                        continue
                    if len(buf) < 5 or len(buf) < 1 + int.from_bytes(buf[1:5], 'big'):
                        break
                    kind, n = buf[:1], int.from_bytes(buf[1:5], 'big')
                    buf = buf[1 + n:]
                    if kind in (b'S', b'Q'):
                        with self.lock:
                            self.syncs += 1
        except OSError:
            pass
        for x in (c, s):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def count(self):
        with self.lock:
            return self.syncs

    def of(self, fn):
        """fn()'s result and the pipelines sent meanwhile (a ROLLBACK is sent
        before the answer, a moment may pass before the relay has seen it)."""
        before = self.count()
        r = fn()
        time.sleep(0.3)
        return r, self.count() - before

    def close(self):
        self.sock.close()


def recall_setup(x):
    """Host A: one worker, its connection through the relay; host B: one
    worker of its own on the same database (another broker host)."""
    if getattr(x, 'host_a', None) is not None:
        return
    x.relay = SyncCounter(x.pg.port)
    via = 'postgresql://%s:%s@127.0.0.1:%d/%s?sslmode=disable&gssencmode=disable' % (
        ROLE, x.role_pw, x.relay.port, DB)
    for name, store in (('host_a', via), ('host_b', x.conninfo())):
        tmp = os.path.join(x.tmp, name)
        os.makedirs(tmp, exist_ok=True)
        st = ServeStack(tmp=tmp, workers=1, extra_env={
            'OSBROKER_STORE': store, 'OSBROKER_HOST_ID': 'itest-' + name})
        x.extra_stacks.append(st)
        st.start()
        setattr(x, name, st)
    x.a, x.b = x.host_a.client(), x.host_b.client()


def bind_on(c, x, iid, bid, plan=None):
    return c.put('/v2/service_instances/%s/service_bindings/%s' % (iid, bid),
                 {'service_id': x.plan[0], 'plan_id': plan or x.plan[1]})


def audit_count(x):
    return x.pg.admin("SELECT count(*) FROM osbroker_records WHERE tbl = 'audit'",
                      database=DB)[0][0]


def t_recall_one_trip(x):
    recall_setup(x)
    iid = new_id()
    expect(x.a.put('/v2/service_instances/' + iid, {
        'service_id': x.plan[0], 'plan_id': x.plan[1], 'organization_guid': 'org',
        'space_guid': 'space'}), 201)
    # Nothing remembered yet (a provision does not read): decided on what
    # it reads, two pipelines; which remembers the instance.
    first, n = x.relay.of(lambda: bind_on(x.a, x, iid, new_id('b')))
    expect(first, 201)
    check(n == 2, 'a bind of an instance not remembered sent %d pipelines, want 2', n)
    bid = new_id('b')
    audit = audit_count(x)
    r, n = x.relay.of(lambda: bind_on(x.a, x, iid, bid))
    made = expect(r, 201)
    x.secrets += [str(v) for v in (made.get('credentials') or {}).values()]
    check(n == 1, 'a bind of a remembered instance sent %d pipelines, want 1', n)
    check(x.rows('bindings', '%s/%s' % (iid, bid)) == '1', 'the binding is not stored')
    check(int(audit_count(x)) == int(audit) + 1, 'the bind\'s audit entry is not stored once')
    # The same again: the binding exists, so the remembered way changes
    # nothing and the usual way answers 200 with the stored credentials,
    # as through a host that remembers nothing.
    again = expect(bind_on(x.a, x, iid, bid), 200)
    check(again.get('credentials') == made.get('credentials'),
          'the same bind again answered other credentials')
    check(expect(bind_on(x.b, x, iid, bid), 200) == again,
          'host B answers the same bind otherwise than host A')
    check(int(audit_count(x)) == int(audit) + 1, 'the same bind again wrote an audit entry')
    # A fetch remembers too: an instance made through host B, fetched
    # through A, is bound in one.
    jid = new_id()
    expect(x.b.put('/v2/service_instances/' + jid, {
        'service_id': x.plan[0], 'plan_id': x.plan[1], 'organization_guid': 'org',
        'space_guid': 'space'}), 201)
    _, n = x.relay.of(lambda: expect(x.a.get('/v2/service_instances/' + jid), 200))
    check(n == 1, 'a fetch sent %d pipelines, want 1', n)
    r, n = x.relay.of(lambda: bind_on(x.a, x, jid, new_id('b')))
    expect(r, 201)
    check(n == 1, 'a bind of a fetched instance sent %d pipelines, want 1', n)
    # Sent without BEGIN and COMMIT, it still takes the locks first: it
    # waits for whoever holds the instance's exclusively (a deprovision, an
    # update), then binds in its one round trip.
    h = LockHolder(x.pg)
    try:
        h.do('SELECT pg_advisory_lock(%d)' % lock_key(jid))
        before = x.relay.count()
        waiting = Pending(lambda: bind_on(x.a, x, jid, new_id('b')))
        check(waiting.waiting(), 'a one-trip bind did not wait for the instance\'s exclusive '
              'lock: %s', waiting.r and waiting.r.what())
        h.do('SELECT pg_advisory_unlock(%d)' % lock_key(jid))
        expect(waiting.result(), 201)
        time.sleep(0.3)
        check(x.relay.count() - before == 1, 'the bind that waited sent %d pipelines, want 1',
              x.relay.count() - before)
    finally:
        h.close()
    x.session_clean()


def refused_alike(x, iid, what):
    """A bind through host A (which remembers iid as it was) against the
    same bind through host B: the same answer, nothing stored."""
    bid = new_id('b')
    audit = audit_count(x)
    r, n = x.relay.of(lambda: bind_on(x.a, x, iid, bid))
    other = bind_on(x.b, x, iid, bid)
    check(r.status == other.status and r.json == other.json,
          '%s: host A answered %s, host B %s', what, r.what(), other.what())
    check(x.rows('bindings', '%s/%s' % (iid, bid)) == '0', '%s: a binding was stored', what)
    check(audit_count(x) == audit, '%s: an audit entry was stored', what)
    check(n >= 2, '%s: host A sent %d pipeline(s): it did not read the instance', what, n)
    return r


def t_recall_changed(x):
    recall_setup(x)
    nobind = [p for p in expect(x.a.get('/v2/catalog'), 200)['services']
              if p['name'] == 'itest-db'][0]['plans']
    nobind = [p for p in nobind if p['name'] == 'nobind'][0]['id']
    # Updated through host B to a plan that cannot be bound, after host A
    # remembered it bindable.
    iid = new_id()
    expect(x.a.put('/v2/service_instances/' + iid, {
        'service_id': x.plan[0], 'plan_id': x.plan[1], 'organization_guid': 'org',
        'space_guid': 'space'}), 201)
    expect(bind_on(x.a, x, iid, new_id('b')), 201)      # remembered now
    expect(x.b.patch('/v2/service_instances/' + iid, {
        'service_id': x.plan[0], 'plan_id': nobind}), 200)
    r = refused_alike(x, iid, 'an instance updated through another host')
    check(r.status == 400 and 'plan_id is not the plan' in r.json.get('description', ''),
          'a bind with the old plan of an updated instance got %s', r.what())
    r = refused_alike(x, iid, 'the same, with the instance\'s new plan')
    expect(bind_on(x.a, x, iid, new_id('b'), plan=nobind), 400)
    # Deprovisioned through host B after host A remembered it.
    iid = new_id()
    expect(x.a.put('/v2/service_instances/' + iid, {
        'service_id': x.plan[0], 'plan_id': x.plan[1], 'organization_guid': 'org',
        'space_guid': 'space'}), 201)
    expect(x.a.get('/v2/service_instances/' + iid), 200)  # remembered now
    expect(x.b.delete('/v2/service_instances/%s?service_id=%s&plan_id=%s'
                      % (iid, x.plan[0], x.plan[1])), 200)
    r = refused_alike(x, iid, 'an instance deprovisioned through another host')
    check(r.status == 404, 'a bind of a deprovisioned instance got %s', r.what())
    # Provisioned again under the same id, with other parameters: bound on
    # the new record, in one round trip once remembered again.
    expect(x.b.put('/v2/service_instances/' + iid, {
        'service_id': x.plan[0], 'plan_id': x.plan[1], 'organization_guid': 'org',
        'space_guid': 'space', 'parameters': {'again': 1}}), 201)
    r, n = x.relay.of(lambda: bind_on(x.a, x, iid, new_id('b')))
    expect(r, 201)
    check(n == 2, 'the first bind of the new instance sent %d pipelines, want 2', n)
    r, n = x.relay.of(lambda: bind_on(x.a, x, iid, new_id('b')))
    expect(r, 201)
    check(n == 1, 'the next bind sent %d pipelines, want 1', n)
    x.session_clean()


def main():
    tap = Tap()
    bindir = pg_bindir_or_skip(tap, 'the PostgreSQL store\'s pipelined transactions')
    if bindir is None:
        return tap.done()
    tmp = make_tmpdir('pgpipe')
    x = Ctx(tmp, PgServer(tmp, bindir))
    tap.stacks.append(x.stack)
    print('# broker: %s' % x.stack.binary)
    ok = False
    try:
        if tap.run('PostgreSQL, a password role, one worker on it', t_start, x, step=True):
            tap.run('a put the server refuses mid-transaction: 5xx, nothing stored, '
                    'no COMMIT', t_put_refused, x)
            tap.run('the same worker serves on: provision, fetch, the same provision, '
                    'a missing instance', t_serves_after, x)
            tap.run('a provision creates without a read: a new id writes its record and '
                    'audit entry only, an existing one changes nothing (200, 409)', t_create, x)
            tap.run('a synchronous unbind and deprovision take their ids\' tombstones with '
                    'the records, and the bindings\' a deprovision removes', t_removed, x)
            tap.run('a bind whose put the server refuses: 5xx, nothing stored',
                    t_bind_refused, x)
            tap.run('a bind answered from the binding fetched with its instance; a '
                    'rotation reads its predecessor', t_bind_again, x)
            tap.run('binds of one instance wait for its exclusive lock and their own key\'s, '
                    'not for each other', t_bind_locks, x)
            tap.run('a connection the server ended: at most one 503, then served',
                    t_connection_ended, x)
            tap.run('a bind of an instance the worker remembers: one pipeline, stored with '
                    'its audit entry; the same bind again 200 as elsewhere', t_recall_one_trip, x)
            tap.run('an instance updated or deprovisioned through another host after it was '
                    'remembered: that host\'s answer (400, 404), nothing stored',
                    t_recall_changed, x)
            ok = True
    finally:
        for extra in x.extra_stacks:
            if extra.proc is not None:
                extra.stop()
        if getattr(x, 'relay', None) is not None:
            x.relay.close()
        if x.stack.proc is not None:
            problems = x.stack.stop()
            if problems:
                tap.run('the broker stops cleanly', lambda: check(False, '; '.join(problems)),
                        step=True)
        if x.pg.running:
            try:
                x.pg.stop()
            except AssertionError as e:
                print('# %s' % e)
    if ok:
        check_logs(tap, x.stack, [x.stack.password] + x.secrets)
        for extra, name in zip(x.extra_stacks, ('four workers', 'host A', 'host B')):
            check_logs(tap, extra, [extra.password] + x.secrets, prefix=name + ': ')
    rc = tap.done()
    finish_tmp([x.stack], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
