#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""examples/postgresql end to end: a real PostgreSQL server (started here, on
a free loopback port, in a temporary directory), the broker serving the
example's catalog through scripts/osbroker-serve, and its hook programs doing
the work.  Applications' view is checked with psql using only the credentials
a binding hands out.  Both plans: `shared` (synchronous) and `shared-async`
(202 and last_operation polling).

PostgreSQL comes from Debian's postgresql package (/usr/lib/postgresql/N/bin,
the newest N); as root the server runs as the `postgres` system user.  Without
it the suite skips, except as root, where `make check` installs it.

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_postgresql.py
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, check_logs, expect, expect_error, finish_tmp, make_tmpdir,
                     pg_bindir_or_skip, PgServer, REPO, scan_files, secrets_of, ServeStack,
                     tail, Tap, wait_for)

EXAMPLE = os.path.join(REPO, 'examples', 'postgresql')
POLL_LIMIT = 60             # seconds an asynchronous operation may take here


def app_psql(bindir, creds, sql):
    """psql as an application: only what the credentials say, over TCP; the
    password in the child's environment, no other PG* variable."""
    env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LANG': 'C.UTF-8',
           'HOME': '/nonexistent', 'PGPASSWORD': creds['password'],
           'PGCONNECT_TIMEOUT': '10'}
    return subprocess.run([os.path.join(bindir, 'psql'), '-X', '-q', '-A', '-t',
                           '-v', 'ON_ERROR_STOP=1', '-h', str(creds['host']),
                           '-p', str(creds['port']), '-U', creds['username'],
                           '-d', creds['database']],
                          input=sql, capture_output=True, text=True, env=env, timeout=60)


def app_ok(bindir, creds, sql):
    p = app_psql(bindir, creds, sql)
    check(p.returncode == 0, 'psql as %s: exit %d: %s', creds['username'], p.returncode,
          p.stderr.strip())
    return p.stdout.strip()


def example_catalog(tmp, pg):
    """The example catalog with this server's port and socket directory, next
    to a copy of the hooks (so its relative hook paths are what is tested)."""
    with open(os.path.join(EXAMPLE, 'catalog.yml')) as f:
        text = f.read()
    for old, new in (('        port: 5432\n', '        port: %d\n' % pg.port),
                     ('PGPORT: "5432"', 'PGPORT: "%d"' % pg.port),
                     ('PGHOST: /run/postgresql', 'PGHOST: %s' % pg.sockdir)):
        check(text.count(old) == 1, 'examples/postgresql/catalog.yml no longer has %r once '
              '(update this test)', old)
        text = text.replace(old, new)
    d = os.path.join(tmp, 'example')
    shutil.copytree(EXAMPLE, d)
    for root, _, files in os.walk(d):
        os.chmod(root, 0o755)
        for f in files:
            p = os.path.join(root, f)
            os.chmod(p, 0o755 if os.access(p, os.X_OK) else 0o644)
    path = os.path.join(d, 'catalog.yml')
    with open(path, 'w') as f:
        f.write(text)
    return path


