#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""What the broker's processes do to the disk and the store, read with
strace (Debian's strace; skipped with a note when it is missing or cannot
trace, e.g. in a container that forbids ptrace):

  - Durable writes (LMDB).  The workers of a scripts/osbroker-serve stack
    are traced (`strace -f -y`) while clients provision, bind, unbind and
    deprovision side by side.  For every acknowledged write (a 2xx to a
    PUT, PATCH or DELETE) the worker that answered it called fdatasync() or
    fsync() on the store's data file after its last write to that file and
    before it wrote the response to nginx's socket: a 2xx never precedes
    the sync that covers its commit, however the syncs are shared
    (store_lmdb.c, lmdb_commit()).  Every acknowledged write must be
    found in the trace.
  - A CGI process that answers GET /v2/catalog opens neither the store's
    files (LMDB's data.mdb and lock.mdb) nor a connection to PostgreSQL;
    one that answers GET for an instance does (the control that shows the
    trace sees them).

    python3 tests/integration/test_syncs.py
    OSB_STORE=postgresql python3 tests/integration/test_syncs.py  (CGI part)
"""

import base64
import concurrent.futures
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, CgiStack, expect, FIXTURES, finish_tmp,
                     make_tmpdir, pg_store, ServeStack, store_for, Tap, wait_for)
from cases import Ctx

WRITERS = 8         # clients at once
ROUNDS = 5          # instances per client: provision, 2 binds, 2 unbinds, deprovision

# One traced system call: "TIME name(args) = result <SECONDS>" (-ttt -T).
# -f -ff writes one file per process, so no call is split into
# "unfinished ... resumed" halves.  TIME is when strace saw the call enter
# (the call has not run yet) and TIME + SECONDS when it saw it return (it
# has run): one tracer stamps every process's calls with one clock, so
# these order calls across processes.
CALL = re.compile(r'^(\d+\.\d+) (\w+)\((.*)\)\s+=\s+(-?\d+|\?)(?:.*<(\d+\.\d+)>)?\s*$')
FD_PATH = re.compile(r'^(\d+)<([^>]*)>')
STATUS = re.compile(r'Status: (\d{3})')


def strace_usable():
    """None when strace can trace a child here, else why not."""
    if shutil.which('strace') is None:
        return 'strace is not installed (apt-get install strace)'
    r = subprocess.run(['strace', '-f', '-e', 'trace=none', 'true'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
    if r.returncode != 0:
        return 'strace cannot trace here: %s' % r.stderr.decode(errors='replace').strip()[:200]
    return None


def parse_calls(path):
    """[(name, fd path or '', result, args, entered, returned)] of one
    process's trace file (times in seconds; returned is entered when the
    call's duration is not printed)."""
    out = []
    with open(path, errors='replace') as f:
        for line in f:
            m = CALL.match(line)
            if not m:
                continue
            t, name, args, res, dur = m.groups()
            fm = FD_PATH.match(args)
            entered = float(t)
            out.append((name, fm.group(2) if fm else '', res, args, entered,
                        entered + float(dur or 0)))
    return out


def data_syncs(calls):
    """[(entered, returned)] of the successful flushes of data.mdb."""
    return [(e, r) for name, path, res, _, e, r in calls
            if path.endswith('/data.mdb') and name in ('fdatasync', 'fsync') and res == '0']


def acknowledged_writes(calls):
    """The response writes of one worker: [(status, last, answered)] where
    last is when its last write to data.mdb before this response returned
    (None: it wrote nothing yet) and answered when the response's write
    entered, in call order."""
    last = None
    found = []
    for name, path, res, args, entered, returned in calls:
        if path.endswith('/data.mdb') and name in (
                'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2'):
            last = returned
        elif path.startswith('socket:') and name in ('write', 'writev', 'sendmsg', 'sendto'):
            m = STATUS.search(args)
            if m:
                found.append((int(m.group(1)), last, entered))
    return found


def covered(last, answered, syncs):
    """Whether a flush of the data file started after `last` (the
    worker's last write to it) and returned before `answered`."""
    return last is None or any(last < e and r < answered for e, r in syncs)


def run_durable(tap, why_not):
    if pg_store():
        tap.skip('every acknowledged write was synced to the data file before its answer',
                 'LMDB\'s own: on PostgreSQL an answer follows COMMIT (test_pg_pipeline.py)')
        return
    if why_not:
        tap.skip('every acknowledged write was synced to the data file before its answer', why_not)
        return
    tmp = make_tmpdir('syncs')
    catalog = os.path.join(tmp, 'catalog.yml')
    shutil.copy(os.path.join(FIXTURES, 'catalog.yml'), catalog)
    stack = ServeStack(tmp=tmp, catalog=catalog, workers=2)
    tap.stacks.append(stack)
    state = {}

    def start():
        stack.start()
        state['ctx'] = Ctx(stack, stack.client())
        state['workers'] = stack.pids()['workers']
        check(len(state['workers']) == 2, 'want 2 workers, found %s', state['workers'])
    if not tap.run('a stack of two FastCGI workers on LMDB starts', start, step=True):
        stack.stop()
        return

    prefix = os.path.join(tmp, 'trace')
    argv = ['strace', '-f', '-ff', '-y', '-ttt', '-T', '-s', '96', '-o', prefix, '-e',
            'trace=write,writev,pwrite64,pwritev,pwritev2,fdatasync,fsync,sendmsg,sendto']
    for pid in state['workers']:
        argv += ['-p', str(pid)]
    err = open(os.path.join(tmp, 'strace.err'), 'w+')
    tracer = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=err)
    acked = {'n': 0}

    def attached():
        wait_for(lambda: tracer.poll() is not None or
                 len(re.findall(r'attached', open(err.name).read())) >= 2,
                 30, 'strace to attach to both workers')
        check(tracer.poll() is None, 'strace exited: %s', open(err.name).read()[-300:])
    if not tap.run('strace attaches to both workers', attached, step=True):
        tracer.kill()
        stack.stop()
        return

    ctx = state['ctx']

    def client_load(k):
        n = 0
        for r in range(ROUNDS):
            iid = 'sync-%d-%d-%s' % (k, r, uuid.uuid4().hex[:8])
            ctx.provision(iid)
            n += 1
            for b in ('b1', 'b2'):
                ctx.bind(iid, b)
                n += 1
            for b in ('b1', 'b2'):
                expect(ctx.c.delete(ctx.bpath(iid, b) + '?' + ctx.query('basic')), 200)
                n += 1
            expect(ctx.c.delete(ctx.ipath(iid) + '?' + ctx.query('basic')), 200)
            n += 1
        return n

    def load():
        with concurrent.futures.ThreadPoolExecutor(WRITERS) as ex:
            acked['n'] = sum(ex.map(client_load, range(WRITERS)))
    tap.run('%d clients provision, bind, unbind and deprovision at once (%d writes each)'
            % (WRITERS, ROUNDS * 6), load)
    # The last answers are written before the client sees them, so they are
    # in the trace by now; stop it and let it flush.
    tracer.send_signal(signal.SIGINT)
    try:
        tracer.wait(30)
    except subprocess.TimeoutExpired:
        tracer.kill()
        tracer.wait()

    def every_ack_synced():
        per_worker, syncs, own = [], [], {}
        for path in glob.glob(prefix + '.*'):
            calls = parse_calls(path)
            per_worker.append((path, acknowledged_writes(calls)))
            own[path] = data_syncs(calls)
            syncs += own[path]
        twoxx = [(path, last, answered) for path, found in per_worker
                 for status, last, answered in found if 200 <= status < 300]
        check(acked['n'] > 0, 'no write was acknowledged')
        check(len(twoxx) == acked['n'], 'the trace shows %d answers 2xx, the clients got %d',
              len(twoxx), acked['n'])
        unsynced = sum(1 for _, last, answered in twoxx if not covered(last, answered, syncs))
        check(unsynced == 0, '%d of %d acknowledged writes were answered before a flush of '
              'the data file that started after their last write to it had returned',
              unsynced, len(twoxx))
        # How the flushes were shared (not asserted: it depends on timing):
        # answers that no flush of their own worker covered.
        by_other = sum(1 for path, last, answered in twoxx
                       if not covered(last, answered, own[path]))
        print('# %d acknowledged writes, each answered after a flush that covered it; '
              '%d flushes of the data file in all; %d answers covered only by another '
              "worker's flush" % (len(twoxx), len(syncs), by_other))
    tap.run('every acknowledged write was synced to the data file before its answer',
            every_ack_synced)

    def clean_stop():
        problems = stack.stop()
        check(not problems, '; '.join(problems))
    tap.run('the traced stack stops cleanly', clean_stop, step=True)
    err.close()


