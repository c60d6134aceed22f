#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Hooks and asynchronous operations (docs/hooks.md), through the real stack:
nginx + spawn-fcgi workers (scripts/osbroker-serve) with the catalog
fixtures/ops-catalog.yml, whose plans run fixtures/hooks/behave.  The request's
parameter "behave" tells that hook what to do (succeed, sleep, hang, crash,
write garbage, fail, refuse).  Then the asynchronous cases again under plain
CGI (nginx + fcgiwrap), where no daemon exists to run them.

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_operations.py
"""

import base64
import json
import os
import shutil
import signal
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (FIXTURES, CgiStack, ServeStack, Tap, check, check_logs, expect,
                     expect_error, finish_tmp, make_tmpdir, pid_alive, secrets_of, store_secrets,
                     store_snapshot, wait_for)
from cases import _platforms, new_id


# The spec's descriptions (2.13), which client libraries compare.
ASYNC_REQUIRED = 'This service plan requires client support for asynchronous service operations.'
CONCURRENCY = 'The Service Broker does not support concurrent requests that mutate the same resource.'


class Ops:
    """The stack, its client, the plans of the ops catalog, the hook's log."""

    def __init__(self, stack, hook_log):
        self.stack, self.c, self.hook_log = stack, stack.client(), hook_log
        self.secrets = [stack.password]
        doc = expect(self.c.get('/v2/catalog'), 200)
        svc = [s for s in doc['services'] if s['name'] == 'itest-ops'][0]
        self.sid = svc['id']
        self.plans = {p['name']: p['id'] for p in svc['plans']}

    @staticmethod
    def ipath(iid, q=''):
        return '/v2/service_instances/%s%s' % (iid, q)

    @staticmethod
    def bpath(iid, bid, q=''):
        return '/v2/service_instances/%s/service_bindings/%s%s' % (iid, bid, q)

    def q(self, plan, extra=''):
        return '?service_id=%s&plan_id=%s%s' % (self.sid, self.plans[plan], extra)

    def body(self, plan, behave=None, **kw):
        b = {'service_id': self.sid, 'plan_id': self.plans[plan],
             'context': {'platform': 'cloudfoundry'}}
        if behave is not None:
            b['parameters'] = {'behave': behave}
        b.update(kw)
        return b

    def hook_runs(self, action=None, iid=None):
        try:
            with open(self.hook_log) as f:
                runs = [json.loads(l) for l in f if l.strip()]
        except OSError:
            return []
        return [r for r in runs if (action is None or r['action'] == action)
                and (iid is None or r['instance_id'] == iid)]

    def creds(self, doc):
        cr = doc.get('credentials') or {}
        self.secrets.extend(secrets_of(cr))
        return cr

    def poll(self, path, want, timeout=40, op=None):
        """Poll last_operation until its state is final; return (status, doc, seen)."""
        seen = []
        deadline = time.monotonic() + timeout
        q = '?operation=%s' % op if op else ''
        while True:
            r = self.c.get(path + '/last_operation' + q)
            if r.status == 410:
                check(r.json == {}, '%s: 410 body %r, want {}', path, r.body)
                return 410, {}, seen
            doc = expect(r, 200)
            seen.append((doc.get('state'), r.header('Retry-After')))
            if doc['state'] != 'in progress':
                check(doc['state'] == want, '%s: state %r (%s), want %r', path,
                      doc['state'], doc.get('description'), want)
                return 200, doc, seen
            check(time.monotonic() < deadline, '%s still in progress after %ss', path, timeout)
            time.sleep(0.2)

    def async_put(self, path, body, status=202):
        doc = expect(self.c.put(path + '?accepts_incomplete=true', body), status)
        if status == 202:
            check(isinstance(doc.get('operation'), str) and doc['operation'],
                  'PUT %s: 202 without an operation: %r', path, doc)
        return doc


# --------------------------------------------------------------------- sync

def t_sync_provision_bind(x):
    iid, bid = new_id(), new_id('b')
    doc = expect(x.c.put(x.ipath(iid), x.body('sync')), 201)
    check(doc.get('dashboard_url') == 'https://dashboard.example.org/provision/%s' % iid,
          'dashboard_url from the hook missing: %r', doc)
    runs = x.hook_runs('provision', iid)
    check(len(runs) == 1, 'the provision hook ran %d times', len(runs))
    env = set(runs[0]['env'])
    check({'OSBROKER_ACTION', 'OSBROKER_INSTANCE_ID', 'OSBROKER_PLAN_ID', 'TEST_HOOK_LOG',
           'PATH'} <= env, 'hook environment lacks documented names: %s', sorted(env))
    check(not any(e.startswith('HTTP_') or e in ('OSBROKER_PASSWORD', 'OSBROKER_STATE_DIR',
                                                 'OSBROKER_STORE')
                  for e in env), 'hook environment leaks the broker\'s: %s', sorted(env))
    check(runs[0]['cwd'].endswith('/hooks'), 'hook cwd %s, want its directory', runs[0]['cwd'])
    inst = expect(x.c.get(x.ipath(iid)), 200)
    check(inst.get('dashboard_url') == doc['dashboard_url'], 'GET lacks dashboard_url: %r', inst)
    check(inst['metadata']['labels'].get('hook') == 'provision', 'hook metadata not merged: %r', inst)
    lo = expect(x.c.get(x.ipath(iid) + '/last_operation'), 200)
    check(lo == {'state': 'succeeded', 'description': 'provision done by the test hook'},
          'last_operation %r', lo)

    b = expect(x.c.put(x.bpath(iid, bid), x.body('sync', flavour='x') if False else
                       dict(x.body('sync'), parameters={'flavour': 'gold'})), 201)
    cr = x.creds(b)
    check(cr.get('username', '').startswith('u_') and len(cr['username']) == 14,
          'username from template: %r', cr.get('username'))
    check(len(cr.get('password', '')) == 32, 'password: 16 random bytes as hex')
    check(cr.get('host') == 'db.example.org' and cr.get('port') == 5432,
          'settings: host string, port number: %r', (cr.get('host'), cr.get('port')))
    check(cr.get('flavour') == 'gold' and cr.get('database') == 'db-' + iid, 'param/ids: %r', cr)
    check(cr.get('uri') == 'pg://%s:%s@db.example.org:5432/%s' % (cr['username'], cr['password'], bid),
          'uri template')
    check(cr.get('token', '').startswith('tok-'), 'hook credentials merged: %r', sorted(cr))
    check(b.get('endpoints') == [{'host': 'db.example.org', 'ports': ['5432'], 'protocol': 'tcp'}],
          'endpoints %r', b.get('endpoints'))
    runs = x.hook_runs('bind', iid)
    check(len(runs) == 1 and 'credentials' in runs[0]['input_keys'], 'bind hook input: %r', runs)
    again = expect(x.c.put(x.bpath(iid, bid), dict(x.body('sync'), parameters={'flavour': 'gold'})), 200)
    check(again.get('credentials') == cr, 'repeated bind returned other credentials')
    check(len(x.hook_runs('bind', iid)) == 1, 'a repeated bind ran the hook again')
    got = expect(x.c.get(x.bpath(iid, bid)), 200)
    check(got.get('credentials') == cr, 'fetched credentials differ')
    expect(x.c.delete(x.bpath(iid, bid, x.q('sync'))), 200)
    check(len(x.hook_runs('unbind', iid)) == 1, 'unbind hook did not run')
    expect(x.c.get(x.bpath(iid, bid)), 404)
    expect(x.c.delete(x.ipath(iid, x.q('sync'))), 200)
    dep = x.hook_runs('deprovision', iid)
    check(len(dep) == 1, 'deprovision hook did not run')
    expect(x.c.get(x.ipath(iid)), 404)


