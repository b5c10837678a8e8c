# The test suite: automake's TAP harness. Unit tests are TAP programs run
# directly; launched tests run under praas-run once per transport
# configuration (testsuite/launch.sh), named PROGRAM-nN-CONFIG.lt. (The
# configuration is part of the base name, not the extension: the harness
# names a test's log after the base name, so PROGRAM-nN.ucx_tcp and
# PROGRAM-nN.ofi_tcp would share one log and only one of them would run.)

TEST_EXTENSIONS = .sh .redis .s3redis .mpi .lt
TAP_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_COMPILER = $(SHELL)
REDIS_LOG_DRIVER = $(TAP_DRIVER)
REDIS_LOG_COMPILER = $(SHELL) $(top_srcdir)/testsuite/run-redis.sh
# NAME.s3redis: run NAME with a private redis-server and a local S3 server.
S3REDIS_LOG_DRIVER = $(TAP_DRIVER)
S3REDIS_LOG_COMPILER = $(SHELL) $(top_srcdir)/testsuite/with-redis.sh \
	$(SHELL) $(top_srcdir)/testsuite/with-s3.sh \
	$(SHELL) -c 'exec "$$top_builddir/$${1%.s3redis}"' sh
MPI_LOG_DRIVER = $(TAP_DRIVER)
MPI_LOG_COMPILER = $(SHELL) $(top_srcdir)/testsuite/mpi/stamp.sh
LT_LOG_DRIVER = $(TAP_DRIVER)
LT_LOG_COMPILER = $(SHELL) $(top_srcdir)/testsuite/launch.sh

# Loopback only; tests that need Redis run under testsuite/with-redis.sh.
AM_TESTS_ENVIRONMENT = \
	top_builddir='$(abs_top_builddir)'; top_srcdir='$(abs_top_srcdir)'; \
	REDIS_SERVER='$(REDIS_SERVER)'; PRAAS_RUN='$(abs_top_builddir)/launcher/praas-run'; \
	PRAAS_SAN_FLAGS='$(SAN_FLAGS)'; export PRAAS_SAN_FLAGS; \
	FI_TCP_IFACE=lo; FI_SOCKETS_IFACE=lo; UCX_NET_DEVICES=lo; UCX_WARN_UNUSED_ENV_VARS=n; \
	export top_builddir top_srcdir REDIS_SERVER PRAAS_RUN FI_TCP_IFACE FI_SOCKETS_IFACE \
	UCX_NET_DEVICES UCX_WARN_UNUSED_ENV_VARS;

TEST_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
TEST_LIBS = libpraas_internal.la
EXTRA_DIST += testsuite/launch.sh testsuite/lib/tap.h testsuite/lib/launched.h testsuite/lib/tp_test.h \
	testsuite/lib/view_test.h testsuite/lib/verdict.h

# ---- unit tests (one process) ----
UNIT_TESTS = \
	testsuite/unit/test_errors \
	testsuite/unit/test_init_single \
	testsuite/unit/test_b64 \
	testsuite/unit/test_run_options \
	testsuite/unit/test_shm_wait
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
testsuite_unit_test_errors_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_unit_test_errors_LDADD = $(TEST_LIBS)
testsuite_unit_test_init_single_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_unit_test_init_single_LDADD = $(TEST_LIBS)
testsuite_unit_test_shm_wait_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_unit_test_shm_wait_LDADD = $(TEST_LIBS)

# ---- launched tests (under praas-run, on every transport configuration) ----
check_PROGRAMS += testsuite/tp_ops testsuite/tp_busy testsuite/rma_ops testsuite/rma_busy \
	testsuite/rma_stress testsuite/coll_ops
check_PROGRAMS += testsuite/rma_bulk testsuite/coll_big testsuite/coll_wait
testsuite_coll_wait_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_coll_wait_LDADD = $(TEST_LIBS)
testsuite_rma_bulk_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_rma_bulk_LDADD = $(TEST_LIBS)
testsuite_coll_big_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_coll_big_LDADD = $(TEST_LIBS)
testsuite_coll_ops_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_coll_ops_LDADD = $(TEST_LIBS)
testsuite_rma_stress_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_rma_stress_LDADD = $(TEST_LIBS)
testsuite_rma_busy_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_rma_busy_LDADD = $(TEST_LIBS)
testsuite_rma_ops_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_rma_ops_LDADD = $(TEST_LIBS)
testsuite_tp_ops_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_tp_ops_LDADD = $(TEST_LIBS)
testsuite_tp_busy_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_tp_busy_LDADD = $(TEST_LIBS)