class Flow:
    """One plan's instance, bindings and requests."""

    def __init__(self, client, bindir, pg, secrets, service, plan, async_):
        self.c, self.bindir, self.pg, self.secrets = client, bindir, pg, secrets
        self.sid, self.pid = service['id'], plan['id']
        self.async_ = async_
        self.iid = 'pg-' + uuid.uuid4().hex + '.x~y_z'      # unreserved characters
        self.bindings = {}          # name -> (binding id, credentials)
        self.endpoints = None       # of the last bind
        self.in_progress = 0        # polls that saw "in progress" (Retry-After checked)
        self.db = None

    def q(self, **extra):
        d = {'service_id': self.sid, 'plan_id': self.pid}
        if self.async_:
            d['accepts_incomplete'] = 'true'
        d.update(extra)
        return '?' + urllib.parse.urlencode(d)

    def ipath(self, tail=''):
        return '/v2/service_instances/%s%s' % (self.iid, tail)

    def bpath(self, bid, tail=''):
        return self.ipath('/service_bindings/%s%s' % (bid, tail))

    def accepts(self):
        return '?accepts_incomplete=true' if self.async_ else ''

    def wait(self, path, op, deleting=False):
        """Poll last_operation until the operation is over; return its body."""
        deadline = time.monotonic() + POLL_LIMIT
        q = {'service_id': self.sid, 'plan_id': self.pid}
        if op is not None:
            q['operation'] = op
        url = path + '/last_operation?' + urllib.parse.urlencode(q)
        while True:
            r = self.c.get(url)
            if deleting and r.status == 410:      # deleted; the body is {}
                check(r.json == {}, '%s: body %r', r.what(), r.body[:200])
                return {'state': 'succeeded', 'gone': True}
            doc = expect(r, 200)
            state = doc.get('state')
            check(state in ('in progress', 'succeeded', 'failed'), '%s: state %r', r.what(), state)
            if state == 'in progress':
                self.in_progress += 1
                ra = r.header('Retry-After')
                check(ra is not None and ra.strip() == '1',
                      '%s: in progress without Retry-After: 1 (got %r)', r.what(), ra)
            else:
                check(state == 'succeeded', 'operation failed: %r', doc)
                return doc
            check(time.monotonic() < deadline, 'still in progress after %ds: %r',
                  POLL_LIMIT, doc)
            time.sleep(0.2)

    def started(self, r, want_sync):
        """The answer to a PUT/DELETE: want_sync (201/200) or, async, 202 + operation."""
        if not self.async_:
            return expect(r, want_sync), None
        doc = expect(r, 202)
        op = doc.get('operation')
        check(isinstance(op, str) and op, '%s: 202 without an operation: %r', r.what(), doc)
        return doc, op

    def provision(self):
        body = {'service_id': self.sid, 'plan_id': self.pid,
                'organization_guid': 'org-' + uuid.uuid4().hex[:8],
                'space_guid': 'space-' + uuid.uuid4().hex[:8]}
        _, op = self.started(self.c.put(self.ipath(self.accepts()), body), 201)
        if self.async_:
            done = self.wait(self.ipath(), op)
            check('osb_' in (done.get('description') or ''),
                  'last_operation description is not the hook\'s: %r', done)
        expect(self.c.get(self.ipath()), 200)
        dbs = self.pg.admin("SELECT d.datname, r.rolname, d.datacl::text FROM pg_database d "
                            "JOIN pg_roles r ON r.oid = d.datdba "
                            "WHERE shobj_description(d.oid, 'pg_database') = 'osbroker instance %s'"
                            % self.iid)
        check(len(dbs) == 1, 'want one database marked for %s, found %r', self.iid, dbs)
        self.db, owner, acl = dbs[0]
        check(re.match(r'^osb_[0-9a-f]{20}$', self.db), 'database name %r', self.db)
        check(owner == self.db + '_owner', 'database %s owned by %s', self.db, owner)
        check(not re.search(r'(^|[{,])=', acl), 'PUBLIC keeps privileges on %s: %s', self.db, acl)
        login = self.pg.admin("SELECT rolcanlogin FROM pg_roles WHERE rolname = '%s'" % owner)
        check(login == [['f']], 'owner role %s: rolcanlogin %r', owner, login)

    def bind(self, name):
        bid = 'b-' + uuid.uuid4().hex
        body = {'service_id': self.sid, 'plan_id': self.pid,
                'bind_resource': {'app_guid': 'app-' + uuid.uuid4().hex[:8]}}
        doc, op = self.started(self.c.put(self.bpath(bid, self.accepts()), body), 201)
        if self.async_:
            self.wait(self.bpath(bid), op)
            doc = expect(self.c.get(self.bpath(bid)), 200)
        creds = doc.get('credentials')
        check(isinstance(creds, dict), 'no credentials: %r', doc)
        self.secrets.extend(secrets_of(creds))
        for k in ('username', 'password', 'host', 'port', 'database', 'uri', 'jdbcUrl'):
            check(k in creds, 'credentials lack %r: %r', k, sorted(creds))
        check(re.match(r'^u_[0-9a-f]{12}$', creds['username']), 'username %r', creds['username'])
        check(re.match(r'^[0-9a-f]{32}$', creds['password']), 'password is not 16 random bytes')
        check(creds['host'] == '127.0.0.1' and creds['port'] == self.pg.port,
              'host/port %r:%r (the port must stay a number)', creds['host'], creds['port'])
        check(creds['database'] == self.db, 'database %r, want %r', creds['database'], self.db)
        want = 'postgresql://%s:%s@127.0.0.1:%d/%s' % (creds['username'], creds['password'],
                                                      self.pg.port, self.db)
        check(creds['uri'] == want, 'uri is not postgresql://user:pass@host:port/db')
        check(creds['jdbcUrl'].startswith('jdbc:postgresql://127.0.0.1:%d/%s?'
                                          % (self.pg.port, self.db)), 'jdbcUrl %r...',
              creds['jdbcUrl'][:40])
        self.endpoints = doc.get('endpoints')
        if not self.async_:
            again = expect(self.c.get(self.bpath(bid)), 200)
            check(again.get('credentials') == creds, 'GET of the binding: other credentials')
        self.bindings[name] = (bid, creds)
        return creds

    def unbind(self, name):
        bid, creds = self.bindings.pop(name)
        _, op = self.started(self.c.delete(self.bpath(bid, self.q())), 200)
        if self.async_:
            self.wait(self.bpath(bid), op, deleting=True)
        expect(self.c.get(self.bpath(bid)), 404)
        check(not self.pg.exists('role', creds['username']), 'role %s still exists',
              creds['username'])
        p = app_psql(self.bindir, creds, 'SELECT 1')
        check(p.returncode != 0, 'the unbound credentials still log in')
        check('password authentication failed' in p.stderr, 'login failed, but how? %s',
              p.stderr.strip())
        return creds

    def deprovision(self):
        left = [c['username'] for _, c in self.bindings.values()]
        _, op = self.started(self.c.delete(self.ipath(self.q())), 200)
        if self.async_:
            self.wait(self.ipath(), op, deleting=True)
            r = self.c.get(self.ipath('/last_operation?' + urllib.parse.urlencode(
                {'operation': op, 'service_id': self.sid, 'plan_id': self.pid})))
            check(r.status == 410 and r.json == {}, '%s, want 410 with {}: %r', r.what(),
                  r.body[:200])
        expect(self.c.get(self.ipath()), 404)
        check(not self.pg.exists('database', self.db), 'database %s still exists', self.db)
        for role in [self.db + '_owner'] + left:
            check(not self.pg.exists('role', role), 'role %s still exists', role)
        self.bindings.clear()


