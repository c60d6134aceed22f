# SPDX-License-Identifier: ISC
"""stacks: nginx in front of a FastCGI pool, fcgiwrap, or a static file.

Each Stack is one part of the bench in a directory of its own (under the
bench's temporary directory), on a free loopback port.  The nginx
configuration is built the way scripts/osbroker-serve builds it (same
nginx.conf top: 2 worker processes, 512 connections, access log on) around
the repository's server blocks:

  fastcgi   conf/nginx/osbroker.conf      + spawn-fcgi + multiwatch, N workers
  cgi       conf/nginx/osbroker-cgi.conf  + spawn-fcgi + fcgiwrap -c N
  static    a server block of our own that answers every path with one file

so osbroker and the minimal programs it is compared with sit behind exactly
the same nginx and socket setup.  One part is the exception on purpose:

  lean      a server block of our own (nginx's defaults, the standard
            fastcgi_params, no access log)  + spawn-fcgi + multiwatch

what a FastCGI responder gets from nginx without the shipped configuration,
so that bench/run can show what that configuration costs.  broker_env() and make_credentials() set
the broker up the same way for bench/run and bench/scale.
"""

import base64
import http.client
import os
import re
import secrets
import shutil
import subprocess

import procs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_BODY = 1048576          # OSBROKER_MAX_BODY's default, as osbroker-serve uses
NGINX_WORKERS = 2           # worker_processes of the nginx.conf osbroker-serve writes
# The lean part's request parameters: the standard set of nginx's own
# fastcgi_params file (what `include fastcgi_params;` gives), spelled out so
# that the part does not depend on where a distribution keeps that file.
LEAN_PARAMS = (
    ('QUERY_STRING', '$query_string'), ('REQUEST_METHOD', '$request_method'),
    ('CONTENT_TYPE', '$content_type'), ('CONTENT_LENGTH', '$content_length'),
    ('SCRIPT_NAME', '$fastcgi_script_name'), ('REQUEST_URI', '$request_uri'),
    ('DOCUMENT_URI', '$document_uri'), ('DOCUMENT_ROOT', '$document_root'),
    ('SERVER_PROTOCOL', '$server_protocol'), ('REQUEST_SCHEME', '$scheme'),
    ('HTTPS', '$https if_not_empty'), ('GATEWAY_INTERFACE', 'CGI/1.1'),
    ('SERVER_SOFTWARE', 'nginx/$nginx_version'), ('REMOTE_ADDR', '$remote_addr'),
    ('REMOTE_PORT', '$remote_port'), ('REMOTE_USER', '$remote_user'),
    ('SERVER_ADDR', '$server_addr'),
    ('SERVER_PORT', '$server_port'), ('SERVER_NAME', '$server_name'),
    ('REDIRECT_STATUS', '200'))


