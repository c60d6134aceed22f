# SPDX-License-Identifier: ISC
"""cases: the endpoint and error-case tests, shared by the FastCGI suite
(test_fastcgi.py, all of them) and the CGI suites (test_cgi.py, test_apache.py:
all but those that name in NOCGI why they cannot run there).  Every test
checks the status, the headers and the body, and then the state the broker
keeps afterwards: after a refused request (any 4xx) the store itself, read
byte for byte without the broker, must be as it was.

References are to the OSBAPI spec (openservicebrokerapi/servicebroker spec.md,
v2.17) and to the contract in the broker's README / man page.
"""

import base64
import concurrent.futures
import contextlib
import email.utils
import json
import os
import re
import threading
import time
import uuid

from harness import (check, expect, expect_error, wait_for, secrets_of, store_diff,
                     store_snapshot)

# (name, function, runs under CGI too): every case runs through both paths
# unless it names the reason it cannot (NOCGI).
CASES = []
NOCGI = {}


def case(name, nocgi=None):
    def deco(fn):
        CASES.append((name, fn, nocgi is None))
        if nocgi is not None:
            NOCGI[name] = nocgi
        return fn
    return deco


def new_id(tag='i'):
    return 'itest-%s-%s' % (tag, uuid.uuid4().hex[:16])


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


# Every provision and bind sends the same organization, space and application
# unless a test says otherwise: two requests differ only where a test makes
# them differ.
ORG, SPACE, APP = 'org-itest', 'space-itest', 'app-itest'


class Ctx:
    """The stack under test, its client, and the ids of the fixture catalog."""

    def __init__(self, stack, client):
        self.stack = stack
        self.c = client
        self.secrets = [client.password]
        self.lock = threading.Lock()
        doc = expect(client.get('/v2/catalog'), 200)
        by_name = {s['name']: s for s in doc['services']}
        self.A = by_name['itest-db']
        self.B = by_name['itest-fixed']
        self.plans = {}
        for s in (self.A, self.B):
            for p in s['plans']:
                self.plans[p['name']] = (s['id'], p['id'])

    # paths and bodies ------------------------------------------------------
    @staticmethod
    def ipath(iid):
        return '/v2/service_instances/%s' % iid

    @staticmethod
    def bpath(iid, bid):
        return '/v2/service_instances/%s/service_bindings/%s' % (iid, bid)

    def query(self, plan):
        sid, pid = self.plans[plan]
        return 'service_id=%s&plan_id=%s' % (sid, pid)

    def prov_body(self, plan='basic', params=None, **extra):
        sid, pid = self.plans[plan]
        b = {'service_id': sid, 'plan_id': pid,
             'organization_guid': ORG, 'space_guid': SPACE}
        if params is not None:
            b['parameters'] = params
        b.update(extra)
        return b

    def bind_body(self, plan='basic', params=None, **extra):
        sid, pid = self.plans[plan]
        b = {'service_id': sid, 'plan_id': pid,
             'bind_resource': {'app_guid': APP}}
        if params is not None:
            b['parameters'] = params
        b.update(extra)
        return b

    # actions that must succeed ----------------------------------------------
    def provision(self, iid, plan='basic', params=None, **extra):
        body = self.prov_body(plan, params, **extra)
        expect(self.c.put(self.ipath(iid), body), 201)
        return body

    def bind(self, iid, bid, plan='basic', params=None, status=201, body=None, **extra):
        body = body or self.bind_body(plan, params, **extra)
        doc = expect(self.c.put(self.bpath(iid, bid), body), status)
        return self.credentials_of(doc, 'PUT ' + self.bpath(iid, bid))

    def credentials_of(self, doc, what):
        creds = doc.get('credentials')
        check(isinstance(creds, dict) and creds, '%s: no credentials object in %r', what, doc)
        with self.lock:
            self.secrets.extend(secrets_of(creds))
        return creds

    # state assertions ---------------------------------------------------------
    def instance(self, iid):
        return expect(self.c.get(self.ipath(iid)), 200)

    def assert_instance(self, iid, plan, params=None):
        doc = self.instance(iid)
        sid, pid = self.plans[plan]
        check(doc.get('service_id') == sid, 'GET %s: service_id %r, want %r', iid, doc.get('service_id'), sid)
        check(doc.get('plan_id') == pid, 'GET %s: plan_id %r, want %r (%s)', iid, doc.get('plan_id'), pid, plan)
        if params is not None:
            check(doc.get('parameters') == params, 'GET %s: parameters %r, want %r',
                  iid, doc.get('parameters'), params)
        return doc

    def assert_no_instance(self, iid):
        expect(self.c.get(self.ipath(iid)), 404)
        expect(self.c.get(self.ipath(iid) + '/last_operation'), 404)

    def assert_no_binding(self, iid, bid):
        expect(self.c.get(self.bpath(iid, bid)), 404)
        expect(self.c.get(self.bpath(iid, bid) + '/last_operation'), 404)

    def deprovision(self, iid, plan='basic'):
        expect(self.c.delete(self.ipath(iid) + '?' + self.query(plan)), 200)

    # the store itself, read without the broker ---------------------------------
    # The suites run one case at a time, so between two snapshots of a case
    # only that case's requests can have written.
    def snapshot(self):
        """{table: {key: value bytes}} of the whole store."""
        return store_snapshot(self.stack.state_dir)

    def unchanged(self, before, what='the refused requests'):
        diff = store_diff(before, self.snapshot())
        check(not diff, '%s changed the store: %s', what, '; '.join(diff))

    @contextlib.contextmanager
    def no_change(self, what='the refused requests'):
        """The block must leave every byte of the store as it was."""
        before = self.snapshot()
        yield before
        self.unchanged(before, what)

    def refused(self, r, status, error=None):
        """r is a zero-argument function sending one request: it must be
        answered with `status` (an OSBAPI error body) and store nothing."""
        with self.no_change('a request answered %d' % status):
            resp = r()
            return expect_error(resp, status, error)

    def record(self, iid, bid=None):
        """The stored record of an instance (or of its binding bid), parsed;
        None when there is none.  It shows what GET does not: the
        organization and space, the context, who asked for the last
        operation."""
        table, key = ('instances', iid) if bid is None else ('bindings', '%s/%s' % (iid, bid))
        v = self.snapshot().get(table, {}).get(key)
        return None if v is None else json.loads(v.decode('utf-8'))


# ============================================================================ auth

@case('auth: no Authorization header -> 401 with WWW-Authenticate')
def t_auth_missing(x):
    for path in ('/v2/catalog', '/v2/service_instances/x'):
        r = x.c.get(path, auth=False)
        expect(r, 401)
        wa = r.header('WWW-Authenticate') or ''
        check(wa.startswith('Basic') and 'realm="osbroker"' in wa,
              '%s: WWW-Authenticate %r, want Basic realm="osbroker"', r.what(), wa)


@case('auth: wrong password, wrong user -> 401, nothing created')
def t_auth_wrong(x):
    iid = new_id()
    with x.no_change():
        for hdr in (x.c.auth_header(password=x.c.password + 'x'),
                    x.c.auth_header(password=''),
                    x.c.auth_header(username='nobody-' + x.c.username),
                    x.c.auth_header(username=x.c.username.upper()),
                    x.c.auth_header(password=x.c.password[:-1])):
            r = x.c.put(x.ipath(iid), x.prov_body(), headers={'Authorization': hdr})
            expect(r, 401)
            check(r.header('WWW-Authenticate'), '%s: no WWW-Authenticate', r.what())
    x.assert_no_instance(iid)


@case('auth: malformed and non-base64 Authorization -> 401')
def t_auth_malformed(x):
    good = b64('%s:%s' % (x.c.username, x.c.password))
    for hdr in ('Bearer ' + good, 'Basic', 'Basic ', 'basic-' + good, good,
                'Basic !!!not-base64!!!', 'Basic ' + good[:-2] + '*=',
                'Basic ' + b64('no-colon-here'), 'Basic ' + b64(':'),
                'Basic ' + b64(b'\xff\xfe:\x00'), 'Digest username="x"',
                'Basic ' + good + ' trailing'):
        x.refused(lambda: x.c.put(x.ipath(new_id()), x.prov_body(), headers={'Authorization': hdr}), 401)
    # the right credentials still work
    expect(x.c.get('/v2/catalog'), 200)


@case("nginx's own errors are JSON too (unparsable request, its internal pages)")
def t_nginx_errors(x):
    import socket
    for raw in (b'GARBAGE\r\n\r\n', b'GET /v2/catalog HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
                b'PUT /v2/service_instances/a%00b HTTP/1.1\r\nHost: x\r\n\r\n'):
        with socket.create_connection(('127.0.0.1', x.c.port), timeout=10) as s:
            s.sendall(raw)
            data = b''
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        check(lines[0].split()[1:2] == ['400'], '%r: status line %r, want 400', raw[:30], lines[0])
        ct = [l for l in lines if l.lower().startswith('content-type:')]
        check(ct and 'application/json' in ct[0], '%r: %r, want application/json', raw[:30], ct)
        check(json.loads(body.decode()).get('description'), '%r: body %r', raw[:30], body)
    # the error pages themselves are not reachable from outside
    expect(x.c.get('/.osbroker-error/502'), 404)


@case('auth is checked before routing and before the version header')
def t_auth_first(x):
    with x.no_change():
        expect(x.c.get('/v2/no-such-thing', auth=False), 401)
        expect(x.c.request('POST', '/v2/catalog', auth=False), 401)
        expect(x.c.get('/v2/catalog', auth=False, version=None), 401)
        expect(x.c.put(x.ipath(new_id()), x.prov_body(), auth=False, version='3.0'), 401)


# ============================================================================ version

@case('version: missing X-Broker-API-Version -> 400')
def t_version_missing(x):
    expect(x.c.get('/v2/catalog', version=None), 400)
    iid = new_id()
    x.refused(lambda: x.c.put(x.ipath(iid), x.prov_body(), version=None), 400)
    x.assert_no_instance(iid)


