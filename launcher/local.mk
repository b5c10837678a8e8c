# launcher
# praas-run: the launcher (mpirun-like), with the control plane embedded.
bin_PROGRAMS += launcher/praas-run
launcher_praas_run_SOURCES = launcher/praas-run.c launcher/options.h launcher/options.c \
	launcher/launcher.h launcher/bind.c launcher/output.c
launcher_praas_run_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
launcher_praas_run_LDADD = libpraas_internal.la
dist_man1_MANS += doc/man/praas-run.1
# praas-control: the control-plane daemon (src/control, praas/control.h).
bin_PROGRAMS += launcher/praas-control
launcher_praas_control_SOURCES = launcher/praas-control.c
launcher_praas_control_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
launcher_praas_control_LDADD = libpraas_internal.la
dist_man1_MANS += doc/man/praas-control.1