def t_template_param_missing(x):
    iid, bid = new_id(), new_id('b')
    expect(x.c.put(x.ipath(iid), x.body('needs-param')), 201)
    d = expect_error(x.c.put(x.bpath(iid, bid), x.body('needs-param')), 400)
    check('flavour' in d['description'], 'description should name the parameter: %r', d)
    expect(x.c.get(x.bpath(iid, bid)), 404)
    check(not x.hook_runs('bind', iid), 'the bind hook ran for a refused request')
    b = expect(x.c.put(x.bpath(iid, bid), dict(x.body('needs-param'), parameters={'flavour': 'f'})), 201)
    check(x.creds(b).get('flavour') == 'f', 'flavour from the parameter')


def t_sync_reject(x):
    iid = new_id()
    d = expect_error(x.c.put(x.ipath(iid), x.body('sync', 'reject')), 400)
    check(d['description'] == 'parameter behave=reject is not acceptable', 'hook description: %r', d)
    expect(x.c.get(x.ipath(iid)), 404)
    expect(x.c.get(x.ipath(iid) + '/last_operation'), 404)
    expect(x.c.put(x.ipath(iid), x.body('sync')), 201)


def sync_failure(x, behave, want_in_description):
    iid = new_id()
    t0 = time.monotonic()
    d = expect_error(x.c.put(x.ipath(iid), x.body('sync', behave)), 500)
    took = time.monotonic() - t0
    check(want_in_description in d['description'], 'description %r lacks %r', d['description'],
          want_in_description)
    check('this is not JSON' not in d['description'], 'hook output leaked into the description')
    expect(x.c.get(x.ipath(iid)), 404)
    lo = expect(x.c.get(x.ipath(iid) + '/last_operation'), 200)
    check(lo['state'] == 'failed' and want_in_description in lo.get('description', ''),
          'last_operation %r', lo)
    # orphan mitigation: DELETE runs the deprovision hook and removes it all
    expect(x.c.delete(x.ipath(iid, x.q('sync'))), 200)
    check(len(x.hook_runs('deprovision', iid)) == 1, 'orphan mitigation did not run deprovision')
    expect(x.c.get(x.ipath(iid) + '/last_operation'), 404)
    expect_error(x.c.delete(x.ipath(iid, x.q('sync'))), 410)
    return took


def t_sync_fail(x):
    sync_failure(x, 'fail', 'the test hook was told to fail')


def t_sync_hang(x):
    took = sync_failure(x, 'hang', 'did not finish within 3 seconds')
    check(took < 12, 'a hanging hook held the request %.1fs (timeout 3 s)', took)
    pidfile = x.hook_log + '.provision.pid'
    pid = int(open(pidfile).read())
    wait_for(lambda: not pid_alive(pid), 10, 'the hung hook to be killed')


def t_sync_crash(x):
    sync_failure(x, 'crash', 'killed by signal 11')


def t_sync_garbage(x):
    sync_failure(x, 'garbage', 'something other than one JSON object')


def t_sync_badtype(x):
    iid, bid = new_id(), new_id('b')
    expect(x.c.put(x.ipath(iid), x.body('sync')), 201)
    d = expect_error(x.c.put(x.bpath(iid, bid), x.body('sync', 'badtype')), 500)
    check('"credentials" of the wrong type' in d['description'], 'description %r', d)
    expect(x.c.get(x.bpath(iid, bid)), 404)
    expect(x.c.delete(x.bpath(iid, bid, x.q('sync'))), 200)
    expect_error(x.c.delete(x.bpath(iid, bid, x.q('sync'))), 410)


def t_stderr_logged_redacted(x):
    iid, bid = new_id(), new_id('b')
    expect(x.c.put(x.ipath(iid), x.body('sync')), 201)
    cr = x.creds(expect(x.c.put(x.bpath(iid, bid), x.body('sync', 'leak')), 201))
    log = open(os.path.join(x.stack.run_dir, 'osbroker.log')).read()
    check('hook bind %s/%s: password is [redacted]' % (iid, bid) in log,
          'stderr of the hook not logged with the password redacted')
    check(cr['password'] not in log, 'the password reached the log')


def t_sync_concurrent(x):
    iid = new_id()
    out = {}

    def first():
        out['r'] = x.c.put(x.ipath(iid), x.body('sync', 'sleep:2'))
    th = threading.Thread(target=first)
    th.start()
    wait_for(lambda: x.hook_runs('provision', iid), 10, 'the first provision to start')
    doc = expect_error(x.c.put(x.ipath(iid), x.body('sync', 'other')), 422, 'ConcurrencyError')
    check(doc.get('description') == CONCURRENCY, 'ConcurrencyError description %r', doc)
    expect_error(x.c.delete(x.ipath(iid, x.q('sync'))), 422, 'ConcurrencyError')
    log = open(os.path.join(x.stack.run_dir, 'osbroker.log')).read()
    check('another operation (provision) of instance "%s" is in progress' % iid in log,
          'the log line does not say which operation is in progress')
    expect(x.c.get(x.ipath(iid)), 404)
    th.join(30)
    expect(out['r'], 201)
    expect(x.c.get(x.ipath(iid)), 200)


