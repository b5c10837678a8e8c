/* Error handler paths: MPI_ERRORS_RETURN on a window and a communicator
 * (a put past the end of the window, a put to a rank that does not exist,
 * a broadcast from a root that does not exist), user-defined handlers on a
 * window and a communicator, and (praas only) the message of a call praas
 * does not provide. Prints error classes, which both MPIs must agree on. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

static int win_calls, win_code, comm_calls, comm_code;

static void on_win_error(MPI_Win *win, int *code, ...)
{
    (void)win;
    win_calls++;
    win_code = *code;
}

static void on_comm_error(MPI_Comm *comm, int *code, ...)
{
    (void)comm;
    comm_calls++;
    comm_code = *code;
}

static const char *cls_name(int code)
{
    int cls;

    if (code == MPI_SUCCESS)
        return "MPI_SUCCESS";
    MPI_Error_class(code, &cls);
    return cls == MPI_ERR_RMA_RANGE ? "MPI_ERR_RMA_RANGE"
           : cls == MPI_ERR_RANK    ? "MPI_ERR_RANK"
           : cls == MPI_ERR_ROOT    ? "MPI_ERR_ROOT"
           : cls == MPI_ERR_DISP    ? "MPI_ERR_DISP"
           : cls == MPI_ERR_OTHER   ? "MPI_ERR_OTHER"
           : cls == MPI_ERR_UNSUPPORTED_OPERATION ? "MPI_ERR_UNSUPPORTED_OPERATION"
                                                  : "another class";
}

int main(int argc, char **argv)
{
    int rank, size, bad = 0, *mem, v = 7, rc;
    MPI_Errhandler weh, ceh;
    MPI_Comm dup;
    MPI_Win win;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Win_allocate(4 * sizeof(int), sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &mem, &win);
    MPI_Win_set_errhandler(win, MPI_ERRORS_RETURN);

    MPI_Win_lock_all(0, win);
    rc = MPI_Put(&v, 1, MPI_INT, (rank + 1) % size, 100, 1, MPI_INT, win);
    printf("rank %d: put past the end: %s\n", rank, cls_name(rc));
    if (rc == MPI_SUCCESS)
        bad++;
    rc = MPI_Put(&v, 1, MPI_INT, size, 0, 1, MPI_INT, win);
    printf("rank %d: put to rank %d: %s\n", rank, size, cls_name(rc));
    if (rc == MPI_SUCCESS)
        bad++;

    MPI_Win_create_errhandler(on_win_error, &weh);
    MPI_Win_set_errhandler(win, weh);
    rc = MPI_Put(&v, 1, MPI_INT, (rank + 1) % size, 4, 1, MPI_INT, win);
    if (win_calls != 1 || win_code != rc || rc == MPI_SUCCESS)
        bad++;
    printf("rank %d: window handler called %d time(s): %s\n", rank, win_calls, cls_name(rc));
    MPI_Win_unlock_all(win);
    MPI_Errhandler_free(&weh);

    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    rc = MPI_Bcast(&v, 1, MPI_INT, size, MPI_COMM_WORLD);
    printf("rank %d: bcast from root %d: %s\n", rank, size, cls_name(rc));
    if (rc == MPI_SUCCESS)
        bad++;

    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    MPI_Comm_create_errhandler(on_comm_error, &ceh);
    MPI_Comm_set_errhandler(dup, ceh);
    MPI_Comm_call_errhandler(dup, MPI_ERR_OTHER);
    if (comm_calls != 1 || comm_code != MPI_ERR_OTHER)
        bad++;
    printf("rank %d: communicator handler called %d time(s)\n", rank, comm_calls);
    MPI_Errhandler_free(&ceh);
    MPI_Comm_free(&dup);

#ifdef PRAAS_MPI
    {
        char msg[MPI_MAX_ERROR_STRING];
        int len;
        MPI_Comm inter;
        rc = MPI_Comm_spawn("true", MPI_ARGV_NULL, 1, MPI_INFO_NULL, 0, MPI_COMM_WORLD, &inter,
                            MPI_ERRCODES_IGNORE);
        MPI_Error_string(rc, msg, &len);
        if (strcmp(cls_name(rc), "MPI_ERR_UNSUPPORTED_OPERATION") != 0 ||
            strcmp(msg, "MPI_Comm_spawn is not supported by praas yet") != 0 ||
            len != (int)strlen(msg)) {
            fprintf(stderr, "rank %d: unsupported call gave \"%s\"\n", rank, msg);
            bad++;
        }
    }
#endif
    /* The same line from both MPIs (Open MPI supports spawning). */
    printf("rank %d: unsupported call message %s\n", rank, bad ? "WRONG" : "ok");

    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Win_free(&win);
    MPI_Finalize();
    return bad != 0;
}
