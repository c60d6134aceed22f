# SPDX-License-Identifier: ISC
"""hosts: what the suites of several broker hosts share (test_hosts.py
kills a broker host, test_failover.py the database primary).

World: one PostgreSQL store, two broker hosts (scripts/osbroker-serve with
OSBROKER_HOST_ID host-a and host-b and the same OSBROKER_STORE) and the load
balancer (conf/nginx/osbroker-lb.conf) in front, with the catalog
fixtures/ops-catalog.yml plus the plan `long` (asynchronous, with a deadline
far beyond the lease).

Load: threads send, each on ids of its own, provision -> bind -> fetch both ->
(every other round) unbind -> deprovision, through one client (the load
balancer), and record every answer.  A write that is not answered 2xx is
sent again, as a platform would, for up to `retry_for` seconds; the last
answer decides what the broker acknowledged: `state` maps each instance and
binding to 'present' or 'absent' when a write was acknowledged (2xx; 410 for
a delete), or 'unknown' when none was.  check() then finds every
acknowledged write in the store, through the API and in the database.
Standard library only.
"""

import json
import os
import shutil
import signal
import threading
import time
import urllib.parse
import uuid

from harness import (FIXTURES, LbStack, PgServer, ServeStack, check, expect, pg_bindir,
                     secrets_of)

LONG_PLAN = '''  - id: 0c5e8f1a-6b2d-4e7f-9a3c-1d2e3f4a5b6c
    name: long
    description: Asynchronous, with a deadline far beyond the lease
    maximum_polling_duration: 900
    osbroker:
      async: true
      hook_timeout: 900
      poll_interval: 1
'''


def prepare_catalog(root):
    hook_log = os.path.join(root, 'hooks.log')
    with open(os.path.join(FIXTURES, 'ops-catalog.yml')) as f:
        text = f.read().replace('@HOOK_LOG@', hook_log)
    catalog = os.path.join(root, 'catalog.yml')
    with open(catalog, 'w') as f:
        f.write(text.rstrip('\n') + '\n' + LONG_PLAN)
    shutil.copytree(os.path.join(FIXTURES, 'hooks'), os.path.join(root, 'hooks'))
    return catalog


def start_pg(root, name='pg', extra_conf='', replication=False):
    """A server (PgServer) with database osb owned by role osb, who logs in
    with a password over TCP; returns (server, password)."""
    bindir = pg_bindir()
    check(bindir, 'PostgreSQL server programs not installed (postgresql package)')
    pg = PgServer(root, bindir, name)
    pg.start(extra_conf='max_connections = 80\n' + extra_conf, replication=replication)
    password = 'osb-' + uuid.uuid4().hex
    # not logged: the server logs every statement
    pg.admin("SET log_statement = 'none'; CREATE ROLE osb LOGIN PASSWORD '%s'" % password)
    pg.admin('CREATE DATABASE osb OWNER osb')
    return pg, password


class World:
    """The database, the two hosts, the load balancer, and their clients."""

    def __init__(self, root, request_timeout):
        self.root = root
        self.request_timeout = request_timeout
        self.pg = self.a = self.b = self.lb = None
        self.user, self.password = 'itest', 'pw-' + uuid.uuid4().hex
        self.db_password = self.store = None
        self.secrets = []

    def start(self, pg, db_password, store):
        """pg: the server to look into (rows(), record()); store: the
        hosts' OSBROKER_STORE."""
        self.pg, self.db_password, self.store = pg, db_password, store
        catalog = prepare_catalog(self.root)
        for name in ('host-a', 'host-b'):
            tmp = os.path.join(self.root, name)
            os.makedirs(tmp)
            os.chmod(tmp, 0o711)
            s = ServeStack(tmp=tmp, catalog=catalog, username=self.user,
                           password=self.password, workers=2, extra_env={
                               'OSBROKER_STORE': self.store, 'OSBROKER_HOST_ID': name,
                               'OSBROKER_REQUEST_TIMEOUT': str(self.request_timeout)})
            setattr(self, 'a' if name == 'host-a' else 'b', s)
            s.start()
        self.lb = LbStack([self.a, self.b], tmp=self.root,
                          read_timeout=self.request_timeout + 10)
        self.lb.start()
        self.ca, self.cb = self.a.client(), self.b.client()
        self.c = self.lb.client(self.user, self.password)
        doc = expect(self.c.get('/v2/catalog'), 200)
        svc = [s for s in doc['services'] if s['name'] == 'itest-ops'][0]
        self.sid = svc['id']
        self.plans = {p['name']: p['id'] for p in svc['plans']}

    # ---------------------------------------------------------------- helpers
    def body(self, plan, behave=None, **kw):
        b = {'service_id': self.sid, 'plan_id': self.plans[plan],
             'context': {'platform': 'cloudfoundry'}}
        if behave is not None:
            b['parameters'] = {'behave': behave}
        b.update(kw)
        return b

    def q(self, plan):
        return '?service_id=%s&plan_id=%s' % (self.sid, self.plans[plan])

    def rows(self):
        return set(tuple(r) for r in
                   self.pg.admin('SELECT tbl, key FROM osbroker_records', 'osb'))

    def record(self, tbl, key):
        """The stored record, parsed; None when absent."""
        r = self.pg.admin("SELECT encode(value, 'hex') FROM osbroker_records "
                          "WHERE tbl = '%s' AND key = '%s'" % (tbl, key), 'osb')
        return json.loads(bytes.fromhex(r[0][0]).decode()) if r else None

    def write_record(self, tbl, key, rec):
        self.pg.admin("UPDATE osbroker_records SET value = decode('%s', 'hex') "
                      "WHERE tbl = '%s' AND key = '%s'"
                      % (json.dumps(rec).encode().hex(), tbl, key), 'osb')

    def lastop(self, client, iid):
        return expect(client.get('/v2/service_instances/%s/last_operation' % iid), 200)

    def poll(self, client, iid, want, timeout, op=None):
        deadline = time.monotonic() + timeout
        q = '?operation=%s' % op if op else ''
        while True:
            r = client.get('/v2/service_instances/%s/last_operation%s' % (iid, q))
            if r.status == 410 and want == 'gone':
                return {}
            doc = expect(r, 200)
            if doc['state'] != 'in progress':
                check(doc['state'] == want, '%s: %r, want %s', iid, doc, want)
                return doc
            check(time.monotonic() < deadline, '%s still in progress after %ss', iid, timeout)
            time.sleep(0.3)


