# Transport layer: one ops table (transport.h), two backends.
libpraas_internal_la_SOURCES += src/transport/transport.h src/transport/transport.c
if HAVE_UCX
libpraas_internal_la_SOURCES += src/transport/ucx.h src/transport/ucx.c src/transport/ucx_rma.c \
	src/transport/ucx_am.c
endif
if HAVE_OFI
libpraas_internal_la_SOURCES += src/transport/ofi.h src/transport/ofi.c src/transport/ofi_rma.c \
	src/transport/ofi_am.c
endif
