# Examples: programs that use the public API only.
noinst_PROGRAMS += examples/ring
examples_ring_LDADD = libpraas.la
# Softmax regression trained with SGD on Fashion-MNIST, sync (allreduce) or
# async (accumulates into a model window); reads gzip'd IDX with zlib. The
# data, model and batch code, nothing of praas, is a convenience library of
# its own, which bench/sgd_redis (the same training over Redis) links too.
noinst_LTLIBRARIES += examples/sgd/libsgd.la
examples_sgd_libsgd_la_SOURCES = examples/sgd/mnist.c examples/sgd/mnist.h \
	examples/sgd/model.c examples/sgd/model.h examples/sgd/batch.c examples/sgd/batch.h
examples_sgd_libsgd_la_LIBADD = -lz -lm
noinst_PROGRAMS += examples/sgd/sgd
examples_sgd_sgd_SOURCES = examples/sgd/sgd.c
examples_sgd_sgd_LDADD = examples/sgd/libsgd.la libpraas.la
EXTRA_DIST += examples/sgd/README.md
# Example functions for praas-process (praas/session.h): a shared object
# that the runtime tests and benchmarks deploy. -rpath makes libtool build
# it shared although it is not installed.
noinst_LTLIBRARIES += examples/functions/praas_examples.la
examples_functions_praas_examples_la_SOURCES = examples/functions/functions.c
examples_functions_praas_examples_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-rpath $(abs_builddir)
