#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""The Debian package that `make deb` built (build/osbroker_*.deb, or
$OSB_DEB), as a host would get it: installed by dpkg into a throwaway root
(--root, its maintainer scripts run with DPKG_ROOT: the osbroker user and
/var/lib/osbroker made there), upgraded, removed and purged; and unpacked
with dpkg-deb -x into another, its programs run from there against real
requests: /usr/sbin/osbroker as FastCGI workers (scripts/osbroker-serve:
nginx, spawn-fcgi, multiwatch) with the installed catalog, whose
asynchronous plan runs the installed demo hook, and
/usr/lib/cgi-bin/osbroker.cgi behind nginx + fcgiwrap.  Then what Debian
checks: lintian with no error and no warning, the build log's compile and
link lines through blhc (dpkg-buildflags' hardening flags reached every one
of them), the hardening in the ELF files, no static copy of a library; and
the unit and the nginx example through systemd-analyze and nginx -t.
tests/run's `package` part runs it after `make deb`.

Nothing is installed on this host: the package's files stay under a
temporary directory; the broker's catalog there names its hook by the path
the package gives it, so a copy of it with that path moved into the
unpacked root is what the brokers load.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'integration'))
from harness import (REPO, CgiStack, ServeStack, Tap, check, expect, free_port,
                     make_tmpdir, wait_for)

# What the package must hold (besides its documentation), and the modes.
PROGRAMS = ('usr/sbin/osbroker', 'usr/sbin/osbrokerctl', 'usr/lib/cgi-bin/osbroker.cgi',
            'usr/lib/osbroker/demo/delay-hook')
FILES = ('etc/osbroker/catalog.yml', 'lib/systemd/system/osbroker.service',
         'usr/lib/sysusers.d/osbroker.conf', 'usr/lib/tmpfiles.d/osbroker.conf',
         'usr/share/man/man8/osbroker.8.gz', 'usr/share/man/man8/osbrokerctl.8.gz',
         'usr/share/man/man5/osbroker-catalog.5.gz', 'usr/share/doc/osbroker/copyright',
         'usr/share/doc/osbroker/examples/nginx/osbroker.conf',
         'usr/share/doc/osbroker/examples/nginx/osbroker-cgi.conf',
         'usr/share/doc/osbroker/examples/nginx/osbroker-lb.conf')
# The libraries the brokers use, each of which must be a shared object the
# program loads: a static copy misses the distribution's security updates
# (lintian knows some libraries' code: embedded-library, an error).
SHARED = ('libfcgi.so.0', 'libyaml-0.so.2', 'liblmdb.so.0', 'libcrypt.so.1', 'libcjson.so.1')
HOOK_DIR = '/usr/lib/osbroker'


def run(argv, **kw):
    kw.setdefault('timeout', 300)
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def find_deb():
    d = os.environ.get('OSB_DEB')
    if d:
        return os.path.abspath(d)
    debs = glob.glob(os.path.join(REPO, 'build', 'osbroker_*.deb'))
    check(len(debs) == 1, 'want exactly one build/osbroker_*.deb (make deb), found %r', debs)
    return debs[0]


class Pkg:
    def __init__(self, deb, tmp):
        self.deb = deb
        self.tmp = tmp
        self.root = os.path.join(tmp, 'root')
        self.field = {}

    def path(self, rel):
        return os.path.join(self.root, rel)

    def unpack(self):
        os.makedirs(self.root)
        p = run(['dpkg-deb', '-x', self.deb, self.root])
        check(p.returncode == 0, 'dpkg-deb -x: %s', p.stderr)
        for f in ('Package', 'Version', 'Architecture', 'Depends'):
            self.field[f] = run(['dpkg-deb', '-f', self.deb, f]).stdout.strip()
        ctrl = os.path.join(self.tmp, 'DEBIAN')
        p = run(['dpkg-deb', '-e', self.deb, ctrl])
        check(p.returncode == 0, 'dpkg-deb -e: %s', p.stderr)
        with open(os.path.join(ctrl, 'conffiles')) as f:
            self.conffiles = f.read().split()
        with open(os.path.join(ctrl, 'postinst')) as f:
            self.postinst = f.read()

    def catalog_here(self):
        """The installed catalog, its hook paths moved into the root."""
        with open(self.path('etc/osbroker/catalog.yml')) as f:
            text = f.read()
        check(HOOK_DIR + '/demo/delay-hook' in text,
              'the installed catalog does not name %s/demo/delay-hook', HOOK_DIR)
        text = text.replace(HOOK_DIR + '/', self.path(HOOK_DIR.lstrip('/')) + '/')
        # The demonstration takes DEMO_DELAY seconds; one is enough here.
        text = re.sub(r'DEMO_DELAY: "\d+"', 'DEMO_DELAY: "1"', text)
        out = os.path.join(self.tmp, 'catalog.yml')
        with open(out, 'w') as f:
            f.write(text)
        os.chmod(out, 0o644)
        return out, re.findall(r'^  - id: (\S+)', text, re.M)


