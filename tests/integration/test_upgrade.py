#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""maintenance_info upgrades (docs/hooks.md "Upgrades"), through the real
stack with the catalog fixtures/upgrade-catalog.yml: instances are made at
version 1.0.0, the operator raises the plans' maintenance_info.version by
writing catalog.yml again, and the platform's PATCH with the new version
runs the plan's upgrade hook (fixtures/hooks/upgrade), synchronously or
asynchronously, or just records the version on a plan without one.  GET
reports the instance's version; a failed upgrade leaves the old one with
last_operation "failed" and the hook's description; a version that is not
the plan's current one is 422 MaintenanceInfoConflict and changes nothing;
osbrokerctl instances --outdated lists the instances behind their plan.
Then the upgrade cases again under plain CGI.

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_upgrade.py
"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (FIXTURES, CgiStack, ServeStack, Tap, check, check_logs, expect,
                     expect_error, finish_tmp, make_tmpdir, store_for, store_snapshot, wait_for)
from cases import new_id

CONFLICT = 'MaintenanceInfoConflict'


class Up:
    """The stack, its client, the catalog file and the hook's log."""

    def __init__(self, stack, catalog, template, hook_log):
        self.stack, self.c = stack, stack.client()
        self.catalog, self.template, self.hook_log = catalog, template, hook_log
        self.versions = {'SYNC': '1.0.0', 'ASYNC': '1.0.0', 'PLAIN': '1.0.0'}
        self.refresh()

    def refresh(self):
        doc = expect(self.c.get('/v2/catalog'), 200)
        svc = [s for s in doc['services'] if s['name'] == 'itest-upgrade'][0]
        self.sid = svc['id']
        self.plans = {p['name']: p['id'] for p in svc['plans']}
        return {p['name']: (p.get('maintenance_info') or {}).get('version') for p in svc['plans']}

    def raise_versions(self, **vs):
        """Write catalog.yml with new versions, as the operator would, and
        wait until the broker serves them."""
        self.versions.update(vs)
        write_catalog(self.catalog, self.template, self.hook_log, self.versions)
        want = {k.lower(): v for k, v in self.versions.items()}
        wait_for(lambda: all(self.refresh()[k] == v for k, v in want.items()), 20,
                 'the catalog with versions %r' % want)

    @staticmethod
    def ipath(iid, q=''):
        return '/v2/service_instances/%s%s' % (iid, q)

    def provision(self, plan, **params):
        iid = new_id()
        body = {'service_id': self.sid, 'plan_id': self.plans[plan],
                'organization_guid': 'org', 'space_guid': 'space',
                'context': {'platform': 'cloudfoundry'}}
        if params:      # none at all otherwise: the upgrade's {} changes nothing
            body['parameters'] = params
        expect(self.c.put(self.ipath(iid), body), 201)
        return iid

    def upgrade_body(self, plan, version, old=None, **kw):
        """What Cloud Controller sends for `cf upgrade-service`."""
        b = {'service_id': self.sid, 'plan_id': self.plans[plan],
             'context': {'platform': 'cloudfoundry'}, 'parameters': {},
             'maintenance_info': {'version': version}}
        if old:
            b['previous_values'] = {'plan_id': self.plans[plan], 'service_id': self.sid,
                                    'maintenance_info': {'version': old}}
        b.update(kw)
        return b

    def version(self, iid):
        doc = expect(self.c.get(self.ipath(iid)), 200)
        return (doc.get('maintenance_info') or {}).get('version')

    def lastop(self, iid):
        return expect(self.c.get(self.ipath(iid) + '/last_operation'), 200)

    def runs(self, iid):
        try:
            with open(self.hook_log) as f:
                return [r for r in (json.loads(l) for l in f if l.strip())
                        if r['instance_id'] == iid]
        except OSError:
            return []

    def poll(self, iid, op, want, timeout=40):
        def final():
            r = self.c.get(self.ipath(iid) + '/last_operation?operation=' + op)
            return expect(r, 200)['state'] != 'in progress'
        wait_for(final, timeout, 'the end of operation %s' % op, interval=0.2)
        doc = self.lastop(iid)
        check(doc['state'] == want, 'last_operation %r, want %s', doc, want)
        return doc


