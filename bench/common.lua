-- SPDX-License-Identifier: ISC
-- common.lua: loaded by fixed.lua and unique.lua (dofile) in every wrk Lua
-- state.  bench/run sets, in wrk's environment:
--   BENCH_AUTH     the Authorization header value sent with every request
--   BENCH_OUT      the file done() writes its one JSON line to
-- Every measurement, limits included, sends the same headers, so the client
-- does the same work whatever answers.

wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
wrk.headers["X-Broker-API-Version"] = "2.17"

-- setup() runs in the main state once per thread, before the thread starts:
-- give each thread its own number (unique.lua builds its ids from it).
local threads = 0
function setup(thread)
   threads = threads + 1
   thread:set("thread_no", threads)
end

-- done() runs once in the main state after the run and writes one JSON
-- line.  Times are microseconds.  status_errors is wrk's count of answers
-- with a status >= 400 (bench/run also counts every exact status in nginx's
-- access log).  quantiles_us are the 0.1th, 0.2th ... 100th percentiles of
-- the latency: bench/run pools them to get the percentiles of several runs.
function done(summary, latency, requests)
   local e = summary.errors
   local q = {}
   for i = 1, 1000 do
      q[i] = string.format("%d", latency:percentile(i / 10))
   end
   local f = assert(io.open(os.getenv("BENCH_OUT"), "w"))
   f:write(string.format(
      '{"requests": %d, "duration_us": %d, "requests_per_s": %.3f, ' ..
      '"p50_us": %d, "p99_us": %d, "mean_us": %.1f, "status_errors": %d, ' ..
      '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
      '"quantiles_us": [%s]}\n',
      summary.requests, summary.duration,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), latency.mean,
      e.status, e.connect, e.read, e.write, e.timeout, table.concat(q, ", ")))
   f:close()
end
