#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Several broker hosts sharing one PostgreSQL store, behind the load
balancer (docs/high-availability.md).

One PostgreSQL server (started here: a fresh database, a role with a
password, over TCP), two broker hosts (two scripts/osbroker-serve stacks,
each with its own nginx, workers and state directory, OSBROKER_HOST_ID
host-a and host-b, the same OSBROKER_STORE) and nginx with
conf/nginx/osbroker-lb.conf in front of them, all on free loopback ports.
The catalog is fixtures/ops-catalog.yml (its hook fixtures/hooks/behave)
with one more plan, `long`: asynchronous, with a deadline far beyond the
lease, so that only the lease can end its operations.

Cases: what one host writes the other serves; an asynchronous operation
started through host A is polled through host B and finishes while its
heartbeat renews its lease; a runner is judged by its pid only on its own
host and by its lease on others (records written into the database by
hand); the load balancer spreads requests and changes no OSBAPI answer;
its retry policy (a host whose nginx answers 502: GET, PUT and DELETE go to
the other host, a PATCH it already sent does not); then host A is killed
whole (SIGKILL: nginx, workers, runners, heartbeats and hooks) under a load
of provisions, binds, fetches and deletes through the load balancer: the
load carries on through host B, every acknowledged write is there
afterwards, and host A's operations end `failed` once their lease ran out
(OP_LEASE, read from src/op.h), saying why.  About 110 s, most of it the
lease.

    OSBROKER_BIN=build/asan/osbroker python3 tests/integration/test_hosts.py