def t_contents(pkg):
    check(os.path.basename(pkg.deb) == 'osbroker_%s_%s.deb'
          % (pkg.field['Version'], pkg.field['Architecture']),
          '%s is not named osbroker_VERSION_ARCH.deb (Version %s)', pkg.deb, pkg.field['Version'])
    missing = [f for f in PROGRAMS + FILES if not os.path.isfile(pkg.path(f))]
    check(not missing, 'not in the package: %s', missing)
    for f in PROGRAMS:
        mode = os.stat(pkg.path(f)).st_mode & 0o7777
        check(mode == 0o755, '%s has mode %o, want 755', f, mode)
    check(pkg.conffiles == ['/etc/osbroker/catalog.yml'],
          'conffiles %r, want exactly /etc/osbroker/catalog.yml', pkg.conffiles)
    # No secret and no state in the package: the operator writes those.
    for f in ('etc/osbroker/credentials', 'var/lib/osbroker'):
        check(not os.path.exists(pkg.path(f)), '%s is in the package', f)
    for dep in ('spawn-fcgi', 'multiwatch'):
        check(re.search(r'(^|, )%s\b' % dep, pkg.field['Depends']),
              'Depends (%s) lacks %s, which the unit runs', pkg.field['Depends'], dep)


def needed(path):
    p = run(['readelf', '-d', '-W', path])
    check(p.returncode == 0, 'readelf -d %s: %s', path, p.stderr)
    return re.findall(r'\(NEEDED\)\s+Shared library: \[([^]]+)\]', p.stdout), p.stdout


def t_dynamic(pkg):
    for f in ('usr/lib/cgi-bin/osbroker.cgi', 'usr/sbin/osbroker'):
        libs, _ = needed(pkg.path(f))
        missing = [lib for lib in SHARED if lib not in libs]
        check(not missing, '%s does not load %s (linked in statically?); it needs %s',
              f, missing, libs)


def t_hardening(pkg):
    # What hardening-check (devscripts) looks at, from readelf alone.
    for f in ('usr/sbin/osbroker', 'usr/sbin/osbrokerctl', 'usr/lib/cgi-bin/osbroker.cgi'):
        path = pkg.path(f)
        head = run(['readelf', '-h', '-l', '-W', path]).stdout
        _, dyn = needed(path)
        syms = run(['readelf', '--dyn-syms', '-W', path]).stdout
        check(re.search(r'Type:\s+DYN', head), '%s is not position independent (PIE)', f)
        check('GNU_RELRO' in head, '%s has no RELRO segment', f)
        check(re.search(r'\(FLAGS(_1)?\)\s+Flags:.*\b(BIND_NOW|NOW)\b', dyn),
              '%s is not linked with -z now (BIND_NOW)', f)
        check('__stack_chk_fail' in syms, '%s has no stack protector', f)
        check(re.search(r'\b__\w+_chk\b', syms.replace('__stack_chk_fail', '')),
              '%s calls no fortified function (_FORTIFY_SOURCE)', f)


def t_lintian(pkg):
    p = run(['lintian', '--allow-root', '--display-info', '--pedantic',
             '--fail-on', 'error,warning', pkg.deb], timeout=600)
    tags = [line for line in p.stdout.splitlines() if re.match(r'[EWIPXO]: ', line)]
    for line in tags:
        print('#   lintian: ' + line)
    bad = [line for line in tags if line[0] in 'EW']
    check(p.returncode == 0 and not bad, 'lintian (exit %d): %s%s', p.returncode,
          '; '.join(bad) or '(no E: or W: line)', p.stderr.strip() and '; ' + p.stderr.strip())


