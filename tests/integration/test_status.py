#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""GET /status, the operator's page (README "Status page", osbroker(8)).

A broker with the operations catalog (fixtures/ops-catalog.yml and its
behave hook) and one more service whose texts are hostile (a plan
description that would close an attribute and add elements, a hook that
fails with a description holding a script), behind scripts/osbroker-serve's
nginx, then the same through fcgiwrap as CGI:

  - /status refuses a request without the broker's credentials or with a
    wrong password (401); the generated nginx configuration keeps it on
    its own location with an allow-list; with credentials it needs no
    X-Broker-API-Version and answers HTML with a Content-Security-Policy
    that allows no script;
  - after a workload (provisions on two plans, a bind, an asynchronous
    provision whose hook hangs, a hook that fails, one with hostile texts,
    an originating identity and parameter names that hold markup) the page
    matches the store, read without the broker: instances per plan, the
    operation in progress, the failed ones with their hook's description,
    the newest audit entries in order; and it shows no credential, no
    parameter value and not the broker's password;
  - headless Chromium (Debian's chromium) loads the page from the broker
    (with its credentials), and the DOM it rendered is checked against the
    store the same way; the planted markup is text in it: no element,
    attribute or script of the payloads exists and the document's title is
    the page's own; a copy of the page without its Content-Security-Policy
    header (a file) shows the same, so the escaping alone holds.  Two
    screenshots (laptop and phone widths) are kept in
    build/test-results/status/;
  - paging: with more audit entries than a page holds, the "older
    entries" links lead through the whole trail, newest first, each entry
    once; the operations link and a bad paging parameter (400) too;
  - under CGI the page is the same (one process per request).

Chromium is skipped with a note when it is not installed and we are not
root (make check installs it: scripts/install-deps --test).

    python3 tests/integration/test_status.py
    OSB_STORE=postgresql python3 tests/integration/test_status.py
"""

import base64
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (_shared_pg, CgiStack, check, expect, finish_tmp, pg_store, pid_alive,
                     REPO, ServeStack, store_snapshot, Tap, wait_for)
from test_operations import find_runner, prepare, run_suite

ROWS = 50               # OSB_STATUS_ROWS (src/limits.h)
TITLE = 'osbroker status'
HOSTILE_SID = '0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e'
HOSTILE_PID = '1d2e3f40-5b6c-4d7e-9f80-a12b3c4d5e6f'
# Each would add an element with an id starting "xss", or set the title,
# if it reached the page as markup.
PLAN_DESC = '"><b id="xss-plan">x</b><img id="xss-img" src=x onerror="document.title=\'pwned\'">'
HOOK_DESC = ('<script id="xss-script">document.title="pwned"</script>'
             '<svg id="xss-svg" onload="document.title=\'pwned\'"></svg>\' " &amp;')
USER_ID = '<img id="xss-user" src=x onerror="document.title=\'pwned\'">'
PARAM_NAME = '"><i id="xss-param">p</i>'
HOOK = '''#!/usr/bin/env python3
import json, sys
json.load(sys.stdin)
print(json.dumps({'description': %r}))
sys.exit(3)
''' % HOOK_DESC
CATALOG_MORE = '''
- id: %s
  name: itest-status
  description: "A service whose texts are hostile"
  bindable: true
  osbroker:
    hooks:
      provision: hooks/status-fail
  plans:
  - id: %s
    name: hostile
    description: %s
''' % (HOSTILE_SID, HOSTILE_PID, json.dumps(PLAN_DESC))


def prepare_status(tag):
    tmp, catalog, hook_log = prepare(tag)
    with open(catalog, 'a') as f:
        f.write(CATALOG_MORE)
    hook = os.path.join(tmp, 'hooks', 'status-fail')
    with open(hook, 'w') as f:
        f.write(HOOK)
    os.chmod(hook, 0o755)
    return tmp, catalog, hook_log


# --------------------------------------------------------------------------- the page, parsed

class Page(html.parser.HTMLParser):
    """The tables of the page by id: rows as lists of cell texts, with the
    row's data-* attributes; every element's id; links; the title."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tables, self.ids, self.links, self.tags = {}, set(), [], []
        self.title, self.attrs_seen = '', []
        self._table = self._row = self._cell = None
        self._in_title = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs_seen.extend(k for k, _ in attrs)
        if a.get('id'):
            self.ids.add(a['id'])
        if tag == 'title':
            self._in_title = True
        elif tag == 'table':
            self._table = a.get('id')
            self.tables.setdefault(self._table, [])
        elif tag == 'tr' and self._table is not None:
            self._row = {'cells': [], 'attrs': a}
        elif tag in ('td', 'th') and self._row is not None:
            self._cell = {'text': '', 'attrs': a, 'th': tag == 'th'}
        elif tag == 'a':
            self.links.append(a.get('href'))

    def handle_endtag(self, tag):
        if tag == 'title':
            self._in_title = False
        elif tag in ('td', 'th') and self._cell is not None:
            self._row['cells'].append(self._cell)
            self._cell = None
        elif tag == 'tr' and self._row is not None:
            if self._row['cells'] and not all(c['th'] for c in self._row['cells']):
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == 'table':
            self._table = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._cell is not None:
            self._cell['text'] += data

    def rows(self, table):
        return [[c['text'] for c in r['cells']] for r in self.tables.get(table, [])]

    def row_attrs(self, table, name):
        return [r['attrs'].get(name) for r in self.tables.get(table, [])]


def get_status(c, query=''):
    r = c.get('/status' + query, version=None)
    check(r.status == 200, '%s, want 200: %r', r.what(), r.body[:300])
    return r


# --------------------------------------------------------------------------- the store

def store_view(state_dir):
    """What the page should show, from the store read without the broker."""
    snap = store_snapshot(state_dir)
    counts = {}
    ops = {}
    for table, k in (('instances', 0), ('bindings', 1)):
        for key, val in snap.get(table, {}).items():
            rec = json.loads(val)
            pair = (rec['service_id'], rec['plan_id'])
            counts.setdefault(pair, [0, 0])[k] += 1
            op = rec.get('last_operation') or {}
            if op.get('state') in ('in progress', 'failed'):
                ops[key] = (op['state'], op.get('description', ''))
    audit = sorted(snap.get('audit', {}).items(), reverse=True)
    audit = [(k, json.loads(v)) for k, v in audit]
    secrets = []
    for val in snap.get('bindings', {}).values():
        rec = json.loads(val)
        secrets += [str(v) for v in (rec.get('credentials') or {}).values()
                    if isinstance(v, str) and len(v) >= 6]
    return counts, ops, audit, secrets


def check_against_store(x, page, where):
    """The page's tables against the store (where: 'served', 'chromium')."""
    counts, ops, audit, _ = store_view(x.stack.state_dir)
    plans = dict(zip(page.row_attrs('plans-table', 'data-plan-id'), page.rows('plans-table')))
    for (sid, pid), (ni, nb) in counts.items():
        if ni == 0:
            continue
        check(pid in plans, '%s: plan %s (%d instances) not on the page', where, pid, ni)
        check(int(plans[pid][4]) == ni, '%s: plan %s shows %r instances; the store has %d',
              where, pid, plans[pid][4], ni)
    for pid, cells in plans.items():
        if not any(p == pid and n[0] for (_, p), n in counts.items()):
            check(cells[4] == '0', '%s: plan %s shows %r, the store none', where, pid, cells[4])
    check(plans.get(x.plans['sync'], [None, None])[1] == 'sync',
          '%s: the sync plan\'s name is not shown: %r', where, plans.get(x.plans['sync']))
    got_ops = {k: (r[3], r[5]) for k, r in zip(page.row_attrs('ops-table', 'data-key'),
                                                   page.rows('ops-table')) if k}
    check(got_ops == ops, '%s: operations %r, the store has %r', where, got_ops, ops)
    keys = [k for k in page.row_attrs('audit-table', 'data-key') if k]
    want = [k for k, _ in audit[:ROWS]]
    check(keys == want, '%s: audit keys %r, want the newest %d: %r', where, keys[:5], ROWS,
          want[:5])
    rows = page.rows('audit-table')
    for (k, e), r in zip(audit, rows):
        check(r[0] == e['at'] and r[1] == e['action'] and r[2] == e['outcome'] and
              r[6] == e.get('description', ''), '%s: audit row %r, the entry %r', where, r, e)
    failed = [(k, e) for k, e in audit if e['outcome'] == 'failed']
    fkeys = [k for k in page.row_attrs('failures-table', 'data-key') if k]
    check(fkeys == [k for k, _ in failed[:ROWS]], '%s: failures %r, the store\'s %r', where,
          fkeys, [k for k, _ in failed])
    descs = [r[6] for r in page.rows('failures-table')]
    check(HOOK_DESC in descs and 'the test hook was told to fail' in descs,
          '%s: the hooks\' descriptions are not among the failures: %r', where, descs)


def check_no_payload(page, where):
    """Nothing planted became markup."""
    planted = sorted(i for i in page.ids if i.startswith('xss'))
    check(not planted, '%s: planted elements exist: %r', where, planted)
    bad = sorted(set(page.tags) & {'script', 'img', 'svg', 'iframe', 'i', 'b'})
    check(not bad, '%s: elements the page never makes: %r', where, bad)
    handlers = sorted(set(a for a in page.attrs_seen if a.startswith('on')))
    check(not handlers, '%s: event handler attributes: %r', where, handlers)
    check(page.title == TITLE, '%s: the title is %r', where, page.title)


# --------------------------------------------------------------------------- cases

def needs_credentials(c):
    r = c.get('/status', auth=False, version=None)
    check(r.status == 401, 'without credentials: %s', r.what())
    check('Basic' in (r.header('WWW-Authenticate') or ''), 'no WWW-Authenticate: %r',
          r.header('WWW-Authenticate'))
    r = c.get('/status', version=None,
              headers={'Authorization': c.auth_header(password='wrong')})
    check(r.status == 401, 'a wrong password: %s', r.what())
    check(b'<table' not in r.body, 'a 401 shows the page')


def nginx_location(conf):
    with open(conf) as f:
        text = f.read()
    m = re.search(r'location = /status \{(.*?)\}', text, re.S)
    check(m, '%s has no location = /status', conf)
    check('allow 127.0.0.1;' in m.group(1) and 'deny all;' in m.group(1),
          'location = /status lacks its allow-list: %r', m.group(1))


def html_answer(c):
    r = get_status(c)
    ct = r.header('Content-Type') or ''
    check(ct.startswith('text/html') and 'utf-8' in ct, 'Content-Type %r', ct)
    csp = r.header('Content-Security-Policy') or ''
    check("default-src 'none'" in csp and 'script-src' not in csp,
          'Content-Security-Policy %r', csp)
    check(r.header('Cache-Control') == 'no-store', 'Cache-Control %r', r.header('Cache-Control'))
    text = r.body.decode()
    check('name="viewport"' in text and '<style>' in text, 'no viewport or inline style')
    page = Page(text)
    check(not ({'link', 'script', 'img', 'iframe', 'object'} & set(page.tags)) and
          'src' not in page.attrs_seen and
          all(h.startswith('status') for h in page.links if h is not None),
          'the page refers to something outside itself: %r', page.links)
    check(page.title == TITLE, 'title %r', page.title)
    check(['store', 'answers'] in page.rows('health-table') and
          ['catalog', 'loaded'] in page.rows('health-table'),
          'health: %r', page.rows('health-table'))


def workload(x, st):
    """Provisions on two plans, a bind, an asynchronous provision that hangs,
    two failing hooks (one hostile), planted identity and parameter names."""
    c = x.c
    st['secret_value'] = 'pv-%s' % uuid.uuid4().hex
    for i in range(3):
        iid = 'st-%s' % uuid.uuid4().hex[:12]
        expect(c.put(x.ipath(iid, '?accepts_incomplete=true'),
                     x.body('sync', parameters={'behave': 'ok', 'note': st['secret_value']})),
               201)
        st.setdefault('iids', []).append(iid)
    expect(c.put(x.ipath('st-other', '?accepts_incomplete=true'), x.body('app-only')), 201)
    bid = 'b-%s' % uuid.uuid4().hex[:8]
    expect(c.put(x.bpath(st['iids'][0], bid, '?accepts_incomplete=true'), x.body('sync')), 201)
    st['hang'] = 'st-hang-%s' % uuid.uuid4().hex[:8]
    expect(c.put(x.ipath(st['hang'], '?accepts_incomplete=true'), x.body('async', 'hang')), 202)
    wait_for(lambda: x.hook_runs('provision', st['hang']), 30, 'the hanging hook to start')
    r = c.put(x.ipath('st-fail-%s' % uuid.uuid4().hex[:8], '?accepts_incomplete=true'),
              x.body('sync', 'fail'))
    check(r.status >= 400, 'a failing hook answered %s', r.what())
    who = {'user_id': USER_ID}
    hdr = {'X-Broker-API-Originating-Identity': 'cloudfoundry ' + base64.b64encode(
        json.dumps(who).encode()).decode()}
    body = {'service_id': HOSTILE_SID, 'plan_id': HOSTILE_PID,
            'context': {'platform': 'cloudfoundry'},
            'parameters': {PARAM_NAME: st['secret_value']}}
    r = c.put(x.ipath('st-hostile', '?accepts_incomplete=true'), body, headers=hdr)
    check(r.status >= 400, 'the hostile hook answered %s', r.what())


def served_matches_store(x, st):
    text = get_status(x.c).body.decode()
    page = Page(text)
    check_no_payload(page, 'served')
    check_against_store(x, page, 'served')
    _, _, _, secrets = store_view(x.stack.state_dir)
    leaks = [s for s in secrets + [x.stack.password, st['secret_value']] if s in text]
    check(not leaks, 'the page shows %d credentials, passwords or parameter values', len(leaks))
    check(PARAM_NAME in [c for r in page.rows('audit-table') for c in r[5].split(', ')],
          'the parameter name is not shown as text')
    check(any(USER_ID in r[4] for r in page.rows('audit-table')),
          'the originating user is not shown as text')
    st['text'] = text


# ---- Chromium

def chromium_exe(tap, name):
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if exe is None and os.geteuid() != 0:
        tap.skip(name, 'chromium is not installed (apt-get install chromium)')
    return exe or (None if os.geteuid() != 0 else 'chromium')


def out_dir(stack):
    label = '%s-%s-%s' % ('cgi' if isinstance(stack, CgiStack) else 'fastcgi',
                          'postgresql' if pg_store() else 'lmdb',
                          'asan' if '/asan/' in stack.binary else 'plain')
    d = os.path.join(REPO, 'build', 'test-results', 'status', label)
    os.makedirs(d, exist_ok=True)
    return d


def chromium(exe, args, url, timeout=120):
    """Run headless Chromium once on url, in a profile of its own."""
    with tempfile.TemporaryDirectory(prefix='osb-chromium-') as prof:
        argv = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
                '--disable-extensions', '--disable-background-networking',
                '--disable-dev-shm-usage', '--user-data-dir=' + prof] + args + [url]
        p = subprocess.run(argv, capture_output=True, timeout=timeout,
                           env=dict(os.environ, HOME=prof))
    check(p.returncode == 0, 'chromium %s: exit %d: %s', ' '.join(args), p.returncode,
          p.stderr.decode(errors='replace')[-800:])
    return p.stdout.decode(errors='replace')