@case('version: 3.0 and unparsable versions -> 412')
def t_version_bad(x):
    iid = new_id()
    for v in ('3.0', '1.14', '2', 'abc', '2.x', 'two.seventeen', '2.17.1', '-2.17', '2.-1'):
        expect(x.c.get('/v2/catalog', version=v), 412)
        x.refused(lambda: x.c.put(x.ipath(iid), x.prov_body(), version=v), 412)
    x.assert_no_instance(iid)


@case('version: 2.13 -> 412 on GET instance, GET binding, binding last_operation; ok elsewhere')
def t_version_213(x):
    iid, bid = new_id(), new_id('b')
    expect(x.c.get('/v2/catalog', version='2.13'), 200)
    expect(x.c.put(x.ipath(iid), x.prov_body(), version='2.13'), 201)
    expect(x.c.put(x.bpath(iid, bid), x.bind_body(), version='2.13'), 201)
    with x.no_change():
        expect(x.c.get(x.ipath(iid), version='2.13'), 412)
        expect(x.c.get(x.bpath(iid, bid), version='2.13'), 412)
        expect(x.c.get(x.bpath(iid, bid) + '/last_operation', version='2.13'), 412)
    doc = expect(x.c.get(x.ipath(iid) + '/last_operation', version='2.13'), 200)
    check(doc.get('state') == 'succeeded', 'instance last_operation at 2.13: %r', doc)
    # 2.14 and 2.17 are fine
    expect(x.c.get(x.ipath(iid), version='2.14'), 200)
    expect(x.c.get(x.bpath(iid, bid), version='2.17'), 200)
    expect(x.c.get(x.bpath(iid, bid) + '/last_operation', version='2.14'), 200)


@case('version is checked after routing: unknown path 404, wrong method 405 without a version')
def t_version_after_route(x):
    with x.no_change():
        expect(x.c.get('/v2/nothing-here', version=None), 404)
        expect(x.c.request('POST', x.ipath(new_id()), body=x.prov_body(), version=None), 405)
        expect(x.c.request('POST', '/v2/catalog', version=None), 405)


# ============================================================================ routing

@case('unknown paths -> JSON 404')
def t_unknown_path(x):
    for path in ('/', '/v2', '/v2/', '/v2/nothing', '/v1/catalog', '/v2/catalog/extra',
                 '/v2/service_instances', '/v2/service_instances/',
                 '/v2/service_instances/abc/extra',
                 '/v2/service_instances/abc/service_bindings',
                 '/v2/service_instances/abc/service_bindings/def/extra',
                 '/index.html', '/v2/catalogue'):
        expect(x.c.get(path), 404)
    with x.no_change():
        expect(x.c.put('/v2/service_instances/%s/extra' % new_id(), x.prov_body()), 404)


@case('wrong method -> 405 with Allow')
def t_wrong_method(x):
    want = {
        '/v2/catalog': {'GET'},
        '/v2/service_instances/abc': {'PUT', 'GET', 'PATCH', 'DELETE'},
        '/v2/service_instances/abc/last_operation': {'GET'},
        '/v2/service_instances/abc/service_bindings/def': {'PUT', 'GET', 'DELETE'},
        '/v2/service_instances/abc/service_bindings/def/last_operation': {'GET'},
    }
    tries = {
        '/v2/catalog': ('POST', 'PUT', 'DELETE', 'PATCH'),
        '/v2/service_instances/abc': ('POST',),
        '/v2/service_instances/abc/last_operation': ('PUT', 'DELETE', 'POST'),
        '/v2/service_instances/abc/service_bindings/def': ('PATCH', 'POST'),
        '/v2/service_instances/abc/service_bindings/def/last_operation': ('DELETE', 'PUT'),
    }
    with x.no_change():
        for path, methods in tries.items():
            for m in methods:
                r = x.c.request(m, path, body={} if m in ('PUT', 'PATCH', 'POST') else None)
                expect(r, 405)
                allow = r.header('Allow')
                check(allow, '%s: no Allow header', r.what())
                got = {a.strip().upper() for a in allow.split(',') if a.strip()} - {'HEAD', 'OPTIONS'}
                check(got == want[path], '%s: Allow %r, want %s', r.what(), allow, sorted(want[path]))
    x.assert_no_instance('abc')


# ============================================================================ catalog

@case('catalog: shape, spec field names, Content-Type')
def t_catalog_shape(x):
    r = x.c.get('/v2/catalog')
    doc = expect(r, 200)
    check(r.header('Content-Type').lower().startswith('application/json'), 'Content-Type')
    services = doc.get('services')
    check(isinstance(services, list) and len(services) == 2, 'services: %r', services)
    text = r.body.decode()
    check('planUpdateable' not in text, 'camelCase planUpdateable served')
    ids = set()
    for s in services:
        for k, t in (('id', str), ('name', str), ('description', str), ('bindable', bool),
                     ('plans', list)):
            check(isinstance(s.get(k), t), 'service %s: %s is %r', s.get('name'), k, s.get(k))
        check(s['plans'], 'service %s has no plans', s['name'])
        check('osbroker' not in s, 'broker-only settings served: %r', s)
        check(s['id'] not in ids, 'duplicate id %s', s['id'])
        ids.add(s['id'])
        for p in s['plans']:
            for k in ('id', 'name', 'description'):
                check(isinstance(p.get(k), str) and p[k], 'plan %r: %s', p, k)
            check(p['id'] not in ids, 'duplicate id %s', p['id'])
            check('osbroker' not in p, 'broker-only settings served: %r', p)
            ids.add(p['id'])
    a = x.A
    check(a['description'] == 'Integration test database', 'description %r', a['description'])
    check(a.get('instances_retrievable') is True and a.get('bindings_retrievable') is True,
          'retrievable flags: %r', a)
    check(a.get('plan_updateable') is True, 'plan_updateable of itest-db: %r', a.get('plan_updateable'))
    check(a.get('allow_context_updates') is True, 'allow_context_updates: %r', a)
    check(a.get('tags') == ['itest', 'relational'], 'tags %r', a.get('tags'))
    check(a.get('metadata', {}).get('displayName') == 'Integration Test DB', 'metadata %r', a.get('metadata'))
    plans = {p['name']: p for p in a['plans']}
    check(set(plans) == {'basic', 'premium', 'nobind'}, 'plans %r', sorted(plans))
    check(plans['basic'].get('binding_rotatable') is True, 'basic: binding_rotatable %r', plans['basic'])
    mi = plans['basic'].get('maintenance_info') or {}
    check(mi.get('version') == '1.0.0', 'basic: maintenance_info %r', mi)
    check(plans['nobind'].get('bindable') is False, 'nobind: bindable %r', plans['nobind'])
    check(plans['premium'].get('free') is False, 'premium: free %r', plans['premium'])
    check(x.B.get('plan_updateable') is False, 'itest-fixed: plan_updateable %r', x.B.get('plan_updateable'))


@case('catalog: ETag and If-None-Match -> 304')
def t_catalog_etag(x):
    r = x.c.get('/v2/catalog')
    expect(r, 200)
    etag = r.header('ETag')
    check(etag and etag.startswith('"') and etag.endswith('"') and len(etag) > 2,
          'ETag %r is not a strong entity tag', etag)
    check(x.c.get('/v2/catalog').header('ETag') == etag, 'ETag changes between fetches')
    r2 = x.c.get('/v2/catalog', headers={'If-None-Match': etag})
    expect(r2, 304)
    check(r2.header('ETag') == etag, '304 carries ETag %r, want %r', r2.header('ETag'), etag)
    expect(x.c.get('/v2/catalog', headers={'If-None-Match': '"not-the-etag"'}), 200)
    # a list, one of which matches (RFC 7232 3.2)
    expect(x.c.get('/v2/catalog', headers={'If-None-Match': '"other", %s' % etag}), 304)
    # no auth, no 304: the 401 comes first
    expect(x.c.get('/v2/catalog', auth=False, headers={'If-None-Match': etag}), 401)


@case('catalog: Last-Modified and If-Modified-Since -> 304')
def t_catalog_ims(x):
    r = x.c.get('/v2/catalog')
    expect(r, 200)
    lm = r.header('Last-Modified')
    check(lm, 'no Last-Modified header')
    when = email.utils.parsedate_to_datetime(lm)
    check(lm.endswith('GMT'), 'Last-Modified %r is not an IMF-fixdate', lm)
    expect(x.c.get('/v2/catalog', headers={'If-Modified-Since': lm}), 304)
    earlier = email.utils.format_datetime(when.replace(year=when.year - 1), usegmt=True)
    expect(x.c.get('/v2/catalog', headers={'If-Modified-Since': earlier}), 200)
    expect(x.c.get('/v2/catalog', headers={'If-Modified-Since': 'not a date'}), 200)
    # RFC 7232 3.3: If-Modified-Since is ignored when If-None-Match is present
    expect(x.c.get('/v2/catalog', headers={'If-Modified-Since': lm,
                                           'If-None-Match': '"something-else"'}), 200)


# ============================================================================ provision

@case('provision: 201, then fetch, last_operation, identical repeat 200')
def t_provision(x):
    iid = new_id()
    params = {'size': 1, 'name': 'alpha', 'nested': {'list': [1, 2, 3], 'ok': True}}
    body = x.prov_body('basic', params)
    doc = expect(x.c.put(x.ipath(iid), body), 201)
    check(set(doc) <= {'dashboard_url', 'operation', 'metadata'}, '201 body has unexpected fields: %r', doc)
    got = x.assert_instance(iid, 'basic', params)
    check((got.get('maintenance_info') or {}).get('version') == '1.0.0',
          'GET instance: maintenance_info %r, want version 1.0.0', got.get('maintenance_info'))
    lo = expect(x.c.get(x.ipath(iid) + '/last_operation'), 200)
    check(lo.get('state') == 'succeeded', 'last_operation %r', lo)
    lo = expect(x.c.get(x.ipath(iid) + '/last_operation?' + x.query('basic')), 200)
    check(lo.get('state') == 'succeeded', 'last_operation with query %r', lo)
    with x.no_change('the identical repeat'):
        expect(x.c.put(x.ipath(iid), body), 200)
    x.assert_instance(iid, 'basic', params)
    rec = x.record(iid)
    check((rec['organization_guid'], rec['space_guid']) == (ORG, SPACE),
          'stored organization/space %r/%r, want %r/%r', rec['organization_guid'],
          rec['space_guid'], ORG, SPACE)