LAUNCHED_TESTS = \
	testsuite/tp_pair-n1 testsuite/tp_join-n1 \
	testsuite/tp_ops-n1 testsuite/tp_ops-n2 testsuite/tp_ops-n4 \
	testsuite/tp_busy-n2 \
	testsuite/rma_ops-n1 testsuite/rma_ops-n2 testsuite/rma_ops-n3 testsuite/rma_ops-n4 \
	testsuite/rma_busy-n2 testsuite/rma_busy-n3 \
	testsuite/rma_stress-n3 testsuite/rma_stress-n4 \
	testsuite/rma_bulk-n2 testsuite/rma_bulk-n4 testsuite/coll_big-n3 testsuite/coll_big-n4 \
	testsuite/coll_ops-n1 testsuite/coll_ops-n2 testsuite/coll_ops-n3 testsuite/coll_ops-n4 \
	testsuite/coll_ops-n5 testsuite/coll_ops-tp-n3 testsuite/coll_wait-n4 testsuite/coll_wait-tp-n2
if HAVE_UCX
TESTS += $(LAUNCHED_TESTS:=-ucx_tcp.lt) $(LAUNCHED_TESTS:=-ucx_shm.lt)
endif
if HAVE_OFI
TESTS += $(LAUNCHED_TESTS:=-ofi_tcp.lt) $(LAUNCHED_TESTS:=-ofi_shm.lt)
endif
# The control plane on both stores: each test runs against the memory store
# and a private redis-server started for it.
TESTS += $(REDIS_TESTS)
# MPI programs built with praas-mpicc and with Open MPI's mpicc, run under
# praas-run (each transport configuration) and Open MPI's mpirun, compared:
# testsuite/mpi/PROGRAM-nN-CONFIG.mpi runs testsuite/mpi/run.sh.
MPI_PROGS = halo_fence pscw_ring counter mutex histogram workqueue requests shared dynamic \
	errors collectives p2p transpose datatypes vcoll comm_split mprobe persistent nbcoll darray \
	pmpi