def chromium_dom(exe, stack):
    def run(x, st):
        url = 'http://%s:%s@127.0.0.1:%d/status' % (stack.username, stack.password, stack.port)
        dom = chromium(exe, ['--dump-dom', '--virtual-time-budget=3000'], url)
        check('<table' in dom, 'chromium rendered no page: %r', dom[:500])
        with open(os.path.join(out_dir(stack), 'status-dom.html'), 'w') as f:
            f.write(dom)
        page = Page(dom)
        check_no_payload(page, 'chromium')
        check_against_store(x, page, 'chromium')
        st['url'] = url
    return run


def chromium_file(exe, stack):
    """The page as a file: no Content-Security-Policy, the escaping alone."""
    def run(x, st):
        d = out_dir(stack)
        path = os.path.join(d, 'status-page.html')
        with open(path, 'w') as f:
            f.write(st.get('text') or get_status(x.c).body.decode())
        dom = chromium(exe, ['--dump-dom', '--virtual-time-budget=3000'], 'file://' + path)
        check_no_payload(Page(dom), 'chromium, a file without CSP')
    return run


def screenshots(exe, stack):
    def run(x, st):
        d = out_dir(stack)
        url = st.get('url') or 'http://%s:%s@127.0.0.1:%d/status' % (
            stack.username, stack.password, stack.port)
        for name, size in (('laptop', '1280,1600'), ('phone', '390,1800')):
            path = os.path.join(d, 'status-%s.png' % name)
            if os.path.exists(path):
                os.unlink(path)
            chromium(exe, ['--screenshot=' + path, '--window-size=' + size,
                           '--hide-scrollbars', '--force-device-scale-factor=1'], url)
            check(os.path.getsize(path) > 10000, '%s: a screenshot of %d bytes', path,
                  os.path.getsize(path) if os.path.exists(path) else 0)
        print('# screenshots in %s' % d)
    return run