def t_blhc(pkg):
    log = os.path.join(REPO, 'build', 'deb', 'build.log')
    check(os.path.isfile(log), 'no %s (make deb writes it)', log)
    with open(log) as f:
        text = f.read()
    check('osbroker-%s' % pkg.field['Version'] in text,
          '%s is not the log of version %s', log, pkg.field['Version'])
    compiles = len(re.findall(r'^cc .* -c -o ', text, re.M))
    links = len(re.findall(r'^cc (?!.* -c ).* -o ', text, re.M))
    check(compiles >= 40 and links >= 3, 'the log shows %d compiles and %d links', compiles, links)
    arch = run(['dpkg-architecture', '-qDEB_HOST_ARCH']).stdout.strip()
    p = run(['blhc', '--arch', arch, log])
    out = p.stdout.strip().splitlines()
    for line in out[:5]:
        print('#   blhc: ' + line[:200])
    check(p.returncode == 0 and not out,
          'blhc (exit %d): %d lines, flags missing from the build (above)', p.returncode, len(out))
    print('#   %d compile and %d link lines, each with every flag' % (compiles, links))


def passwd_entry(root, user):
    try:
        with open(os.path.join(root, 'etc', 'passwd')) as f:
            for line in f:
                fields = line.rstrip('\n').split(':')
                if fields[0] == user:
                    return fields
    except OSError:
        pass
    return None


def t_sysusers_tmpfiles(pkg):
    # Exactly as the postinst calls them (dh_installsysusers and
    # dh_installtmpfiles' snippets), with DPKG_ROOT set to the root.
    for cmd in ('systemd-sysusers ${DPKG_ROOT:+--root="$DPKG_ROOT"} osbroker.conf',
                'systemd-tmpfiles ${DPKG_ROOT:+--root="$DPKG_ROOT"} --create osbroker.conf'):
        check(cmd in pkg.postinst, 'the postinst does not run: %s', cmd)
    os.makedirs(pkg.path('etc'), exist_ok=True)
    env = dict(os.environ, DPKG_ROOT=pkg.root)
    for argv in (['systemd-sysusers', '--root=' + pkg.root, 'osbroker.conf'],
                 ['systemd-tmpfiles', '--root=' + pkg.root, '--create', 'osbroker.conf']):
        p = run(argv, env=env)
        check(p.returncode == 0, '%s: exit %d: %s', ' '.join(argv), p.returncode, p.stderr)
    pw = passwd_entry(pkg.root, 'osbroker')
    check(pw, 'no osbroker user in the root\'s /etc/passwd')
    uid = int(pw[2])
    check(0 < uid < 1000, 'osbroker has uid %d, not a system user\'s', uid)
    check(pw[5] == '/var/lib/osbroker' and pw[6].endswith('nologin'),
          'osbroker: home %r, shell %r', pw[5], pw[6])
    st = os.stat(pkg.path('var/lib/osbroker'))
    check(st.st_mode & 0o7777 == 0o700, '/var/lib/osbroker has mode %o, want 700',
          st.st_mode & 0o7777)
    check(st.st_uid == uid, '/var/lib/osbroker belongs to uid %d, want %d', st.st_uid, uid)


def dpkg(root, *args):
    """dpkg on the throwaway root: its own database there, the maintainer
    scripts run here with DPKG_ROOT=root (what debhelper's snippets and
    systemd-sysusers, systemd-tmpfiles and deb-systemd-helper honour), the
    package's dependencies taken as given (they are this host's)."""
    env = dict(os.environ)
    env.pop('DPKG_ROOT', None)
    return run(['dpkg', '--root=' + root, '--force-script-chrootless', '--force-depends',
                '--log=/dev/null'] + list(args), env=env)


