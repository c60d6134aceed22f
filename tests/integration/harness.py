# SPDX-License-Identifier: ISC
"""harness: start the real stack on loopback and talk HTTP to it.

Two ways to run the broker, both behind a real nginx on a free loopback port
with a temporary state directory:

  ServeStack  scripts/osbroker-serve (nginx + spawn-fcgi + multiwatch workers),
              exactly what `make run` starts; stopped with SIGTERM by PID.
  CgiStack    nginx (conf/nginx/osbroker-cgi.conf) + fcgiwrap, started by this
              module itself; one broker process per request.

And in front of several ServeStacks sharing one PostgreSQL store:

  LbStack     nginx as the load balancer (conf/nginx/osbroker-lb.conf).

Environment:
  OSBROKER_BIN       the broker under test (default build/osbroker; for the
                     CGI stack default cgi-bin/osbroker.cgi)
  OSBROKER_KEEP_TMP  keep the temporary directories (else removed on success)
  OSB_CASES          a comma list of shell-style globs: only the tests whose
                     name matches one run (see Tap)
  OSB_STORE          the store every stack's broker uses: lmdb (the default,
                     in the stack's state directory) or postgresql: one
                     PostgreSQL server per test process, started on first use
                     and stopped at exit, a database of its own for each state
                     directory (store_for, store_snapshot)

Output is TAP: `ok N - name` / `not ok N - name` followed by `#` lines.
Standard library only.
"""

import atexit
import base64
import fnmatch
import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, 'tests', 'integration', 'fixtures')
SERVE = os.path.join(REPO, 'scripts', 'osbroker-serve')
VERSION = '2.17'

# What a sanitizer or a crash leaves in a log.
BAD_LOG_PATTERNS = ('AddressSanitizer', 'LeakSanitizer', 'runtime error:',
                    'UndefinedBehaviorSanitizer', 'Segmentation fault')


# OSBROKER_AUTH_FAILURES of the stacks unless a suite sets it: the suites
# send many wrong passwords from 127.0.0.1 on purpose, and a broker over
# its budget would answer their next requests 429 (test_throttle.py tests
# the budget).
AUTH_FAILURES_FOR_TESTS = '100000'


