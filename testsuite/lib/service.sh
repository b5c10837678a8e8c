# What the scripts that start a private server for a test share
# (with-redis.sh, with-s3.sh): a temporary directory and a clean-up that
# stops the server, bounded, and removes the directory on every exit path.
# Source it, call `service_setup NAME` (sets dir; exits 99 if it cannot
# make one), then set pid once the server runs.

pid=
service_cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        # Wait (bounded) so that the port and the directory are free.
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -9 "$pid" 2>/dev/null
    fi
    rm -rf "$dir"
}

service_setup() {
    dir=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 99
    trap service_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}
