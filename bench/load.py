# SPDX-License-Identifier: ISC
"""load: wrk runs, their checks, and a measurement from its runs (their
median requests/s, its spread, the CPU time stolen and taken by others
meanwhile, and whether that makes it noisy).

A measurement (one request kind at one concurrency) is a warm-up wrk run
(not counted) and BENCH_ROUNDS counted runs, spread over the bench so that
each osbroker measurement and the limit it is compared with run side by side
(see bench/run; a run made during heavy CPU steal is discarded and made
again).  Every run, warm-up and discarded ones included, is checked:

  - wrk saw no status >= 400 (common.lua's status_errors) and no socket error;
  - nginx's access log of the stack shows only the expected status for the
    run's requests.  The one exception: when wrk stops it closes connections
    whose request is still in the backend, and nginx logs those 499 (client
    closed request); up to one per connection is accepted.
"""

import json
import os
import subprocess

import procs

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))


def threads_for(c):
    """wrk threads: -t1 -c1, -t2 -c16 (two cores: never more than two)."""
    return 1 if c == 1 else 2


def cpu_times():
    """(busy, steal, total) jiffies of the whole machine, from /proc/stat,
    and others_cpu()."""
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is in user)
    idle, steal = v[3] + v[4], v[7] if len(v) > 7 else 0
    total = sum(v[:8])
    return total - idle - steal, steal, total, others_cpu()


def others_cpu():
    """{pid: CPU jiffies (user + system)} of every process the bench did
    not start: neither one procs started (nginx, spawn-fcgi's program,
    PostgreSQL, wrk) nor a descendant of one (nginx's and PostgreSQL's
    workers, the FastCGI workers, CGI programs), nor the bench itself.  A
    process that ended before the second look is missed, so what others
    took is a lower bound."""
    mine, parent, times = procs.started_pids(), {}, {}
    mine.add(os.getpid())
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                v = f.read().rsplit(')', 1)[1].split()
            # v[0] is field 3 (state), v[1] the parent, v[11:13] utime, stime
            parent[int(d)], times[int(d)] = int(v[1]), int(v[11]) + int(v[12])
        except (OSError, IndexError, ValueError):
            continue
    out = {}
    for pid, t in times.items():
        p, depth = pid, 0
        while p > 1 and p not in mine and depth < 64:
            p, depth = parent.get(p, 0), depth + 1
        if p not in mine:
            out[pid] = t
    return out


def run_wrk(stack, script, env, c, seconds, timeout, tag):
    """One wrk run; returns what common.lua's done() wrote."""
    out = os.path.join(stack.dir, 'wrk-%s.json' % tag)
    e = dict(os.environ)
    e.update(env)
    e['BENCH_OUT'] = out
    e['BENCH_TAG'] = tag
    argv = ['wrk', '-t%d' % threads_for(c), '-c%d' % c, '-d%ds' % seconds,
            '--timeout', '%ds' % timeout, '-s', os.path.join(BENCH_DIR, script),
            'http://127.0.0.1:%d/' % stack.port]
    log = os.path.join(stack.dir, 'wrk.log')
    p = procs.start(argv, log, e)
    try:
        rc = p.wait(seconds + timeout + 30)
    except subprocess.TimeoutExpired:
        rc = None
    procs.stop(p)
    if rc != 0 or not os.path.exists(out):
        raise procs.StartError('wrk %s exited with status %s:\n%s'
                               % (tag, rc, '\n'.join(procs.tail(log))))
    with open(out) as f:
        r = json.loads(f.read())
    os.unlink(out)
    return r


def run_checked(stack, script, env, c, seconds, timeout, tag, expect, skip_client=None):
    """One wrk run and its checks; the result has 'errors' (empty when fine),
    'statuses' (from the access log, but skip_client's lines: the flood
    row's other client) and 'cpu' (the machine meanwhile)."""
    offset = stack.access_log_size()
    cpu0 = cpu_times()
    r = run_wrk(stack, script, env, c, seconds, timeout, tag)
    cpu1 = cpu_times()
    statuses = stack.statuses_since(offset, skip_client)
    errors = []
    if r['status_errors']:
        errors.append('wrk counted %d answers with a status >= 400' % r['status_errors'])
    socket_errors = {k: v for k, v in r['socket_errors'].items() if v}
    if socket_errors:
        errors.append('wrk socket errors: %s' % ', '.join(
            '%s %d' % kv for kv in sorted(socket_errors.items())))
    for status, n in sorted(statuses.items(), key=str):
        if status == expect or (status == 499 and n <= c):
            continue
        errors.append("%d answers with status %s (want %d), from nginx's access log"
                      % (n, status, expect))
    if stack.dead():
        errors.append('%s exited during the run' % ' and '.join(stack.dead()))
    d = [b - a for a, b in zip(cpu0[:3], cpu1[:3])]
    others = sum(max(0, t - cpu0[3].get(pid, 0)) for pid, t in cpu1[3].items())
    r.update(tag=tag, statuses=statuses, errors=errors,
             cpu={'busy': d[0] / d[2] if d[2] else 0, 'steal': d[1] / d[2] if d[2] else 0,
                  'others': min(1.0, others / d[2]) if d[2] else 0,
                  'ticks': {'total': d[2], 'steal': d[1], 'others': others}})
    return r