# Automake needs the names spelled out (generated by a one-line script:
# every program of MPI_PROGS with 2 and 4 processes on each configuration,
# and 3 for those whose algorithms care: comm_split, nbcoll, darray).
MPI_TESTS_UCX = \
	testsuite/mpi/halo_fence-n2-ucx_tcp.mpi testsuite/mpi/halo_fence-n2-ucx_shm.mpi \
	testsuite/mpi/halo_fence-n4-ucx_tcp.mpi testsuite/mpi/halo_fence-n4-ucx_shm.mpi \
	testsuite/mpi/pscw_ring-n2-ucx_tcp.mpi testsuite/mpi/pscw_ring-n2-ucx_shm.mpi \
	testsuite/mpi/pscw_ring-n4-ucx_tcp.mpi testsuite/mpi/pscw_ring-n4-ucx_shm.mpi \
	testsuite/mpi/counter-n2-ucx_tcp.mpi testsuite/mpi/counter-n2-ucx_shm.mpi \
	testsuite/mpi/counter-n4-ucx_tcp.mpi testsuite/mpi/counter-n4-ucx_shm.mpi \
	testsuite/mpi/mutex-n2-ucx_tcp.mpi testsuite/mpi/mutex-n2-ucx_shm.mpi \
	testsuite/mpi/mutex-n4-ucx_tcp.mpi testsuite/mpi/mutex-n4-ucx_shm.mpi \
	testsuite/mpi/histogram-n2-ucx_tcp.mpi testsuite/mpi/histogram-n2-ucx_shm.mpi \
	testsuite/mpi/histogram-n4-ucx_tcp.mpi testsuite/mpi/histogram-n4-ucx_shm.mpi \
	testsuite/mpi/workqueue-n2-ucx_tcp.mpi testsuite/mpi/workqueue-n2-ucx_shm.mpi \
	testsuite/mpi/workqueue-n4-ucx_tcp.mpi testsuite/mpi/workqueue-n4-ucx_shm.mpi \
	testsuite/mpi/requests-n2-ucx_tcp.mpi testsuite/mpi/requests-n2-ucx_shm.mpi \
	testsuite/mpi/requests-n4-ucx_tcp.mpi testsuite/mpi/requests-n4-ucx_shm.mpi \
	testsuite/mpi/shared-n2-ucx_tcp.mpi testsuite/mpi/shared-n2-ucx_shm.mpi \
	testsuite/mpi/shared-n4-ucx_tcp.mpi testsuite/mpi/shared-n4-ucx_shm.mpi \
	testsuite/mpi/dynamic-n2-ucx_tcp.mpi testsuite/mpi/dynamic-n2-ucx_shm.mpi \
	testsuite/mpi/dynamic-n4-ucx_tcp.mpi testsuite/mpi/dynamic-n4-ucx_shm.mpi \
	testsuite/mpi/errors-n2-ucx_tcp.mpi testsuite/mpi/errors-n2-ucx_shm.mpi \
	testsuite/mpi/errors-n4-ucx_tcp.mpi testsuite/mpi/errors-n4-ucx_shm.mpi \
	testsuite/mpi/collectives-n2-ucx_tcp.mpi testsuite/mpi/collectives-n2-ucx_shm.mpi \
	testsuite/mpi/collectives-n4-ucx_tcp.mpi testsuite/mpi/collectives-n4-ucx_shm.mpi \
	testsuite/mpi/p2p-n2-ucx_tcp.mpi testsuite/mpi/p2p-n2-ucx_shm.mpi \
	testsuite/mpi/p2p-n4-ucx_tcp.mpi testsuite/mpi/p2p-n4-ucx_shm.mpi \
	testsuite/mpi/transpose-n2-ucx_tcp.mpi testsuite/mpi/transpose-n2-ucx_shm.mpi \
	testsuite/mpi/transpose-n4-ucx_tcp.mpi testsuite/mpi/transpose-n4-ucx_shm.mpi \
	testsuite/mpi/datatypes-n2-ucx_tcp.mpi testsuite/mpi/datatypes-n2-ucx_shm.mpi \
	testsuite/mpi/datatypes-n4-ucx_tcp.mpi testsuite/mpi/datatypes-n4-ucx_shm.mpi \
	testsuite/mpi/vcoll-n2-ucx_tcp.mpi testsuite/mpi/vcoll-n2-ucx_shm.mpi \
	testsuite/mpi/vcoll-n4-ucx_tcp.mpi testsuite/mpi/vcoll-n4-ucx_shm.mpi \
	testsuite/mpi/comm_split-n2-ucx_tcp.mpi testsuite/mpi/comm_split-n2-ucx_shm.mpi \
	testsuite/mpi/comm_split-n3-ucx_tcp.mpi testsuite/mpi/comm_split-n3-ucx_shm.mpi \
	testsuite/mpi/comm_split-n4-ucx_tcp.mpi testsuite/mpi/comm_split-n4-ucx_shm.mpi \
	testsuite/mpi/mprobe-n2-ucx_tcp.mpi testsuite/mpi/mprobe-n2-ucx_shm.mpi \
	testsuite/mpi/mprobe-n4-ucx_tcp.mpi testsuite/mpi/mprobe-n4-ucx_shm.mpi \
	testsuite/mpi/persistent-n2-ucx_tcp.mpi testsuite/mpi/persistent-n2-ucx_shm.mpi \
	testsuite/mpi/persistent-n4-ucx_tcp.mpi testsuite/mpi/persistent-n4-ucx_shm.mpi \
	testsuite/mpi/nbcoll-n2-ucx_tcp.mpi testsuite/mpi/nbcoll-n2-ucx_shm.mpi \
	testsuite/mpi/nbcoll-n3-ucx_tcp.mpi testsuite/mpi/nbcoll-n3-ucx_shm.mpi \
	testsuite/mpi/nbcoll-n4-ucx_tcp.mpi testsuite/mpi/nbcoll-n4-ucx_shm.mpi \
	testsuite/mpi/darray-n2-ucx_tcp.mpi testsuite/mpi/darray-n2-ucx_shm.mpi \
	testsuite/mpi/darray-n3-ucx_tcp.mpi testsuite/mpi/darray-n3-ucx_shm.mpi \
	testsuite/mpi/darray-n4-ucx_tcp.mpi testsuite/mpi/darray-n4-ucx_shm.mpi \
	testsuite/mpi/pmpi-n2-ucx_tcp.mpi testsuite/mpi/pmpi-n2-ucx_shm.mpi \
	testsuite/mpi/pmpi-n4-ucx_tcp.mpi testsuite/mpi/pmpi-n4-ucx_shm.mpi
