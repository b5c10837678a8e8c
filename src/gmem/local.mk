# src/gmem
# Global memory objects: directory, owner side, handles and location cache,
# accesses, persistence. The public API is praas/gmem.h.
libpraas_internal_la_SOURCES += \
	src/gmem/gmem.h \
	src/gmem/dir.c \
	src/gmem/owner.c \
	src/gmem/obj.c \
	src/gmem/ops.c \
	src/gmem/persist.c \
	src/gmem/view.c
praasinclude_HEADERS += include/praas/gmem.h include/praas/view.h
