# SPDX-License-Identifier: ISC
"""What the hooks of examples/postgresql share: the names of an instance's
objects, psql on the admin connection, and the frame of docs/hooks.md (the
request on standard input; one JSON object on standard output; messages for
the operator on standard error; exit 0, 64 for an invalid request, 1 for any
other failure).  Python 3 standard library only.

Not a program: each hook imports it from its own directory (which Python
puts first on sys.path) and calls run(main).
"""

import hashlib
import json
import os
import re
import subprocess
import sys

EX_USAGE = 64

# What a binding's role may be called (credentials.username).
ROLE_NAME = re.compile(r'^(?!pg_)[A-Za-z0-9_][A-Za-z0-9_.@-]{0,62}$')


class Failure(Exception):
    """description: for the platform; detail: for the operator (stderr)."""

    def __init__(self, description, detail=None, status=1):
        super().__init__(description)
        self.description, self.detail, self.status = description, detail, status


def names(instance_id):
    """Database and owner role of an instance: ids may be 255 characters,
    PostgreSQL names at most 63 bytes, so derive them from a hash."""
    h = hashlib.sha256(instance_id.encode('utf-8')).hexdigest()[:20]
    return 'osb_' + h, 'osb_' + h + '_owner'


def binding_comment(binding_id, instance_id):
    """The comment the bind hook puts on a binding's role (unbind and
    deprovision recognise the role by it)."""
    return 'osbroker binding %s of instance %s' % (binding_id, instance_id)


def psql(sql, variables, database=None):
    """Run sql (standard input) through psql on the admin connection; names go
    in as psql variables (-v), to be used as :'var' (literal) or :"var"
    (identifier), which psql quotes.  Returns psql's standard output."""
    env = dict(os.environ)
    env.setdefault('PGDATABASE', 'postgres')
    env.setdefault('PGCONNECT_TIMEOUT', '10')
    env['PGAPPNAME'] = 'osbroker-' + os.environ.get('OSBROKER_ACTION', 'hook')
    env['PGCLIENTENCODING'] = 'UTF8'
    if database is not None:
        env['PGDATABASE'] = database
    argv = ['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1']
    for k, v in variables.items():
        argv += ['-v', '%s=%s' % (k, v)]
    try:
        p = subprocess.run(argv, input='SET client_min_messages = warning;\n' + sql,
                           capture_output=True, text=True, env=env)
    except OSError as e:
        raise Failure('the broker host cannot run psql', 'cannot run psql: %s' % e)
    if p.returncode != 0:
        raise Failure('the database server refused the request; the broker log has details',
                      'psql (database %s) exited with %d:\n%s'
                      % (env['PGDATABASE'], p.returncode, p.stderr.strip()))
    return p.stdout


# Maintenance (docs/hooks.md "Upgrades"): what each plan version brings to an
# instance's database, in version order.  The catalog's
# maintenance_info.version says which of these a new instance gets
# (provision) and which an upgrade adds (upgrade hook: every step above the
# instance's version, up to the plan's).  Each step runs in the instance's
# database as the admin role and is idempotent, so a failed upgrade can be
# tried again.
MIGRATIONS = [
    ('1.1.0', 'pgcrypto for applications (gen_random_uuid, crypt, digest)',
     'CREATE EXTENSION IF NOT EXISTS pgcrypto;'),
]

# The versions an instance's database went through, readable by its bindings.
VERSIONS_SQL = """
CREATE TABLE IF NOT EXISTS osbroker_maintenance (
    version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
REVOKE ALL ON osbroker_maintenance FROM PUBLIC;
GRANT SELECT ON osbroker_maintenance TO :"owner";
INSERT INTO osbroker_maintenance (version) VALUES (:'version') ON CONFLICT DO NOTHING;
"""

SEMVER = re.compile(r'^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:[-+].*)?$')


def version_key(v):
    """A semantic version's order (pre-release and build ignored)."""
    m = SEMVER.match(v or '')
    if not m:
        raise Failure('maintenance_info.version %r is not a semantic version' % (v,),
                      'not a semantic version: %r' % (v,), EX_USAGE)
    return tuple(int(x) for x in m.groups())


def migrate(db, owner, old, new):
    """Bring database db from version old (None: a new database) to new:
    the MIGRATIONS steps in between, then new recorded in
    osbroker_maintenance.  Returns the steps' descriptions."""
    lo, hi = (version_key(old) if old else None), version_key(new)
    done = []
    for version, what, sql in MIGRATIONS:
        if (lo is None or version_key(version) > lo) and version_key(version) <= hi:
            psql(sql, {'owner': owner, 'version': version}, database=db)
            done.append('%s: %s' % (version, what))
    psql(VERSIONS_SQL, {'owner': owner, 'version': new}, database=db)
    return done


def flags(sql, variables):
    """psql's answer to a query of one row of booleans, as a list of bools."""
    return [f == 't' for f in psql(sql, variables).strip().split('|')]


def no_parameters(req, description, action):
    """Reject (exit 64) a request with parameters: description says what
    takes none, action prefixes the operator's message."""
    params = req.get('parameters') or {}
    if not isinstance(params, dict) or params:
        unknown = ', '.join(sorted(params)) if isinstance(params, dict) else repr(params)
        raise Failure('%s (unknown: %s)' % (description, unknown[:200]),
                      '%s: rejected parameters: %s' % (action, unknown[:200]), EX_USAGE)


def run(main):
    """The hook's frame: main(request) returns the output object or raises
    Failure; what the input lacks (or has of the wrong type) is exit 1."""
    try:
        out = main(json.load(sys.stdin))
    except Failure as f:
        if f.detail:
            print(f.detail, file=sys.stderr)
        print(json.dumps({'description': f.description}))
        sys.exit(f.status)
    except (ValueError, KeyError, TypeError) as e:
        print('invalid input: %s: %s' % (type(e).__name__, e), file=sys.stderr)
        print(json.dumps({'description': 'the hook received invalid input'}))
        sys.exit(1)
    print(json.dumps(out))