# spec.md "Provisioning": 409 when an instance with the same id exists "with
# different attributes".  Each case changes exactly one field of an otherwise
# identical request.
PROVISION_CONFLICTS = (
    ('parameters', lambda x, b: dict(b, parameters={'size': 2})),
    ('parameters (one more key)', lambda x, b: dict(b, parameters={'size': 1, 'more': True})),
    ('parameters (absent)', lambda x, b: {k: v for k, v in b.items() if k != 'parameters'}),
    ('plan_id', lambda x, b: dict(b, plan_id=x.plans['premium'][1])),
    ('service_id and plan_id', lambda x, b: dict(b, service_id=x.plans['fixed-a'][0],
                                                 plan_id=x.plans['fixed-a'][1])),
    ('organization_guid', lambda x, b: dict(b, organization_guid='org-other')),
    ('space_guid', lambda x, b: dict(b, space_guid='space-other')),
)


def _provision_conflict(change):
    def t(x):
        iid = new_id()
        body = x.provision(iid, 'basic', {'size': 1})
        x.refused(lambda: x.c.put(x.ipath(iid), change(x, body)), 409)
        x.assert_instance(iid, 'basic', {'size': 1})
        with x.no_change('the identical repeat'):
            expect(x.c.put(x.ipath(iid), body), 200)
    return t


for _field, _change in PROVISION_CONFLICTS:
    case('provision: same id, only %s differs -> 409, store unchanged' % _field)(
        _provision_conflict(_change))


@case('provision: same id, only context or maintenance_info differs -> 200, store unchanged')
def t_provision_same_other_fields(x):
    # same_instance[] leaves out context (platforms add to it: not a
    # different instance) and maintenance_info (the catalog's version either
    # way); the repeat is the same instance and changes nothing.
    iid = new_id()
    body = x.provision(iid, 'basic', {'size': 1},
                       context={'platform': 'cloudfoundry', 'organization_guid': ORG,
                                'space_guid': SPACE})
    for other in (dict(body, context={'platform': 'cloudfoundry', 'instance_name': 'new'}),
                  {k: v for k, v in body.items() if k != 'context'},
                  dict(body, maintenance_info={'version': '1.0.0'})):
        with x.no_change('a repeat that differs only in context or maintenance_info'):
            expect(x.c.put(x.ipath(iid), other), 200)
    check(x.record(iid).get('context') == body['context'], 'the stored context changed')


@case('provision: context instead of organization_guid/space_guid; unknown fields ignored')
def t_provision_context(x):
    iid = new_id()
    sid, pid = x.plans['premium']
    body = {'service_id': sid, 'plan_id': pid,
            'context': {'platform': 'kubernetes', 'namespace': 'itest', 'clusterid': 'c1',
                        'instance_name': 'ctx-only'},
            'x_vendor_extension': {'anything': [1, 'two']}}
    expect(x.c.put(x.ipath(iid), body), 201)
    x.assert_instance(iid, 'premium')
    rec = x.record(iid)
    check(rec.get('context') == body['context'], 'stored context %r, want %r',
          rec.get('context'), body['context'])
    check('x_vendor_extension' not in rec, 'an unknown field was stored')
    check('organization_guid' not in rec and 'space_guid' not in rec,
          'organization/space stored though none was sent: %r', rec)
    with x.no_change('the identical repeat'):
        expect(x.c.put(x.ipath(iid), body), 200)


@case('provision: unknown service, unknown plan, plan of another service -> 400')
def t_provision_unknown(x):
    a_sid, a_basic = x.plans['basic']
    b_sid, b_fixed = x.plans['fixed-a']
    for sid, pid in ((str(uuid.uuid4()), a_basic), (a_sid, str(uuid.uuid4())),
                     (a_sid, b_fixed), (b_sid, a_basic), ('', a_basic), (a_sid, '')):
        iid = new_id()
        b = x.prov_body()
        b['service_id'], b['plan_id'] = sid, pid
        x.refused(lambda: x.c.put(x.ipath(iid), b), 400)
        x.assert_no_instance(iid)


@case('provision: missing required fields -> 400')
def t_provision_missing(x):
    base = x.prov_body()
    variants = []
    for k in ('service_id', 'plan_id', 'organization_guid', 'space_guid'):
        b = dict(base)
        del b[k]
        variants.append(b)
    variants.append({'service_id': base['service_id'], 'plan_id': base['plan_id']})
    variants.append({})
    for b in variants:
        iid = new_id()
        x.refused(lambda: x.c.put(x.ipath(iid), b), 400)
        x.assert_no_instance(iid)


@case('provision: wrong types -> 400')
def t_provision_types(x):
    base = x.prov_body()
    bad = [('service_id', 123), ('service_id', None), ('service_id', ['x']),
           ('plan_id', None), ('plan_id', {'id': base['plan_id']}), ('plan_id', True),
           ('parameters', 'size=1'), ('parameters', [1, 2]), ('parameters', 5),
           ('context', 'cloudfoundry'), ('context', [1]),
           ('organization_guid', 5), ('space_guid', False),
           ('maintenance_info', '1.0.0')]
    for k, v in bad:
        iid = new_id()
        b = dict(base)
        b[k] = v
        with x.no_change():
            r = x.c.put(x.ipath(iid), b)
        check(r.status == 400, '%s=%r: %s, want 400 (%r)', k, v, r.what(), r.body[:200])
        expect(r, 400)
        x.assert_no_instance(iid)


@case('provision: non-object body, invalid JSON, empty body -> 400')
def t_provision_not_object(x):
    base = json.dumps(x.prov_body())
    bodies = ['[]', '[%s]' % base, '"string"', '42', 'null', 'true', '{', '{"service_id":}',
              base[:-1], base + ' garbage', base + base, "{'service_id': 'x'}",
              '{"service_id": "a" "plan_id": "b"}', '', ' ', '\x00' + base]
    for body in bodies:
        iid = new_id()
        with x.no_change():
            r = x.c.put(x.ipath(iid), body)
        check(r.status == 400, 'body %r: %s, want 400', body[:40], r.what())
        expect(r, 400)
        x.assert_no_instance(iid)


@case('provision: invalid UTF-8 -> 400')
def t_provision_utf8(x):
    base = x.prov_body()
    for raw in (b'\xff\xfe', b'\xc0\xaf', b'\xed\xa0\x80', b'\xf4\x90\x80\x80', b'abc\x80',
                b'\xe2\x82'):
        iid = new_id()
        s = json.dumps(base).encode()
        for body in (s.replace(b'"space_guid": "', b'"space_guid": "' + raw, 1),
                     s[:-1] + b', "k' + raw + b'": 1}'):    # in a key, too
            x.refused(lambda: x.c.put(x.ipath(iid), body), 400)
            x.assert_no_instance(iid)
    # well-formed non-ASCII is fine
    iid = new_id()
    params = {'name': 'caf\u00e9 \u2603 \U0001F600'}
    expect(x.c.put(x.ipath(iid), x.prov_body('basic', params)), 201)
    x.assert_instance(iid, 'basic', params)


@case('provision: 1000 levels of nesting -> 400, worker survives')
def t_provision_deep(x):
    base = json.dumps(x.prov_body())[:-1]
    for opener, closer in (('[', ']'), ('{"a":', '}')):
        iid = new_id()
        body = base + ', "parameters": {"deep": ' + opener * 1000 + '1' + closer * 1000 + '}}'
        x.refused(lambda: x.c.put(x.ipath(iid), body), 400)
        x.assert_no_instance(iid)
    # 100000 levels, unbalanced
    iid = new_id()
    x.refused(lambda: x.c.put(x.ipath(iid), base + ', "parameters": ' + '[' * 100000 + '}'), 400)
    x.assert_no_instance(iid)
    expect(x.c.get('/v2/catalog'), 200)


@case('provision: body over the limit -> 413 JSON (broker and nginx), nothing stored')
def t_provision_too_big(x):
    limit = x.stack.max_body or 1048576
    for size in (limit + 1, limit + 1000, 3 * limit):
        iid = new_id()
        b = json.dumps(x.prov_body('basic', {'pad': ''}))
        pad = size - len(b)
        body = b.replace('"pad": ""', '"pad": "' + 'x' * pad + '"')
        check(len(body) == size, 'test bug: body size %d != %d', len(body), size)
        x.refused(lambda: x.c.put(x.ipath(iid), body), 413)
        x.assert_no_instance(iid)
    # just under the limit is accepted
    iid = new_id()
    b = json.dumps(x.prov_body('basic', {'pad': ''}))
    body = b.replace('"pad": ""', '"pad": "' + 'y' * (limit - len(b)) + '"')
    check(len(body) == limit, 'test bug: %d', len(body))
    expect(x.c.put(x.ipath(iid), body), 201)
    doc = x.instance(iid)
    check(len(doc.get('parameters', {}).get('pad', '')) == limit - len(b),
          'the stored parameters lost their size')
    x.deprovision(iid)


@case('ids: 255 unreserved characters ok; 256, reserved, encoded slash, bad escapes -> 400')
def t_bad_ids(x):
    ok = 'a' * 255
    expect(x.c.put(x.ipath(ok), x.prov_body()), 201)
    x.assert_instance(ok, 'basic')
    ok2 = 'A.z_0-9~' + uuid.uuid4().hex
    expect(x.c.put(x.ipath(ok2), x.prov_body()), 201)
    x.assert_instance(ok2, 'basic')
    bad = ['a' * 256, 'a%2Fb', 'a%2fb', '%2F', 'a%20b', 'caf%C3%A9', 'a%00b', 'a%zzb',
           'a%2', '%', 'a+b', 'a%3Ab', 'a:b', 'a@b', "a'b", 'a%25b', '%2E%2E%2F' + 'x']
    with x.no_change():
        for iid in bad:
            expect(x.c.put(x.ipath(iid), x.prov_body()), 400)
            expect(x.c.get(x.ipath(iid)), 400)
            expect(x.c.delete(x.ipath(iid) + '?' + x.query('basic')), 400)
        # a 255-character id followed by one encoded character is 256 after decoding
        expect(x.c.put(x.ipath('b' * 255 + '%41'), x.prov_body()), 400)
    x.assert_no_instance('b' * 255)
    x.assert_no_instance('b' * 254 + 'A')
    # binding ids follow the same rules
    for bid in ('c' * 256, 'x%2Fy', 'x y'.replace(' ', '%20'), 'x%zz'):
        x.refused(lambda: x.c.put(x.bpath(ok, bid), x.bind_body()), 400)
    expect(x.c.put(x.bpath(ok, 'd' * 255), x.bind_body()), 201)
    x.deprovision(ok)
    x.deprovision(ok2)