def t_dpkg(pkg):
    root = os.path.join(pkg.tmp, 'dpkg-root')
    admin = os.path.join(root, 'var', 'lib', 'dpkg')
    for d in ('info', 'updates', 'triggers'):
        os.makedirs(os.path.join(admin, d))
    for f in ('status', 'available'):
        open(os.path.join(admin, f), 'w').close()
    os.makedirs(os.path.join(root, 'etc'))

    def status():
        p = run(['dpkg-query', '--admindir=' + admin, '-W', '-f=${Status} ${Version}', 'osbroker'])
        return p.stdout.strip()

    def ok(p, what):
        check(p.returncode == 0, '%s: exit %d: %s%s', what, p.returncode, p.stdout, p.stderr)

    ok(dpkg(root, '-i', pkg.deb), 'dpkg -i')
    check(status() == 'install ok installed ' + pkg.field['Version'], 'after -i: %r', status())
    pw = passwd_entry(root, 'osbroker')
    check(pw, 'the postinst made no osbroker user')
    st = os.stat(os.path.join(root, 'var/lib/osbroker'))
    check(st.st_mode & 0o7777 == 0o700 and st.st_uid == int(pw[2]),
          'the postinst made /var/lib/osbroker mode %o uid %d, want 700 and %s',
          st.st_mode & 0o7777, st.st_uid, pw[2])
    check(os.path.exists(os.path.join(
        root, 'var/lib/systemd/deb-systemd-helper-enabled/osbroker.service.dsh-also')),
        'deb-systemd-helper did not record the unit')
    wants = os.path.join(root, 'etc/systemd/system/multi-user.target.wants/osbroker.service')
    check(not os.path.lexists(wants), 'the unit was enabled on installation')

    # An upgrade (the same version again) keeps a local edit of the conffile.
    conf = os.path.join(root, 'etc/osbroker/catalog.yml')
    with open(conf, 'a') as f:
        f.write('# a local edit\n')
    ok(dpkg(root, '-i', pkg.deb), 'dpkg -i again')
    with open(conf) as f:
        check(f.read().endswith('# a local edit\n'), 'the conffile lost its local edit')

    ok(dpkg(root, '-r', 'osbroker'), 'dpkg -r')
    check(status() == 'deinstall ok config-files ' + pkg.field['Version'], 'after -r: %r', status())
    check(not os.path.exists(os.path.join(root, 'usr/sbin/osbroker')), 'dpkg -r left the program')
    check(os.path.exists(conf), 'dpkg -r removed the conffile')
    ok(dpkg(root, '-P', 'osbroker'), 'dpkg -P')
    check(not os.path.exists(conf), 'dpkg -P left the conffile')
    # The state (every instance's) and its user stay, as the README says.
    check(os.path.isdir(os.path.join(root, 'var/lib/osbroker')) and passwd_entry(root, 'osbroker'),
          'dpkg -P removed /var/lib/osbroker or the osbroker user')


def t_unit(pkg):
    with open(pkg.path('lib/systemd/system/osbroker.service')) as f:
        unit = f.read().replace('\\\n', ' ')
    execs = re.findall(r'^Exec\w+=[-@:+!]*(\S+)(.*)$', unit, re.M)
    check(execs, 'no Exec line in the unit')
    for prog, args in execs:
        check(prog.startswith('/'), 'unit runs %s by a relative path', prog)
        if prog.startswith('/usr/sbin/osbroker'):
            check(os.access(pkg.path(prog.lstrip('/')), os.X_OK), 'unit runs %s, not in the package', prog)
    check(re.search(r'\s/usr/sbin/osbroker\s*$', unit, re.M) or '-- /usr/sbin/osbroker' in unit,
          'the unit does not start /usr/sbin/osbroker')
    check('/usr/local/' not in re.sub(r'^#.*$', '', unit, flags=re.M),
          'the unit still names /usr/local')
    check(re.search(r'^User=osbroker$', unit, re.M), 'the unit does not run as osbroker')
    check(re.search(r'^Environment=OSBROKER_CATALOG=/etc/osbroker/catalog.yml$', unit, re.M),
          'the unit does not load /etc/osbroker/catalog.yml')
    # systemd's own check: every key known and well formed, every program
    # there (the package's under the unpacked root, spawn-fcgi and
    # multiwatch on this host).  It prints what it ignores but exits 0.
    if shutil.which('systemd-analyze'):
        d = os.path.join(pkg.tmp, 'unit-check')
        os.makedirs(d)
        with open(pkg.path('lib/systemd/system/osbroker.service')) as f:
            text = f.read().replace('/usr/sbin/', pkg.path('usr/sbin') + '/')
        with open(os.path.join(d, 'osbroker.service'), 'w') as f:
            f.write(text)
        p = run(['systemd-analyze', 'verify', '--man=no', os.path.join(d, 'osbroker.service')])
        check(p.returncode == 0 and not (p.stdout + p.stderr).strip(),
              'systemd-analyze verify: exit %d: %s%s', p.returncode, p.stdout, p.stderr)


