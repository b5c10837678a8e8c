/*
 * praas: process as a service. The umbrella header: include this one.
 */
#ifndef PRAAS_H
#define PRAAS_H

#include <praas/version.h>
#include <praas/errors.h>
#include <praas/init.h>
#include <praas/types.h>
#include <praas/rma.h>
#include <praas/coll.h>
#include <praas/gmem.h>
#include <praas/session.h>
#include <praas/view.h>
#include <praas/client.h>

#endif /* PRAAS_H */
