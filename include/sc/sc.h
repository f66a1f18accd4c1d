/* sc/sc.h - umbrella header for libsc, the SemantiCodec-in-C core library.
 * See each module header for its contract. */
#ifndef SC_SC_H
#define SC_SC_H
#include "sc/error.h"
#include "sc/log.h"
#include "sc/tensor.h"
#include "sc/mmap.h"
#include "sc/pool.h"
#include "sc/util.h"
#include "sc/plugin.h"
#include "sc/backend.h"
#include "sc/stage.h"
#include "sc/config.h"
#include "sc/registry.h"
#endif
