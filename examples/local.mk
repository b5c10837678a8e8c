# Examples: programs that use the public API only.
noinst_PROGRAMS += examples/ring
examples_ring_LDADD = libpraas.la
# Softmax regression trained with SGD on Fashion-MNIST, sync (allreduce) or
# async (accumulates into a model window); reads gzip'd IDX with zlib.
noinst_PROGRAMS += examples/sgd/sgd
examples_sgd_sgd_SOURCES = examples/sgd/sgd.c examples/sgd/mnist.c examples/sgd/mnist.h \
	examples/sgd/model.c examples/sgd/model.h
examples_sgd_sgd_LDADD = libpraas.la -lz -lm
EXTRA_DIST += examples/sgd/README.md
