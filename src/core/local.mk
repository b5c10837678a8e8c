# Core: errors, logging, configuration, context, progress engine.
libpraas_internal_la_SOURCES += \
	src/core/common.h \
	src/core/error.h src/core/error.c \
	src/core/log.h src/core/log.c \
	src/core/config.h src/core/config.c
praasinclude_HEADERS += include/praas/errors.h include/praas/init.h
