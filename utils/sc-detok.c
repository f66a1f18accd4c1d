/* sc-detok: SemantiCodec tokens -> 16 kHz audio, streaming.
 *
 * Reads tokens (sc stream, text or npy) from IN or stdin and writes audio
 * to OUT or stdout as each decoder window is settled.  See sc-detok(1).
 */
#include <stdio.h>
#include <string.h>
#include "detok.h"

int main(int argc, char **argv)
{
    sc_tool t;
    detok_opts o = {0};
    detok_prescan(argc, argv, &o);
    sc_tool_spec spec = {
        .prog = "sc-detok",
        .synopsis = "[options] [IN [OUT]]",
        .help = "  Decodes SemantiCodec tokens (sc, text or npy form) from IN (default\n"
                "  stdin) into 16 kHz mono audio in OUT (default stdout), streaming.\n\n" DETOK_HELP,
        .shortopts = DETOK_SHORTOPTS,
        .longopts = detok_longopts,
        .fn = detok_parse_opt,
        .user = &o,
    };
    if (sc_tool_init(&t, &spec, argc, argv))
        return t.exit_code;
    sc_err err = {0};
    if (t.nargs > 2) {
        sc_err_set(&err, SC_EARG, "too many arguments (try --help)");
        return sc_tool_fail(&t, &err);
    }
    if (detok_apply(&t, &o, &err))
        return sc_tool_fail(&t, &err);
    detok *d = detok_new(&t, &o, &err);
    if (!d)
        return sc_tool_fail(&t, &err);
    const char *in = t.nargs > 0 ? t.args[0] : NULL;
    const char *out = t.nargs > 1 ? t.args[1] : NULL;
    int rc = detok_file(d, in, out, &err);
    detok_free(d);
    return rc ? sc_tool_fail(&t, &err) : 0;
}
