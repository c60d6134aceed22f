# SPDX-License-Identifier: ISC
"""procs: start processes in sessions of their own and stop them by PID.

Every process the bench starts goes through start(); stop_all() (called from
bench/run's `finally`, so also after an error or Ctrl-C) stops each one the
way scripts/osbroker-serve does: SIGTERM to the process itself (nginx's
master and multiwatch then stop their own children; PostgreSQL's
postmaster gets SIGINT, its fast shutdown), then, once it has exited,
SIGTERM to what is left of its process group (the session it leads, so its
children are reached even after it died), SIGKILL to the group after a
grace period.  Nothing else is ever signalled.
"""

import os
import signal
import socket
import subprocess
import time

_started = []       # Popen objects, in start order


class StartError(Exception):
    """A part of the bench could not be started (its log tail included)."""


def start(argv, log_path, env=None, user=None, stop_signal=signal.SIGTERM):
    """Popen argv in a new session, stdin /dev/null, stdout+stderr appended to
    log_path; as user (a name; we are root) when given.  stop() sends it
    stop_signal first.  Returns the Popen; its pid is also its process group
    id."""
    log = open(log_path, 'ab')
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, env=env,
                             start_new_session=True, user=user,
                             group=_group_of(user) if user else None,
                             extra_groups=[] if user else None)
    finally:
        log.close()     # the child has its own descriptor
    p.stop_signal = stop_signal
    _started.append(p)
    return p


def _group_of(user):
    import pwd
    return pwd.getpwnam(user).pw_gid


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(p, grace=10.0):
    """Stop p and everything in its process group; True when it went quietly."""
    if p not in _started:
        return True
    _started.remove(p)
    quiet = True
    if p.poll() is None:
        # Not the group yet: multiwatch would restart workers that die of
        # the same signal before it has handled its own.
        p.send_signal(p.stop_signal)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        p.poll()                    # reap the leader: a zombie still counts
        if not _group_alive(p.pid):
            return quiet
        if p.returncode is not None:
            # The leader is gone but its children are not (nginx workers,
            # FastCGI workers): signal the rest of the group.
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    quiet = False
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()
    return quiet


def started_pids():
    """The PIDs of what start() started and has not stopped: every process
    of the bench is one of them, a descendant of one, or the bench."""
    return {p.pid for p in _started}


def stop_all():
    """Stop every process still running, the last started first."""
    for p in reversed(list(_started)):
        stop(p, grace=5.0)


def children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return sorted(int(x) for x in f.read().split())
    except OSError:
        return []


def free_port():
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def tail(path, n=20):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace').splitlines()[-n:]
    except OSError as e:
        return ['(cannot read %s: %s)' % (path, e)]


def wait_for(pred, timeout, what, procs=(), logs=()):
    """Poll pred() until true.  Raise StartError after timeout seconds, or at
    once when one of procs has exited, with the tails of logs."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        dead = [p for p in procs if p.poll() is not None]
        if dead or time.monotonic() >= deadline:
            why = ('%s exited (status %s)' % (dead[0].args[0], dead[0].returncode)
                   if dead else 'timed out after %ss' % timeout)
            lines = ['%s while waiting for %s' % (why, what)]
            for log in logs:
                lines.append('--- tail of %s' % log)
                lines += ['    ' + l for l in tail(log)]
            raise StartError('\n'.join(lines))
        time.sleep(0.05)