@case('ids: percent-encoded unreserved characters name the same resource')
def t_id_decoding(x):
    raw = 'pct-' + uuid.uuid4().hex
    enc = raw.replace('-', '%2D', 1).replace('p', '%70', 1)
    body = x.prov_body()
    expect(x.c.put(x.ipath(enc), body), 201)
    x.assert_instance(raw, 'basic')
    expect(x.c.put(x.ipath(raw), body), 200)
    x.deprovision(raw)
    x.assert_no_instance(enc)


@case('provision: maintenance_info mismatch -> 422 MaintenanceInfoConflict; match -> 201')
def t_provision_maintenance(x):
    iid = new_id()
    for v in ('0.9.0', '1.0.1', '2.0.0', '1.0.0-rc.1'):
        x.refused(lambda: x.c.put(x.ipath(iid), x.prov_body('basic', maintenance_info={'version': v})),
                  422, 'MaintenanceInfoConflict')
        x.assert_no_instance(iid)
    for mi in ({'version': ''}, {'version': 1}, {'description': 'no version'}):
        x.refused(lambda: x.c.put(x.ipath(iid), x.prov_body('basic', maintenance_info=mi)), 400)
        x.assert_no_instance(iid)
    expect(x.c.put(x.ipath(iid), x.prov_body('basic', maintenance_info={
        'version': '1.0.0', 'description': 'ignored'})), 201)
    doc = x.assert_instance(iid, 'basic')
    check((doc.get('maintenance_info') or {}).get('version') == '1.0.0',
          'maintenance_info %r', doc.get('maintenance_info'))


# ============================================================================ fetch / update

@case('fetch instance: unknown -> 404')
def t_fetch_unknown(x):
    with x.no_change():
        x.assert_no_instance(new_id())


@case('update: parameters -> 200 and stored')
def t_update_params(x):
    iid = new_id()
    x.provision(iid, 'basic', {'size': 1})
    sid, pid = x.plans['basic']
    doc = expect(x.c.patch(x.ipath(iid), {'service_id': sid, 'parameters': {'size': 2}}), 200)
    check(set(doc) <= {'dashboard_url', 'operation', 'metadata'}, 'PATCH body: %r', doc)
    x.assert_instance(iid, 'basic', {'size': 2})
    lo = expect(x.c.get(x.ipath(iid) + '/last_operation'), 200)
    check(lo.get('state') == 'succeeded', 'last_operation after update: %r', lo)


@case('update: the same PATCH twice -> 200 both; the second changes nothing stored')
def t_update_repeat(x):
    iid = new_id()
    x.provision(iid, 'basic', {'size': 1, 'keep': 'me'})
    sid, pid = x.plans['basic']
    body = {'service_id': sid, 'plan_id': pid, 'parameters': {'size': 2},
            'context': {'platform': 'cloudfoundry', 'instance_name': 'twice'}}
    expect(x.c.patch(x.ipath(iid), body), 200)
    after_first = x.record(iid)
    # a second later: a rewritten record would differ in its times
    time.sleep(1.1)
    with x.no_change('the repeated PATCH'):
        expect(x.c.patch(x.ipath(iid), body), 200)
    # update parameters are merged key by key into the stored ones
    x.assert_instance(iid, 'basic', {'size': 2, 'keep': 'me'})
    check(after_first.get('context') == body['context'], 'stored context %r, want %r',
          after_first.get('context'), body['context'])


@case('update: plan change on an updateable offering -> 200')
def t_update_plan(x):
    iid = new_id()
    x.provision(iid, 'basic', {'size': 1})
    sid, pid = x.plans['premium']
    expect(x.c.patch(x.ipath(iid), {
        'service_id': sid, 'plan_id': pid,
        'previous_values': {'plan_id': x.plans['basic'][1], 'service_id': sid}}), 200)
    x.assert_instance(iid, 'premium', {'size': 1})
    # and back
    expect(x.c.patch(x.ipath(iid), {'service_id': sid, 'plan_id': x.plans['basic'][1]}), 200)
    x.assert_instance(iid, 'basic', {'size': 1})


@case('update: plan change where plans are not updateable -> 422, state unchanged')
def t_update_plan_fixed(x):
    iid = new_id()
    x.provision(iid, 'fixed-a', {'k': 'v'})
    sid, pid_b = x.plans['fixed-b']
    x.refused(lambda: x.c.patch(x.ipath(iid), {'service_id': sid, 'plan_id': pid_b}), 422)
    x.assert_instance(iid, 'fixed-a', {'k': 'v'})
    # the same plan is not a change
    expect(x.c.patch(x.ipath(iid), {'service_id': sid, 'plan_id': x.plans['fixed-a'][1],
                                    'parameters': {'k': 'w'}}), 200)
    x.assert_instance(iid, 'fixed-a', {'k': 'w'})


@case('update: context only -> 200, plan and parameters unchanged')
def t_update_context(x):
    iid = new_id()
    x.provision(iid, 'basic', {'size': 3}, context={'platform': 'cloudfoundry',
                                                     'instance_name': 'first'})
    sid = x.plans['basic'][0]
    ctx = {'platform': 'cloudfoundry', 'organization_guid': 'o', 'space_guid': 's',
           'instance_name': 'renamed'}
    before = x.record(iid)
    expect(x.c.patch(x.ipath(iid), {'service_id': sid, 'context': ctx}), 200)
    x.assert_instance(iid, 'basic', {'size': 3})
    after = x.record(iid)
    check(after.get('context') == ctx, 'stored context %r, want the new one %r', after.get('context'), ctx)
    for k in ('organization_guid', 'space_guid', 'parameters', 'plan_id', 'service_id'):
        check(after.get(k) == before.get(k), 'the context update changed the stored %s', k)


@case('update: maintenance_info mismatch -> 422 MaintenanceInfoConflict; match -> 200')
def t_update_maintenance(x):
    iid = new_id()
    x.provision(iid, 'basic', {'size': 1})
    sid = x.plans['basic'][0]
    x.refused(lambda: x.c.patch(x.ipath(iid), {'service_id': sid, 'parameters': {'size': 9},
                                               'maintenance_info': {'version': '9.9.9'}}),
              422, 'MaintenanceInfoConflict')
    doc = x.assert_instance(iid, 'basic', {'size': 1})
    check((doc.get('maintenance_info') or {}).get('version') == '1.0.0', 'mi %r', doc)
    expect(x.c.patch(x.ipath(iid), {'service_id': sid, 'maintenance_info': {'version': '1.0.0'}}), 200)
    x.assert_instance(iid, 'basic', {'size': 1})


@case('update: bad input -> 400, state unchanged')
def t_update_bad(x):
    iid = new_id()
    x.provision(iid, 'basic', {'size': 1})
    sid, pid = x.plans['basic']
    for body in ('[]', '{', 'null', {'parameters': {'size': 5}},
                 {'service_id': 5, 'parameters': {'size': 5}},
                 {'service_id': sid, 'parameters': 'size=5'},
                 {'service_id': sid, 'plan_id': str(uuid.uuid4())},
                 {'service_id': sid, 'plan_id': 7},
                 {'service_id': sid, 'context': 'x'},
                 # the service of another offering (the instance's is sid)
                 {'service_id': x.plans['fixed-a'][0], 'parameters': {'size': 5}}):
        with x.no_change():
            r = x.c.patch(x.ipath(iid), body)
        check(r.status == 400, 'PATCH %r: %s, want 400 (%r)', body, r.what(), r.body[:200])
        expect(r, 400)
    x.assert_instance(iid, 'basic', {'size': 1})


@case('update: context only, where the offering does not allow_context_updates -> 422, store unchanged')
def t_update_context_refused(x):
    iid = new_id()
    x.provision(iid, 'fixed-a')
    sid = x.plans['fixed-a'][0]
    x.refused(lambda: x.c.patch(x.ipath(iid), {'service_id': sid, 'context': {
        'platform': 'cloudfoundry', 'instance_name': 'renamed'}}), 422)
    # with a parameter beside it, it is an ordinary update
    expect(x.c.patch(x.ipath(iid), {'service_id': sid, 'parameters': {'n': 1},
                                    'context': {'platform': 'cloudfoundry'}}), 200)
    check(x.record(iid).get('parameters') == {'n': 1}, 'the update was not stored')


# ============================================================================ bind

@case('bind: 201 credentials, fetch, last_operation, identical repeat 200 same credentials')
def t_bind(x):
    iid, bid = new_id(), new_id('b')
    x.provision(iid)
    params = {'role': 'reader'}
    body = x.bind_body('basic', params)
    creds = x.bind(iid, bid, body=body)
    doc = expect(x.c.get(x.bpath(iid, bid)), 200)
    check(doc.get('credentials') == creds, 'GET binding credentials %r != %r', doc.get('credentials'), creds)
    check(doc.get('parameters') == params, 'GET binding parameters %r', doc.get('parameters'))
    lo = expect(x.c.get(x.bpath(iid, bid) + '/last_operation'), 200)
    check(lo.get('state') == 'succeeded', 'binding last_operation %r', lo)
    with x.no_change('the identical repeat'):
        creds2 = x.bind(iid, bid, body=body, status=200)
    check(creds2 == creds, 'repeated bind gave other credentials')
    doc = expect(x.c.get(x.bpath(iid, bid)), 200)
    check(doc.get('credentials') == creds, 'credentials changed by the repeat')


