# SPDX-License-Identifier: ISC
"""pgserver: a throwaway PostgreSQL cluster for the bench's PostgreSQL rows.

initdb in the bench's temporary directory, the server on a free loopback
port, with the durability the LMDB rows have: fsync, synchronous_commit and
full_page_writes on (PostgreSQL's defaults, written out so that no
configuration elsewhere weakens them), so a COMMIT returns once its WAL is
on disk, as an LMDB commit returns once synced.  The broker and the limits
connect over TCP to 127.0.0.1 as one role with a password (scram-sha-256):
the shape of a broker host talking to a database server; the superuser
`postgres` reaches it over its unix socket only (trust), for setting up.
As root the server runs as the `postgres` system user.

The postmaster runs in the foreground under procs.start(), so bench/run's
clean-up stops it by PID like every other part; SIGINT is its "fast"
shutdown (SIGTERM would wait for every client to disconnect).
"""

import glob
import os
import re
import secrets
import shutil
import signal
import subprocess

import procs

ROLE = 'osbroker'
DATABASE = 'osbroker'


def bindir():
    """The newest installed server's bin directory, or None."""
    found = []
    for d in glob.glob('/usr/lib/postgresql/*/bin'):
        v = os.path.basename(os.path.dirname(d))
        if os.access(os.path.join(d, 'initdb'), os.X_OK) and re.match(r'^\d+(\.\d+)?$', v):
            found.append((tuple(int(x) for x in v.split('.')), d))
    return max(found)[1] if found else None


class PgServer:
    def __init__(self, root):
        self.bin = bindir()
        if self.bin is None:
            raise procs.StartError('no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb): '
                                   'apt-get install postgresql, or leave the PostgreSQL '
                                   'rows out with BENCH_ONLY')
        self.dir = os.path.join(root, 'postgresql')
        self.data = os.path.join(self.dir, 'data')
        self.sockdir = os.path.join(self.dir, 'sock')
        self.log = os.path.join(self.dir, 'postgresql.log')
        self.user = 'postgres' if os.geteuid() == 0 else None
        self.port = None
        self.proc = None
        self.password = secrets.token_urlsafe(24)

    def _run(self, argv, what, input_text=None):
        p = subprocess.run(argv, input=input_text, capture_output=True, text=True, timeout=120,
                           cwd=self.dir, user=self.user,
                           env={'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
                                'LANG': 'C.UTF-8'})
        if p.returncode != 0:
            raise procs.StartError('%s: exit %d: %s' % (what, p.returncode,
                                                        (p.stderr or p.stdout).strip()))
        return p.stdout

    def start(self):
        os.makedirs(self.sockdir)
        os.chmod(self.dir, 0o711)
        if self.user:
            for d in (self.dir, self.sockdir):
                shutil.chown(d, self.user, self.user)
        self._run([os.path.join(self.bin, 'initdb'), '-D', self.data, '-U', 'postgres',
                   '-E', 'UTF8', '--no-locale', '--no-sync', '--auth-local=trust',
                   '--auth-host=scram-sha-256'], 'initdb')
        self.port = procs.free_port()
        with open(os.path.join(self.data, 'postgresql.conf'), 'a') as f:
            f.write("\n# bench/pgserver.py\n"
                    "port = %d\nlisten_addresses = '127.0.0.1'\n"
                    "unix_socket_directories = '%s'\n"
                    "password_encryption = scram-sha-256\n"
                    "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
                    "max_connections = 50\n"
                    "logging_collector = off\nlog_min_messages = warning\n"
                    % (self.port, self.sockdir))
        self.proc = procs.start([os.path.join(self.bin, 'postgres'), '-D', self.data],
                                self.log, user=self.user, stop_signal=signal.SIGINT)
        procs.wait_for(self._ready, 60, 'PostgreSQL on port %d' % self.port,
                       [self.proc], [self.log])
        self.admin("CREATE ROLE %s LOGIN PASSWORD '%s'; CREATE DATABASE %s OWNER %s"
                   % (ROLE, self.password, DATABASE, ROLE))
        return self

    def _ready(self):
        p = subprocess.run([os.path.join(self.bin, 'pg_isready'), '-q', '-h', self.sockdir,
                            '-p', str(self.port)], capture_output=True, timeout=10)
        return p.returncode == 0

    def admin(self, sql, database='postgres'):
        """sql as the superuser over the unix socket; rows as lists of strings."""
        out = self._run([os.path.join(self.bin, 'psql'), '-X', '-q', '-A', '-t',
                         '-v', 'ON_ERROR_STOP=1', '-h', self.sockdir, '-p', str(self.port),
                         '-U', 'postgres', '-d', database], 'psql', sql)
        return [line.split('|') for line in out.splitlines() if line]

    def conninfo(self):
        """The libpq connection string of the broker and the limits (it
        holds the password: the bench passes it in environments and the
        CGI part's nginx configuration, in its private directory)."""
        return 'postgresql://%s:%s@127.0.0.1:%d/%s' % (ROLE, self.password, self.port,
                                                       DATABASE)

    def settings(self):
        """The server's version and the settings that make a commit durable."""
        names = ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes',
                 'wal_sync_method', 'shared_buffers')
        rows = self.admin("SELECT name, current_setting(name) FROM pg_settings "
                          "WHERE name IN (%s)" % ', '.join("'%s'" % n for n in names))
        return {r[0]: r[1] for r in rows}

    def stop(self):
        if self.proc is None:
            return True
        quiet = procs.stop(self.proc, grace=30.0)
        self.proc = None
        return quiet
