/* Error codes: every code has a distinct name and description, the
 * detailed message names its cause, and the config parser rejects bad
 * values naming the variable. */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "praas.h"
#include "testsuite/lib/tap.h"

static const int codes[] = {
#define X_(name, num, text) PRAAS_ERR_##name,
    PRAAS_ERRNO_MAP(X_)
#undef X_
};

int main(void)
{
    core_cfg_t cfg;
    int distinct = 1, named = 1, rc;

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        named &= codes[i] < 0 && strncmp(praas_err_name(codes[i]), "PRAAS_ERR_", 10) == 0 &&
                 strcmp(praas_strerror(codes[i]), "unknown error") != 0;
        for (size_t k = 0; k < i; k++)
            distinct &= codes[i] != codes[k] &&
                        strcmp(praas_err_name(codes[i]), praas_err_name(codes[k])) != 0;
    }
    tap_ok(named, "every error code is negative and has a name and a description");
    tap_ok(distinct, "error codes and names are distinct");
    tap_ok(strcmp(praas_err_name(0), "PRAAS_OK") == 0 && strcmp(praas_strerror(0), "success") == 0,
           "0 is PRAAS_OK");
    tap_ok(strcmp(praas_err_name(-999), "PRAAS_ERR_UNKNOWN") == 0 &&
               strcmp(praas_strerror(12345), "unknown error") == 0,
           "unknown codes are reported as such");
    tap_ok(strcmp(praas_err_name(PRAAS_ERR_TIMEOUT), "PRAAS_ERR_TIMEOUT") == 0,
           "PRAAS_ERR_TIMEOUT is named");
    rc = core_err(PRAAS_ERR_RANGE, "displacement %d is past %d", 4096, 4000);
    tap_ok(rc == PRAAS_ERR_RANGE && strcmp(praas_errmsg(), "displacement 4096 is past 4000") == 0,
           "core_err returns its code and records the message");
    rc = core_err(PRAAS_ERR_PEER, "%s: %s (again: %s)", "wrapped", praas_errmsg(), praas_errmsg());
    tap_ok(rc == PRAAS_ERR_PEER &&
               strcmp(praas_errmsg(), "wrapped: displacement 4096 is past 4000 (again: "
                                      "displacement 4096 is past 4000)") == 0,
           "core_err may wrap this thread's own message: %s", praas_errmsg());

    unsetenv("PRAAS_SIZE");
    unsetenv("PRAAS_RANK");
    unsetenv("PRAAS_TRANSPORT");
    rc = core_cfg_load(&cfg);
    tap_ok(rc == 0 && cfg.size == 1 && cfg.rank == 0 && strcmp(cfg.transport, "ucx") == 0,
           "defaults without environment: one worker, ucx");
    setenv("PRAAS_SIZE", "4", 1);
    setenv("PRAAS_RANK", "3", 1);
    rc = core_cfg_load(&cfg);
    tap_ok(rc == 0 && cfg.size == 4 && cfg.rank == 3, "PRAAS_SIZE and PRAAS_RANK are read");
    setenv("PRAAS_SIZE", "four", 1);
    rc = core_cfg_load(&cfg);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "PRAAS_SIZE=four"),
           "a non-number is rejected naming the variable: %s", praas_errmsg());
    setenv("PRAAS_SIZE", "0", 1);
    rc = core_cfg_load(&cfg);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "outside"),
           "an out-of-range value is rejected: %s", praas_errmsg());
    setenv("PRAAS_SIZE", "4x", 1);
    tap_ok(core_cfg_load(&cfg) == PRAAS_ERR_INVALID, "trailing garbage is rejected");
    unsetenv("PRAAS_SIZE");
    unsetenv("PRAAS_RANK");
    tap_no_plan_end();
    return tap_exit();
}