# spec.md "Binding": 409 for the same binding id "with different attributes";
# one field changed at a time (same_binding[] of the broker).
def _without(b, key):
    return {k: v for k, v in b.items() if k != key}


def _deprecated_app_guid(b):
    return dict(_without(b, 'bind_resource'), app_guid=APP)


BIND_CONFLICTS = (
    ('parameters', None, lambda b: dict(b, parameters={'role': 'writer'})),
    ('parameters (absent)', None, lambda b: _without(b, 'parameters')),
    ('bind_resource.app_guid', None, lambda b: dict(b, bind_resource={'app_guid': 'app-other'})),
    ('bind_resource (a route added)', None, lambda b: dict(b, bind_resource=dict(
        b['bind_resource'], route='r.example.com'))),
    ('bind_resource (absent)', None, lambda b: _without(b, 'bind_resource')),
    ('the deprecated app_guid (no bind_resource)', _deprecated_app_guid,
     lambda b: dict(b, app_guid='app-other')),
)


def _bind_conflict(base, change):
    def t(x):
        iid, bid = new_id(), new_id('b')
        x.provision(iid)
        body = x.bind_body('basic', {'role': 'reader'})
        body = base(body) if base else body
        creds = x.bind(iid, bid, body=body)
        x.refused(lambda: x.c.put(x.bpath(iid, bid), change(body)), 409)
        doc = expect(x.c.get(x.bpath(iid, bid)), 200)
        check(doc.get('credentials') == creds and doc.get('parameters') == {'role': 'reader'},
              'binding changed after 409')
        with x.no_change('the identical repeat'):
            check(x.bind(iid, bid, body=body, status=200) == creds, 'the identical repeat: other credentials')
    return t


for _field, _base, _change in BIND_CONFLICTS:
    case('bind: same id, only %s differs -> 409, store unchanged' % _field)(
        _bind_conflict(_base, _change))


@case('bind: same id, only context differs -> 200 same credentials, store unchanged')
def t_bind_same_context(x):
    # context is not in same_binding[]: the platform may add to it.
    iid, bid = new_id(), new_id('b')
    x.provision(iid)
    body = x.bind_body('basic', context={'platform': 'cloudfoundry', 'space_guid': SPACE})
    creds = x.bind(iid, bid, body=body)
    with x.no_change('a repeat with another context'):
        got = x.bind(iid, bid, status=200, body=dict(body, context={'platform': 'cloudfoundry'}))
    check(got == creds, 'other credentials for the same binding')
    rec = x.record(iid, bid)
    check(rec.get('app_guid') == APP and rec.get('context') == body['context'],
          'stored app_guid/context %r/%r', rec.get('app_guid'), rec.get('context'))


@case('bind: unknown instance -> 404, no binding')
def t_bind_unknown_instance(x):
    iid, bid = new_id(), new_id('b')
    x.refused(lambda: x.c.put(x.bpath(iid, bid), x.bind_body()), 404)
    x.assert_no_binding(iid, bid)
    x.assert_no_instance(iid)


@case('bind: plan that is not bindable -> 400')
def t_bind_not_bindable(x):
    iid, bid = new_id(), new_id('b')
    x.provision(iid, 'nobind')
    x.refused(lambda: x.c.put(x.bpath(iid, bid), x.bind_body('nobind')), 400)
    x.assert_no_binding(iid, bid)
    x.assert_instance(iid, 'nobind')


@case('bind: bad input -> 400, no binding')
def t_bind_bad(x):
    iid = new_id()
    x.provision(iid)
    sid, pid = x.plans['basic']
    for body in ('[]', '{', '"x"', {'plan_id': pid}, {'service_id': sid},
                 {'service_id': sid, 'plan_id': pid, 'parameters': 'x'},
                 {'service_id': sid, 'plan_id': str(uuid.uuid4())},
                 {'service_id': 1, 'plan_id': pid},
                 {'service_id': sid, 'plan_id': pid, 'predecessor_binding_id': 5}):
        bid = new_id('b')
        with x.no_change():
            r = x.c.put(x.bpath(iid, bid), body)
        check(r.status == 400, 'bind %r: %s, want 400 (%r)', body, r.what(), r.body[:200])
        expect(r, 400)
        x.assert_no_binding(iid, bid)


@case('bind: every binding gets its own credentials')
def t_bind_unique(x):
    iid = new_id()
    x.provision(iid)
    seen = []
    for _ in range(3):
        seen.append(x.bind(iid, new_id('b')))
    other = new_id()
    x.provision(other)
    seen.append(x.bind(other, new_id('b')))
    for i in range(len(seen)):
        for j in range(i):
            check(seen[i] != seen[j], 'two bindings share credentials: %r', seen[i])
            si, sj = set(secrets_of(seen[i])), set(secrets_of(seen[j]))
            check(not (si & sj), 'two bindings share a secret')


@case('bind: rotation with predecessor_binding_id')
def t_bind_rotation(x):
    iid, b1, b2 = new_id(), new_id('b'), new_id('b')
    x.provision(iid, 'basic')
    c1 = x.bind(iid, b1, 'basic', {'role': 'reader'})
    doc = expect(x.c.put(x.bpath(iid, b2), {'predecessor_binding_id': b1}), 201)
    c2 = x.credentials_of(doc, 'rotation')
    check(c2 != c1, 'the successor has the predecessor\'s credentials')
    d1 = expect(x.c.get(x.bpath(iid, b1)), 200)
    d2 = expect(x.c.get(x.bpath(iid, b2)), 200)
    check(d1.get('credentials') == c1, 'predecessor changed by the rotation')
    check(d2.get('credentials') == c2, 'successor GET %r != %r', d2.get('credentials'), c2)
    # what the platform does not resend is the predecessor's
    check(d2.get('parameters') == {'role': 'reader'},
          'successor parameters %r, want the predecessor\'s', d2.get('parameters'))
    check(x.record(iid, b2).get('bind_resource') == {'app_guid': APP},
          'the successor does not keep the predecessor\'s bind_resource')
    with x.no_change('the repeated rotation'):
        doc = expect(x.c.put(x.bpath(iid, b2), {'predecessor_binding_id': b1}), 200)
    check(doc.get('credentials') == c2, 'repeated rotation: other credentials')
    # with service_id and plan_id as well
    b3 = new_id('b')
    sid, pid = x.plans['basic']
    doc = expect(x.c.put(x.bpath(iid, b3), {'service_id': sid, 'plan_id': pid,
                                            'predecessor_binding_id': b2}), 201)
    x.credentials_of(doc, 'rotation 2')


@case('bind: rotation refused for a non-rotatable plan and an unknown predecessor')
def t_bind_rotation_refused(x):
    iid, b1, b2 = new_id(), new_id('b'), new_id('b')
    x.provision(iid, 'premium')
    x.bind(iid, b1, 'premium')
    # 400: the request asks for what the plan does not offer (spec.md
    # "Binding": predecessor_binding_id only for binding_rotatable plans);
    # nothing is in progress and no async is involved, so no 422 code fits.
    x.refused(lambda: x.c.put(x.bpath(iid, b2), {'predecessor_binding_id': b1}), 400)
    x.assert_no_binding(iid, b2)
    iid2, b3 = new_id(), new_id('b')
    x.provision(iid2, 'basic')
    x.bind(iid2, new_id('b'))
    for pred in (new_id('b'), b1):   # unknown; of another instance
        x.refused(lambda: x.c.put(x.bpath(iid2, b3), {'predecessor_binding_id': pred}), 400)
        x.assert_no_binding(iid2, b3)
    x.refused(lambda: x.c.put(x.bpath(iid2, b3), {'predecessor_binding_id': b3}), 400)
    # ... also when it exists: a binding is not rotated into itself
    b4 = new_id('b')
    x.bind(iid2, b4)
    d = x.refused(lambda: x.c.put(x.bpath(iid2, b4), {'predecessor_binding_id': b4}), 400)
    check('own predecessor' in (d or {}).get('description', ''),
          'description %r does not say why', d)


# ============================================================================ unbind / deprovision

@case('unbind: 200 {}, then 404 and 410; query required')
def t_unbind(x):
    iid, bid = new_id(), new_id('b')
    x.provision(iid)
    x.bind(iid, bid)
    sid, pid = x.plans['basic']
    for q in ('', '?service_id=%s' % sid, '?plan_id=%s' % pid, '?service_id=&plan_id='):
        x.refused(lambda: x.c.delete(x.bpath(iid, bid) + q), 400)
        expect(x.c.get(x.bpath(iid, bid)), 200)
    doc = expect(x.c.delete(x.bpath(iid, bid) + '?' + x.query('basic')), 200)
    check(doc == {}, 'unbind body %r, want {}', doc)
    x.assert_no_binding(iid, bid)
    x.refused(lambda: x.c.delete(x.bpath(iid, bid) + '?' + x.query('basic')), 410)
    x.assert_instance(iid, 'basic')
    # a binding id never used, and one of an unknown instance
    x.refused(lambda: x.c.delete(x.bpath(iid, new_id('b')) + '?' + x.query('basic')), 410)
    x.refused(lambda: x.c.delete(x.bpath(new_id(), new_id('b')) + '?' + x.query('basic')), 410)


@case('deprovision: query required, 200 {}, then 410; its bindings are gone')
def t_deprovision(x):
    iid, b1, b2 = new_id(), new_id('b'), new_id('b')
    x.provision(iid, 'basic', {'size': 1})
    x.bind(iid, b1)
    x.bind(iid, b2)
    sid, pid = x.plans['basic']
    for q in ('', '?service_id=%s' % sid, '?plan_id=%s' % pid):
        x.refused(lambda: x.c.delete(x.ipath(iid) + q), 400)
        x.assert_instance(iid, 'basic', {'size': 1})
        expect(x.c.get(x.bpath(iid, b1)), 200)
    doc = expect(x.c.delete(x.ipath(iid) + '?' + x.query('basic')), 200)
    check(doc == {}, 'deprovision body %r, want {}', doc)
    x.assert_no_instance(iid)
    for b in (b1, b2):
        x.assert_no_binding(iid, b)
        x.refused(lambda: x.c.delete(x.bpath(iid, b) + '?' + x.query('basic')), 410)
    x.refused(lambda: x.c.delete(x.ipath(iid) + '?' + x.query('basic')), 410)
    # the id can be used again, and the old bindings stay gone
    x.provision(iid, 'premium')
    x.assert_instance(iid, 'premium')
    x.assert_no_binding(iid, b1)
    x.refused(lambda: x.c.delete(x.ipath(new_id()) + '?' + x.query('basic')), 410)


