/* SPDX-License-Identifier: ISC */
/*
 * limits: every bound on external input, in one place.  Runtime-configurable
 * ones have their default here and their variable in config.h.
 */
#ifndef OSB_LIMITS_H
#define OSB_LIMITS_H

#define OSB_MAX_ID_LEN          255          /* ids: the most, and the default of
                                                OSBROKER_MAX_ID_LEN (binding keys
                                                "<iid>/<bid>" must fit LMDB's
                                                511-byte keys) */
#define OSB_DEFAULT_MAX_BODY    (1024 * 1024) /* OSBROKER_MAX_BODY */
#define OSB_MIN_MAX_BODY        64           /* ... and its smallest value */
#define OSB_MAX_DISCARD         (64LL * 1024 * 1024) /* drained from a refused body */
#define OSB_MAX_JSON_DEPTH      32           /* OSBROKER_MAX_JSON_DEPTH default */
#define OSB_MAX_JSON_DEPTH_CAP  64           /* ... and its largest value */
#define OSB_MAX_JSON_KEYS       4096         /* OSBROKER_MAX_JSON_KEYS: object
                                                members in one body */
#define OSB_MAX_JSON_KEYS_CAP   1000000      /* ... and its largest value */
#define OSB_MAX_HEADER_LEN      8192         /* any X-Broker-API-* / auth header */
#define OSB_MAX_URI_LEN         8192         /* REQUEST_URI */
#define OSB_MAX_QUERY_PARAMS    32
#define OSB_MAX_OPERATION_LEN   10000        /* spec: operation <= 10,000 chars */
/* OSBROKER_MAP_SIZE: address space LMDB reserves, not disk (the file grows
 * with the data).  16 GiB holds millions of instances (BENCHMARKS.md) and
 * stays within what valgrind can map; 1 GiB where size_t is 32 bits. */
#define OSB_DEFAULT_MAP_SIZE    (sizeof(size_t) > 4 ? 16LL << 30 : 1LL << 30)
#define OSB_MIN_MAP_SIZE        (1024 * 1024) /* its smallest value */
#define OSB_DEFAULT_REQUEST_TIMEOUT 60       /* OSBROKER_REQUEST_TIMEOUT, seconds:
                                                nginx's fastcgi_read_timeout */
#define OSB_REQUEST_TIMEOUT_MARGIN 5         /* a synchronous hook ends this much
                                                before the web server gives up */
#define OSB_MAX_REQUEST_TIMEOUT 86400        /* OSBROKER_REQUEST_TIMEOUT's largest */
#define OSB_RELEASE_EVERY       64           /* requests between store_release()
                                                calls of a worker: its resident
                                                size stays a few MB */
#define OSB_MAX_CREDENTIAL_USERS 64
#define OSB_MAX_LOG_ID_LEN      128          /* request identity as logged */
#define OSB_MAX_QUOTED          255          /* most bytes of a client's value
                                                quoted back in a description */
#define OSB_MAX_PATH            4096         /* a file or directory name the
                                                broker is given or builds
                                                (PATH_MAX), the catalog's
                                                directory for hook paths */
#define OSB_MAX_NAME            104          /* what the broker appends to such
                                                a name ("/operations.log",
                                                ".<pid>.tmp"); a state file
                                                longer than both is not
                                                written (the catalog is then
                                                not cached) */
#define OSB_MAX_STORE_SPEC      4096         /* OSBROKER_STORE: a libpq
                                                connection string */
#define OSB_MAX_HOST_ID         64           /* OSBROKER_HOST_ID, and the
                                                identity made of the machine
                                                id and the pid namespace
                                                (op.h "Hosts") */
#define OSB_STORE_RETRY_AFTER   5            /* seconds, in a 503 while the
                                                store cannot be reached */
#define OSB_PG_MAX_VALUE        (256L * 1024 * 1024) /* one record in
                                                PostgreSQL (bytea holds 1 GB;
                                                records are far smaller) */
#define OSB_PG_PIPELINE         16           /* PostgreSQL commands sent before
                                                their results are read (one
                                                transaction's puts are queued
                                                until its commit) */
#define OSB_PG_RECALL           32           /* instance records a worker on
                                                PostgreSQL remembers, the most
                                                recently read (store_recall():
                                                a bind decides on one and
                                                writes in one round trip) */