def t_sync_worker_killed(x):
    iid = new_id()
    out = {}

    def first():
        out['r'] = x.c.put(x.ipath(iid), x.body('sync', 'hang'))
    th = threading.Thread(target=first)
    th.start()
    wait_for(lambda: x.hook_runs('provision', iid), 10, 'the hook to start')
    hook_pid = x.hook_runs('provision', iid)[0]['pid']
    with open('/proc/%d/stat' % hook_pid) as f:
        worker = int(f.read().rsplit(')', 1)[1].split()[1])
    check(worker in x.stack.pids()['workers'], 'the hook\'s parent %d is not a worker %s',
          worker, x.stack.pids()['workers'])
    os.kill(worker, signal.SIGKILL)
    th.join(30)
    check(out['r'].status == 502, 'the request of a killed worker: %r, want 502 from nginx', out['r'])
    # nginx sees the worker's socket close while the worker is still
    # exiting (not yet a zombie), when /proc still shows it running.
    wait_for(lambda: not pid_alive(worker), 10, 'the killed worker to be gone')
    lo = expect(x.c.get(x.ipath(iid) + '/last_operation'), 200)
    check(lo['state'] == 'failed' and 'died' in lo.get('description', ''), 'last_operation %r', lo)
    wait_for(lambda: not pid_alive(hook_pid), 10, 'the hook of the killed worker to die')
    wait_for(lambda: len(x.stack.pids()['workers']) == 2, 20, 'multiwatch to replace the worker')
    expect(x.c.delete(x.ipath(iid, x.q('sync'))), 200)


# -------------------------------------------------------------------- async

def t_async_required(x):
    iid = new_id()
    doc = expect_error(x.c.put(x.ipath(iid), x.body('async')), 422, 'AsyncRequired')
    check(doc.get('description') == ASYNC_REQUIRED, 'AsyncRequired description %r', doc)
    expect(x.c.get(x.ipath(iid)), 404)
    expect(x.c.get(x.ipath(iid) + '/last_operation'), 404)
    expect_error(x.c.patch(x.ipath(iid), {'service_id': x.sid}), 404)


def t_params_checked(x):
    # osbroker-catalog(5) PARAMETER SCHEMAS: provision, update and bind are
    # checked against the plan's schemas; a violation is 400 naming each
    # one, with nothing stored and no hook run.
    iid, bid = new_id(), new_id('b')
    bad = x.body('checked', parameters={'size': 99, 'bogus': 1, 'name': 'Bad Name',
                                        'tier': 'bronze'})
    d = expect_error(x.c.put(x.ipath(iid), bad), 400)
    for want in ('parameters/size: 99 is greater than the maximum 10',
                 'parameters: unknown property "bogus" is not allowed',
                 'parameters/name: "Bad Name" does not match the pattern "^[a-z][a-z0-9-]*$"',
                 'parameters/tier: "bronze" is not one of "gold", "silver"'):
        check(want in d['description'], 'the 400 does not say %r: %r', want, d)
    check(d['description'].count('; ') == 3, 'not four violations: %r', d)
    expect(x.c.get(x.ipath(iid)), 404)
    check(not x.hook_runs('provision', iid), 'the provision hook ran for refused parameters')
    # Without parameters the schema's "required" still holds.
    d = expect_error(x.c.put(x.ipath(iid), x.body('checked')), 400)
    check(d['description'] == 'parameters: the required property "size" is missing',
          'description %r', d)
    expect(x.c.put(x.ipath(iid), x.body('checked', parameters={'size': 3, 'name': 'db-1'})), 201)
    # An update: the parameters as sent, against the update schema.
    d = expect_error(x.c.patch(x.ipath(iid), {'service_id': x.sid,
                                              'parameters': {'size': 11}}), 400)
    check(d['description'] == 'parameters/size: 11 is greater than the maximum 10',
          'description %r', d)
    check(not x.hook_runs('update', iid), 'the update hook ran for refused parameters')
    check(expect(x.c.get(x.ipath(iid)), 200)['parameters'] == {'size': 3, 'name': 'db-1'},
          'a refused update changed the instance')
    # A bind: against the binding schema; without parameters "required"
    # holds too.
    d = expect_error(x.c.put(x.bpath(iid, bid), x.body('checked')), 400)
    check(d['description'] == 'parameters: the required property "role" is missing',
          'description %r', d)
    d = expect_error(x.c.put(x.bpath(iid, bid), x.body('checked', parameters={'role': 'admin'})),
                     400)
    check(d['description'] == 'parameters/role: "admin" is not one of "read", "write"',
          'description %r', d)
    expect(x.c.get(x.bpath(iid, bid)), 404)
    check(not x.hook_runs('bind', iid), 'the bind hook ran for refused parameters')
    x.creds(expect(x.c.put(x.bpath(iid, bid), x.body('checked', parameters={'role': 'read'})),
                   201))
    # A plan change: the new plan's update schema decides (11 is too big
    # for "checked", not for "checked-big").
    expect(x.c.patch(x.ipath(iid), {'service_id': x.sid, 'plan_id': x.plans['checked-big'],
                                    'parameters': {'size': 11}}), 200)
    check(expect(x.c.get(x.ipath(iid)), 200)['parameters']['size'] == 11, 'update not applied')
    log = ''.join(open(f, errors='replace').read() for f in x.stack.log_files())
    check('Bad Name' not in log and 'bronze' not in log, 'a parameter value reached the log')
    check('parameters do not meet the plan\'s schema (4 violation(s))' in log,
          'the refusal is not logged')


def t_params_bounded(x):
    # Many violations: the first ones whole, then how many more.
    params = {'size': 3}
    params.update({'extra-%02d' % i: i for i in range(12)})
    d = expect_error(x.c.put(x.ipath(new_id()), x.body('checked', parameters=params)), 400)
    lines = d['description'].split('; ')
    check(lines[-1] == 'and 4 more', 'the description does not end with the count: %r', d)
    check(len(lines) == 9 and all(l.startswith('parameters: unknown property "extra-')
                                  for l in lines[:-1]), 'description %r', d)


