-- SPDX-License-Identifier: ISC
-- fixed.lua: the same GET on every request (BENCH_PATH, e.g. /v2/catalog).
-- No request() function: wrk then builds the request once and sends it as is.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH")