def host_processes(stack, host_id):
    """Every process of a broker host: osbroker-serve, nginx, spawn-fcgi,
    workers, and (found by their environment) runners and heartbeats, with
    their sessions (the hooks)."""
    pids = set()
    if stack.proc is not None:
        p = stack.pids()
        pids |= {x for x in [stack.proc.pid, p['nginx'], p['spawner']] + p['workers'] +
                 p['nginx_workers'] if x}
    # its own: the host id, and this stack's state directory (a temporary
    # one), so that nothing of another test run can match
    needles = [('\0OSBROKER_HOST_ID=%s\0' % host_id).encode(),
               ('\0OSBROKER_STATE_DIR=%s\0' % stack.state_dir).encode()]
    sessions = set()
    stats = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/environ' % d, 'rb') as f:
                env = b'\0' + f.read()
            with open('/proc/%s/stat' % d) as f:
                stats[int(d)] = f.read().rsplit(')', 1)[1].split()
            with open('/proc/%s/cmdline' % d, 'rb') as f:
                cmd = f.read()
        except (OSError, IndexError):
            continue
        if all(n in env for n in needles):
            pids.add(int(d))
            if b'--run-operation' in cmd:
                sessions.add(int(stats[int(d)][3]))
    pids |= {pid for pid, st in stats.items() if int(st[3]) in sessions}
    return pids


def kill_leftovers(stacks):
    """After the hosts were stopped: SIGKILL what is left of them (runners
    of operations still in progress, detached by design, and their hooks);
    returns how many."""
    pids = set()
    for s, name in stacks:
        pids |= host_processes(s, name)
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    return len(pids)


# Words of libpq and PostgreSQL messages that must never reach a platform.
LIBPQ_WORDS = ('libpq', 'PQ', 'SQLSTATE', 'FATAL', 'server closed', 'could not connect',
               'connection to server', 'postgres', 'Connection refused', 'ERROR:')


class Answer:
    __slots__ = ('t0', 't1', 'method', 'path', 'status', 'headers', 'body', 'error')

    def __init__(self, t0, t1, method, path, status, headers, body, error):
        self.t0, self.t1, self.method, self.path = t0, t1, method, path
        self.status, self.headers, self.body, self.error = status, headers, body, error

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def what(self):
        return '%s %s -> %s' % (self.method, self.path[:100],
                                self.status if self.error is None else self.error)