def _web_user():
    """(user, group) nginx's workers run as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    import grp
    import pwd
    for u in ('www-data', 'nobody'):
        try:
            pw = pwd.getpwnam(u)
            return u, grp.getgrgid(pw.pw_gid).gr_name
        except KeyError:
            continue
    raise procs.StartError('running as root, but there is no www-data or nobody user for nginx')


def _fill(template, subst):
    with open(os.path.join(REPO, 'conf', 'nginx', template)) as f:
        text = f.read()
    for k, v in subst.items():
        text = text.replace(k, v)
    left = re.findall(r'@[A-Z_]+@', text)
    if left:
        raise procs.StartError('conf/nginx/%s: placeholders left: %s' % (template, left))
    return text


class Stack:
    def __init__(self, root, name):
        self.name = name
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o711)     # nginx's workers (www-data) reach the socket
        self.port = procs.free_port()
        self.sock = os.path.join(self.dir, 'backend.sock')
        self.backend_log = os.path.join(self.dir, 'backend.log')
        self.error_log = os.path.join(self.dir, 'nginx-error.log')
        self.access_log = os.path.join(self.dir, 'nginx-access.log')
        self.nginx = self.backend = None
        self.web = _web_user()
        self.nginx_workers = NGINX_WORKERS
        # Every request logged; lean_fastcgi() logs only the unexpected ones.
        self.access_log_line = 'access_log %s;' % self.access_log

    # ---------------------------------------------------------- backends

    def _spawn(self, argv, env):
        cmd = ['spawn-fcgi', '-n', '-s', self.sock, '-M', '0600']
        if self.web:
            cmd += ['-U', self.web[0], '-G', self.web[1]]
        self.backend = procs.start(cmd + ['--'] + argv, self.backend_log, env)
        procs.wait_for(lambda: os.path.exists(self.sock), 30, 'the socket ' + self.sock,
                       [self.backend], [self.backend_log])

    def start_fastcgi(self, argv, env=None, workers=2):
        """argv under multiwatch (as scripts/osbroker-serve starts the broker):
        spawn-fcgi -n execs multiwatch, so self.backend.pid is multiwatch and
        the workers are its children."""
        multiwatch = shutil.which('multiwatch') or '/usr/bin/multiwatch'
        self._spawn([multiwatch, '-f', str(workers), '-r', '100', '-t', '1000', '--'] + argv,
                    env)
        # nginx's limit_req out of reach: the flood row (bench/README.md)
        # measures the broker's own budget of failed authentications.
        self.server_block = _fill('osbroker.conf', {
            '@LISTEN@': '127.0.0.1', '@PORT@': str(self.port), '@SOCKET@': self.sock,
            '@CLIENT_MAX_BODY@': str(MAX_BODY + 65536),
            '@LIMIT_RATE@': '100000r/s', '@LIMIT_BURST@': '100000'})

    def lean_fastcgi(self, argv, env=None, workers=2, nginx_workers=NGINX_WORKERS):
        """argv as start_fastcgi() runs it, behind a lean nginx: a server
        block with nginx's defaults (buffers, timeouts, fastcgi_keep_conn
        off, no error pages) and the standard request parameters, and no
        access log for the answers the bench expects.  Only an answer with
        another status than 200 is logged (access_log if=, nothing written
        otherwise), so that load.run_checked() still sees a wrong one."""
        self.start_fastcgi(argv, env, workers)
        self.nginx_workers = nginx_workers
        self.access_log_line = 'access_log %s combined if=$bench_unexpected;' % self.access_log
        self.server_block = (
            'map $status $bench_unexpected {\n    200 0;\n    default 1;\n}\n'
            'server {\n    listen 127.0.0.1:%d;\n    server_name _;\n'
            '    location / {\n        fastcgi_pass unix:%s;\n%s    }\n}\n'
            % (self.port, self.sock, ''.join('        fastcgi_param %s %s;\n' % p
                                             for p in LEAN_PARAMS)))

    def start_cgi(self, script, state_dir, catalog, credentials, children=2, store=None):
        """fcgiwrap with `children` preforked children; nginx hands the
        OSBROKER_* settings to the CGI program as fastcgi_param, and
        OSBROKER_STORE too when store (a connection string) is given."""
        fcgiwrap = shutil.which('fcgiwrap') or '/usr/sbin/fcgiwrap'
        self._spawn([fcgiwrap, '-c', str(children)], None)
        block = _fill('osbroker-cgi.conf', {
            '@LISTEN@': '127.0.0.1', '@PORT@': str(self.port), '@SOCKET@': self.sock,
            '@CGI_SCRIPT@': script, '@STATE_DIR@': state_dir, '@CATALOG@': catalog,
            '@CREDENTIALS@': credentials, '@MAX_BODY@': str(MAX_BODY),
            '@CLIENT_MAX_BODY@': str(MAX_BODY + 65536)})
        if store is not None:
            line = re.search(r'\n( *)fastcgi_param OSBROKER_MAX_BODY [^\n]*\n', block)
            if line is None or '"' in store:
                raise procs.StartError('conf/nginx/osbroker-cgi.conf: no OSBROKER_MAX_BODY '
                                       'line to add OSBROKER_STORE after')
            block = (block[:line.end()] + '%sfastcgi_param OSBROKER_STORE "%s";\n'
                     % (line.group(1), store) + block[line.end():])
        self.server_block = block

    def static_file(self, path):
        """No backend: nginx answers every path with the file (world-readable)."""
        self.server_block = (
            'server {\n    listen 127.0.0.1:%d;\n    server_name _;\n'
            '    root %s;\n    default_type application/json;\n'
            '    location / { try_files /%s =404; }\n}\n'
            % (self.port, os.path.dirname(path), os.path.basename(path)))

    # ---------------------------------------------------------- nginx

    def start_nginx(self):
        tmp = os.path.join(self.dir, 'nginx-tmp')
        os.makedirs(tmp)
        if self.web:
            shutil.chown(tmp, self.web[0], self.web[1])
        with open(os.path.join(self.dir, 'server.conf'), 'w') as f:
            f.write(self.server_block)
        conf = os.path.join(self.dir, 'nginx.conf')
        with open(conf, 'w') as f:
            if self.web:
                f.write('user %s %s;\n' % self.web)
            f.write('daemon off;\nmaster_process on;\nworker_processes {w};\n'
                    'pid {d}/nginx.pid;\nerror_log {d}/nginx-error.log warn;\n'
                    'events {{\n    worker_connections 512;\n}}\n'
                    'http {{\n    {log}\n    server_tokens off;\n'
                    '    client_body_temp_path {t}/body;\n    fastcgi_temp_path {t}/fastcgi;\n'
                    '    proxy_temp_path {t}/proxy;\n    scgi_temp_path {t}/scgi;\n'
                    '    uwsgi_temp_path {t}/uwsgi;\n    include {d}/server.conf;\n}}\n'
                    .format(d=self.dir, t=tmp, w=self.nginx_workers, log=self.access_log_line))
        nginx = shutil.which('nginx') or '/usr/sbin/nginx'
        self.nginx = procs.start([nginx, '-p', self.dir, '-c', conf, '-e', self.error_log],
                                 self.error_log)

    def wait_ready(self, path='/', headers=None):
        """Until a request gets through nginx to the backend (not 502/503/504)."""
        def ready():
            try:
                return get(self.port, path, headers)[0] not in (502, 503, 504)
            except OSError:
                return False
        running = [p for p in (self.nginx, self.backend) if p]
        procs.wait_for(ready, 30, '%s to answer on port %d' % (self.name, self.port),
                       running, [self.error_log, self.backend_log])
        return self

    # ---------------------------------------------------------- while running

    def workers(self):
        """The FastCGI workers: multiwatch's children."""
        return procs.children(self.backend.pid) if self.backend else []

    def access_log_size(self):
        try:
            return os.path.getsize(self.access_log)
        except OSError:
            return 0

    def statuses_since(self, offset, skip_client=None):
        """{status: count} of the access log lines written after offset, but
        those of skip_client (an address: the flood row's requests)."""
        counts = {}
        skip = skip_client.encode() + b' ' if skip_client else None
        with open(self.access_log, 'rb') as f:
            f.seek(offset)
            for line in f:
                if skip and line.startswith(skip):
                    continue
                m = re.search(rb'\] "[^"]*" (\d{3}) ', line)
                key = int(m.group(1)) if m else 'unparsed'
                counts[key] = counts.get(key, 0) + 1
        return counts

    def dead(self):
        """Names of this stack's processes that have exited."""
        return [what for what, p in (('nginx', self.nginx), ('backend', self.backend))
                if p is not None and p.poll() is not None]

    def stop(self):
        """nginx first (no new requests), then the backend; by PID."""
        quiet = True
        for p in (self.nginx, self.backend):
            if p is not None:
                quiet = procs.stop(p) and quiet
        self.nginx = self.backend = None
        return quiet