def t_params_unchecked(x):
    # validate_parameters: false leaves the parameters to the hooks.
    iid = new_id()
    expect(x.c.put(x.ipath(iid), x.body('unchecked', parameters={'size': 99, 'bogus': 1})), 201)
    check(len(x.hook_runs('provision', iid)) == 1, 'the provision hook did not run')


def audit_of(x, iid):
    """The audit entries of instance iid, in time order (src/audit.h)."""
    snap = store_snapshot(x.stack.state_dir).get('audit', {})
    entries = [json.loads(snap[k]) for k in sorted(snap)]
    return [e for e in entries if e.get('instance_id') == iid]


def t_audit_trail(x):
    # Each change and each outcome, with who asked; refusals leave none.
    iid, bid = new_id(), new_id('b')
    who = {'user_id': 'u-' + uuid.uuid4().hex[:8]}
    hdr = {'X-Broker-API-Originating-Identity': 'cloudfoundry ' + base64.b64encode(
        json.dumps(who).encode()).decode(), 'X-Broker-API-Request-Identity': 'rid-audit'}
    expect(x.c.put(x.ipath(iid), x.body('checked', parameters={'size': 99})), 400)
    check(audit_of(x, iid) == [], 'a refused provision left an audit entry')
    expect(x.c.put(x.ipath(iid), x.body('sync', parameters={'behave': 'ok', 'n': 1}),
                   headers=hdr), 201)
    cr = x.creds(expect(x.c.put(x.bpath(iid, bid), x.body('sync')), 201))
    expect(x.c.delete(x.ipath(iid, x.q('sync'))), 200)
    got = [(e['action'], e['outcome'], e['user'], e.get('binding_id')) for e in audit_of(x, iid)]
    want = [('provision', 'in progress', x.stack.username, None),
            ('provision', 'succeeded', '-', None),
            ('bind', 'in progress', x.stack.username, bid), ('bind', 'succeeded', '-', bid),
            ('deprovision', 'in progress', x.stack.username, None),
            ('deprovision', 'succeeded', '-', None)]
    check(got == want, 'audit entries %r, want %r', got, want)
    first = audit_of(x, iid)[0]
    check(first.get('originating_identity') == {'platform': 'cloudfoundry', 'value': who} and
          first.get('request_identity') == 'rid-audit' and
          first.get('parameters') == ['behave', 'n'] and
          first.get('plan_id') == x.plans['sync'] and first.get('operation'),
          'the provision entry %r', first)
    text = json.dumps(audit_of(x, iid))
    check(all(str(v) not in text for v in cr.values()), 'a credential reached the audit trail')
    # A failed hook: its outcome, with the hook's description.
    iid2 = new_id()
    expect(x.c.put(x.ipath(iid2), x.body('sync', 'fail')), 500)
    last = audit_of(x, iid2)[-1]
    check(last['outcome'] == 'failed' and 'told to fail' in last.get('description', ''),
          'the failed outcome %r', last)


def t_async_required_existing(x):
    # An existing instance or binding answers as it is, accepts_incomplete
    # or not: a 409 is never turned into an AsyncRequired that the
    # platform would retry.
    iid, bid = new_id(), new_id('b')
    body = x.body('async')
    x.poll(x.ipath(iid), 'succeeded', op=x.async_put(x.ipath(iid), body)['operation'])
    expect(x.c.put(x.ipath(iid), body), 200)
    expect_error(x.c.put(x.ipath(iid), x.body('async', 'other')), 409)
    x.poll(x.bpath(iid, bid), 'succeeded', op=x.async_put(x.bpath(iid, bid), body)['operation'])
    expect(x.c.put(x.bpath(iid, bid), body), 200)
    expect_error(x.c.put(x.bpath(iid, bid), x.body('async', 'other')), 409)
    doc = expect_error(x.c.put(x.bpath(iid, new_id('b')), body), 422, 'AsyncRequired')
    check(doc.get('description') == ASYNC_REQUIRED, 'AsyncRequired description %r', doc)
    expect(x.c.get(x.ipath(iid)), 200)
    check(len(x.hook_runs('provision', iid)) == 1, 'the provision hook ran again')


def t_async_lifecycle(x):
    iid, bid = new_id(), new_id('b')
    body = x.body('async', 'sleep:2')
    op = x.async_put(x.ipath(iid), body)['operation']
    r = x.c.get(x.ipath(iid) + '/last_operation?operation=' + op)
    doc = expect(r, 200)
    check(doc['state'] == 'in progress', 'state %r right after 202', doc)
    check(r.header('Retry-After') == '1', 'Retry-After %r, want the plan\'s poll_interval 1',
          r.header('Retry-After'))
    expect(x.c.get(x.ipath(iid)), 404)
    check(x.async_put(x.ipath(iid), body)['operation'] == op, 'a re-sent PUT got another operation')
    expect_error(x.c.put(x.ipath(iid) + '?accepts_incomplete=true', x.body('async', 'other')), 422,
                 'ConcurrencyError')
    expect_error(x.c.patch(x.ipath(iid) + '?accepts_incomplete=true', {'service_id': x.sid,
                 'parameters': {'a': 1}}), 422, 'ConcurrencyError')
    expect_error(x.c.delete(x.ipath(iid, x.q('async', '&accepts_incomplete=true'))), 422,
                 'ConcurrencyError')
    expect_error(x.c.put(x.bpath(iid, bid) + '?accepts_incomplete=true', x.body('async')), 422,
                 'ConcurrencyError')
    _, doc, _ = x.poll(x.ipath(iid), 'succeeded', op=op)
    check(doc.get('description') == 'provision done by the test hook', 'description %r', doc)
    runs = x.hook_runs('provision', iid)
    check(len(runs) == 1 and runs[0]['async'] is True and runs[0]['operation'] == op,
          'async hook input: %r', runs)
    check('OSBROKER_OPERATION' in runs[0]['env'], 'OSBROKER_OPERATION not set')
    expect(x.c.get(x.ipath(iid)), 200)
    again = x.poll(x.ipath(iid), 'succeeded', op=op)[1]
    check(again == doc, 'the final state changed on a second poll')
    expect_error(x.c.get(x.ipath(iid) + '/last_operation?operation=nope'), 400)
    expect(x.c.put(x.ipath(iid) + '?accepts_incomplete=true', body), 200)

    # update
    upd = {'service_id': x.sid, 'parameters': {'behave': 'sleep:1', 'size': 2}}
    op = expect(x.c.patch(x.ipath(iid) + '?accepts_incomplete=true', upd), 202)['operation']
    expect_error(x.c.get(x.ipath(iid)), 422, 'ConcurrencyError')
    check(expect(x.c.patch(x.ipath(iid) + '?accepts_incomplete=true', upd), 202)['operation'] == op,
          'a re-sent PATCH got another operation')
    # another update meanwhile is not the same one (spec.md "Updating")
    other = dict(upd, parameters={'behave': 'sleep:1', 'size': 3})
    expect_error(x.c.patch(x.ipath(iid) + '?accepts_incomplete=true', other), 422,
                 'ConcurrencyError')
    x.poll(x.ipath(iid), 'succeeded', op=op)
    inst = expect(x.c.get(x.ipath(iid)), 200)
    check(inst['parameters'] == {'behave': 'sleep:1', 'size': 2}, 'update not applied: %r', inst)

    # bind, unbind
    op = x.async_put(x.bpath(iid, bid), x.body('async'))['operation']
    x.poll(x.bpath(iid, bid), 'succeeded', op=op)
    cr = x.creds(expect(x.c.get(x.bpath(iid, bid)), 200))
    check(cr.get('token', '').startswith('tok-'), 'async bind: hook credentials missing')
    op = expect(x.c.delete(x.bpath(iid, bid, x.q('async', '&accepts_incomplete=true'))), 202)['operation']
    st, _, _ = x.poll(x.bpath(iid, bid), None, op=op)
    check(st == 410, 'binding last_operation after async unbind: %s, want 410', st)
    expect(x.c.get(x.bpath(iid, bid)), 404)

    # deprovision (its hook sleeps a second: the parameters say so); the
    # same delete sent again meanwhile is the same operation
    op = expect(x.c.delete(x.ipath(iid, x.q('async', '&accepts_incomplete=true'))), 202)['operation']
    check(expect(x.c.delete(x.ipath(iid, x.q('async', '&accepts_incomplete=true'))),
                 202)['operation'] == op, 'a re-sent DELETE got another operation')
    st, gone, _ = x.poll(x.ipath(iid), None, op=op)
    check(st == 410 and gone == {}, 'after async deprovision: %s %r, want 410 {}', st, gone)
    expect(x.c.get(x.ipath(iid)), 404)
    expect_error(x.c.delete(x.ipath(iid, x.q('async', '&accepts_incomplete=true'))), 410)