def t_nginx_example(pkg, port):
    # Filled in as README "Install from the package" says, then nginx -t on
    # it inside an http {} block, as /etc/nginx/conf.d/ files are.
    with open(pkg.path('usr/share/doc/osbroker/examples/nginx/osbroker.conf')) as f:
        conf = f.read()
    for k, v in (('@LISTEN@', '127.0.0.1'), ('@PORT@', str(port)),
                 ('@SOCKET@', '/run/osbroker/osbroker.sock'), ('@CLIENT_MAX_BODY@', '1114112'),
                 ('@LIMIT_RATE@', '100r/s'), ('@LIMIT_BURST@', '200')):
        conf = conf.replace(k, v)
    left = set(re.findall(r'@[A-Z_]+@', conf))
    check(not left, 'placeholders the README does not fill: %s', sorted(left))
    d = os.path.join(pkg.tmp, 'nginx-example')
    os.makedirs(d)
    with open(os.path.join(d, 'osbroker.conf'), 'w') as f:
        f.write(conf)
    with open(os.path.join(d, 'nginx.conf'), 'w') as f:
        f.write('pid %s/nginx.pid;\nerror_log %s/error.log;\nevents { }\nhttp {\n'
                '  access_log off;\n  client_body_temp_path %s/body;\n'
                '  fastcgi_temp_path %s/fastcgi;\n  include %s/osbroker.conf;\n}\n'
                % (d, d, d, d, d))
    p = run([shutil.which('nginx') or '/usr/sbin/nginx', '-t', '-q', '-p', d,
             '-e', os.path.join(d, 'error.log'), '-c', os.path.join(d, 'nginx.conf')])
    check(p.returncode == 0, 'nginx -t: exit %d: %s%s', p.returncode, p.stdout, p.stderr)


def t_version(pkg):
    upstream = re.match(r'[0-9.]+', pkg.field['Version']).group(0)
    for prog in ('osbroker', 'osbrokerctl'):
        p = run([pkg.path('usr/sbin/' + prog), '--version'], timeout=30)
        check(p.returncode == 0 and p.stdout.strip() == '%s %s' % (prog, upstream),
              '%s --version: %r (exit %d), want "%s %s"', prog, p.stdout, p.returncode,
              prog, upstream)


def t_check_catalog(pkg, catalog):
    p = run([pkg.path('usr/sbin/osbroker'), '--check-catalog', catalog], timeout=60)
    check(p.returncode == 0, 'osbroker --check-catalog on the installed catalog: exit %d: %s%s',
          p.returncode, p.stdout, p.stderr)


def catalog_answers(c, service_ids):
    r = c.get('/v2/catalog', auth=False)
    expect(r, 401)
    doc = expect(c.get('/v2/catalog'), 200)
    got = [s.get('id') for s in doc.get('services', [])]
    check(got == service_ids, 'served services %r, want the installed catalog\'s %r',
          got, service_ids)
    plans = [p['name'] for s in doc['services'] for p in s.get('plans', [])]
    check('delayed' in plans, 'no plan "delayed" in %r', plans)
    return doc


def async_provision(c, doc):
    svc = doc['services'][0]
    plan = [p for p in svc['plans'] if p['name'] == 'delayed'][0]
    iid = 'pkg-' + uuid.uuid4().hex[:12]
    body = {'service_id': svc['id'], 'plan_id': plan['id'],
            'organization_guid': 'org-pkg', 'space_guid': 'space-pkg'}
    expect(c.put('/v2/service_instances/%s?accepts_incomplete=true' % iid, body), 202)

    def done():
        st = expect(c.get('/v2/service_instances/%s/last_operation' % iid), 200)
        return st if st.get('state') != 'in progress' else None
    st = wait_for(done, 30, 'the provision to finish', interval=0.5)
    check(st.get('state') == 'succeeded' and 'demo' in st.get('description', ''),
          'last_operation %r, want succeeded with the demo hook\'s description', st)


