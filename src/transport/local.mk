# Transport layer: one ops table (transport.h), two backends.
libpraas_internal_la_SOURCES += src/transport/transport.h src/transport/transport.c
if HAVE_UCX
libpraas_internal_la_SOURCES += src/transport/ucx.c
endif
if HAVE_OFI
libpraas_internal_la_SOURCES += src/transport/ofi.c
endif
