#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""osbrokerctl(8) against a store written by the real broker: a stack
(scripts/osbroker-serve, the operations catalog fixtures/ops-catalog.yml)
is given instances, bindings with credentials, a finished, a failed and a
running asynchronous operation and a tombstone over HTTP; then every
subcommand runs while it serves: instances (filters by id and name, --json,
without a catalog), show (credentials masked unless --show-credentials),
bindings, operations (age, runner pid), purge (refused while an operation
runs and without --yes off a terminal; a dead runner's operation does not
count as running; the instance, its bindings and tombstones gone, nothing
else), backup and restore into an empty store (the same records; refused
into one that is not empty unless --force; a cut backup refused, nothing
stored), export/import, verify, passwd (the broker takes the new password
at once), users.  Bad input: a missing or foreign state directory, a store
of a newer format, unknown options: one line on stderr, a non-zero exit,
the store unchanged.  Under OSB_STORE=postgresql the same, with the state
in PostgreSQL (backup is then the export format).

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_osbrokerctl.py
"""

import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, ServeStack, check, check_logs, expect, finish_tmp, pg_store,
                     pid_alive, store_admin, store_diff, store_for, store_snapshot, wait_for)
from cases import new_id
from test_operations import Ops, prepare


class World:
    def __init__(self, tmp, catalog, hook_log):
        self.tmp, self.catalog, self.hook_log = tmp, catalog, hook_log
        self.s = ServeStack(tmp=tmp, catalog=catalog, workers=2)
        self.x = None
        self.ctl_bin = os.path.join(os.path.dirname(self.s.binary), 'osbrokerctl')
        self.outputs = []
        self.ids = {}

    def path(self, name):
        return os.path.join(self.tmp, name)

    def ctl(self, args, state_dir=None, stdin=b'', env=None, want=None):
        """Run osbrokerctl on state_dir's store (the stack's by default)."""
        state_dir = state_dir or self.s.state_dir
        e = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LANG': 'C.UTF-8',
             'OSBROKER_STATE_DIR': state_dir, 'OSBROKER_CATALOG': self.catalog,
             'OSBROKER_CREDENTIALS': os.path.join(self.s.state_dir, 'run', 'credentials')}
        for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
            if k in os.environ:
                e[k] = os.environ[k]
        store = store_for(state_dir)
        if store:
            e['OSBROKER_STORE'] = store
        e.update(env or {})
        p = subprocess.run([self.ctl_bin] + args, env=e, input=stdin, capture_output=True,
                           timeout=60)
        self.outputs.append(p.stdout + p.stderr)
        p.out, p.err = p.stdout.decode(), p.stderr.decode()
        if want is not None:
            check(p.returncode == want, 'osbrokerctl %s: exit %d, want %d: %s%s', ' '.join(args),
                  p.returncode, want, p.err, p.out[:2000])
        return p

    def js(self, args, **kw):
        return json.loads(self.ctl(args + ['--json'], want=0, **kw).out)


def one_line_error(p, what):
    check(p.returncode != 0 and p.err.count('\n') == 1 and p.err.startswith('osbrokerctl: '),
          '%s: exit %d, stderr %r', what, p.returncode, p.err)


def records(snap):
    return {t: v for t, v in snap.items() if v}


# ----------------------------------------------------------------- the store

def t_populate(w):
    x = w.x
    i1, i2, i3, i4 = (new_id() for _ in range(4))
    expect(x.c.put(x.ipath(i1), x.body('sync')), 201)
    w.bids = []
    for _ in range(2):
        b = new_id('b')
        x.creds(expect(x.c.put(x.bpath(i1, b), dict(x.body('sync'),
                                                    parameters={'flavour': 'gold'})), 201))
        w.bids.append(b)
    x.poll(x.ipath(i2), 'succeeded', op=x.async_put(x.ipath(i2), x.body('async'))['operation'])
    x.poll(x.ipath(i3), 'failed', op=x.async_put(x.ipath(i3), x.body('async', 'fail'))['operation'])
    # i5: deprovisioned asynchronously: only its tombstone is left
    i5 = new_id()
    x.poll(x.ipath(i5), 'succeeded', op=x.async_put(x.ipath(i5), x.body('async'))['operation'])
    op = expect(x.c.delete(x.ipath(i5, x.q('async', '&accepts_incomplete=true'))), 202)['operation']
    check(x.poll(x.ipath(i5), None, op=op)[0] == 410, 'async deprovision did not end in 410')
    # i4 last: its hook hangs, its runner lives until the suite kills it
    x.async_put(x.ipath(i4), x.body('async', 'hang'))
    w.ids = {'sync': i1, 'done': i2, 'failed': i3, 'running': i4, 'gone': i5}


def t_instances(w):
    ids = w.ids
    p = w.ctl(['instances'], want=0)
    lines = p.out.splitlines()
    check(lines[0].split() == ['INSTANCE', 'SERVICE', 'PLAN', 'STATE', 'OPERATION', 'BINDINGS',
                               'CREATED', 'VERSION'], 'header %r', lines[0])
    check(len(lines) == 5, 'want 4 instances: %s', p.out)
    col = lines[0].index('SERVICE')
    check(all(l[col:].startswith('itest-ops ') for l in lines[1:]),
          'the columns are not aligned or the service not named: %s', p.out)
    row = [l for l in lines if l.startswith(ids['sync'])][0].split()
    check(row[1:4] == ['itest-ops', 'sync', 'succeeded'] and row[5] == '2',
          'the sync instance: %r', row)
    doc = w.js(['instances'])
    by = {d['instance_id']: d for d in doc}
    check(set(by) == {ids[k] for k in ('sync', 'done', 'failed', 'running')}, 'ids %r', sorted(by))
    fields = {'instance_id', 'service_id', 'service_name', 'plan_id', 'plan_name', 'state',
              'operation', 'description', 'bindings', 'created_at', 'updated_at',
              'maintenance_version', 'plan_maintenance_version', 'outdated'}
    check(all(set(d) == fields for d in doc), 'fields %r', [sorted(d) for d in doc])
    check(by[ids['running']]['state'] == 'in progress' and
          by[ids['failed']]['state'] == 'failed' and by[ids['sync']]['bindings'] == 2 and
          by[ids['done']]['plan_name'] == 'async' and
          by[ids['done']]['plan_id'] == w.x.plans['async'], 'values %r', doc)


def t_filters(w):
    ids, plans = w.ids, w.x.plans

    def got(args):
        return sorted(d['instance_id'] for d in w.js(['instances'] + args))
    check(got(['--state', 'failed']) == [ids['failed']], '--state failed')
    check(got(['--state', 'in-progress']) == [ids['running']], '--state in-progress')
    check(got(['--state', 'succeeded']) == sorted([ids['sync'], ids['done']]), '--state succeeded')
    asyncs = sorted([ids['done'], ids['failed'], ids['running']])
    check(got(['--plan', 'async']) == asyncs, '--plan by name')
    check(got(['--plan', plans['async']]) == asyncs, '--plan by id')
    check(got(['--service', 'itest-ops', '--plan', 'sync']) == [ids['sync']], '--service by name')
    check(got(['--service', w.x.sid, '--state', 'failed']) == [ids['failed']], '--service by id')
    check(got(['--service', 'no-such-service']) == [], 'an unknown service matches nothing')
    p = w.ctl(['instances', '--state', 'sleeping'], want=2)
    check('--state' in p.err, 'a bad --state: %r', p.err)


def t_no_catalog(w):
    p = w.ctl(['instances'], env={'OSBROKER_CATALOG': w.path('missing.yml')}, want=0)
    check('catalog' in p.err and 'showing ids' in p.err and p.err.count('\n') == 1,
          'stderr %r', p.err)
    check(w.x.sid in p.out and 'itest-ops' not in p.out, 'ids are not shown: %s', p.out)
    doc = w.js(['instances'], env={'OSBROKER_CATALOG': w.path('missing.yml')})
    check(all(d['service_name'] is None and d['plan_name'] is None for d in doc),
          'names without a catalog: %r', doc)


def t_show(w):
    i1 = w.ids['sync']
    p = w.ctl(['show', i1], want=0)
    for want in ('instance      %s' % i1, 'itest-ops (%s)' % w.x.sid, 'sync (', '2 bindings',
                 'BINDING', w.bids[0], w.bids[1], 'succeeded', 'owner         %s' % w.s.username):
        check(want in p.out, 'show lacks %r:\n%s', want, p.out)
    secrets = [s for s in w.x.secrets if s != w.s.password]
    check(secrets and not any(s in p.out for s in secrets), 'show printed a credential')
    doc = w.js(['show', i1])
    check(doc['instance']['instance_id'] == i1 and doc['instance']['service_name'] == 'itest-ops'
          and len(doc['bindings']) == 2, 'show --json: %r', doc)
    for b in doc['bindings']:
        check(b['credentials'] and set(b['credentials'].values()) == {'********'},
              'credentials not masked: %r', sorted(b['credentials']))
        check(b['binding_id'] in w.bids, 'binding ids %r', b['binding_id'])
    doc = w.js(['show', i1, '--show-credentials'])
    shown = json.dumps(doc)
    check(all(s in shown for s in secrets), '--show-credentials does not show them')
    p = w.ctl(['show', i1, '--show-credentials'], want=0)
    check(all(s in p.out for s in secrets), 'human --show-credentials does not show them')
    p = w.ctl(['show', w.ids['running']], want=0)
    check('provision in progress' in p.out and 'runner' in p.out, 'a running one: %s', p.out)


def t_show_missing(w):
    p = w.ctl(['show', new_id()], want=3)
    one_line_error(p, 'show of an unknown instance')
    p = w.ctl(['show', w.ids['gone']], want=3)
    check('tombstone' in p.err, 'a deleted instance: %r', p.err)
    p = w.ctl(['show', 'bad id/x'], want=2)
    one_line_error(p, 'show of a bad id')


def t_bindings(w):
    doc = w.js(['bindings', w.ids['sync']])
    check(sorted(b['binding_id'] for b in doc) == sorted(w.bids), 'bindings %r', doc)
    check(all(b['state'] == 'succeeded' and b['instance_id'] == w.ids['sync'] and
              'credentials' not in b for b in doc), 'binding fields %r', doc)
    p = w.ctl(['bindings', w.ids['sync']], want=0)
    check(p.out.splitlines()[0].split() == ['BINDING', 'STATE', 'OPERATION', 'APP', 'CREATED']
          and len(p.out.splitlines()) == 3, 'bindings table:\n%s', p.out)
    check(w.js(['bindings', w.ids['done']]) == [], 'an instance without bindings')
    w.ctl(['bindings', new_id()], want=3)


def t_operations(w):
    doc = w.js(['operations'])
    by = {d['instance_id']: d for d in doc}
    check(set(by) == {w.ids['failed'], w.ids['running']}, 'operations %r', doc)
    run = by[w.ids['running']]
    check(run['state'] == 'in progress' and run['operation'] == 'provision' and
          run['kind'] == 'instance' and isinstance(run['runner'], dict) and
          run['runner']['pid'] > 0 and 0 <= run['age_seconds'] < 120, 'running: %r', run)
    check(pid_alive(run['runner']['pid']), 'the runner pid %d is not alive', run['runner']['pid'])
    w.runner = run['runner']['pid']
    f = by[w.ids['failed']]
    check(f['state'] == 'failed' and f['runner'] is None and f['description'], 'failed: %r', f)
    p = w.ctl(['operations'], want=0)
    lines = p.out.splitlines()
    check(lines[0].split() == ['KIND', 'ID', 'OPERATION', 'STATE', 'AGE', 'RUNNER',
                               'DESCRIPTION'] and len(lines) == 3, 'table:\n%s', p.out)
    row = [l for l in lines if w.ids['running'] in l][0]
    check(str(w.runner) in row and 'in progress' in row, 'row %r', row)


def t_purge_refused(w):
    before = store_snapshot(w.s.state_dir)
    p = w.ctl(['purge', w.ids['running'], '--yes'], want=1)
    check('in progress' in p.err, 'purge of a running instance: %r', p.err)
    p = w.ctl(['purge', w.ids['failed']], want=1)
    check('not a terminal' in p.err or 'not one' in p.err, 'purge without --yes: %r', p.err)
    one_line_error(p, 'purge without --yes')
    w.ctl(['purge', new_id(), '--yes'], want=3)
    after = store_snapshot(w.s.state_dir)
    check(after == before, 'a refused purge changed the store: %s', store_diff(before, after))


def t_purge(w):
    i1 = w.ids['sync']
    before = store_snapshot(w.s.state_dir)
    p = w.ctl(['purge', i1, '--yes'], want=0)
    check('2 bindings' in p.out and 'ok: purged instance %s' % i1 in p.out, 'purge said %r', p.out)
    after = store_snapshot(w.s.state_dir)
    diff = store_diff(before, after)
    want = sorted(['instances %s: removed' % i1] +
                  ['bindings %s/%s: removed' % (i1, b) for b in w.bids])
    check(sorted(d for d in diff if not d.startswith('audit ')) == want and
          len([d for d in diff if d.startswith('audit ')]) == 1,
          'purge changed %s, want %s and its audit entry', diff, want)
    expect(w.x.c.get(w.x.ipath(i1)), 404)
    entry = [e for e in w.js(['audit', '--instance', i1]) if e['action'] == 'purge']
    check(len(entry) == 1 and entry[0]['user'].startswith('osbrokerctl:') and
          entry[0].get('description') == 'purged by an operator: the instance, 2 binding(s), '
          '0 tombstone(s)' and entry[0].get('plan_id') == w.x.plans['sync'],
          'the purge\'s audit entry: %r', entry)
    # only a tombstone: purged too
    p = w.ctl(['purge', w.ids['gone'], '--yes'], want=0)
    check('no record, 0 bindings, 1 tombstone' in p.out, 'tombstone purge said %r', p.out)
    check(w.ids['gone'] not in store_snapshot(w.s.state_dir).get('gone', {}),
          'the tombstone is still there')


def t_audit(w):
    i2 = w.ids['done']
    got = [(e['action'], e['outcome'], e['user']) for e in w.js(['audit', '--instance', i2])]
    check(got == [('provision', 'in progress', w.s.username), ('provision', 'succeeded', '-')],
          'the trail of an asynchronous provision: %r', got)
    every = w.js(['audit'])
    ats = [e['at'] for e in every]
    check(len(every) >= 12 and ats == sorted(ats), 'the whole trail, oldest first: %d', len(every))
    check(w.js(['audit', '--since', ats[-1]]) == every[-1:], '--since the last entry\'s time')
    check(w.js(['audit', '--since', '2999']) == [], '--since a time to come: none')
    p = w.ctl(['audit', '--instance', w.ids['failed']], want=0)
    lines = p.out.splitlines()
    check(lines[0].split()[:4] == ['AT', 'ACTION', 'OUTCOME', 'INSTANCE'] and len(lines) == 3 and
          'failed' in lines[2] and 'told to fail' in lines[2], 'the table: %r', lines)
    p = w.ctl(['audit', '--since', 'yesterday'], want=2)
    one_line_error(p, '--since yesterday')


def t_purge_dead_runner(w):
    os.kill(w.runner, signal.SIGKILL)
    wait_for(lambda: not pid_alive(w.runner), 10, 'the runner to die')
    p = w.ctl(['purge', w.ids['running'], '--yes'], want=0)
    check('ok: purged' in p.out, 'purge after the runner died: %r %r', p.out, p.err)
    check(w.ids['running'] not in store_snapshot(w.s.state_dir).get('instances', {}),
          'still there')


def t_backup_restore(w):
    w.snap = records(store_snapshot(w.s.state_dir))
    f = w.path('backup')
    p = w.ctl(['backup', f], want=0)
    check(os.stat(f).st_mode & 0o7777 == 0o600, 'backup mode %o', os.stat(f).st_mode)
    head = open(f, 'rb').read(64)
    if pg_store():
        check(head.startswith(b'{"format":"osbroker-export"'), 'PostgreSQL backup: %r', head[:30])
    else:
        check('LMDB data file' in p.out and head[16:20] == b'\xde\xc0\xef\xbe',
              'LMDB backup: %r %r', p.out, head[16:20])
    w.ctl(['backup', f], want=1)                # never overwritten
    w.restored = w.path('restored')
    p = w.ctl(['restore', f], state_dir=w.restored, want=0)
    check(p.out.startswith('ok: restored %d records' % sum(len(v) for v in w.snap.values())),
          'restore said %r', p.out)
    got = records(store_snapshot(w.restored))
    check(got == w.snap, 'the restored store differs: %s', store_diff(w.snap, got))
    p = w.ctl(['restore', f], state_dir=w.restored, want=1)
    check('not empty' in p.err, 'restore into a store that is not empty: %r', p.err)
    one_line_error(p, 'restore into a store that is not empty')
    p = w.ctl(['restore', '--force', f], state_dir=w.restored, want=0)
    check(records(store_snapshot(w.restored)) == w.snap, 'restore --force')


def t_restore_cut(w):
    data = open(w.path('backup'), 'rb').read()
    cut = w.path('backup-cut')
    with open(cut, 'wb') as fh:
        fh.write(data[:len(data) // 2])
    empty = w.path('cut-target')
    p = w.ctl(['restore', cut], state_dir=empty, want=1)
    one_line_error(p, 'restore of a cut backup')
    check('nothing was stored' in p.err, 'restore of a cut backup: %r', p.err)
    check(not records(store_snapshot(empty)), 'a cut backup stored records')
    with open(cut, 'wb') as fh:
        fh.write(b'\0' * 100)
    p = w.ctl(['restore', cut], state_dir=empty, want=1)
    one_line_error(p, 'restore of a file of zeros')


def t_export_import(w):
    f = w.path('export.jsonl')
    p = w.ctl(['export', f], want=0)
    check('exported' in p.err, 'export said %r', p.err)
    target = w.path('imported')
    p = w.ctl(['import', f], state_dir=target, want=0)
    check(p.out.startswith('ok: imported'), 'import said %r', p.out)
    got = records(store_snapshot(target))
    check(got == w.snap, 'the imported store differs: %s', store_diff(w.snap, got))
    w.ctl(['import', f], state_dir=target, want=1)


def t_verify(w):
    p = w.ctl(['verify'], want=0)
    check(p.out.startswith('ok: '), 'verify said %r', p.out)


def t_passwd(w):
    c = w.s.client()
    p = w.ctl(['passwd', 'operator2'], stdin=b'second-pw-123\n', want=0)
    check('added user operator2' in p.out, 'passwd said %r', p.out)
    creds = os.path.join(w.s.state_dir, 'run', 'credentials')
    text = open(creds).read()
    check('operator2:$y$' in text and 'second-pw-123' not in text, 'the file: %r', text)
    check(os.stat(creds).st_mode & 0o7777 == 0o600, 'mode %o', os.stat(creds).st_mode)
    r = c.request('GET', '/v2/catalog', headers={'Authorization':
                                                  c.auth_header('operator2', 'second-pw-123')})
    check(r.status == 200, 'the new user: %d', r.status)
    # rotate the stack's own user
    new = 'rotated-' + new_id()
    w.x.secrets.append(new)
    w.ctl(['passwd', w.s.username], stdin=new.encode() + b'\n', want=0)
    check(c.get('/v2/catalog').status == 401, 'the old password still works')
    w.s.password = new
    check(w.s.client().get('/v2/catalog').status == 200, 'the new password does not work')
    w.x.c = w.s.client()
    w.ctl(['passwd', 'x:y'], stdin=b'pw\n', want=2)
    w.ctl(['passwd', 'nobody'], stdin=b'', want=1)
    check(open(creds).read().count('\n') == text.count('\n'), 'a refused passwd changed the file')


def t_users(w):
    p = w.ctl(['users'], want=0)
    check(p.out.split() == ['USER', 'PLANS', w.s.username, '(all)', 'operator2', '(all)'],
          'users: %r', p.out)
    check(json.loads(w.ctl(['users', '--json'], want=0).out) == [w.s.username, 'operator2'],
          'users --json')
    w.ctl(['users', '--remove', 'operator2'], want=0)
    w.ctl(['users', '--remove', 'operator2'], want=3)
    p = w.ctl(['users', '--remove', w.s.username], want=1)
    check('only user' in p.err, 'removing the last user: %r', p.err)
    c = w.s.client()
    # Requests that need no credentials come first, to the workers that
    # learn of the edit with them: the removal must count all the same.
    for _ in range(6):
        r = c.get('/healthz', auth=False, version=None)
        check(r.status == 200, 'GET /healthz: %d', r.status)
    for _ in range(6):
        r = c.request('GET', '/v2/catalog', headers={'Authorization':
                                                      c.auth_header('operator2', 'second-pw-123')})
        check(r.status == 401, 'a removed user: %d', r.status)


def t_passwd_plans(w):
    """passwd --plans restricts a user (osbroker(8) CREDENTIALS), a new
    password keeps the restriction, --all-plans lifts it; users shows it."""
    c = w.s.client()
    doc = expect(c.get('/v2/catalog'), 200)
    svc = doc['services'][0]
    plan = svc['plans'][0]
    creds = os.path.join(w.s.state_dir, 'run', 'credentials')

    def catalog_of(pw):
        r = c.request('GET', '/v2/catalog', headers={'Authorization': c.auth_header('platform3', pw)})
        return {s['name']: [p['name'] for p in s['plans']] for s in expect(r, 200)['services']}
    w.x.secrets.extend(['third-pw-123', 'third-pw-456'])
    want = '%s/%s' % (svc['name'], plan['name'])
    p = w.ctl(['passwd', 'platform3', '--plans', want], stdin=b'third-pw-123\n', want=0)
    check('restricted to ' + want in p.out, 'passwd said %r', p.out)
    check(catalog_of('third-pw-123') == {svc['name']: [plan['name']]}, 'its catalog: %r',
          catalog_of('third-pw-123'))
    rows = [l.split() for l in w.ctl(['users'], want=0).out.splitlines()]
    check(['platform3', want] in rows, 'users: %r', rows)
    # a new password keeps the plans
    w.ctl(['passwd', 'platform3'], stdin=b'third-pw-456\n', want=0)
    check(':plans=' + want in open(creds).read(), 'the rotation dropped the plans')
    check(catalog_of('third-pw-456') == {svc['name']: [plan['name']]}, 'after the rotation: %r',
          catalog_of('third-pw-456'))
    # what the broker would refuse at start is refused here, the file unchanged
    before = open(creds).read()
    for bad in (svc['name'] + '/no-such-plan', 'no-such-service', svc['name'] + '/', ''):
        p = w.ctl(['passwd', 'platform3', '--plans', bad], stdin=b'x-pw-789\n', want=2)
        check(p.err.startswith('osbrokerctl: --plans: '), '--plans %r: %r', bad, p.err)
    w.ctl(['passwd', 'platform3', '--plans', want, '--all-plans'], stdin=b'x\n', want=2)
    check(open(creds).read() == before, 'a refused --plans changed the file')
    w.ctl(['passwd', 'platform3', '--all-plans'], stdin=b'third-pw-456\n', want=0)
    check(len(catalog_of('third-pw-456')) == len(doc['services']), '--all-plans: %r',
          catalog_of('third-pw-456'))
    w.ctl(['users', '--remove', 'platform3'], want=0)


def t_bad_input(w):
    before = store_snapshot(w.s.state_dir)
    for args in (['nonsense'], ['instances', '--bogus'], ['show'], ['instances', 'x'],
                 ['users', '--remove']):
        p = w.ctl(args, want=2)
        check(p.err.startswith('osbrokerctl: ') and 'usage:' in p.err, '%s: %r', args, p.err)
    if pg_store():
        return
    p = w.ctl(['instances'], state_dir=w.path('no-such-dir'), want=1)
    one_line_error(p, 'a missing state directory')
    check(not os.path.exists(w.path('no-such-dir')), 'a missing state directory was made')
    foreign = w.path('foreign')
    os.mkdir(foreign, 0o700)
    open(os.path.join(foreign, 'notes.txt'), 'w').write('not a store\n')
    p = w.ctl(['instances'], state_dir=foreign, want=1)
    one_line_error(p, 'a foreign state directory')
    check(os.listdir(foreign) == ['notes.txt'], 'the foreign directory changed')
    check(store_snapshot(w.s.state_dir) == before, 'the store changed')


def t_newer_format(w):
    newer = w.path('newer')
    w.ctl(['restore', w.path('backup')], state_dir=newer, want=0)
    if pg_store():
        store_admin("UPDATE osbroker_schema SET value = '99' WHERE name = 'schema_version'", newer)
    else:
        # LMDB's own format version (the meta pages' mm_version) newer
        data = bytearray(open(os.path.join(newer, 'data.mdb'), 'rb').read())
        psize = int.from_bytes(data[40:44], 'little')
        for off in (20, psize + 20):
            data[off:off + 4] = (999).to_bytes(4, 'little')
        open(os.path.join(newer, 'data.mdb'), 'wb').write(data)
    snap = open(os.path.join(newer, 'data.mdb'), 'rb').read() if not pg_store() else None
    p = w.ctl(['instances'], state_dir=newer, want=1)
    one_line_error(p, 'a store of a newer format')
    if pg_store():
        check('newer' in p.err, 'stderr %r', p.err)
    else:
        check(open(os.path.join(newer, 'data.mdb'), 'rb').read() == snap, 'the store changed')


def suite(tap, w):
    def start():
        w.s.start()
        w.x = Ops(w.s, w.hook_log)
    if not tap.run('the broker starts with the operations catalog', start, step=True):
        return False
    if not tap.run('populate: sync, async, failed, running, a tombstone', t_populate, w):
        return False
    for name, fn in [
            ('instances: aligned table, names from the catalog, --json fields', t_instances),
            ('instances: --service, --plan by id and name, --state', t_filters),
            ('instances without a catalog: ids, one line on stderr', t_no_catalog),
            ('show: record, bindings, operation; credentials only with --show-credentials',
             t_show),
            ('show: unknown (exit 3), deleted (tombstone), a bad id (exit 2)', t_show_missing),
            ('bindings: table and --json, no credentials', t_bindings),
            ('operations: failed and in progress, age and runner pid', t_operations),
            ('audit: the trail, --instance, --since, a table and --json', t_audit),
            ('purge refused: an operation runs, no --yes off a terminal, unknown', t_purge_refused),
            ('purge --yes: the instance and its bindings; a tombstone alone', t_purge),
            ('purge after the runner died: its operation no longer runs', t_purge_dead_runner),
            ('backup while serving; restore into an empty store, refused into a full one, '
             '--force', t_backup_restore),
            ('restore of a cut or foreign file: refused, nothing stored', t_restore_cut),
            ('export and import: the same records', t_export_import),
            ('verify', t_verify),
            ('passwd: adds and rotates, the broker takes it at once', t_passwd),
            ('users: list, --json, --remove, never the last one', t_users),
            ('passwd --plans: a restricted user, kept by a new password, --all-plans',
             t_passwd_plans),
            ('bad input: usage, missing or foreign state directory', t_bad_input),
            ('a store of a newer format: refused in one line, unchanged', t_newer_format)]:
        tap.run(name, fn, w)
    return True


def main():
    tap = Tap()
    tmp, catalog, hook_log = prepare('ctl')
    w = World(tmp, catalog, hook_log)
    tap.stacks.append(w.s)
    print('# osbrokerctl: %s' % w.ctl_bin)
    completed = False
    try:
        completed = suite(tap, w)
    finally:
        if w.s.proc is not None:
            problems = w.s.stop()
            if problems:
                tap.run('the broker stops cleanly', lambda: check(False, '; '.join(problems)),
                        step=True)
    if completed:
        check_logs(tap, w.s, w.x.secrets if w.x else [])

        def outputs_clean():
            creds = [s for s in (w.x.secrets if w.x else []) if s != w.s.password]
            text = b'\n'.join(o for o in w.outputs if b'********' in o or b'ok:' in o)
            leaks = [s[:4] for s in creds if s.encode() in text]
            check(not leaks, 'masked output shows %d credentials (%s...)', len(leaks), leaks)
        tap.run('no output but --show-credentials shows a credential', outputs_clean)
    rc = tap.done()
    finish_tmp([w.s], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