def plan_flow(tap, flow, label):
    """Provision, two bindings sharing a table, unbind one, deprovision with
    the other still bound."""
    created, deleted = ('202, polled to succeeded', '202, polled to 410') if flow.async_ \
        else ('201', '200')
    ok = tap.run('%s: provision (%s): a database of its own, owned by a NOLOGIN role, '
                 'PUBLIC without CONNECT' % (label, created), flow.provision)
    if not ok:
        return

    def first():
        c = flow.bind('first')
        out = app_ok(flow.bindir, c, "CREATE TABLE notes (id int PRIMARY KEY, body text);\n"
                     "INSERT INTO notes VALUES (1, 'from the first binding');\n"
                     "SELECT body FROM notes WHERE id = 1;\n")
        check(out == 'from the first binding', 'read back %r', out)
        who = app_ok(flow.bindir, c, 'SELECT session_user, current_user')
        check(who == '%s|%s_owner' % (c['username'], flow.db), 'session|current user: %r', who)
    if not tap.run('%s: bind (%s): the credentials log in over TCP with psql; CREATE TABLE, '
                   'INSERT, SELECT' % (label, created), first):
        return

    def endpoints():
        want = [{'host': '127.0.0.1', 'ports': [str(flow.pg.port)], 'protocol': 'tcp'}]
        check(flow.endpoints == want, 'endpoints %r, want %r (OSBAPI: ports are strings)',
              flow.endpoints, want)
    tap.run('%s: bind: endpoints from the template, ports as strings' % label, endpoints)

    def second():
        c = flow.bind('second')
        out = app_ok(flow.bindir, c, "INSERT INTO notes VALUES (2, 'from the second');\n"
                     "SELECT count(*) FROM notes;\n")
        check(out == '2', 'rows seen by the second binding: %r', out)
        owner = app_ok(flow.bindir, c, "SELECT tableowner FROM pg_tables WHERE tablename = 'notes'")
        check(owner == flow.db + '_owner', 'table owned by %r', owner)
        check(c['username'] != flow.bindings['first'][1]['username'], 'same user twice')
    tap.run('%s: a second binding (its own role) reads and writes the first one\'s table'
            % label, second)

    def unbind():
        flow.unbind('first')
        if 'second' in flow.bindings:
            out = app_ok(flow.bindir, flow.bindings['second'][1], 'SELECT count(*) FROM notes')
            check(out == '2', 'after the unbind the table has %r rows', out)
    tap.run('%s: unbind (%s): the role is gone, its login fails, its table stays'
            % (label, deleted), unbind)

    tap.run('%s: deprovision (%s) with one binding left: the database, the owner and '
            'binding roles are gone' % (label, deleted), flow.deprovision)
    if flow.async_:
        print('# %s: %d polls saw "in progress" (each with Retry-After: 1)'
              % (label, flow.in_progress))


