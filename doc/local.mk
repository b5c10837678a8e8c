# Man pages: one per public function (aliases are .so links) and command.
dist_man3_MANS += \
	doc/man/praas_init.3 doc/man/praas_finalize.3 doc/man/praas_initialized.3 \
	doc/man/praas_rank.3 doc/man/praas_size.3 \
	doc/man/praas_strerror.3 doc/man/praas_err_name.3 doc/man/praas_errmsg.3 \
	doc/man/praas_version.3 doc/man/praas_version_string.3 doc/man/praas_transport_name.3 \
	doc/man/praas_type_size.3 doc/man/praas_type_name.3 doc/man/praas_op_name.3 \
	doc/man/praas_op_valid.3 \
	doc/man/praas_win_allocate.3 doc/man/praas_win_allocate_shared.3 \
	doc/man/praas_win_shared_query.3 doc/man/praas_win_create.3 \
	doc/man/praas_win_create_dynamic.3 doc/man/praas_win_attach.3 \
	doc/man/praas_win_detach.3 doc/man/praas_win_free.3 doc/man/praas_win_base.3 \
	doc/man/praas_win_size.3 doc/man/praas_win_disp_unit.3 doc/man/praas_win_flavor.3 \
	doc/man/praas_win_group_size.3 \
	doc/man/praas_put.3 doc/man/praas_get.3 doc/man/praas_accumulate.3 \
	doc/man/praas_get_accumulate.3 doc/man/praas_fetch_and_op.3 \
	doc/man/praas_compare_and_swap.3 doc/man/praas_rput.3 doc/man/praas_rget.3 \
	doc/man/praas_raccumulate.3 doc/man/praas_rget_accumulate.3 \
	doc/man/praas_request_wait.3 doc/man/praas_request_test.3 \
	doc/man/praas_win_fence.3 doc/man/praas_win_post.3 doc/man/praas_win_start.3 \
	doc/man/praas_win_complete.3 doc/man/praas_win_wait.3 doc/man/praas_win_test.3 \
	doc/man/praas_win_lock.3 doc/man/praas_win_unlock.3 doc/man/praas_win_lock_all.3 \
	doc/man/praas_win_unlock_all.3 doc/man/praas_win_flush.3 doc/man/praas_win_flush_all.3 \
	doc/man/praas_win_flush_local.3 doc/man/praas_win_flush_local_all.3 \
	doc/man/praas_win_sync.3 \
	doc/man/praas_allreduce.3 doc/man/praas_barrier.3 doc/man/praas_bcast.3 \
	doc/man/praas_reduce.3 doc/man/praas_reduce_scatter_block.3 doc/man/praas_allgather.3 \
	doc/man/praas_gather.3 doc/man/praas_scatter.3 doc/man/praas_alltoall.3 \
	doc/man/praas_op_create.3 doc/man/praas_op_free.3 doc/man/praas_user_op_fn.3 \
	doc/man/praas_iallreduce.3 doc/man/praas_ibarrier.3 doc/man/praas_coll_test.3 \
	doc/man/praas_coll_wait.3
dist_man3_MANS += \
	doc/man/praas_obj_alloc.3 doc/man/praas_obj_open.3 doc/man/praas_obj_close.3 \
	doc/man/praas_obj_free.3 doc/man/praas_obj_size.3 doc/man/praas_obj_put.3 \
	doc/man/praas_obj_get.3 doc/man/praas_obj_iput.3 doc/man/praas_obj_iget.3 \
	doc/man/praas_obj_flush.3 doc/man/praas_obj_fetch_add.3 doc/man/praas_obj_cswap.3 \
	doc/man/praas_obj_list.3 doc/man/praas_obj_persist.3
dist_man3_MANS += \
	doc/man/praas_view_get.3 doc/man/praas_view_is_member.3 doc/man/praas_view_set_callback.3
EXTRA_DIST += doc/control-api.md doc/design.md
# The function API (praas/session.h).
dist_man3_MANS += \
	doc/man/praas_inv_payload.3 doc/man/praas_inv_nargs.3 doc/man/praas_inv_arg.3 \
	doc/man/praas_inv_result_buf.3 doc/man/praas_inv_result_copy.3 \
	doc/man/praas_inv_result_set.3 doc/man/praas_inv_fail.3 doc/man/praas_inv_memory.3 \
	doc/man/praas_inv_session_id.3 doc/man/praas_inv_id.3 doc/man/praas_inv_function.3 \
	doc/man/praas_checkpoint_session_id.3 doc/man/praas_checkpoint_memory.3 \
	doc/man/praas_checkpoint_write.3 doc/man/praas_checkpoint_data.3
# The client library (praas/client.h).
dist_man3_MANS += \
	doc/man/praas_client_open.3 doc/man/praas_client_close.3 \
	doc/man/praas_client_set_handlers.3 \
	doc/man/praas_process_create.3 doc/man/praas_process_delete.3 \
	doc/man/praas_session_alloc.3 doc/man/praas_session_get.3 doc/man/praas_session_list.3 \
	doc/man/praas_session_swap.3 doc/man/praas_session_retrieve.3 \
	doc/man/praas_session_delete.3 doc/man/praas_session_metrics.3 \
	doc/man/praas_process_metrics.3 doc/man/praas_invoke.3 doc/man/praas_invoke_async.3 \
	doc/man/praas_call_id.3 doc/man/praas_call_test.3 doc/man/praas_call_wait.3 \
	doc/man/praas_call_free.3 doc/man/praas_result_free.3 \
	doc/man/praas_library_upload.3 doc/man/praas_library_upload_file.3 \
	doc/man/praas_library_list.3 doc/man/praas_library_get.3 doc/man/praas_library_delete.3