def quantile(values, p):
    """The p-quantile (0 <= p <= 1) of values, linear between the two
    nearest (the "inclusive" method: the median of 2 is their mean)."""
    v = sorted(values)
    pos = p * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def steadiness(runs, noise=None):
    """How far a measurement's figure can be trusted, from its counted runs:
    the median and spread of their requests/s, and the share of the
    machine's CPU time (/proc/stat) stolen by other virtual machines and
    taken by processes the bench did not start, over all of them together.
    noise: thresholds in % {'spread', 'steal', 'others'}; 'noisy' lists
    those passed (empty: steady)."""
    rates = [r['requests_per_s'] for r in runs]
    med = quantile(rates, 0.5)
    spread = (quantile(rates, 0.75) - quantile(rates, 0.25)) / med if med else 0.0
    ticks = {k: sum(r['cpu']['ticks'][k] for r in runs) for k in ('total', 'steal', 'others')}
    steal = ticks['steal'] / ticks['total'] if ticks['total'] else 0.0
    others = min(1.0, ticks['others'] / ticks['total']) if ticks['total'] else 0.0
    noisy = []
    for name, value in (('spread', spread), ('steal', steal), ('others', others)):
        if noise is not None and 100 * value > noise[name]:
            noisy.append('%s %.1f%% > %g%%' % (name, 100 * value, noise[name]))
    return {'median': med, 'min': min(rates), 'max': max(rates), 'spread': spread,
            'steal': steal, 'others': others, 'noisy': noisy}


def pooled_percentile(runs, p):
    """The p-th percentile of all the runs' requests together: each run's
    1000 quantiles stand for its requests in equal shares."""
    samples = sorted((v, r['requests'] / len(r['quantiles_us']))
                     for r in runs for v in r['quantiles_us'])
    total = sum(w for _, w in samples)
    acc = 0.0
    for v, w in samples:
        acc += w
        if acc >= total * p / 100.0 - 1e-9:
            return v
    return samples[-1][0] if samples else 0


def combine(key, c, expect, runs, checked, noise=None):
    """One measurement from its counted runs; checked: every run made for it
    (warm-up, counted, discarded), whose statuses and errors count too.
    Its requests/s is the median of the runs' (steadiness(); noise: its
    thresholds), the percentiles are those of all their requests."""
    requests = sum(r['requests'] for r in runs)
    duration = sum(r['duration_us'] for r in runs) / 1e6
    statuses = {}
    for r in checked:
        for k, v in r['statuses'].items():
            statuses[str(k)] = statuses.get(str(k), 0) + v
    st = steadiness(runs, noise)
    return {
        'key': key, 'concurrency': c, 'threads': threads_for(c),
        'requests': requests, 'duration_s': round(duration, 3),
        'requests_per_s': round(st['median'], 1),
        'mean_requests_per_s': round(requests / duration, 1) if duration else 0.0,
        'min_requests_per_s': round(st['min'], 1),
        'max_requests_per_s': round(st['max'], 1),
        'spread': round(st['spread'], 4),
        'cpu_steal': round(st['steal'], 4),
        'cpu_others': round(st['others'], 4),
        'noisy': bool(st['noisy']),
        'noise': st['noisy'],
        'p50_ms': round(pooled_percentile(runs, 50) / 1000, 3),
        'p99_ms': round(pooled_percentile(runs, 99) / 1000, 3),
        'rounds': [{'requests_per_s': round(r['requests_per_s'], 1),
                    'p50_ms': round(r['p50_us'] / 1000, 3),
                    'p99_ms': round(r['p99_us'] / 1000, 3),
                    'cpu_busy': round(r['cpu']['busy'], 3),
                    'cpu_steal': round(r['cpu']['steal'], 3),
                    'cpu_others': round(r['cpu']['others'], 3)} for r in runs],
        'status_errors': sum(r['status_errors'] for r in runs),
        'socket_errors': {k: sum(r['socket_errors'][k] for r in runs)
                          for k in ('connect', 'read', 'write', 'timeout')},
        'discarded_runs': len([r for r in checked if r.get('discarded')]),
        'expected_status': expect,
        'access_log_statuses': dict(sorted(statuses.items())),
        'errors': [e for r in checked for e in r['errors']],
    }