def t_async_gone_owner(x):
    """The tombstone of an asynchronous delete keeps its owner: 410 on
    last_operation for the user that could see the record (and unrestricted
    ones), 404 as for an unknown id for another restricted user."""
    users = (('ops-a', 'plans=itest-ops'), ('ops-b', 'plans=itest-ops'))
    with _platforms(x, users) as u:
        a, b = u['ops-a'], u['ops-b']
        iid, bid = new_id(), new_id('b')
        q = x.q('async', '&accepts_incomplete=true')
        x.c, main = a, x.c
        try:
            x.poll(x.ipath(iid), 'succeeded', op=x.async_put(x.ipath(iid), x.body('async'))['operation'])
            x.poll(x.bpath(iid, bid), 'succeeded',
                   op=x.async_put(x.bpath(iid, bid), x.body('async'))['operation'])
            x.creds(expect(a.get(x.bpath(iid, bid)), 200))
            expect(a.delete(x.bpath(iid, bid, q)), 202)
            check(x.poll(x.bpath(iid, bid), None)[0] == 410, 'the owner: no 410 after the unbind')
            expect(a.delete(x.ipath(iid, q)), 202)
            check(x.poll(x.ipath(iid), None)[0] == 410, 'the owner: no 410 after the deprovision')
        finally:
            x.c = main
        for path in (x.ipath(iid), x.bpath(iid, bid)):
            r = x.c.get(path + '/last_operation')
            check(r.status == 410 and r.json == {}, 'an unrestricted user: %r', r)
            other = b.get(path + '/last_operation')
            fake = b.get(path.replace(iid, 'itest-unknown-0') + '/last_operation')
            expect(other, 404)
            check(other.body.replace(iid.encode(), b'ID') == fake.body.replace(b'itest-unknown-0', b'ID'),
                  'another user\'s tombstone: %r, an unknown id: %r', other.body, fake.body)


def t_gone_cleared(x):
    """A tombstone counts while its record is absent: once a new instance of
    the same id is deleted synchronously, last_operation is 404, not the old
    delete's 410."""
    iid = new_id()
    x.poll(x.ipath(iid), 'succeeded', op=x.async_put(x.ipath(iid), x.body('async'))['operation'])
    op = expect(x.c.delete(x.ipath(iid, x.q('async', '&accepts_incomplete=true'))), 202)['operation']
    check(x.poll(x.ipath(iid), None, op=op)[0] == 410, 'no 410 after the async deprovision')
    expect(x.c.put(x.ipath(iid), x.body('sync')), 201)
    expect(x.c.delete(x.ipath(iid, x.q('sync'))), 200)
    r = x.c.get(x.ipath(iid) + '/last_operation')
    check(r.status == 404, 'last_operation after the new instance\'s synchronous delete: %r, '
          'want 404 (the first delete\'s tombstone should have ended with the new instance)', r)


def t_gone_refused(x):
    """A new instance of a deleted id whose hook refuses it is as if never
    asked, and takes the old tombstone with it, as before: 404, not 410."""
    iid = new_id()
    x.poll(x.ipath(iid), 'succeeded', op=x.async_put(x.ipath(iid), x.body('async'))['operation'])
    op = expect(x.c.delete(x.ipath(iid, x.q('async', '&accepts_incomplete=true'))), 202)['operation']
    check(x.poll(x.ipath(iid), None, op=op)[0] == 410, 'no 410 after the async deprovision')
    expect_error(x.c.put(x.ipath(iid), x.body('sync', 'reject')), 400)
    r = x.c.get(x.ipath(iid) + '/last_operation')
    check(r.status == 404, 'last_operation after a refused provision of a deleted id: %r, '
          'want 404', r)