def write_catalog(path, template, hook_log, versions):
    with open(template) as f:
        text = f.read().replace('@HOOK_LOG@', hook_log)
    for k, v in versions.items():
        text = text.replace('@V_%s@' % k, v)
    tmp = path + '.new'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def prepare(tag):
    tmp = make_tmpdir(tag)
    os.chmod(tmp, 0o755)
    hook_log = os.path.join(tmp, 'hooks.log')
    template = os.path.join(FIXTURES, 'upgrade-catalog.yml')
    catalog = os.path.join(tmp, 'catalog.yml')
    write_catalog(catalog, template, hook_log, {'SYNC': '1.0.0', 'ASYNC': '1.0.0', 'PLAIN': '1.0.0'})
    shutil.copytree(os.path.join(FIXTURES, 'hooks'), os.path.join(tmp, 'hooks'))
    return tmp, catalog, template, hook_log


def ctl(x, args, want=0):
    """osbrokerctl beside the broker, on the stack's store and catalog."""
    e = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LANG': 'C.UTF-8',
         'OSBROKER_STATE_DIR': x.stack.state_dir, 'OSBROKER_CATALOG': x.catalog}
    for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
        if k in os.environ:
            e[k] = os.environ[k]
    if store_for(x.stack.state_dir):
        e['OSBROKER_STORE'] = store_for(x.stack.state_dir)
    binary = os.path.join(os.path.dirname(x.stack.binary), 'osbrokerctl')
    p = subprocess.run([binary] + args, env=e, capture_output=True, timeout=60)
    p.out, p.err = p.stdout.decode(), p.stderr.decode()
    check(p.returncode == want, 'osbrokerctl %s: exit %d, want %d: %s%s', ' '.join(args),
          p.returncode, want, p.err, p.out[:2000])
    return p


# ------------------------------------------------------------------- cases

def t_setup(x):
    """Instances at 1.0.0 of every plan, then the operator raises the
    versions: 2.0.0 for sync and plain, 1.1.0 for async."""
    x.ids = {'sync': x.provision('sync'), 'sync-fail': x.provision('sync', upgrade='fail'),
             'sync-reject': x.provision('sync', upgrade='reject'),
             'async': x.provision('async', upgrade='sleep:2'),
             'async-fail': x.provision('async', upgrade='fail'),
             'plain': x.provision('plain'), 'unversioned': x.provision('unversioned'),
             'to-other': x.provision('plain')}
    for k, iid in x.ids.items():
        want = None if k == 'unversioned' else '1.0.0'
        check(x.version(iid) == want, '%s: GET maintenance_info version %r, want %r', k,
              x.version(iid), want)
    x.raise_versions(SYNC='2.0.0', PLAIN='2.0.0', ASYNC='1.1.0')
    for k, iid in x.ids.items():
        want = None if k == 'unversioned' else '1.0.0'
        check(x.version(iid) == want, '%s: a catalog change alone changed the instance: %r',
              k, x.version(iid))


def t_conflicts(x):
    ids = x.ids
    before = store_snapshot(x.stack.state_dir).get('instances', {})
    for iid, plan, v, why in (
            (ids['sync'], 'sync', '1.0.0', "the instance's own version, the catalog's is newer"),
            (ids['sync'], 'sync', '9.9.9', 'a version the plan never had'),
            (ids['sync'], 'sync', '2.0.0-rc1', 'a pre-release of the current version'),
            (ids['async'], 'async', '2.0.0', "another plan's version"),
            (ids['unversioned'], 'unversioned', '1.0.0', 'a plan without maintenance_info')):
        d = expect_error(x.c.patch(x.ipath(iid, '?accepts_incomplete=true'),
                                   x.upgrade_body(plan, v, '1.0.0')), 422, CONFLICT)
        check(d.get('description'), '%s: no description', why)
    # a plan change names the new plan's version, not the old plan's
    expect_error(x.c.patch(x.ipath(ids['to-other']), x.upgrade_body('other', '2.0.0')),
                 422, CONFLICT)
    # malformed maintenance_info: 400
    for mi in ({}, {'version': 2}, 'x', []):
        expect_error(x.c.patch(x.ipath(ids['sync']), x.upgrade_body('sync', '2.0.0',
                                                                    maintenance_info=mi)), 400)
    # an upgrade that also changes parameters: 422, nothing run
    d = expect_error(x.c.patch(x.ipath(ids['sync']), x.upgrade_body(
        'sync', '2.0.0', parameters={'size': 3})), 422)
    check('upgrade' in d['description'] and 'error' not in d, 'the refusal %r', d)
    after = store_snapshot(x.stack.state_dir).get('instances', {})
    check(after == before, 'a refused upgrade changed the store')
    check(all(x.runs(i) == [] for i in ids.values()), 'the upgrade hook ran for a refusal')
    check(x.version(ids['sync']) == '1.0.0', 'version changed by a refusal')


