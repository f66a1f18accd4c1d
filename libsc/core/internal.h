/* libsc/core/internal.h - declarations shared between libsc files, not installed. */
#ifndef SC_INTERNAL_H
#define SC_INTERNAL_H

#include "sc/registry.h"

/* Functions shared between libsc's files but not part of its API: hidden,
 * so libsc.so does not export them (tests/symbols.sh). */
#define SC_HIDDEN __attribute__((visibility("hidden")))

/* dispatch.c: ref backend record lookup for fallbacks */
SC_HIDDEN const sc_plugin_rec *sc_registry_ref(const sc_registry *reg);
SC_HIDDEN const sc_host *sc_registry_host(const sc_registry *reg);

#endif