def t_gone_bindings(x):
    """A deprovision removes its bindings' records with their tombstones of
    earlier deletes (a binding made again under a deleted one's id: 404
    afterwards), and keeps the tombstone of a binding that stayed deleted
    (410)."""
    iid, b1, b2 = new_id(), new_id('b'), new_id('b')
    q = x.q('async', '&accepts_incomplete=true')
    x.poll(x.ipath(iid), 'succeeded', op=x.async_put(x.ipath(iid), x.body('async'))['operation'])
    for bid in (b1, b2):
        x.poll(x.bpath(iid, bid), 'succeeded',
               op=x.async_put(x.bpath(iid, bid), x.body('async'))['operation'])
        op = expect(x.c.delete(x.bpath(iid, bid, q)), 202)['operation']
        check(x.poll(x.bpath(iid, bid), None, op=op)[0] == 410, 'no 410 after the async unbind')
    x.poll(x.bpath(iid, b1), 'succeeded',
           op=x.async_put(x.bpath(iid, b1), x.body('async'))['operation'])
    op = expect(x.c.delete(x.ipath(iid, q)), 202)['operation']
    check(x.poll(x.ipath(iid), None, op=op)[0] == 410, 'no 410 after the async deprovision')
    r = x.c.get(x.bpath(iid, b1) + '/last_operation')
    check(r.status == 404, 'last_operation of a binding made again and removed with its '
          'instance: %r, want 404', r)
    r = x.c.get(x.bpath(iid, b2) + '/last_operation')
    check(r.status == 410, 'last_operation of a binding deleted before its instance: %r, '
          'want 410', r)


def t_async_binding_busy(x):
    iid, b1, b2 = new_id(), new_id('b'), new_id('b')
    x.poll(x.ipath(iid), 'succeeded', op=x.async_put(x.ipath(iid), x.body('async'))['operation'])
    op1 = x.async_put(x.bpath(iid, b1), x.body('async', 'sleep:2'))['operation']
    # another binding of the same instance may be made meanwhile
    op2 = x.async_put(x.bpath(iid, b2), x.body('async'))['operation']
    d = expect_error(x.c.delete(x.ipath(iid, x.q('async', '&accepts_incomplete=true'))), 422,
                     'ConcurrencyError')
    check(d.get('description') == CONCURRENCY, 'ConcurrencyError description %r', d)
    log = open(os.path.join(x.stack.run_dir, 'osbroker.log')).read()
    check('another operation (binding) of instance "%s" is in progress' % iid in log,
          'the log line should say a binding is busy')
    expect_error(x.c.patch(x.ipath(iid) + '?accepts_incomplete=true',
                           {'service_id': x.sid, 'parameters': {'n': 1}}), 422, 'ConcurrencyError')
    expect(x.c.get(x.bpath(iid, b1)), 404)
    x.poll(x.bpath(iid, b1), 'succeeded', op=op1)
    x.poll(x.bpath(iid, b2), 'succeeded', op=op2)
    x.creds(expect(x.c.get(x.bpath(iid, b1)), 200))
    x.creds(expect(x.c.get(x.bpath(iid, b2)), 200))
    op = expect(x.c.delete(x.ipath(iid, x.q('async', '&accepts_incomplete=true'))), 202)['operation']
    check(x.poll(x.ipath(iid), None, op=op)[0] == 410, 'deprovision with two bindings')
    dep = x.hook_runs('deprovision', iid)
    check(len(dep) == 1 and sorted(dep[0]['bindings']) == sorted([b1, b2]),
          'the deprovision hook was not told the bindings: %r', dep)
    expect(x.c.get(x.bpath(iid, b1)), 404)


def t_async_fail_orphan(x):
    iid = new_id()
    op = x.async_put(x.ipath(iid), x.body('async', 'fail'))['operation']
    _, doc, _ = x.poll(x.ipath(iid), 'failed', op=op)
    check(doc.get('description') == 'the test hook was told to fail', 'description %r', doc)
    check('instance_usable' not in doc, 'instance_usable on a failed provision')
    expect(x.c.get(x.ipath(iid)), 404)
    expect_error(x.c.put(x.ipath(iid) + '?accepts_incomplete=true', x.body('async', 'fail')), 409)
    op = expect(x.c.delete(x.ipath(iid, x.q('async', '&accepts_incomplete=true'))), 202)['operation']
    st, _, _ = x.poll(x.ipath(iid), None, op=op)
    check(st == 410, 'orphan mitigation did not end in 410: %s', st)


def t_async_update_fail(x):
    iid = new_id()
    op = x.async_put(x.ipath(iid), x.body('async'))['operation']
    x.poll(x.ipath(iid), 'succeeded', op=op)
    before = expect(x.c.get(x.ipath(iid)), 200)
    op = expect(x.c.patch(x.ipath(iid) + '?accepts_incomplete=true',
                          {'service_id': x.sid, 'parameters': {'behave': 'fail'}}), 202)['operation']
    _, doc, _ = x.poll(x.ipath(iid), 'failed', op=op)
    # The update waits in the operation and is applied only if it succeeds
    # (src/h_instance.c): the instance reads exactly as before.
    inst = expect(x.c.get(x.ipath(iid)), 200)
    check(inst == before, 'a failed update changed the instance: %r, before %r', inst, before)


def t_requires_app(x):
    iid, bid = new_id(), new_id('b')
    expect(x.c.put(x.ipath(iid), x.body('app-only')), 201)
    expect_error(x.c.put(x.bpath(iid, bid), x.body('app-only')), 422, 'RequiresApp')
    expect(x.c.get(x.bpath(iid, bid)), 404)
    check(x.hook_runs('bind', iid) == [], 'the bind hook ran for a refused bind')
    x.creds(expect(x.c.put(x.bpath(iid, bid), x.body('app-only', bind_resource={'app_guid': 'app-1'})),
                   201))


def t_rotation_expired(x):
    iid, b1, b2, b3 = new_id(), new_id('b'), new_id('b'), new_id('b')
    expect(x.c.put(x.ipath(iid), x.body('ttl')), 201)
    doc = expect(x.c.put(x.bpath(iid, b1), x.body('ttl')), 201)
    x.creds(doc)
    check('expires_at' in (doc.get('metadata') or {}), 'no expires_at: %r', doc.get('metadata'))
    # within its two seconds the binding may be rotated
    x.creds(expect(x.c.put(x.bpath(iid, b2), {'predecessor_binding_id': b1}), 201))
    time.sleep(3)
    d = expect_error(x.c.put(x.bpath(iid, b3), {'predecessor_binding_id': b1}), 400)
    check('expired' in d['description'], 'description %r does not say it expired', d)
    expect(x.c.get(x.bpath(iid, b3)), 404)


