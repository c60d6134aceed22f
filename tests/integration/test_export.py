#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Moving a store (docs/export.md): a broker on LMDB (scripts/osbroker-serve,
the operations catalog fixtures/ops-catalog.yml) is populated over HTTP with
instances, bindings, finished asynchronous operations, tombstones and failed
operations; `osbroker --export` writes it while the broker serves;
`osbroker --import` loads the file into PostgreSQL (a throwaway server,
harness.PgServer, a password role over TCP); that store is exported and
imported into a fresh LMDB store, which is exported once more.  The three
exports must be the same after their headers, the two LMDB stores the same
byte for byte (mdb_dump), and PostgreSQL's rows the same bytes.  Then a
broker serves the PostgreSQL copy and answers every GET as the original did.
Refused: an import into a store that is not empty, a file cut short, a bad
line (nothing stored, in either kind of store), overwriting a file.  Every
export file is 0600, and no binding credential or password reaches a log or
the commands' output.

PostgreSQL comes from Debian's postgresql package; without it the suite
skips, except as root, where `make check` installs it.

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_export.py
"""

import json
import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BAD_LOG_PATTERNS, check, check_logs, expect, finish_tmp,
                     pg_bindir_or_skip, PgServer, scan_files, ServeStack, store_diff,
                     store_snapshot, Tap)
from cases import new_id
from test_operations import Ops, prepare


# An offering without hooks, added to the operations catalog: its records
# are saved once, as the request made them, and keep what cJSON printed.
PLAIN = """- id: 3c8e2f1a-9b7d-4e6c-a5f4-0d1e2c3b4a59
  name: itest-plain
  description: No hooks (tests/integration/test_export.py)
  bindable: true
  instances_retrievable: true
  bindings_retrievable: true
  plans:
  - id: 4d9f3a2b-0c8e-4f7d-b6a5-1e2f3d4c5b6a
    name: plain
    description: The broker alone
"""
HUGE = 1.7976931348623157e308       # the largest double


class Move:
    """The suite's state: stacks, files, the answers to compare."""

    def __init__(self, tmp, catalog, hook_log, pg):
        self.tmp, self.catalog, self.hook_log, self.pg = tmp, catalog, hook_log, pg
        self.orig = ServeStack(tmp=tmp, catalog=catalog, workers=2)
        self.x = None
        self.secrets = [self.orig.password]
        self.gets = []                  # paths whose answers must survive the move
        self.answers = {}               # path -> (status, body) from the original
        self.outputs = []               # every command's stdout and stderr
        self.role = 'osbmove'
        self.role_pw = 'pgpw-' + uuid.uuid4().hex
        self.secrets.append(self.role_pw)
        self.files = {}

    def conninfo(self, db):
        return 'postgresql://%s:%s@127.0.0.1:%d/%s' % (self.role, self.role_pw, self.pg.port, db)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def broker(self, args, state_dir, db=None, stdin=None):
        """Run `osbroker args` for the store in state_dir (LMDB) or in the
        PostgreSQL database db; return the CompletedProcess.  Its output is
        kept for the check that no secret is printed, except the export
        itself on standard output."""
        env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LANG': 'C.UTF-8',
               'OSBROKER_STATE_DIR': state_dir, 'OSBROKER_CATALOG': self.catalog}
        for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
            if k in os.environ:
                env[k] = os.environ[k]
        if db is not None:
            env['OSBROKER_STORE'] = self.conninfo(db)
        p = subprocess.run([self.orig.binary] + args, env=env, input=stdin,
                           capture_output=True, timeout=120)
        self.outputs.append(p.stderr if args == ['--export', '-'] else p.stdout + p.stderr)
        return p

    def rows(self, db):
        """PostgreSQL's records as {table: {key: value bytes}}, like store_snapshot."""
        out = {}
        for tbl, key, hexval in self.pg.admin(
                "SELECT tbl, key, encode(value, 'hex') FROM osbroker_records "
                "ORDER BY tbl, key", database=db):
            out.setdefault(tbl, {})[key] = bytes.fromhex(hexval)
        return out

    def record_get(self, path):
        self.gets.append(path)


def records(snap):
    """A snapshot without its empty tables (LMDB has all four, PostgreSQL
    rows only where there are records)."""
    return {t: v for t, v in snap.items() if v}


def lines(path):
    with open(path, 'rb') as f:
        data = f.read()
    check(data.endswith(b'\n'), '%s does not end with a newline', path)
    return data[:-1].split(b'\n')


# ----------------------------------------------------------------- the original