def suite(tap, bindir, pg, stack, secrets):
    """Every test after the tools were found; returns False after a bail out."""
    def start_pg():
        try:
            pg.start()
        except AssertionError:
            for line in tail(pg.log, 20):
                print('#   ' + line)
            raise
    if not tap.run('PostgreSQL starts (initdb, pg_ctl) on a free loopback port', start_pg, step=True):
        tap.bail('no PostgreSQL server')
        return False

    def check_catalog():
        stack.catalog = example_catalog(stack.tmp, pg)
        p = subprocess.run([stack.binary, '--check-catalog', stack.catalog],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, '--check-catalog: exit %d: %s%s', p.returncode,
              p.stdout, p.stderr)
    if not tap.run('examples/postgresql/catalog.yml is valid (osbroker --check-catalog)',
                   check_catalog, step=True):
        tap.bail('the example catalog is invalid')
        return False

    tap.stacks.append(stack)
    if not tap.run('osbroker-serve starts with the example catalog', stack.start, step=True):
        tap.bail('the stack did not start')
        return False
    c = stack.client()
    found = {}

    def catalog():
        doc = expect(c.get('/v2/catalog'), 200)
        svcs = [s for s in doc.get('services', []) if s.get('name') == 'postgresql']
        check(len(svcs) == 1, 'no postgresql service in %r', doc)
        s = svcs[0]
        check('osbroker' not in s, 'the osbroker: settings are served')
        check(s.get('bindable') is True and s.get('instances_retrievable') is True
              and s.get('bindings_retrievable') is True, 'service flags %r', s)
        plans = {p['name']: p for p in s.get('plans', [])}
        check(sorted(plans) == ['shared', 'shared-async'], 'plans %r', sorted(plans))
        check(all('osbroker' not in p for p in plans.values()), 'plan settings are served')
        check(plans['shared-async'].get('maximum_polling_duration') == 600,
              'shared-async: maximum_polling_duration %r',
              plans['shared-async'].get('maximum_polling_duration'))
        found.update(service=s, plans=plans)
    if not tap.run('GET /v2/catalog: service postgresql, plans shared and shared-async, '
                   'no broker settings', catalog):
        tap.bail('unexpected catalog')
        return False
    svc, plans = found['service'], found['plans']

    def rejected_parameter():
        f = Flow(c, bindir, pg, secrets, svc, plans['shared'], False)
        body = {'service_id': f.sid, 'plan_id': f.pid, 'organization_guid': 'o',
                'space_guid': 's', 'parameters': {'size': 3}}
        doc = expect(c.put(f.ipath(), body), 400)
        check('size' in doc['description'] and 'no parameters' in doc['description'],
              'description is not the hook\'s: %r', doc)
        expect(c.get(f.ipath()), 404)
        check(not pg.admin("SELECT datname FROM pg_database WHERE datname LIKE 'osb\\_%'"),
              'a database was made')
    tap.run('provision with an unknown parameter: 400 with the hook\'s description '
            '(exit 64), no record, no database', rejected_parameter)

    sync = Flow(c, bindir, pg, secrets, svc, plans['shared'], False)
    plan_flow(tap, sync, 'shared')

    def async_required():
        f = Flow(c, bindir, pg, secrets, svc, plans['shared-async'], False)
        body = {'service_id': f.sid, 'plan_id': f.pid, 'organization_guid': 'o',
                'space_guid': 's'}
        expect_error(c.put(f.ipath(), body), 422, 'AsyncRequired')
        expect(c.get(f.ipath()), 404)
    tap.run('shared-async without accepts_incomplete=true: 422 AsyncRequired', async_required)

    plan_flow(tap, Flow(c, bindir, pg, secrets, svc, plans['shared-async'], True),
              'shared-async')

    def upgrades():
        with open(stack.catalog) as fh:
            current = fh.read()
        check(current.count('version: 1.1.0') == 2, 'the example catalog no longer has '
              'maintenance_info 1.1.0 in both plans (update this test)')

        def serve_version(text, v):
            with open(stack.catalog + '.new', 'w') as fh:
                fh.write(text)
            os.replace(stack.catalog + '.new', stack.catalog)
            wait_for(lambda: all((p.get('maintenance_info') or {}).get('version') == v
                                 for s in expect(c.get('/v2/catalog'), 200)['services']
                                 for p in s['plans']), 20, 'the catalog at %s' % v)

        def pgcrypto(f):
            return pg.admin("SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'",
                            database=f.db) == [['pgcrypto']]

        def versions(f):
            return [r[0] for r in pg.admin('SELECT version FROM osbroker_maintenance ORDER BY 1',
                                           database=f.db)]

        def version(f):
            return (expect(c.get(f.ipath()), 200).get('maintenance_info') or {}).get('version')

        # instances made while the plans were at 1.0.0 (no migration yet)
        serve_version(current.replace('version: 1.1.0', 'version: 1.0.0'), '1.0.0')
        fs = Flow(c, bindir, pg, secrets, svc, plans['shared'], False)
        fa = Flow(c, bindir, pg, secrets, svc, plans['shared-async'], True)
        ff = Flow(c, bindir, pg, secrets, svc, plans['shared'], False)
        for f in (fs, fa, ff):
            f.provision()
            check(version(f) == '1.0.0' and versions(f) == ['1.0.0'] and not pgcrypto(f),
                  'an instance made at 1.0.0: %r, %r, pgcrypto %r', version(f), versions(f),
                  pgcrypto(f))
        # the operator raises the version: the instances stay where they are
        serve_version(current, '1.1.0')
        check(version(fs) == '1.0.0', 'a catalog change alone upgraded an instance')
        body = {'service_id': svc['id'], 'plan_id': plans['shared']['id'], 'parameters': {},
                'maintenance_info': {'version': '1.1.0'},
                'previous_values': {'maintenance_info': {'version': '1.0.0'}}}
        expect_error(c.patch(fs.ipath(), dict(body, maintenance_info={'version': '1.0.0'})),
                     422, 'MaintenanceInfoConflict')
        # synchronous: the migration ran in the instance's database
        expect(c.patch(fs.ipath(), body), 200)
        check(version(fs) == '1.1.0', 'GET after the upgrade: %r', version(fs))
        check(pgcrypto(fs) and versions(fs) == ['1.0.0', '1.1.0'],
              'the migration did not run: pgcrypto %r, versions %r', pgcrypto(fs), versions(fs))
        lo = expect(c.get(fs.ipath('/last_operation')), 200)
        check(lo['state'] == 'succeeded' and 'pgcrypto' in lo.get('description', ''),
              'last_operation %r', lo)
        creds = fs.bind('app')
        out = app_ok(bindir, creds, "SELECT encode(digest('abc', 'sha256'), 'hex')")
        check(out == 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
              'pgcrypto as the application: %r', out)
        # asynchronous: 202, polled
        doc = expect(c.patch(fa.ipath('?accepts_incomplete=true'),
                             dict(body, plan_id=plans['shared-async']['id'])), 202)
        fa.wait(fa.ipath(), doc['operation'])
        check(version(fa) == '1.1.0' and pgcrypto(fa), 'async upgrade: %r, pgcrypto %r',
              version(fa), pgcrypto(fa))
        # a failing migration: the old version stays, failed with the hook's description
        pg.admin('DROP DATABASE %s' % ff.db)        # behind the broker's back
        d = expect_error(c.patch(ff.ipath(), body), 500)
        check(d['description'] == "the instance's database does not exist", 'error %r', d)
        check(version(ff) == '1.0.0', 'a failed upgrade recorded %r', version(ff))
        lo = expect(c.get(ff.ipath('/last_operation')), 200)
        check(lo == {'state': 'failed', 'description': "the instance's database does not exist"},
              'last_operation %r', lo)
        # a new instance starts at the plan's version
        fn = Flow(c, bindir, pg, secrets, svc, plans['shared'], False)
        fn.provision()
        check(version(fn) == '1.1.0' and pgcrypto(fn) and versions(fn) == ['1.1.0'],
              'a new instance: %r, pgcrypto %r, %r', version(fn), pgcrypto(fn), versions(fn))
        for f in (fs, fa, ff, fn):
            f.deprovision()
    tap.run('upgrades: the operator raises maintenance_info to 1.1.0; the upgrade hook '
            'migrates (pgcrypto) sync and async; a failed one keeps 1.0.0; new instances '
            'start at 1.1.0', upgrades)

    def failures():
        f = Flow(c, bindir, pg, secrets, svc, plans['shared'], False)
        f.provision()
        bid = 'b-' + uuid.uuid4().hex
        body = {'service_id': f.sid, 'plan_id': f.pid}
        doc = expect(c.put(f.bpath(bid), dict(body, parameters={'role': 'admin'})), 400)
        check('role' in doc['description'], 'description is not the hook\'s: %r', doc)
        expect(c.get(f.bpath(bid)), 404)
        pg.admin('DROP DATABASE %s' % f.db)         # behind the broker's back
        doc = expect(c.put(f.bpath(bid), body), 500)
        check(doc['description'] == "the instance's database does not exist",
              'description is not the hook\'s: %r', doc)
        expect(c.get(f.bpath(bid)), 404)
        # orphan mitigation: unbind of what bind never made, deprovision of a
        # database that is gone
        expect(c.delete(f.bpath(bid, f.q())), 200)
        expect(c.delete(f.ipath(f.q())), 200)
        check(not pg.exists('role', f.db + '_owner'), 'the owner role is left')
    tap.run('bind with a parameter: 400 (exit 64); a failing bind hook: 500 with its '
            'description; unbind and deprovision of what is half gone succeed', failures)

    def leftovers():
        rows = pg.admin("SELECT datname FROM pg_database WHERE datname LIKE 'osb\\_%' "
                        "UNION ALL SELECT rolname FROM pg_roles "
                        "WHERE rolname LIKE 'osb\\_%' OR rolname LIKE 'u\\_%'")
        check(not rows, 'left on the server: %r', rows)
    tap.run('nothing of the example is left on the server', leftovers)

    def hook_stderr():
        want = 'provision of %s: database osb_' % sync.iid
        logs = [line for path in stack.log_files() for line in tail(path, 100000)]
        check(any(want in line for line in logs), 'no log line with %r', want)
    tap.run('the hooks\' standard error reaches the broker log', hook_stderr)

    def pg_log():
        check(os.path.exists(pg.log), 'no %s', pg.log)
        with open(pg.log, encoding='utf-8', errors='replace') as f:
            text = f.read()
        check('password authentication failed for user "u_' in text,
              'the refused logins of unbound credentials are not in the server log')
        check('CREATE TABLE notes' in text, 'the server log does not show every statement')
        problems = scan_files([pg.log], secrets)
        check(not problems, '\n'.join(problems))
    tap.run('PostgreSQL\'s log (every statement logged) shows failed logins but no '
            'password (%d checked)' % len(secrets), pg_log)

    def clean_stop():
        problems = stack.stop()
        check(not problems, '; '.join(problems))
    tap.run('SIGTERM stops the broker: no process, no listener, no socket, no pid file',
            clean_stop, step=True)

    check_logs(tap, stack, secrets)
    return True


def main():
    tap = Tap()
    bindir = pg_bindir_or_skip(tap, 'examples/postgresql end to end')
    if bindir is None:
        return tap.done()
    if shutil.which('psql') is None:
        # The hooks find psql on the broker's PATH (postgresql-client).
        tap.run('psql is on PATH for the hooks', lambda: check(False, 'no psql on PATH'))
        return tap.done()

    tmp = make_tmpdir('postgresql')
    pg = PgServer(tmp, bindir)
    stack = ServeStack(tmp=tmp, workers=2)
    secrets = []
    print('# broker: %s' % stack.binary)
    print('# PostgreSQL: %s' % bindir)
    completed = False
    try:
        completed = suite(tap, bindir, pg, stack, secrets)
    finally:
        if stack.proc is not None:
            stack.stop()
        if completed:
            tap.run('PostgreSQL stops (pg_ctl stop -m fast)', pg.stop, step=True)
        elif pg.running:
            try:
                pg.stop()
            except AssertionError as e:
                print('# %s' % e)
    rc = tap.done()
    finish_tmp([stack], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
