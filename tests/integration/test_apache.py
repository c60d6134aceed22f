#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""The shared-hosting path: Apache httpd 2.4 with mod_cgi, configured by the
repository's cgi-bin/.htaccess exactly as shipped (only its SetEnv paths are
pointed at a temporary state directory).  Apache is started here, in the
foreground, on a free loopback port, and stopped by its process group.

Checks that the documented setup works: the RewriteRule sends /v2/... to the
program, CGIPassAuth hands it the Authorization header, the program reached by
its own URL strips SCRIPT_NAME, bodies over the limit get the broker's 413,
the non-program files are refused, and the CGI cases of cases.py pass.
"""

import os
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (AUTH_FAILURES_FOR_TESTS, FIXTURES, REPO, Client, Stack, Tap, broker_bin,
                     check, check_logs, expect, expect_error, files_under, finish_tmp,
                     free_port, group_alive, hash_password, make_tmpdir, port_open, store_for,
                     tail, wait_for)
from cases import CASES, Ctx

# Cases about what nginx itself does (its own error pages, its handling of
# undecodable URLs and of paths outside /v2/): Apache answers those with its
# own pages; the broker's part of them is covered below.
NGINX_ONLY = (
    "nginx's own errors are JSON too",
    'ids: 255 unreserved',
    'unknown paths',
)

MODULES = ('mpm_prefork.load', 'mpm_prefork.conf', 'authz_core.load', 'authz_host.load',
           'cgi.load', 'rewrite.load', 'env.load', 'mime.load', 'alias.load')


class ApacheStack(Stack):
    def __init__(self, tmp, catalog):
        self.tmp = tmp
        self.catalog = catalog
        self.username = 'itest-apache'
        self.password = 'pw-apache-' + os.urandom(8).hex()
        self.binary = broker_bin(cgi=True)
        self.docroot = os.path.join(tmp, 'www')
        self.state_dir = os.path.join(tmp, 'state')
        self.error_log = os.path.join(tmp, 'apache-error.log')
        self.proc = None
        self.port = None
        self.max_body = None        # OSBROKER_MAX_BODY of cgi-bin/.htaccess

    def start(self, timeout=60):
        root = os.geteuid() == 0
        os.chmod(self.tmp, 0o711)       # Apache's children (www-data) pass through
        os.makedirs(self.docroot, exist_ok=True)
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        shutil.copy(self.binary, os.path.join(self.docroot, 'osbroker.cgi'))
        for f in ('.htaccess', 'README.md'):
            shutil.copy(os.path.join(REPO, 'cgi-bin', f), self.docroot)
        creds = os.path.join(self.state_dir, 'credentials')
        with open(creds, 'w') as f:
            f.write('%s:%s\n' % (self.username, hash_password(self.binary, self.password)))
        os.chmod(creds, 0o600)
        # The shipped .htaccess names /home/example/osbroker/{state,catalog.yml};
        # point that prefix here.  A changed .htaccess fails this test.
        ht = os.path.join(self.docroot, '.htaccess')
        with open(ht) as f:
            text = f.read()
        check(len(re.findall(r'^SetEnv\s+OSBROKER_\w+\s+/home/example/osbroker/', text,
                             re.M)) == 3,
              'cgi-bin/.htaccess no longer has its three SetEnv example paths')
        m = re.search(r'^SetEnv\s+OSBROKER_MAX_BODY\s+(\d+)\s*$', text, re.M)
        check(m, 'cgi-bin/.htaccess no longer sets OSBROKER_MAX_BODY')
        self.max_body = int(m.group(1))
        self.catalog = shutil.copy(self.catalog, os.path.join(self.tmp, 'catalog.yml'))
        os.chmod(self.catalog, 0o644)
        with open(ht, 'w') as f:
            f.write(text.replace('/home/example/osbroker', self.tmp))
        for d in (self.docroot,):
            os.chmod(d, 0o755)
        if root:
            for p in [self.state_dir] + files_under(self.state_dir):
                shutil.chown(p, 'www-data', 'www-data')
        self.port = free_port()
        conf = os.path.join(self.tmp, 'httpd.conf')
        with open(conf, 'w') as f:
            f.write('ServerRoot /etc/apache2\n')
            for m in MODULES:
                f.write('Include mods-available/%s\n' % m)
            if root:
                f.write('User www-data\nGroup www-data\n')
            # The sanitizer build's settings reach the CGI like everything
            # else: through Apache's environment.
            for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
                if k in os.environ:
                    f.write('PassEnv %s\n' % k)
            store = store_for(self.state_dir)
            if store:           # OSB_STORE=postgresql (harness.py)
                f.write('SetEnv OSBROKER_STORE %s\n' % store)
            # The cases send many wrong passwords (harness.py)
            f.write('SetEnv OSBROKER_AUTH_FAILURES %s\n' % AUTH_FAILURES_FOR_TESTS)
            f.write('TypesConfig /etc/mime.types\n'
                    'DefaultRuntimeDir %s\nPidFile %s/httpd.pid\n'
                    'Listen 127.0.0.1:%d\nServerName localhost\n'
                    'ErrorLog %s\nLogLevel warn\n'
                    'DocumentRoot %s\n<Directory %s>\n'
                    '    AllowOverride All\n    Require all granted\n</Directory>\n'
                    % (self.tmp, self.tmp, self.port, self.error_log, self.docroot,
                       self.docroot))
        apache = shutil.which('apache2') or '/usr/sbin/apache2'
        self.out = open(os.path.join(self.tmp, 'apache-stdout.log'), 'ab')
        self.proc = subprocess.Popen([apache, '-f', conf, '-DFOREGROUND'],
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        c = self.client()

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError('apache2 exited: %s' % tail(self.error_log))
            try:
                return c.get('/v2/catalog', auth=False, timeout=10).status == 401
            except OSError:
                return False
        wait_for(ready, timeout, 'Apache to answer 401')
        return self

    def client(self):
        return Client(self.port, self.username, self.password)

    def stop(self, timeout=30):
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is not None:
            problems.append('apache2 had exited before the stop')
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            self.proc.wait(timeout)
            wait_for(lambda: not group_alive(self.proc.pid), timeout, 'Apache to exit')
        except (subprocess.TimeoutExpired, AssertionError):
            problems.append('Apache did not stop within %ss' % timeout)
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        if port_open(self.port):
            problems.append('port %d still open' % self.port)
        self.proc = None
        return problems

    def log_files(self):
        return [f for f in (self.error_log,) if os.path.exists(f)]


def main():
    tap = Tap()
    if not (shutil.which('apache2') or os.path.exists('/usr/sbin/apache2')):
        # Only a user who cannot install it may skip: as root (make check, CI)
        # `scripts/install-deps --test` should have installed it.
        if os.geteuid() == 0:
            print('not ok 1 - apache2 is installed\n'
                  '#   run scripts/install-deps --test (make check does)\n1..1')
            return 1
        print('1..0 # SKIP apache2 is not installed and we are not root '
              '(scripts/install-deps --test installs it)')
        return 0
    tmp = make_tmpdir('apache')
    stack = ApacheStack(tmp, os.path.join(FIXTURES, 'catalog.yml'))
    tap.stacks.append(stack)
    print('# broker (CGI under Apache): %s' % stack.binary)
    ctx = None

    def start():
        nonlocal ctx
        stack.start()
        ctx = Ctx(stack, stack.client())
    if not tap.run('Apache + cgi-bin/.htaccess: /v2/catalog reaches the broker', start, step=True):
        stack.stop()
        tap.bail('Apache did not start')
        return tap.done()

    def pass_auth():
        r = ctx.c.get('/v2/catalog')
        expect(r, 200)
        bad = Client(stack.port, stack.username, 'wrong').get('/v2/catalog')
        expect_error(bad, 401)
        check(bad.header('WWW-Authenticate'), '401 without WWW-Authenticate')
    tap.run('CGIPassAuth: the right password 200, a wrong one 401 from the broker', pass_auth)

    def own_url():
        r = ctx.c.get('/osbroker.cgi/v2/catalog')
        check(expect(r, 200).get('services'), 'no services through /osbroker.cgi/v2/catalog')
        expect_error(ctx.c.get('/osbroker.cgi/v2/nothing'), 404)
        # ids are checked by the broker behind Apache too
        expect_error(ctx.c.get(ctx.ipath('x' * 256)), 400)
        expect_error(ctx.c.get(ctx.ipath('a%3Ab')), 400)
    tap.run('the program by its own URL (/osbroker.cgi/v2/...): SCRIPT_NAME is not part of the path',
            own_url)

    def too_large():
        iid = 'apache-big'
        body = '{"x":"' + 'a' * (stack.max_body + 10) + '"}'
        expect_error(ctx.c.put(ctx.ipath(iid), body), 413)
        expect_error(ctx.c.get(ctx.ipath(iid)), 404)
    tap.run('a body over the limit: the broker drains it and answers 413 JSON; nothing stored',
            too_large)

    def refused_files():
        for f in ('.htaccess', 'README.md'):
            r = ctx.c.get('/' + f, auth=False)
            check(r.status == 403, '/%s: want 403, got %d', f, r.status)
    tap.run('.htaccess and README.md are not served (403)', refused_files)

    for name, fn, cgi in CASES:
        if not cgi:
            continue
        if any(p in name for p in NGINX_ONLY):
            tap.skip('apache: ' + name, 'about nginx itself; Apache answers with its own pages')
            continue
        tap.run('apache: ' + name, fn, ctx)

    def clean_stop():
        problems = stack.stop()
        check(not problems, '; '.join(problems))
    tap.run('Apache stops cleanly: no process, nothing listening', clean_stop, step=True)

    check_logs(tap, stack, ctx.secrets, 'apache: ')

    rc = tap.done()
    finish_tmp([stack], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
