/* A program run without praas-run works as a single worker, and a bad
 * environment gets an error naming the cause. */
#include <stdlib.h>
#include <string.h>

#include "praas.h"
#include "testsuite/lib/tap.h"

int main(void)
{
    int rank = -1, size = -1, rc, major, minor, patch;

    unsetenv("PRAAS_CONTROL");
    unsetenv("PRAAS_PROCESS");
    unsetenv("PRAAS_RANK");
    unsetenv("PRAAS_SIZE");
    tap_ok(praas_rank(&rank) == PRAAS_ERR_STATE && rank == -1,
           "praas_rank before praas_init is PRAAS_ERR_STATE and writes nothing");

    setenv("PRAAS_SIZE", "3", 1);
    rc = praas_init();
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "PRAAS_CONTROL"),
           "PRAAS_SIZE > 1 without a control plane is refused: %s", praas_errmsg());
    unsetenv("PRAAS_SIZE");
    setenv("PRAAS_TRANSPORT", "carrier-pigeon", 1);
    rc = praas_init();
    tap_ok(rc == PRAAS_ERR_NOT_FOUND && strstr(praas_errmsg(), "carrier-pigeon"),
           "an unknown transport is refused by name: %s", praas_errmsg());
    unsetenv("PRAAS_TRANSPORT");
    setenv("PRAAS_LOG", "loud", 1);
    rc = praas_init();
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "PRAAS_LOG=loud"),
           "a bad log level is refused: %s", praas_errmsg());
    unsetenv("PRAAS_LOG");

    rc = praas_init();
    tap_ok(rc == 0, "praas_init without a launcher (%s)", rc ? praas_errmsg() : praas_transport_name());
    tap_ok(praas_rank(&rank) == 0 && praas_size(&size) == 0 && rank == 0 && size == 1,
           "a single worker is rank 0 of 1");
    tap_ok(praas_initialized() == 1, "praas_initialized after init");
    tap_ok(praas_init() == PRAAS_ERR_STATE, "a second praas_init is PRAAS_ERR_STATE");
    tap_ok(praas_finalize() == 0, "praas_finalize");
    tap_ok(praas_initialized() == 0, "not initialized after finalize");
    tap_ok(praas_finalize() == PRAAS_ERR_STATE, "praas_finalize twice is PRAAS_ERR_STATE");
    praas_version(&major, &minor, &patch);
    tap_ok(major == PRAAS_VERSION_MAJOR && minor == PRAAS_VERSION_MINOR &&
               strcmp(praas_version_string(), PRAAS_VERSION_STRING) == 0,
           "version %s", praas_version_string());
    tap_no_plan_end();
    return tap_exit();
}
