#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Robustness of the FastCGI stack (scripts/osbroker-serve): workers killed
under load, conflicting requests racing on the same ids, and a state store
that is full or stops being writable.  Every check compares what the broker
acknowledged with what it stored.

  kill        6 client threads provision / bind / unbind / deprovision their
              own ids for KILL_SECONDS while a worker is SIGKILLed every
              0.3-1 s.  Each id's answers are replayed against a model of
              the broker (a set of states it may be in: an unknown outcome,
              i.e. a transport error or nginx's 502/503/504, may or may not
              have happened); every definite answer must be possible and the
              final store must be one of the possible states.  Then
              mdb_stat, `osbroker --verify`, and normal service.
  supervision one worker killed eight times in a row must still be replaced
              (osbroker(8): multiwatch "replaces any worker that dies").
  race        8 threads send conflicting PUT / PATCH / DELETE on 3 instances
              and PUT / DELETE on a binding of each for RACE_SECONDS; the
              history (with the final reads) must be linearizable against
              the serial semantics (Wing & Gong / Lowe search), one 201 per
              lifetime, no orphaned binding.
  storage     OSBROKER_MAP_SIZE=1m filled up (503, nothing partial,
              recoverable); the state directory on an ext4 image that goes
              read-only under the running workers (remount,abort, as with
              errors=remount-ro); workers started while the state directory
              is read-only (a read-only bind mount; chmod when not root).

As root the suite re-executes itself in a private mount namespace
(unshare -m), so that its mounts are invisible to the rest of the machine
and disappear with it.  Without mount permission the mount cases are
skipped with the reason.

Under OSB_STORE=postgresql (harness.py) the store is read with psql instead
of mdb_stat and mdb_dump, and the storage cases are skipped: the LMDB map,
and a state directory that holds the store, are LMDB's alone.

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_robustness.py
"""

import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (REPO, ServeStack, Tap, broker_bin, check, check_logs, expect, finish_tmp,
                     make_tmpdir, pg_store, pid_alive, store_for, store_snapshot, wait_for)
from cases import Ctx, new_id

KILL_SECONDS = 60        # the kill storm
KILL_CLIENTS = 6         # client threads during the storm
KILL_PAUSE = (0.3, 1.0)  # seconds between two kills
RACE_SECONDS = 15
RACE_THREADS = 8
MAX_BLOB = 100000        # bytes of parameters per provision in the map-full case
REQUEST_TIMEOUT = 30     # per request; nginx itself gives up after 60 s
# What osbroker-serve gives multiwatch (-r 100 -t 1000): a child that dies
# within RETRY_WINDOW seconds of its start counts as a failed start, and after
# RETRIES of those in a row multiwatch stops replacing it.  The killer stays
# below that; the supervision test kills one worker SUPERVISION_KILLS times
# in a row (more than multiwatch's own default of 3 would survive).
MULTIWATCH_RETRIES = 100
MULTIWATCH_RETRY_WINDOW = 1.0
SUPERVISION_KILLS = 8
# Secrets handed to harness.check_logs per stack (it searches every log for
# each one; the kill storm hands out tens of thousands).  All of them are
# checked at once by no_secret_tokens().
CHECK_LOGS_SECRETS = 50

UNKNOWN = 'unknown'
NGINX_ERRORS = ('Bad Gateway:', 'Service Unavailable: try again later', 'Gateway Timeout:')
MNTNS_MARK = 'OSBROKER_ITEST_MNTNS'


# --------------------------------------------------------------------------- helpers

def rel(path):
    return os.path.relpath(path, REPO) if path.startswith(REPO + os.sep) else path


def send(c, method, path, body=None, timeout=REQUEST_TIMEOUT):
    """(Response, None) or (None, why) for a transport failure."""
    try:
        return c.request(method, path, body=body, timeout=timeout), None
    except (OSError, http.client.HTTPException) as e:
        return None, '%s: %s' % (type(e).__name__, e)


def from_nginx(r):
    """Is this nginx's own 502/503/504 (the worker died or did not answer)?"""
    if r.status not in (502, 503, 504):
        return False
    try:
        doc = json.loads(r.body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError):
        return True
    desc = doc.get('description', '') if isinstance(doc, dict) else ''
    return not isinstance(desc, str) or desc.startswith(NGINX_ERRORS)


def live_workers(stack):
    return [p for p in stack.pids()['workers'] if pid_alive(p)]


