/* utils/tool.h - what every sc command-line tool shares.
 *
 * sc_tool_init parses argv with getopt_long: the common options
 *   -c FILE  --config=FILE    INI file (see sc.ini(5)), read after the
 *                             standard ones
 *   -m DIR   --model-dir=DIR  model directory (also $SC_MODEL_DIR)
 *   -r RATE  --rate=RATE      token rate 100|50|25
 *   -V VOCAB --vocab=VOCAB    semantic vocabulary 4096|8192|16384|32768
 *   -B NAME  --backend=NAME   compute backend (ref, blas, cuda)
 *   -j N     --threads=N      threads (0 = all CPUs)
 *            --synthetic      use generated synthetic weights (noise)
 *   -q --quiet, -v --verbose, -h --help, --version
 * plus the tool's own options (handled by `fn`), then loads the
 * configuration in the documented precedence (defaults < system file <
 * user file < environment < -c FILE < command line).  Positional
 * arguments are left in t->args.  On --help/--version it prints and
 * returns 1 with t->exit_code 0; on a usage error it prints one line and
 * returns 1 with t->exit_code 64.  Otherwise returns 0.
 */
#ifndef SC_TOOL_H
#define SC_TOOL_H

#include <getopt.h>
#include "sc/config.h"
#include "sc/log.h"
#include "sc/session.h"

typedef struct sc_tool sc_tool;
/* Called for each tool-specific option; return SC_OK or an error code
 * (with err set) to stop. */
typedef int (*sc_tool_opt_fn)(sc_tool *t, int opt, const char *arg, void *user, sc_err *err);

struct sc_tool {
    const char *prog;      /* program name for messages */
    sc_config cfg;
    sc_log log;
    int quiet, verbose;
    char **args;           /* positional arguments */
    int nargs;
    int operands_only;     /* "--" ended the options: every argument is a name */
    int exit_code;         /* set when sc_tool_init returns 1 */
};

typedef struct sc_tool_spec {
    const char *prog;
    const char *synopsis;      /* "[options] [IN [OUT]]" */
    const char *help;          /* tool-specific option help, may be NULL */
    const char *shortopts;     /* extra getopt short options, may be NULL */
    const struct option *longopts;  /* extra long options, {0} terminated, may be NULL */
    sc_tool_opt_fn fn;
    void *user;
} sc_tool_spec;

int sc_tool_init(sc_tool *t, const sc_tool_spec *spec, int argc, char **argv);
/* Print "prog: message" for err and return its exit status. */
int sc_tool_fail(const sc_tool *t, const sc_err *err);
/* Open a session from t->cfg (model/backends/plugins). */
sc_session *sc_tool_session(sc_tool *t, sc_err *err);
/* One progress line on stderr, rewritten in place; only on a TTY and not
 * with -q.  Call sc_tool_progress_end when done. */
void sc_tool_progress(const sc_tool *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sc_tool_progress_end(const sc_tool *t);
/* An output directory (-O DIR) must exist and be a directory: 0, or one
 * line ("DIR: output directory does not exist", "DIR: not a directory")
 * and EX_CANTCREAT (73) to exit with. */
int sc_tool_check_outdir(const sc_tool *t, const char *dir);
/* Parse a strictly positive/ranged integer option value or fail. */
int sc_tool_parse_int(const char *opt, const char *arg, long lo, long hi, long *out, sc_err *err);
int sc_tool_parse_double(const char *opt, const char *arg, double lo, double hi, double *out,
                         sc_err *err);

#endif
