-- SPDX-License-Identifier: ISC
-- unique.lua: a request whose path names a new id every time, e.g. a
-- provision PUT /v2/service_instances/{id} or a bind.  From the environment:
--   BENCH_METHOD   PUT
--   BENCH_PATH     the path, "{id}" standing for the new id
--   BENCH_BODY     the JSON body (sent with Content-Type: application/json)
--   BENCH_TAG      unique to this wrk run (warm-up and measurement differ)
-- An id is TAG-tTHREAD-N: the tag keeps runs apart, the thread number
-- (common.lua's setup()) threads, the counter requests of one thread.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local method = os.getenv("BENCH_METHOD")
local template = os.getenv("BENCH_PATH")
local body = os.getenv("BENCH_BODY")
local tag = os.getenv("BENCH_TAG")
wrk.headers["Content-Type"] = "application/json"

local n = 0
function request()
   n = n + 1
   local id = tag .. "-t" .. thread_no .. "-" .. n
   return wrk.format(method, (template:gsub("{id}", id)), nil, body)
end