def worker_log(stack):
    try:
        with open(os.path.join(stack.run_dir, 'osbroker.log'), 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    except OSError:
        return ''


def log_lines(stack, needle, n=5):
    return [l for l in worker_log(stack).splitlines() if needle in l][-n:]


def broker_env(stack):
    e = {k: v for k, v in os.environ.items() if not k.startswith('OSBROKER_')}
    e.update({k: v for k, v in stack.extra_env.items() if k.startswith('OSBROKER_')})
    e['OSBROKER_STATE_DIR'] = stack.state_dir
    e['OSBROKER_CATALOG'] = stack.catalog
    e['OSBROKER_CREDENTIALS'] = os.path.join(stack.run_dir, 'credentials')
    store = store_for(stack.state_dir)
    if store:
        e['OSBROKER_STORE'] = store
    return e


def run_verify(stack):
    """`osbroker --verify` on the stack's state: (supported, returncode, output).
    A binary that cannot be executed (being rebuilt) is tried again for 10 s."""
    for attempt in range(11):
        try:
            p = subprocess.run([stack.binary, '--verify'], env=broker_env(stack), capture_output=True,
                               text=True, timeout=120, stdin=subprocess.DEVNULL)
            break
        except OSError as e:
            if attempt == 10:
                return True, -1, 'cannot run %s --verify: %s' % (stack.binary, e)
            time.sleep(1)
        except subprocess.TimeoutExpired:
            return True, -1, '%s --verify did not finish within 120 s' % stack.binary
    out = (p.stdout + p.stderr).strip()
    if p.returncode == 2 and 'usage' in out.lower() and 'verify' not in p.stdout.lower():
        return False, p.returncode, out
    return True, p.returncode, p.stdout.strip() + ('\n' + p.stderr.strip() if p.stderr.strip() else '')


def verify_ok(rc, out):
    return rc == 0 and any(l.startswith('ok:') for l in out.splitlines())


def tap_verify(tap, name, stack):
    supported, rc, out = run_verify(stack)
    if not supported:
        tap.skip(name, '%s has no --verify yet (exit 2: %s)'
                 % (rel(stack.binary), out.splitlines()[0] if out else 'no output'))
        return

    def t():
        check(verify_ok(rc, out), 'osbroker --verify exited %d:\n%s', rc, out[-3000:])
        print('# %s' % out.splitlines()[0][:200])
    tap.run(name, t)


def mdb_stat(state_dir):
    """What the store holds, read without the broker: LMDB by mdb_stat -a
    (every database listed), PostgreSQL by psql (store_snapshot)."""
    if pg_store():
        snap = store_snapshot(state_dir)
        return '%d instance and %d binding records (psql)' % (len(snap['instances']),
                                                             len(snap['bindings']))
    check(shutil.which('mdb_stat'), 'mdb_stat is not installed (lmdb-utils)')
    p = subprocess.run(['mdb_stat', '-a', state_dir], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, 'mdb_stat -a %s exited %d: %s', state_dir, p.returncode,
          (p.stderr or p.stdout)[-1000:])
    missing = [db for db in ('instances', 'bindings', 'meta', 'gone')
               if 'Status of %s\n' % db not in p.stdout]
    check(not missing, 'mdb_stat -a lists no database %s:\n%s', missing, p.stdout[-1500:])
    m = re.search(r'Status of instances\n(?:  .*\n)*?  Entries: (\d+)', p.stdout)
    b = re.search(r'Status of bindings\n(?:  .*\n)*?  Entries: (\d+)', p.stdout)
    return '%s instance and %s binding records' % (m.group(1) if m else '?', b.group(1) if b else '?')


def store_records(state_dir, db):
    """{key: value} of one database, read with mdb_dump (a read transaction),
    or with psql under OSB_STORE=postgresql."""
    if pg_store():
        return {k: v.decode('utf-8', 'replace') for k, v in store_snapshot(state_dir)[db].items()}
    check(shutil.which('mdb_dump'), 'mdb_dump is not installed (lmdb-utils)')
    p = subprocess.run(['mdb_dump', '-p', '-s', db, state_dir], capture_output=True, timeout=120)
    check(p.returncode == 0, 'mdb_dump -s %s exited %d: %s', db, p.returncode,
          p.stderr.decode(errors='replace'))
    lines = p.stdout.decode('utf-8', 'replace').split('\n')
    try:
        start = lines.index('HEADER=END') + 1
        end = lines.index('DATA=END', start)
    except ValueError:
        raise AssertionError('mdb_dump -s %s: unexpected output %r' % (db, p.stdout[:300]))
    body = lines[start:end]
    check(len(body) % 2 == 0, 'mdb_dump -s %s: odd number of lines', db)

    def unescape(s):
        # mdb_dump -p: a leading space; "\\" for a backslash, "\xx" for other bytes
        s = s[1:]
        return re.sub(r'\\(\\|[0-9a-fA-F]{2})',
                      lambda m: '\\' if m.group(1) == '\\' else chr(int(m.group(1), 16)), s)
    return {unescape(body[i]): unescape(body[i + 1]) for i in range(0, len(body), 2)}


def orphaned_bindings(state_dir):
    """Binding records whose key is not "<iid>/<bid>" of a stored instance."""
    inst = store_records(state_dir, 'instances')
    binds = store_records(state_dir, 'bindings')
    bad = []
    for k in binds:
        iid, sep, bid = k.partition('/')
        if not sep or not bid or '/' in bid or iid not in inst:
            bad.append(k)
    return bad, len(inst), len(binds)


def no_secret_tokens(stack, secrets):
    """Every secret at once: each run of token characters in the logs, and
    each of its substrings as long as a secret, against the set of secrets."""
    tokens = set()
    for path in stack.log_files():
        with open(path, 'rb') as f:
            tokens.update(re.findall(rb'[A-Za-z0-9_.~+/=%-]{8,}', f.read()))
    wanted = set(secrets)
    lengths = sorted({len(x) for x in wanted})
    found = set()
    for t in tokens:
        t = t.decode('latin-1')
        for n in lengths:
            for i in range(len(t) - n + 1):
                if t[i:i + n] in wanted:
                    found.add(t[i:i + n])
    check(not found, '%d secret(s) appear in the logs of %s, e.g. %s...', len(found), stack.tmp,
          sorted(found)[0][:4] if found else '')


def sample(seq, n):
    seq = list(seq)
    if len(seq) <= n:
        return seq
    step = len(seq) / float(n)
    return [seq[int(i * step)] for i in range(n)]


def stop_quietly(stack):
    try:
        if stack.proc is not None:
            return stack.stop()
    except Exception as e:      # cleanup must go on with the other stacks
        return ['stop failed: %s' % e]
    return []


def guarded(tap, name, fn, *args):
    """Run one test function; should it crash outside tap.run, say so as a
    failed test and go on (the stacks are stopped by main either way)."""
    try:
        fn(*args)
    except Exception:
        tb = traceback.format_exc()

        def crashed():
            raise AssertionError(tb)
        tap.run('%s: the test itself crashed' % name, crashed)


# --------------------------------------------------------------------------- mount namespace

def enter_private_mount_namespace():
    """As root, re-execute this suite in a private mount namespace.  Returns
    why mounting is not possible (None when it is)."""
    if os.environ.get(MNTNS_MARK) == '1':
        return None
    if os.geteuid() != 0:
        return 'not root'
    unshare = shutil.which('unshare')
    if not unshare:
        return 'unshare (util-linux) is not installed'
    try:
        p = subprocess.run([unshare, '-m', '--propagation', 'private', 'true'],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 'unshare -m failed: %s' % e
    if p.returncode != 0:
        return 'unshare -m is refused here: %s' % p.stderr.strip()
    sys.stdout.flush()
    env = dict(os.environ)
    env[MNTNS_MARK] = '1'
    os.execve(unshare, [unshare, '-m', '--propagation', 'private', '--', sys.executable, '-u',
                        os.path.abspath(__file__)] + sys.argv[1:], env)
    return 'exec failed'


def mount_probe():
    """Why mounts cannot be made here (None when a read-only bind mount works)."""
    d = make_tmpdir('mount-probe')
    try:
        rc, out = run_cmd('mount', '--bind', d, d)
        if rc != 0:
            return 'mount --bind is refused here: %s' % out
        rc, out = run_cmd('mount', '-o', 'remount,ro,bind', d)
        ro = not writable(d)
        umount(d)
        if rc != 0 or not ro:
            return 'mount -o remount,ro,bind does not work here: %s' % (out or 'still writable')
        return None
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run_cmd(*cmd):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)
    return p.returncode, (p.stderr or p.stdout).strip()


def mount(*args):
    rc, out = run_cmd('mount', *args)
    check(rc == 0, 'mount %s: %s', ' '.join(args), out)


def umount(path):
    for _ in range(50):
        rc, out = run_cmd('umount', path)
        if rc == 0 or 'not mounted' in out:
            return
        time.sleep(0.1)
    run_cmd('umount', '-l', path)


def writable(d):
    probe = os.path.join(d, '.probe-%s' % uuid.uuid4().hex[:8])
    try:
        with open(probe, 'w') as f:
            f.write('x')
        os.unlink(probe)
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------- kill storm

class IdModel:
    """The states one instance id (with its bindings) may be in, given the
    answers so far.  A state is (instance body key or None, frozenset of
    (binding id, binding body key)).  Requests on an id come from one thread,
    one after the other, so the order is known; only outcomes may be unknown."""

    def __init__(self, iid):
        self.iid = iid
        self.states = {(None, frozenset())}
        self.history = []       # (request, outcome)
        self.problems = []
        self.unknown = 0
        self.bids = set()
        self.gave_up = False

    @staticmethod
    def spec(state, op):
        inst, binds = state
        kind = op[0]
        if kind == 'put_i':
            if inst is None:
                return 201, (op[1], frozenset())
            return (200 if inst == op[1] else 409), state
        if kind == 'put_b':
            if inst is None:
                return 404, state
            d = dict(binds)
            if op[1] in d:
                return (200 if d[op[1]] == op[2] else 409), state
            return 201, (inst, binds | {(op[1], op[2])})
        if kind == 'del_b':
            if op[1] in dict(binds):
                return 200, (inst, frozenset(x for x in binds if x[0] != op[1]))
            return 410, state
        if kind == 'del_i':
            if inst is None:
                return 410, state
            return 200, (None, frozenset())
        raise ValueError(op)

    def observe(self, op, text, outcome):
        self.history.append((text, outcome))
        if self.gave_up:
            return
        if outcome == UNKNOWN:
            self.unknown += 1
            self.states = self.states | {self.spec(s, op)[1] for s in self.states}
        else:
            nxt, predicted = set(), set()
            for s in self.states:
                st, ns = self.spec(s, op)
                predicted.add(st)
                if st == outcome:
                    nxt.add(ns)
            if not nxt:
                self.problems.append('%s -> %s, but after the answers before it only %s was possible; '
                                     'the requests up to it:\n%s'
                                     % (text, outcome, '/'.join(map(str, sorted(predicted))),
                                        '\n'.join('      %s -> %s' % h for h in self.history[-8:])))
                nxt = self.states | {self.spec(s, op)[1] for s in self.states}
            self.states = nxt
        if len(self.states) > 4096:
            self.gave_up = True
            self.problems.append('too many unknown outcomes in a row to follow this id')

    def recent(self, n=12):
        return ['    %s -> %s' % h for h in self.history[-n:]]


def register(tap, stacks, stack, label):
    """A stack of this suite: labelled, stopped at the end, its logs shown on failure."""
    stack.label = label
    stacks.append(stack)
    tap.stacks.append(stack)
    return stack


def kill_test(tap, stacks, secrets):
    stack = register(tap, stacks, ServeStack(workers=2), 'kill')
    st = {}

    def start():
        stack.start()
        st['ctx'] = Ctx(stack, stack.client())
        w = live_workers(stack)
        check(len(w) == 2, 'want 2 workers, found %s', w)
    if not tap.run('kill: osbroker-serve with 2 workers starts', start, step=True):
        return
    ctx = st['ctx']
    q = ctx.query('basic')
    models = {}
    counts = {'sent': 0, '2xx': 0, '4xx': 0, 'transport': 0, 'nginx': 0}
    unexpected = []
    lock = threading.Lock()
    stop = threading.Event()
    kstats = {'kills': 0, 'restarted': 0, 'waits': 0}
    kproblems = []
    verify_runs = []

    def client(t):
        rnd = random.Random(t)
        pool = ['kill-%d-%d-%s' % (t, k, uuid.uuid4().hex[:8]) for k in range(2)]
        with lock:
            for iid in pool:
                models[iid] = IdModel(iid)
        n = 0
        while not stop.is_set():
            iid = pool[n % 2]
            m = models[iid]
            params = {'t': t, 'n': n}
            body = ctx.prov_body('basic', params, organization_guid='org-kill', space_guid='space-%d' % t)
            ikey = json.dumps(params, sort_keys=True)
            bid = 'kb-%d-%d' % (t, n)
            bparams = {'n': n}
            bbody = ctx.bind_body('basic', bparams, bind_resource={'app_guid': 'app-kill-%d' % t})
            bkey = json.dumps(bparams, sort_keys=True)
            m.bids.add(bid)
            steps = [('PUT', ctx.ipath(iid), body, ('put_i', ikey))]
            if n % 4 == 1:
                steps.append(('PUT', ctx.ipath(iid), body, ('put_i', ikey)))     # identical: 200
            steps.append(('PUT', ctx.bpath(iid, bid), bbody, ('put_b', bid, bkey)))
            if n % 3 != 2:
                steps.append(('DELETE', ctx.bpath(iid, bid) + '?' + q, None, ('del_b', bid)))
            steps.append(('DELETE', ctx.ipath(iid) + '?' + q, None, ('del_i',)))
            if n % 3 == 2:      # the deprovision removed it: 410, and nothing comes back
                steps.append(('DELETE', ctx.bpath(iid, bid) + '?' + q, None, ('del_b', bid)))
            if rnd.random() < 0.1:     # sometimes stop half-way: state left behind
                steps = steps[:rnd.randint(1, len(steps))]
            for method, path, b, op in steps:
                if stop.is_set():
                    break
                r, err = send(ctx.c, method, path, b)
                text = '%s %s' % (method, path.split('?')[0])
                with lock:
                    counts['sent'] += 1
                    if r is None:
                        counts['transport'] += 1
                        outcome = UNKNOWN
                    elif from_nginx(r):
                        counts['nginx'] += 1
                        outcome = UNKNOWN
                    elif 200 <= r.status < 300:
                        counts['2xx'] += 1
                        outcome = r.status
                    elif 400 <= r.status < 500:
                        counts['4xx'] += 1
                        outcome = r.status
                    else:
                        unexpected.append('%s -> %d %r' % (text, r.status, r.body[:200]))
                        outcome = UNKNOWN
                if r is not None and r.status in (200, 201) and op[0] == 'put_b':
                    try:
                        ctx.credentials_of(r.json, text)
                    except AssertionError as e:
                        unexpected.append(str(e))
                m.observe(op, text, outcome)
            n += 1

    def killer(deadline):
        born0 = time.monotonic()
        slots = {p: {'quick': 0, 'born': born0} for p in live_workers(stack)}
        while not stop.is_set() and time.monotonic() < deadline:
            stop.wait(random.uniform(*KILL_PAUSE))
            if stop.is_set():
                break
            now = time.monotonic()
            eligible = []
            for p in live_workers(stack):
                s = slots.get(p)
                if s is None:
                    slots[p] = {'quick': MULTIWATCH_RETRIES, 'born': now}   # not ours: be careful
                    continue
                after = 1 if now - s['born'] > MULTIWATCH_RETRY_WINDOW + 1 else s['quick'] + 1
                if after <= MULTIWATCH_RETRIES:
                    eligible.append((p, after))
            if not eligible:
                kstats['waits'] += 1    # both would exhaust multiwatch's retries: let them age
                continue
            p, after = random.choice(eligible)
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                continue
            kstats['kills'] += 1
            t_kill = time.monotonic()
            new = []
            while time.monotonic() < t_kill + 10:
                w = live_workers(stack)
                new = [x for x in w if x not in slots]
                if new and p not in w:
                    break
                time.sleep(0.02)
            else:
                kproblems.append('worker %d killed at %.1fs was not replaced within 10 s (workers now %s)'
                                 % (p, t_kill - born0, live_workers(stack)))
                stop.set()
                return
            del slots[p]
            for x in new:
                slots[x] = {'quick': after, 'born': time.monotonic()}
            kstats['restarted'] += len(new)

    def verifier():
        while not stop.wait(10):
            supported, rc, out = run_verify(stack)
            if not supported:
                return
            verify_runs.append((rc, out))

    def storm():
        t0 = time.monotonic()
        deadline = t0 + KILL_SECONDS
        threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(KILL_CLIENTS)]
        kt = threading.Thread(target=killer, args=(deadline,), daemon=True)
        vt = threading.Thread(target=verifier, daemon=True)
        for th in threads + [kt, vt]:
            th.start()
        while time.monotonic() < deadline and not stop.is_set():
            time.sleep(0.2)
            if stack.proc.poll() is not None:
                kproblems.append('osbroker-serve exited (%s) during the storm' % stack.proc.returncode)
                break
        stop.set()
        for th in threads + [kt, vt]:
            th.join(REQUEST_TIMEOUT + 30)
        hung = [th.name for th in threads + [kt, vt] if th.is_alive()]
        st['elapsed'] = time.monotonic() - t0
        print('# %.0f s, %d client threads: %d requests sent, %d 2xx, %d 4xx, %d unknown outcome '
              '(%d transport errors, %d nginx 502/503/504), %d other'
              % (st['elapsed'], KILL_CLIENTS, counts['sent'], counts['2xx'], counts['4xx'],
                 counts['transport'] + counts['nginx'], counts['transport'], counts['nginx'],
                 len(unexpected)))
        print('# %d workers SIGKILLed, %d restarted by multiwatch (the killer waited %d times '
              'to stay within its %d quick restarts per worker)'
              % (kstats['kills'], kstats['restarted'], kstats['waits'], MULTIWATCH_RETRIES))
        check(not hung, 'threads still running after the storm: %s', hung)
        check(not kproblems, '\n'.join(kproblems) + '\nosbroker.log:\n' +
              '\n'.join(worker_log(stack).splitlines()[-15:]))
        check(kstats['kills'] >= KILL_SECONDS // 4, 'only %d kills in %d s', kstats['kills'], KILL_SECONDS)
        check(kstats['restarted'] == kstats['kills'], '%d kills but %d replacements',
              kstats['kills'], kstats['restarted'])
        wait_for(lambda: len(live_workers(stack)) == 2, 15, '2 workers after the storm')
        check(counts['2xx'] > 0, 'no request succeeded')
        check(not unexpected, '%d answers that are neither 2xx, 4xx nor an nginx gateway error, e.g.:\n%s',
              len(unexpected), '\n'.join(unexpected[:10]))
    if not tap.run('kill: %d clients for %d s while a worker is SIGKILLed every %.1f-%.1f s (pausing '
                   'where a kill would exceed multiwatch\'s %d quick restarts); multiwatch replaces '
                   'every one; 2 workers afterwards'
                   % (KILL_CLIENTS, KILL_SECONDS, KILL_PAUSE[0], KILL_PAUSE[1], MULTIWATCH_RETRIES), storm):
        if stack.proc is not None and stack.proc.poll() is not None:
            return

    def answers_consistent():
        bad = [(iid, m) for iid, m in sorted(models.items()) if m.problems]
        msg = []
        for iid, m in bad[:5]:
            msg.append('%s: %s' % (iid, '\n  '.join(m.problems[:2])))
        check(not bad, '%d of %d ids got answers no serial history explains (a 2xx that should '
              'have been refused, or a 4xx for a change that had happened):\n%s',
              len(bad), len(models), '\n'.join(msg))
    tap.run('kill: every definite answer fits a serial history of its id (a 2xx made its change, '
            'a 4xx changed nothing, unknown outcomes either way)', answers_consistent)

    def final_state():
        recs = store_records(stack.state_dir, 'bindings')
        by_iid = {}
        for k, v in recs.items():
            iid, _, bid = k.partition('/')
            by_iid.setdefault(iid, {})[bid] = v
        bad, determined, checked_gets = [], 0, 0
        for iid, m in sorted(models.items()):
            r = ctx.c.get(ctx.ipath(iid))
            check(r.status in (200, 404), '%s', r)
            inst = json.dumps(r.json.get('parameters'), sort_keys=True) if r.status == 200 else None
            binds = set()
            for bid, v in by_iid.get(iid, {}).items():
                try:
                    p = json.loads(v).get('parameters')
                except ValueError:
                    p = v
                binds.add((bid, json.dumps(p, sort_keys=True)))
                g = ctx.c.get(ctx.bpath(iid, bid))
                checked_gets += 1
                check(g.status == 200, 'binding %s/%s is in the store but %s', iid, bid, g)
                ctx.credentials_of(g.json, 'GET binding')
            # bindings the model last saw made: they must answer as the store says
            for s in m.states:
                for bid, _ in s[1]:
                    if bid not in by_iid.get(iid, {}):
                        g = ctx.c.get(ctx.bpath(iid, bid))
                        checked_gets += 1
                        check(g.status == 404, 'binding %s/%s is not in the store but %s', iid, bid, g)
            observed = (inst, frozenset(binds))
            if len(m.states) == 1:
                determined += 1
            if not m.gave_up and observed not in m.states:
                bad.append('%s: stored %s with bindings %s; possible after its answers: %s\n%s'
                           % (iid, inst, sorted(b for b, _ in binds),
                              '; '.join('%s with %s' % (s[0], sorted(b for b, _ in s[1]))
                                        for s in list(m.states)[:4]),
                              '\n'.join(m.recent())))
        unknown_ids = sum(1 for m in models.values() if m.unknown)
        print('# %d instance ids, %d binding ids: final state fully determined by the answers for '
              '%d ids; %d ids saw unknown outcomes; %d GETs against the store'
              % (len(models), sum(len(m.bids) for m in models.values()), determined, unknown_ids,
                 checked_gets))
        check(not bad, '%d ids are stored in a state their answers rule out:\n%s', len(bad),
              '\n'.join(bad[:5]))
    tap.run('kill: the final store of every id matches its acknowledged requests (GET instance, '
            'the bindings database and GET binding agree)', final_state)

    def store_sound():
        print('# store: %s' % mdb_stat(stack.state_dir))
        bad, ni, nb = orphaned_bindings(stack.state_dir)
        check(not bad, '%d binding records without their instance: %s', len(bad), bad[:10])
    if pg_store():
        tap.run('kill: psql reads the store; no binding record without its instance', store_sound)
    else:
        tap.run('kill: mdb_stat -a reads the store (instances, bindings, meta, gone); no binding record '
                'without its instance (mdb_dump)', store_sound)

    supported, _, out = run_verify(stack)
    if not supported:
        tap.skip('kill: osbroker --verify during the storm (every 10 s) and after it',
                 '%s has no --verify yet (exit 2: %s)' % (rel(stack.binary), out.splitlines()[0] if out else ''))
    else:
        def verify_during():
            bad = [(rc, out) for rc, out in verify_runs if not verify_ok(rc, out)]
            check(not bad, '%d of %d runs during the storm failed, e.g. exit %s:\n%s', len(bad),
                  len(verify_runs), bad[0][0] if bad else '', bad[0][1][-2000:] if bad else '')
            supported, rc, out = run_verify(stack)
            check(verify_ok(rc, out), 'after the storm: exit %d:\n%s', rc, out[-3000:])
            print('# %d runs during the storm; after it: %s' % (len(verify_runs), out.splitlines()[0][:200]))
        tap.run('kill: osbroker --verify during the storm (every 10 s) and after it', verify_during)

    def serves():
        expect(ctx.c.get('/v2/catalog'), 200)
        iid, bid = new_id('after-kill'), new_id('b')
        ctx.provision(iid, 'basic', {'fresh': True})
        ctx.bind(iid, bid)
        expect(ctx.c.get(ctx.bpath(iid, bid)), 200)
        expect(ctx.c.delete(ctx.bpath(iid, bid) + '?' + q), 200)
        ctx.deprovision(iid)
        ctx.assert_no_instance(iid)
    tap.run('kill: afterwards the broker serves normally (catalog, provision, bind, unbind, deprovision)',
            serves)

    def clean_stop():
        problems = stack.stop()
        check(not problems, '; '.join(problems))
    tap.run('kill: SIGTERM stops everything cleanly', clean_stop, step=True)
    secrets[stack] = ctx.secrets


# --------------------------------------------------------------------------- supervision

def supervision_test(tap, stacks, secrets):
    stack = register(tap, stacks, ServeStack(workers=2), 'supervision')
    secrets[stack] = []

    def t():
        stack.start()
        secrets[stack] = [stack.password]
        victim = live_workers(stack)[0]
        other = [p for p in live_workers(stack) if p != victim]
        history = []
        for i in range(SUPERVISION_KILLS):
            os.kill(victim, signal.SIGKILL)
            t_kill = time.monotonic()
            new = []
            while time.monotonic() < t_kill + 3:
                w = live_workers(stack)
                new = [p for p in w if p not in other and p != victim]
                if new:
                    break
                time.sleep(0.02)
            history.append('kill %d: worker %d -> %s' % (i + 1, victim, new[0] if new else 'not replaced'))
            if not new:
                break
            victim = new[0]
            time.sleep(0.3)
        time.sleep(1)
        w = live_workers(stack)
        r, err = send(stack.client(), 'GET', '/v2/catalog')
        check(len(w) == 2, 'one worker SIGKILLed %d times in a row (each replacement within a second of '
              'its start) is no longer replaced: %d of 2 workers left (%s).\nosbroker(8) says multiwatch '
              '"replaces any worker that dies" (osbroker-serve runs it with -r %d -t %d).\n%s\n'
              'osbroker.log:\n%s', SUPERVISION_KILLS, len(w), w, MULTIWATCH_RETRIES,
              MULTIWATCH_RETRY_WINDOW * 1000, '\n'.join(history),
              '\n'.join(log_lines(stack, 'hild[', 8)))
        check(r is not None and r.status == 200, 'catalog after the kills: %s', r or err)
    tap.run('supervision: a worker killed %d times in a row is still replaced (2 workers, the broker serves)'
            % SUPERVISION_KILLS, t)
    stop_quietly(stack)


# --------------------------------------------------------------------------- race

def freeze(params):
    return tuple(sorted(params.items()))


def race_spec(state, op, res):
    """The states after op answered res, from state (empty: impossible).

    No 422, ever: the plan (basic of fixtures/catalog.yml) runs no hook and
    nothing asynchronously, so each change is one write transaction and no
    record is ever "in progress".  422 ConcurrencyError (h_common_busy) is
    the broker's answer only to a request that meets an operation in
    progress; the other 422s (AsyncRequired, RequiresApp,
    MaintenanceInfoConflict, a plan gone from the catalog, a failed
    provision) cannot arise from this plan and these bodies either."""
    inst, bind = state
    kind = op[0]
    if kind == 'check':
        return [state] if state == op[1] else []
    if kind == 'put_i':
        want = freeze({'put': op[1]})
        if inst is None:
            s, ns = 201, (want, None)
        else:
            s, ns = (200 if inst == want else 409), state
    elif kind == 'patch':
        if inst is None:
            s, ns = 404, state
        else:
            cur = dict(inst)
            for k, v in op[1].items():
                cur.pop(k, None)
                if v is not None:
                    cur[k] = v
            s, ns = 200, (freeze(cur), bind)
    elif kind == 'del_i':
        s, ns = (410, state) if inst is None else (200, (None, None))
    elif kind == 'put_b':
        if inst is None:
            s, ns = 404, state
        elif bind is None:
            s, ns = 201, (inst, op[1])
        else:
            s, ns = (200 if bind == op[1] else 409), state
    elif kind == 'del_b':
        s, ns = (410, state) if bind is None else (200, (inst, None))
    else:
        raise ValueError(op)
    if res == UNKNOWN:
        return [ns] if ns == state else [ns, state]
    if res == s:
        return [ns]
    return []


def predicted_status(state, op):
    for s in (200, 201, 404, 409, 410):
        if race_spec(state, op, s):
            return s
    return None


class _Ev:
    __slots__ = ('call', 'idx', 'op', 'res', 'match', 'prev', 'next')


def linearizable(ops, init, spec, max_steps=3000000, max_seconds=60):
    """Wing & Gong's search with Lowe's memoisation.  ops: (call time, return
    time, op, result).  True, False, or None when the search gave up."""
    head = _Ev()
    head.prev = head.next = None
    events = []
    for i, (t_call, t_ret, op, res) in enumerate(ops):
        c, r = _Ev(), _Ev()
        c.call, c.idx, c.op, c.res, c.match = True, i, op, res, r
        r.call, r.idx, r.op, r.res, r.match = False, i, op, res, c
        events.append((t_call, 0, i, c))
        events.append((t_ret, 1, i, r))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    prev = head
    for _, _, _, e in events:
        prev.next, e.prev = e, prev
        prev = e
    prev.next = None

    def lift(e):
        for x in (e, e.match):
            x.prev.next = x.next
            if x.next is not None:
                x.next.prev = x.prev

    def unlift(e):
        for x in (e.match, e):
            x.prev.next = x
            if x.next is not None:
                x.next.prev = x

    state, lin, cache, stack = init, 0, set(), []
    entry, alt_start, steps = head.next, 0, 0
    deadline = time.monotonic() + max_seconds
    while head.next is not None:
        steps += 1
        if steps > max_steps or (steps % 10000 == 0 and time.monotonic() > deadline):
            return None
        if entry.call:
            alts = spec(state, entry.op, entry.res)
            moved = False
            for ai in range(alt_start, len(alts)):
                lin2 = lin | (1 << entry.idx)
                key = (lin2, alts[ai])
                if key in cache:
                    continue
                cache.add(key)
                stack.append((entry, state, ai))
                state, lin = alts[ai], lin2
                lift(entry)
                entry, alt_start, moved = head.next, 0, True
                break
            if not moved:
                entry, alt_start = entry.next, 0
        else:
            if not stack:
                return False
            e, state, ai = stack.pop()
            lin ^= 1 << e.idx
            unlift(e)
            entry, alt_start = e, ai + 1
    return True


def race_test(tap, stacks, secrets):
    stack = register(tap, stacks, ServeStack(workers=2), 'race')
    st = {}

    def start():
        stack.start()
        st['ctx'] = Ctx(stack, stack.client())
    if not tap.run('race: osbroker-serve starts', start, step=True):
        return
    ctx = st['ctx']
    q = ctx.query('basic')
    sid = ctx.plans['basic'][0]
    groups = [(new_id('race'), new_id('rb')) for _ in range(3)]
    records = []          # (group, op, t_call, t_ret, status or UNKNOWN, seq, text, body)
    lock = threading.Lock()
    seq = itertools.count()
    stop = threading.Event()

    def worker(t):
        rnd = random.Random(1000 + t)
        while not stop.is_set():
            g = rnd.randrange(3)
            iid, bid = groups[g]
            x = rnd.random()
            if x < 0.25:
                k = rnd.randrange(2)
                op = ('put_i', k)
                req = ('PUT', ctx.ipath(iid), ctx.prov_body('basic', {'put': k}, organization_guid='org-race',
                                                            space_guid='space-%d' % g))
            elif x < 0.45:
                delta = {'patch': rnd.randrange(3)} if rnd.random() < 0.8 else {'patch': None}
                op = ('patch', delta)
                req = ('PATCH', ctx.ipath(iid), {'service_id': sid, 'parameters': delta})
            elif x < 0.60:
                op = ('del_i',)
                req = ('DELETE', ctx.ipath(iid) + '?' + q, None)
            elif x < 0.85:
                k = rnd.randrange(2)
                op = ('put_b', k)
                req = ('PUT', ctx.bpath(iid, bid), ctx.bind_body('basic', {'b': k},
                                                                 bind_resource={'app_guid': 'app-race-%d' % g}))
            else:
                op = ('del_b',)
                req = ('DELETE', ctx.bpath(iid, bid) + '?' + q, None)
            t_call = time.monotonic()
            r, err = send(ctx.c, *req)
            t_ret = time.monotonic()
            with lock:
                n = next(seq)
                status = UNKNOWN if r is None else r.status
                records.append((g, op, t_call, t_ret, status, n, '%s %s' % (req[0], req[1].split('?')[0]),
                                err if r is None else r.body[:300]))
            if r is not None and r.status in (200, 201) and op[0] == 'put_b':
                try:
                    ctx.credentials_of(r.json, 'race bind')
                except AssertionError:
                    pass

    def run():
        threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(RACE_THREADS)]
        t0 = time.monotonic()
        for th in threads:
            th.start()
        stop.wait(RACE_SECONDS)
        stop.set()
        for th in threads:
            th.join(REQUEST_TIMEOUT + 10)
        check(not any(th.is_alive() for th in threads), 'race threads still running')
        st['final'] = []
        t_final = time.monotonic()
        for g, (iid, bid) in enumerate(groups):
            ri = ctx.c.get(ctx.ipath(iid))
            rb = ctx.c.get(ctx.bpath(iid, bid))
            check(ri.status in (200, 404) and rb.status in (200, 404), '%s / %s', ri, rb)
            inst = freeze(ri.json['parameters']) if ri.status == 200 else None
            bind = rb.json['parameters']['b'] if rb.status == 200 else None
            if rb.status == 200:
                ctx.credentials_of(rb.json, 'race GET binding')
            st['final'].append((inst, bind))
        st['t_final'] = (t_final, time.monotonic())
        by = {}
        for rec in records:
            by.setdefault(rec[4], 0)
            by[rec[4]] += 1
        print('# %d threads, %.0f s: %d requests on 3 instances and 3 bindings; statuses %s'
              % (RACE_THREADS, time.monotonic() - t0, len(records),
                 ', '.join('%s: %d' % (k, v) for k, v in sorted(by.items(), key=str))))
        bad = [rec for rec in records if rec[4] not in (200, 201, 404, 409, 410)]
        check(not bad, '%d answers other than 200/201 and the refusals 404/409/410 (no 422: no '
              'operation of this plan is ever in progress), e.g.:\n%s',
              len(bad), '\n'.join('%s -> %s %r' % (r[6], r[4], r[7]) for r in bad[:10]))
        check(len(records) > 100, 'only %d requests', len(records))
    if not tap.run('race: %d threads send conflicting PUT/PATCH/DELETE on 3 instances and PUT/DELETE on '
                   'a binding of each for %d s; the only refusals are 404, 409, 410 (never 422: '
                   'no operation of this plan is ever in progress)'
                   % (RACE_THREADS, RACE_SECONDS), run):
        if 'final' not in st:
            stop_quietly(stack)
            return

    def one_201_per_lifetime():
        problems = []
        t_base = min(r[2] for r in records)
        for g in range(3):
            recs = [r for r in records if r[0] == g]
            for create, deletes, what in ((('put_i',), ('del_i',), 'instance'),
                                          (('put_b',), ('del_b', 'del_i'), 'binding')):
                made = sorted((r for r in recs if r[1][0] in create and r[4] == 201),
                              key=lambda r: r[2] + r[3])
                dels = [r for r in recs if r[1][0] in deletes and r[4] == 200]

                def between(a, b):
                    # a took effect before b, and an acknowledged delete in between
                    return a[2] < b[3] and any(d[3] > a[2] and d[2] < b[3] for d in dels)
                for a, b in zip(made, made[1:]):
                    if not (between(a, b) or between(b, a)):
                        problems.append('%s %s: two 201s (#%d %.4f-%.4f s and #%d %.4f-%.4f s) and no '
                                        'acknowledged delete that could lie between them'
                                        % (what, groups[g][0], a[5], a[2] - t_base, a[3] - t_base,
                                           b[5], b[2] - t_base, b[3] - t_base))
        n201 = sum(1 for r in records if r[4] == 201)
        print('# %d 201s in all' % n201)
        check(not problems, '\n'.join(problems[:10]))
    tap.run('race: each instance and binding got at most one 201 per lifetime (a second 201 only '
            'after an acknowledged delete)', one_201_per_lifetime)

    def serial_replay():
        notes, failures = [], []
        for g in range(3):
            recs = sorted((r for r in records if r[0] == g), key=lambda r: r[5])
            # 1. replay in completion order
            state, mismatches = (None, None), []
            for r in recs:
                want = predicted_status(state, r[1])
                alts = race_spec(state, r[1], r[4])
                if not alts:
                    mismatches.append('#%d %s %s -> %s (the replay says %s)'
                                      % (r[5], r[6], r[1][1:] or '', r[4], want))
                    alts = race_spec(state, r[1], want)
                state = alts[0]
            replayed = state
            final = st['final'][g]
            # 2. the same against real time: is there any serial order, each
            # request taking effect between its sending and its answer?
            ops = [(r[2], r[3], r[1], r[4]) for r in recs]
            ops.append((st['t_final'][0], st['t_final'][1], ('check', final), None))
            ok = linearizable(ops, (None, None), race_spec)
            iid = groups[g][0]
            if replayed == final and not mismatches:
                notes.append('%s: %d requests; the replay in completion order gives every status and '
                             'the final state' % (iid, len(recs)))
            elif ok:
                notes.append('%s: %d requests; the client-side completion order is not the commit order '
                             '(the replay first diverges at %s); an order within the requests\' time '
                             'spans explains every status and the final state'
                             % (iid, len(recs), mismatches[0].split(' ')[0] if mismatches else 'the end'))
            if ok is None:
                failures.append('%s: the search for a serial order gave up (%d requests)' % (iid, len(recs)))
            elif not ok:
                failures.append('%s: no serial order of the %d requests, each taking effect within its '
                                'time span, gives these answers and the final state (instance %s, binding %s).'
                                '\n  replay in completion order: final %s; first mismatches:\n    %s'
                                % (iid, len(recs), final[0], final[1], replayed,
                                   '\n    '.join(mismatches[:6]) or '(none)'))
            # the brief's minimum, in completion order: existence and parameters
            last = [r for r in recs if (r[1][0] == 'put_i' and r[4] in (200, 201)) or
                    (r[1][0] == 'del_i' and r[4] == 200)]
            if last:
                exists = last[-1][1][0] == 'put_i'
                if exists != (final[0] is not None) and ok is not True:
                    failures.append('%s: last acknowledged %s (#%d) but the instance %s'
                                    % (iid, last[-1][6], last[-1][5], 'is gone' if exists else 'exists'))
        for n in notes:
            print('# ' + n)
        check(not failures, '\n'.join(failures))
    tap.run('race: the final state (GET) equals a serial replay of the acknowledged requests, '
            'every answer included', serial_replay)

    def no_orphans():
        for g, (iid, bid) in enumerate(groups):
            if st['final'][g][1] is not None:
                check(st['final'][g][0] is not None, 'binding %s exists (GET 200) but instance %s does not',
                      bid, iid)
        bad, ni, nb = orphaned_bindings(stack.state_dir)
        check(not bad, 'binding records without their instance: %s', bad)
        print('# store: %d instance and %d binding records' % (ni, nb))
    tap.run('race: no binding exists whose instance does not (GET, and the bindings database)', no_orphans)
    tap_verify(tap, 'race: osbroker --verify exits 0 with "ok:"', stack)

    def clean_stop():
        problems = stack.stop()
        check(not problems, '; '.join(problems))
    tap.run('race: SIGTERM stops everything cleanly', clean_stop, step=True)
    secrets[stack] = ctx.secrets