def cgi_env(stack, method, path):
    auth = base64.b64encode(('%s:%s' % (stack.username, stack.password)).encode()).decode()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('OSBROKER_') and not k.startswith('HTTP_')}
    env.update({
        'GATEWAY_INTERFACE': 'CGI/1.1', 'SERVER_PROTOCOL': 'HTTP/1.1',
        'REQUEST_METHOD': method, 'SCRIPT_NAME': '/osbroker.cgi',
        'REQUEST_URI': path, 'DOCUMENT_URI': path, 'QUERY_STRING': '',
        'REMOTE_ADDR': '127.0.0.1', 'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
        'HTTP_AUTHORIZATION': 'Basic ' + auth, 'HTTP_X_BROKER_API_VERSION': '2.17',
        'OSBROKER_STATE_DIR': stack.state_dir, 'OSBROKER_CATALOG': stack.catalog,
        'OSBROKER_CREDENTIALS': os.path.join(stack.tmp, 'credentials'),
    })
    store = store_for(stack.state_dir)
    if store:
        env['OSBROKER_STORE'] = store
    return env


def traced_cgi(stack, tmp, method, path, tag):
    """Run the CGI program once under strace: (status, [opened paths], connects)."""
    out = os.path.join(tmp, 'cgi-%s.trace' % tag)
    r = subprocess.run(['strace', '-f', '-o', out, '-e', 'trace=open,openat,connect',
                        stack.binary], env=cgi_env(stack, method, path),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    m = STATUS.search(r.stdout.decode(errors='replace'))
    opened, connects = [], 0
    with open(out) as f:
        for line in f:
            m2 = re.search(r'open(?:at)?\((?:[^,]*, )?"([^"]*)"', line)
            if m2 and not re.search(r'= -1 ', line):
                opened.append(m2.group(1))
            if re.search(r'\bconnect\(\d+, \{sa_family=AF_INET', line):
                connects += 1
    return (int(m.group(1)) if m else None), opened, connects


def run_cgi(tap, why_not):
    name = 'a CGI GET /v2/catalog opens no store file and no database connection'
    if why_not:
        tap.skip(name, why_not)
        return
    tmp = make_tmpdir('syncs-cgi')
    stack = CgiStack(tmp=tmp)
    tap.stacks.append(stack)
    state = {}

    def start():
        stack.start()
        ctx = Ctx(stack, stack.client())
        state['iid'] = 'cgi-sync-' + uuid.uuid4().hex[:8]
        ctx.provision(state['iid'])
    if not tap.run('a CGI stack starts and provisions an instance', start, step=True):
        stack.stop()
        return

    def store_files(opened):
        return [p for p in opened if os.path.basename(p) in ('data.mdb', 'lock.mdb')]

    def control():
        status, opened, connects = traced_cgi(stack, tmp, 'GET',
                                              '/v2/service_instances/' + state['iid'], 'instance')
        check(status == 200, 'GET instance through the traced CGI program: status %r', status)
        if pg_store():
            check(connects >= 1, 'no connection to PostgreSQL seen for GET instance')
        else:
            check(store_files(opened), 'no store file opened for GET instance: %s', opened)
    tap.run('a CGI GET of an instance opens the store (the trace sees it)', control)

    def catalog():
        status, opened, connects = traced_cgi(stack, tmp, 'GET', '/v2/catalog', 'catalog')
        check(status == 200, 'GET /v2/catalog through the traced CGI program: status %r', status)
        check(not store_files(opened), 'the catalog request opened %s', store_files(opened))
        check(connects == 0, 'the catalog request connected %d time(s) to a server', connects)
    tap.run(name, catalog)

    def clean_stop():
        problems = stack.stop()
        check(not problems, '; '.join(problems))
    tap.run('the CGI stack stops cleanly', clean_stop, step=True)


def main():
    tap = Tap()
    why_not = strace_usable()
    run_durable(tap, why_not)
    run_cgi(tap, why_not)
    rc = tap.done()
    finish_tmp(tap.stacks, rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
