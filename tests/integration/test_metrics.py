#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""GET /metrics and GET /healthz (README "Metrics and health", osbroker(8)).

A broker with the operations catalog (fixtures/ops-catalog.yml and its
behave hook) behind scripts/osbroker-serve's nginx, then the same through
fcgiwrap as CGI (one process per request, the counters file shared by all
of them):

  - /healthz answers 200 "ok" without credentials, 405 to another method;
  - /metrics refuses a request without the broker's credentials (401) and
    the generated nginx configuration keeps it on its own location with an
    allow-list; with credentials it answers the Prometheus text format,
    which `promtool check metrics` accepts (Debian's prometheus package;
    skipped with a note when it is missing and we are not root);
  - after a workload (provisions, binds, a hook that fails, wrong
    passwords) the counters grew by exactly what the test sent, by
    endpoint and status; the hook and authentication counters too; the
    histogram's count is the requests' count; the gauges (instances and
    bindings by plan, operations by state, the store's records) match
    the store's content, read without the broker;
  - /healthz answers 503 "unavailable" when the store cannot be read
    (PostgreSQL: its server stopped; LMDB under CGI: a data file that is
    not LMDB's in place of the store) and 200 again once it can.  A
    FastCGI worker on LMDB keeps the store it mapped, whatever happens to
    the files, so there is no such case for it; and a catalog that cannot
    be loaded stops the broker from starting at all (a FastCGI worker
    exits, a CGI process answers 503 to every request, /healthz's
    included), which the CGI part checks.

    python3 tests/integration/test_metrics.py
    OSB_STORE=postgresql python3 tests/integration/test_metrics.py
"""

import json
import os
import re
import shutil
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (_shared_pg, CgiStack, check, expect, finish_tmp, pg_store,
                     ServeStack, store_snapshot, Tap, wait_for)
from test_operations import prepare, run_suite


# --------------------------------------------------------------------------- parsing

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, frozenset(labels.items())): float} of a text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        check(m, 'not a sample line: %r', line)
        labels = {k: v.replace('\\n', '\n').replace('\\"', '"').replace('\\\\', '\\')
                  for k, v in LABEL.findall(m.group(2) or '')}
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(3))
    return out


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def series(samples, name):
    return {k[1]: v for k, v in samples.items() if k[0] == name}


def scrape(c):
    r = c.get('/metrics', version=None)
    check(r.status == 200, '%s, want 200: %r', r.what(), r.body[:300])
    ct = r.header('Content-Type') or ''
    check(ct.startswith('text/plain; version=0.0.4'), 'Content-Type %r', ct)
    return r.body.decode(), parse(r.body.decode())


def promtool_exe(tap, name):
    """promtool, or None after a skip (not installed, and not root: make
    check installs it as root, where its absence is a failure)."""
    exe = shutil.which('promtool')
    if exe is None and os.geteuid() != 0:
        tap.skip(name, 'promtool is not installed (apt-get install prometheus)')
    return exe or (None if os.geteuid() != 0 else 'promtool')


def promtool_check(exe, text):
    check(shutil.which(exe), 'promtool is not installed (make check installs prometheus)')
    p = subprocess.run([exe, 'check', 'metrics'], input=text.encode(),
                       capture_output=True, timeout=60)
    check(p.returncode == 0, 'promtool check metrics: exit %d: %s%s', p.returncode,
          p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace'))


class Tally:
    """What the test sent and what came back, by (endpoint, code)."""

    def __init__(self):
        self.n = {}

    def add(self, endpoint, r):
        k = (endpoint, str(r.status))
        self.n[k] = self.n.get(k, 0) + 1
        return r


def delta(before, after, name, keys):
    return {k: value(after, name, **dict(k)) - value(before, name, **dict(k)) for k in keys}


def store_gauges(state_dir):
    """What the gauges should say, from the store read without the broker."""
    snap = store_snapshot(state_dir)
    want = {'instances': {}, 'bindings': {}}
    ops = {}
    for table, kind in (('instances', 'instance'), ('bindings', 'binding')):
        for val in snap.get(table, {}).values():
            rec = json.loads(val)
            k = (rec['service_id'], rec['plan_id'])
            want[table][k] = want[table].get(k, 0) + 1
            st = (rec.get('last_operation') or {}).get('state')
            if st:
                ops[(kind, st)] = ops.get((kind, st), 0) + 1
    return want, ops


# --------------------------------------------------------------------------- cases

def healthz_ok(c):
    r = c.get('/healthz', auth=False, version=None)
    check(r.status == 200 and r.body == b'ok\n', '%s: %r', r.what(), r.body)
    check((r.header('Content-Type') or '').startswith('text/plain'),
          'Content-Type %r', r.header('Content-Type'))


def healthz_method(c):
    expect(c.request('POST', '/healthz', auth=False, version=None), 405)


def metrics_needs_credentials(c):
    r = c.get('/metrics', auth=False, version=None)
    expect(r, 401)
    r = c.get('/metrics', version=None,
              headers={'Authorization': c.auth_header(password='wrong')})
    expect(r, 401)


def nginx_allow_list(stack_conf):
    def run():
        with open(stack_conf) as f:
            conf = f.read()
        m = re.search(r'location = /metrics \{(.*?)\}', conf, re.S)
        check(m, '%s has no location = /metrics', stack_conf)
        body = m.group(1)
        check('allow 127.0.0.1;' in body and 'deny all;' in body,
              'location = /metrics lacks its allow-list: %r', body)
    return run


def workload_counts(x, st):
    """The workload, and the counters' growth checked against it."""
    c = x.c
    _, before = scrape(c)
    t = Tally()
    iids = []
    for i in range(3):
        iid = 'met-%s' % uuid.uuid4().hex[:12]
        expect(t.add('provision', c.put(x.ipath(iid, '?accepts_incomplete=true'),
                                        x.body('sync'))), 201)
        iids.append(iid)
    bad = 'met-fail-%s' % uuid.uuid4().hex[:8]
    r = t.add('provision', c.put(x.ipath(bad, '?accepts_incomplete=true'),
                                 x.body('sync', behave='fail')))
    check(r.status >= 400, 'a failing hook answered %s', r.what())
    for i in range(2):
        bid = 'b-%s' % uuid.uuid4().hex[:8]
        expect(t.add('bind', c.put(x.bpath(iids[0], bid, '?accepts_incomplete=true'),
                                   x.body('sync'))), 201)
    for i in range(3):
        expect(t.add('catalog', c.get('/v2/catalog', headers={
            'Authorization': c.auth_header(password='wrong-%d' % i)})), 401)
    expect(t.add('catalog', c.get('/v2/catalog')), 200)
    expect(t.add('instance_fetch', c.get(x.ipath(iids[1]))), 200)
    expect(t.add('other', c.get('/v2/nowhere')), 404)
    text, after = scrape(c)
    # The first scrape counted itself (metrics 200) before the second read.
    t.n[('metrics', '200')] = t.n.get(('metrics', '200'), 0) + 1
    keys = set(frozenset({'endpoint': e, 'code': s}.items()) for e, s in t.n)
    keys |= set(k for k in series(after, 'osbroker_requests_total'))
    got = delta(before, after, 'osbroker_requests_total', keys)
    want = {frozenset({'endpoint': e, 'code': s}.items()): float(n) for (e, s), n in t.n.items()}
    diff = {tuple(sorted(dict(k).items())): (got.get(k, 0), want.get(k, 0))
            for k in keys if got.get(k, 0) != want.get(k, 0)}
    check(not diff, 'requests_total grew otherwise than sent (got, want): %r', diff)
    runs = value(after, 'osbroker_hook_runs_total') - value(before, 'osbroker_hook_runs_total')
    fails = value(after, 'osbroker_hook_failures_total') - \
        value(before, 'osbroker_hook_failures_total')
    check(runs == 6 and fails == 1, 'hook runs +%d failures +%d, want +6 +1', runs, fails)
    auth = value(after, 'osbroker_auth_failures_total') - \
        value(before, 'osbroker_auth_failures_total')
    check(auth == 3, 'auth failures +%d, want +3', auth)
    for ep in ('provision', 'bind', 'catalog'):
        n = sum(v for (e, s), v in t.n.items() if e == ep)
        cnt = value(after, 'osbroker_request_duration_seconds_count', endpoint=ep) - \
            value(before, 'osbroker_request_duration_seconds_count', endpoint=ep)
        inf = value(after, 'osbroker_request_duration_seconds_bucket', endpoint=ep, le='+Inf') - \
            value(before, 'osbroker_request_duration_seconds_bucket', endpoint=ep, le='+Inf')
        check(cnt == n and inf == n, '%s: histogram count +%d, +Inf +%d, want +%d',
              ep, cnt, inf, n)
    st['text'] = text


def gauges_match_store(x, st):
    _, s = scrape(x.c)
    want, ops = store_gauges(x.stack.state_dir)
    for table, name in (('instances', 'osbroker_instances'), ('bindings', 'osbroker_bindings')):
        got = {(dict(k)['service_id'], dict(k)['plan_id']): v
               for k, v in series(s, name).items() if v}
        check(got == {k: float(v) for k, v in want[table].items()},
              '%s: %r, the store has %r', name, got, want[table])
        names = {dict(k)['plan'] for k in series(s, name)}
        check('sync' in names, '%s: no plan name label sync: %r', name, names)
    got = {(dict(k)['kind'], dict(k)['state']): v
           for k, v in series(s, 'osbroker_operations').items() if v}
    check(got == {k: float(v) for k, v in ops.items()},
          'operations: %r, the store has %r', got, ops)
    check(value(s, 'osbroker_store_up') == 1, 'store_up is not 1')
    kind = 'postgresql' if pg_store() else 'lmdb'
    check(value(s, 'osbroker_store_size_bytes', store=kind) > 0, 'no store size for %s', kind)
    if not pg_store():
        check(value(s, 'osbroker_store_map_size_bytes') > 0, 'no map size')
        for table in ('instances', 'bindings'):
            n = sum(want[table].values())
            check(value(s, 'osbroker_store_records', table=table) == n,
                  'store_records{table=%s} is not %d', table, n)
    etag = [dict(k)['etag'] for k in series(s, 'osbroker_catalog_info')]
    r = x.c.get('/v2/catalog')
    check(etag == [r.header('ETag')], 'catalog_info etag %r, the catalog says %r',
          etag, r.header('ETag'))


def counters_file(stack):
    def run():
        p = os.path.join(stack.state_dir, 'metrics.counters')
        sb = os.stat(p)
        check(sb.st_mode & 0o777 == 0o600, '%s is mode %o', p, sb.st_mode & 0o777)
        with open(p, 'rb') as f:
            check(f.read(8) == b'OSBCNTR\n', '%s: no header', p)
    return run


def damaged_counters_recreated(stack):
    """A foreign file in the counters' place: the next process replaces it
    (CGI: every request is a new process)."""
    def run():
        p = os.path.join(stack.state_dir, 'metrics.counters')
        with open(p, 'wb') as f:
            f.write(b'not a counters file\n')
        c = stack.client()
        expect(c.get('/v2/catalog'), 200)
        with open(p, 'rb') as f:
            check(f.read(8) == b'OSBCNTR\n', '%s was not recreated', p)
        _, s = scrape(c)
        check(value(s, 'osbroker_requests_total', endpoint='catalog', code='200') == 1,
              'after the recreation, catalog 200 is not 1')
    return run


def pg_outage(stack):
    def run():
        c = stack.client()
        srv = _shared_pg.get()
        srv.stop()
        try:
            r = c.get('/healthz', auth=False, version=None)
            check(r.status == 503 and r.body == b'unavailable\n',
                  'PostgreSQL stopped: %s %r', r.what(), r.body)
            _, s = scrape(c)
            check(value(s, 'osbroker_store_up') == 0, 'store_up is not 0')
        finally:
            srv.start_again()
        wait_for(lambda: c.get('/healthz', auth=False, version=None).status == 200, 30,
                 '/healthz to answer 200 again')
    return run


def lmdb_junk(stack):
    """CGI on LMDB: a data file that is not LMDB's makes every process fail
    to open the store; /healthz says 503, then 200 once it is back."""
    def run():
        c = stack.client()
        data = os.path.join(stack.state_dir, 'data.mdb')
        os.rename(data, data + '.aside')
        try:
            with open(data, 'wb') as f:
                f.write(b'\0junk' * 2000)
            r = c.get('/healthz', auth=False, version=None)
            check(r.status == 503, 'a junk data file: %s %r', r.what(), r.body[:200])
        finally:
            os.replace(data + '.aside', data)
        healthz_ok(c)
    return run


def cgi_counts(x, st):
    c = x.c
    _, before = scrape(c)
    iid = 'met-cgi-%s' % uuid.uuid4().hex[:8]
    expect(c.put(x.ipath(iid, '?accepts_incomplete=true'), x.body('sync')), 201)
    expect(c.put(x.bpath(iid, 'b1', '?accepts_incomplete=true'), x.body('sync')), 201)
    for i in range(4):
        expect(c.get('/v2/catalog'), 200)
    expect(c.get('/v2/catalog', headers={'Authorization': c.auth_header(password='no')}), 401)
    _, after = scrape(c)
    d = value(after, 'osbroker_requests_total', endpoint='catalog', code='200') - \
        value(before, 'osbroker_requests_total', endpoint='catalog', code='200')
    check(d == 4, 'CGI: catalog 200 grew by %d, want 4', d)
    d = value(after, 'osbroker_auth_failures_total') - \
        value(before, 'osbroker_auth_failures_total')
    check(d == 1, 'CGI: auth failures grew by %d, want 1', d)
    for ep in ('provision', 'bind'):
        d = value(after, 'osbroker_requests_total', endpoint=ep, code='201') - \
            value(before, 'osbroker_requests_total', endpoint=ep, code='201')
        check(d == 1, 'CGI: %s 201 grew by %d, want 1', ep, d)
    d = value(after, 'osbroker_hook_runs_total') - value(before, 'osbroker_hook_runs_total')
    check(d == 2, 'CGI: hook runs grew by %d, want 2', d)


def run_part(tap, stack, hook_log, prefix, cgi):
    st = {}
    conf = os.path.join(stack.run_dir, 'osbroker-cgi.conf' if cgi else 'osbroker.conf')
    cases = [
        ('GET /healthz without credentials: 200 ok', lambda x: healthz_ok(x.c)),
        ('POST /healthz: 405', lambda x: healthz_method(x.c)),
        ('GET /metrics without the broker\'s credentials: 401',
         lambda x: metrics_needs_credentials(x.c)),
        ('nginx keeps /metrics behind an allow-list', lambda x: nginx_allow_list(conf)()),
        ('the counters file is 0600 with its header', lambda x: counters_file(stack)()),
        ('counters of separate CGI processes add up', lambda x: cgi_counts(x, st))
        if cgi else
        ('counters grow by exactly the workload sent', lambda x: workload_counts(x, st)),
        ('gauges match the store', lambda x: gauges_match_store(x, st)),
    ]
    name = '%spromtool check metrics accepts the page' % prefix
    exe = promtool_exe(tap, name)
    if exe:
        cases.append(('promtool check metrics accepts the page',
                      lambda x: promtool_check(exe, st.get('text') or scrape(x.c)[0])))
    if pg_store():
        cases.append(('PostgreSQL stopped: /healthz 503, then 200',
                      lambda x: pg_outage(stack)()))
    elif cgi:
        cases.append(('a junk LMDB data file: /healthz 503, then 200',
                      lambda x: lmdb_junk(stack)()))
    else:
        tap.skip('%sstore unreadable: /healthz 503' % prefix,
                 'a FastCGI worker keeps the LMDB store it mapped (the CGI part checks it)')
    if cgi:
        cases.append(('a foreign counters file is recreated',
                      lambda x: damaged_counters_recreated(stack)()))
    run_suite(tap, stack, hook_log, [(prefix + n, fn) for n, fn in cases], prefix)


def main():
    tap = Tap()
    tmp, catalog, hook_log = prepare('metrics')
    stack = ServeStack(tmp=tmp, catalog=catalog, workers=2)
    tap.stacks.append(stack)
    print('# broker: %s' % stack.binary)
    run_part(tap, stack, hook_log, '', False)

    tmp2, catalog2, hook_log2 = prepare('metrics-cgi')
    cgi = CgiStack(tmp=tmp2, catalog=catalog2)
    tap.stacks.append(cgi)
    run_part(tap, cgi, hook_log2, 'cgi: ', True)
    rc = tap.done()
    finish_tmp([stack, cgi], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
