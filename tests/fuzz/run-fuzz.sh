#!/bin/sh
# Runs every fuzz target for FUZZ_SECONDS (default 10) from its committed
# corpus (copied, so the tree stays as it is) and fails on any crash.
# Prints executions and corpus size per target.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
seconds=${FUZZ_SECONDS:-10}
targets="fuzz_proto fuzz_settings fuzz_control_file fuzz_proc_net_tcp fuzz_peers fuzz_vici fuzz_xfrm fuzz_sock_diag fuzz_discovery fuzz_peer_name fuzz_hosts"
for t in $targets; do
  [ -x "$top_builddir/tests/fuzz/$t" ] || { echo "SKIP: $t is not built (no libFuzzer: install clang and libclang-rt-14-dev)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for t in $targets; do
  mkdir -p "$work/$t"
  cp "$top_srcdir/tests/fuzz/corpus/$t/"* "$work/$t/" 2>/dev/null
  if "$top_builddir/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$work/$t-" "$work/$t" >"$work/$t.log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
    echo "PASS: $t: $execs executions in ${seconds}s, corpus $(ls "$work/$t" | wc -l) inputs"
  else
    echo "FAIL: $t crashed:"; tail -40 "$work/$t.log"; failed=$((failed + 1))
    for a in "$work/$t-"*; do [ -f "$a" ] && { echo "input:"; od -An -tx1 "$a" | head -20; }; done
  fi
done
exit $failed