def main():
    tap = Tap()
    tmp = make_tmpdir('package')
    try:
        deb = find_deb()
    except AssertionError as e:
        print('not ok 1 - the package is there\n#   %s\n1..1' % e)
        return 1
    print('# package: %s' % deb)
    pkg = Pkg(deb, tmp)
    if not tap.run('dpkg-deb -x unpacks the package into a throwaway root', pkg.unpack, step=True):
        tap.bail('cannot unpack %s' % deb)
        return tap.done()

    tap.run('the package holds the programs, the conffile, the unit, sysusers, tmpfiles, '
            'man pages and nginx examples', t_contents, pkg)
    tap.run('the CGI program and the workers\' program load the libraries as shared objects '
            '(no static copies)', t_dynamic, pkg)
    tap.run('the programs are PIE, with RELRO, BIND_NOW, stack protector and fortified calls',
            t_hardening, pkg)
    for tool, fn, name in (
            ('lintian', t_lintian, 'lintian: no error and no warning'),
            ('blhc', t_blhc, 'blhc: dpkg-buildflags\' flags reached every compile and link')):
        if shutil.which(tool):
            tap.run(name, fn, pkg)
        elif os.geteuid() == 0:
            tap.run(name, lambda: check(False, '%s is not installed (make deps DEPS=test '
                                         'installs it)' % tool))
        else:
            tap.skip(name, '%s is not installed (as root: apt-get install %s)' % (tool, tool))
    # A real installation into a throwaway root, when dpkg's maintainer
    # scripts can run without touching this host: the postinst's
    # `systemctl daemon-reload` is not guarded by DPKG_ROOT, so not where
    # systemd runs; then the postinst's two calls that matter, alone.
    name = ('dpkg --root installs the package (the postinst makes the osbroker user and '
            '/var/lib/osbroker 0700, enables nothing), an upgrade keeps an edited '
            'conffile, remove and purge')
    name_alone = ('the postinst\'s systemd-sysusers and systemd-tmpfiles make the osbroker '
                  'user and /var/lib/osbroker (0700)')
    if os.geteuid() != 0:
        tap.skip(name, 'only root can give /var/lib/osbroker to the osbroker user')
    elif os.path.isdir('/run/systemd/system'):
        tap.skip(name, 'systemd runs here: the postinst would reload it')
        tap.run(name_alone, t_sysusers_tmpfiles, pkg)
    else:
        tap.run(name, t_dpkg, pkg)
    tap.run('the systemd unit runs the installed /usr/sbin/osbroker as osbroker '
            '(and passes systemd-analyze verify)', t_unit, pkg)
    tap.run('osbroker and osbrokerctl --version print the package\'s version', t_version, pkg)
    name = ('the nginx example, filled in as the README says, passes nginx -t')
    if shutil.which('nginx') or os.path.exists('/usr/sbin/nginx'):
        tap.run(name, t_nginx_example, pkg, free_port())
    else:
        tap.skip(name, 'nginx is not installed')

    catalog, service_ids = pkg.catalog_here()
    tap.run('the installed osbroker accepts the installed catalog (--check-catalog)',
            t_check_catalog, pkg, catalog)

    # The workers' program, as the unit runs it: spawn-fcgi + multiwatch
    # (scripts/osbroker-serve adds nginx in front, as a host would).
    serve = ServeStack(tmp=os.path.join(tmp, 'serve'), catalog=catalog,
                       binary=pkg.path('usr/sbin/osbroker'))
    os.makedirs(serve.tmp, mode=0o711)
    ctx = {}

    def serve_start():
        tap.stacks.append(serve)    # its logs are shown if a case fails
        serve.start()
        ctx['doc'] = catalog_answers(serve.client(), service_ids)
    if tap.run('FastCGI: the installed /usr/sbin/osbroker serves the installed catalog '
               '(401 without credentials, 200 with)', serve_start):
        tap.run('FastCGI: an asynchronous provision runs the installed demo hook to succeeded',
                lambda: async_provision(serve.client(), ctx['doc']))
    if serve.proc is not None:
        problems = serve.stop()
        tap.run('FastCGI: the stack stops cleanly',
                lambda: check(not problems, '; '.join(problems)), step=True)

    cgi = CgiStack(tmp=os.path.join(tmp, 'cgi'), catalog=catalog,
                   binary=pkg.path('usr/lib/cgi-bin/osbroker.cgi'))
    os.makedirs(cgi.tmp, mode=0o711)

    def cgi_start():
        ctx['cgi'] = True
        tap.stacks.append(cgi)
        cgi.start()
        catalog_answers(cgi.client(), service_ids)
    tap.run('CGI: the installed /usr/lib/cgi-bin/osbroker.cgi answers through nginx + fcgiwrap',
            cgi_start)
    if ctx.get('cgi'):
        problems = cgi.stop()
        tap.run('CGI: the stack stops cleanly',
                lambda: check(not problems, '; '.join(problems)), step=True)

    rc = tap.done()
    if rc == 0 and not os.environ.get('OSBROKER_KEEP_TMP'):
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print('# temporary files kept in %s' % tmp)
    return rc


if __name__ == '__main__':
    t0 = time.monotonic()
    rc = main()
    print('# %.0f s' % (time.monotonic() - t0))
    sys.exit(rc)