def broker_bin(cgi=False):
    b = os.environ.get('OSBROKER_BIN')
    if b:
        return os.path.abspath(os.path.join(REPO, b))
    if cgi:
        return os.path.join(REPO, 'cgi-bin', 'osbroker.cgi')
    return os.path.join(REPO, 'build', 'osbroker')


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def port_open(port, host='127.0.0.1'):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(pred, timeout, what, interval=0.05):
    """Poll pred() until it is true; raise with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError('timed out after %ss waiting for %s' % (timeout, what))
        time.sleep(interval)


def pid_alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return False


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def children(pid):
    """The live (not zombie) child processes of pid, from every process's
    /proc/PID/stat: /proc/PID/task/TID/children can miss a child while
    another is being forked (proc(5)), which made a replaced worker
    vanish from one look to the next."""
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rindex(')') + 2:].split()
        if len(rest) > 1 and rest[0] != 'Z' and int(rest[1]) == pid:
            out.append(int(d))
    return out


def make_tmpdir(tag):
    d = tempfile.mkdtemp(prefix='osbroker-itest-%s-' % tag)
    # nginx's workers (www-data when we are root) must get through to the socket.
    os.chmod(d, 0o711)
    return d


def tail(path, n=40):
    try:
        with open(path, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').splitlines()
        return lines[-n:]
    except OSError as e:
        return ['(cannot read %s: %s)' % (path, e)]


def hash_password(binary, password):
    p = subprocess.run([binary, '--hash-password'], input=password + '\n',
                       capture_output=True, text=True, timeout=60)
    h = p.stdout.strip()
    if p.returncode != 0 or not h.startswith('$'):
        raise AssertionError('%s --hash-password failed (%d): %s' % (binary, p.returncode, p.stderr))
    return h


# --------------------------------------------------------------------------- HTTP

class Response:
    def __init__(self, method, path, status, headers, body):
        self.method, self.path = method, path
        self.status = status
        self.headers = headers          # list of (name, value)
        self.body = body                # bytes
        self._json = None

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.body.decode('utf-8'))
            except (ValueError, UnicodeDecodeError) as e:
                raise AssertionError('%s: body is not JSON (%s): %r' % (self.what(), e, self.body[:300]))
        return self._json

    def what(self):
        return '%s %s -> %d' % (self.method, self.path[:120], self.status)

    def __repr__(self):
        return '%s %r' % (self.what(), self.body[:300])


class Client:
    def __init__(self, port, username, password, host='127.0.0.1', source=None):
        """source: the local address to connect from (another loopback
        address, 127.0.0.2, is another client to the broker)."""
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.source = source

    def auth_header(self, username=None, password=None):
        u = self.username if username is None else username
        p = self.password if password is None else password
        return 'Basic ' + base64.b64encode(('%s:%s' % (u, p)).encode()).decode()

    def request(self, method, path, body=None, headers=None, version=VERSION,
                auth=True, timeout=60):
        """body: dict/list (JSON-encoded), str/bytes (sent as is) or None.
        headers: extra headers; a None value removes a default one."""
        h = {}
        if auth:
            h['Authorization'] = self.auth_header()
        if version is not None:
            h['X-Broker-API-Version'] = version
        if body is not None:
            h['Content-Type'] = 'application/json'
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            elif isinstance(body, str):
                body = body.encode()
        for k, v in (headers or {}).items():
            if v is None:
                h.pop(k, None)
            else:
                h[k] = v
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=timeout,
            source_address=(self.source, 0) if self.source else None)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in h.items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader('Content-Length', str(len(body)))
            conn.endheaders()
            if body is not None:
                try:
                    conn.send(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass    # nginx may refuse a huge body early; read its answer
            r = conn.getresponse()
            data = r.read()
            return Response(method, path, r.status, r.getheaders(), data)
        finally:
            conn.close()

    # shortcuts
    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def put(self, path, body, **kw):
        return self.request('PUT', path, body=body, **kw)

    def patch(self, path, body, **kw):
        return self.request('PATCH', path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request('DELETE', path, **kw)


# --------------------------------------------------------------------------- stacks

class Stack:
    """What every stack offers the tests."""
    port = None
    tmp = None
    state_dir = None

    def log_files(self):
        raise NotImplementedError

    def dump_logs(self, out=sys.stdout):
        for path in self.log_files():
            print('# --- tail of %s' % path, file=out)
            for line in tail(path, 10 if 'access' in path else 25):
                print('#   ' + line, file=out)


class ServeStack(Stack):
    """scripts/osbroker-serve in a temporary state directory."""

    def __init__(self, tmp=None, catalog=None, username='itest', password=None,
                 workers=2, max_body=None, port=None, binary=None, state_dir=None,
                 extra_env=None):
        self.tmp = tmp or make_tmpdir('serve')
        self.state_dir = state_dir or os.path.join(self.tmp, 'state')
        self.catalog = catalog or os.path.join(FIXTURES, 'catalog.yml')
        self.username = username
        self.password = password if password is not None else 'pw-' + uuid.uuid4().hex
        self.workers = workers
        self.max_body = max_body
        self.port = port
        self.binary = binary or broker_bin()
        self.extra_env = extra_env or {}
        self.proc = None
        self.out_path = None
        self.starts = 0

    @property
    def run_dir(self):
        return os.path.join(self.state_dir, 'run')

    def env(self):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith('OSBROKER_'):
                del e[k]
        e.update({
            'OSBROKER_PORT': str(self.port),
            'OSBROKER_LISTEN': '127.0.0.1',
            'OSBROKER_STATE_DIR': self.state_dir,
            'OSBROKER_CATALOG': self.catalog,
            'OSBROKER_WORKERS': str(self.workers),
            'OSBROKER_BIN': self.binary,
            'OSBROKER_READY_TIMEOUT': '60',
        })
        if 'OSBROKER_STORE' not in self.extra_env:
            store = store_for(self.state_dir)
            if store:
                e['OSBROKER_STORE'] = store
        if self.max_body is not None:
            e['OSBROKER_MAX_BODY'] = str(self.max_body)
        if self.username is not None:
            e['OSBROKER_USERNAME'] = self.username
            e['OSBROKER_PASSWORD'] = self.password
        # The suites send many wrong passwords from 127.0.0.1 on purpose;
        # the budget itself is test_throttle.py's (extra_env sets it).
        e['OSBROKER_AUTH_FAILURES'] = AUTH_FAILURES_FOR_TESTS
        e.update(self.extra_env)
        return e

    def launch(self):
        """Start osbroker-serve; return at once (see start())."""
        if self.port is None:
            self.port = free_port()
        self.starts += 1
        self.out_path = os.path.join(self.tmp, 'serve-%d.out' % self.starts)
        self.out = open(self.out_path, 'wb')
        self.proc = subprocess.Popen([SERVE], cwd=REPO, env=self.env(),
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        return self.proc

    def output(self):
        with open(self.out_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def start(self, timeout=90):
        """Start and wait until it says it serves (it waits for a real answer)."""
        self.launch()

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError('osbroker-serve exited (%s) during start:\n%s'
                                     % (self.proc.returncode, self.output()))
            return 'serving the Open Service Broker API' in self.output()
        wait_for(ready, timeout, 'osbroker-serve to report that it serves')
        return self

    def client(self):
        return Client(self.port, self.username, self.password)

    def pids(self):
        """{'nginx': pid, 'spawner': pid, 'workers': [pids]} from the pid files."""
        r = {}
        for name, f in (('nginx', 'nginx.pid'), ('spawner', 'spawn-fcgi.pid')):
            try:
                with open(os.path.join(self.run_dir, f)) as fh:
                    r[name] = int(fh.read().split()[0])
            except (OSError, ValueError, IndexError):
                r[name] = None
        r['workers'] = sorted(children(r['spawner'])) if r['spawner'] else []
        r['nginx_workers'] = sorted(children(r['nginx'])) if r['nginx'] else []
        return r

    def socket_path(self):
        """The socket as the generated nginx configuration names it."""
        try:
            with open(os.path.join(self.run_dir, 'osbroker.conf')) as f:
                m = re.search(r'fastcgi_pass unix:(\S+);', f.read())
                return m.group(1) if m else None
        except OSError:
            return None

    def stop(self, timeout=30):
        """SIGTERM by PID; return a list of problems (empty when clean)."""
        problems = []
        if self.proc is None:
            return problems
        before = self.pids() if self.proc.poll() is None else {}
        sock = self.socket_path()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            problems.append('osbroker-serve did not stop within %ss of SIGTERM' % timeout)
            self.proc.kill()
            rc = self.proc.wait()
        self.out.close()
        if rc != 0:
            problems.append('osbroker-serve exited with status %s after SIGTERM' % rc)
        leftovers = [p for p in [before.get('nginx'), before.get('spawner')]
                     + before.get('workers', []) + before.get('nginx_workers', [])
                     if p and pid_alive(p)]
        if leftovers:
            problems.append('processes still alive after stop: %s' % leftovers)
            for p in leftovers:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
        if port_open(self.port):
            problems.append('port %d still accepts connections after stop' % self.port)
        for f in ('nginx.pid', 'spawn-fcgi.pid'):
            if os.path.exists(os.path.join(self.run_dir, f)):
                problems.append('stale pid file %s left behind' % f)
        if sock and os.path.exists(sock):
            problems.append('stale socket %s left behind' % sock)
        self.proc = None
        return problems

    def log_files(self):
        files = [os.path.join(self.run_dir, f) for f in
                 ('osbroker.log', 'nginx-error.log', 'nginx-access.log')]
        files += [os.path.join(self.tmp, f) for f in sorted(os.listdir(self.tmp))
                  if f.startswith('serve-') and f.endswith('.out')]
        return [f for f in files if os.path.exists(f)]


class CgiStack(Stack):
    """nginx + fcgiwrap (both started here) running the broker as a CGI program."""

    def __init__(self, tmp=None, catalog=None, username='itest-cgi', password=None,
                 max_body=None, binary=None, store=None, params=None):
        self.tmp = tmp or make_tmpdir('cgi')
        self.state_dir = os.path.join(self.tmp, 'state')
        self.run_dir = os.path.join(self.tmp, 'run')
        self.catalog = catalog or os.path.join(FIXTURES, 'catalog.yml')
        self.username = username
        self.password = password or 'pw-' + uuid.uuid4().hex
        self.max_body = max_body or 1048576
        self.binary = binary or broker_bin(cgi=True)
        self.store = store          # OSBROKER_STORE; None: store_for(state_dir)
        # More fastcgi_params for the CGI program (its environment); the
        # budget of failed authentications as ServeStack's unless given.
        self.params = dict({'OSBROKER_AUTH_FAILURES': AUTH_FAILURES_FOR_TESTS},
                           **(params or {}))
        self.port = None
        self.nginx = self.spawner = None

    def start(self, timeout=60):
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        os.makedirs(self.run_dir, mode=0o711, exist_ok=True)
        os.chmod(self.run_dir, 0o711)
        self.port = free_port()
        self.sock = os.path.join(self.run_dir, 'fcgiwrap.sock')
        creds = os.path.join(self.tmp, 'credentials')
        with open(creds, 'w') as f:
            f.write('# integration test\n%s:%s\n' % (self.username, hash_password(self.binary, self.password)))
        os.chmod(creds, 0o600)

        root = os.geteuid() == 0
        web_user = 'www-data' if root else None
        tmpdir = os.path.join(self.run_dir, 'nginx-tmp')
        os.makedirs(tmpdir, exist_ok=True)
        if root:
            shutil.chown(tmpdir, web_user, web_user)
        with open(os.path.join(REPO, 'conf', 'nginx', 'osbroker-cgi.conf')) as f:
            server = f.read()
        subst = {
            '@LISTEN@': '127.0.0.1', '@PORT@': str(self.port), '@SOCKET@': self.sock,
            '@CGI_SCRIPT@': self.binary, '@STATE_DIR@': self.state_dir,
            '@CATALOG@': self.catalog, '@CREDENTIALS@': creds,
            '@CLIENT_MAX_BODY@': str(self.max_body + 65536), '@MAX_BODY@': str(self.max_body),
        }
        for k, v in subst.items():
            server = server.replace(k, v)
        if '@' in re.sub(r'location @\w+|error_page \d+ @\w+', '', server):
            raise AssertionError('unsubstituted placeholder left in osbroker-cgi.conf')
        # fcgiwrap hands the CGI only the FastCGI parameters as environment:
        # pass the sanitizer settings and the store on the same way.
        params = [(k, os.environ[k]) for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS')
                  if k in os.environ]
        store = self.store if self.store is not None else store_for(self.state_dir)
        if store:
            params.append(('OSBROKER_STORE', store))
        params += sorted(self.params.items())
        extra = ''.join('        fastcgi_param %s "%s";\n' % kv for kv in params)
        server = server.replace('        fastcgi_intercept_errors off;\n',
                                extra + '        fastcgi_intercept_errors off;\n', 1)
        with open(os.path.join(self.run_dir, 'osbroker-cgi.conf'), 'w') as f:
            f.write(server)
        self.error_log = os.path.join(self.run_dir, 'nginx-error.log')
        self.access_log = os.path.join(self.run_dir, 'nginx-access.log')
        self.cgi_log = os.path.join(self.run_dir, 'fcgiwrap.log')
        conf = os.path.join(self.run_dir, 'nginx.conf')
        with open(conf, 'w') as f:
            if root:
                f.write('user %s %s;\n' % (web_user, web_user))
            f.write('daemon off;\nmaster_process on;\nworker_processes 2;\n'
                    'pid %s/nginx.pid;\nerror_log %s warn;\n'
                    'events { worker_connections 256; }\n'
                    'http {\n  access_log %s;\n'
                    '  client_body_temp_path %s/body;\n  fastcgi_temp_path %s/fastcgi;\n'
                    '  proxy_temp_path %s/proxy;\n  scgi_temp_path %s/scgi;\n'
                    '  uwsgi_temp_path %s/uwsgi;\n  include %s/osbroker-cgi.conf;\n}\n'
                    % (self.run_dir, self.error_log, self.access_log, tmpdir, tmpdir,
                       tmpdir, tmpdir, tmpdir, self.run_dir))
        spawn = ['spawn-fcgi', '-n', '-s', self.sock, '-M', '0600']
        if root:
            spawn += ['-U', web_user, '-G', web_user]
        spawn += ['--', shutil.which('fcgiwrap') or '/usr/sbin/fcgiwrap', '-c', '4']
        self.cgi_out = open(self.cgi_log, 'ab')
        # Own sessions: fcgiwrap's preforked children (and nginx's workers)
        # outlive their parent; stop() signals the whole group.
        self.spawner = subprocess.Popen(spawn, stdin=subprocess.DEVNULL, stdout=self.cgi_out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: os.path.exists(self.sock) or self.spawner.poll() is not None,
                 timeout, 'the fcgiwrap socket')
        if self.spawner.poll() is not None:
            raise AssertionError('spawn-fcgi/fcgiwrap exited: %s' % tail(self.cgi_log))
        self.nginx_out = open(self.error_log, 'ab')
        self.nginx = subprocess.Popen([shutil.which('nginx') or '/usr/sbin/nginx', '-p', self.run_dir,
                                       '-c', conf, '-e', self.error_log],
                                      stdin=subprocess.DEVNULL, stdout=self.nginx_out,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        c = self.client()

        def ready():
            for p, what in ((self.nginx, 'nginx'), (self.spawner, 'fcgiwrap')):
                if p.poll() is not None:
                    raise AssertionError('%s exited during start' % what)
            try:
                return c.get('/v2/catalog', auth=False, timeout=10).status == 401
            except OSError:
                return False
        wait_for(ready, timeout, 'nginx + fcgiwrap to answer 401')
        return self

    def client(self):
        return Client(self.port, self.username, self.password)

    def stop(self, timeout=30):
        problems = []
        for p, what in ((self.nginx, 'nginx'), (self.spawner, 'fcgiwrap')):
            if p is None:
                continue
            if p.poll() is not None:
                problems.append('%s had exited before the stop (status %s)' % (what, p.returncode))
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                problems.append('%s did not stop within %ss' % (what, timeout))
            try:
                wait_for(lambda: not group_alive(p.pid), timeout, '%s process group' % what)
            except AssertionError:
                problems.append('processes of %s left after SIGTERM' % what)
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
        if self.port and port_open(self.port):
            problems.append('port %d still open' % self.port)
        try:
            os.unlink(self.sock)
        except OSError:
            pass
        self.nginx = self.spawner = None
        return problems

    def log_files(self):
        return [f for f in (self.cgi_log, self.error_log, self.access_log) if os.path.exists(f)]


# --------------------------------------------------------------------------- TAP

class Tap:
    """TAP output, and the one place OSB_CASES selects tests: a test whose
    name matches none of its globs is neither run nor printed nor numbered,
    except a step (step=True: a stack's start or stop, which the other tests
    need), which runs anyway and is printed only if it fails.  A suite that
    selects nothing prints `1..0 # SKIP ...`.  Tests that depend on an
    earlier test need that one selected too."""

    def __init__(self, stack_for_logs=None):
        self.n = 0
        self.failed = 0
        self.stacks = []
        self.dumped = False
        self.only = [p.strip() for p in os.environ.get('OSB_CASES', '').split(',') if p.strip()]

    def selected(self, name):
        return not self.only or any(fnmatch.fnmatchcase(name, p) for p in self.only)

    def run(self, name, fn, *args, step=False):
        """Run one test: fn raises AssertionError (or anything) to fail."""
        quiet = not self.selected(name)
        if quiet and not step:
            return True
        t0 = time.monotonic()
        try:
            fn(*args)
        except Exception as e:    # a test that crashes is a failed test
            self.n += 1
            self.failed += 1
            print('not ok %d - %s' % (self.n, name))
            msg = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
            for line in msg.splitlines() or ['(no message)']:
                print('#   ' + line)
            if not isinstance(e, AssertionError):
                pass
            sys.stdout.flush()
            return False
        if quiet:
            return True
        self.n += 1
        print('ok %d - %s' % (self.n, name))
        dt = time.monotonic() - t0
        if dt >= 1:
            print('# %.1fs' % dt)
        sys.stdout.flush()
        return True

    def skip(self, name, why):
        if not self.selected(name):
            return
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, name, why))

    def bail(self, why):
        print('Bail out! %s' % why)

    def done(self):
        if self.failed and not self.dumped:
            self.dumped = True
            for s in self.stacks:
                s.dump_logs()
        if self.n == 0 and self.only:
            print('1..0 # SKIP no case matches OSB_CASES')
        else:
            print('1..%d' % self.n)
        sys.stdout.flush()
        return 1 if self.failed else 0


# --------------------------------------------------------------------------- checks

def expect(r, status, kind='json'):
    """Assert the status, and that any body is a JSON object with the right
    Content-Type; errors carry a non-empty description.  Returns r.json or None."""
    if r.status != status:
        raise AssertionError('%s, want %d; body: %r' % (r.what(), status, r.body[:400]))
    if status == 304 or r.method == 'HEAD':
        if r.body:
            raise AssertionError('%s: a 304 must have no body, got %r' % (r.what(), r.body[:100]))
        return None
    ct = r.header('Content-Type') or ''
    if not ct.lower().startswith('application/json'):
        raise AssertionError('%s: Content-Type %r, want application/json' % (r.what(), ct))
    doc = r.json
    if not isinstance(doc, dict):
        raise AssertionError('%s: body is not a JSON object: %r' % (r.what(), r.body[:200]))
    if status >= 400:
        d = doc.get('description')
        if not isinstance(d, str) or not d:
            raise AssertionError('%s: error body lacks a non-empty "description": %r'
                                 % (r.what(), doc))
    return doc


def expect_error(r, status, error=None):
    doc = expect(r, status)
    if error is not None and doc.get('error') != error:
        raise AssertionError('%s: "error" is %r, want %r' % (r.what(), doc.get('error'), error))
    return doc


def check(cond, msg, *args):
    if not cond:
        raise AssertionError(msg % args if args else msg)


# --------------------------------------------------------------------------- PostgreSQL

def pg_bindir():
    """The newest installed server's bin directory, or None."""
    found = []
    for d in glob.glob('/usr/lib/postgresql/*/bin'):
        v = os.path.basename(os.path.dirname(d))
        if os.access(os.path.join(d, 'initdb'), os.X_OK) and re.match(r'^\d+(\.\d+)?$', v):
            found.append((tuple(int(x) for x in v.split('.')), d))
    return max(found)[1] if found else None