def get(port, path, headers=None, method='GET', body=None, timeout=30):
    """One HTTP request to 127.0.0.1:port; (status, headers dict, body bytes)."""
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        h = dict(headers or {})
        if body is not None:
            h.setdefault('Content-Type', 'application/json')
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


def broker_env(state_dir, catalog, credentials, store=None):
    """The workers' environment, as scripts/osbroker-serve gives it; store:
    OSBROKER_STORE (a PostgreSQL connection string), else LMDB."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(('OSBROKER_', 'BENCH_', 'PG'))}
    e.update(OSBROKER_STATE_DIR=state_dir, OSBROKER_CATALOG=catalog,
             OSBROKER_CREDENTIALS=credentials, OSBROKER_MAX_BODY=str(MAX_BODY))
    if store is not None:
        e['OSBROKER_STORE'] = store
    return e


def make_credentials(broker, root, user='bench'):
    """A credentials file (0600) in root for user with a fresh random password,
    hashed by `broker --hash-password`; returns (its path, the Authorization
    header value)."""
    password = secrets.token_urlsafe(24)
    p = subprocess.run([broker, '--hash-password'], input=password + '\n',
                       capture_output=True, text=True, timeout=60)
    h = p.stdout.strip()
    if p.returncode != 0 or not h.startswith('$'):
        raise procs.StartError('%s --hash-password failed: %s' % (broker, p.stderr))
    path = os.path.join(root, 'credentials')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write('# osbroker bench, this run only\n%s:%s\n' % (user, h))
    auth = 'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    return path, auth
