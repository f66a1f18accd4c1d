/* sc-info: what sc finds on this machine — plugins, where they came from,
 * which backend serves each op and stage, and the active configuration. */
#include <stdio.h>
#include <string.h>
#include "sc/registry.h"
#include "tool.h"

static void print_backend_ops(sc_registry *reg, const char *name)
{
    sc_err err = {0};
    sc_backend *be = sc_backend_open(reg, name, NULL, &err);
    if (!be) {
        printf("    (cannot open: %s)\n", err.msg);
        return;
    }
    printf("    ops:");
    for (int op = 0; op < SC_OP_COUNT; op++)
        printf(" %s%s", sc_op_name(op), strcmp(be->served[op], name) ? "(ref)" : "");
    printf("\n");
    sc_backend_close(be);
}

int main(int argc, char **argv)
{
    sc_tool t;
    sc_tool_spec spec = {
        .prog = "sc-info",
        .synopsis = "[options] [PLUGIN.so ...]",
        .help = "  Lists plugins and backends found, the configuration files read and\n"
                "  which plugin and backend serve each stage.  With PLUGIN.so arguments,\n"
                "  loads each file and reports whether it is usable.\n\n",
    };
    if (sc_tool_init(&t, &spec, argc, argv))
        return t.exit_code;
    sc_host host;
    sc_host_init(&host, &t.log, NULL);
    sc_err err = {0};
    if (t.nargs) {
        int bad = 0;
        for (int i = 0; i < t.nargs; i++) {
            const sc_plugin_info *pi;
            void *h;
            sc_err e = {0};
            if (sc_plugin_probe(t.args[i], &host, &pi, &h, &e)) {
                fprintf(stderr, "sc-info: %s\n", e.msg);
                bad = sc_exit_status(e.code);
                continue;
            }
            printf("%s: %s plugin '%s' %s (ABI %u): %s\n", t.args[i], sc_kind_name(pi->kind),
                   pi->name, pi->version ? pi->version : "", pi->abi_version,
                   pi->description ? pi->description : "");
        }
        return bad;
    }
    sc_registry *reg = sc_registry_open(&host, NULL, &err);
    if (!reg)
        return sc_tool_fail(&t, &err);
    printf("plugin ABI version: %u\nsearch path:\n", SC_PLUGIN_ABI_VERSION);
    for (int i = 0; i < sc_registry_ndirs(reg); i++)
        printf("  %s\n", sc_registry_dir(reg, i));
    printf("plugins:\n");
    for (int i = 0; i < sc_registry_count(reg); i++) {
        const sc_plugin_rec *r = sc_registry_at(reg, i);
        printf("  %-9s %-10s %s\n            %s\n", sc_kind_name(r->info->kind), r->info->name,
               r->path, r->info->description ? r->info->description : "");
        if (r->info->kind == SC_KIND_BACKEND)
            print_backend_ops(reg, r->info->name);
    }
    for (int i = 0; i < sc_registry_nproblems(reg); i++)
        printf("  skipped: %s\n", sc_registry_problem(reg, i));
    printf("configuration files read:\n");
    for (int i = 0; i < t.cfg.nsources; i++)
        printf("  %s\n", t.cfg.sources[i]);
    if (!t.cfg.nsources)
        printf("  (none)\n");
    printf("model: %s, rate %d, vocabulary %d%s\n",
           t.cfg.model_dir[0] ? t.cfg.model_dir : "(no directory set)", t.cfg.token_rate,
           t.cfg.sem_vocab, t.cfg.synthetic ? ", SYNTHETIC weights" : "");
    printf("stages:\n");
    char unusable[2 * SC_ERR_MSG_MAX] = "", tried[64] = "";
    int usable = 1;
    for (int k = SC_KIND_FRONTEND; k <= SC_KIND_MAX; k++) {
        const sc_stage_cfg *s = &t.cfg.stage[k];
        const char *b = s->backend[0] ? s->backend : t.cfg.backend;
        const sc_plugin_rec *r = sc_registry_find(reg, k, s->plugin);
        const sc_plugin_rec *br = sc_registry_find(reg, SC_KIND_BACKEND, b);
        /* A backend plugin that is there may still fail to start (blas
         * without OpenBLAS, cuda without a GPU): say so where the user
         * looks for what will run, and why once below the table. */
        if (br && strcmp(b, tried)) {     /* stages mostly share one backend */
            sc_err e = {0};
            sc_backend *be = sc_backend_open(reg, b, t.cfg.backend_options, &e);
            usable = be != NULL;
            sc_backend_close(be);
            snprintf(tried, sizeof tried, "%s", b);
            if (!be && !unusable[0])
                snprintf(unusable, sizeof unusable, "backend %s is unavailable: %s%s", b, e.msg,
                         strcmp(b, "ref") ? "; -B ref (plain C, slower) needs no library" : "");
        }
        printf("  %-9s %-10s on %-5s %s%s%s\n", sc_kind_name(k), s->plugin, b,
               r ? "" : "(plugin NOT FOUND) ", br ? "" : "(backend NOT FOUND)",
               usable ? "" : "(backend UNAVAILABLE)");
    }
    if (unusable[0])
        printf("%s\n", unusable);
    sc_registry_close(reg);
    return 0;
}