def pg_bindir_or_skip(tap, what):
    """PostgreSQL's server programs for a suite about what, or None after
    saying why in tap: a failure as root (make check installs them), a
    skip otherwise."""
    bindir = pg_bindir()
    if bindir is None:
        if os.geteuid() == 0:
            tap.run('PostgreSQL is installed (make check installs it)',
                    lambda: check(False, 'no /usr/lib/postgresql/*/bin/initdb: '
                                  'apt-get install postgresql'))
        else:
            tap.skip(what, 'PostgreSQL is not installed (apt-get install postgresql)')
    return bindir


class PgServer:
    """A throwaway cluster: superuser `postgres`, trust over its own unix
    socket directory, scram-sha-256 over TCP on 127.0.0.1, every statement
    logged (so the log proves that no password reaches the server).

    name: the directory under tmp (two servers in one tmp need two names).
    start(replication=True) also lets `postgres` stream over the socket, so
    that standby() can make a streaming standby of it (pg_basebackup -R);
    extra_conf is appended to postgresql.conf (later lines win)."""

    def __init__(self, tmp, bindir, name='pg'):
        self.bindir = bindir
        self.root = os.path.join(tmp, name)
        self.data = os.path.join(self.root, 'data')
        self.sockdir = os.path.join(self.root, 'sock')
        self.log = os.path.join(self.root, 'postgresql.log')
        self.port = None
        self.running = False
        self.as_root = os.geteuid() == 0

    def cmd(self, argv, timeout=120):
        if self.as_root:
            argv = ['runuser', '-u', 'postgres', '--'] + argv
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, cwd=self.root)
        if p.returncode != 0:
            raise AssertionError('%s: exit %d\n%s%s' % (' '.join(argv), p.returncode,
                                                        p.stdout, p.stderr))
        return p.stdout

    def _dirs(self):
        os.makedirs(self.sockdir)
        os.chmod(self.root, 0o711)
        os.chmod(self.sockdir, 0o755)       # the hooks run as the broker's user
        if self.as_root:
            for d in (self.root, self.sockdir):
                shutil.chown(d, 'postgres', 'postgres')
        self.port = free_port()

    def _conf(self, extra_conf):
        with open(os.path.join(self.data, 'postgresql.conf'), 'a') as f:
            f.write("\n# tests/integration/harness.py\nport = %d\nlisten_addresses = '127.0.0.1'\n"
                    "unix_socket_directories = '%s'\npassword_encryption = scram-sha-256\n"
                    "log_statement = 'all'\nlog_connections = on\nlog_disconnections = on\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "max_connections = 30\nshared_buffers = 16MB\n%s"
                    % (self.port, self.sockdir, extra_conf))

    def _pg_ctl_start(self):
        self.running = True     # from here on, stop() tries
        self.cmd([os.path.join(self.bindir, 'pg_ctl'), '-D', self.data, '-l', self.log,
                  '-w', '-t', '60', 'start'])

    def start(self, extra_conf='', replication=False):
        self.extra_conf = extra_conf
        self._dirs()
        self.cmd([os.path.join(self.bindir, 'initdb'), '-D', self.data, '-U', 'postgres',
                  '-E', 'UTF8', '--no-locale', '--no-sync', '-A', 'trust'])
        with open(os.path.join(self.data, 'pg_hba.conf'), 'w') as f:
            f.write('# tests/integration/harness.py\n'
                    'local all all trust\n'
                    '%s'
                    'host all all 127.0.0.1/32 scram-sha-256\n'
                    % ('local replication postgres trust\n' if replication else ''))
        self._conf(extra_conf)
        self._pg_ctl_start()

    def standby(self, name, extra_conf=''):
        """A streaming standby of this server, started: a new PgServer in
        this one's parent directory, from `pg_basebackup -R` (its
        primary_conninfo names this server's socket), with this server's
        settings (extra_conf too) and its own port and socket directory."""
        sb = PgServer(os.path.dirname(self.root), self.bindir, name)
        sb._dirs()
        self.cmd([os.path.join(self.bindir, 'pg_basebackup'), '-D', sb.data, '-R',
                  '-X', 'stream', '-c', 'fast', '-h', self.sockdir, '-p', str(self.port),
                  '-U', 'postgres', '--no-sync'])
        sb.extra_conf = self.extra_conf + extra_conf
        sb._conf(sb.extra_conf)
        sb._pg_ctl_start()
        return sb

    def postmaster_pid(self):
        with open(os.path.join(self.data, 'postmaster.pid')) as f:
            return int(f.readline())

    def kill(self):
        """SIGKILL the postmaster and every process of it at once, as if
        its machine died (connections are reset, nothing is shut down)."""
        pm = self.postmaster_pid()
        pids = [pm] + children(pm)
        for p in pids:
            try:
                os.kill(p, signal.SIGSTOP)
            except OSError:
                pass
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        wait_for(lambda: not any(pid_alive(p) for p in pids), 30, 'PostgreSQL to die')
        self.running = False

    def promote(self):
        """pg_ctl promote, waiting until it accepts writes."""
        self.cmd([os.path.join(self.bindir, 'pg_ctl'), '-D', self.data, '-w', '-t', '60',
                  'promote'])

    def stop(self):
        if not self.running:
            return
        self.running = False
        self.cmd([os.path.join(self.bindir, 'pg_ctl'), '-D', self.data, '-m', 'fast',
                  '-w', '-t', '60', 'stop'])

    def start_again(self):
        """Start the cluster stop() stopped: same data, same port."""
        self.running = True
        self.cmd([os.path.join(self.bindir, 'pg_ctl'), '-D', self.data, '-l', self.log,
                  '-w', '-t', '60', 'start'])

    def admin(self, sql, database='postgres'):
        """sql as superuser over the socket; rows as lists of strings."""
        env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LANG': 'C.UTF-8'}
        p = subprocess.run([os.path.join(self.bindir, 'psql'), '-X', '-q', '-A', '-t',
                            '-v', 'ON_ERROR_STOP=1', '-h', self.sockdir, '-p', str(self.port),
                            '-U', 'postgres', '-d', database],
                           input=sql, capture_output=True, text=True, env=env, timeout=60)
        if p.returncode != 0:
            raise AssertionError('admin psql: exit %d: %s' % (p.returncode, p.stderr.strip()))
        return [line.split('|') for line in p.stdout.splitlines() if line]

    def exists(self, kind, name):
        table, col = {'database': ('pg_database', 'datname'),
                      'role': ('pg_roles', 'rolname')}[kind]
        return self.admin("SELECT count(*) FROM %s WHERE %s = '%s'"
                          % (table, col, name.replace("'", "''")))[0][0] == '1'