def _delete_wrong(binding, field):
    """DELETE of the binding (or the instance) with a service_id or a
    plan_id that is not its own: 400, and nothing deleted."""
    def t(x):
        iid, bid = new_id(), new_id('b')
        x.provision(iid)
        x.bind(iid, bid)
        path = x.bpath(iid, bid) if binding else x.ipath(iid)
        sid, pid = x.plans['basic']
        if field == 'service_id':
            # the service of another offering, with its plan; a made-up one
            queries = (x.query('fixed-a'), 'service_id=%s&plan_id=%s' % (uuid.uuid4(), pid))
        else:
            # another plan of the same offering; a made-up one
            queries = ['service_id=%s&plan_id=%s' % (sid, p)
                       for p in (x.plans['premium'][1], uuid.uuid4())]
        for q in queries:
            x.refused(lambda: x.c.delete(path + '?' + q), 400)
        x.assert_instance(iid, 'basic')
        expect(x.c.get(x.bpath(iid, bid)), 200)
    return t


case('unbind: service_id not the binding\'s -> 400, store unchanged')(_delete_wrong(True, 'service_id'))
case('deprovision: service_id not the instance\'s -> 400, store unchanged')(_delete_wrong(False, 'service_id'))
case('unbind: plan_id not the binding\'s -> 400, store unchanged')(_delete_wrong(True, 'plan_id'))
case('deprovision: plan_id not the instance\'s -> 400, store unchanged')(_delete_wrong(False, 'plan_id'))


@case('unbind after a plan change: the instance\'s new plan_id and the binding\'s own both delete')
def t_unbind_after_plan_change(x):
    iid, b1, b2 = new_id(), new_id('b'), new_id('b')
    x.provision(iid)
    x.bind(iid, b1)
    x.bind(iid, b2)
    sid, pid = x.plans['premium']
    expect(x.c.patch(x.ipath(iid), {'service_id': sid, 'plan_id': pid}), 200)
    x.assert_instance(iid, 'premium')
    # b1 was made under plan basic (its record says so): the platform now
    # knows the instance by premium, and either id names the binding
    expect(x.c.delete(x.bpath(iid, b1) + '?' + x.query('premium')), 200)
    x.assert_no_binding(iid, b1)
    expect(x.c.delete(x.bpath(iid, b2) + '?' + x.query('basic')), 200)
    x.assert_no_binding(iid, b2)
    # the instance itself only by its plan now
    x.refused(lambda: x.c.delete(x.ipath(iid) + '?' + x.query('basic')), 400)
    x.deprovision(iid, 'premium')
    x.assert_no_instance(iid)


@case('last_operation: unknown instance and binding -> 404')
def t_last_operation_unknown(x):
    iid = new_id()
    x.refused(lambda: x.c.get(x.ipath(iid) + '/last_operation'), 404)
    x.provision(iid)
    with x.no_change():
        expect(x.c.get(x.bpath(iid, new_id('b')) + '/last_operation'), 404)
        expect(x.c.get(x.bpath(new_id(), new_id('b')) + '/last_operation'), 404)


# ============================================================================ headers

@case('originating identity: stored with the instance; malformed -> 400')
def t_originating_identity(x):
    user = 'itest-user-' + uuid.uuid4().hex[:12]
    iid = new_id()
    oi = 'cloudfoundry ' + b64(json.dumps({'user_id': user}))
    rid = str(uuid.uuid4())
    expect(x.c.put(x.ipath(iid), x.prov_body(), headers={
        'X-Broker-API-Originating-Identity': oi, 'X-Broker-API-Request-Identity': rid}), 201)
    x.assert_instance(iid, 'basic')
    lo = x.record(iid).get('last_operation') or {}
    check(lo.get('originating_identity') == {'platform': 'cloudfoundry', 'value': {'user_id': user}},
          'stored originating identity %r', lo.get('originating_identity'))
    check(lo.get('request_identity') == rid, 'stored request identity %r, want %r',
          lo.get('request_identity'), rid)
    for bad in ('cloudfoundry', 'cloudfoundry ', ' ' + b64('{"user_id":"x"}'),
                'cloudfoundry !!!not-base64!!!', 'cloudfoundry ' + b64('not json'),
                'cloudfoundry ' + b64('[1, 2]'), 'cloudfoundry ' + b64('"str"'),
                'cloud foundry ' + b64('{"user_id":"x"}')):
        iid = new_id()
        with x.no_change():
            r = x.c.put(x.ipath(iid), x.prov_body(), headers={'X-Broker-API-Originating-Identity': bad})
        check(r.status == 400, 'identity %r: %s, want 400', bad, r.what())
        expect(r, 400)
        x.assert_no_instance(iid)
    # kubernetes style
    iid = new_id()
    k8s = {'username': 'jane', 'uid': 'u1', 'groups': ['a'], 'extra': {}}
    oi = 'kubernetes ' + b64(json.dumps(k8s))
    expect(x.c.put(x.ipath(iid), x.prov_body(), headers={'X-Broker-API-Originating-Identity': oi}), 201)
    lo = x.record(iid).get('last_operation') or {}
    check(lo.get('originating_identity') == {'platform': 'kubernetes', 'value': k8s},
          'stored originating identity %r', lo.get('originating_identity'))
    check('request_identity' not in lo, 'a request identity stored though none was sent')


@case('request identity is echoed (success and errors)')
def t_request_identity(x):
    iid = new_id()
    for method, path, body, kw, status in (
            ('GET', '/v2/catalog', None, {}, 200),
            ('PUT', x.ipath(iid), x.prov_body(), {}, 201),
            ('GET', x.ipath(new_id()), None, {}, 404),
            ('PUT', x.ipath(new_id()), '{', {}, 400),
            ('GET', '/v2/catalog', None, {'version': None}, 400),
            ('GET', '/v2/nothing', None, {}, 404),
            ('GET', '/v2/catalog', None, {'auth': False}, 401)):
        rid = str(uuid.uuid4())
        with x.no_change() if status >= 400 else contextlib.nullcontext():
            r = x.c.request(method, path, body=body,
                            headers={'X-Broker-API-Request-Identity': rid}, **kw)
        expect(r, status)
        check(r.header('X-Broker-API-Request-Identity') == rid,
              '%s: X-Broker-API-Request-Identity %r, want %r', r.what(),
              r.header('X-Broker-API-Request-Identity'), rid)
    r = x.c.get('/v2/catalog')
    check(r.header('X-Broker-API-Request-Identity') is None, 'echo without a request identity')

    def logged():
        for f in x.stack.log_files():
            with open(f, 'rb') as fh:
                if rid.encode() in fh.read():
                    return True
        return False
    wait_for(logged, 10, 'the request identity %s to appear in a log' % rid)


# ============================================================================ header rules, every route
#
# Every rule about the request headers, on every method of every route, each a
# case of its own.  src/server.c checks in this order: credentials (401),
# the route (404/405), the API version (400 missing, 412 unparsable, not 2.x
# or older than the endpoint), the originating identity (400); only then the
# handler.  Each request below names an existing instance and binding and
# would succeed with the right headers, so the answer is the header rule's
# alone; the store must not change.  A version header that does not parse as
# MAJOR.MINOR is 412, not 400: spec.md "API Version Header" asks for 412 when
# the broker cannot handle the version it is sent, and 400 only when the
# header is missing.

def _query(x):
    return '?' + x.query('basic')


# (route, method, path(x, iid, bid), body(x), status with good headers, needs 2.14)
HEADER_ROUTES = (
    ('GET catalog', 'GET', lambda x, i, b: '/v2/catalog', None, 200, False),
    ('PUT instance', 'PUT', lambda x, i, b: x.ipath(i), lambda x: x.prov_body('basic', {'size': 1}),
     200, False),
    ('GET instance', 'GET', lambda x, i, b: x.ipath(i), None, 200, True),
    ('PATCH instance', 'PATCH', lambda x, i, b: x.ipath(i),
     lambda x: {'service_id': x.plans['basic'][0], 'parameters': {'size': 2}}, 200, False),
    ('DELETE instance', 'DELETE', lambda x, i, b: x.ipath(i) + _query(x), None, 200, False),
    ('GET instance last_operation', 'GET', lambda x, i, b: x.ipath(i) + '/last_operation',
     None, 200, False),
    ('PUT binding', 'PUT', lambda x, i, b: x.bpath(i, b), lambda x: x.bind_body(), 200, False),
    ('GET binding', 'GET', lambda x, i, b: x.bpath(i, b), None, 200, True),
    ('DELETE binding', 'DELETE', lambda x, i, b: x.bpath(i, b) + _query(x), None, 200, False),
    ('GET binding last_operation', 'GET', lambda x, i, b: x.bpath(i, b) + '/last_operation',
     None, 200, True),
)

# (rule, request options(x), status; None: 412 where the route needs 2.14,
# else the route's own answer)
HEADER_RULES = (
    ('no X-Broker-API-Version', lambda x: {'version': None}, 400),
    ("version 'abc'", lambda x: {'version': 'abc'}, 412),
    ("version '2'", lambda x: {'version': '2'}, 412),
    ("version '2.x'", lambda x: {'version': '2.x'}, 412),
    ('version 3.0', lambda x: {'version': '3.0'}, 412),
    ('version 2.13', lambda x: {'version': '2.13'}, None),
    ('no credentials', lambda x: {'auth': False}, 401),
    ('wrong credentials', lambda x: {'headers': {
        'Authorization': x.c.auth_header(password='wrong-' + x.c.password)}}, 401),
    ('malformed X-Broker-API-Originating-Identity', lambda x: {'headers': {
        'X-Broker-API-Originating-Identity': 'cloudfoundry !!!not-base64!!!'}}, 400),
)