def t_sync_upgrade(x):
    iid = x.ids['sync']
    doc = expect(x.c.patch(x.ipath(iid), x.upgrade_body('sync', '2.0.0', '1.0.0')), 200)
    check(doc == {}, 'a synchronous upgrade answers %r, want {}', doc)
    check(x.version(iid) == '2.0.0', 'GET after the upgrade: version %r', x.version(iid))
    got = expect(x.c.get(x.ipath(iid)), 200)['maintenance_info']
    check(got == {'version': '2.0.0', 'description': 'sync at 2.0.0'},
          'the plan\'s maintenance_info as served: %r', got)
    runs = x.runs(iid)
    check(len(runs) == 1, 'the upgrade hook ran %d times', len(runs))
    r = runs[0]
    check(r['action'] == 'upgrade' and r['env_action'] == 'upgrade' and r['async'] is False,
          'hook input %r', r)
    check((r['previous_maintenance_info'] or {}).get('version') == '1.0.0' and
          r['maintenance_info'] == {'version': '2.0.0', 'description': 'sync at 2.0.0'},
          'the hook\'s versions: %r -> %r', r.get('previous_maintenance_info'),
          r.get('maintenance_info'))
    check(r['plan']['name'] == 'sync' and r['instance']['plan_id'] == x.plans['sync'],
          'plan %r', r['plan'])
    lo = x.lastop(iid)
    check(lo == {'state': 'succeeded', 'description': 'migrated from 1.0.0 to 2.0.0'},
          'last_operation %r', lo)
    # sent again: the instance is on that version, nothing to do
    expect(x.c.patch(x.ipath(iid), x.upgrade_body('sync', '2.0.0', '2.0.0')), 200)
    check(len(x.runs(iid)) == 1, 'the same upgrade again ran the hook again')
    # and the old version is now a conflict
    expect_error(x.c.patch(x.ipath(iid), x.upgrade_body('sync', '1.0.0')), 422, CONFLICT)
    # a PATCH without maintenance_info leaves the version alone
    expect(x.c.patch(x.ipath(iid), {'service_id': x.sid, 'parameters': {'size': 1}}), 200)
    check(x.version(iid) == '2.0.0', 'an update without maintenance_info: %r', x.version(iid))


def t_sync_upgrade_fails(x):
    iid = x.ids['sync-fail']
    d = expect_error(x.c.patch(x.ipath(iid), x.upgrade_body('sync', '2.0.0', '1.0.0')), 500)
    check(d['description'] == 'the migration from 1.0.0 to 2.0.0 failed', 'error %r', d)
    check(x.version(iid) == '1.0.0', 'a failed upgrade recorded version %r', x.version(iid))
    lo = x.lastop(iid)
    check(lo['state'] == 'failed' and
          lo['description'] == 'the migration from 1.0.0 to 2.0.0 failed', 'last_operation %r', lo)
    # refused by the hook (64): 400, the instance as it was
    iid = x.ids['sync-reject']
    d = expect_error(x.c.patch(x.ipath(iid), x.upgrade_body('sync', '2.0.0', '1.0.0')), 400)
    check(d['description'] == 'not now', 'error %r', d)
    check(x.version(iid) == '1.0.0', 'a refused upgrade recorded version %r', x.version(iid))