MPI_TESTS_OFI = \
	testsuite/mpi/halo_fence-n2-ofi_tcp.mpi testsuite/mpi/halo_fence-n2-ofi_shm.mpi \
	testsuite/mpi/halo_fence-n4-ofi_tcp.mpi testsuite/mpi/halo_fence-n4-ofi_shm.mpi \
	testsuite/mpi/pscw_ring-n2-ofi_tcp.mpi testsuite/mpi/pscw_ring-n2-ofi_shm.mpi \
	testsuite/mpi/pscw_ring-n4-ofi_tcp.mpi testsuite/mpi/pscw_ring-n4-ofi_shm.mpi \
	testsuite/mpi/counter-n2-ofi_tcp.mpi testsuite/mpi/counter-n2-ofi_shm.mpi \
	testsuite/mpi/counter-n4-ofi_tcp.mpi testsuite/mpi/counter-n4-ofi_shm.mpi \
	testsuite/mpi/mutex-n2-ofi_tcp.mpi testsuite/mpi/mutex-n2-ofi_shm.mpi \
	testsuite/mpi/mutex-n4-ofi_tcp.mpi testsuite/mpi/mutex-n4-ofi_shm.mpi \
	testsuite/mpi/histogram-n2-ofi_tcp.mpi testsuite/mpi/histogram-n2-ofi_shm.mpi \
	testsuite/mpi/histogram-n4-ofi_tcp.mpi testsuite/mpi/histogram-n4-ofi_shm.mpi \
	testsuite/mpi/workqueue-n2-ofi_tcp.mpi testsuite/mpi/workqueue-n2-ofi_shm.mpi \
	testsuite/mpi/workqueue-n4-ofi_tcp.mpi testsuite/mpi/workqueue-n4-ofi_shm.mpi \
	testsuite/mpi/requests-n2-ofi_tcp.mpi testsuite/mpi/requests-n2-ofi_shm.mpi \
	testsuite/mpi/requests-n4-ofi_tcp.mpi testsuite/mpi/requests-n4-ofi_shm.mpi \
	testsuite/mpi/shared-n2-ofi_tcp.mpi testsuite/mpi/shared-n2-ofi_shm.mpi \
	testsuite/mpi/shared-n4-ofi_tcp.mpi testsuite/mpi/shared-n4-ofi_shm.mpi \
	testsuite/mpi/dynamic-n2-ofi_tcp.mpi testsuite/mpi/dynamic-n2-ofi_shm.mpi \
	testsuite/mpi/dynamic-n4-ofi_tcp.mpi testsuite/mpi/dynamic-n4-ofi_shm.mpi \
	testsuite/mpi/errors-n2-ofi_tcp.mpi testsuite/mpi/errors-n2-ofi_shm.mpi \
	testsuite/mpi/errors-n4-ofi_tcp.mpi testsuite/mpi/errors-n4-ofi_shm.mpi \
	testsuite/mpi/collectives-n2-ofi_tcp.mpi testsuite/mpi/collectives-n2-ofi_shm.mpi \
	testsuite/mpi/collectives-n4-ofi_tcp.mpi testsuite/mpi/collectives-n4-ofi_shm.mpi \
	testsuite/mpi/p2p-n2-ofi_tcp.mpi testsuite/mpi/p2p-n2-ofi_shm.mpi \
	testsuite/mpi/p2p-n4-ofi_tcp.mpi testsuite/mpi/p2p-n4-ofi_shm.mpi \
	testsuite/mpi/transpose-n2-ofi_tcp.mpi testsuite/mpi/transpose-n2-ofi_shm.mpi \
	testsuite/mpi/transpose-n4-ofi_tcp.mpi testsuite/mpi/transpose-n4-ofi_shm.mpi \
	testsuite/mpi/datatypes-n2-ofi_tcp.mpi testsuite/mpi/datatypes-n2-ofi_shm.mpi \
	testsuite/mpi/datatypes-n4-ofi_tcp.mpi testsuite/mpi/datatypes-n4-ofi_shm.mpi \
	testsuite/mpi/vcoll-n2-ofi_tcp.mpi testsuite/mpi/vcoll-n2-ofi_shm.mpi \
	testsuite/mpi/vcoll-n4-ofi_tcp.mpi testsuite/mpi/vcoll-n4-ofi_shm.mpi \
	testsuite/mpi/comm_split-n2-ofi_tcp.mpi testsuite/mpi/comm_split-n2-ofi_shm.mpi \
	testsuite/mpi/comm_split-n3-ofi_tcp.mpi testsuite/mpi/comm_split-n3-ofi_shm.mpi \
	testsuite/mpi/comm_split-n4-ofi_tcp.mpi testsuite/mpi/comm_split-n4-ofi_shm.mpi \
	testsuite/mpi/mprobe-n2-ofi_tcp.mpi testsuite/mpi/mprobe-n2-ofi_shm.mpi \
	testsuite/mpi/mprobe-n4-ofi_tcp.mpi testsuite/mpi/mprobe-n4-ofi_shm.mpi \
	testsuite/mpi/persistent-n2-ofi_tcp.mpi testsuite/mpi/persistent-n2-ofi_shm.mpi \
	testsuite/mpi/persistent-n4-ofi_tcp.mpi testsuite/mpi/persistent-n4-ofi_shm.mpi \
	testsuite/mpi/nbcoll-n2-ofi_tcp.mpi testsuite/mpi/nbcoll-n2-ofi_shm.mpi \
	testsuite/mpi/nbcoll-n3-ofi_tcp.mpi testsuite/mpi/nbcoll-n3-ofi_shm.mpi \
	testsuite/mpi/nbcoll-n4-ofi_tcp.mpi testsuite/mpi/nbcoll-n4-ofi_shm.mpi \
	testsuite/mpi/darray-n2-ofi_tcp.mpi testsuite/mpi/darray-n2-ofi_shm.mpi \
	testsuite/mpi/darray-n3-ofi_tcp.mpi testsuite/mpi/darray-n3-ofi_shm.mpi \
	testsuite/mpi/darray-n4-ofi_tcp.mpi testsuite/mpi/darray-n4-ofi_shm.mpi \
	testsuite/mpi/pmpi-n2-ofi_tcp.mpi testsuite/mpi/pmpi-n2-ofi_shm.mpi \
	testsuite/mpi/pmpi-n4-ofi_tcp.mpi testsuite/mpi/pmpi-n4-ofi_shm.mpi