"""

import os
import re
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BAD_LOG_PATTERNS, REPO, LbStack, Tap, broker_bin, check, expect,
                     expect_error, files_under, finish_tmp, make_tmpdir, pg_bindir, pid_alive,
                     scan_files, wait_for)
from hosts import Load, World, host_processes, kill_leftovers, start_pg


def op_constant(name):
    with open(os.path.join(REPO, 'src', 'op.h')) as f:
        m = re.search(r'#define\s+%s\s+(\d+)' % name, f.read())
    check(m, 'src/op.h defines no %s', name)
    return int(m.group(1))


LEASE = op_constant('OP_LEASE')
RENEW = op_constant('OP_LEASE_RENEW')
PAD = op_constant('OP_DEADLINE_PAD')
REQUEST_TIMEOUT = 20        # the hosts' OSBROKER_REQUEST_TIMEOUT: a synchronous lease of 50 s

def boot_id():
    with open('/proc/sys/kernel/random/boot_id') as f:
        return f.read().strip()


def dead_pid():
    p = subprocess.Popen(['true'])
    p.wait()
    return p.pid


# --------------------------------------------------------------------------- cases

def t_shared(w):
    iid = 'hosts-' + uuid.uuid4().hex[:12]
    expect(w.ca.put('/v2/service_instances/' + iid, w.body('sync')), 201)
    inst = expect(w.cb.get('/v2/service_instances/' + iid), 200)
    check(inst.get('dashboard_url', '').endswith(iid), 'host B serves %r', inst)
    check(('instances', iid) in w.rows(), 'not in the database')
    # and the other way round, with a conflict decided across the hosts
    expect(w.cb.put('/v2/service_instances/' + iid, w.body('sync')), 200)
    expect_error(w.ca.put('/v2/service_instances/' + iid, w.body('sync', 'other')), 409)


def t_async_across(w):
    iid = 'hosts-' + uuid.uuid4().hex[:12]
    sleep = RENEW + 5
    op = expect(w.ca.put('/v2/service_instances/%s?accepts_incomplete=true' % iid,
                         w.body('long', 'sleep:%d' % sleep)), 202)['operation']
    rec = wait_for(lambda: (lambda r: r if r and 'runner' in r['last_operation'] else None)(
        w.record('instances', iid)), 15, 'the runner to check in')
    runner = rec['last_operation']['runner']
    now = time.time()
    check(runner.get('host') == 'host-a', 'runner host %r, want host-a', runner.get('host'))
    check(now + LEASE - 5 <= runner.get('lease', 0) <= now + LEASE + 1,
          'lease %r, want about now + %d', runner.get('lease'), LEASE)
    r = w.cb.get('/v2/service_instances/%s/last_operation?operation=%s' % (iid, op))
    check(expect(r, 200)['state'] == 'in progress' and r.header('Retry-After') == '1',
          'host B: %r', r)
    first = runner['lease']
    wait_for(lambda: w.record('instances', iid)['last_operation'].get('runner', {}).get(
        'lease', 0) > first or w.record('instances', iid)['last_operation']['state'] !=
        'in progress', RENEW + 5, 'the heartbeat to renew the lease')
    rec = w.record('instances', iid)
    check(rec['last_operation']['state'] == 'in progress',
          'ended before the heartbeat renewed: %r', rec['last_operation'])
    doc = w.poll(w.cb, iid, 'succeeded', sleep + 20, op)
    check(doc.get('description') == 'provision done by the test hook', 'description %r', doc)
    check(not pid_alive(int(runner['pid'])), 'the runner %s still runs' % runner['pid'])
    check('runner' not in w.record('instances', iid)['last_operation'], 'runner left behind')
    # the other way round: started through B, followed through A
    iid = 'hosts-' + uuid.uuid4().hex[:12]
    op = expect(w.cb.put('/v2/service_instances/%s?accepts_incomplete=true' % iid,
                         w.body('long', 'sleep:1')), 202)['operation']
    w.poll(w.ca, iid, 'succeeded', 30, op)
    op = expect(w.cb.delete('/v2/service_instances/%s%s&accepts_incomplete=true'
                            % (iid, w.q('long'))), 202)['operation']
    w.poll(w.ca, iid, 'gone', 30, op)


def t_judged(w):
    """Records written by hand: a runner of host-z (no such host) whose lease
    runs out in 4 s, and one of host-b whose pid is dead but whose lease
    runs for 10 minutes."""
    now = time.time()
    made = {}
    for tag, host, lease in (('z', 'host-z', now + 4), ('b', 'host-b', now + 600)):
        iid = 'judged-%s-%s' % (tag, uuid.uuid4().hex[:8])
        expect(w.c.put('/v2/service_instances/' + iid, w.body('sync')), 201)
        rec = w.record('instances', iid)
        rec['last_operation'] = {
            'type': 'update', 'state': 'in progress', 'id': 'update-by-hand-' + tag,
            'description': 'update in progress', 'async': True, 'at': '2026-01-01T00:00:00Z',
            'started': now, 'deadline': now + 600,
            'runner': {'pid': dead_pid(), 'start': '1', 'boot': boot_id(), 'host': host,
                       'lease': lease}}
        w.write_record('instances', iid, rec)
        made[tag] = iid
    for c, name in ((w.ca, 'host A'), (w.cb, 'host B')):
        check(w.lastop(c, made['z'])['state'] == 'in progress',
              '%s: a runner of host-z with a running lease was ended at once', name)
    d = w.lastop(w.ca, made['b'])
    check(d['state'] == 'in progress', 'host A judged host-b\'s runner by its pid: %r', d)
    d = w.lastop(w.cb, made['b'])
    check(d == {'state': 'failed', 'description': 'update failed: the process running it died'},
          'host B, the runner\'s own host, must judge it by its (dead) pid: %r', d)
    check(w.lastop(w.ca, made['b'])['state'] == 'failed', 'host A then reads it failed')
    time.sleep(max(0, now + 5 - time.time()))
    d = w.lastop(w.ca, made['z'])
    check(d == {'state': 'failed', 'description': 'update failed: its runner on host host-z '
                'stopped renewing its lease (that host or the runner stopped)'},
          'after the lease: %r', d)
    check(w.lastop(w.cb, made['z']) == d, 'host B reads it the same')
    check(w.record('instances', made['z'])['last_operation']['state'] == 'failed',
          'stored failed')


def t_spread(w):
    n0 = len(w.lb.requests())
    for _ in range(20):
        expect(w.c.get('/v2/catalog'), 200)
    used = {}
    for _, _, _, ports, _ in w.lb.requests()[n0:]:
        used[ports[-1]] = used.get(ports[-1], 0) + 1
    check(set(used) == {w.a.port, w.b.port} and min(used.values()) >= 5,
          'requests per host port: %r', used)


def statuses(w, c, tag):
    """A run of requests that between them get every OSBAPI status the broker
    answers; [(what, status, error, which headers)]."""
    out = []
    iid = 'st-%s-%s' % (tag, uuid.uuid4().hex[:8])
    aid = 'st-%s-%s' % (tag, uuid.uuid4().hex[:8])
    bid = 'b-' + uuid.uuid4().hex[:8]
    ip = '/v2/service_instances/' + iid
    bp = ip + '/service_bindings/' + bid

    def note(what, r):
        try:
            err = r.json.get('error') if r.body and r.status != 304 else None
        except AssertionError:
            err = 'not JSON'
        hdrs = tuple(h for h in ('Retry-After', 'ETag', 'Location', 'Content-Type')
                     if r.header(h) is not None)
        out.append((what, r.status, err, hdrs))
        return r
    etag = note('catalog', c.get('/v2/catalog')).header('ETag')
    note('catalog If-None-Match', c.get('/v2/catalog', headers={'If-None-Match': etag}))
    note('no auth', c.get('/v2/catalog', auth=False))
    note('wrong password', c.request('GET', '/v2/catalog', headers={
        'Authorization': c.auth_header(password='wrong')}))
    note('no version', c.get('/v2/catalog', version=None))
    note('version 3.0', c.get('/v2/catalog', version='3.0'))
    note('unknown path', c.get('/v2/nothing'))
    note('wrong method', c.request('POST', '/v2/catalog', body={}))
    note('bad JSON', c.put(ip, '{"service_id": '))
    note('unknown plan', c.put(ip, dict(w.body('sync'), plan_id='nope')))
    note('too big', c.put(ip, dict(w.body('sync'), parameters={'x': 'y' * 1050000})))
    note('provision', c.put(ip, w.body('sync')))
    note('provision again', c.put(ip, w.body('sync')))
    note('provision conflicting', c.put(ip, w.body('sync', 'other')))
    note('fetch', c.get(ip))
    note('fetch unknown', c.get(ip + 'x'))
    note('async required', c.put('/v2/service_instances/' + aid, w.body('long')))
    r = note('async provision', c.put('/v2/service_instances/%s?accepts_incomplete=true' % aid,
                                      w.body('long', 'sleep:2')))
    note('update while in progress', c.patch('/v2/service_instances/%s?accepts_incomplete=true'
                                               % aid, {'service_id': w.sid}))
    note('last_operation in progress', c.get('/v2/service_instances/%s/last_operation' % aid))
    note('update', c.patch(ip, {'service_id': w.sid, 'parameters': {'n': 1}}))
    note('bind', c.put(bp, {'service_id': w.sid, 'plan_id': w.plans['sync']}))
    note('bind again', c.put(bp, {'service_id': w.sid, 'plan_id': w.plans['sync']}))
    note('fetch binding', c.get(bp))
    note('unbind', c.delete(bp + w.q('sync')))
    note('unbind again', c.delete(bp + w.q('sync')))
    note('deprovision', c.delete(ip + w.q('sync')))
    note('deprovision again', c.delete(ip + w.q('sync')))
    w.poll(c, aid, 'succeeded', 30)
    note('deprovision async', c.delete('/v2/service_instances/%s%s&accepts_incomplete=true'
                                       % (aid, w.q('long'))))
    w.poll(c, aid, 'gone', 30)
    note('last_operation gone', c.get('/v2/service_instances/%s/last_operation' % aid))
    return out


def t_statuses(w):
    direct = statuses(w, w.ca, 'a')
    through = statuses(w, w.c, 'lb')
    seen = sorted(set(s for _, s, _, _ in direct))
    diff = ['%s: host %s, load balancer %s' % (d[0], d[1:], t[1:])
            for d, t in zip(direct, through) if d != t]
    check(not diff, 'answers differ:\n' + '\n'.join(diff))
    check(seen == [200, 201, 202, 304, 400, 401, 404, 405, 409, 410, 412, 413, 422],
          'statuses seen: %s', seen)


def t_retry_policy(w):
    """Host A's nginx answers 502 (its socket is moved away: the workers
    cannot be reached).  A load balancer from the same file, but with
    max_fails=0 so that host A stays in the rotation and round robin keeps
    sending it every other request."""
    lb = LbStack([w.a, w.b], tmp=os.path.join(w.root, 'lb2'), read_timeout=REQUEST_TIMEOUT + 10)
    os.makedirs(lb.tmp)
    os.chmod(lb.tmp, 0o711)
    w.lb2 = lb
    lb.start()
    conf = os.path.join(lb.run_dir, 'osbroker-lb.conf')
    with open(conf) as f:
        text = f.read()
    servers = re.compile(r'^(\s*server \S+ )max_fails=1 ', re.M)
    check(len(servers.findall(text)) == 2, 'osbroker-lb.conf: no longer two servers with '
          'max_fails=1')
    with open(conf, 'w') as f:
        f.write(servers.sub(r'\1max_fails=0 ', text))
    os.kill(lb.nginx.pid, signal.SIGHUP)
    time.sleep(1)
    c = lb.client(w.user, w.password)
    iid = 'retry-' + uuid.uuid4().hex[:8]
    expect(c.put('/v2/service_instances/' + iid, w.body('sync')), 201)
    sock = w.a.socket_path()
    os.rename(sock, sock + '.away')
    try:
        time.sleep(0.5)     # nginx logs a request after it answered it
        n0 = len(lb.requests())
        answers = []
        for i in range(8):
            answers.append(('GET', c.get('/v2/service_instances/' + iid).status))
            answers.append(('PATCH', c.patch('/v2/service_instances/' + iid,
                                             {'service_id': w.sid,
                                              'parameters': {'n': i}}).status))
            bp = '/v2/service_instances/%s/service_bindings/b%d' % (iid, i)
            answers.append(('PUT', c.put(bp, {'service_id': w.sid,
                                              'plan_id': w.plans['sync']}).status))
            answers.append(('DELETE', c.delete(bp + w.q('sync')).status))
        log = wait_for(lambda: len(lb.requests()) >= n0 + len(answers) and
                       lb.requests()[n0:], 5, 'the access log')
    finally:
        os.rename(sock + '.away', sock)
    problems = lb.stop()
    check(len(log) == len(answers), '%d answers, %d log lines', len(answers), len(log))
    patched_a = 0
    for (method, status), (lmethod, _, lstatus, ports, ustatus) in zip(answers, log):
        check(method == lmethod and status == lstatus, 'log %s %s, answer %s %s',
              lmethod, lstatus, method, status)
        if ports[0] == w.a.port:
            check(ustatus[0] == '502', '%s: host A answered %s, want 502', method, ustatus)
        if method == 'PATCH' and ports[0] == w.a.port:
            patched_a += 1
            check(status == 502 and ports == [w.a.port],
                  'a PATCH sent to host A was passed on (%s, hosts %s)', status, ports)
        else:
            check(200 <= status < 300 and ports[-1] == w.b.port,
                  '%s: %s through hosts %s (%s), want 2xx from host B', method, status,
                  ports, ustatus)
            check(ports[0] == w.b.port or ports == [w.a.port, w.b.port],
                  '%s went to hosts %s', method, ports)
    check(patched_a >= 1, 'no PATCH was sent to host A first: %r', log)
    check(sum(1 for m, _, _, p, _ in log if m != 'PATCH' and p[0] == w.a.port) >= 3,
          'too few requests went to host A first to show anything: %r', log)
    check(not problems, '; '.join(problems))


def kill_host(stack, host_id):
    """SIGSTOP every process of the host, then SIGKILL them all."""
    pids = host_processes(stack, host_id)
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(p, sig)
            except OSError:
                pass
    stack.proc.wait()
    stack.out.close()
    stack.proc = None
    wait_for(lambda: not any(pid_alive(p) for p in pids), 10, 'the host\'s processes to die')
    return pids


def t_kill_host(w, figures):
    # Host A's own operations: asynchronous provisions that would run for
    # ten minutes, checked in with a lease.
    ops = {}
    for i in range(3):
        iid = 'doomed-%d-%s' % (i, uuid.uuid4().hex[:8])
        ops[iid] = expect(w.ca.put('/v2/service_instances/%s?accepts_incomplete=true' % iid,
                                   w.body('long', 'sleep:600')), 202)['operation']
    for iid in ops:
        wait_for(lambda: 'runner' in (w.record('instances', iid) or {}).get(
            'last_operation', {}), 15, 'the runner of %s to check in' % iid)
    load = Load(w.c, w.sid, w.plans['sync'], threads=4, tag='kill', retry_for=3,
                timeout=REQUEST_TIMEOUT + 15)
    load.start()
    time.sleep(4)
    before = len(load.since(0))
    t_kill, wall_kill = time.monotonic(), time.time()
    killed = kill_host(w.a, 'host-a')
    time.sleep(8)
    # a PATCH whose connection host A refuses was never sent: it goes on
    iid = 'after-' + uuid.uuid4().hex[:8]
    expect(w.c.put('/v2/service_instances/' + iid, w.body('sync')), 201)
    for i in range(4):
        expect(w.c.patch('/v2/service_instances/' + iid, {'service_id': w.sid,
                                                         'parameters': {'n': i}}), 200)
    load.stop()
    w.secrets += load.secrets
    after = load.since(t_kill)
    ok_after = sum(1 for a in after if a.status is not None and 200 <= a.status < 300)
    figures.update(requests=len(load.answers), before=before, after=len(after),
                   ok_after=ok_after, acked=load.acked, killed=len(killed))
    bad = load.bad_answers(load.answers, {200, 201, 202, 404, 410, 422})
    check(not bad, 'answers a platform must not get:\n' + '\n'.join(bad[:20]))
    check(ok_after >= 20, 'only %d answers 2xx after the kill: the load balancer did not '
          'carry on', ok_after)
    figures['checked'] = load.check(w.c, w.rows())

    # Host A's operations fail once their lease ran out, not before.
    failed_at = {}
    deadline = t_kill + LEASE + 15
    while len(failed_at) < len(ops) and time.monotonic() < deadline:
        for iid, op in ops.items():
            if iid in failed_at:
                continue
            d = expect(w.c.get('/v2/service_instances/%s/last_operation?operation=%s'
                               % (iid, op)), 200)
            if d['state'] != 'in progress':
                failed_at[iid] = (time.monotonic() - t_kill, d)
        time.sleep(1)
    check(len(failed_at) == len(ops), 'still in progress %ds after the kill: %s',
          LEASE + 15, sorted(set(ops) - set(failed_at)))
    for iid, (dt, d) in failed_at.items():
        check(d == {'state': 'failed', 'description': 'provision failed: its runner on host '
                    'host-a stopped renewing its lease (that host or the runner stopped)'},
              '%s: %r', iid, d)
        check(LEASE - RENEW - 2 <= dt <= LEASE + 3, '%s failed %.1fs after the kill, want '
              'between %d and %d (the lease)', iid, dt, LEASE - RENEW - 2, LEASE + 3)
    figures['failed_after'] = max(dt for dt, _ in failed_at.values())

    # Whatever host A left in progress (a synchronous request cut off) is
    # failed by now too: its lease was the request timeout + OP_DEADLINE_PAD.
    time.sleep(max(0, wall_kill + REQUEST_TIMEOUT + PAD + 1 - time.time()))
    left = [r for r in w.pg.admin("SELECT tbl, key FROM osbroker_records WHERE tbl IN "
                                  "('instances', 'bindings') AND "
                                  "convert_from(value, 'UTF8') LIKE '%in progress%'", 'osb')]
    for tbl, key in left:
        path = '/v2/service_instances/' + key.replace('/', '/service_bindings/', 1)
        d = expect(w.c.get(path + '/last_operation'), 200)
        check(d['state'] != 'in progress', '%s still in progress: %r', path, d)
        check(re.search('host host-a|deadline', d.get('description', '')) or
              d['state'] == 'succeeded', '%s: %r', path, d)
    figures['left_in_progress'] = len(left)


def t_verify(w):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OSBROKER_')}
    env.update({'OSBROKER_STORE': w.store,
                'OSBROKER_STATE_DIR': os.path.join(w.root, 'host-b', 'state'),
                'OSBROKER_CATALOG': w.b.catalog})
    p = subprocess.run([w.b.binary, '--verify'], env=env, capture_output=True, text=True,
                       timeout=120)
    check(p.returncode == 0 and p.stdout.startswith('ok:'), 'osbroker --verify: exit %d: %s%s',
          p.returncode, p.stdout, p.stderr)
    check(w.db_password not in p.stdout + p.stderr, 'the password in its output')


def t_logs(w):
    logs = [f for s in (w.a, w.b, w.lb) for f in s.log_files()]
    logs += [os.path.join(w.root, 'host-a', 'state', 'run', 'osbroker.log'), w.pg.log]
    problems = scan_files(logs, [w.password, w.db_password] + w.secrets, BAD_LOG_PATTERNS)
    problems += scan_files([f for f in files_under(w.root) if '/pg/data/' not in f],
                           [w.password, w.db_password])
    check(not problems, '\n'.join(problems[:20]))


def main():
    tap = Tap()
    root = make_tmpdir('hosts')
    os.chmod(root, 0o755)
    w = World(root, REQUEST_TIMEOUT)
    print('# broker: %s; lease %d s, renewed every %d s' % (broker_bin(), LEASE, RENEW))
    if not pg_bindir():
        if os.geteuid() == 0:
            tap.run('PostgreSQL is installed', lambda: check(False, 'no PostgreSQL server '
                                                             'programs (postgresql package)'))
        else:
            tap.skip('several hosts', 'PostgreSQL server programs not installed')
        return tap.done()

    def start():
        pg, password = start_pg(root)
        w.start(pg, password, 'host=127.0.0.1 port=%d dbname=osb user=osb password=%s'
                % (pg.port, password))
    ok = tap.run('PostgreSQL, hosts A and B (osbroker-serve, OSBROKER_HOST_ID host-a/host-b, '
                 'one OSBROKER_STORE) and the load balancer start', start, step=True)
    for s in (w.a, w.b, w.lb):
        if s is not None:
            tap.stacks.append(s)
    figures = {}
    if ok:
        tap.run('what host A writes, host B serves, and a conflict is decided across hosts',
                t_shared, w)
        tap.run('an asynchronous provision started through host A is polled through host B '
                'and finishes; its runner records host-a and a lease the heartbeat renews',
                t_async_across, w)
        tap.run('a runner is judged by its pid on its own host only, by its lease on any '
                'other; a lease run out fails it, naming the host', t_judged, w)
        tap.run('the load balancer spreads requests over both hosts', t_spread, w)
        tap.run('every OSBAPI status and its headers are the same through the load balancer '
                'as from a host', t_statuses, w)
        tap.run('a host answering 502: GET, PUT and DELETE go on to the other host, a PATCH '
                'already sent does not', t_retry_policy, w)
        tap.run('host A killed whole under load: the load balancer carries on through host B '
                '(no 5xx, PATCH included), every acknowledged write is there, host A\'s '
                'operations fail when their lease runs out, saying why',
                t_kill_host, w, figures)
        if 'checked' in figures:
            print('# kill: %(requests)d requests (%(before)d before the kill, %(after)d after, '
                  '%(ok_after)d of them 2xx), %(acked)d acknowledged writes, %(killed)d '
                  'processes killed; %(checked)d acknowledged instances and bindings found '
                  'as acknowledged' % figures)
            if 'failed_after' in figures:
                print('# kill: host A\'s operations failed %.1f s after the kill; %d records '
                      'left in progress, all failed when read' % (figures['failed_after'],
                                                                 figures['left_in_progress']))
        tap.run('osbroker --verify with OSBROKER_STORE is clean afterwards', t_verify, w)

    def stop():
        problems = []
        if getattr(w, 'lb2', None) is not None and w.lb2.nginx is not None:
            w.lb2.stop()        # t_retry_policy failed before it stopped it
        for s in (w.b, w.lb):
            if s is not None:
                problems += s.stop()
        if w.a is not None and w.a.proc is not None:
            problems += w.a.stop()
        kill_leftovers([(x, n) for x, n in ((w.a, 'host-a'), (w.b, 'host-b')) if x is not None])
        if w.pg is not None:
            w.pg.stop()
        check(not problems, '; '.join(problems))
    tap.run('host B, the load balancer and PostgreSQL stop cleanly', stop, step=True)
    if ok:
        tap.run('no log shows a password or a binding secret; no sanitizer report', t_logs, w)
    rc = tap.done()
    w.tmp = root
    finish_tmp([w], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