def find_runner(key):
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                argv = f.read().split(b'\0')
        except OSError:
            continue
        if b'--run-operation' in argv and key.encode() in argv:
            return int(pid)
    return None


def t_runner_killed(x):
    iid = new_id()
    op = x.async_put(x.ipath(iid), x.body('async', 'hang'))['operation']
    wait_for(lambda: x.hook_runs('provision', iid), 15, 'the hook to start')
    runner = wait_for(lambda: find_runner(iid), 10, 'the runner process')
    hook_pid = x.hook_runs('provision', iid)[0]['pid']
    os.kill(runner, signal.SIGKILL)
    _, doc, _ = x.poll(x.ipath(iid), 'failed', timeout=20, op=op)
    check('died' in doc.get('description', ''), 'description %r', doc)
    wait_for(lambda: not pid_alive(hook_pid), 10, 'the hook of the killed runner to die')
    op = expect(x.c.delete(x.ipath(iid, x.q('async', '&accepts_incomplete=true'))), 202)['operation']
    check(x.poll(x.ipath(iid), None, op=op)[0] == 410, 'cleanup after a killed runner')


def t_deadline_hook(x):
    iid = new_id()
    t0 = time.monotonic()
    op = x.async_put(x.ipath(iid), x.body('short', 'hang'))['operation']
    _, doc, _ = x.poll(x.ipath(iid), 'failed', timeout=30, op=op)
    check(time.monotonic() - t0 < 15, 'the 3 s deadline took %.1fs', time.monotonic() - t0)
    check('did not finish' in doc.get('description', ''), 'description %r', doc)


def t_deadline_stuck_runner(x):
    iid = new_id()
    op = x.async_put(x.ipath(iid), x.body('short', 'hang'))['operation']
    # Stop it only once its hook runs: a runner stopped inside a write
    # transaction would hold the store's writer lock.
    wait_for(lambda: x.hook_runs('provision', iid), 15, 'the hook to start')
    runner = wait_for(lambda: find_runner(iid), 10, 'the runner process')
    os.kill(runner, signal.SIGSTOP)
    try:
        _, doc, _ = x.poll(x.ipath(iid), 'failed', timeout=30, op=op)
        check('deadline' in doc.get('description', ''), 'description %r', doc)
    finally:
        os.kill(runner, signal.SIGKILL)
        os.kill(runner, signal.SIGCONT)
    expect(x.c.get(x.ipath(iid)), 404)


SERVE_CASES = [
    ('sync hooks: provision, bind (template + hook credentials, endpoints), unbind, deprovision',
     t_sync_provision_bind),
    ('a credentials template needing a missing parameter -> 400, nothing stored', t_template_param_missing),
    ('a hook exiting 64 -> 400 with its description, nothing stored', t_sync_reject),
    ('a failing hook -> 500 with its description; failed; orphan mitigation cleans up', t_sync_fail),
    ('a hanging hook -> killed at hook_timeout, 500, failed', t_sync_hang),
    ('a crashing hook -> 500 naming the signal, failed', t_sync_crash),
    ('a hook writing garbage -> 500, failed, output not echoed', t_sync_garbage),
    ('a hook answering a field of the wrong type -> 500 naming it', t_sync_badtype),
    ('hook stderr is logged with binding credentials redacted', t_stderr_logged_redacted),
    ('a request for an instance whose hook is running -> 422 ConcurrencyError', t_sync_concurrent),
    ('requires_app: a bind without an app -> 422 RequiresApp, no hook run, nothing stored; with one '
     '-> 201', t_requires_app),
    ('rotation: within binding_ttl -> 201; of an expired predecessor -> 400, nothing stored',
     t_rotation_expired),
    ('a worker killed while its hook runs -> failed (not in progress), hook killed, worker replaced',
     t_sync_worker_killed),
    ('parameters checked against the plan\'s schemas: provision, update (the new plan\'s), '
     'bind -> 400 naming each violation, nothing stored, no hook', t_params_checked),
    ('parameters: at most 8 violations named, then how many more', t_params_bounded),
    ('validate_parameters: false -> parameters not checked', t_params_unchecked),
    ('the audit trail: each change and outcome, who asked, parameter names only; none for a '
     'refusal', t_audit_trail),
    ('async plan without accepts_incomplete -> 422 AsyncRequired, nothing stored', t_async_required),
    ('async plan without accepts_incomplete, existing instance or binding -> 200 or 409',
     t_async_required_existing),
    ('async provision/update/bind/unbind/deprovision: 202, polling, concurrency, 410', t_async_lifecycle),
    ('async deletes of a restricted user: 410 for it, 404 as unknown for another', t_async_gone_owner),
    ('a new instance of a deleted id ends its tombstone: 404, not 410, after its own sync delete',
     t_gone_cleared),
    ('a new instance of a deleted id refused by its hook ends the tombstone too: 404, not 410',
     t_gone_refused),
    ('a deprovision ends the tombstones of the bindings it removes (404), not of bindings '
     'deleted before (410)', t_gone_bindings),
    ('async bind running: other bindings allowed, deprovision/update 422; deprovision lists bindings',
     t_async_binding_busy),
    ('async provision failing -> failed; orphan-mitigation DELETE -> 410', t_async_fail_orphan),
    ('async update failing -> failed, instance unchanged', t_async_update_fail),
    ('runner killed with SIGKILL -> failed, its hook killed too', t_runner_killed),
    ('a hook overrunning maximum_polling_duration -> failed', t_deadline_hook),
    ('a stuck runner past maximum_polling_duration -> failed when polled', t_deadline_stuck_runner),
]

