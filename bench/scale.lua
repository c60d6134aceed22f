-- SPDX-License-Identifier: ISC
-- scale.lua: the requests of `make bench-scale` (bench/scale), one kind per
-- wrk run.  From the environment (besides common.lua's):
--   BENCH_KIND    provision | fetch | deprovision
--   BENCH_IDS     provision: the tag of its ids; fetch, deprovision: the
--                 tag of the provision run whose instances they use
--   BENCH_COUNTS  fetch, deprovision: "n1,n2,...", instances that provision
--                 run made per thread (its ids are TAG-tTHREAD-N, N = 1..n)
--   BENCH_LOADED  fetch: when > 0, fetch instances the loader wrote instead
--                 (scale_id(i), i < BENCH_LOADED; bench/scale-load.c)
--   BENCH_BODY    provision: the body; BENCH_QUERY deprovision: the query
--   BENCH_COUNTS_OUT  provision: where done() writes "n1,n2,..."
-- A deprovision thread deletes its provision thread's instances once each;
-- when they are all deleted it stops (and the run says so: exhausted).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local kind = os.getenv("BENCH_KIND")
local tag = os.getenv("BENCH_IDS")
local loaded = tonumber(os.getenv("BENCH_LOADED") or "0")
local query = os.getenv("BENCH_QUERY") or ""
local body = os.getenv("BENCH_BODY")
local counts = {}
for c in string.gmatch(os.getenv("BENCH_COUNTS") or "", "%d+") do
   counts[#counts + 1] = tonumber(c)
end
wrk.headers["Content-Type"] = "application/json"

-- The same formula as scale_id() in bench/scale-load.c.
local function scale_id(i)
   return string.format("%08x-0000-4000-8000-%012d",
      (i * 2654435761) % 4294967296, i)
end

local threads = {}
local common_setup = setup
function setup(thread)
   common_setup(thread)
   threads[#threads + 1] = thread
end

n = 0           -- global: done() reads it from each thread
exhausted = 0
local seeded = false
function request()
   if kind == "provision" then
      n = n + 1
      return wrk.format("PUT", "/v2/service_instances/" .. tag .. "-t" ..
         thread_no .. "-" .. n, nil, body)
   end
   local have = counts[thread_no] or 0
   if kind == "fetch" then
      if not seeded then
         math.randomseed(thread_no * 7919)
         seeded = true
      end
      local id
      if loaded > 0 then
         id = scale_id(math.random(0, loaded - 1))
      else
         -- Not N = 1: wrk calls request() once before the run to check
         -- it, so thread 1's first id was never sent (nor deleted later).
         local t = math.random(1, #counts)
         id = tag .. "-t" .. t .. "-" .. math.random(2, counts[t])
      end
      return wrk.format("GET", "/v2/service_instances/" .. id)
   end
   -- deprovision
   if n >= have then
      exhausted = 1
      wrk.thread:stop()
      n = have - 1    -- the request returned now is never sent
   end
   n = n + 1
   return wrk.format("DELETE", "/v2/service_instances/" .. tag .. "-t" ..
      thread_no .. "-" .. n .. query)
end

local common_done = done
function done(summary, latency, requests)
   common_done(summary, latency, requests)
   local out = os.getenv("BENCH_COUNTS_OUT")
   local f = assert(io.open(out, "w"))
   local parts, ex = {}, 0
   for i, t in ipairs(threads) do
      parts[i] = tostring(t:get("n"))
      ex = ex + t:get("exhausted")
   end
   f:write(table.concat(parts, ","), " ", ex, "\n")
   f:close()
end
