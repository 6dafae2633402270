-- wrk script for the durable bench: POST <BENCH_PATH><n>, n counting up
-- (one call per request, each with its own argument), then one line:
-- RESULT <requests/s> <p50 us> <p99 us> <errors> <requests> <non-2xx> <timeouts>
-- Errors include non-2xx answers: a 503 (the call could not be written)
-- cannot pass as a fast answer.
local prefix = os.getenv("BENCH_PATH") or "/"
local n = 0

function request()
  n = n + 1
  return wrk.format("POST", prefix .. n)
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("RESULT %.1f %d %d %d %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    errors, summary.requests, e.status, e.timeout))
end