MPI_TESTS =
if HAVE_UCX
MPI_TESTS += $(MPI_TESTS_UCX)
endif
if HAVE_OFI
MPI_TESTS += $(MPI_TESTS_OFI)
endif
TESTS += $(MPI_TESTS)
# Every MPI_ function of libpraas has its PMPI_ name (the profiling interface).
TESTS += testsuite/mpi/pmpi_names.sh
EXTRA_DIST += testsuite/mpi/pmpi_names.sh
EXTRA_DIST += testsuite/mpi/run.sh testsuite/mpi/stamp.sh testsuite/lib/transport.sh \
	$(MPI_PROGS:%=testsuite/mpi/%.c)

# The main job: distributed SGD on Fashion-MNIST (examples/sgd).
TESTS += testsuite/sgd.sh
EXTRA_DIST += testsuite/sgd.sh
# configure's messages for missing dependencies.
TESTS += testsuite/configure.sh
EXTRA_DIST += testsuite/configure.sh
# make install, then a program built with pkg-config alone.
TESTS += testsuite/install.sh
EXTRA_DIST += testsuite/install.sh
# Storage backends (file, Redis, S3 with SigV4 checked against botocore).
TESTS += testsuite/unit/test_sigv4 testsuite/unit/test_storage.s3redis
# The launcher's behaviour.
TESTS += testsuite/launcher_basic.sh testsuite/launcher_exit.sh \
	testsuite/launcher_output.sh testsuite/launcher_bind.sh