def t_populate(m):
    """Instances, bindings, finished operations, tombstones and failures."""
    x = m.x
    # synchronous: an instance with two bindings (credentials from templates)
    i1 = new_id()
    expect(x.c.put(x.ipath(i1), x.body('sync', parameters={'size': 1})), 201)
    for _ in range(2):
        b = new_id('b')
        x.creds(expect(x.c.put(x.bpath(i1, b), dict(x.body('sync'),
                                                    parameters={'flavour': 'gold'})), 201))
        m.record_get(x.bpath(i1, b))
        m.record_get(x.bpath(i1, b) + '/last_operation')
    m.record_get(x.ipath(i1))
    m.record_get(x.ipath(i1) + '/last_operation')

    # asynchronous: provision, update and bind finished; an unbind finished
    # (a binding's tombstone); then an update that failed
    i2, b2, b3 = new_id(), new_id('b'), new_id('b')
    def patch(params):
        return expect(x.c.patch(x.ipath(i2) + '?accepts_incomplete=true',
                                {'service_id': x.sid, 'parameters': params}), 202)['operation']

    x.poll(x.ipath(i2), 'succeeded', op=x.async_put(x.ipath(i2), x.body('async'))['operation'])
    x.poll(x.ipath(i2), 'succeeded', op=patch({'size': 2}))
    for b in (b2, b3):
        x.poll(x.bpath(i2, b), 'succeeded',
               op=x.async_put(x.bpath(i2, b), x.body('async'))['operation'])
        x.creds(expect(x.c.get(x.bpath(i2, b)), 200))
    op = expect(x.c.delete(x.bpath(i2, b3, x.q('async', '&accepts_incomplete=true'))),
                202)['operation']
    check(x.poll(x.bpath(i2, b3), None, op=op)[0] == 410, 'async unbind did not end in 410')
    x.poll(x.ipath(i2), 'failed', op=patch({'behave': 'fail'}))
    for p in (x.ipath(i2), x.ipath(i2) + '/last_operation', x.bpath(i2, b2),
              x.bpath(i2, b2) + '/last_operation', x.bpath(i2, b3) + '/last_operation'):
        m.record_get(p)

    # an asynchronous deprovision finished: the instance's tombstone
    i3 = new_id()
    x.poll(x.ipath(i3), 'succeeded', op=x.async_put(x.ipath(i3), x.body('async'))['operation'])
    op = expect(x.c.delete(x.ipath(i3, x.q('async', '&accepts_incomplete=true'))), 202)['operation']
    check(x.poll(x.ipath(i3), None, op=op)[0] == 410, 'async deprovision did not end in 410')
    m.record_get(x.ipath(i3) + '/last_operation')
    m.record_get(x.ipath(i3))

    # an asynchronous provision that failed (the record stays, failed)
    i4 = new_id()
    x.poll(x.ipath(i4), 'failed', op=x.async_put(x.ipath(i4), x.body('async', 'fail'))['operation'])
    m.record_get(x.ipath(i4) + '/last_operation')
    m.record_get(x.ipath(i4))

    # without hooks: the largest double is stored as cJSON prints it,
    # 1.79769313486232e+308, which reads back as infinity (a record saved
    # again holds null): only the stored bytes themselves survive a move
    svc = [s for s in expect(x.c.get('/v2/catalog'), 200)['services']
           if s['name'] == 'itest-plain'][0]
    i5, b5 = new_id(), new_id('b')
    body = {'service_id': svc['id'], 'plan_id': svc['plans'][0]['id'],
            'organization_guid': 'org-1', 'space_guid': 'space-1',
            'parameters': {'huge': HUGE}}
    expect(x.c.put(x.ipath(i5), body), 201)
    x.creds(expect(x.c.put(x.bpath(i5, b5), body), 201))
    for p in (x.ipath(i5), x.bpath(i5, b5)):
        m.record_get(p)

    snap = store_snapshot(m.orig.state_dir)
    m.counts = {t: len(v) for t, v in snap.items()}
    m.counts.setdefault('audit', 0)
    # Every change and every outcome left an audit entry (src/audit.h).
    check({t: n for t, n in m.counts.items() if t != 'audit'} ==
          {'instances': 4, 'bindings': 4, 'gone': 2, 'meta': 0} and m.counts['audit'] >= 12,
          'the original store: %s', m.counts)
    m.total = sum(m.counts.values())
    m.summary = ('%d records (4 instances, 4 bindings, 2 tombstones, 0 meta, %d audit entries)'
                 % (m.total, m.counts['audit']))
    check(b'"huge":1.79769313486232e+308' in snap['instances'][i5],
          'the largest double is not stored as cJSON prints it')
    for p in m.gets:
        r = x.c.get(p)
        m.answers[p] = (r.status, r.body)
    statuses = sorted(s for s, _ in m.answers.values())
    check(statuses.count(200) >= 8 and 410 in statuses, 'answers: %s', statuses)


