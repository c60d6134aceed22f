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

    def tunables(pid):
        """GLIBC_TUNABLES as the worker's current program started with it
        (glibc cuts the value at its first ':' in place: the first entry)."""
        with open('/proc/%d/environ' % pid, 'rb') as f:
            for e in f.read().split(b'\0'):
                if e.startswith(b'GLIBC_TUNABLES='):
                    return e.decode(errors='replace')[len('GLIBC_TUNABLES='):]
        return None

    def malloc_tuned():
        check(os.environ.get('GLIBC_TUNABLES') is None,
              'the test runs with GLIBC_TUNABLES set: %s', os.environ.get('GLIBC_TUNABLES'))
        for pid in workers_before:
            got = tunables(pid)
            check(got == 'glibc.malloc.tcache_count=128',
                  'worker %d runs with GLIBC_TUNABLES=%r, want glibc.malloc.tcache_count=128 '
                  '(main.c, tune_malloc())', pid, got)
    tap.run("a worker started without GLIBC_TUNABLES runs with glibc's larger cache of freed "
            "blocks (it started itself again with glibc.malloc.tcache_count=128)", malloc_tuned)

    def named_as_program():
        want = os.path.basename(stack.binary)[:15]
        for pid in workers_before:
            with open('/proc/%d/comm' % pid) as f:
                comm = f.read().strip()
            exe = os.readlink('/proc/%d/exe' % pid)
            check(comm == want, 'worker %d is named %r in ps and top, want %r (started again '
                  'as /proc/self/exe?)', pid, comm, want)
            check(os.path.samefile(exe, stack.binary), 'worker %d runs %s, want %s',
                  pid, exe, stack.binary)
    tap.run('a worker started again for the cache keeps its name in ps, top and pidof '
            "(its program's, not \"exe\")", named_as_program)

    def operators_tunables():
        own = ServeStack(tmp=make_tmpdir('fastcgi-tunables'), catalog=catalog, workers=1,
                         extra_env={'GLIBC_TUNABLES': 'glibc.malloc.tcache_count=7'})
        tap.stacks.append(own)
        try:
            own.start()
            pids = own.pids()['workers']
            check(len(pids) == 1, 'want 1 worker, found %s', pids)
            got = tunables(pids[0])
            check(got == 'glibc.malloc.tcache_count=7',
                  "the operator's GLIBC_TUNABLES became %r", got)
            status = own.client().get('/v2/catalog').status
            check(status == 200, 'GET /v2/catalog: %s', status)
        finally:
            problems = own.stop()
        check(not problems, '; '.join(problems))
    tap.run("an operator's own glibc.malloc.tcache_count is kept, and the worker serves",
            operators_tunables)

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
