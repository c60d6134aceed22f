# SPDX-License-Identifier: ISC
"""report: the machine, the table on stdout, bench/results/latest.json."""

import datetime
import json
import os
import platform
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _out(argv):
    """First line of a command's output (stdout, else stderr), or None."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (p.stdout.strip() or p.stderr.strip()).splitlines()
    return text[0].strip() if text else None


def _cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def machine():
    dirty = _out(['git', 'status', '--porcelain', '--untracked-files=no'])
    return {
        'nproc': len(os.sched_getaffinity(0)),
        'cpu_model': _cpu_model(),
        'kernel': platform.release(),
        'debian_version': _read('/etc/debian_version'),
        'nginx': _out(['nginx', '-v']),
        'wrk': _out(['wrk', '--version']),
        'packages': {p: _out(['dpkg-query', '-W', '-f=${Version}', p])
                     for p in ('spawn-fcgi', 'multiwatch', 'fcgiwrap', 'liblmdb0', 'libfcgi0ldbl',
                               'libpq5', 'postgresql')},
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'git_commit': _out(['git', 'rev-parse', 'HEAD']),
        'git_dirty': bool(dirty),     # tracked files changed since that commit
    }


def _num(v, fmt):
    return '' if v is None else fmt % v


def table(rows):
    """rows: dicts with label, c, rps, p50, p99, vs, ratio (text), target (text),
    ok (True, False: MISS, None: no target, 'error': a wrong status seen,
    'noisy': no verdict, see load.steadiness()); and, when any row has them,
    spread, steal, others (fractions): three more columns after requests/s."""
    noise = any('spread' in r for r in rows)
    head = ('measurement', 'c', 'requests/s') + (
        ('spread', 'steal', 'others') if noise else ()) + (
        'p50 ms', 'p99 ms', 'limit', 'ratio', 'target', 'ok')
    cells = [head]
    for r in rows:
        cells.append((r['label'], _num(r.get('c'), '%d'), _num(r.get('rps'), '%.0f')) + (
            tuple(_num(None if r.get(k) is None else 100 * r[k], '%.1f%%')
                  for k in ('spread', 'steal', 'others')) if noise else ()) + (
            _num(r.get('p50'), '%.2f'), _num(r.get('p99'), '%.2f'),
            r.get('vs') or '', r.get('ratio') or '', r.get('target') or '',
            {True: 'ok', False: 'MISS', None: '', 'error': 'ERROR',
             'noisy': 'noisy'}[r.get('ok')]))
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    # numbers are right-aligned
    right = {i for i, h in enumerate(head) if h not in ('measurement', 'limit', 'target', 'ok')}
    lines = []
    for n, row in enumerate(cells):
        lines.append('  '.join(c.rjust(w) if i in right else c.ljust(w)
                               for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            lines.append('  '.join('-' * w for w in widths))
    return '\n'.join(lines)


def write_json(doc, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(doc, f, indent=2, sort_keys=False)
        f.write('\n')
    os.replace(tmp, path)