# ---- paging

def paging_audit(x):
    """More entries than a page: the links lead through all of them."""
    c = x.c
    # Each provision leaves two entries (begun, succeeded).
    n = 0
    while True:
        _, _, audit, _ = store_view(x.stack.state_dir)
        if len(audit) > 2 * ROWS + 5:
            break
        iid = 'st-page-%03d-%s' % (n, uuid.uuid4().hex[:6])
        expect(c.put(x.ipath(iid, '?accepts_incomplete=true'), x.body('sync')), 201)
        n += 1
    _, _, audit, _ = store_view(x.stack.state_dir)
    seen, query, pages = [], '', 0
    while True:
        page = Page(get_status(c, query).body.decode())
        keys = [k for k in page.row_attrs('audit-table', 'data-key') if k]
        check(len(keys) <= ROWS, 'a page of %d audit rows', len(keys))
        seen += keys
        pages += 1
        nxt = [h for h in page.links if h and h.startswith('status?audit_before=')]
        if not nxt:
            break
        check(pages < 20, 'more pages than entries allow')
        query = nxt[0][len('status'):]
    want = [k for k, _ in audit]
    check(seen == want, 'paged through %d entries in %d pages; the store has %d (first '
          'difference at %r)', len(seen), pages, len(want),
          next((i for i, (a, b) in enumerate(zip(seen, want)) if a != b), None))
    check(pages >= 3, 'only %d pages', pages)