EXTRA_DIST += testsuite/run-redis.sh

# The names above are stamps: empty files whose name tells launch.sh what
# to run, with how many workers and on which configuration.
# Explicit targets, not pattern rules: a pattern would also offer to make
# any other test's stamp (make check TESTS=... relies on suffix rules).
REDIS_TESTS = testsuite/unit/test_store.redis testsuite/unit/test_control_http.redis \
	testsuite/control_daemon.redis
LAUNCHED_STAMPS = $(LAUNCHED_TESTS:=-ucx_tcp.lt) $(LAUNCHED_TESTS:=-ucx_shm.lt) \
	$(LAUNCHED_TESTS:=-ofi_tcp.lt) $(LAUNCHED_TESTS:=-ofi_shm.lt)
$(REDIS_TESTS) $(LAUNCHED_STAMPS) $(MPI_TESTS_UCX) $(MPI_TESTS_OFI) \
		testsuite/unit/test_storage.s3redis:
	@$(MKDIR_P) $(@D) && : > $@
CLEANFILES += $(REDIS_TESTS) $(LAUNCHED_STAMPS) $(MPI_TESTS_UCX) $(MPI_TESTS_OFI) \
	testsuite/unit/test_storage.s3redis
# ---- lines appended by each part below ----
# praas-run: option parsing (unit) and the launcher's behaviour (shell, TAP).
check_PROGRAMS += testsuite/unit/test_run_options
testsuite_unit_test_run_options_SOURCES = testsuite/unit/test_run_options.c \
	launcher/options.h launcher/options.c
testsuite_unit_test_run_options_CPPFLAGS = $(AM_CPPFLAGS)
EXTRA_DIST += testsuite/launcher_basic.sh testsuite/launcher_exit.sh \
	testsuite/launcher_output.sh testsuite/launcher_bind.sh
# Two transport contexts in one process, every operation (run under praas-run
# with one worker only to get the configuration's environment).
check_PROGRAMS += testsuite/tp_pair
testsuite_tp_pair_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_tp_pair_LDADD = $(TEST_LIBS)
# A peer joining running transport contexts (tp_connect_peer), under load.
check_PROGRAMS += testsuite/tp_join
testsuite_tp_join_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_tp_join_LDADD = $(TEST_LIBS)
# control plane: base64, the store ops table (memory; Redis when
# PRAAS_TEST_REDIS is set, see with-redis.sh), the HTTP API embedded, and
# the praas-control daemon as a process (shell, TAP).
check_PROGRAMS += testsuite/unit/test_b64 testsuite/unit/test_store \
	testsuite/unit/test_control_http