def t_export_serving(m):
    """While the original serves (one read transaction)."""
    m.files['lmdb'] = m.path('from-lmdb.jsonl')
    p = m.broker(['--export', m.files['lmdb']], m.orig.state_dir)
    check(p.returncode == 0, 'export: exit %d: %s', p.returncode, p.stderr.decode())
    err = p.stderr.decode()
    check('exported %s from the lmdb store' % m.summary in err, 'export summary: %r', err)
    expect(m.x.c.get('/v2/catalog'), 200)
    m.snap_orig = store_snapshot(m.orig.state_dir)


def t_export_file(m):
    f = m.files['lmdb']
    check(os.stat(f).st_mode & 0o7777 == 0o600, '%s has mode %o', f, os.stat(f).st_mode & 0o7777)
    ls = lines(f)
    head, tail = json.loads(ls[0]), json.loads(ls[-1])
    check(head.get('format') == 'osbroker-export' and head.get('format_version') == 2
          and head.get('source') == 'lmdb', 'header %r', head)
    check(tail == {'end': 'osbroker-export', 'records': m.total, 'counts': m.counts},
          'trailer %r', tail)
    recs = [json.loads(l) for l in ls[1:-1]]
    snap = records(m.snap_orig)
    from_file = {}
    for r in recs:
        from_file.setdefault(r['table'], {})[r['key']] = r['value'].encode()
    check(from_file == snap, 'the file holds other records than the store: %s',
          store_diff(snap, from_file))
    order = [(['instances', 'bindings', 'gone', 'meta', 'audit'].index(r['table']), r['key'].encode())
             for r in recs]
    check(order == sorted(order), 'records not in table, then key order')


def t_export_no_overwrite(m):
    f = m.files['lmdb']
    before = open(f, 'rb').read()
    p = m.broker(['--export', f], m.orig.state_dir)
    check(p.returncode == 1 and b'refusing to overwrite' in p.stderr,
          'export over an existing file: exit %d: %s', p.returncode, p.stderr.decode())
    check(open(f, 'rb').read() == before, 'the existing file was changed')


# ----------------------------------------------------------------- to PostgreSQL and back

def t_pg_ready(m):
    m.pg.start()
    m.pg.admin("CREATE ROLE %s LOGIN PASSWORD '%s'" % (m.role, m.role_pw))
    for db in ('osbmove', 'osbmove_cut', 'osbmove_bad'):
        m.pg.admin('CREATE DATABASE %s OWNER %s' % (db, m.role))


def t_import_pg(m):
    p = m.broker(['--import', m.files['lmdb']], m.path('state-pg'), db='osbmove')
    check(p.returncode == 0, 'import into PostgreSQL: exit %d: %s', p.returncode,
          p.stderr.decode())
    out = p.stdout.decode()
    check(out.startswith('ok: imported %s into the postgresql store, PostgreSQL at 127.0.0.1 '
                         'port %d, database osbmove, user %s' % (m.summary, m.pg.port, m.role)),
          'import said %r', out)
    rows = m.rows('osbmove')
    check(rows == records(m.snap_orig), 'PostgreSQL holds other bytes: %s',
          store_diff(records(m.snap_orig), rows))


def t_export_pg(m):
    m.files['pg'] = m.path('from-pg.jsonl')
    p = m.broker(['--export', m.files['pg']], m.path('state-pg'), db='osbmove')
    check(p.returncode == 0, 'export from PostgreSQL: exit %d: %s', p.returncode,
          p.stderr.decode())
    check(os.stat(m.files['pg']).st_mode & 0o7777 == 0o600, 'mode %o',
          os.stat(m.files['pg']).st_mode & 0o7777)


def t_import_lmdb(m):
    m.back = m.path('state-back')
    p = m.broker(['--import', '-'], m.back, stdin=open(m.files['pg'], 'rb').read())
    check(p.returncode == 0, 'import into LMDB from standard input: exit %d: %s',
          p.returncode, p.stderr.decode())
    m.files['back'] = m.path('from-back.jsonl')
    p = m.broker(['--export', '-'], m.back)
    check(p.returncode == 0, 'export to standard output: exit %d: %s', p.returncode,
          p.stderr.decode())
    with open(m.files['back'], 'wb') as f:
        f.write(p.stdout)


