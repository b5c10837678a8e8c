# The test suite: automake's TAP harness. Unit tests are TAP programs run
# directly; launched tests run under praas-run once per transport
# configuration (testsuite/launch.sh), named PROGRAM-nN.CONFIG.

TEST_EXTENSIONS = .sh .ucx_tcp .ucx_shm .ofi_tcp .ofi_shm
TAP_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_COMPILER = $(SHELL)
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
	FI_TCP_IFACE=lo; FI_SOCKETS_IFACE=lo; UCX_NET_DEVICES=lo; UCX_WARN_UNUSED_ENV_VARS=n; \
	export top_builddir top_srcdir REDIS_SERVER PRAAS_RUN FI_TCP_IFACE FI_SOCKETS_IFACE \
	UCX_NET_DEVICES UCX_WARN_UNUSED_ENV_VARS;

TEST_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
TEST_LIBS = libpraas_internal.la
EXTRA_DIST += testsuite/launch.sh testsuite/lib/tap.h

# ---- unit tests (one process) ----
UNIT_TESTS = \
	testsuite/unit/test_errors \
	testsuite/unit/test_init_single
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
testsuite_unit_test_errors_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_unit_test_errors_LDADD = $(TEST_LIBS)
testsuite_unit_test_init_single_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_unit_test_init_single_LDADD = $(TEST_LIBS)

# ---- launched tests (under praas-run, on every transport configuration) ----
check_PROGRAMS += testsuite/tp_ops testsuite/tp_busy
testsuite_tp_ops_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_tp_ops_LDADD = $(TEST_LIBS)
testsuite_tp_busy_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_tp_busy_LDADD = $(TEST_LIBS)

LAUNCHED_TESTS = \
	testsuite/tp_ops-n1 testsuite/tp_ops-n2 testsuite/tp_ops-n4 \
	testsuite/tp_busy-n2
if HAVE_UCX
TESTS += $(LAUNCHED_TESTS:=.ucx_tcp) $(LAUNCHED_TESTS:=.ucx_shm)
endif
if HAVE_OFI
TESTS += $(LAUNCHED_TESTS:=.ofi_tcp) $(LAUNCHED_TESTS:=.ofi_shm)
endif
# The names above are stamps: empty files whose name tells launch.sh what
# to run, with how many workers and on which configuration.
%.ucx_tcp:
	@: > $@
%.ucx_shm:
	@: > $@
%.ofi_tcp:
	@: > $@
%.ofi_shm:
	@: > $@
CLEANFILES += $(LAUNCHED_TESTS:=.ucx_tcp) $(LAUNCHED_TESTS:=.ucx_shm) \
	$(LAUNCHED_TESTS:=.ofi_tcp) $(LAUNCHED_TESTS:=.ofi_shm)

# ---- lines appended by each part below ----