# --------------------------------------------------------------------------- the store under test

def store_kind():
    """What OSB_STORE asks for: 'lmdb' (unset or empty) or 'postgresql'."""
    v = os.environ.get('OSB_STORE', '') or 'lmdb'
    if v not in ('lmdb', 'postgresql'):
        raise AssertionError('OSB_STORE=%r: want lmdb or postgresql' % v)
    return v


def pg_store():
    """Whether the stacks of this process keep their state in PostgreSQL."""
    return store_kind() == 'postgresql'


class _SharedPg:
    """Under OSB_STORE=postgresql: the one PgServer of this process, a login
    role for the brokers (password over TCP, scram-sha-256), and a database
    per state directory."""

    ROLE = 'osb_broker'

    def __init__(self):
        self.lock = threading.RLock()
        self.server = None
        self.tmp = None
        self.password = 'pg-' + uuid.uuid4().hex
        self.dbs = {}               # realpath of a state directory -> database
        self.ok = None              # finish_tmp(): None (not called), True, False

    def get(self):
        """The running server, started on first use."""
        with self.lock:
            if self.server is not None:
                if not self.server.running:
                    raise AssertionError('the shared PostgreSQL server did not start (see above)')
                return self.server
            bindir = pg_bindir()
            if bindir is None:
                raise AssertionError('OSB_STORE=postgresql, but no PostgreSQL server is installed '
                                     '(/usr/lib/postgresql/*/bin/initdb: apt-get install postgresql)')
            self.tmp = make_tmpdir('store-pg')
            self.server = PgServer(self.tmp, bindir)
            atexit.register(self.stop)
            # tests/run's timeout sends SIGTERM: stop the server on the way out
            # (a suite's own handler, installed earlier, is kept).
            if threading.current_thread() is threading.main_thread() and \
                    signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
            self.server.start()
            # Not in the server's statement log: the password.
            self.server.admin("SET log_statement = 'none'; CREATE ROLE %s LOGIN PASSWORD '%s'"
                              % (self.ROLE, self.password))
            print('# state store: PostgreSQL %s on 127.0.0.1 port %d (%s)'
                  % (os.path.basename(os.path.dirname(bindir)), self.server.port, self.tmp))
            sys.stdout.flush()
            return self.server

    def database(self, state_dir):
        """The database of a state directory, created (empty, owned by the
        brokers' role) on first use."""
        key = os.path.realpath(state_dir)
        with self.lock:
            srv = self.get()
            db = self.dbs.get(key)
            if db is None:
                db = 'osb_%d' % (len(self.dbs) + 1)
                srv.admin('CREATE DATABASE %s OWNER %s' % (db, self.ROLE))
                self.dbs[key] = db
            return db

    def conninfo(self, db):
        return 'postgresql://%s:%s@127.0.0.1:%d/%s' % (self.ROLE, self.password,
                                                         self.server.port, db)

    def secrets(self):
        with self.lock:
            if self.server is None:
                return []
            return [self.password] + [self.conninfo(db) for db in sorted(self.dbs.values())]

    def stop(self):
        with self.lock:
            if self.server is None:
                return
            try:
                self.server.stop()
            except (AssertionError, OSError, subprocess.SubprocessError) as e:
                print('# stopping the shared PostgreSQL server: %s' % e)
                self.ok = False
            if self.ok and not os.environ.get('OSBROKER_KEEP_TMP'):
                shutil.rmtree(self.tmp, ignore_errors=True)
            else:
                print('# temporary files kept in %s' % self.tmp)
            sys.stdout.flush()
            self.server = None


