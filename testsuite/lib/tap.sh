# The prelude shared by the shell tests (TAP): counters, ok/check/show, the
# launcher's location and a private temporary directory. Source it with
#   . "${top_srcdir:-$(dirname "$0")/..}/testsuite/lib/tap.sh"
# It only defines things; each test calls what it needs and prints its own
# plan. Safe under `set -u`.

n=0      # tests run so far
failed=0 # of which failed

# ok STATUS DESCRIPTION: one TAP line, "ok" when STATUS is 0.
ok() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
    fi
}

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
    d=$1
    shift
    "$@"
    ok $? "$d"
}

# show [FILE...]: files (or stdin) as TAP diagnostics.
show() { sed 's/^/# /' "$@"; }

# tap_find_run: set RUN to the launcher, $PRAAS_RUN if set, else
# $top_builddir/launcher/praas-run (top_builddir defaults to "..", for a run
# from testsuite/); bail out if it is not there. RUN may hold arguments.
tap_find_run() {
    RUN=${PRAAS_RUN:-${top_builddir:-..}/launcher/praas-run}
    # shellcheck disable=SC2086 # split on purpose: the command, then its arguments
    set -- $RUN
    if [ ! -x "$1" ]; then
        echo "Bail out! praas-run not found at $1 (set PRAAS_RUN or top_builddir)"
        exit 1
    fi
}

# tap_tmpdir NAME [STATUS]: set TMP to a new directory, removed at exit
# after tap_cleanup (a test may redefine it, e.g. to stop a daemon); exit
# with STATUS (1 by default) if it cannot be made.
tap_cleanup() { :; }
tap_tmpdir() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit "${2:-1}"
    trap 'tap_cleanup; rm -rf "$TMP"' EXIT
}
