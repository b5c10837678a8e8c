#!/bin/sh
# praas-run --tag-output: every line prefixed with its rank, streams kept
# apart, lines never mixed, partial last lines flushed. TAP.
#
# The launcher is $PRAAS_RUN if set, else $top_builddir/launcher/praas-run
# (lib/tap.sh: tap_find_run).
. "${top_srcdir:-$(dirname "$0")/..}/testsuite/lib/tap.sh"
tap_find_run
tap_tmpdir launcher_output

echo "1..13"

# 1-8: four ranks each write 500 long lines to stdout and 500 to stderr as
# fast as they can, so that the pipes fill and reads split lines.
pad=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
$RUN -n 4 --tag-output sh -c "i=0; while [ \$i -lt 500 ]; do
        echo \"out \$PRAAS_RANK \$i $pad$pad\"; echo \"err \$PRAAS_RANK \$i $pad\" >&2; i=\$((i + 1)); done" \
    >"$TMP/out" 2>"$TMP/err"; rc=$?
ok $rc "--tag-output run exits 0"
test "$(wc -l <"$TMP/out")" -eq 2000
ok $? "stdout has 4 x 500 lines (got $(wc -l <"$TMP/out"))"
test "$(wc -l <"$TMP/err")" -eq 2000
ok $? "stderr has 4 x 500 lines (got $(wc -l <"$TMP/err"))"
bad=$(grep -cvE "^\[([0-3])\] out \1 [0-9]+ $pad$pad\$" "$TMP/out")
ok $((bad != 0)) "every stdout line is '[R] out R ...' with its own rank, whole ($bad bad)"
[ "$bad" -ne 0 ] && grep -vE "^\[([0-3])\] out \1 [0-9]+ $pad$pad\$" "$TMP/out" | head -3 | show
bad=$(grep -cvE "^\[([0-3])\] err \1 [0-9]+ $pad\$" "$TMP/err")
ok $((bad != 0)) "every stderr line is '[R] err R ...' with its own rank, whole ($bad bad)"
order=0
for r in 0 1 2 3; do
    grep "^\[$r\] out" "$TMP/out" | awk -v r=$r '$4 != NR - 1 { bad = 1 } END { exit bad }' || order=1
    grep "^\[$r\] err" "$TMP/err" | awk -v r=$r '$4 != NR - 1 { bad = 1 } END { exit bad }' || order=1
done
ok $order "each rank's lines keep their order, none lost"
grep -q ' err ' "$TMP/out"
ok $((! $?)) "stderr lines do not go to stdout"
grep -q ' out ' "$TMP/err"
ok $((! $?)) "stdout lines do not go to stderr"

# 9-11: a last line without a newline is flushed when the worker ends, with
# a newline, so it does not run into the next worker's line.
$RUN -n 3 --tag-output sh -c 'echo "first $PRAAS_RANK"; printf "partial %s" "$PRAAS_RANK"' \
    >"$TMP/out" 2>"$TMP/err"; rc=$?
show "$TMP/out"
ok $rc "partial-line run exits 0"
test "$(grep -cE '^\[([0-2])\] partial \1$' "$TMP/out")" -eq 3
ok $? "each rank's partial last line is flushed, tagged, on its own line"
test "$(grep -cE '^\[([0-2])\] first \1$' "$TMP/out")" -eq 3
ok $? "complete lines are tagged"

# 12: the failure message comes after the failing worker's last output.
$RUN -n 2 --tag-output sh -c '[ "$PRAAS_RANK" = 1 ] && { echo "last words" >&2; exit 6; }; exit 0' \
    >"$TMP/out" 2>"$TMP/err"
show "$TMP/err"
test "$(grep -n 'last words\|rank 1 exited' "$TMP/err" | cut -d: -f2- | tr '\n' '|')" = \
    "[1] last words|praas-run: rank 1 exited with status 6|"
ok $? "a worker's last line comes before the launcher's message about it"

# 13: without --tag-output, output is the workers' own.
$RUN -n 2 sh -c 'echo "plain $PRAAS_RANK"' >"$TMP/out" 2>"$TMP/err"
test "$(sort "$TMP/out" | tr '\n' '|')" = "plain 0|plain 1|"
ok $? "without --tag-output lines are not prefixed"

[ $n -eq 13 ] || echo "# ran $n tests, planned 13"
exit 0
