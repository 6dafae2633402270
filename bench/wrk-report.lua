-- wrk script for run.sh: sends $BENCH_METHOD (default GET) and, when done,
-- prints one machine-readable line instead of wrk's rounded human units:
-- RESULT <requests/s> <p50 us> <p99 us> <errors> <requests>
-- Errors include non-2xx answers, so a wrong route cannot pass as fast.
wrk.method = os.getenv("BENCH_METHOD") or "GET"

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("RESULT %.1f %d %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    errors, summary.requests))
end
