# Man pages: one per public function (aliases are .so links) and command.
dist_man3_MANS += \
	doc/man/praas_init.3 doc/man/praas_finalize.3 doc/man/praas_initialized.3 \
	doc/man/praas_rank.3 doc/man/praas_size.3 \
	doc/man/praas_strerror.3 doc/man/praas_err_name.3 doc/man/praas_errmsg.3 \
	doc/man/praas_version.3 doc/man/praas_version_string.3 doc/man/praas_transport_name.3 \
	doc/man/praas_type_size.3 doc/man/praas_type_name.3 doc/man/praas_op_name.3 \
	doc/man/praas_op_valid.3
EXTRA_DIST += doc/control-api.md doc/design.md