testsuite_unit_test_b64_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
testsuite_unit_test_b64_LDADD = libpraas_internal.la
testsuite_unit_test_store_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
testsuite_unit_test_store_LDADD = libpraas_internal.la
testsuite_unit_test_control_http_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
testsuite_unit_test_control_http_LDADD = libpraas_internal.la
EXTRA_DIST += testsuite/with-redis.sh testsuite/control_daemon.sh
# Reduction operations: validity, plain and atomic application, CAS, contention.
check_PROGRAMS += testsuite/unit/test_ops
TESTS += testsuite/unit/test_ops
testsuite_unit_test_ops_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_unit_test_ops_LDADD = $(TEST_LIBS)
EXTRA_DIST += testsuite/lib/tap.sh testsuite/lib/service.sh
# Storage (src/storage/): AWS SigV4 against the documented example and
# botocore (testsuite/sigv4_ref.py), and every backend through the ops table
# (file always; Redis with PRAAS_TEST_REDIS, see with-redis.sh; S3 with
# PRAAS_TEST_S3, see with-s3.sh).
check_PROGRAMS += testsuite/unit/test_sigv4 testsuite/unit/test_storage
testsuite_unit_test_sigv4_CPPFLAGS = $(TEST_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
testsuite_unit_test_sigv4_LDADD = $(TEST_LIBS)
testsuite_unit_test_storage_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_unit_test_storage_LDADD = $(TEST_LIBS)
EXTRA_DIST += testsuite/sigv4_ref.py testsuite/with-s3.sh
# Global memory objects (src/gmem/): every operation from every rank on each
# transport configuration; persistence and restore across runs of one
# process through each storage backend (shell, TAP).
check_PROGRAMS += testsuite/gmem_ops testsuite/gmem_persist testsuite/gmem_view
testsuite_gmem_view_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_gmem_view_LDADD = $(TEST_LIBS)
check_PROGRAMS += testsuite/gmem_join
testsuite_gmem_join_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_gmem_join_LDADD = $(TEST_LIBS)
check_PROGRAMS += testsuite/view_win
testsuite_view_win_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_view_win_LDADD = $(TEST_LIBS)
check_PROGRAMS += testsuite/view_coll
testsuite_view_coll_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_view_coll_LDADD = $(TEST_LIBS)
testsuite_gmem_ops_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_gmem_ops_LDADD = $(TEST_LIBS)
testsuite_gmem_persist_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_gmem_persist_LDADD = $(TEST_LIBS)
LAUNCHED_TESTS += testsuite/gmem_ops-n1 testsuite/gmem_ops-n2 testsuite/gmem_ops-n3 \
	testsuite/gmem_ops-n4
TESTS += testsuite/gmem_persist.sh testsuite/gmem_view.sh
EXTRA_DIST += testsuite/gmem_persist.sh testsuite/gmem_view.sh
# The session runtime (src/runtime): the data-plane codec (unit), a fuzz
# target feeding random and mutated frames through the decoder and the
# server in-process, and praas-process driven over real TCP with every
# storage backend (private redis-server and s3rver).
check_PROGRAMS += testsuite/unit/test_dp_wire testsuite/fuzz_dp testsuite/runtime_direct \
	testsuite/runtime_bad
TESTS += testsuite/unit/test_dp_wire testsuite/fuzz_dp testsuite/runtime_direct.s3redis \
	testsuite/runtime_bad
testsuite_unit_test_dp_wire_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_unit_test_dp_wire_LDADD = $(TEST_LIBS)
testsuite_fuzz_dp_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_fuzz_dp_LDADD = $(TEST_LIBS)
testsuite_fuzz_dp_LDFLAGS = $(AM_LDFLAGS) -Wl,--export-dynamic
testsuite_runtime_direct_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_runtime_direct_LDADD = $(TEST_LIBS)
testsuite_runtime_bad_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_runtime_bad_LDADD = $(TEST_LIBS)
EXTRA_DIST += testsuite/lib/rt_proc.h
testsuite/runtime_direct.s3redis:
	@$(MKDIR_P) $(@D) && : > $@
CLEANFILES += testsuite/runtime_direct.s3redis
# Serverless sessions end to end (issue 7, control-plane side): praas-control
# with the memory and the Redis store, real praas-process subprocesses,
# swapping through file, Redis and S3 storage, a killed subprocess,
# malformed requests, and the praas command line (shell, TAP).
check_PROGRAMS += testsuite/invoke_e2e
testsuite_invoke_e2e_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_invoke_e2e_LDADD = $(TEST_LIBS)
TESTS += testsuite/invoke_e2e.sh
# Function libraries uploaded to the control plane (PUT /v1/libraries), the
# praas library commands and their progress (shell, TAP).
TESTS += testsuite/library.sh
EXTRA_DIST += testsuite/library.sh testsuite/lib/daemon.sh
EXTRA_DIST += testsuite/invoke_e2e.sh
# The client's handlers of a timed-out invocation and of a gone session
# (praas_client_set_handlers, issue 7): real praas-control and praas-process
# (shell, TAP).
check_PROGRAMS += testsuite/client_handlers
testsuite_client_handlers_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_client_handlers_LDADD = $(TEST_LIBS)
TESTS += testsuite/client_handlers.sh
EXTRA_DIST += testsuite/client_handlers.sh
# Sessions in different subprocesses reach each other through global memory:
# each subprocess joins its process's view (shell, TAP).
check_PROGRAMS += testsuite/invoke_gmem
testsuite_invoke_gmem_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_invoke_gmem_LDADD = $(TEST_LIBS)
TESTS += testsuite/invoke_gmem.sh
EXTRA_DIST += testsuite/invoke_gmem.sh
