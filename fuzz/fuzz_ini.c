/* libFuzzer target: the INI configuration parser (sc_config_load_string,
 * inih underneath) on arbitrary text.
 *
 * Invariants: a refused text has a negative code and one line
 * "fuzz.ini:LINE: ..." (or "fuzz.ini: ..."); an accepted one leaves every
 * field inside the range sc.ini(5) documents, all strings terminated, and
 * sc_config_validate either accepts it or names the problem.  The text is
 * loaded over the defaults and then again over its own result: the second
 * load must succeed and change nothing (every key sets, none accumulates).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sc/config.h"
#include "sc/log.h"
#include "fuzzfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.ini"

static int terminated(const char *s, size_t n)
{
    return memchr(s, 0, n) != NULL;
}

static void check_cfg(const sc_config *c)
{
    if (c->token_rate != 100 && c->token_rate != 50 && c->token_rate != 25)
        abort();
    if (c->sem_vocab != 4096 && c->sem_vocab != 8192 && c->sem_vocab != 16384 &&
        c->sem_vocab != 32768)
        abort();
    if ((c->synthetic != 0 && c->synthetic != 1) || c->threads < 0 || c->threads > 1024 ||
        c->batch < 1 || c->batch > 4096 || c->steps < 1 || c->steps > 1000 ||
        !(c->cfg >= -100 && c->cfg <= 100) || !(c->eta >= 0 && c->eta <= 10) ||
        c->log_level < SC_LOG_QUIET || c->log_level > SC_LOG_DEBUG)
        abort();
    if (!terminated(c->model_dir, sizeof c->model_dir) ||
        !terminated(c->synth_dir, sizeof c->synth_dir) ||
        !terminated(c->backend, sizeof c->backend) ||
        !terminated(c->backend_options, sizeof c->backend_options))
        abort();
    for (int k = 0; k <= SC_KIND_MAX; k++)
        if (!terminated(c->stage[k].plugin, sizeof c->stage[k].plugin) ||
            !terminated(c->stage[k].backend, sizeof c->stage[k].backend) ||
            !terminated(c->stage[k].options, sizeof c->stage[k].options))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    sc_config *cfg = malloc(sizeof *cfg), *again = malloc(sizeof *again);
    if (!cfg || !again)
        abort();
    sc_config_defaults(cfg);
    sc_err err = {0};
    int rc = sc_config_load_string(cfg, text, NAME, &err);
    if (rc < 0) {
        if (!fuzz_err_ok(&err, NAME))
            abort();
    } else {
        if (rc != SC_OK || err.code)
            abort();
        check_cfg(cfg);
        sc_err e2 = {0};
        if (sc_config_validate(cfg, &e2) < 0 && (e2.code != SC_ECONFIG || strchr(e2.msg, '\n')))
            abort();
        memcpy(again, cfg, sizeof *cfg);
        if (sc_config_load_string(again, text, NAME, &e2) != SC_OK ||
            memcmp(again, cfg, sizeof *cfg) != 0)
            abort();
    }
    free(cfg);
    free(again);
    free(text);
    return 0;
}
