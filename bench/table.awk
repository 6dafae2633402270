# Turns run.sh's raw lines into the Markdown tables bench/README.md records.
#   part=throughput: "endpoint server round req/s p50_us p99_us errors"
#                    (with ratios_only=1, only the table of ratios)
#   part=isolation:  "server round task p99_us errors"
# Plain POSIX awk (Debian's mawk has no asort), so it runs on a fresh machine.

function sort(a, n,    i, j, t) {
  for (i = 2; i <= n; i++)
    for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
}

# median, min and max of the n numbers in a (sorted in place)
function median(a, n) {
  sort(a, n)
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

function ms(us) { return sprintf("%.2f ms", us / 1000) }

function spread(a, n,    m) {
  m = median(a, n)
  return sprintf("%.2f (%.2f–%.2f)", m, a[1], a[n])
}

# values of column `col` for key `k`, into out; returns the count
function collect(k, col, out,    r, n) {
  n = 0
  for (r = 1; r <= rounds; r++) if ((k, r) in seen) out[++n] = value[k, r, col]
  return n
}

part == "throughput" {
  k = $1 SUBSEP $2
  seen[k, $3] = 1
  value[k, $3, "rps"] = $4; value[k, $3, "p50"] = $5; value[k, $3, "p99"] = $6
  errors[k] += $7
  if (!($1 in has_endpoint)) { has_endpoint[$1] = 1; endpoints[++n_endpoints] = $1 }
  if ($3 > rounds) rounds = $3
}

part == "isolation" {
  k = $1 SUBSEP $3
  seen[k, $2] = 1
  value[k, $2, "p99"] = $4
  errors[$1] += $5
  if ($2 > rounds) rounds = $2
}

END {
  split("atode axum hyper", servers, " ")
  if (part == "throughput" && ratios_only) {
    print "| endpoint | atode/axum req/s | atode/hyper req/s | errors |"
    print "| --- | ---: | ---: | ---: |"
  } else if (part == "throughput") {
    print "| endpoint | server | req/s | p50 | p99 | errors |"
    print "| --- | --- | ---: | ---: | ---: | ---: |"
    for (e = 1; e <= n_endpoints; e++) for (s = 1; s <= 3; s++) {
      k = endpoints[e] SUBSEP servers[s]
      n = collect(k, "rps", v); rps = median(v, n)
      n = collect(k, "p50", v); p50 = median(v, n)
      n = collect(k, "p99", v); p99 = median(v, n)
      printf "| %s | %s | %.0f | %s | %s | %d |\n", endpoints[e], servers[s], rps, ms(p50), ms(p99), errors[k]
    }
    print ""
    print "| endpoint | atode/axum req/s | atode/hyper req/s |"
    print "| --- | ---: | ---: |"
  }
  if (part == "throughput") {
    for (e = 1; e <= n_endpoints; e++) {
      for (peer = 2; peer <= 3; peer++) {
        n = 0
        for (r = 1; r <= rounds; r++) {
          a = endpoints[e] SUBSEP "atode"; b = endpoints[e] SUBSEP servers[peer]
          if ((a, r) in seen && (b, r) in seen && value[b, r, "rps"] > 0)
            ratio[++n] = value[a, r, "rps"] / value[b, r, "rps"]
        }
        cell[peer] = spread(ratio, n)
      }
      if (ratios_only) {
        failed = 0
        for (s = 1; s <= 3; s++) failed += errors[endpoints[e] SUBSEP servers[s]]
        printf "| %s | %s | %s | %d |\n", endpoints[e], cell[2], cell[3], failed
      } else printf "| %s | %s | %s |\n", endpoints[e], cell[2], cell[3]
    }
  } else {
    printf "Latency isolation: POST /send-notification at a fixed %d req/s; p99 when each task sleeps 200 ms over p99 when it does nothing.\n\n", rate
    print "| server | p99, no-op tasks | p99, 200 ms tasks | ratio | errors |"
    print "| --- | ---: | ---: | ---: | ---: |"
    for (s = 1; s <= 3; s++) {
      quiet = servers[s] SUBSEP "noop"; slow = servers[s] SUBSEP "sleep:200"
      n = collect(quiet, "p99", v); p_quiet = median(v, n)
      n = collect(slow, "p99", v); p_slow = median(v, n)
      n = 0
      for (r = 1; r <= rounds; r++)
        if ((quiet, r) in seen && (slow, r) in seen && value[quiet, r, "p99"] > 0)
          ratio[++n] = value[slow, r, "p99"] / value[quiet, r, "p99"]
      printf "| %s | %s | %s | %s | %d |\n", servers[s], ms(p_quiet), ms(p_slow), spread(ratio, n), errors[servers[s]]
    }
  }
}
