#!/usr/bin/env python3
"""The CGI path: nginx (conf/nginx/osbroker-cgi.conf) + fcgiwrap, both
started here on a free loopback port, running the broker as a CGI program
(cgi-bin/osbroker.cgi, or $OSBROKER_BIN) once per request.  The cases of
cases.py marked cgi=True, persistence across a restart of the whole stack,
nginx's own 502 as JSON, and the log checks.
"""

import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (FIXTURES, CgiStack, Tap, check, check_logs, expect, finish_tmp,
                     group_alive, make_tmpdir, wait_for)
from cases import CASES, Ctx, new_id


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
    if not tap.run('nginx + fcgiwrap start and the CGI broker serves the catalog', start):
        stack.stop()
        tap.bail('the CGI stack did not start')
        return tap.done()

    for name, fn, cgi in CASES:
        if cgi:
            tap.run('cgi: ' + name, fn, ctx)

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
    tap.run('cgi: nginx and fcgiwrap stop cleanly', clean_stop)

    check_logs(tap, stack, ctx.secrets, 'cgi: ')

    rc = tap.done()
    finish_tmp([stack], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
