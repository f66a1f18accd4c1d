/* utils/fetch.h - download one file with curl: resumable, atomic, with
 * its size announced and a progress line on a terminal.
 *
 * sc_fetch_find_curl finds the curl to run: $SC_CURL if set, else "curl"
 * on $PATH.  When there is none it fails with SC_EUNSUPPORTED and a
 * message that says to install curl, rather than letting a download fail
 * with curl's exit status 127.
 *
 * sc_fetch_file downloads url into part (continuing a partial part from
 * an earlier run) with curl -fL -C -, silently, and while it runs shows
 * "NAME  41% 552 MB of 1.34 GB, 12.3 MB/s" through sc_tool_progress (so
 * only on a terminal and not with -q).  `expect` is the expected size in
 * bytes, used for the percentage and the size shown before; 0 if
 * unknown.  On success part is complete; the caller renames it.  On
 * failure an empty part is removed and err names the URL.
 */
#ifndef SC_FETCH_H
#define SC_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include "tool.h"

int sc_fetch_find_curl(char *curl, size_t n, sc_err *err);
int sc_fetch_file(const sc_tool *t, const char *curl, const char *url, const char *part,
                  uint64_t expect, sc_err *err);
/* "1.34 GB", "377 MB", "12.0 kB", "512 B" (decimal units, as curl and
 * web sites give download sizes). */
const char *sc_fetch_size_str(uint64_t bytes, char *buf, size_t n);

#endif
