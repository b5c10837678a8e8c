# The four transport configurations of the launched tests, as environment.
# Source it, then call `transport_env CONFIG` (ucx_tcp, ucx_shm, ofi_tcp,
# ofi_shm; "" keeps the environment's own choice). Loopback only, and
# nothing inherited changes the provider.

transport_env() {
  unset FI_PROVIDER UCX_TLS 2>/dev/null || :
  FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo UCX_NET_DEVICES=lo UCX_WARN_UNUSED_ENV_VARS=n
  export FI_TCP_IFACE FI_SOCKETS_IFACE UCX_NET_DEVICES UCX_WARN_UNUSED_ENV_VARS
  case $1 in
    '') return 0 ;;
    ucx_tcp) PRAAS_TRANSPORT=ucx; UCX_TLS=tcp; export UCX_TLS ;;
    ucx_shm) PRAAS_TRANSPORT=ucx; UCX_TLS=sm,self; export UCX_TLS ;;
    ofi_tcp) PRAAS_TRANSPORT=ofi; FI_PROVIDER=tcp; export FI_PROVIDER ;;
    ofi_shm) PRAAS_TRANSPORT=ofi; FI_PROVIDER=shm; export FI_PROVIDER ;;
    *) echo "Bail out! unknown transport configuration $1"; exit 99 ;;
  esac
  export PRAAS_TRANSPORT
}

# libfabric shm leaves /dev/shm/<pid>:* behind when a worker dies: remove
# the files of processes that no longer exist (never a live one's).
transport_clean_shm() {
  for f in /dev/shm/[0-9]*:*; do
    [ -e "$f" ] || continue
    pid=${f#/dev/shm/}; pid=${pid%%:*}
    kill -0 "$pid" 2>/dev/null || rm -f "$f"
  done
}
