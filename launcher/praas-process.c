/*
 * praas-process: hosts sessions and runs the functions of one shared object
 * (praas-process(1), doc/invoke.md). The command's body is in libpraas
 * (src/runtime/process_main.c) so that the functions it loads, which link
 * libpraas too, share one copy of the library with it.
 */
#include "runtime/rt.h"

int main(int argc, char **argv)
{
    return praas_process_main(argc, argv);
}
