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

# service_start LAUNCH READY POLLS PAUSE: start the server on a random port
# in a private range, up to 10 ports. LAUNCH PORT starts it in the
# background (and sets pid); READY PORT succeeds once it answers as ours.
# Polls READY up to POLLS times, PAUSE seconds apart, while the server
# lives (a port already taken makes it exit at once). Sets port and
# returns 0, or returns 1 with no server left running.
service_start() {
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port=$(( 20000 + ( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 ) ))
        "$1" "$port"
        i=0
        while [ $i -lt "$3" ] && kill -0 "$pid" 2>/dev/null; do
            if "$2" "$port"; then
                return 0
            fi
            sleep "$4"
            i=$((i + 1))
        done
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        pid=
    done
    return 1
}