def t_three_equal(m):
    a, b, c = (lines(m.files[k]) for k in ('lmdb', 'pg', 'back'))
    check(a[1:] == b[1:] == c[1:], 'the exports differ after their headers')
    heads = [json.loads(x[0]) for x in (a, b, c)]
    check([h['source'] for h in heads] == ['lmdb', 'postgresql', 'lmdb'],
          'sources %r', [h['source'] for h in heads])
    for h in heads:
        for k in ('source', 'exported_at'):
            h.pop(k)
    check(heads[0] == heads[1] == heads[2], 'headers differ beyond source and time: %r', heads)


def t_lmdb_equal(m):
    back = store_snapshot(m.back)
    check(back == m.snap_orig, 'the LMDB store moved there and back differs: %s',
          store_diff(m.snap_orig, back))
    check(store_snapshot(m.orig.state_dir) == m.snap_orig, 'the original changed meanwhile')


def t_serve_pg(m):
    tmp = m.path('copy')
    os.mkdir(tmp, 0o755)
    m.copy = ServeStack(tmp=tmp, catalog=m.catalog, workers=2,
                        state_dir=m.path('state-pg'), username=m.orig.username,
                        password=m.orig.password,
                        extra_env={'OSBROKER_STORE': m.conninfo('osbmove')})
    m.copy.start()
    c = m.copy.client()
    differ = []
    for p in m.gets:
        r = c.get(p)
        if (r.status, r.body) != m.answers[p]:
            differ.append('%s: %d, was %d' % (p, r.status, m.answers[p][0]))
    check(not differ, 'the PostgreSQL copy answers otherwise:\n%s', '\n'.join(differ))
    check(m.rows('osbmove') == records(m.snap_orig), 'serving changed the PostgreSQL copy')


# ----------------------------------------------------------------- refusals

def t_refuse_not_empty(m):
    before = m.rows('osbmove')
    p = m.broker(['--import', m.files['lmdb']], m.path('state-pg'), db='osbmove')
    err = p.stderr.decode()
    check(p.returncode == 1 and 'not empty' in err and 'nothing was stored' in err,
          'import into a store that is not empty: exit %d: %s', p.returncode, err)
    check(m.rows('osbmove') == before, 'the PostgreSQL store changed')
    before = store_snapshot(m.back)
    p = m.broker(['--import', m.files['lmdb']], m.back)
    check(p.returncode == 1 and b'not empty' in p.stderr, 'LMDB: exit %d: %s', p.returncode,
          p.stderr.decode())
    check(store_snapshot(m.back) == before, 'the LMDB store changed')


def refused_everywhere(m, name, data, want, db):
    """data refused by an empty LMDB store and an empty PostgreSQL database,
    both holding nothing afterwards."""
    f = m.path(name)
    with open(f, 'wb') as fh:
        fh.write(data)
    state = m.path('state-' + name.split('.')[0])
    for where, args in (('LMDB', (state, None)), ('PostgreSQL', (m.path('state-pg'), db))):
        p = m.broker(['--import', f], *args)
        err = p.stderr.decode()
        check(p.returncode == 1 and err.startswith('osbroker: import from %s: ' % f)
              and want in err and err.endswith('nothing was stored\n')
              and err.count('\n') == 1, '%s: exit %d: %r', where, p.returncode, err)
    check(not records(store_snapshot(state)), 'the LMDB store holds records')
    n = m.pg.admin('SELECT count(*) FROM osbroker_records', database=db)[0][0]
    check(n == '0', 'the PostgreSQL store holds %s records', n)