# --------------------------------------------------------------------------- storage

def map_full_test(tap, stacks, secrets):
    if pg_store():
        tap.skip('map full (OSBROKER_MAP_SIZE=1m)', "LMDB's map size; PostgreSQL has none")
        return
    stack = register(tap, stacks, ServeStack(workers=2, extra_env={'OSBROKER_MAP_SIZE': '1m'}), 'map full')
    st = {}

    def fill():
        stack.start()
        ctx = st['ctx'] = Ctx(stack, stack.client())
        made, statuses = [], []
        deadline = time.monotonic() + 60
        for i in range(40):         # 40 x 100 kB: four times the map
            check(time.monotonic() < deadline, 'still not full after 60 s')
            iid = new_id('full')
            params = {'i': i, 'blob': ('%06d' % i) * (MAX_BLOB // 6)}
            r = ctx.c.put(ctx.ipath(iid), ctx.prov_body('basic', params))
            statuses.append(r.status)
            if r.status == 201:
                made.append((iid, params))
                continue
            st['refused'] = (iid, r)
            break
        st['made'] = made
        print('# %d provisions of ~%d kB stored before the refusal; statuses %s'
              % (len(made), MAX_BLOB // 1000, statuses))
        check('refused' in st, 'the map never filled up: %s', statuses)
        iid, r = st['refused']
        doc = expect(r, 503)
        d = doc['description']
        check(re.search(r'full', d, re.I) and re.search(r'stor', d, re.I),
              'the description does not say storage is full: %r', d)
        check(len(made) >= 3, 'refused after only %d instances', len(made))
        print('# 503: %s' % d)
    if not tap.run('map full (OSBROKER_MAP_SIZE=1m): provisions of ~100 kB until one gets 503 JSON '
                   'saying storage is full', fill):
        stop_quietly(stack)
        secrets[stack] = [stack.password]
        return
    ctx = st['ctx']

    def logged():
        lines = wait_for(lambda: log_lines(stack, 'state store error'), 10,
                         '"state store error" in osbroker.log')
        print('# log: %s' % lines[-1][:300])
        check(re.search(r'MDB_MAP_FULL|mapsize|full', lines[-1], re.I),
              'the log line does not say the map is full: %r', lines[-1])
    tap.run('map full: the worker log has an operator-readable "state store error" line', logged)

    def nothing_partial():
        iid, _ = st['refused']
        ctx.assert_no_instance(iid)
        for iid, params in st['made']:
            ctx.assert_instance(iid, 'basic', params)
        expect(ctx.c.get('/v2/catalog'), 200)
        print('# mdb_stat: %s' % mdb_stat(stack.state_dir))
    tap.run('map full: nothing partial: the refused id GETs 404, every earlier instance GETs 200 '
            'with its parameters; mdb_stat reads the store', nothing_partial)

    def recovers():
        iid, params = st['made'][0]
        r = ctx.c.delete(ctx.ipath(iid) + '?' + ctx.query('basic'))
        check(r.status == 200, 'deprovisioning %s in a full store: %s (log: %s)', iid, r,
              log_lines(stack, 'state store error', 2))
        ctx.assert_no_instance(iid)
        small = new_id('small')
        r = ctx.c.put(ctx.ipath(small), ctx.prov_body('basic', {'small': 1}))
        check(r.status == 201, 'a small provision after freeing space: %s', r)
        ctx.assert_instance(small, 'basic', {'small': 1})
        bid = new_id('b')
        ctx.bind(small, bid)
        for iid, params in st['made'][1:]:
            ctx.assert_instance(iid, 'basic', params)
    tap.run('map full: deprovisioning one works, then a small provision (and a bind) succeed', recovers)
    tap_verify(tap, 'map full: osbroker --verify exits 0 with "ok:"', stack)

    def clean_stop():
        problems = stack.stop()
        check(not problems, '; '.join(problems))
    tap.run('map full: SIGTERM stops everything cleanly', clean_stop, step=True)
    secrets[stack] = ctx.secrets


class ImageStack(ServeStack):
    """A ServeStack whose state directory is an ext4 image (loop mount) and
    whose run/ is a bind mount of a directory outside it, so that logs,
    socket and pid files stay writable when the image goes read-only."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.image = os.path.join(self.tmp, 'state.img')
        self.run_src = os.path.join(self.tmp, 'run')
        self.mounted = False

    @property
    def run_dir(self):
        return self.run_src

    def mount(self):
        os.makedirs(self.state_dir, exist_ok=True)
        os.makedirs(self.run_src, mode=0o700, exist_ok=True)
        mount('-o', 'loop,errors=remount-ro', self.image, self.state_dir)
        self.mounted = True
        os.makedirs(os.path.join(self.state_dir, 'run'), exist_ok=True)
        mount('--bind', self.run_src, os.path.join(self.state_dir, 'run'))

    def unmount(self):
        if self.mounted:
            umount(os.path.join(self.state_dir, 'run'))
            umount(self.state_dir)
            self.mounted = False


def readonly_running_test(tap, stacks, secrets, no_mount):
    name = ('read-only state under running workers (ext4 image remounted abort, as errors=remount-ro '
            'does): writes get 5xx JSON, the log says why, reads work, nothing is stored')
    if pg_store():
        tap.skip(name, 'the store is not in the state directory under PostgreSQL')
        return
    if no_mount:
        tap.skip(name, no_mount)
        return
    if not shutil.which('mkfs.ext4'):
        tap.skip(name, 'mkfs.ext4 (e2fsprogs) is not installed')
        return
    stack = ImageStack(workers=2)
    stack.label = 'read-only state'
    st = {}
    rc, out = run_cmd('truncate', '-s', '32M', stack.image)
    if rc == 0:
        rc, out = run_cmd('mkfs.ext4', '-q', '-F', stack.image)
    if rc == 0:
        try:
            stack.mount()
        except AssertionError as e:
            rc, out = 1, str(e)
    if rc != 0:
        stack.unmount()
        tap.skip(name, 'cannot make and mount an ext4 image here: %s' % out)
        shutil.rmtree(stack.tmp, ignore_errors=True)
        return
    stacks.append(stack)
    tap.stacks.append(stack)
    secrets[stack] = [stack.password]
    try:
        def before():
            stack.start()
            ctx = st['ctx'] = Ctx(stack, stack.client())
            st['a'], st['ab'] = new_id('ro'), new_id('b')
            ctx.provision(st['a'], 'basic', {'keep': 1})
            st['creds'] = ctx.bind(st['a'], st['ab'])
            mount('-o', 'remount,abort', stack.state_dir)
            check(not writable(stack.state_dir), 'the state directory is still writable after remount,abort')
            check(writable(stack.run_dir), 'run/ is not writable')
        if not tap.run('read-only state: provision and bind, then the ext4 state file system goes '
                       'read-only under the running workers', before):
            return
        ctx = st['ctx']
        q = ctx.query('basic')
        a, ab = st['a'], st['ab']

        def writes_refused():
            st['b'] = new_id('ro-new')
            sid = ctx.plans['basic'][0]
            tries = [('PUT', ctx.ipath(st['b']), ctx.prov_body('basic', {'new': 1})),
                     ('PATCH', ctx.ipath(a), {'service_id': sid, 'parameters': {'keep': 2}}),
                     ('PUT', ctx.bpath(a, new_id('b')), ctx.bind_body()),
                     ('DELETE', ctx.bpath(a, ab) + '?' + q, None),
                     ('DELETE', ctx.ipath(a) + '?' + q, None),
                     ('PUT', ctx.ipath(st['b']), ctx.prov_body('basic', {'new': 1}))]
            bad, seen = [], []
            for method, path, body in tries:
                r, err = send(ctx.c, method, path, body)
                seen.append('%s %s -> %s' % (method, path.split('?')[0][-40:], r.status if r else err))
                if r is None or r.status < 500:
                    bad.append(seen[-1] + ((' %r' % r.body[:200]) if r else ''))
                    continue
                try:
                    expect(r, r.status)
                except AssertionError as e:
                    bad.append(str(e))
                    continue
                if from_nginx(r):
                    bad.append('%s: nginx answered, not the broker (%r)' % (seen[-1], r.body[:200]))
                else:
                    st.setdefault('desc', r.json['description'])
            print('# ' + '; '.join(seen))
            if 'desc' in st:
                print('# description: %s' % st['desc'])
            check(not bad, 'with the state read-only, changes must get a 5xx JSON answer with a '
                  'description from the broker:\n%s', '\n'.join(bad))
        tap.run('read-only state: provision, update, bind, unbind, deprovision each get 5xx JSON with '
                'a description', writes_refused)

        def log_says_why():
            lines = wait_for(lambda: log_lines(stack, 'state store error'), 10,
                             '"state store error" in osbroker.log')
            print('# log: %s' % lines[-1][:300])
            check(re.search(r'read-only|input/output|I/O|not writable|EROFS|EIO', lines[-1], re.I),
                  'the log line does not say what is wrong: %r', lines[-1])
        tap.run('read-only state: the worker log says why ("state store error" ...)', log_says_why)

        def reads_work():
            expect(ctx.c.get('/v2/catalog'), 200)
            ctx.assert_instance(a, 'basic', {'keep': 1})
            doc = expect(ctx.c.get(ctx.bpath(a, ab)), 200)
            check(doc.get('credentials') == st['creds'], 'binding credentials changed')
            expect(ctx.c.get(ctx.ipath(st.get('b', new_id()))), 404)
            expect(ctx.c.get(ctx.ipath(a) + '/last_operation'), 200)
        tap.run('read-only state: reads still work (catalog, instance, binding, last_operation)', reads_work)

        def writable_again():
            problems = stack.stop()
            check(not problems, 'stopping with the state read-only: %s', '; '.join(problems))
            stack.unmount()
            rc, out = run_cmd('e2fsck', '-f', '-y', stack.image)
            check(rc in (0, 1), 'e2fsck -f -y exited %d: %s', rc, out[-500:])
            stack.mount()
            check(writable(stack.state_dir), 'the image is not writable after a fresh mount')
            stack.start()
            expect(ctx.c.get(ctx.ipath(st.get('b', new_id()))), 404)
            ctx.assert_instance(a, 'basic', {'keep': 1})
            doc = expect(ctx.c.get(ctx.bpath(a, ab)), 200)
            check(doc.get('credentials') == st['creds'], 'binding credentials changed')
            print('# mdb_stat: %s' % mdb_stat(stack.state_dir))
            c = new_id('ro-after')
            ctx.provision(c, 'basic', {'after': 1})
            ctx.assert_instance(c, 'basic', {'after': 1})
        tap.run('read-only state: writable again (stop, remount, start): nothing of the refused requests '
                'was stored, the rest is intact, a provision works', writable_again)
        tap_verify(tap, 'read-only state: osbroker --verify exits 0 with "ok:"', stack)
        secrets[stack] = ctx.secrets
    finally:
        stop_quietly(stack)
        stack.unmount()


def readonly_restart_test(tap, stacks, secrets, no_mount):
    root = os.geteuid() == 0
    how = 'a read-only bind mount' if root else 'chmod 0500 (files 0400)'
    if pg_store():
        tap.skip('workers started while the state directory is read-only (%s)' % how,
                 'the store is not in the state directory under PostgreSQL')
        return
    if root and no_mount:
        tap.skip('workers started while the state directory is read-only (%s)' % how, no_mount)
        return
    stack = register(tap, stacks, ServeStack(workers=2), 'read-only start')
    secrets[stack] = [stack.password]
    st = {}
    modes = {}

    def make_readonly():
        if root:
            mount('--bind', stack.state_dir, stack.state_dir)
            st['bound'] = True
            mount('-o', 'remount,ro,bind', stack.state_dir)
        else:
            for f in ('data.mdb', 'lock.mdb'):
                p = os.path.join(stack.state_dir, f)
                modes[p] = os.stat(p).st_mode & 0o7777
                os.chmod(p, 0o400)
            modes[stack.state_dir] = os.stat(stack.state_dir).st_mode & 0o7777
            os.chmod(stack.state_dir, 0o500)

    def make_writable():
        if st.pop('bound', False):
            umount(stack.state_dir)
        for p, m in sorted(modes.items(), key=lambda x: -len(x[0])):
            os.chmod(p, m)
        modes.clear()

    try:
        def before():
            stack.start()
            ctx = st['ctx'] = Ctx(stack, stack.client())
            st['a'], st['ab'] = new_id('rs'), new_id('b')
            ctx.provision(st['a'], 'basic', {'keep': 1})
            st['creds'] = ctx.bind(st['a'], st['ab'])
            make_readonly()
            if root:
                check(not writable(stack.state_dir), 'the state directory is still writable')
            # Running workers keep the files they opened writable; the case is
            # workers that start now (after a crash, a restart, or under CGI).
            for p in live_workers(stack):
                os.kill(p, signal.SIGKILL)
                time.sleep(0.3)
            time.sleep(1.5)
        if not tap.run('read-only start: provision and bind, make the state directory read-only (%s), '
                       'kill both workers so that multiwatch starts new ones' % how, before):
            return
        ctx = st['ctx']

        def reads_work():
            got = []

            def catalog():
                r, err = send(ctx.c, 'GET', '/v2/catalog', timeout=5)
                got.append(r.status if r else err)
                return r is not None and r.status == 200
            try:
                wait_for(catalog, 5, 'the catalog', interval=0.5)
            except AssertionError:
                pass
            r, err = send(ctx.c, 'GET', ctx.ipath(st['a']))
            check(got and got[-1] == 200 and r is not None and r.status == 200,
                  'with the state directory read-only, new workers do not serve reads: GET /v2/catalog '
                  '-> %s, GET instance -> %s; workers now %s, osbroker-serve %s.\nosbroker.log:\n%s',
                  got[-3:], r.status if r else err, live_workers(stack),
                  'running' if stack.proc.poll() is None else 'exited (%s)' % stack.proc.returncode,
                  '\n'.join(log_lines(stack, 'cannot start', 1) + log_lines(stack, 'hild[', 2) +
                            log_lines(stack, 'exited unexpectedly', 1) +
                            [l for l in stack.output().splitlines() if 'exited unexpectedly' in l][-1:]))
        tap.run('read-only start: new workers still serve reads (catalog, an existing instance)', reads_work)

        def writes_refused():
            st['b'] = new_id('rs-new')
            r, err = send(ctx.c, 'PUT', ctx.ipath(st['b']), ctx.prov_body('basic', {'new': 1}))
            check(r is not None and r.status >= 500 and not from_nginx(r),
                  'provision with the state directory read-only: %s (want the broker\'s 5xx JSON)',
                  r if r is not None else err)
            expect(r, r.status)
            lines = log_lines(stack, 'state', 3)
            check(any(re.search(r'read-only|permission|not writable', l, re.I) for l in lines),
                  'the log does not say why: %s', lines)
        tap.run('read-only start: a provision gets the broker\'s 5xx JSON with a description, the log '
                'says why', writes_refused)

        def writable_again():
            make_writable()
            if stack.proc.poll() is not None or len(live_workers(stack)) < 2:
                print('# osbroker-serve %s with %d workers: restarting it'
                      % ('exited' if stack.proc.poll() is not None else 'runs', len(live_workers(stack))))
                stack.stop()
                stack.start()
            expect(ctx.c.get(ctx.ipath(st.get('b', new_id()))), 404)
            ctx.assert_instance(st['a'], 'basic', {'keep': 1})
            doc = expect(ctx.c.get(ctx.bpath(st['a'], st['ab'])), 200)
            check(doc.get('credentials') == st['creds'], 'binding credentials changed')
            c, got = new_id('rs-after'), []
            body = ctx.prov_body('basic', {'after': 1})
            for _ in range(10):      # a broker that reopens its store may take a moment
                r, err = send(ctx.c, 'PUT', ctx.ipath(c), body)
                got.append(r.status if r else err)
                if r is not None and r.status == 201:
                    break
                time.sleep(0.5)
            check(got[-1] == 201, 'a provision with the state directory writable again: %s', got)
            ctx.assert_instance(c, 'basic', {'after': 1})
            print('# mdb_stat: %s' % mdb_stat(stack.state_dir))
        tap.run('read-only start: writable again: nothing refused was stored, a provision works', writable_again)
        tap_verify(tap, 'read-only start: osbroker --verify exits 0 with "ok:"', stack)
        secrets[stack] = ctx.secrets
    finally:
        make_writable()
        stop_quietly(stack)


# --------------------------------------------------------------------------- main

def main():
    no_mount = enter_private_mount_namespace()
    if no_mount is None:
        no_mount = mount_probe()
    tap = Tap()
    stacks = []
    secrets = {}
    t0 = time.monotonic()
    print('# broker: %s' % rel(broker_bin()))
    if no_mount is None:
        print('# in a private mount namespace (unshare -m): mounts made here are invisible outside')
    else:
        print('# no mounts: %s' % no_mount)

    # tests/run's timeout sends SIGTERM: stop the stacks on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        guarded(tap, 'kill', kill_test, tap, stacks, secrets)
        guarded(tap, 'supervision', supervision_test, tap, stacks, secrets)
        guarded(tap, 'race', race_test, tap, stacks, secrets)
        guarded(tap, 'map full', map_full_test, tap, stacks, secrets)
        guarded(tap, 'read-only state', readonly_running_test, tap, stacks, secrets, no_mount)
        guarded(tap, 'read-only start', readonly_restart_test, tap, stacks, secrets, no_mount)
    finally:
        for s in stacks:
            stop_quietly(s)
            if isinstance(s, ImageStack):
                s.unmount()

    for s in stacks:
        all_secrets = [x for x in secrets.get(s, []) if x]
        prefix = '%s: ' % s.label
        if len(all_secrets) > CHECK_LOGS_SECRETS:
            tap.run('%sno log shows any of the %d binding secrets handed out (token index)'
                    % (prefix, len(all_secrets)), no_secret_tokens, s, all_secrets)
        check_logs(tap, s, [s.password] + sample(all_secrets, CHECK_LOGS_SECRETS), prefix=prefix)
    print('# %.0f s in all' % (time.monotonic() - t0))
    rc = tap.done()
    finish_tmp(stacks, rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