class Load:
    def __init__(self, client, sid, plan, threads=4, tag='load', retry_for=0.0,
                 timeout=60, delete_every=2, pause=0.0):
        self.c, self.sid, self.plan = client, sid, plan
        self.threads, self.tag = threads, tag
        self.retry_for, self.timeout = retry_for, timeout
        self.delete_every, self.pause = delete_every, pause
        self.answers = []
        self.state = {}             # ('i', iid) / ('b', iid, bid) -> present|absent|unknown
        self.acked = 0              # writes answered 2xx (or 410 to a delete)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.workers = []
        self.secrets = []

    # ------------------------------------------------------------------ running
    def start(self):
        for t in range(self.threads):
            th = threading.Thread(target=self._run, args=(t,), daemon=True)
            th.start()
            self.workers.append(th)
        return self

    def stop(self):
        self.stopping.set()
        for th in self.workers:
            th.join(self.timeout + self.retry_for + 30)
        check(not any(th.is_alive() for th in self.workers), 'a load thread did not end')

    def _send(self, method, path, body=None):
        t0 = time.monotonic()
        try:
            r = self.c.request(method, path, body=body, timeout=self.timeout)
            a = Answer(t0, time.monotonic(), method, path, r.status, r.headers, r.body, None)
        except Exception as e:      # a hang or a reset is an answer too: a bad one
            a = Answer(t0, time.monotonic(), method, path, None, [], b'', repr(e))
        with self.lock:
            self.answers.append(a)
        return a

    def _write(self, method, path, body, key, want):
        """Send until acknowledged or retry_for ran out; record the outcome."""
        first = time.monotonic()
        while True:
            a = self._send(method, path, body)
            ok = a.status is not None and (200 <= a.status < 300 or
                                           (method == 'DELETE' and a.status == 410))
            if ok:
                with self.lock:
                    self.state[key] = want
                    self.acked += 1
                if method == 'PUT' and key[0] == 'b':
                    try:
                        self.secrets.extend(secrets_of(json.loads(a.body).get('credentials')))
                    except ValueError:
                        pass
                return True
            if time.monotonic() - first >= self.retry_for:
                with self.lock:
                    self.state[key] = 'unknown'
                return False
            time.sleep(0.3)

    def _run(self, t):
        q = '?' + urllib.parse.urlencode({'service_id': self.sid, 'plan_id': self.plan})
        body = {'service_id': self.sid, 'plan_id': self.plan,
                'organization_guid': 'org-load', 'space_guid': 'space-load',
                'context': {'platform': 'cloudfoundry'}}
        k = 0
        while not self.stopping.is_set():
            k += 1
            iid = '%s-%d-%d' % (self.tag, t, k)
            bid = 'b-%d-%d' % (t, k)
            ipath = '/v2/service_instances/%s' % iid
            bpath = '%s/service_bindings/%s' % (ipath, bid)
            if self._write('PUT', ipath, body, ('i', iid), 'present') and \
                    self._write('PUT', bpath, {'service_id': self.sid, 'plan_id': self.plan},
                                ('b', iid, bid), 'present'):
                self._send('GET', ipath)
                self._send('GET', bpath)
                if k % self.delete_every == 0 and \
                        self._write('DELETE', bpath + q, None, ('b', iid, bid), 'absent'):
                    self._write('DELETE', ipath + q, None, ('i', iid), 'absent')
            if self.pause:
                time.sleep(self.pause)

    # ------------------------------------------------------------------ results
    def since(self, t):
        """The answers to requests sent at monotonic time t or later."""
        with self.lock:
            return [a for a in self.answers if a.t0 >= t]

    def count(self, pred):
        with self.lock:
            return sum(1 for a in self.answers if pred(a))

    def bad_answers(self, answers, allowed):
        """Problems: an answer whose status is not in allowed (a set of
        statuses; a 503 must also carry Retry-After and a clean JSON
        description), no answer at all, or one slower than the timeout."""
        out = []
        for a in answers:
            if a.status is None:
                out.append('%s: no answer' % a.what())
                continue
            if a.status not in allowed:
                out.append('%s: status not expected here: %r' % (a.what(), a.body[:200]))
                continue
            if a.t1 - a.t0 > self.timeout:
                out.append('%s: took %.1fs' % (a.what(), a.t1 - a.t0))
            if a.status >= 400:
                try:
                    doc = json.loads(a.body)
                    desc = doc.get('description', '')
                except (ValueError, AttributeError):
                    out.append('%s: body is not JSON: %r' % (a.what(), a.body[:200]))
                    continue
                if not isinstance(desc, str) or not desc:
                    out.append('%s: no description: %r' % (a.what(), a.body[:200]))
                text = a.body.decode('utf-8', 'replace')
                leaked = [w for w in LIBPQ_WORDS if w in text]
                if leaked:
                    out.append('%s: a database message in the body (%s): %r'
                               % (a.what(), leaked, a.body[:200]))
            if a.status == 503 and not (a.header('Retry-After') or '').strip().isdigit():
                out.append('%s: 503 without Retry-After' % a.what())
        return out

    def check(self, client, rows):
        """Every acknowledged write holds: through client (the API) and in
        rows, the set of (tbl, key) of osbroker_records.  Returns the
        number of records checked."""
        problems, n = [], 0
        with self.lock:
            state = dict(self.state)
        for key, want in sorted(state.items()):
            if want == 'unknown':
                continue
            n += 1
            if key[0] == 'i':
                path, row = '/v2/service_instances/%s' % key[1], ('instances', key[1])
            else:
                path = '/v2/service_instances/%s/service_bindings/%s' % (key[1], key[2])
                row = ('bindings', '%s/%s' % (key[1], key[2]))
            r = client.get(path)
            if want == 'present' and (r.status != 200 or row not in rows):
                problems.append('%s acknowledged as made: GET %d, in the database: %s'
                                % (path, r.status, row in rows))
            if want == 'absent' and (r.status not in (404, 410) or row in rows):
                problems.append('%s acknowledged as deleted: GET %d, in the database: %s'
                                % (path, r.status, row in rows))
        check(not problems, '%d of %d acknowledged writes do not hold:\n%s', len(problems), n,
              '\n'.join(problems[:20]))
        return n