#define OSB_PG_RECALL_VALUE     16384        /* bytes of one such record at
                                                most: a larger one is not
                                                remembered (at most 512 KiB a
                                                worker) */
#define OSB_MAX_STORE_KEY       511          /* a key of any table: LMDB's
                                                largest (meta keys; ids and
                                                binding keys are shorter) */
#define OSB_MAX_EXPORT_LINE     (2 * OSB_PG_MAX_VALUE + 4096) /* a line of
                                                osbroker --export's format:
                                                the largest record PostgreSQL
                                                holds, every byte escaped,
                                                with its table and key */
#define OSB_PG_COMMIT_WAIT      10           /* seconds a COMMIT may wait (for
                                                a synchronous standby) before
                                                it is cancelled and answered
                                                as of unknown outcome (503) */
#define OSB_MAX_PROC_LINE       (OSB_MAX_PATH + 256) /* a /proc/self/maps line */
#define OSB_MAX_CREDENTIAL_LINE 1024         /* a line of the credentials file */
#define OSB_MAX_CREDENTIAL_FILE (OSB_MAX_CREDENTIAL_USERS * OSB_MAX_CREDENTIAL_LINE)
                                             /* osbrokerctl passwd: the file */
#define OSB_MAX_USER_NAME       64           /* osbrokerctl passwd: a user name */
#define OSB_MAX_PASSWORD        256          /* osbrokerctl passwd: a password */
#define OSB_MAX_TABLE_CELL      512          /* osbrokerctl: bytes of one cell
                                                of a table (longer: cut, "...") */
#define OSB_MAX_AUTH_CACHE      (64 * 1024)  /* the shared password cache file */
#define OSB_MAX_HOOK_LOG_LINE   1000         /* a hook's stderr line as logged */
#define OSB_MAX_HOOK_STDOUT     65536        /* OSBROKER_MAX_HOOK_OUTPUT default:
                                                a hook's answer (docs/hooks.md) */
#define OSB_MIN_HOOK_STDOUT     1024         /* ... and its smallest value */
#define OSB_MAX_HOOK_STDERR     16384        /* of a hook's stderr, logged */
#define OSB_MAX_HOOK_DESC       1000         /* a hook's user-facing description */
#define OSB_MAX_MESSAGE_LEN     256          /* a refusal message, with the
                                                input it quotes, and the file
                                                name it gives */

/* catalog.yml (osbroker-catalog(5)) */
#define OSB_MAX_CATALOG_BYTES   (4 * 1024 * 1024) /* the file or buffer */
#define OSB_MAX_CATALOG_CACHE   (16 * 1024 * 1024) /* its compiled form: a
                                                compiled 4 MB catalog fits */
#define OSB_MAX_CATALOG_DEPTH   64           /* nested mappings and sequences */
#define OSB_MAX_CATALOG_ID_LEN  255          /* ids and names; spec: at most
                                                255 characters recommended */
#define OSB_MAX_CATALOG_WARNINGS 100         /* platform warnings kept per
                                                load (the rest are counted) */
#define OSB_MAX_SCHEMA_LEN      65536        /* spec: a schema is at most
                                                64 kB as JSON */
#define OSB_DEFAULT_AUDIT_DAYS  90           /* OSBROKER_AUDIT_DAYS */
#define OSB_MAX_AUDIT_DAYS      36500
#define OSB_AUDIT_PAGE          256          /* audit entries read at once */
#define OSB_AUDIT_KEY           48           /* bytes of an audit key + NUL */
#define OSB_AUDIT_PRUNE_BATCH   64           /* entries deleted by one
                                                short write transaction */
#define OSB_AUDIT_PRUNE_EVERY   1000         /* requests between two prunes
                                                of a FastCGI worker (a CGI
                                                process: 1 in as many) */
#define OSB_MAX_PARAMS_REPORT   960          /* bytes of a 400's list of
                                                parameter violations (whole
                                                lines, then "and N more") */
#define OSB_MAX_HOOK_PATH       1024         /* osbroker: hooks.<action> */
#define OSB_MAX_HOOK_ENV_NAME   128          /* osbroker: hook_env names */
#define OSB_MAX_POLL_INTERVAL   3600         /* osbroker: poll_interval, s */
#define OSB_MAX_BINDING_TTL     (100L * 365 * 86400) /* osbroker: binding_ttl
                                                and binding_renew_before, s */
