#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""scripts/osbroker-serve as an operator meets it: refusing an invalid
catalog, generated credentials, persistence across a full stop and start,
what a previous run leaves behind, a busy port, worker supervision, a child
dying under it, and the default catalog.yml end to end.
"""

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BAD_LOG_PATTERNS, FIXTURES, REPO, Client, ServeStack, Tap, broker_bin,
                     check, expect, expect_error, files_under, finish_tmp, pid_alive,
                     port_open, scan_files, secrets_of, store_secrets, wait_for)

TAB_LINE = 12     # the line of the fixture catalog a tab is put on


def stopped_clean(stack):
    problems = stack.stop()
    check(not problems, '; '.join(problems))


def main():
    tap = Tap()
    stacks = []
    secrets = []
    binary = broker_bin()
    print('# broker: %s' % binary)

    def new_stack(**kw):
        s = ServeStack(**kw)
        stacks.append(s)
        tap.stacks = [s]
        return s

    # ------------------------------------------------------------ check-catalog
    def check_catalog_ok():
        for path in (os.path.join(REPO, 'catalog.yml'), os.path.join(FIXTURES, 'catalog.yml')):
            p = subprocess.run([binary, '--check-catalog', path], capture_output=True, text=True, timeout=60)
            check(p.returncode == 0, '%s --check-catalog %s: exit %d: %s', binary, path, p.returncode, p.stderr)
            check(p.stdout.startswith(path + ': ok'), 'output %r', p.stdout)
    tap.run('--check-catalog accepts catalog.yml and the test fixture', check_catalog_ok)

    def examples_strict():
        # every catalog the project offers as an example, the man page's too
        d = tempfile.mkdtemp(prefix='osb-examples-')
        try:
            with open(os.path.join(REPO, 'man', 'osbroker-catalog.5')) as f:
                man = f.read()
            m = re.search(r'\.Sh EXAMPLES\n\.Bd -literal -offset indent\n(.*?)\n\.Ed', man, re.S)
            check(m, 'no example catalog in osbroker-catalog(5)')
            os.mkdir(os.path.join(d, 'hooks'))
            for h in ('provision', 'deprovision'):
                with open(os.path.join(d, 'hooks', h), 'w') as f:
                    f.write('#!/bin/sh\n')
                os.chmod(os.path.join(d, 'hooks', h), 0o755)
            manpage = os.path.join(d, 'osbroker-catalog.5.yml')
            with open(manpage, 'w') as f:
                f.write(m.group(1).replace('\\&', '') + '\n')
            for path in (os.path.join(REPO, 'catalog.yml'),
                         os.path.join(REPO, 'examples', 'postgresql', 'catalog.yml'), manpage):
                p = subprocess.run([binary, '--check-catalog', '--strict', path],
                                   capture_output=True, text=True, timeout=60)
                check(p.returncode == 0 and p.stderr == '',
                      '--check-catalog --strict %s: exit %d: %s', path, p.returncode, p.stderr)
                check(p.stdout.startswith(path + ': ok'), 'output %r', p.stdout)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    tap.run('--check-catalog --strict: the default catalog and every example draw no warning',
            examples_strict)

    def platform_warnings():
        # one catalog per rule: the warning names FILE:LINE:COL, the broker
        # would still load it (exit 0), --strict refuses it (exit 1)
        base = ['services:', '- id: svc-1', '  name: svc', '  description: d',
                '  bindable: true', '  plans:', '  - id: plan-1', '    name: p',
                '    description: d']
        cases = [
            # (what, lines replaced or added: {index: text}, the warning's line, its words)
            ('maximum_polling_duration under 120', {9: '    maximum_polling_duration: 60'},
             10, 'maximum_polling_duration 60 is under 120'),
            ('a plan id of 64 bytes', {6: '  - id: ' + 'x' * 64}, 7, '"id" is 64 bytes'),
            ('a schema without $schema',
             {9: '    schemas: {service_binding: {create: {parameters: {type: object}}}}'},
             10, 'has no "$schema"'),
            ('maintenance_info with another key',
             {9: '    maintenance_info: {version: 1.0.0, notes: x}'}, 10, 'key "notes"'),
            ('a dashboard_client without redirect_uri',
             {5: '  dashboard_client: {id: c1, secret: s1}\n  plans:'}, 6, 'no "redirect_uri"'),
            ('metadata.shareable not a boolean', {5: '  metadata: {shareable: "yes"}\n  plans:'},
             6, 'metadata "shareable"'),
            ('tags of more than 2048 characters', {5: '  tags: [%s]\n  plans:' % ('t' * 2049)},
             6, '2049 characters'),
            ('plan names that differ only in case',
             {9: '  - {id: plan-2, name: P, description: d}'}, 10, 'differ only in case'),
            ('a blank description', {8: '    description: " "'}, 9, 'only white space'),
        ]
        d = tempfile.mkdtemp(prefix='osb-warn-')
        try:
            for what, edit, line, words in cases:
                ls = list(base) + ['']
                for i, text in edit.items():
                    ls[i] = text
                path = os.path.join(d, 'c.yml')
                with open(path, 'w') as f:
                    f.write('\n'.join(ls) + '\n')
                p = subprocess.run([binary, '--check-catalog', path], capture_output=True,
                                   text=True, timeout=60)
                check(p.returncode == 0, '%s: exit %d without --strict: %s', what,
                      p.returncode, p.stderr)
                check(re.search(r'^%s:%d:\d+: warning: .*%s' % (re.escape(path), line,
                                                              re.escape(words)),
                                p.stderr, re.M),
                      '%s: no "%s:%d:COL: warning: ...%s" in %r', what, path, line, words, p.stderr)
                check('1 warning)' in p.stdout, '%s: summary %r', what, p.stdout)
                p = subprocess.run([binary, '--check-catalog', '--strict', path],
                                   capture_output=True, text=True, timeout=60)
                check(p.returncode == 1 and 'refused (--strict)' in p.stderr and p.stdout == '',
                      '%s: --strict: exit %d, %r %r', what, p.returncode, p.stdout, p.stderr)
            # the base itself is clean
            with open(path, 'w') as f:
                f.write('\n'.join(base) + '\n')
            p = subprocess.run([binary, '--check-catalog', '--strict', path],
                               capture_output=True, text=True, timeout=60)
            check(p.returncode == 0 and p.stderr == '', 'the base: %d %r', p.returncode, p.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    tap.run('--check-catalog: what Cloud Foundry or Kubernetes would refuse is a warning '
            'with FILE:LINE (exit 0), --strict refuses it (exit 1)', platform_warnings)

    # ------------------------------------------------------------ check-json
    # osbroker --check-json [--draft N] SCHEMA INSTANCE: exit 0 valid, 1
    # invalid (a violation a line on stderr), 2 unusable (osbroker(8)).
    json_dir = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'osb-check-json-%d' % os.getpid())

    def check_json(args, stdin=None):
        return subprocess.run([binary, '--check-json'] + args, input=stdin, capture_output=True,
                              text=True, timeout=60)

    def json_file(name, doc):
        os.makedirs(json_dir, exist_ok=True)
        path = os.path.join(json_dir, name)
        with open(path, 'w') as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return path

    def check_json_exits():
        schema = json_file('schema.json', {
            '$schema': 'http://json-schema.org/draft-07/schema#', 'type': 'object',
            'properties': {'size': {'type': 'integer', 'minimum': 1, 'maximum': 10}},
            'additionalProperties': False})
        p = check_json([schema, json_file('good.json', {'size': 3})])
        check(p.returncode == 0, 'valid: exit %d: %s', p.returncode, p.stderr)
        p = check_json([schema, '-'], stdin='{"size": 99, "bogus": 1}')
        check(p.returncode == 1, 'invalid: exit %d: %s', p.returncode, p.stderr)
        check(p.stderr.splitlines() == ['/size: 99 is greater than the maximum 10',
                                        '(root): unknown property "bogus" is not allowed'],
              'the violations, a line each: %r', p.stderr)
        p = check_json(['--draft', '4', schema, '-'], stdin='{"size": 1.5}')
        check(p.returncode == 1 and '/size: 1.5 is not of type integer' in p.stderr,
              '--draft 4: exit %d: %s', p.returncode, p.stderr)
        for name, doc, why in (
                ('remote.json', {'$ref': 'http://example.com/s.json'}, 'remote reference'),
                ('cycle.json', {'$ref': '#'}, 'cycle'),
                ('pattern.json', {'pattern': '(?=a)'}, 'lookahead'),
                ('meta.json', {'maximum': 'ten'}, 'maximum: "ten" is not of type number'),
                ('notjson.json', '{', 'not one JSON document')):
            p = check_json([json_file(name, doc), '-'], stdin='{}')
            check(p.returncode == 2 and why in p.stderr, '%s: exit %d: %s', name, p.returncode,
                  p.stderr)
        p = check_json([schema, json_file('bad-instance.json', '[1,')])
        check(p.returncode == 2 and 'not one JSON document' in p.stderr,
              'an instance that is not JSON: exit %d: %s', p.returncode, p.stderr)
        p = check_json([schema, os.path.join(json_dir, 'missing.json')])
        check(p.returncode == 2, 'a missing instance file: exit %d', p.returncode)
        p = check_json(['-', '-'], stdin='{}')
        check(p.returncode == 2, 'both on standard input: exit %d', p.returncode)
        p = check_json(['--draft', '5', schema, schema])
        check(p.returncode == 2 and 'usage' in p.stderr, '--draft 5: exit %d: %s', p.returncode,
              p.stderr)
        for f in os.listdir(json_dir):
            os.unlink(os.path.join(json_dir, f))
        os.rmdir(json_dir)
    tap.run('--check-json: 0 valid, 1 invalid with a line per violation, 2 unusable',
            check_json_exits)

    # ------------------------------------------------------------ invalid catalog
    def invalid_catalog():
        s = new_stack()
        os.makedirs(s.tmp, exist_ok=True)
        bad = os.path.join(s.tmp, 'broken-catalog.yml')
        with open(os.path.join(FIXTURES, 'catalog.yml')) as f:
            lines = f.read().split('\n')
        lines.insert(TAB_LINE - 1, '\tbroken: yes')
        with open(bad, 'w') as f:
            f.write('\n'.join(lines))
        s.catalog = bad
        p = s.launch()
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            s.stop()
            raise AssertionError('osbroker-serve started with an invalid catalog')
        out = s.output()
        check(rc != 0, 'osbroker-serve exited 0 with an invalid catalog')
        m = re.search(re.escape(bad) + r':(\d+):', out)
        check(m, 'the refusal does not name %s:LINE: %r', bad, out)
        check(int(m.group(1)) == TAB_LINE, 'it names line %s, the tab is on line %d', m.group(1), TAB_LINE)
        check('refus' in out.lower(), 'no clear refusal in %r', out)
        check(not port_open(s.port), 'something listens on %d', s.port)
        run = os.path.join(s.state_dir, 'run')
        left = [f for f in ('osbroker.sock', 'nginx.pid', 'spawn-fcgi.pid')
                if os.path.exists(os.path.join(run, f))]
        check(not left, 'left behind: %s', left)
        # a semantic error (a service without a name) is refused too
        with open(os.path.join(FIXTURES, 'catalog.yml')) as f:
            text = f.read().replace('  name: itest-db\n', '', 1)
        with open(bad, 'w') as f:
            f.write(text)
        p = s.launch()
        rc = p.wait(60)
        out = s.output()
        check(rc != 0, 'started with a service without a name')
        check(re.search(re.escape(bad) + r':\d+:', out), 'no FILE:LINE in %r', out)
    tap.run('an invalid catalog: osbroker-serve refuses to start and names the file and line',
            invalid_catalog)

    # ------------------------------------------------------------ persistence
    state = {}

    def first_run():
        s = new_stack(workers=3)
        s.start()
        state['stack'] = s
        c = s.client()
        cat = expect(c.get('/v2/catalog'), 200)
        svc = {x['name']: x for x in cat['services']}['itest-db']
        plan = {p['name']: p['id'] for p in svc['plans']}['basic']
        state.update(sid=svc['id'], pid=plan, iid='persist-' + uuid.uuid4().hex,
                     bid='pbind-' + uuid.uuid4().hex, gone='gone-' + uuid.uuid4().hex)
        body = {'service_id': svc['id'], 'plan_id': plan, 'organization_guid': 'o',
                'space_guid': 's', 'parameters': {'keep': 'me'}}
        expect(c.put('/v2/service_instances/' + state['iid'], body), 201)
        expect(c.put('/v2/service_instances/' + state['gone'], body), 201)
        doc = expect(c.put('/v2/service_instances/%s/service_bindings/%s' % (state['iid'], state['bid']),
                           {'service_id': svc['id'], 'plan_id': plan}), 201)
        state['creds'] = doc['credentials']
        secrets.extend(secrets_of(doc['credentials']))
        expect(c.delete('/v2/service_instances/%s?service_id=%s&plan_id=%s'
                        % (state['gone'], svc['id'], plan)), 200)
        check(len(s.pids()['workers']) == 3, 'OSBROKER_WORKERS=3: workers %s', s.pids()['workers'])
    tap.run('first run: provision, bind, deprovision (3 workers)', first_run)

    def stop_first():
        stopped_clean(state['stack'])
        check('stopped' in state['stack'].output(), 'no "stopped" message')
    tap.run('SIGTERM: exit 0, nothing listening, no socket, no pid file, no process left', stop_first)

    def second_run():
        s = state['stack']
        s.start()       # same state dir, same port
        c = s.client()
        doc = expect(c.get('/v2/service_instances/' + state['iid']), 200)
        check(doc.get('plan_id') == state['pid'] and doc.get('parameters') == {'keep': 'me'},
              'instance after restart: %r', doc)
        doc = expect(c.get('/v2/service_instances/%s/service_bindings/%s' % (state['iid'], state['bid'])), 200)
        check(doc.get('credentials') == state['creds'], 'credentials changed across the restart')
        expect(c.get('/v2/service_instances/' + state['gone']), 404)
        expect(c.put('/v2/service_instances/%s/service_bindings/%s' % (state['iid'], state['bid']),
                     {'service_id': state['sid'], 'plan_id': state['pid']}), 200)
    tap.run('after a full stop and start: instance, binding and credentials are still there, '
            'the deprovisioned one is not', second_run)

    def live_previous_run():
        s = state['stack']
        other = ServeStack(tmp=s.tmp, state_dir=s.state_dir, catalog=s.catalog,
                           password=s.password, binary=s.binary)
        other.starts = 100    # its own serve-101.out
        p = other.launch()
        rc = p.wait(60)
        out = other.output()
        check(rc != 0, 'a second osbroker-serve on the same state dir started')
        check(re.search(r'still|running|previous', out, re.I) and re.search(r'\d+', out),
              'no clear message about the running instance: %r', out)
        # the first one is unharmed
        expect(s.client().get('/v2/service_instances/' + state['iid']), 200)
        check(os.path.exists(os.path.join(s.run_dir, 'nginx.pid')), 'the refused start removed the pid file')
    tap.run('a second start on a live state dir is refused with a clear message; the first one keeps serving',
            live_previous_run)

    def worker_supervised():
        s = state['stack']
        before = s.pids()['workers']
        check(before, 'no workers found')
        os.kill(before[0], signal.SIGKILL)
        wait_for(lambda: len(s.pids()['workers']) == len(before) and before[0] not in s.pids()['workers'],
                 30, 'multiwatch to replace the killed worker')
        c = s.client()
        for _ in range(10):
            expect(c.get('/v2/service_instances/' + state['iid']), 200)
    tap.run('a killed worker is replaced by multiwatch and requests keep working', worker_supervised)

    def child_dies():
        s = state['stack']
        pids = s.pids()
        os.kill(pids['nginx'], signal.SIGKILL)
        try:
            rc = s.proc.wait(60)
        except subprocess.TimeoutExpired:
            raise AssertionError('osbroker-serve kept running after nginx died')
        check(rc != 0, 'osbroker-serve exited 0 after nginx died')
        check('nginx' in s.output().split('press Ctrl-C to stop')[-1], 'no message naming nginx: %r', s.output()[-500:])
        wait_for(lambda: not any(pid_alive(p) for p in [pids['spawner']] + pids['workers']), 30,
                 'the workers to be stopped')
        sock = s.socket_path()
        check(not (sock and os.path.exists(sock)), 'stale socket %s', sock)
        for f in ('spawn-fcgi.pid',):
            check(not os.path.exists(os.path.join(s.run_dir, f)), 'stale %s', f)
        # nginx was killed: its pid file may remain; the next start must cope
        problems = s.stop()
        s.start()
        expect(s.client().get('/v2/service_instances/' + state['iid']), 200)
        stopped_clean(s)
    tap.run('nginx dying: osbroker-serve stops the workers, exits non-zero, and the next start works',
            child_dies)

    def spawner_dies():
        s = state['stack']
        s.start()
        pids = s.pids()
        check(pids['workers'], 'no workers')
        os.kill(pids['spawner'], signal.SIGKILL)    # multiwatch: its workers are orphaned
        try:
            rc = s.proc.wait(60)
        except subprocess.TimeoutExpired:
            raise AssertionError('osbroker-serve kept running after the spawner died')
        check(rc != 0, 'osbroker-serve exited 0 after the spawner died')
        check('workers' in s.output().split('press Ctrl-C to stop')[-1], 'no message naming the workers')
        wait_for(lambda: not any(pid_alive(p) for p in [pids['nginx']] + pids['workers']
                                 + pids['nginx_workers']), 30, 'nginx and the orphaned workers to be stopped')
        check(not port_open(s.port), 'port %d still open', s.port)
        sock = s.socket_path()
        check(not (sock and os.path.exists(sock)), 'stale socket %s', sock)
        s.stop()
    tap.run('the spawner dying: osbroker-serve stops nginx and the orphaned workers, exits non-zero',
            spawner_dies)

    def sigint():
        s = state['stack']
        s.start()
        pids = s.pids()
        s.proc.send_signal(signal.SIGINT)
        rc = s.proc.wait(60)
        check(rc == 0, 'exit status %s after SIGINT', rc)
        wait_for(lambda: not any(pid_alive(p) for p in [pids['nginx'], pids['spawner']] + pids['workers']
                                 + pids['nginx_workers']), 10, 'everything to stop')
        check(not port_open(s.port), 'port %d still open', s.port)
        check(not os.path.exists(s.socket_path()), 'stale socket')
        s.stop()
    tap.run('SIGINT (Ctrl-C) stops everything like SIGTERM, exit 0', sigint)

    # ------------------------------------------------------------ stale files, busy port
    def stale_pid_files():
        s = state['stack']
        p = subprocess.Popen(['true'])
        p.wait()
        dead = p.pid     # a pid that no longer runs
        os.makedirs(s.run_dir, exist_ok=True)
        for f in ('nginx.pid', 'spawn-fcgi.pid'):
            with open(os.path.join(s.run_dir, f), 'w') as fh:
                fh.write('%d\n' % dead)
        sock = s.socket_path() or os.path.join(s.run_dir, 'osbroker.sock')
        # a stale socket file nobody listens on
        u = socket.socket(socket.AF_UNIX)
        u.bind(sock)
        u.close()
        s.start()
        expect(s.client().get('/v2/service_instances/' + state['iid']), 200)
        stopped_clean(s)
    tap.run('stale pid files and a stale socket from a crashed run do not block the next start',
            stale_pid_files)

    def busy_port():
        s = new_stack()
        blocker = socket.socket()
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(('127.0.0.1', 0))
        blocker.listen(1)
        s.port = blocker.getsockname()[1]
        try:
            p = s.launch()
            rc = p.wait(60)
            out = s.output()
            check(rc != 0, 'started on a busy port')
            check(re.search(r'busy|in use', out, re.I) and str(s.port) in out,
                  'no clear message about the busy port: %r', out)
            sock = os.path.join(s.state_dir, 'run', 'osbroker.sock')
            check(not os.path.exists(sock), 'socket left behind')
        finally:
            blocker.close()
    tap.run('a busy port: a clear message, nothing left behind', busy_port)

    # ------------------------------------------------------------ generated credentials
    gen = {}

    def generated_credentials():
        s = new_stack(username=None, password='')
        s.start()
        gen['stack'] = s
        out = s.output()
        m = re.search(r'password: (\S+)', out)
        check(m, 'no generated password printed: %r', out)
        pw = gen['pw'] = m.group(1)
        check(len(pw) >= 16, 'generated password %r is short', pw)
        check(re.search(r'username: osbroker\b', out), 'no username printed')
        want = 'cf create-service-broker osbroker osbroker %s http://127.0.0.1:%d' % (pw, s.port)
        check(want in out, 'no exact cf command (%r) in %r', want, out)
        check('curl' in out, 'no curl example')
        creds = os.path.join(s.state_dir, 'credentials')
        st = os.stat(creds)
        check(stat.S_IMODE(st.st_mode) == 0o600, 'credentials mode %o', stat.S_IMODE(st.st_mode))
        with open(creds) as f:
            text = f.read()
        check(pw not in text, 'the plaintext password is in %s', creds)
        check(re.search(r'^osbroker:\$', text, re.M), 'credentials file: %r', text)
        check(stat.S_IMODE(os.stat(s.state_dir).st_mode) & 0o007 == 0,
              'state dir is open to others: %o', stat.S_IMODE(os.stat(s.state_dir).st_mode))
        c = Client(s.port, 'osbroker', pw)
        expect(c.get('/v2/catalog'), 200)
        expect(Client(s.port, 'osbroker', pw + 'x').get('/v2/catalog'), 401)
        problems = scan_files([f for f in files_under(s.tmp) if not f.endswith('.out')], [pw])
        check(not problems, '\n'.join(problems))
        stopped_clean(s)
        s.start()
        out2 = s.output()
        check(pw not in out2 and 'password:' not in out2, 'the password was printed again: %r', out2)
        expect(c.get('/v2/catalog'), 200)
        stopped_clean(s)
        problems = scan_files([f for f in files_under(s.tmp) if not f.endswith('.out')], [pw])
        check(not problems, '\n'.join(problems))
    tap.run('no credentials given: a password is generated, printed once with the cf command, '
            'only its hash stored; the next start reuses it silently', generated_credentials)

    def private_parent():
        s = new_stack()
        priv = os.path.join(s.tmp, 'private')
        os.makedirs(priv, mode=0o700)
        os.chmod(priv, 0o700)
        s.state_dir = os.path.join(priv, 'state')
        s.start()
        out = s.output()
        sock = s.socket_path()
        check(sock == '/run/osbroker-%d/osbroker.sock' % s.port, 'socket at %s: %r', sock, out)
        check(stat.S_IMODE(os.stat(s.state_dir).st_mode) == 0o700, 'state dir mode %o',
              stat.S_IMODE(os.stat(s.state_dir).st_mode))
        expect(s.client().get('/v2/catalog'), 200)
        stopped_clean(s)
        check(not os.path.exists('/run/osbroker-%d' % s.port), '/run/osbroker-%d left behind' % s.port)
    if os.geteuid() == 0:
        tap.run('as root, a state dir under a private directory (like /root): the socket moves to /run, '
                'the state dir stays 0700, requests work, /run is cleaned at stop', private_parent)
    else:
        tap.skip('a state dir under a private directory', 'not root (nginx workers run as we do)')

    def max_body():
        s = new_stack(max_body=4096)
        s.start()
        c = s.client()
        doc = expect(c.get('/v2/catalog'), 200)
        svc = {x['name']: x for x in doc['services']}['itest-db']
        pid = {p['name']: p['id'] for p in svc['plans']}['basic']
        base = {'service_id': svc['id'], 'plan_id': pid, 'organization_guid': 'o', 'space_guid': 's',
                'parameters': {'pad': ''}}
        for size, want in ((4096, 201), (4097, 413), (60000, 413), (200000, 413)):
            iid = 'mb-' + uuid.uuid4().hex
            b = json.dumps(base)
            body = b.replace('"pad": ""', '"pad": "' + 'x' * (size - len(b)) + '"')
            expect(c.put('/v2/service_instances/' + iid, body), want)
            expect(c.get('/v2/service_instances/' + iid), 200 if want == 201 else 404)
        stopped_clean(s)
    tap.run('OSBROKER_MAX_BODY=4096: 4096 bytes accepted, 4097 and more -> 413 JSON (broker, then nginx)',
            max_body)

    # ------------------------------------------------------------ default catalog
    def default_catalog():
        s = new_stack(catalog=os.path.join(REPO, 'catalog.yml'))
        s.start()
        c = s.client()
        doc = expect(c.get('/v2/catalog'), 200)
        svc = {x['name']: x for x in doc['services']}
        check('osbroker-demo' in svc, 'no osbroker-demo service: %r', list(svc))
        d = svc['osbroker-demo']
        plans = {p['name']: p for p in d['plans']}
        check({'small', 'large'} <= set(plans), 'plans %r', list(plans))
        check(plans['small'].get('binding_rotatable') is True, 'small: binding_rotatable')
        check((plans['small'].get('maintenance_info') or {}).get('version') == '1.0.0',
              'small: maintenance_info %r', plans['small'].get('maintenance_info'))
        iid, bid = 'demo-' + uuid.uuid4().hex, 'demob-' + uuid.uuid4().hex
        sid, pid = d['id'], plans['small']['id']
        q = 'service_id=%s&plan_id=%s' % (sid, pid)
        expect(c.put('/v2/service_instances/' + iid, {
            'service_id': sid, 'plan_id': pid, 'context': {'platform': 'cloudfoundry'},
            'organization_guid': 'org-1', 'space_guid': 'space-1', 'parameters': {'size': 1}}), 201)
        doc = expect(c.put('/v2/service_instances/%s/service_bindings/%s' % (iid, bid), {
            'service_id': sid, 'plan_id': pid, 'bind_resource': {'app_guid': 'app-1'}}), 201)
        secrets.extend(secrets_of(doc['credentials']))
        expect(c.patch('/v2/service_instances/' + iid, {
            'service_id': sid, 'plan_id': plans['large']['id'], 'parameters': {'size': 2}}), 200)
        doc = expect(c.get('/v2/service_instances/' + iid), 200)
        check(doc.get('plan_id') == plans['large']['id'], 'plan after update: %r', doc)
        # the platform now names the instance by its new plan
        q = 'service_id=%s&plan_id=%s' % (sid, plans['large']['id'])
        expect(c.delete('/v2/service_instances/%s/service_bindings/%s?%s' % (iid, bid, q)), 200)
        expect(c.delete('/v2/service_instances/%s?%s' % (iid, q)), 200)
        expect(c.get('/v2/service_instances/' + iid), 404)

        # the asynchronous demo plan: 202, polling with Retry-After, 410
        check('delayed' in plans, 'no asynchronous demo plan "delayed": %r', list(plans))
        iid, pid = 'demo-' + uuid.uuid4().hex, plans['delayed']['id']
        q = 'service_id=%s&plan_id=%s&accepts_incomplete=true' % (sid, pid)
        body = {'service_id': sid, 'plan_id': pid, 'context': {'platform': 'cloudfoundry'}}
        expect_error(c.put('/v2/service_instances/' + iid, body), 422, 'AsyncRequired')
        for verb, want_final in (('PUT', 200), ('DELETE', 410)):
            if verb == 'PUT':
                op = expect(c.put('/v2/service_instances/%s?accepts_incomplete=true' % iid, body),
                            202)['operation']
            else:
                op = expect(c.delete('/v2/service_instances/%s?%s' % (iid, q)), 202)['operation']
            r = c.get('/v2/service_instances/%s/last_operation?operation=%s' % (iid, op))
            check(r.status == 200 and r.json['state'] == 'in progress' and
                  r.header('Retry-After') == '2', '%s: right after 202: %r %r', verb, r,
                  r.header('Retry-After'))
            deadline = time.monotonic() + 40
            while True:
                r = c.get('/v2/service_instances/%s/last_operation?operation=%s' % (iid, op))
                if r.status != 200 or r.json['state'] != 'in progress':
                    break
                check(time.monotonic() < deadline, '%s: still in progress after 40 s', verb)
                time.sleep(0.5)
            check(r.status == want_final, '%s: final last_operation %r, want %d', verb, r, want_final)
            if want_final == 200:
                check(r.json['state'] == 'succeeded', 'demo provision: %r', r.json)
                expect(c.get('/v2/service_instances/' + iid), 200)
        stopped_clean(s)
    tap.run('the default catalog.yml: osbroker-demo with small and large, a full life cycle; '
            'the delayed plan provisions and deprovisions asynchronously', default_catalog)

    # ------------------------------------------------------------ logs
    def logs_clean():
        files = []
        for s in stacks:
            files += [f for f in files_under(s.tmp) if '/run/' in f or f.endswith('.out')]
        problems = scan_files(files, secrets + store_secrets(), BAD_LOG_PATTERNS)
        pw = [s.password for s in stacks if s.password]
        problems += scan_files([f for s in stacks for f in files_under(s.tmp)], pw)
        check(not problems, '\n'.join(problems))
    tap.run('no secret and no sanitizer report in any log of these runs', logs_clean)

    for s in stacks:
        if s.proc is not None:
            s.stop()
    rc = tap.done()
    finish_tmp(stacks, rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