def _header_case(route, rule):
    _, method, path, body, ok, needs_214 = route
    _, options, status = rule

    def t(x):
        iid, bid = new_id(), new_id('b')
        x.provision(iid, 'basic', {'size': 1})
        x.bind(iid, bid, body=x.bind_body())
        kw = options(x)
        send = lambda: x.c.request(method, path(x, iid, bid), body=body(x) if body else None, **kw)
        want = status if status is not None else (412 if needs_214 else None)
        if want is None:
            expect(send(), ok)
            return
        doc = x.refused(send, want)
        if want == 412:
            check('2.17' in doc['description'], '412 without the supported versions: %r', doc)
        if want == 401:
            check(x.c.get('/v2/catalog', **kw).header('WWW-Authenticate'), '401 without WWW-Authenticate')
    return t


def _header_name(route, rule):
    status = rule[2] if rule[2] is not None else (412 if route[5] else route[4])
    return 'headers: %s, %s -> %d' % (route[0], rule[0], status)


for _route in HEADER_ROUTES:
    for _rule in HEADER_RULES:
        case(_header_name(_route, _rule))(_header_case(_route, _rule))


# ============================================================================ catalog reload

def _write_catalog(path, text, bump):
    """Write in place and move the mtime forward by `bump` seconds, so that a
    broker comparing mtimes (one-second resolution) sees the change."""
    st = os.stat(path)
    with open(path, 'w') as f:
        f.write(text)
    t = max(st.st_mtime, time.time()) + bump
    os.utime(path, (t, t))


def _broker_log(x):
    return os.path.join(x.stack.run_dir, 'osbroker.log')


def _every_worker_looked(x, log_from):
    """Send concurrent catalog requests until every worker has answered one
    since log_from, and so has looked at the edited file: a worker that never
    saw a good edit rightly keeps serving the catalog it had."""
    workers = x.stack.pids()['workers']

    def all_looked():
        _race(x, 4, lambda i: x.c.get('/v2/catalog'))
        with open(_broker_log(x), 'rb') as f:
            f.seek(log_from)
            text = f.read().decode(errors='replace')
        return all('osbroker[%d]: GET /v2/catalog 200' % p in text for p in workers)
    wait_for(all_looked, 20, 'every worker to answer after the edit')


@case('catalog: an edit is served without restart; a broken edit keeps the last good one',
      nocgi='waits until each long-running FastCGI worker (by pid, in osbroker.log) has '
            'looked at the edit; a CGI process reads the catalog afresh, which test_cgi.py '
            'checks on its own')
def t_catalog_reload(x):
    path = x.stack.catalog
    with open(path) as f:
        original = f.read()
    before = x.c.get('/v2/catalog')
    expect(before, 200)
    log_from = os.path.getsize(_broker_log(x))
    extra_id = str(uuid.uuid4())
    edited = original.replace(
        '  - id: ', '  - id: %s\n    name: extra\n    description: Added while serving\n'
        '    maximum_polling_duration: 30\n  - id: ' % extra_id, 1).replace('Integration test database', 'Integration test database (edited)')
    try:
        _write_catalog(path, edited, 5)

        def seen():
            r = x.c.get('/v2/catalog')
            return r if r.status == 200 and extra_id in r.body.decode() else None
        after = wait_for(seen, 20, 'the edited catalog to be served')
        _every_worker_looked(x, log_from)
        check('(edited)' in after.body.decode(), 'half of the edit served')
        # what Cloud Foundry would refuse is logged with its line, and served
        with open(_broker_log(x), 'rb') as f:
            f.seek(log_from)
            text = f.read().decode(errors='replace')
        check(re.search(r'catalog \S+:\d+:\d+: warning: plan "extra": '
                        r'maximum_polling_duration 30 is under 120', text),
              'no warning about the edit in the log: %r', text[-2000:])
        check(after.header('ETag') != before.header('ETag'), 'ETag did not change with the catalog')
        check(after.header('Last-Modified') != before.header('Last-Modified'), 'Last-Modified unchanged')
        iid = new_id()
        sid = x.plans['basic'][0]
        expect(x.c.put(x.ipath(iid), {'service_id': sid, 'plan_id': extra_id,
                                      'organization_guid': 'o', 'space_guid': 's'}), 201)
        # broken: YAML syntax error, then a valid YAML that is not a valid
        # catalog, then a plan schema that its draft's meta-schema refuses
        bad_schema = edited.replace(
            '    maximum_polling_duration: 30\n', '    maximum_polling_duration: 30\n'
            '    schemas: {service_instance: {create: {parameters: {type: 5}}}}\n', 1)
        check(bad_schema != edited, 'the bad schema was not planted')
        for n, broken in enumerate((edited.replace('  plans:', '  plans: [', 1),
                                    edited.replace('  name: itest-db\n', '', 1),
                                    bad_schema), 1):
            _write_catalog(path, broken, 5 + 5 * n)
            for _ in range(6):    # more requests than workers: every worker looks
                r = x.c.get('/v2/catalog')
                expect(r, 200)
                check(r.body == after.body, 'after broken edit %d the served catalog changed', n)
                check(r.header('ETag') == after.header('ETag'), 'ETag changed after broken edit %d', n)
            iid2 = new_id()
            expect(x.c.put(x.ipath(iid2), {'service_id': sid, 'plan_id': extra_id,
                                           'organization_guid': 'o', 'space_guid': 's'}), 201)
            expect(x.c.get(x.ipath(iid)), 200)
        with open(_broker_log(x), 'rb') as f:
            f.seek(log_from)
            text = f.read().decode(errors='replace')
        check(re.search(r':\d+:\d+: plan "extra": schemas: .*is not a usable JSON Schema: type',
                        text), 'the refused schema is not logged with its line: %r', text[-2000:])
    finally:
        _write_catalog(path, original, 30)

    def restored():
        r = x.c.get('/v2/catalog')
        return r.status == 200 and extra_id not in r.body.decode()
    wait_for(restored, 20, 'the original catalog to be served again')
    r = x.c.get('/v2/catalog')
    check(r.header('ETag') == before.header('ETag'), 'ETag of the same catalog differs: %r vs %r',
          r.header('ETag'), before.header('ETag'))


# ============================================================================ concurrency

def _race(x, n, make_request):
    barrier = threading.Barrier(n)

    def one(i):
        barrier.wait(30)
        return make_request(i)
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


@case('concurrency: 16 identical PUTs of one instance -> one 201, fifteen 200')
def t_race_identical(x):
    iid = new_id()
    body = x.prov_body('basic', {'size': 1})
    rs = _race(x, 16, lambda i: x.c.put(x.ipath(iid), body))
    codes = sorted(r.status for r in rs)
    check(codes.count(201) == 1 and codes.count(200) == 15, 'statuses %s', codes)
    for r in rs:
        expect(r, r.status)
    x.assert_instance(iid, 'basic', {'size': 1})


@case('concurrency: 16 different PUTs of one instance -> one 201, fifteen 409')
def t_race_different(x):
    iid = new_id()
    rs = _race(x, 16, lambda i: x.c.put(x.ipath(iid), x.prov_body('basic', {'n': i})))
    codes = [r.status for r in rs]
    check(sorted(codes).count(201) == 1 and sorted(codes).count(409) == 15, 'statuses %s', sorted(codes))
    winner = codes.index(201)
    x.assert_instance(iid, 'basic', {'n': winner})


@case('concurrency: 16 identical binds -> one 201, fifteen 200, one set of credentials')
def t_race_bind(x):
    iid, bid = new_id(), new_id('b')
    x.provision(iid)
    body = x.bind_body('basic', {'r': 1})
    rs = _race(x, 16, lambda i: x.c.put(x.bpath(iid, bid), body))
    codes = sorted(r.status for r in rs)
    check(codes.count(201) == 1 and codes.count(200) == 15, 'statuses %s', codes)
    creds = [x.credentials_of(expect(r, r.status), 'race') for r in rs]
    check(all(c == creds[0] for c in creds), 'concurrent identical binds returned different credentials')
    doc = expect(x.c.get(x.bpath(iid, bid)), 200)
    check(doc.get('credentials') == creds[0], 'stored credentials differ from those handed out')


@case('concurrency: 16 deprovisions of one instance -> one 200, fifteen 410')
def t_race_delete(x):
    iid = new_id()
    x.provision(iid)
    rs = _race(x, 16, lambda i: x.c.delete(x.ipath(iid) + '?' + x.query('basic')))
    codes = sorted(r.status for r in rs)
    check(codes.count(200) == 1 and codes.count(410) == 15, 'statuses %s', codes)
    x.assert_no_instance(iid)


@case('load: 200 mixed requests from 8 threads all answered correctly')
def t_load(x):
    def work(i):
        iid, bid = new_id(), new_id('b')
        out = []
        out.append((x.c.put(x.ipath(iid), x.prov_body('basic', {'i': i})), 201))
        out.append((x.c.put(x.bpath(iid, bid), x.bind_body()), 201))
        out.append((x.c.get(x.bpath(iid, bid)), 200))
        out.append((x.c.delete(x.bpath(iid, bid) + '?' + x.query('basic')), 200))
        out.append((x.c.delete(x.ipath(iid) + '?' + x.query('basic')), 200))
        return out
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(40)))
    for out in results:
        for r, want in out:
            doc = expect(r, want)
            if 'credentials' in (doc or {}):
                x.credentials_of(doc, 'load')


# ============================================================================ platforms
# One broker, several platforms (osbroker(8) "CREDENTIALS", docs/architecture.md
# "Several platforms"): a credentials line's plans= field restricts its user to
# those services and plans, and to the instances it created.  Two restricted
# users side by side and an unrestricted one, added to the stack's credentials
# file for the case and taken out again after it.

PLAT_A = ('plat-a', 'plans=itest-db/basic')
PLAT_B = ('plat-b', 'plans=f34d57ee-82fb-4d9c-8a11-83b276f02012,itest-db/premium')
PLAT_ADMIN = ('plat-admin', None)


