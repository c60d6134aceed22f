#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""The FastCGI path, as `make run` serves it: scripts/osbroker-serve (nginx +
spawn-fcgi + multiwatch) on a free loopback port with a temporary state
directory and a temporary copy of tests/integration/fixtures/catalog.yml.
Every case of cases.py, then the logs are searched for secrets and sanitizer
reports, and the stop must leave nothing behind.

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_fastcgi.py
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FIXTURES, ServeStack, Tap, check, check_logs, finish_tmp, make_tmpdir
from cases import CASES, Ctx


def main():
    tap = Tap()
    tmp = make_tmpdir('fastcgi')
    catalog = os.path.join(tmp, 'catalog.yml')
    shutil.copy(os.path.join(FIXTURES, 'catalog.yml'), catalog)
    stack = ServeStack(tmp=tmp, catalog=catalog, workers=2)
    tap.stacks.append(stack)
    print('# broker: %s' % stack.binary)
    ctx = None

    def start():
        nonlocal ctx
        stack.start()
        ctx = Ctx(stack, stack.client())
    if not tap.run('osbroker-serve starts (nginx + spawn-fcgi workers) and serves the catalog', start, step=True):
        stack.stop()
        tap.bail('the stack did not start')
        return tap.done()

    workers_before = stack.pids()['workers']

    def workers_started():
        check(len(workers_before) == 2, 'want 2 workers under multiwatch, found %s', workers_before)
    tap.run('two FastCGI workers run under multiwatch', workers_started)

    for name, fn, _ in CASES:
        tap.run(name, fn, ctx)

    def workers_survived():
        now = stack.pids()['workers']
        check(now == workers_before, 'workers were restarted (a crash?): before %s, now %s',
              workers_before, now)
    tap.run('no worker died during the run (same worker pids)', workers_survived)

    def clean_stop():
        problems = stack.stop()
        check(not problems, '; '.join(problems))
    tap.run('SIGTERM stops everything: no process, no listener, no socket, no pid file', clean_stop, step=True)

    check_logs(tap, stack, ctx.secrets)

    rc = tap.done()
    finish_tmp([stack], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