def paging_bad(x):
    for q in ('?audit_before=%3Cscript%3E', '?plans_from=-1', '?ops_table=gone',
              '?ops_after=a/b/c', '?plans_from=1x'):
        r = x.c.get('/status' + q, version=None)
        check(r.status == 400, '%s: %s, want 400', q, r.what())


def paging_ops(x, st):
    """The operations section's link starts after the last key read."""
    page = Page(get_status(x.c, '?ops_after=' + st['hang']).body.decode())
    keys = [k for k in page.row_attrs('ops-table', 'data-key') if k]
    check(st['hang'] not in keys and all(k > st['hang'] for k in keys if '/' not in k),
          'ops_after=%s shows %r', st['hang'], keys)
    page = Page(get_status(x.c, '?ops_table=bindings').body.decode())
    keys = [k for k in page.row_attrs('ops-table', 'data-key') if k]
    check(all('/' in k for k in keys), 'ops_table=bindings shows %r', keys)


def pg_outage(x):
    """PostgreSQL stopped: 503, and the page says the store does not answer."""
    srv = _shared_pg.get()
    srv.stop()
    try:
        r = x.c.get('/status', version=None)
        check(r.status == 503, 'PostgreSQL stopped: %s', r.what())
        page = Page(r.body.decode())
        check(page.title == TITLE and ['store', 'does not answer'] in page.rows('health-table'),
              'the page does not say the store does not answer: %r', page.rows('health-table'))
    finally:
        srv.start_again()
    wait_for(lambda: x.c.get('/status', version=None).status == 200, 30,
             '/status to answer 200 again')


