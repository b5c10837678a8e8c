# Examples: programs that use the public API only.
noinst_PROGRAMS += examples/ring
examples_ring_LDADD = libpraas.la