def _credentials_file(stack):
    for d in (getattr(stack, 'run_dir', None), stack.tmp, stack.state_dir):
        if d and os.path.isfile(os.path.join(d, 'credentials')):
            return os.path.join(d, 'credentials')
    raise AssertionError('no credentials file in the stack')


@contextlib.contextmanager
def _platforms(x, users=(PLAT_A, PLAT_B, PLAT_ADMIN)):
    """{name: Client} for users ((name, plans= field or None), ...), while
    they are in the credentials file."""
    from harness import Client, broker_bin, hash_password
    path = _credentials_file(x.stack)
    with open(path) as f:
        original = f.read()
    if not hasattr(x, 'plat_pw'):
        x.plat_pw = 'pw-' + uuid.uuid4().hex
        x.plat_hash = hash_password(getattr(x.stack, 'binary', None) or broker_bin(), x.plat_pw)
        x.secrets.append(x.plat_pw)
    lines = [original.rstrip('\n')]
    for name, plans in users:
        lines.append('%s:%s%s' % (name, x.plat_hash, ':' + plans if plans else ''))
    _write_catalog(path, '\n'.join(lines) + '\n', 5)
    try:
        yield {name: Client(x.c.port, name, x.plat_pw, host=x.c.host) for name, _ in users}
    finally:
        _write_catalog(path, original, 10)


def _as_unknown(x, send, real, status):
    """send(id) twice: with the real id, refused with status and nothing
    stored, and with an id nobody has; both answers must be the same but
    for the id (a refusal must not tell a foreign record from none)."""
    fake = new_id('unknown')
    got = []
    x.refused(lambda: got.append(send(real)) or got[0], status)
    r1, r2 = got[0], send(fake)
    expect_error(r2, status)
    norm = lambda r: (r.status, r.body.replace(real.encode(), b'ID').replace(fake.encode(), b'ID'))
    check(norm(r1) == norm(r2), 'a foreign id: %r, an unknown one: %r', r1.body[:300], r2.body[:300])


def _services(doc):
    return {s['name']: sorted(p['name'] for p in s['plans']) for s in doc['services']}


@case('platforms: each restricted user gets its own catalog with its own ETag, 304 on it')
def t_platforms_catalog(x):
    with _platforms(x) as u:
        ra, rb = u['plat-a'].get('/v2/catalog'), u['plat-b'].get('/v2/catalog')
        radm, rmain = u['plat-admin'].get('/v2/catalog'), x.c.get('/v2/catalog')
        a, b, adm = expect(ra, 200), expect(rb, 200), expect(radm, 200)
        check(_services(a) == {'itest-db': ['basic']}, 'plat-a sees %r', _services(a))
        check(_services(b) == {'itest-db': ['premium'], 'itest-fixed': ['fixed-a', 'fixed-b']},
              'plat-b sees %r', _services(b))
        check(adm == expect(rmain, 200) and radm.header('ETag') == rmain.header('ETag'),
              'an unrestricted user does not get the whole catalog')
        tags = [r.header('ETag') for r in (ra, rb, radm)]
        check(all(tags) and len(set(tags)) == 3, 'ETags %r are not three different ones', tags)
        # a restricted document keeps the catalog's own fields
        full = {s['name']: s for s in adm['services']}
        sa = a['services'][0]
        check({k: v for k, v in sa.items() if k != 'plans'} ==
              {k: v for k, v in full['itest-db'].items() if k != 'plans'},
              'the offering differs from the catalog\'s: %r', sa)
        check(sa['plans'] == [p for p in full['itest-db']['plans'] if p['name'] == 'basic'],
              'the plan differs from the catalog\'s')
        # validators: its own ETag, not the catalog's; no Last-Modified
        expect(u['plat-a'].get('/v2/catalog', headers={'If-None-Match': tags[0]}), 304)
        expect(u['plat-a'].get('/v2/catalog', headers={'If-None-Match': tags[2]}), 200)
        expect(u['plat-b'].get('/v2/catalog', headers={'If-None-Match': tags[0]}), 200)
        check(ra.header('Last-Modified') is None and radm.header('Last-Modified') is not None,
              'Last-Modified: %r for a restricted user', ra.header('Last-Modified'))
        expect(u['plat-a'].get('/v2/catalog', headers={
            'If-Modified-Since': radm.header('Last-Modified')}), 200)


@case('platforms: provision, update and bind of a plan outside the set -> 400 as an unknown plan')
def t_platforms_plans(x):
    with _platforms(x) as u:
        a = u['plat-a']
        sid, basic = x.plans['basic']
        _, premium = x.plans['premium']
        fsid, fixed = x.plans['fixed-a']
        iid = new_id()

        def prov(s, p):
            return lambda pid: a.put(x.ipath(iid), dict(x.prov_body(), service_id=s, plan_id=pid))
        # a plan of an offering it sees, and an offering it does not see
        _as_unknown(x, prov(sid, premium), premium, 400)
        _as_unknown(x, lambda s: a.put(x.ipath(iid), dict(x.prov_body(), service_id=s,
                                                            plan_id=fixed)), fsid, 400)
        x.assert_no_instance(iid)
        expect(a.put(x.ipath(iid), x.prov_body('basic')), 201)
        _as_unknown(x, lambda pid: a.patch(x.ipath(iid), {'service_id': sid, 'plan_id': pid}),
                    premium, 400)
        bid = new_id('b')
        _as_unknown(x, lambda pid: a.put(x.bpath(iid, bid), dict(x.bind_body(), plan_id=pid)),
                    premium, 400)
        # the set's own plan works all the way
        doc = expect(a.put(x.bpath(iid, bid), x.bind_body()), 201)
        x.credentials_of(doc, 'plat-a bind')
        expect(a.delete(x.bpath(iid, bid) + '?' + x.query('basic')), 200)
        expect(a.delete(x.ipath(iid) + '?' + x.query('basic')), 200)


@case('platforms: another user\'s instances and bindings are unknown ids on every endpoint')
def t_platforms_foreign(x):
    with _platforms(x) as u:
        a, b, adm = u['plat-a'], u['plat-b'], u['plat-admin']
        ia, ib, imain = new_id(), new_id(), new_id()
        ba = new_id('b')
        expect(a.put(x.ipath(ia), x.prov_body('basic')), 201)
        x.credentials_of(expect(a.put(x.bpath(ia, ba), x.bind_body()), 201), 'plat-a bind')
        expect(b.put(x.ipath(ib), x.prov_body('fixed-a')), 201)
        x.provision(imain, 'premium')
        check(x.record(ia).get('owner') == 'plat-a' and x.record(ia, ba).get('owner') == 'plat-a',
              'owners: %r', (x.record(ia).get('owner'), x.record(ia, ba).get('owner')))
        check(x.record(imain).get('owner') == x.c.username, 'the main user\'s instance: owner %r',
              x.record(imain).get('owner'))
        q = x.query('basic')
        for who, c, iid, plan in ((b, b, ia, 'basic'), (a, a, ib, 'fixed-a'),
                                  (b, b, imain, 'premium')):
            qq = x.query(plan)
            _as_unknown(x, lambda i: c.get(x.ipath(i)), iid, 404)
            _as_unknown(x, lambda i: c.get(x.ipath(i) + '/last_operation'), iid, 404)
            _as_unknown(x, lambda i: c.patch(x.ipath(i), {'service_id': x.plans[plan][0],
                                                            'parameters': {'k': 1}}), iid, 404)
            _as_unknown(x, lambda i: c.put(x.bpath(i, new_id('b')), x.bind_body(plan)), iid, 404)
            _as_unknown(x, lambda i: c.delete(x.ipath(i) + '?' + qq), iid, 410)
        # the binding of plat-a's instance, by its ids, for plat-b
        for path, status in (('', 404), ('/last_operation', 404)):
            _as_unknown(x, lambda i: b.get(x.bpath(i, ba) + path), ia, status)
        _as_unknown(x, lambda i: b.delete(x.bpath(i, ba) + '?' + q), ia, 410)
        # a provision under a taken id cannot succeed: 409 as for any other
        # attributes, the stored instance untouched
        r = x.refused(lambda: b.put(x.ipath(ia), x.prov_body('premium')), 409)
        r2 = x.c.put(x.ipath(imain), x.prov_body('basic'))
        check(r2.status == 409 and r2.json['description'].replace(imain, 'ID') ==
              r['description'].replace(ia, 'ID'), 'the 409 differs: %r vs %r', r, r2.body)
        # the owner and unrestricted users still see everything
        expect(a.get(x.ipath(ia)), 200)
        expect(a.get(x.bpath(ia, ba)), 200)
        for c in (adm, x.c):
            for iid in (ia, ib, imain):
                expect(c.get(x.ipath(iid)), 200)
        # a binding an unrestricted user makes follows its instance's owner
        bb = new_id('b')
        x.credentials_of(expect(adm.put(x.bpath(ia, bb), x.bind_body()), 201), 'admin bind')
        check(x.record(ia, bb).get('owner') == 'plat-a', 'owner of the admin\'s binding: %r',
              x.record(ia, bb).get('owner'))
        x.credentials_of(expect(a.get(x.bpath(ia, bb)), 200), 'plat-a fetch')
        # and the owner deletes what is its own
        expect(a.delete(x.ipath(ia) + '?' + q), 200)
        expect(b.delete(x.ipath(ib) + '?' + x.query('fixed-a')), 200)
        x.deprovision(imain, 'premium')


@case('platforms: /metrics and /status are not there for a restricted user')
def t_platforms_metrics(x):
    with _platforms(x) as u:
        for path in ('/metrics', '/status'):
            r = u['plat-admin'].get(path, version=None)
            if r.status != 200:
                # a front end that passes only /v2/ to the broker (the Apache
                # setup): nobody reaches the operator's pages through it
                check(u['plat-a'].get(path, version=None).status == r.status,
                      'the front end answers %s differently for a restricted user', path)
                continue
            r1 = u['plat-a'].get(path, version=None)
            r2 = u['plat-a'].get(path + 'z', version=None)
            expect_error(r1, 404)
            expect_error(r2, 404)
            check(r1.body.replace(path.encode(), b'P') == r2.body.replace(path.encode() + b'z', b'P'),
                  '%s: %r vs %r', path, r1.body, r2.body)