def end_hang(hook_log, st):
    """The hanging runner and its hook go (the stack's stop would not),
    whichever cases ran."""
    if 'hang' not in st:
        return
    runner = find_runner(st['hang'])
    hook = []
    if os.path.exists(hook_log):
        with open(hook_log) as f:
            hook = [r['pid'] for r in map(json.loads, filter(str.strip, f))
                    if r['action'] == 'provision' and r['instance_id'] == st['hang']]
    for pid in ([runner] if runner else []) + hook:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    wait_for(lambda: not any(pid_alive(p) for p in hook), 10, 'the hanging hook to end')


def run_part(tap, stack, hook_log, prefix, cgi):
    st = {}
    conf = os.path.join(stack.run_dir, 'osbroker-cgi.conf' if cgi else 'osbroker.conf')
    cases = [
        ('GET /status without the broker\'s credentials: 401',
         lambda x: needs_credentials(x.c)),
        ('nginx keeps /status on its own location with an allow-list',
         lambda x: nginx_location(conf)),
        ('GET /status: HTML, no version header needed, no script allowed',
         lambda x: html_answer(x.c)),
        ('a workload: provisions, a bind, a hang, failing hooks', lambda x: workload(x, st)),
        ('the page matches the store, shows no secret, escapes the planted markup',
         lambda x: served_matches_store(x, st)),
    ]
    name = '%sheadless Chromium: the rendered DOM matches the store' % prefix
    exe = chromium_exe(tap, name)
    if exe:
        cases += [
            ('headless Chromium: the rendered DOM matches the store',
             lambda x: chromium_dom(exe, stack)(x, st)),
            ('headless Chromium: nothing planted runs without the CSP either',
             lambda x: chromium_file(exe, stack)(x, st)),
            ('headless Chromium: screenshots at laptop and phone widths',
             lambda x: screenshots(exe, stack)(x, st)),
        ]
    cases += [
        ('paging: the operations section after a key, and of bindings',
         lambda x: paging_ops(x, st)),
        ('paging: a bad paging parameter is 400', paging_bad),
    ]
    if not cgi:
        cases.append(('paging: the audit links lead through every entry once', paging_audit))
    if pg_store():
        cases.append(('PostgreSQL stopped: 503, the page says so, then 200', pg_outage))
    try:
        run_suite(tap, stack, hook_log, [(prefix + n, fn) for n, fn in cases], prefix)
    finally:
        end_hang(hook_log, st)


def main():
    tap = Tap()
    tmp, catalog, hook_log = prepare_status('status')
    stack = ServeStack(tmp=tmp, catalog=catalog, workers=2)
    tap.stacks.append(stack)
    print('# broker: %s' % stack.binary)
    run_part(tap, stack, hook_log, '', False)

    tmp2, catalog2, hook_log2 = prepare_status('status-cgi')
    cgi = CgiStack(tmp=tmp2, catalog=catalog2)
    tap.stacks.append(cgi)
    run_part(tap, cgi, hook_log2, 'cgi: ', True)
    rc = tap.done()
    finish_tmp([stack, cgi], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
