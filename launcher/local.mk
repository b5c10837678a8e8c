# launcher
# praas-run: the launcher (mpirun-like), with the control plane embedded.
bin_PROGRAMS += launcher/praas-run
launcher_praas_run_SOURCES = launcher/praas-run.c launcher/options.h launcher/options.c \
	launcher/launcher.h launcher/bind.c launcher/output.c launcher/elastic.c
launcher_praas_run_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
launcher_praas_run_LDADD = libpraas_internal.la
dist_man1_MANS += doc/man/praas-run.1
# praas-control: the control-plane daemon (src/control, praas/control.h).
bin_PROGRAMS += launcher/praas-control
launcher_praas_control_SOURCES = launcher/praas-control.c
launcher_praas_control_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS) -DPRAAS_BINDIR='"$(bindir)"'
launcher_praas_control_LDADD = libpraas_internal.la
dist_man1_MANS += doc/man/praas-control.1
# praas-mpicc: the MPI compiler wrapper, a shell script generated here (not
# by configure) with the installation directories of this build.
bin_SCRIPTS = launcher/praas-mpicc
launcher/praas-mpicc: $(top_srcdir)/launcher/praas-mpicc.in Makefile
	$(AM_V_GEN)$(MKDIR_P) launcher && sed \
	  -e 's|@includedir[@]|$(includedir)|g' -e 's|@libdir[@]|$(libdir)|g' \
	  -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	  -e 's|@abs_top_srcdir[@]|$(abs_top_srcdir)|g' \
	  $(top_srcdir)/launcher/praas-mpicc.in > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@
CLEANFILES += launcher/praas-mpicc launcher/praas-mpicc.tmp
EXTRA_DIST += launcher/praas-mpicc.in
dist_man1_MANS += doc/man/praas-mpicc.1
# praas-process: hosts sessions and runs a function library's functions
# (src/runtime). It links the shared libpraas, so that the functions it
# loads use the one copy of praas it initialized.
bin_PROGRAMS += launcher/praas-process
launcher_praas_process_SOURCES = launcher/praas-process.c
launcher_praas_process_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
launcher_praas_process_LDADD = libpraas.la
dist_man1_MANS += doc/man/praas-process.1
# praas: the command line of the serverless routes (processes, sessions,
# metrics, invoke), over the client library.
bin_PROGRAMS += launcher/praas
launcher_praas_SOURCES = launcher/praas.c
launcher_praas_CPPFLAGS = $(libpraas_internal_la_CPPFLAGS)
launcher_praas_LDADD = libpraas_internal.la
dist_man1_MANS += doc/man/praas.1
