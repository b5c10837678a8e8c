#!/bin/sh
# praas-run --bind-to and --report-bindings: what is reported is what each
# worker gets (its Cpus_allowed_list). TAP.
#
# The launcher is $PRAAS_RUN if set, else $top_builddir/launcher/praas-run
# (lib/tap.sh: tap_find_run).
. "${top_srcdir:-$(dirname "$0")/..}/testsuite/lib/tap.sh"
tap_find_run
tap_tmpdir launcher_bind

# Each worker prints "RANK CPUS" from its own /proc/self/status.
WORKER='echo "$PRAAS_RANK $(sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" /proc/self/status)"'
# Compare "rank R bound to KIND N (cpus LIST)" lines with the workers'
# "R LIST" lines: both sorted by rank must agree.
matches() { # matches REPORT OUTPUT
    sed -n 's/^praas-run: rank \([0-9]*\) bound to .* (cpus \(.*\))$/\1 \2/p' "$1" | sort -n >"$TMP/want"
    sort -n "$2" >"$TMP/got"
    cmp -s "$TMP/want" "$TMP/got" && [ -s "$TMP/got" ]
}
mine=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
pus=$(nproc)

echo "1..13"

# 1-5: cores, as many ranks as the machine has processing units, at most 4.
np=$((pus < 4 ? pus : 4))
$RUN -n $np --bind-to core --report-bindings sh -c "$WORKER" >"$TMP/out" 2>"$TMP/err"; rc=$?
show "$TMP/err"
show "$TMP/out"
ok $rc "--bind-to core -n $np exits 0"
test "$(grep -c '^praas-run: rank [0-9]* bound to core [0-9]* (cpus [0-9,-]*)$' "$TMP/err")" -eq $np
ok $? "one 'rank R bound to core C (cpus L)' line per rank"
grep -q 'praas-run: rank 0 bound to core 0 ' "$TMP/err"
ok $? "rank 0 is on core 0"
matches "$TMP/err" "$TMP/out"
ok $? "each worker's Cpus_allowed_list is what was reported"
if grep -q 'wraps round-robin' "$TMP/err"; then
    n=$((n + 1))
    echo "ok $n # SKIP fewer cores than $np processing units"
else
    test "$(sed -n 's/.*bound to \(core [0-9]*\) .*/\1/p' "$TMP/err" | sort -u | wc -l)" -eq $np
    ok $? "no two ranks share a core while there are enough"
fi

# 6-8: more ranks than processing units (so than cores): wrap, one warning.
np=$((pus + 1))
$RUN -n $np --bind-to core --report-bindings sh -c "$WORKER" >"$TMP/out" 2>"$TMP/err"; rc=$?
show "$TMP/err"
ok $rc "--bind-to core -n $np (more than cores) exits 0"
test "$(grep -c 'warning: .* wraps round-robin' "$TMP/err")" -eq 1
ok $? "a one-line warning about wrapping"
cores=$(sed -n 's/.*bound to core \([0-9]*\) .*/\1/p' "$TMP/err" | sort -u | wc -l)
matches "$TMP/err" "$TMP/out" && grep -q "rank $pus bound to core $((pus % cores)) " "$TMP/err"
ok $? "rank $pus wraps round-robin to core $pus mod $cores and gets its cpus"

# 9-10: NUMA nodes.
$RUN -n 2 --bind-to numa --report-bindings sh -c "$WORKER" >"$TMP/out" 2>"$TMP/err"; rc=$?
show "$TMP/err"
ok $rc "--bind-to numa exits 0"
grep -q '^praas-run: rank 0 bound to NUMA node 0 (cpus ' "$TMP/err" && matches "$TMP/err" "$TMP/out"
ok $? "rank 0 on NUMA node 0; each worker's cpus are its node's"

# 11-12: no binding.
$RUN -n 2 --report-bindings sh -c "$WORKER" >"$TMP/out" 2>"$TMP/err"; rc=$?
test $rc -eq 0 && test "$(grep -c '^praas-run: rank [01] not bound$' "$TMP/err")" -eq 2
ok $? "--report-bindings without --bind-to: 'rank R not bound' for each"
test "$(cut -d' ' -f2 "$TMP/out" | sort -u)" = "$mine"
ok $? "unbound workers keep the launcher's cpus ($mine)"

# 13: no report without --report-bindings, no warning with numa.
$RUN -n $((pus + 1)) --bind-to numa true >"$TMP/out" 2>"$TMP/err"
test ! -s "$TMP/err"
ok $? "nothing on stderr without --report-bindings"

[ $n -eq 13 ] || echo "# ran $n tests, planned 13"
exit 0
