/* libsc/internal.h - declarations shared between libsc files, not installed. */
#ifndef SC_INTERNAL_H
#define SC_INTERNAL_H

#include "sc/registry.h"

/* dispatch.c: ref backend record lookup for fallbacks */
const sc_plugin_rec *sc_registry_ref(const sc_registry *reg);
const sc_host *sc_registry_host(const sc_registry *reg);

#endif
