#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""The budget of failed authentications per client address (README
"Password guessing", src/throttle.h) and nginx's limit_req in front of it.

nginx listens on 127.0.0.1; the client connects from other loopback
addresses (127.0.0.2, .3, ...: Linux routes all of 127/8 to lo), so nginx
and the broker see them as other clients (REMOTE_ADDR), without any
forwarded header to trust.  A broker with a budget of 4 failures regained
in 4 s (one a second), through osbroker-serve with 4 FastCGI workers, then
through fcgiwrap as CGI (one process per request):

  - 4 wrong passwords answer 401, the 5th 429 with Retry-After and an
    OSBAPI error body, no WWW-Authenticate; then the right password from
    that address 429 too, while another address gets 401 and 200;
  - the 429s are answered without checking any password: the broker's
    authentication-failure counter does not move, the throttled one does;
  - the workers share the budget: 4 wrong passwords sent at once, taken by
    at least two workers (their pids in the log), spend it;
  - malformed and missing Authorization headers count like wrong passwords;
  - after Retry-After seconds one failure has come back (401, then 429),
    after a window the whole budget;
  - one log line per address and minute, not per request (the 429s have no
    request line), never the password;
  - nginx's limit_req (OSBROKER_LIMIT_RATE 5r/s, burst 20 here): a flood
    from one address gets nginx's own 429 JSON with Retry-After, while
    127.0.0.1 (this host's own clients) is not limited;
  - under CGI the budget is the host's file, shared by every process.

    python3 tests/integration/test_throttle.py
"""

import base64
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CgiStack, Client, ServeStack, Tap, check, check_logs, expect,
                     expect_error, finish_tmp, make_tmpdir)

BUDGET, WINDOW = 4, 4
WRONG = 'wrong-' + 'x7q' * 4          # never to be found in a log
ENV = {'OSBROKER_AUTH_FAILURES': str(BUDGET), 'OSBROKER_AUTH_WINDOW': str(WINDOW)}


def from_addr(stack, source, password=None):
    return Client(stack.port, stack.username,
                  stack.password if password is None else password, source=source)


def wrong(stack, source, rid=None):
    h = {'X-Broker-API-Request-Identity': rid} if rid else None
    return from_addr(stack, source, WRONG).get('/v2/catalog', headers=h)


def expect_throttled(r):
    doc = expect_error(r, 429)
    ra = r.header('Retry-After')
    check(ra is not None and ra.isdigit() and 1 <= int(ra) <= WINDOW,
          '429 with Retry-After %r, want 1..%d', ra, WINDOW)
    check(r.header('WWW-Authenticate') is None, 'a 429 asks for no credentials')
    check('failed authentications' in doc['description'], 'description: %r', doc)
    return int(ra)


def spend(stack, source, rid=None):
    for i in range(BUDGET):
        r = wrong(stack, source, rid and '%s-%d' % (rid, i))
        expect_error(r, 401)
        check(r.header('WWW-Authenticate'), '401 without WWW-Authenticate')


def metric(stack, name):
    text = from_addr(stack, '127.0.0.1').get('/metrics', version=None).body.decode()
    m = re.search(r'^%s (\d+)' % name, text, re.M)
    check(m, '%s not on /metrics', name)
    return int(m.group(1))


def log_text(stack):
    with open(os.path.join(stack.run_dir, 'osbroker.log'), errors='replace') as f:
        return f.read()


def fastcgi_cases(tap, stack):
    retry = {}

    def budget():
        spend(stack, '127.0.0.2')
        retry['a'] = expect_throttled(wrong(stack, '127.0.0.2'))
    tap.run('budget: %d wrong passwords from one address answer 401, the next 429 with '
            'Retry-After and a description, no WWW-Authenticate' % BUDGET, budget)

    def right_refused():
        expect_throttled(from_addr(stack, '127.0.0.2').get('/v2/catalog'))
    tap.run('budget: the right password from an address over its budget: 429 too', right_refused)

    def other_address():
        expect_error(wrong(stack, '127.0.0.3'), 401)
        expect(from_addr(stack, '127.0.0.3').get('/v2/catalog'), 200)
    tap.run('budget: another address is not held back (401 wrong, 200 right)', other_address)

    def unchecked():
        fails, throttled = (metric(stack, 'osbroker_auth_failures_total'),
                            metric(stack, 'osbroker_auth_throttled_total'))
        for _ in range(3):
            expect_throttled(wrong(stack, '127.0.0.2'))
        check(metric(stack, 'osbroker_auth_failures_total') == fails,
              'a 429 went through the password check (failures counted)')
        check(metric(stack, 'osbroker_auth_throttled_total') == throttled + 3,
              'osbroker_auth_throttled_total did not count the 3 refusals')
    tap.run('budget: a 429 checks no password (auth failures unchanged, 3 more throttled '
            'on /metrics)', unchecked)

    def shared():
        out = [None] * BUDGET

        def one(i):
            out[i] = wrong(stack, '127.0.0.4', 'thr-shared-%d' % i)
        ts = [threading.Thread(target=one, args=(i,)) for i in range(BUDGET)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for r in out:
            expect_error(r, 401)
        expect_throttled(wrong(stack, '127.0.0.4'))
        pids = set(re.findall(r'osbroker\[(\d+)\]: GET /v2/catalog 401 [^\n]*rid=thr-shared-',
                              log_text(stack)))
        check(len(pids) >= 2, 'the %d failures were all taken by worker(s) %s: nothing '
              'shown shared', BUDGET, pids)
    tap.run('budget: shared by the workers (%d wrong passwords at once, taken by several '
            'workers, spend it)' % BUDGET, shared)

    def malformed():
        c = from_addr(stack, '127.0.0.5')
        for h in ({'Authorization': 'Basic !!!not-base64'}, {'Authorization': 'Bearer abc'},
                  {'Authorization': 'Basic ' + base64.b64encode(b'no-colon').decode()}):
            expect_error(c.get('/v2/catalog', headers=h), 401)
        expect_error(c.get('/v2/catalog', auth=False), 401)
        expect_throttled(c.get('/v2/catalog'))
    tap.run('budget: malformed and missing Authorization headers count as failures',
            malformed)

    def refills():
        time.sleep(retry['a'] + 0.2)
        expect_error(wrong(stack, '127.0.0.2'), 401)
        expect_throttled(wrong(stack, '127.0.0.2'))
        time.sleep(WINDOW + 0.3)
        spend(stack, '127.0.0.2')
        expect_throttled(wrong(stack, '127.0.0.2'))
        time.sleep(WINDOW + 0.3)
        expect(from_addr(stack, '127.0.0.2').get('/v2/catalog'), 200)
    tap.run('budget: comes back, one failure after Retry-After, all after the window '
            '(%d s), and the right password passes again' % WINDOW, refills)

    def logged_once():
        spend(stack, '127.0.0.6', 'thr-log')
        for i in range(12):
            expect_throttled(wrong(stack, '127.0.0.6', 'thr-log-over-%d' % i))
        text = log_text(stack)
        lines = re.findall(r'auth: 127\.0\.0\.6 is over its budget[^\n]*', text)
        check(1 <= len(lines) <= 2, 'want one line about 127.0.0.6 (two across a minute '
              'boundary), got %d: %s', len(lines), lines)
        check(not re.search(r' 429 [^\n]*rid=thr-log-over-', text),
              'a 429 was logged per request')
        check(len(re.findall(r' 401 [^\n]*rid=thr-log-\d', text)) == BUDGET,
              'the %d failures are logged one by one', BUDGET)
    tap.run('budget: one log line per address and minute, not one per refused request',
            logged_once)

    def nginx_limit():
        c = Client(stack.port, None, None, source='127.0.0.7')
        answers = [c.get('/healthz', auth=False, version=None) for _ in range(60)]
        limited = [r for r in answers if r.status == 429]
        check(limited, 'no 429 among 60 quick requests (%s)',
              sorted(set(r.status for r in answers)))
        doc = expect(limited[0], 429)
        check('web server' in doc['description'], 'not nginx\'s 429: %r', doc)
        check(limited[0].header('Retry-After') == '1', 'nginx\'s 429 without Retry-After')
        local = Client(stack.port, None, None)
        check(all(local.get('/healthz', auth=False, version=None).status == 200
                  for _ in range(60)), '127.0.0.1 was limited')
    tap.run('nginx limit_req: a flood from one address gets nginx\'s 429 JSON with '
            'Retry-After; 127.0.0.1 is not limited', nginx_limit)


def cgi_cases(tap, stack):
    def budget():
        spend(stack, '127.0.0.2')
        expect_throttled(wrong(stack, '127.0.0.2'))
        expect_throttled(from_addr(stack, '127.0.0.2').get('/v2/catalog'))
        expect_error(wrong(stack, '127.0.0.3'), 401)
        expect(from_addr(stack, '127.0.0.3').get('/v2/catalog'), 200)
    tap.run('cgi: every request a process of its own, the budget the host\'s: %d wrong '
            'passwords 401, then 429 (the right password too); another address 401, 200'
            % BUDGET, budget)

    def the_file():
        st = os.stat(os.path.join(stack.state_dir, 'auth-throttle'))
        check(st.st_mode & 0o777 == 0o600, 'auth-throttle has mode %o', st.st_mode & 0o777)
        with open(os.path.join(stack.state_dir, 'auth-throttle'), 'rb') as f:
            check(f.read(8) == b'OSBTHRT\n', 'auth-throttle does not start with its magic')
    tap.run('cgi: the state directory\'s auth-throttle is 0600 with its header', the_file)


def main():
    tap = Tap()
    tmp = make_tmpdir('throttle')
    stack = ServeStack(tmp=tmp, workers=4, extra_env=dict(
        ENV, OSBROKER_LIMIT_RATE='5r/s', OSBROKER_LIMIT_BURST='20'))
    tap.stacks.append(stack)
    print('# broker: %s' % stack.binary)
    if not tap.run('osbroker-serve starts with 4 workers, a budget of %d failures in %d s'
                   % (BUDGET, WINDOW), stack.start, step=True):
        stack.stop()
        tap.bail('the stack did not start')
        return tap.done()
    fastcgi_cases(tap, stack)

    def clean_stop():
        problems = stack.stop()
        check(not problems, '; '.join(problems))
    tap.run('SIGTERM stops everything', clean_stop, step=True)
    check_logs(tap, stack, [WRONG])

    cgi = CgiStack(tmp=make_tmpdir('throttle-cgi'), params=ENV)
    tap.stacks.append(cgi)
    if tap.run('cgi: nginx + fcgiwrap start', cgi.start, step=True):
        cgi_cases(tap, cgi)
        cgi.stop()
        check_logs(tap, cgi, [WRONG], 'cgi: ')
    rc = tap.done()
    finish_tmp([stack, cgi], rc == 0)
    return rc


if __name__ == '__main__':
    sys.exit(main())