def t_async_upgrade(x):
    iid = x.ids['async']
    expect_error(x.c.patch(x.ipath(iid), x.upgrade_body('async', '1.1.0')), 422, 'AsyncRequired')
    # other updates of the plan stay synchronous (async: [upgrade])
    expect(x.c.patch(x.ipath(iid), {'service_id': x.sid, 'context': {'platform': 'cloudfoundry'},
                                     'parameters': {'size': 2}}), 200)
    doc = expect(x.c.patch(x.ipath(iid, '?accepts_incomplete=true'),
                           x.upgrade_body('async', '1.1.0', '1.0.0')), 202)
    op = doc.get('operation')
    check(isinstance(op, str) and op, '202 without an operation: %r', doc)
    # while it runs: GET is 422 ConcurrencyError, the same PATCH the same operation
    expect_error(x.c.get(x.ipath(iid)), 422, 'ConcurrencyError')
    again = expect(x.c.patch(x.ipath(iid, '?accepts_incomplete=true'),
                             x.upgrade_body('async', '1.1.0', '1.0.0')), 202)
    check(again.get('operation') == op, 'a repeated upgrade: operation %r, want %r', again, op)
    lo = x.poll(iid, op, 'succeeded')
    check(lo.get('description') == 'migrated from 1.0.0 to 1.1.0', 'last_operation %r', lo)
    check(x.version(iid) == '1.1.0', 'GET after an async upgrade: %r', x.version(iid))
    runs = x.runs(iid)
    check(len(runs) == 1 and runs[0]['async'] is True and runs[0]['operation'] == op and
          runs[0]['maintenance_info']['version'] == '1.1.0', 'hook runs %r', runs)
    check(expect(x.c.get(x.ipath(iid)), 200)['parameters'] == {'upgrade': 'sleep:2', 'size': 2},
          'the parameters after the upgrade')


def t_async_upgrade_fails(x):
    iid = x.ids['async-fail']
    op = expect(x.c.patch(x.ipath(iid, '?accepts_incomplete=true'),
                          x.upgrade_body('async', '1.1.0', '1.0.0')), 202)['operation']
    lo = x.poll(iid, op, 'failed')
    check(lo.get('description') == 'the migration from 1.0.0 to 1.1.0 failed',
          'last_operation %r', lo)
    check(x.version(iid) == '1.0.0', 'a failed async upgrade recorded version %r',
          x.version(iid))


def t_no_hook(x):
    iid = x.ids['plain']
    expect(x.c.patch(x.ipath(iid), x.upgrade_body('plain', '2.0.0', '1.0.0')), 200)
    check(x.version(iid) == '2.0.0', 'a plan without an upgrade hook: version %r',
          x.version(iid))
    check(x.runs(iid) == [], 'a hook ran for a plan without an upgrade hook')
    lo = x.lastop(iid)
    check(lo == {'state': 'succeeded', 'description': 'upgraded to maintenance_info.version 2.0.0'},
          'last_operation %r', lo)


def t_plan_change(x):
    # a plan change records the new plan's version, with or without maintenance_info
    iid = x.ids['to-other']
    expect(x.c.patch(x.ipath(iid), {'service_id': x.sid, 'plan_id': x.plans['other'],
                                    'maintenance_info': {'version': '5.0.0'}}), 200)
    check(x.version(iid) == '5.0.0', 'after a plan change: %r', x.version(iid))
    check(x.runs(iid) == [], 'a plan change ran the upgrade hook')


def t_audit(x):
    snap = store_snapshot(x.stack.state_dir).get('audit', {})
    entries = [json.loads(snap[k]) for k in sorted(snap)]
    mine = [(e['action'], e['outcome']) for e in entries if e.get('instance_id') == x.ids['async']]
    check(('upgrade', 'in progress') in mine and ('upgrade', 'succeeded') in mine,
          'audit entries of the async upgrade %r', mine)
    mine = [(e['action'], e['outcome']) for e in entries if e.get('instance_id') == x.ids['plain']]
    check(('upgrade', 'succeeded') in mine, 'audit of a hook-less upgrade %r', mine)