def t_limits(x):
    # OSBROKER_REQUEST_TIMEOUT=7: a synchronous hook ends 5 s before it,
    # though the plan allows 3 s
    # ids of at most 20 characters here (OSBROKER_MAX_ID_LEN)
    short = iter('lim-%s' % uuid.uuid4().hex[:12] for _ in range(10))
    d = expect_error(x.c.put(x.ipath(next(short)), x.body('sync', 'hang')), 500)
    check('did not finish within 2 seconds' in d['description'], 'description %r', d)
    log = open(os.path.join(x.stack.run_dir, 'osbroker.log')).read()
    check('is not below OSBROKER_REQUEST_TIMEOUT (7 s): run for 2 s' in log,
          'the shortened hook_timeout is not logged')
    conf = open(os.path.join(x.stack.run_dir, 'osbroker.conf')).read()
    check('fastcgi_read_timeout 7s;' in conf, 'nginx was not given the request timeout')
    # OSBROKER_MAX_HOOK_OUTPUT=1k
    d = expect_error(x.c.put(x.ipath(next(short)), x.body('sync', 'big')), 500)
    check('wrote more than 1024 bytes' in d['description'], 'description %r', d)
    # OSBROKER_MAX_ID_LEN=20
    d = expect_error(x.c.put(x.ipath('i' * 21), x.body('sync')), 400)
    check('at most 20' in d['description'], 'description %r', d)
    expect(x.c.get(x.ipath('i' * 21)), 400)
    expect(x.c.put(x.ipath('i' * 20), x.body('sync')), 201)
    # OSBROKER_MAX_JSON_DEPTH=4, OSBROKER_MAX_JSON_KEYS=8
    deep = x.body('sync', parameters={'a': {'b': {'c': {}}}})
    d = expect_error(x.c.put(x.ipath(next(short)), deep), 400)
    check('nested too deeply' in d['description'], 'description %r', d)
    wide = x.body('sync', parameters={'k%d' % i: i for i in range(6)})
    d = expect_error(x.c.put(x.ipath(next(short)), wide), 400)
    check('too many members' in d['description'], 'description %r', d)
    expect(x.c.put(x.ipath(next(short)), x.body('sync', parameters={'a': {'b': 1}})), 201)


LIMIT_CASES = [
    ('limits: OSBROKER_REQUEST_TIMEOUT shortens synchronous hooks; OSBROKER_MAX_HOOK_OUTPUT, '
     'OSBROKER_MAX_ID_LEN, OSBROKER_MAX_JSON_DEPTH and OSBROKER_MAX_JSON_KEYS are enforced', t_limits),
]

# Under plain CGI too: what does not need a FastCGI worker (one killed
# mid-hook), the FastCGI stack's own log (stderr of hooks), or minutes of
# deadlines and killed runners that the CGI runner shares with the FastCGI
# one (the same program, started the same way: src/runner.c).
CGI_CASES = [
    ('cgi: sync hooks: provision, bind, unbind, deprovision', t_sync_provision_bind),
    ('cgi: a credentials template needing a missing parameter -> 400, nothing stored',
     t_template_param_missing),
    ('cgi: a hook exiting 64 -> 400 with its description, nothing stored', t_sync_reject),
    ('cgi: a failing hook -> 500, failed; orphan mitigation cleans up', t_sync_fail),
    ('cgi: a hook writing garbage -> 500, failed, output not echoed', t_sync_garbage),
    ('cgi: requires_app -> 422 RequiresApp; with an app -> 201', t_requires_app),
    ('cgi: rotation of an expired predecessor -> 400', t_rotation_expired),
    ('cgi: parameters checked against the plan\'s schemas -> 400, nothing stored',
     t_params_checked),
    ('cgi: the audit trail of a CGI request', t_audit_trail),
    ('cgi: async plan without accepts_incomplete -> 422 AsyncRequired', t_async_required),
    ('cgi: async provision/update/bind/unbind/deprovision with a detached runner', t_async_lifecycle),
    ('cgi: async deletes of a restricted user: 410 for it, 404 as unknown for another',
     t_async_gone_owner),
    ('cgi: async failure and orphan mitigation', t_async_fail_orphan),
    ('cgi: async update failing -> failed, instance unchanged', t_async_update_fail),
]


def prepare(tag):
    tmp = make_tmpdir(tag)
    os.chmod(tmp, 0o755)
    hook_log = os.path.join(tmp, 'hooks.log')
    with open(os.path.join(FIXTURES, 'ops-catalog.yml')) as f:
        text = f.read().replace('@HOOK_LOG@', hook_log)
    catalog = os.path.join(tmp, 'catalog.yml')
    with open(catalog, 'w') as f:
        f.write(text)
    shutil.copytree(os.path.join(FIXTURES, 'hooks'), os.path.join(tmp, 'hooks'))
    return tmp, catalog, hook_log


def run_suite(tap, stack, hook_log, cases, prefix):
    x = None

    def start():
        nonlocal x
        stack.start()
        x = Ops(stack, hook_log)
    if not tap.run('%sthe stack starts with the operations catalog' % prefix, start, step=True):
        stack.stop()
        return False
    for name, fn in cases:
        tap.run(name, fn, x)

    def clean_stop():
        problems = [p for p in stack.stop() if 'fcgiwrap had exited' not in p]
        check(not problems, '; '.join(problems))
    tap.run('%sthe stack stops cleanly' % prefix, clean_stop, step=True)
    log = os.path.join(stack.state_dir, 'operations.log')
    check_logs(tap, stack, x.secrets, prefix)
    if os.path.exists(log):
        def runner_log_clean():
            data = open(log).read()
            leaks = [s for s in x.secrets + store_secrets() if s and s in data]
            check(not leaks, 'operations.log shows %d secrets', len(leaks))
        tap.run('%sthe runners\' log shows no secret' % prefix, runner_log_clean)
    return True


def main():
    tap = Tap()
    tmp, catalog, hook_log = prepare('ops')
    stack = ServeStack(tmp=tmp, catalog=catalog, workers=2)
    tap.stacks.append(stack)
    print('# broker: %s' % stack.binary)
    run_suite(tap, stack, hook_log, SERVE_CASES, '')

    tmp3, catalog3, hook_log3 = prepare('ops-limits')
    limited = ServeStack(tmp=tmp3, catalog=catalog3, workers=1, extra_env={
        'OSBROKER_REQUEST_TIMEOUT': '7', 'OSBROKER_MAX_HOOK_OUTPUT': '1k',
        'OSBROKER_MAX_ID_LEN': '20', 'OSBROKER_MAX_JSON_DEPTH': '4',
        'OSBROKER_MAX_JSON_KEYS': '8'})
    tap.stacks.append(limited)
    run_suite(tap, limited, hook_log3, LIMIT_CASES, 'limits: ')

    tmp2, catalog2, hook_log2 = prepare('ops-cgi')
    cgi = CgiStack(tmp=tmp2, catalog=catalog2)
    tap.stacks.append(cgi)
    run_suite(tap, cgi, hook_log2, CGI_CASES, 'cgi: ')
    rc = tap.done()
    finish_tmp([stack, limited, cgi], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
