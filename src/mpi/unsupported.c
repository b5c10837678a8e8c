/*
 * The calls of mpi.h that praas does not provide yet. Each returns
 * MPI_ERR_UNSUPPORTED_OPERATION through the error handler of its
 * communicator (MPI_COMM_WORLD's when it has none), with the message
 * "MPI_Send is not supported by praas yet".
 *
 * One list (name, parameters, the communicator to report on) generates
 * every definition; the parameters repeat mpi.h's, so the compiler checks
 * them against the prototypes.
 */
#include "mpi/pm.h"

#define PM_UNSUPPORTED(X) \
    X(MPI_Status_set_elements, (MPI_Status *status, MPI_Datatype datatype, int count),            \
        MPI_COMM_WORLD)                                                                           \
    X(MPI_Alltoallw, (const void *sendbuf, const int sendcounts[], const int sdispls[],           \
        const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],                    \
        const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm), comm)                \
    X(MPI_Type_get_envelope, (MPI_Datatype datatype, int *num_integers, int *num_addresses,       \
        int *num_datatypes, int *combiner), MPI_COMM_WORLD)                                       \
    X(MPI_Type_get_contents, (MPI_Datatype datatype, int max_integers, int max_addresses,         \
        int max_datatypes, int array_of_integers[], MPI_Aint array_of_addresses[],                \
        MPI_Datatype array_of_datatypes[]), MPI_COMM_WORLD)                                       \
    X(MPI_Type_create_keyval, (MPI_Type_copy_attr_function *type_copy_attr_fn,                    \
        MPI_Type_delete_attr_function *type_delete_attr_fn, int *type_keyval,                     \
        void *extra_state), MPI_COMM_WORLD)                                                       \
    X(MPI_Type_free_keyval, (int *type_keyval), MPI_COMM_WORLD)                                   \
    X(MPI_Type_set_attr, (MPI_Datatype datatype, int type_keyval, void *attribute_val),           \
        MPI_COMM_WORLD)                                                                           \
    X(MPI_Type_get_attr, (MPI_Datatype datatype, int type_keyval, void *attribute_val,            \
        int *flag), MPI_COMM_WORLD)                                                               \
    X(MPI_Type_delete_attr, (MPI_Datatype datatype, int type_keyval), MPI_COMM_WORLD)             \
    X(MPI_Comm_set_info, (MPI_Comm comm, MPI_Info info), comm)                                    \
    X(MPI_Comm_get_info, (MPI_Comm comm, MPI_Info *info_used), comm)                              \
    X(MPI_Comm_remote_size, (MPI_Comm comm, int *size), comm)                                     \
    X(MPI_Comm_remote_group, (MPI_Comm comm, MPI_Group *group), comm)                             \
    X(MPI_Intercomm_create, (MPI_Comm local_comm, int local_leader, MPI_Comm peer_comm,           \
        int remote_leader, int tag, MPI_Comm *newintercomm), local_comm)                          \
    X(MPI_Intercomm_merge, (MPI_Comm intercomm, int high, MPI_Comm *newintracomm),                \
        MPI_COMM_WORLD)                                                                           \
    X(MPI_Cart_create, (MPI_Comm comm_old, int ndims, const int dims[], const int periods[],      \
        int reorder, MPI_Comm *comm_cart), comm_old)                                              \
    X(MPI_Cart_get, (MPI_Comm comm, int maxdims, int dims[], int periods[], int coords[]), comm)  \
    X(MPI_Cart_rank, (MPI_Comm comm, const int coords[], int *rank), comm)                        \
    X(MPI_Cart_coords, (MPI_Comm comm, int rank, int maxdims, int coords[]), comm)                \
    X(MPI_Cart_shift, (MPI_Comm comm, int direction, int disp, int *rank_source,                  \
        int *rank_dest), comm)                                                                    \
    X(MPI_Cart_sub, (MPI_Comm comm, const int remain_dims[], MPI_Comm *newcomm), comm)            \
    X(MPI_Cartdim_get, (MPI_Comm comm, int *ndims), comm)                                         \
    X(MPI_Graph_create, (MPI_Comm comm_old, int nnodes, const int index[], const int edges[],     \
        int reorder, MPI_Comm *comm_graph), comm_old)                                             \
    X(MPI_Dist_graph_create_adjacent, (MPI_Comm comm_old, int indegree, const int sources[],      \
        const int sourceweights[], int outdegree, const int destinations[],                       \
        const int destweights[], MPI_Info info, int reorder, MPI_Comm *comm_dist_graph),          \
        comm_old)                                                                                 \
    X(MPI_Comm_spawn, (const char *command, char *argv[], int maxprocs, MPI_Info info,            \
        int root, MPI_Comm comm, MPI_Comm *intercomm, int array_of_errcodes[]), comm)             \
    X(MPI_Comm_spawn_multiple, (int count, char *array_of_commands[], char **array_of_argv[],     \
        const int array_of_maxprocs[], const MPI_Info array_of_info[], int root, MPI_Comm comm,   \
        MPI_Comm *intercomm, int array_of_errcodes[]), comm)                                      \
    X(MPI_Open_port, (MPI_Info info, char *port_name), MPI_COMM_WORLD)                            \
    X(MPI_Close_port, (const char *port_name), MPI_COMM_WORLD)                                    \
    X(MPI_Comm_accept, (const char *port_name, MPI_Info info, int root, MPI_Comm comm,            \
        MPI_Comm *newcomm), comm)                                                                 \
    X(MPI_Comm_connect, (const char *port_name, MPI_Info info, int root, MPI_Comm comm,           \
        MPI_Comm *newcomm), comm)                                                                 \
    X(MPI_Comm_disconnect, (MPI_Comm *comm), MPI_COMM_WORLD)                                      \
    X(MPI_Comm_join, (int fd, MPI_Comm *intercomm), MPI_COMM_WORLD)                               \
    X(MPI_Add_error_class, (int *errorclass), MPI_COMM_WORLD)                                     \
    X(MPI_Add_error_code, (int errorclass, int *errorcode), MPI_COMM_WORLD)                       \
    X(MPI_Add_error_string, (int errorcode, const char *string), MPI_COMM_WORLD)

/* The parameters are there to match the prototypes; none is used. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define PM_UNSUPPORTED_DEF_(name, params, comm)                                               \
    PRAAS_API int name params                                                                 \
    {                                                                                         \
        return pm_unsupported(comm, #name);                                                   \
    }
PM_UNSUPPORTED(PM_UNSUPPORTED_DEF_)
#undef PM_UNSUPPORTED_DEF_

/* The profiling interface: every call above under its PMPI_ name too. */
#define PM_UNSUPPORTED_PMPI_(name, params, comm) PM_PMPI(name)
PM_UNSUPPORTED(PM_UNSUPPORTED_PMPI_)
#undef PM_UNSUPPORTED_PMPI_
