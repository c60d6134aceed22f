#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""The CGI path: nginx (conf/nginx/osbroker-cgi.conf) + fcgiwrap, both
started here on a free loopback port, running the broker as a CGI program
(cgi-bin/osbroker.cgi, or $OSBROKER_BIN) once per request.  Every case of
cases.py but those in cases.NOCGI (each with its reason), persistence across
a restart of the whole stack,
nginx's own 502 as JSON, and the log checks.
"""

import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (FIXTURES, CgiStack, Client, Tap, check, check_logs, expect, finish_tmp,
                     group_alive, make_tmpdir, wait_for)
from cases import CASES, Ctx, _write_catalog, new_id


def main():
    tap = Tap()
    tmp = make_tmpdir('cgi')
    catalog = os.path.join(tmp, 'catalog.yml')
    shutil.copy(os.path.join(FIXTURES, 'catalog.yml'), catalog)
    stack = CgiStack(tmp=tmp, catalog=catalog)
    tap.stacks.append(stack)
    print('# broker (CGI): %s' % stack.binary)
    ctx = None

    def start():
        nonlocal ctx
        stack.start()
        ctx = Ctx(stack, stack.client())
    if not tap.run('nginx + fcgiwrap start and the CGI broker serves the catalog', start, step=True):
        stack.stop()
        tap.bail('the CGI stack did not start')
        return tap.done()

    for name, fn, cgi in CASES:
        if cgi:
            tap.run('cgi: ' + name, fn, ctx)

    def caches():
        # What spares each CGI process the YAML and the yescrypt check
        # (README "Shared hosting"): both files private, no password in
        # either, both rebuilt after their source changes.
        cache = os.path.join(stack.state_dir, 'catalog.cache')
        auth = os.path.join(stack.state_dir, 'auth-cache')
        expect(ctx.c.get('/v2/catalog'), 200)
        for f in (cache, auth):
            check(os.path.exists(f), '%s was not written', f)
            check(os.stat(f).st_mode & 0o777 == 0o600, '%s is not 0600', f)
            with open(f, 'rb') as fh:
                check(stack.password.encode() not in fh.read(), '%s holds the password', f)
        with open(auth) as fh:
            head, entry = fh.read().split('\n')[:2]
        check(entry.startswith(stack.username + ':$sha1$'), 'auth-cache entry %r', entry)
        with open(stack.catalog) as fh:
            original = fh.read()
        edited = original.replace('Integration test database', 'Integration test database (CGI edit)')
        check(edited != original, 'the fixture catalog changed: nothing to edit')
        try:
            _write_catalog(stack.catalog, edited, 5)
            r = ctx.c.get('/v2/catalog')
            expect(r, 200)
            check(b'(CGI edit)' in r.body, 'the next CGI request did not serve the edit')
            with open(cache, 'rb') as fh:
                check(b'(CGI edit)' in fh.read(), 'catalog.cache was not rebuilt')
        finally:
            _write_catalog(stack.catalog, original, 10)
        r = ctx.c.get('/v2/catalog')
        check(b'(CGI edit)' not in r.body, 'the restored catalog is not served')
        # a rewritten credentials file (same users, new times) voids the entries
        creds = os.path.join(stack.tmp, 'credentials')
        with open(creds) as fh:
            text = fh.read()
        _write_catalog(creds, text, 5)
        expect(ctx.c.get('/v2/catalog'), 200)
        with open(auth) as fh:
            check(fh.read().split('\n')[0] != head, 'auth-cache still names the old credentials file')
        bad = Client(stack.port, stack.username, 'wrong-' + stack.password)
        expect(bad.get('/v2/catalog'), 401)
    tap.run('cgi: catalog.cache and auth-cache are private, hold no password, follow their sources',
            caches)

    def unknown_plan():
        # A plans= entry that names nothing in the catalog (osbroker(8)
        # CREDENTIALS): refused at start, naming the line; under CGI every
        # request is a start, answered 503 until the line is fixed.
        creds = os.path.join(stack.tmp, 'credentials')
        with open(creds) as fh:
            text = fh.read()
        line = text.count('\n') + 1
        with open(stack.cgi_log, 'rb') as fh:
            seen = len(fh.read())
        try:
            _write_catalog(creds, text + 'plat-x:$y$j9T$%s:plans=itest-db/no-such-plan\n'
                           % ('x' * 43), 5)
            expect(ctx.c.get('/v2/catalog'), 503)
            with open(stack.cgi_log, 'rb') as fh:
                log = fh.read()[seen:].decode('utf-8', 'replace')
            want = '%s:%d: user "plat-x": plans=: entry 1: service "itest-db" has no plan ' \
                '"no-such-plan"' % (creds, line)
            check(want in log, 'the log does not say %r: %r', want, log[-600:])
        finally:
            _write_catalog(creds, text, 10)
        expect(ctx.c.get('/v2/catalog'), 200)
    tap.run('cgi: a credentials line naming a plan not in the catalog -> 503, its line logged',
            unknown_plan)

    keep = {}

    def before_restart():
        iid, bid = new_id(), new_id('b')
        ctx.provision(iid, 'basic', {'k': 1})
        keep.update(iid=iid, bid=bid, creds=ctx.bind(iid, bid))
    tap.run('cgi: provision and bind before a restart', before_restart)

    def restart():
        problems = stack.stop()
        check(not problems, '; '.join(problems))
        stack.start()
        ctx.c = stack.client()
        ctx.assert_instance(keep['iid'], 'basic', {'k': 1})
        doc = expect(ctx.c.get(ctx.bpath(keep['iid'], keep['bid'])), 200)
        check(doc.get('credentials') == keep['creds'], 'credentials changed across the restart')
    tap.run('cgi: after stopping and starting nginx + fcgiwrap, the state is still there', restart)

    def bad_gateway():
        # fcgiwrap gone, nginx still up: nginx's 502, as JSON
        os.killpg(stack.spawner.pid, signal.SIGTERM)
        stack.spawner.wait(30)
        wait_for(lambda: not group_alive(stack.spawner.pid), 30, 'fcgiwrap and its children to exit')
        r = ctx.c.get('/v2/catalog')
        expect(r, 502)
    tap.run('cgi: the CGI runner down -> nginx answers 502 with a JSON body', bad_gateway)

    def clean_stop():
        problems = [p for p in stack.stop() if 'fcgiwrap had exited' not in p]
        check(not problems, '; '.join(problems))
    tap.run('cgi: nginx and fcgiwrap stop cleanly', clean_stop, step=True)

    check_logs(tap, stack, ctx.secrets, 'cgi: ')

    rc = tap.done()
    finish_tmp([stack], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