def t_refuse_cut(m):
    data = open(m.files['lmdb'], 'rb').read()
    ls = data.split(b'\n')
    # cut within line 7 (a binding's line): the lines before it are valid
    cut = b'\n'.join(ls[:6]) + b'\n' + ls[6][:len(ls[6]) // 2]
    refused_everywhere(m, 'cut.jsonl', cut, 'line 7: not JSON', 'osbmove_cut')
    # cut at a line boundary: only the trailer is missing
    refused_everywhere(m, 'cut2.jsonl', b'\n'.join(ls[:-2]) + b'\n',
                       'line %d: the file ends without its trailer' % (len(ls) - 1),
                       'osbmove_cut')


def t_refuse_bad_line(m):
    ls = open(m.files['lmdb'], 'rb').read().split(b'\n')
    rec = json.loads(ls[5])
    rec['value'] = '["not", "an object"]'
    ls[5] = json.dumps(rec, separators=(',', ':')).encode()
    refused_everywhere(m, 'bad.jsonl', b'\n'.join(ls), 'line 6: the value is not a JSON object',
                       'osbmove_bad')
    head = json.loads(ls[0])
    head['format_version'] = 3
    ls[0] = json.dumps(head).encode()
    refused_everywhere(m, 'newer.jsonl', b'\n'.join(ls), 'line 1: format version 3 is newer',
                       'osbmove_bad')


# ----------------------------------------------------------------- the end

def suite(tap, m):
    def start():
        m.orig.start()
        m.x = Ops(m.orig, m.hook_log)
    if not tap.run('the original broker (LMDB) starts', start, step=True):
        return False
    steps = [
        ('populate: instances, bindings, asynchronous operations, tombstones, failures',
         t_populate),
        ('export while the broker serves', t_export_serving),
        ('the export file: 0600, header, trailer, every record, in order', t_export_file),
        ('export refuses to overwrite a file', t_export_no_overwrite),
    ]
    for name, fn in steps:
        if not tap.run(name, fn, m):
            return False
    if not tap.run('PostgreSQL starts; a password role and its databases', t_pg_ready, m,
                   step=True):
        return False
    steps = [
        ('import into PostgreSQL (an empty database): the same bytes', t_import_pg),
        ('export from PostgreSQL', t_export_pg),
        ('import into a fresh LMDB store from standard input; export to standard output',
         t_import_lmdb),
        ('the three exports are the same after their headers', t_three_equal),
        ('the LMDB store moved there and back equals the original (mdb_dump)', t_lmdb_equal),
        ('a broker serving the PostgreSQL copy answers every GET as the original',
         t_serve_pg),
        ('import into a store that is not empty: refused, nothing changed', t_refuse_not_empty),
        ('a file cut short: refused by LMDB and PostgreSQL, nothing stored', t_refuse_cut),
        ('a bad line, a newer format: refused by LMDB and PostgreSQL, nothing stored',
         t_refuse_bad_line),
    ]
    for name, fn in steps:
        if not tap.run(name, fn, m):
            return False
    return True


def main():
    tap = Tap()
    bindir = pg_bindir_or_skip(tap, 'moving a store to PostgreSQL and back')
    if bindir is None:
        return tap.done()
    tmp, catalog, hook_log = prepare('export')
    with open(catalog, 'a') as f:
        f.write(PLAIN)
    m = Move(tmp, catalog, hook_log, PgServer(tmp, bindir))
    tap.stacks.append(m.orig)
    m.copy = None
    print('# broker: %s' % m.orig.binary)
    completed = False
    try:
        completed = suite(tap, m)
    finally:
        stacks = [s for s in (m.orig, m.copy) if s is not None]
        for s in stacks:
            if s.proc is not None:
                problems = s.stop()
                if problems:
                    tap.run('a broker stops cleanly', lambda: check(False, '; '.join(problems)),
                            step=True)
        if m.pg.running:
            try:
                m.pg.stop()
            except AssertionError as e:
                print('# %s' % e)
    if completed:
        secrets = m.secrets + m.x.secrets
        for s in stacks:
            check_logs(tap, s, secrets, '' if s is m.orig else 'PostgreSQL copy: ')

        def outputs_clean():
            text = b'\n'.join(m.outputs)
            leaks = [s[:4] for s in secrets if s and s.encode() in text]
            check(not leaks, 'the commands printed %d secrets (%s...)', len(leaks), leaks)
            logs = [os.path.join(s.state_dir, 'operations.log') for s in stacks]
            problems = scan_files(logs, secrets, BAD_LOG_PATTERNS)
            check(not problems, '\n'.join(problems))
        tap.run('no command output nor runner log shows a credential or a password '
                '(%d secrets checked)' % len(secrets), outputs_clean)

        def pg_log_clean():
            # every statement is logged there (harness.PgServer): the
            # imported records are parameters, sent in binary, and must not
            # show; the role's password is there from CREATE ROLE, ours
            creds = [s for s in m.x.secrets if s != m.orig.password]
            problems = scan_files([m.pg.log], creds)
            check(not problems, '\n'.join(problems))
        tap.run('PostgreSQL\'s statement log shows no binding credential (%d checked)'
                % len([s for s in m.x.secrets if s != m.orig.password]), pg_log_clean)
    rc = tap.done()
    finish_tmp([m.orig], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