def t_ctl_outdated(x):
    ids = x.ids
    behind = {ids['sync-fail'], ids['sync-reject'], ids['async-fail']}
    doc = json.loads(ctl(x, ['instances', '--outdated', '--json']).out)
    check({d['instance_id'] for d in doc} == behind, '--outdated lists %r, want %r',
          sorted(d['instance_id'] for d in doc), sorted(behind))
    d = [d for d in doc if d['instance_id'] == ids['async-fail']][0]
    check(d['maintenance_version'] == '1.0.0' and d['plan_maintenance_version'] == '1.1.0' and
          d['outdated'] is True, 'fields %r', d)
    every = {d['instance_id']: d for d in json.loads(ctl(x, ['instances', '--json']).out)}
    check(every[ids['sync']]['outdated'] is False and
          every[ids['sync']]['maintenance_version'] == '2.0.0', 'an upgraded one %r',
          every[ids['sync']])
    check(every[ids['unversioned']]['outdated'] is False and
          every[ids['unversioned']]['maintenance_version'] is None and
          every[ids['unversioned']]['plan_maintenance_version'] is None,
          'an instance of a plan without maintenance_info %r', every[ids['unversioned']])
    lines = ctl(x, ['instances', '--outdated']).out.splitlines()
    check(lines[0].split()[-1] == 'VERSION' and len(lines) == 1 + len(behind), 'table %r', lines)
    row = [l for l in lines if l.startswith(ids['sync-fail'])][0].split()
    check(row[-1] == '1.0.0<2.0.0', 'the VERSION cell %r', row[-1])
    out = ctl(x, ['show', ids['async-fail']]).out
    check('1.0.0 (outdated: the plan is at 1.1.0)' in out, 'show: %s', out)


def t_ctl_outdated_no_catalog(x):
    save = x.catalog
    x.catalog = os.path.join(x.stack.tmp, 'missing.yml')
    try:
        p = ctl(x, ['instances', '--outdated'], want=1)
        check('--outdated' in p.err, 'stderr %r', p.err)
    finally:
        x.catalog = save


SERVE_CASES = [
    ('instances at 1.0.0 report it in GET; the operator raises the plans\' versions', t_setup),
    ('a version other than the plan\'s current one -> 422 MaintenanceInfoConflict; '
     'malformed -> 400; with a parameter change -> 422; nothing changed, no hook run', t_conflicts),
    ('sync upgrade: the hook gets old and new versions, GET shows the new one; '
     'a repeat does nothing', t_sync_upgrade),
    ('sync upgrade failing -> 500, old version kept, failed with the hook\'s description; '
     'refused -> 400', t_sync_upgrade_fails),
    ('async upgrade: 202, 422 while it runs, succeeded, GET shows the new version', t_async_upgrade),
    ('async upgrade failing -> failed with the hook\'s description, old version kept',
     t_async_upgrade_fails),
    ('a plan without an upgrade hook: the version is recorded at once', t_no_hook),
    ('a plan change records the new plan\'s version without the upgrade hook', t_plan_change),
    ('the audit trail records upgrades', t_audit),
    ('osbrokerctl instances --outdated, the VERSION column, --json fields, show', t_ctl_outdated),
    ('osbrokerctl instances --outdated without a catalog: refused', t_ctl_outdated_no_catalog),
]

CGI_CASES = [
    ('cgi: instances at 1.0.0; the operator raises the plans\' versions', t_setup),
    ('cgi: sync upgrade', t_sync_upgrade),
    ('cgi: sync upgrade failing keeps the old version', t_sync_upgrade_fails),
    ('cgi: async upgrade with a detached runner', t_async_upgrade),
    ('cgi: async upgrade failing keeps the old version', t_async_upgrade_fails),
]


def run_suite(tap, stack, catalog, template, hook_log, cases, prefix):
    x = None

    def start():
        nonlocal x
        stack.start()
        x = Up(stack, catalog, template, hook_log)
    if not tap.run('%sthe stack starts with the upgrade catalog' % prefix, start, step=True):
        stack.stop()
        return
    for name, fn in cases:
        tap.run(name, fn, x)

    def clean_stop():
        problems = [p for p in stack.stop() if 'fcgiwrap had exited' not in p]
        check(not problems, '; '.join(problems))
    tap.run('%sthe stack stops cleanly' % prefix, clean_stop, step=True)
    check_logs(tap, stack, [stack.password], prefix)


def main():
    tap = Tap()
    tmp, catalog, template, hook_log = prepare('upgrade')
    stack = ServeStack(tmp=tmp, catalog=catalog, workers=2)
    tap.stacks.append(stack)
    print('# broker: %s' % stack.binary)
    run_suite(tap, stack, catalog, template, hook_log, SERVE_CASES, '')
    tmp2, catalog2, _, hook_log2 = prepare('upgrade-cgi')
    cgi = CgiStack(tmp=tmp2, catalog=catalog2)
    tap.stacks.append(cgi)
    run_suite(tap, cgi, catalog2, template, hook_log2, CGI_CASES, 'cgi: ')
    rc = tap.done()
    finish_tmp([stack, cgi], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