_shared_pg = _SharedPg()


def store_for(state_dir):
    """OSBROKER_STORE for a broker whose state directory is state_dir: ''
    (LMDB in that directory) unless OSB_STORE=postgresql, then the connection
    string of a database of its own (the same for the same directory)."""
    if not pg_store():
        return ''
    return _shared_pg.conninfo(_shared_pg.database(state_dir))


def store_secrets():
    """What no log may show of the store's configuration: the brokers' role
    password and every connection string handed out (none under LMDB)."""
    return _shared_pg.secrets()


def store_admin(sql, state_dir):
    """sql as superuser in the database of state_dir (OSB_STORE=postgresql)."""
    return _shared_pg.get().admin(sql, _shared_pg.database(state_dir))



# --------------------------------------------------------------------------- load balancer

class LbStack(Stack):
    """nginx with conf/nginx/osbroker-lb.conf in front of broker hosts
    (ServeStacks, started), on a free loopback port.  Its access log names,
    per request, the hosts tried and their answers (upstream_addr and
    upstream_status, comma-separated when a request was passed on):
    requests() reads it."""

    def __init__(self, hosts, tmp=None, read_timeout=70, max_body=1048576):
        self.hosts = hosts
        self.tmp = tmp or make_tmpdir('lb')
        self.run_dir = os.path.join(self.tmp, 'lb')
        self.read_timeout = read_timeout
        self.max_body = max_body
        self.port = None
        self.nginx = None
        self.error_log = os.path.join(self.run_dir, 'nginx-error.log')
        self.access_log = os.path.join(self.run_dir, 'nginx-access.log')

    def start(self, timeout=30):
        check(len(self.hosts) == 2, 'osbroker-lb.conf names two hosts')
        os.makedirs(self.run_dir, mode=0o711, exist_ok=True)
        root = os.geteuid() == 0
        tmpdir = os.path.join(self.run_dir, 'nginx-tmp')
        os.makedirs(tmpdir, exist_ok=True)
        if root:
            shutil.chown(tmpdir, 'www-data', 'www-data')
        self.port = free_port()
        with open(os.path.join(REPO, 'conf', 'nginx', 'osbroker-lb.conf')) as f:
            server = f.read()
        subst = {'@LISTEN@': '127.0.0.1', '@PORT@': str(self.port),
                 '@HOST1@': '127.0.0.1:%d' % self.hosts[0].port,
                 '@HOST2@': '127.0.0.1:%d' % self.hosts[1].port,
                 '@CLIENT_MAX_BODY@': str(self.max_body + 65536),
                 '@READ_TIMEOUT@': str(self.read_timeout)}
        for k, v in subst.items():
            server = server.replace(k, v)
        if re.search(r'@[A-Z0-9_]+@', server):
            raise AssertionError('unsubstituted placeholder left in osbroker-lb.conf')
        with open(os.path.join(self.run_dir, 'osbroker-lb.conf'), 'w') as f:
            f.write(server)
        conf = os.path.join(self.run_dir, 'nginx.conf')
        with open(conf, 'w') as f:
            if root:
                f.write('user www-data www-data;\n')
            f.write('daemon off;\nmaster_process on;\nworker_processes 2;\n'
                    'pid %s/nginx.pid;\nerror_log %s warn;\n'
                    'events { worker_connections 512; }\n'
                    'http {\n'
                    "  log_format lb '$request_method $uri $status "
                    "up=$upstream_addr ustatus=$upstream_status';\n"
                    '  access_log %s lb;\n'
                    '  client_body_temp_path %s/body;\n  fastcgi_temp_path %s/fastcgi;\n'
                    '  proxy_temp_path %s/proxy;\n  scgi_temp_path %s/scgi;\n'
                    '  uwsgi_temp_path %s/uwsgi;\n  include %s/osbroker-lb.conf;\n}\n'
                    % (self.run_dir, self.error_log, self.access_log, tmpdir, tmpdir,
                       tmpdir, tmpdir, tmpdir, self.run_dir))
        self.nginx_out = open(self.error_log, 'ab')
        self.nginx = subprocess.Popen([shutil.which('nginx') or '/usr/sbin/nginx', '-p',
                                       self.run_dir, '-c', conf, '-e', self.error_log],
                                      stdin=subprocess.DEVNULL, stdout=self.nginx_out,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        c = Client(self.port, None, None)

        def ready():
            if self.nginx.poll() is not None:
                raise AssertionError('the load balancer\'s nginx exited: %s'
                                     % tail(self.error_log))
            try:
                return c.get('/v2/catalog', auth=False, timeout=10).status == 401
            except OSError:
                return False
        wait_for(ready, timeout, 'the load balancer to pass a request to a host')
        return self

    def client(self, username, password):
        return Client(self.port, username, password)

    def requests(self):
        """The access log: [(method, uri, status, [host ports tried],
        [their statuses])]."""
        out = []
        try:
            with open(self.access_log) as f:
                lines = f.read().splitlines()
        except OSError:
            return out
        for line in lines:
            m = re.match(r'(\S+) (\S+) (\d+) up=(.*) ustatus=(.*)$', line)
            if not m:
                continue
            ups = [u.strip() for u in re.split(r'[,:]\s*', m.group(4)) if u.strip()]
            ports = [int(u) for u in ups if u.isdigit()]
            out.append((m.group(1), m.group(2), int(m.group(3)), ports,
                        [u.strip() for u in m.group(5).split(',')]))
        return out

    def stop(self, timeout=30):
        problems = []
        if self.nginx is None:
            return problems
        try:
            os.killpg(self.nginx.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            self.nginx.wait(timeout)
        except subprocess.TimeoutExpired:
            problems.append('the load balancer did not stop within %ss' % timeout)
        try:
            wait_for(lambda: not group_alive(self.nginx.pid), timeout, 'its process group')
        except AssertionError:
            problems.append('processes of the load balancer left after SIGTERM')
            try:
                os.killpg(self.nginx.pid, signal.SIGKILL)
            except OSError:
                pass
        self.nginx_out.close()
        self.nginx = None
        if port_open(self.port):
            problems.append('port %d still open' % self.port)
        return problems

    def log_files(self):
        return [f for f in (self.error_log, self.access_log) if os.path.exists(f)]


# --------------------------------------------------------------------------- the store

def _pg_snapshot(state_dir):
    """store_snapshot() of a stack on PostgreSQL: one SELECT (one snapshot,
    safe while workers write) as superuser, keys and values hex-encoded."""
    rows = store_admin("SELECT to_regclass('osbroker_records') IS NOT NULL AS have \\gset\n"
                       "\\if :have\n"
                       "SELECT tbl, encode(convert_to(key, 'UTF8'), 'hex'), encode(value, 'hex') "
                       "FROM osbroker_records;\n"
                       "\\endif\n", state_dir)
    tables = {t: {} for t in ('instances', 'bindings', 'meta', 'gone', 'audit')}
    for row in rows:
        if len(row) != 3:
            raise AssertionError('unexpected psql output: %r' % (row,))
        tables.setdefault(row[0], {})[bytes.fromhex(row[1]).decode('utf-8', 'replace')] = \
            bytes.fromhex(row[2])
    return tables


def store_snapshot(state_dir):
    """The whole store of a state directory, read without the broker:
    {table: {key: value}} (str table and key, bytes value).  LMDB: from
    `mdb_dump -a` (hex: its printable form leaves a backslash as it is, so
    a backslash before two hex digits would read as an escape), which reads
    in one read transaction and so is safe while workers write.  OSB_STORE=postgresql: the state directory's
    database (store_for), the same shape."""
    if pg_store():
        return _pg_snapshot(state_dir)
    # A CGI broker that has answered only requests without the store (the
    # catalog, refused ones) has not created it yet: an empty store.
    if not os.path.exists(os.path.join(state_dir, 'data.mdb')):
        return {}
    exe = shutil.which('mdb_dump')
    if not exe:
        raise AssertionError('mdb_dump not installed (lmdb-utils): cannot look into the store')
    p = subprocess.run([exe, '-a', state_dir], capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError('mdb_dump -a %s failed (%d): %s'
                             % (state_dir, p.returncode, p.stderr.decode(errors='replace')))
    tables, table, pending, in_data = {}, None, None, False
    for line in p.stdout.decode('latin-1').split('\n'):
        if not in_data:
            if line.startswith('database='):
                table = line[len('database='):]
            elif line == 'HEADER=END':
                in_data, pending = True, None
                tables[table] = {}
        elif line == 'DATA=END':
            in_data, table = False, None
        elif line.startswith(' '):
            if pending is None:
                pending = bytes.fromhex(line[1:]).decode('utf-8', 'replace')
            else:
                tables[table][pending] = bytes.fromhex(line[1:])
                pending = None
    return tables


def store_diff(before, after):
    """The differences of two snapshots as 'table key: added|removed|changed',
    keys only: values hold credentials and must not reach a log."""
    out = []
    for t in sorted(set(before) | set(after)):
        b, a = before.get(t, {}), after.get(t, {})
        for k in sorted(set(b) | set(a)):
            if k not in a:
                out.append('%s %s: removed' % (t, k))
            elif k not in b:
                out.append('%s %s: added' % (t, k))
            elif a[k] != b[k]:
                out.append('%s %s: changed' % (t, k))
    return out


def scan_files(paths, needles, patterns=()):
    """Return problems: any needle (secret) or pattern found in any file."""
    problems = []
    for path in paths:
        try:
            with open(path, 'rb') as f:
                data = f.read()
        except OSError:
            continue
        for s in needles:
            if s and s.encode() in data:
                problems.append('%s contains a secret (%s...)' % (path, s[:4]))
        text = data.decode('utf-8', 'replace')
        for p in patterns:
            i = text.find(p)
            if i >= 0:
                start = text.rfind('\n', 0, i) + 1
                problems.append('%s: %s' % (path, text[start:start + 300].strip()))
    return problems


def files_under(d):
    out = []
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            if os.path.isfile(p) and not os.path.islink(p):
                out.append(p)
    return out


def secrets_of(credentials):
    """Strings of a credentials object a log must never show."""
    found = []

    def walk(o, key=''):
        if isinstance(o, dict):
            for k, v in o.items():
                walk(v, k)
        elif isinstance(o, list):
            for v in o:
                walk(v, key)
        elif isinstance(o, str):
            if re.search(r'pass|secret|token|key|uri|url', key, re.I) and len(o) >= 8:
                # for URIs, the password part alone
                m = re.match(r'^[a-z][a-z0-9+.-]*://[^:/@]*:([^@]+)@', o)
                found.append(m.group(1) if m else o)
    walk(credentials)
    return found


def check_logs(tap, stack, secrets, prefix=''):
    """The closing checks of a suite: no secret handed out (nor the broker
    password, nor the store's password or connection string) in any log, the password nowhere on disk, no sanitizer report."""
    def no_secrets():
        logs = stack.log_files()
        check(logs, 'no log files found')
        problems = scan_files(logs, list(secrets) + store_secrets())
        problems += scan_files(files_under(stack.tmp), [stack.password])
        check(not problems, '\n'.join(problems))
    tap.run('%sno log shows a binding secret; the broker password is nowhere on disk '
            '(%d secrets checked)' % (prefix, len(secrets)), no_secrets)

    def no_sanitizer_reports():
        problems = scan_files(stack.log_files(), [], BAD_LOG_PATTERNS)
        check(not problems, '\n'.join(problems))
    tap.run('%sno sanitizer report or crash in any log' % prefix, no_sanitizer_reports)


def finish_tmp(stacks, ok):
    # the shared PostgreSQL server's directory goes at exit, if every suite
    # of this process went well
    _shared_pg.ok = ok if _shared_pg.ok is None else (_shared_pg.ok and ok)
    if ok and not os.environ.get('OSBROKER_KEEP_TMP'):
        for s in stacks:
            shutil.rmtree(s.tmp, ignore_errors=True)
    else:
        for s in stacks:
            print('# temporary files kept in %s' % s.tmp)