#define OSB_MAX_TEMPLATE_OUT    8192         /* a credentials template: one
                                                expanded string */
#define OSB_MAX_TEMPLATE_NAME   128          /* ... a placeholder's name */
#define OSB_MAX_TEMPLATE_DEPTH  16           /* ... its nesting */

/* JSON Schemas (src/jsonschema.h, docs/json-schema.md) */
#define OSB_JSCHEMA_MAX_DEPTH   64           /* nesting of a schema, and of an
                                                instance, as JSON */
#define OSB_JSCHEMA_MAX_BYTES   OSB_MAX_SCHEMA_LEN /* a schema, printed */
#define OSB_JSCHEMA_MAX_STEPS   1000000      /* subschemas applied in one
                                                validation: anyOf nested in
                                                anyOf through $ref is
                                                exponential otherwise */
#define OSB_JSCHEMA_REGEX_SIZE  20000        /* a pattern's size with its
                                                counted repetitions expanded
                                                (glibc's regcomp copies
                                                them: ((a{255}){255}){255}
                                                took 5 s) */
#define OSB_JSCHEMA_REGEX_LISTED 4096        /* code points of one non-ASCII
                                                range in a class (listed one
                                                by one for glibc) */
#define OSB_JSCHEMA_MAX_URI     1024         /* a $ref or id resolved to
                                                an absolute URI */
#define OSB_JSCHEMA_MAX_PATH    512          /* a JSON pointer in a message
                                                (longer ones end in "/...") */
#define OSB_JSCHEMA_QUOTE       40           /* bytes of a value quoted in a
                                                message */
#define OSB_JSCHEMA_UNIQUE_MAX  100000       /* items of an array checked
                                                for uniqueItems (sorted:
                                                n log n) */

/* GET /metrics (src/h_metrics.c): bounded in cost whatever the store holds */
#define OSB_METRICS_MAX_SCAN    100000       /* records of each table read
                                                for the per-plan gauges (the
                                                first ones in key order;
                                                osbroker_store_scan_truncated
                                                says when there were more) */
#define OSB_METRICS_MAX_SERIES  1024         /* distinct service and plan
                                                pairs counted (more: under
                                                plan_id "other") */
#define OSB_METRICS_MAX_BYTES   (4 * 1024 * 1024) /* the page */

/* The budget of failed authentications per client address (src/throttle.c) */
#define OSB_THROTTLE_SLOTS      16384        /* addresses remembered by the
                                                host (a power of two; 16
                                                bytes each in the file) */
#define OSB_THROTTLE_PROBE      8            /* slots one address may use:
                                                a full group forgets its
                                                least spent address */
#define OSB_THROTTLE_MAX_ADDR   64           /* bytes of a REMOTE_ADDR that
                                                is no IP address, hashed */
#define OSB_DEFAULT_AUTH_FAILURES 20         /* OSBROKER_AUTH_FAILURES
                                                default: failures an address
                                                may make at once (0: no
                                                budget) */
#define OSB_MAX_AUTH_FAILURES   100000
#define OSB_DEFAULT_AUTH_WINDOW 60           /* OSBROKER_AUTH_WINDOW default:
                                                seconds in which the whole
                                                budget comes back */
#define OSB_MAX_AUTH_WINDOW     86400

/* GET /status (src/h_status.c): a page of bounded cost whatever the store
 * holds; each section shows at most OSB_STATUS_ROWS rows and links to the
 * next page of that section */
#define OSB_STATUS_ROWS         50           /* rows of one section */
#define OSB_STATUS_MAX_SCAN     20000        /* records (instances, then
                                                bindings) or audit entries
                                                read for one page of the
                                                operations or failures
                                                section; the per-plan counts
                                                read OSB_METRICS_MAX_SCAN */
#define OSB_STATUS_MAX_BYTES    (2 * 1024 * 1024) /* the page */
#define OSB_STATUS_MAX_CELL     300          /* bytes of one cell shown (a
                                                longer text is cut, at a
                                                character boundary) */

/* API versions: the major we speak and the newest minor we implement. */
#define OSB_API_MAJOR           2
#define OSB_API_MINOR           17
/* Endpoints added in 2.14: GET instance, GET binding, binding last_operation. */
#define OSB_API_MINOR_FETCH     14

#endif
