# The test suite: automake's TAP harness. Unit tests are TAP programs run
# directly; launched tests run under praas-run once per transport
# configuration (testsuite/launch.sh), named PROGRAM-nN.CONFIG.

TEST_EXTENSIONS = .sh .redis .ucx_tcp .ucx_shm .ofi_tcp .ofi_shm
TAP_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_COMPILER = $(SHELL)
REDIS_LOG_DRIVER = $(TAP_DRIVER)
REDIS_LOG_COMPILER = $(SHELL) $(top_srcdir)/testsuite/run-redis.sh
UCX_TCP_LOG_DRIVER = $(TAP_DRIVER)
UCX_TCP_LOG_COMPILER = $(SHELL) $(top_srcdir)/testsuite/launch.sh ucx_tcp
UCX_SHM_LOG_DRIVER = $(TAP_DRIVER)
UCX_SHM_LOG_COMPILER = $(SHELL) $(top_srcdir)/testsuite/launch.sh ucx_shm
OFI_TCP_LOG_DRIVER = $(TAP_DRIVER)
OFI_TCP_LOG_COMPILER = $(SHELL) $(top_srcdir)/testsuite/launch.sh ofi_tcp
OFI_SHM_LOG_DRIVER = $(TAP_DRIVER)
OFI_SHM_LOG_COMPILER = $(SHELL) $(top_srcdir)/testsuite/launch.sh ofi_shm

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
EXTRA_DIST += testsuite/launch.sh testsuite/lib/tap.h testsuite/lib/launched.h

# ---- unit tests (one process) ----
UNIT_TESTS = \
	testsuite/unit/test_errors \
	testsuite/unit/test_init_single \
	testsuite/unit/test_b64 \
	testsuite/unit/test_run_options
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
testsuite_unit_test_errors_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_unit_test_errors_LDADD = $(TEST_LIBS)
testsuite_unit_test_init_single_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_unit_test_init_single_LDADD = $(TEST_LIBS)

# ---- launched tests (under praas-run, on every transport configuration) ----
check_PROGRAMS += testsuite/tp_ops testsuite/tp_busy testsuite/rma_ops testsuite/rma_busy \
	testsuite/rma_stress testsuite/coll_ops
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
	testsuite/tp_pair-n1 \
	testsuite/tp_ops-n1 testsuite/tp_ops-n2 testsuite/tp_ops-n4 \
	testsuite/tp_busy-n2 \
	testsuite/rma_ops-n1 testsuite/rma_ops-n2 testsuite/rma_ops-n3 testsuite/rma_ops-n4 \
	testsuite/rma_busy-n2 testsuite/rma_busy-n3 \
	testsuite/rma_stress-n3 testsuite/rma_stress-n4 \
	testsuite/coll_ops-n1 testsuite/coll_ops-n2 testsuite/coll_ops-n3 testsuite/coll_ops-n4 \
	testsuite/coll_ops-n5 testsuite/coll_ops-tp-n3
if HAVE_UCX
TESTS += $(LAUNCHED_TESTS:=.ucx_tcp) $(LAUNCHED_TESTS:=.ucx_shm)
endif
if HAVE_OFI
TESTS += $(LAUNCHED_TESTS:=.ofi_tcp) $(LAUNCHED_TESTS:=.ofi_shm)
endif
# The control plane on both stores: each test runs against the memory store
# and a private redis-server started for it.
TESTS += $(REDIS_TESTS)
# The main job: distributed SGD on Fashion-MNIST (examples/sgd).
TESTS += testsuite/sgd.sh
EXTRA_DIST += testsuite/sgd.sh
# configure's messages for missing dependencies.
TESTS += testsuite/configure.sh
EXTRA_DIST += testsuite/configure.sh
# make install, then a program built with pkg-config alone.
TESTS += testsuite/install.sh
EXTRA_DIST += testsuite/install.sh
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
LAUNCHED_STAMPS = $(LAUNCHED_TESTS:=.ucx_tcp) $(LAUNCHED_TESTS:=.ucx_shm) \
	$(LAUNCHED_TESTS:=.ofi_tcp) $(LAUNCHED_TESTS:=.ofi_shm)
$(REDIS_TESTS) $(LAUNCHED_STAMPS):
	@: > $@
CLEANFILES += $(REDIS_TESTS) $(LAUNCHED_STAMPS)
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
EXTRA_DIST += testsuite/lib/tap.sh
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
