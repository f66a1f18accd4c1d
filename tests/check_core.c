/* Unit tests of the libsc core: errors, tensors, half floats, thread pool,
 * configuration precedence and errors, plugin loading and ABI refusal,
 * atomic output, CRC-32. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sc/sc.h"
#include "sc/stage_decoder.h"
#include "sc/stage_util.h"
#include "sctest.h"
#include "../libsc/core/ncpus.h"

START_TEST(test_errors)
{
    sc_err e = {0};
    ck_assert_int_eq(sc_err_set(&e, SC_EFORMAT, "%s: bad magic", "x.ckpt"), SC_EFORMAT);
    ck_assert_str_eq(e.msg, "x.ckpt: bad magic");
    /* the first error wins */
    sc_err_set(&e, SC_EIO, "later");
    ck_assert_str_eq(e.msg, "x.ckpt: bad magic");
    sc_err_prefix(&e, "loading %s", "model");
    ck_assert_str_eq(e.msg, "loading model: x.ckpt: bad magic");
    sc_err_clear(&e);
    sc_err_set(&e, SC_EARG, "two\nlines");
    ck_assert_ptr_null(strchr(e.msg, '\n'));
    ck_assert_int_eq(sc_exit_status(SC_EARG), 64);
    ck_assert_int_eq(sc_exit_status(SC_EFORMAT), 65);
    ck_assert_int_eq(sc_exit_status(SC_ENOTFOUND), 66);
    ck_assert_int_eq(sc_exit_status(SC_EIO), 74);
    ck_assert_int_eq(sc_exit_status(SC_ECONFIG), 78);
    for (int c = SC_ESTATUS_MIN; c <= 0; c++)
        ck_assert_str_ne(sc_strerror(c), "unknown error");
}
END_TEST

START_TEST(test_half)
{
    /* exact known encodings */
    ck_assert_float_eq(sc_f16_to_f32(0x3c00), 1.0f);
    ck_assert_float_eq(sc_f16_to_f32(0xc000), -2.0f);
    ck_assert_float_eq(sc_f16_to_f32(0x0001), ldexpf(1, -24));
    ck_assert_float_eq(sc_f16_to_f32(0x7bff), 65504.0f);
    ck_assert(isinf(sc_f16_to_f32(0x7c00)));
    ck_assert_float_eq(sc_bf16_to_f32(0x3f80), 1.0f);
    /* every finite half round-trips */
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00)
            continue;
        ck_assert_uint_eq(sc_f32_to_f16(sc_f16_to_f32((uint16_t)h)), h);
        ck_assert_uint_eq(sc_f32_to_bf16(sc_bf16_to_f32((uint16_t)h)), h);
    }
    /* round to nearest even */
    ck_assert_uint_eq(sc_f32_to_bf16(1.0f + ldexpf(1, -8)), 0x3f80);
    ck_assert_uint_eq(sc_f32_to_bf16(1.0f + 3 * ldexpf(1, -8)), 0x3f82);
}
END_TEST

START_TEST(test_tensor)
{
    sc_tensor t, v;
    sc_err err = {0};
    int64_t shape[2] = {4, 6};
    ck_assert_int_eq(sc_tensor_alloc(&t, SC_F32, 2, shape, &err), SC_OK);
    ck_assert_int_eq(sc_tensor_numel(&t), 24);
    ck_assert(sc_tensor_is_contiguous(&t));
    float *p = t.data;
    for (int i = 0; i < 24; i++)
        p[i] = (float)i;
    /* transposed view sharing storage */
    sc_tensor_retain(&v, &t);
    v.shape[0] = 6; v.shape[1] = 4; v.stride[0] = 1; v.stride[1] = 6;
    ck_assert(!sc_tensor_is_contiguous(&v));
    ck_assert_int_eq(v.storage->refcount, 2);
    float out[24];
    ck_assert_int_eq(sc_tensor_to_f32(&v, out, &err), SC_OK);
    ck_assert_float_eq(out[1], 6.0f);
    ck_assert_float_eq(out[4], 1.0f);
    int64_t idx[2] = {5, 3};
    ck_assert(sc_tensor_get(&v, idx) == 23.0);
    char buf[64];
    ck_assert_str_eq(sc_shape_str(v.shape, 2, buf, sizeof buf), "6x4");
    ck_assert_str_eq(sc_shape_str(v.shape, 0, buf, sizeof buf), "scalar");
    sc_tensor_release(&t);
    ck_assert_float_eq(((float *)v.data)[23], 23.0f);   /* still alive */
    sc_tensor_release(&v);
    sc_dtype dt;
    ck_assert_int_eq(sc_dtype_from_name("torch.bfloat16", &dt), SC_OK);
    ck_assert_int_eq(dt, SC_BF16);
    int64_t huge[3] = {1LL << 40, 1LL << 40, 16};
    ck_assert_int_eq(sc_tensor_alloc(&t, SC_F32, 3, huge, &err), SC_ERANGE);
}
END_TEST

static void sum_fn(void *arg, int64_t b, int64_t e, int w)
{
    int64_t *out = arg;
    for (int64_t i = b; i < e; i++)
        out[i] = i * i + w * 0;
}

/* A job whose tasks call the pool again: the inner calls must run inline
 * in the calling thread (worker index 0), complete, and not deadlock. */
typedef struct nest_arg {
    sc_pool *p;
    int64_t *out[2];
    int inner_w[2];
} nest_arg;

static void inner_fn(void *arg, int64_t b, int64_t e, int w)
{
    nest_arg **pa = arg;
    int task = pa[1] != NULL;
    for (int64_t i = b; i < e; i++)
        pa[0]->out[task][i] = 3 * i + task;
    if (w != 0 || b != 0 || e != 1000)
        pa[0]->inner_w[task] = 1;
}

static void outer_fn(void *arg, int64_t b, int64_t e, int w)
{
    nest_arg *a = arg;
    (void)w;
    for (int64_t t = b; t < e; t++) {
        nest_arg *pa[2] = {a, t ? a : NULL};
        sc_pool_for(a->p, 1000, inner_fn, pa);
    }
}

START_TEST(test_pool_nested)
{
    sc_err err = {0};
    sc_pool *p = sc_pool_create(2, &err);
    ck_assert_ptr_nonnull(p);
    nest_arg a = {p, {calloc(1000, sizeof(int64_t)), calloc(1000, sizeof(int64_t))}, {0, 0}};
    for (int rep = 0; rep < 20; rep++) {
        sc_pool_for(p, 2, outer_fn, &a);
        for (int t = 0; t < 2; t++) {
            ck_assert_int_eq(a.inner_w[t], 0);
            for (int i = 0; i < 1000; i++)
                ck_assert_int_eq(a.out[t][i], 3 * i + t);
        }
    }
    /* after the job the pool splits again */
    int64_t *v = calloc(100, sizeof *v);
    sc_pool_for(p, 100, sum_fn, v);
    ck_assert_int_eq(v[99], 99 * 99);
    free(v);
    free(a.out[0]);
    free(a.out[1]);
    sc_pool_destroy(p);
}
END_TEST

START_TEST(test_pool)
{
    sc_err err = {0};
    sc_pool *p = sc_pool_create(3, &err);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(sc_pool_size(p), 3);
    int64_t *v = calloc(10007, sizeof *v);
    for (int rep = 0; rep < 50; rep++) {
        memset(v, 0, 10007 * sizeof *v);
        sc_pool_for(p, 10007, sum_fn, v);
        for (int i = 0; i < 10007; i++)
            ck_assert_int_eq(v[i], (int64_t)i * i);
    }
    sc_pool_for(p, 2, sum_fn, v);    /* fewer items than threads */
    sc_pool_for(NULL, 5, sum_fn, v); /* inline */
    free(v);
    sc_pool_destroy(p);
}
END_TEST

static const char *write_tmp(const char *name, const char *text)
{
    const char *p = sct_scratch(name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return p;
}

/* A cgroup folder under the test's scratch holding the given files
 * (name, content pairs, NULL-terminated); returns its path (never freed,
 * as sct_scratch's). */
static const char *cgroup_dir(const char *rel, ...)
{
    const char *dir = sct_scratch(rel);
    char f[4200];
    va_list ap;
    va_start(ap, rel);
    for (const char *name; (name = va_arg(ap, const char *));) {
        const char *text = va_arg(ap, const char *);
        snprintf(f, sizeof f, "%s/%s", rel, name);
        write_tmp(f, text);
    }
    va_end(ap);
    return dir;
}

START_TEST(test_ncpus_cgroup)
{
    /* cgroup v2 cpu.max: "max" is no limit, a quota rounds up, garbage is ignored */
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/none", "cpu.max", "max 100000\n", NULL)), 0);
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/two", "cpu.max", "200000 100000\n", NULL)), 2);
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/half", "cpu.max", "150000 100000\n", NULL)), 2);
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/tiny", "cpu.max", "1000 100000\n", NULL)), 1);
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/junk", "cpu.max", "lots of cpus\n", NULL)), 0);
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/junk2", "cpu.max", "200000 x\n", NULL)), 0);
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/zero", "cpu.max", "200000 0\n", NULL)), 0);
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/neg", "cpu.max", "-5 100000\n", NULL)), 0);
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/empty", "cpu.max", "", NULL)), 0);
    ck_assert_int_eq(sc_cgroup_cpu_limit(sct_scratch("core/cg/nothere")), 0);
    /* cgroup v1: quota -1 is no limit */
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/v1", "cpu.cfs_quota_us", "250000\n",
                                                    "cpu.cfs_period_us", "100000\n", NULL)), 3);
    ck_assert_int_eq(sc_cgroup_cpu_limit(cgroup_dir("core/cg/v1none", "cpu.cfs_quota_us", "-1\n",
                                                    "cpu.cfs_period_us", "100000\n", NULL)), 0);

    /* a process's cgroups from /proc/self/cgroup; a parent's limit binds */
    const char *root = cgroup_dir("core/cgroot", "cpu.max", "max 100000\n", NULL);
    cgroup_dir("core/cgroot/a", "cpu.max", "300000 100000\n", NULL);
    cgroup_dir("core/cgroot/a/b", "cpu.max", "500000 100000\n", NULL);
    cgroup_dir("core/cgroot/a/b/c", "cpu.max", "max 100000\n", NULL);
    ck_assert_int_eq(sc_cgroup_cpus(root, write_tmp("core/self-v2", "0::/a/b/c\n")), 3);
    ck_assert_int_eq(sc_cgroup_cpus(root, write_tmp("core/self-v2b", "0::/a/b/\n")), 3);
    ck_assert_int_eq(sc_cgroup_cpus(root, write_tmp("core/self-root", "0::/\n")), 0);
    ck_assert_int_eq(sc_cgroup_cpus(root, write_tmp("core/self-gone", "0::/x/y\n")), 0);
    ck_assert_int_eq(sc_cgroup_cpus(root, sct_scratch("core/self-nothere")), 0);
    /* v1: only the hierarchy holding the cpu controller counts */
    cgroup_dir("core/cgroot/cpu,cpuacct/d", "cpu.cfs_quota_us", "150000\n",
               "cpu.cfs_period_us", "100000\n", NULL);
    cgroup_dir("core/cgroot/cpuset/d", "cpu.cfs_quota_us", "50000\n",
               "cpu.cfs_period_us", "100000\n", NULL);
    ck_assert_int_eq(sc_cgroup_cpus(root, write_tmp("core/self-v1",
                                                    "5:cpuset:/d\n4:cpu,cpuacct:/d\n"
                                                    "1:name=systemd:/d\n0::/\n")), 2);
    /* a namespaced container: its own cgroup is the root */
    const char *ns = cgroup_dir("core/cgns", "cpu.max", "200000 100000\n", NULL);
    ck_assert_int_eq(sc_cgroup_cpus(ns, write_tmp("core/self-ns", "0::/\n")), 2);
    ck_assert_int_eq(sc_cgroup_cpus(ns, sct_scratch("core/self-nothere")), 2);
}
END_TEST

START_TEST(test_ncpus_affinity)
{
    int all = sc_ncpus();
    ck_assert_int_ge(all, 1);
    ck_assert_int_le(all, (int)sysconf(_SC_NPROCESSORS_ONLN));
    cpu_set_t one;
    CPU_ZERO(&one);
    ck_assert_int_eq(sched_getaffinity(0, sizeof one, &one), 0);
    int first = 0;
    while (!CPU_ISSET(first, &one))
        first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    /* Check runs each test in a child of its own: the mask dies with it */
    ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
    ck_assert_int_eq(sc_cpu_affinity_count(), 1);
    ck_assert_int_eq(sc_ncpus(), 1);
    sc_err err = {0};
    sc_pool *p = sc_pool_create(0, &err);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(sc_pool_size(p), 1);
    sc_pool_destroy(p);
}
END_TEST

START_TEST(test_config)
{
    sc_config c;
    sc_err err = {0};
    sc_config_defaults(&c);
    ck_assert_int_eq(c.token_rate, 100);
    ck_assert_int_eq(c.steps, 50);
    const char *good = write_tmp("core/good.ini",
                                 "; comment\n[model]\ndir = /models\nrate = 50\nvocab = 8192\n"
                                 "[backend]\ndefault = ref\nthreads = 3\n"
                                 "[decoder]\nsteps = 10\ncfg = 1.5\nseed = 7\n"
                                 "[semantic]\nbackend = blas\n");
    ck_assert_int_eq(sc_config_load_file(&c, good, 1, &err), SC_OK);
    ck_assert_str_eq(c.model_dir, "/models");
    ck_assert_int_eq(c.token_rate, 50);
    ck_assert_int_eq(c.sem_vocab, 8192);
    ck_assert_str_eq(c.backend, "ref");
    ck_assert_int_eq(c.threads, 3);
    ck_assert_int_eq(c.steps, 10);
    ck_assert(c.cfg == 1.5);
    ck_assert_uint_eq(c.seed, 7);
    ck_assert_str_eq(c.stage[SC_KIND_SEMANTIC].backend, "blas");
    /* [backend] precision: fp32 by default, the three names, nothing else */
    ck_assert_int_eq(c.precision, SC_PREC_FP32);
    ck_assert_int_eq(sc_config_set(&c, "backend", "precision", "bf16", "option --precision", &err),
                     SC_OK);
    ck_assert_int_eq(c.precision, SC_PREC_BF16);
    ck_assert_int_eq(sc_config_set(&c, "backend", "precision", "auto", "x", &err), SC_OK);
    ck_assert_int_eq(c.precision, SC_PREC_AUTO);
    ck_assert_int_eq(sc_config_set(&c, "backend", "precision", "fp16", "option --precision", &err),
                     SC_ECONFIG);
    ck_assert_msg(strstr(err.msg, "option --precision") && strstr(err.msg, "fp16") &&
                  strstr(err.msg, "fp32, bf16 or auto"), "%s", err.msg);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_config_set(&c, "backend", "precision", "fp32", "x", &err), SC_OK);
    ck_assert_int_eq(c.precision, SC_PREC_FP32);
    /* not through the options string, which reaches every stage's backend */
    ck_assert_int_eq(sc_config_set(&c, "backend", "options", "isa=avx2 precision=bf16", "y", &err),
                     SC_ECONFIG);
    ck_assert_msg(strstr(err.msg, "[backend] precision"), "%s", err.msg);
    sc_err_clear(&err);

    /* unknown key -> FILE:LINE */
    const char *bad = write_tmp("core/bad.ini", "[model]\nrate = 100\n\n[model]\nspeed = 3\n");
    ck_assert_int_eq(sc_config_load_file(&c, bad, 1, &err), SC_ECONFIG);
    ck_assert_msg(strstr(err.msg, "bad.ini:5: ") && strstr(err.msg, "speed"), "%s", err.msg);
    sc_err_clear(&err);
    const char *badsec = write_tmp("core/badsec.ini", "[modle]\ndir = x\n");
    ck_assert_int_eq(sc_config_load_file(&c, badsec, 1, &err), SC_ECONFIG);
    ck_assert_msg(strstr(err.msg, "badsec.ini:2: ") && strstr(err.msg, "[modle]"), "%s", err.msg);
    sc_err_clear(&err);
    const char *badval = write_tmp("core/badval.ini", "[model]\nrate = 33\n");
    ck_assert_int_eq(sc_config_load_file(&c, badval, 1, &err), SC_ECONFIG);
    ck_assert_msg(strstr(err.msg, "badval.ini:2: ") && strstr(err.msg, "33"), "%s", err.msg);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_config_load_file(&c, "/nonexistent/sc.ini", 1, &err), SC_ENOTFOUND);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_config_load_file(&c, "/nonexistent/sc.ini", 0, &err), SC_OK);

    /* precedence: user file < environment < -c file */
    const char *xdg = sct_scratch("core/xdg/sc/sc.ini");
    FILE *f = fopen(xdg, "w");
    fputs("[model]\ndir = /from-user\nrate = 25\n[backend]\nthreads = 5\n", f);
    fclose(f);
    char xdgdir[4096];
    snprintf(xdgdir, sizeof xdgdir, "%s", xdg);
    *strstr(xdgdir, "/sc/sc.ini") = '\0';
    setenv("XDG_CONFIG_HOME", xdgdir, 1);
    setenv("SC_MODEL_DIR", "/from-env", 1);
    const char *cli = write_tmp("core/cli.ini", "[backend]\nthreads = 9\n");
    ck_assert_int_eq(sc_config_load_standard(&c, cli, &err), SC_OK);
    ck_assert_str_eq(c.model_dir, "/from-env");   /* env beats user file */
    ck_assert_int_eq(c.token_rate, 25);            /* user file beats default */
    ck_assert_int_eq(c.threads, 9);                /* -c beats user file */
    unsetenv("SC_MODEL_DIR");
    ck_assert_int_eq(sc_config_set(&c, "model", "vocab", "1234", "option -V", &err), SC_ECONFIG);
    ck_assert_msg(strstr(err.msg, "option -V"), "%s", err.msg);

    /* Lines of any length (issue 12): a setting inside a long comment is
     * still a comment, later lines keep their real numbers, and a long
     * line that is not a comment is refused by its number. */
    {
        char text[2048];
        sc_config l;
        sc_config_defaults(&l);
        snprintf(text, sizeof text, "[model]\n# %250s rate = 25\n;%300s\n%260s\nrate = 50\n", "",
                 "x", "");
        const char *longc = write_tmp("core/longcomment.ini", text);
        sc_err_clear(&err);
        ck_assert_msg(sc_config_load_file(&l, longc, 1, &err) == SC_OK, "%s", err.msg);
        ck_assert_int_eq(l.token_rate, 50);
        snprintf(text, sizeof text, "[model]\n# %250s rate = 25\n   ;%300s\nspeed = 3\n", "",
                 "x");
        ck_assert_int_eq(sc_config_load_string(&l, text, "mem.ini", &err), SC_ECONFIG);
        ck_assert_msg(strstr(err.msg, "mem.ini:4: ") && strstr(err.msg, "speed"), "%s", err.msg);
        sc_err_clear(&err);
        snprintf(text, sizeof text, "[model]\n\ndir = /%300s\n", "d");
        const char *longl = write_tmp("core/longline.ini", text);
        ck_assert_int_eq(sc_config_load_file(&l, longl, 1, &err), SC_ECONFIG);
        ck_assert_msg(strstr(err.msg, "longline.ini:3: line too long (307 characters"), "%s",
                      err.msg);
        sc_err_clear(&err);
        ck_assert_int_eq(l.token_rate, 50);
    }

    /* the shipped default sc.ini parses */
    sc_config d;
    sc_config_defaults(&d);
    sc_err_clear(&err);
    ck_assert_msg(sc_config_load_file(&d, sct_src_path("etc/sc.ini"), 1, &err) == SC_OK, "%s",
                  err.msg);
}
END_TEST

/* [decoder] preset (issue 15): "fast" and "balanced" are the sampler
 * settings README "Sampler accuracy" chose, and keys after them still win;
 * "official" is the official decoder's DDIM, eta 1, 50 steps. */
START_TEST(test_config_preset)
{
    sc_config c;
    sc_err err = {0};
    sc_config_defaults(&c);
    c.cfg = 3.0;
    ck_assert_msg(sc_config_load_string(&c, "[decoder]\nsteps = 30\neta = 0.5\npreset = fast\n",
                                        "p.ini", &err) == SC_OK, "%s", err.msg);
    ck_assert_int_eq(c.sampler, SC_DEC_DPMSOLVERPP);
    ck_assert_int_eq(c.order, 2);
    ck_assert_int_eq(c.method, SC_DEC_MULTISTEP);
    ck_assert_int_eq(c.skip, SC_DEC_TIME_UNIFORM);
    ck_assert_int_eq(c.steps, 10);
    ck_assert(c.cfg == 3.0 && c.eta == 0.5);   /* guidance and eta untouched */
    ck_assert_msg(sc_config_load_string(&c, "[decoder]\npreset = fast\nsteps = 20\norder = 3\n",
                                        "q.ini", &err) == SC_OK, "%s", err.msg);
    ck_assert_int_eq(c.steps, 20);
    ck_assert_int_eq(c.order, 3);
    ck_assert_int_eq(c.sampler, SC_DEC_DPMSOLVERPP);
    ck_assert_int_eq(sc_config_set(&c, "decoder", "preset", "balanced", "here", &err), SC_OK);
    ck_assert_int_eq(c.sampler, SC_DEC_DPMSOLVERPP);
    ck_assert_int_eq(c.order, 2);
    ck_assert_int_eq(c.method, SC_DEC_MULTISTEP);
    ck_assert_int_eq(c.skip, SC_DEC_LOGSNR);
    ck_assert_int_eq(c.steps, 20);
    ck_assert(c.cfg == 3.0 && c.eta == 0.5);
    ck_assert_int_eq(sc_config_set(&c, "decoder", "preset", "official", "here", &err), SC_OK);
    ck_assert_int_eq(c.sampler, SC_DEC_DDIM);
    ck_assert_int_eq(c.steps, 50);
    ck_assert_int_eq(c.order, 2);
    ck_assert(c.eta == 1.0 && c.cfg == 3.0);
    ck_assert_int_eq(sc_config_set(&c, "decoder", "preset", "quick", "option --x", &err),
                     SC_ECONFIG);
    ck_assert_msg(strstr(err.msg, "option --x") && strstr(err.msg, "fast, balanced or official"), "%s",
                  err.msg);
}
END_TEST

START_TEST(test_registry)
{
    sc_log log = {SC_LOG_ERROR, NULL, NULL};
    sc_host host;
    sc_host_init(&host, &log, NULL);
    sc_err err = {0};
    /* The bad-ABI test plugin lives in the build tree's tests/plugins. */
    const char *bd = getenv("SC_BUILDDIR");
    ck_assert_ptr_nonnull(bd);
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/plugins/.libs/backend_badabi.so", bd);
    const sc_plugin_info *pi;
    void *h;
    ck_assert_int_eq(sc_plugin_probe(path, &host, &pi, &h, &err), SC_EABI);
    char want[64];
    snprintf(want, sizeof want, "ABI version %u", SC_PLUGIN_ABI_VERSION + 41);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, want), "%s", err.msg);
    snprintf(want, sizeof want, "ABI version %u", SC_PLUGIN_ABI_VERSION);
    ck_assert_msg(strstr(err.msg, want), "%s", err.msg);

    /* through the registry: skipped with the reason, others still load */
    snprintf(path, sizeof path, "%s/tests/plugins/.libs", bd);
    sc_err_clear(&err);
    sc_registry *r = sc_registry_open(&host, path, &err);
    ck_assert_ptr_nonnull(r);
    int found = 0;
    for (int i = 0; i < sc_registry_nproblems(r); i++)
        found |= strstr(sc_registry_problem(r, i), "backend_badabi.so") != NULL;
    ck_assert(found);
    ck_assert_ptr_null(sc_registry_find(r, SC_KIND_BACKEND, "badabi"));
    const sc_plugin_rec *ref = sc_registry_find(r, SC_KIND_BACKEND, "ref");
    ck_assert_msg(ref != NULL, "ref backend not found on SC_PLUGIN_PATH");
    sc_backend *be = sc_backend_open(r, "ref", NULL, &err);
    ck_assert_msg(be != NULL, "%s", err.msg);
    for (int op = 0; op < SC_OP_COUNT; op++)
        ck_assert_str_eq(be->served[op], "ref");
    sc_backend_close(be);
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_backend_open(r, "nosuch", NULL, &err));
    ck_assert_int_eq(err.code, SC_ENOTFOUND);
    sc_registry_close(r);

    /* not a plugin at all */
    sc_err_clear(&err);
    const char *junk = write_tmp("core/junk.so", "not an ELF file\n");
    ck_assert_int_eq(sc_plugin_probe(junk, &host, &pi, &h, &err), SC_EIO);
    ck_assert_msg(strstr(err.msg, "junk.so"), "%s", err.msg);
}
END_TEST

START_TEST(test_outfile)
{
    sc_outfile o;
    sc_err err = {0};
    const char *p = sct_scratch("core/out.bin");
    unlink(p);
    ck_assert_int_eq(sc_outfile_open(&o, p, &err), SC_OK);
    fputs("partial", o.f);
    ck_assert_int_ne(access(p, F_OK), 0);   /* not visible before commit */
    sc_outfile_abort(&o);
    ck_assert_int_ne(access(p, F_OK), 0);   /* nothing left behind */
    ck_assert_int_eq(sc_outfile_open(&o, p, &err), SC_OK);
    fputs("whole", o.f);
    ck_assert_int_eq(sc_outfile_commit(&o, &err), SC_OK);
    ck_assert_int_eq(access(p, F_OK), 0);
    ck_assert_int_eq(sc_outfile_open(&o, "/nonexistent-dir/x", &err), SC_EIO);
    ck_assert_msg(strstr(err.msg, "/nonexistent-dir/x"), "%s", err.msg);
    /* CRC-32 check value */
    ck_assert_uint_eq(sc_crc32(0, "123456789", 9), 0xcbf43926u);
    ck_assert_uint_eq(sc_crc32(sc_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
}
END_TEST

/* Outputs that are inputs: device and inode, through links (issue 12). */
START_TEST(test_same_file)
{
    sc_err err = {0};
    const char *a = sct_scratch("core/same-a.bin"), *b = sct_scratch("core/same-b.bin");
    const char *h = sct_scratch("core/same-hard.bin"), *s = sct_scratch("core/same-sym.bin");
    const char *n = sct_scratch("core/same-new.bin");
    unlink(h);
    unlink(s);
    unlink(n);
    write_tmp("core/same-a.bin", "a");
    write_tmp("core/same-b.bin", "a");
    ck_assert_int_eq(link(a, h), 0);
    ck_assert_int_eq(symlink(a, s), 0);
    ck_assert_int_eq(sc_same_file(a, a), 1);
    ck_assert_int_eq(sc_same_file(a, h), 1);
    ck_assert_int_eq(sc_same_file(s, h), 1);
    ck_assert_int_eq(sc_same_file(a, b), 0);     /* equal content, other file */
    ck_assert_int_eq(sc_same_file(a, n), 0);     /* does not exist */
    ck_assert_int_eq(sc_same_file("/dev/null", "/dev/null"), 0);   /* not regular */
    const char *ins[3] = {b, NULL, s};
    ck_assert_int_eq(sc_output_check(h, ins, 3, &err), SC_EARG);
    ck_assert_msg(strstr(err.msg, h) && strstr(err.msg, s) && strstr(err.msg, "same file"), "%s",
                  err.msg);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_output_check(n, ins, 3, &err), SC_OK);
    ck_assert_int_eq(sc_output_check(b, ins, 1, &err), SC_EARG);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_output_check(a, ins, 1, &err), SC_OK);
    ck_assert_int_eq(sc_output_check("/dev/null", ins, 3, &err), SC_OK);
    sc_file_id ia, ih, ib;
    ck_assert_int_eq(sc_file_id_get(a, -1, &ia), 1);
    ck_assert_int_eq(sc_file_id_get(s, -1, &ih), 1);
    ck_assert_int_eq(sc_file_id_get(b, -1, &ib), 1);
    ck_assert(ia.dev == ih.dev && ia.ino == ih.ino);
    ck_assert(ia.ino != ib.ino || ia.dev != ib.dev);
    ck_assert_int_eq(sc_file_id_get(n, -1, &ib), 0);
    ck_assert(ib.dev == 0 && ib.ino == 0);
    /* NaN/Inf scan */
    float x[5] = {0, 1, -2, 3, 4};
    ck_assert_int_eq(sc_first_nonfinite(x, 5), -1);
    x[3] = NAN;
    ck_assert_int_eq(sc_first_nonfinite(x, 5), 3);
    x[1] = -INFINITY;
    ck_assert_int_eq(sc_first_nonfinite(x, 5), 1);
    ck_assert_int_eq(sc_first_nonfinite(x, 1), -1);
}
END_TEST

/* sc/stage_util.h: the options list, the weight walk, the op message. */
static int walk_keys;
static int fake_need(void *dctx, const char *key, sc_dtype dtype, int ndim, const int64_t *shape)
{
    walk_keys++;
    return strcmp(key, "bad") ? SC_OK : SC_EFORMAT;
}

static const float fake_data[4] = {1, 2, 3, 4};
static const float *fake_f32(const sc_weights *w, const char *key, int ndim,
                             const int64_t *shape, sc_err *err)
{
    if (!strcmp(key, "missing")) {
        sc_err_set(err, SC_ENOTFOUND, "ckpt: no key %s", key);
        return NULL;
    }
    return fake_data;
}
static const char *fake_path(const sc_weights *w) { return "ckpt"; }
static const float *fake_weight(void *ctx, const float *host, size_t count)
{
    return count == 4 ? host + 1 : NULL;
}

START_TEST(test_stage_util)
{
    const char *p = " share=1,\tbogus=2,,flag  n=12x";
    sc_opt o;
    ck_assert(sc_opt_next(&p, &o) && sc_opt_is(&o, "share") && o.has_val && o.vlen == 1);
    ck_assert(sc_opt_eq(&o, "share=1") && !sc_opt_eq(&o, "share=") && !sc_opt_is(&o, "shar"));
    long v = -1;
    ck_assert(sc_opt_int(&o, 0, 1, &v) == 0 && v == 1);
    ck_assert(sc_opt_next(&p, &o) && sc_opt_is(&o, "bogus") && sc_opt_int(&o, 0, 1, &v) < 0);
    ck_assert(sc_opt_next(&p, &o) && sc_opt_is(&o, "flag") && !o.has_val && o.ilen == 4);
    ck_assert(sc_opt_next(&p, &o) && sc_opt_is(&o, "n") && sc_opt_int(&o, 0, 99, &v) < 0);
    ck_assert(!sc_opt_next(&p, &o));
    const char *none = NULL;
    ck_assert(!sc_opt_next(&none, &o));

    /* declare mode: every key is named, the first failure is kept */
    int64_t shape[1] = {4};
    sc_walk w = sc_walk_declare(NULL, NULL, fake_need);
    walk_keys = 0;
    ck_assert_ptr_null(sc_walk_weight(&w, "a", 1, shape));
    ck_assert_ptr_null(sc_walk_weightf(&w, 1, shape, "%s", "bad"));
    ck_assert_ptr_null(sc_walk_host(&w, "c", 1, shape));
    ck_assert_int_eq(walk_keys, 3);
    ck_assert_int_eq(w.rc, SC_EFORMAT);

    /* load mode: host and backend pointers; the first failure stops it */
    sc_host host = {.err_set = sc_err_set, .weight_f32 = fake_f32, .weights_path = fake_path};
    sc_backend_vt be = {.weight = fake_weight};
    sc_stage_env env = {.struct_size = sizeof env, .host = &host, .be = &be};
    sc_err err = {0};
    w = sc_walk_load(&env, &err);
    ck_assert_ptr_eq(sc_walk_host(&w, "a", 1, shape), fake_data);
    ck_assert_ptr_eq(sc_walk_weightf(&w, 1, shape, "x.%d", 1), fake_data + 1);
    int64_t three[1] = {3};
    ck_assert_ptr_null(sc_walk_weight(&w, "odd", 1, three));
    ck_assert_int_eq(w.rc, SC_ENOMEM);
    ck_assert_str_eq(err.msg, "ckpt: odd: backend cannot hold the weight");
    ck_assert_ptr_null(sc_walk_host(&w, "a", 1, shape));   /* sticky */
    w = sc_walk_load(&env, &(sc_err){0});
    ck_assert_ptr_null(sc_walk_weight(&w, "missing", 1, shape));
    ck_assert_int_eq(w.rc, SC_ENOTFOUND);

    sc_err e2 = {0};
    ck_assert_int_eq(sc_stage_op_fail(&host, &e2, "stage", -7, "be->gemm(s->bx, 1)"), -7);
    ck_assert_str_eq(e2.msg, "stage: backend failed in gemm (status -7)");
    sc_err e3 = {0};
    ck_assert_int_eq(sc_stage_op_fail(&host, &e3, "decoder", 3, "the UNet"), SC_EINTERNAL);
    ck_assert_str_eq(e3.msg, "decoder: backend failed in the UNet (status 3)");
}
END_TEST

START_TEST(test_mmap)
{
    sc_err err = {0};
    const char *p = write_tmp("core/map.txt", "hello");
    sc_mapfile *m = sc_mapfile_open(p, &err);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->size, 5);
    ck_assert(!memcmp(m->data, "hello", 5));
    sc_mapfile_close(m);
    ck_assert_ptr_null(sc_mapfile_open("/nonexistent", &err));
    ck_assert_int_eq(err.code, SC_ENOTFOUND);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_half);
    tcase_add_test(tc, test_tensor);
    tcase_add_test(tc, test_pool);
    tcase_add_test(tc, test_pool_nested);
    tcase_add_test(tc, test_ncpus_cgroup);
    tcase_add_test(tc, test_ncpus_affinity);
    tcase_add_test(tc, test_config);
    tcase_add_test(tc, test_config_preset);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_outfile);
    tcase_add_test(tc, test_same_file);
    tcase_add_test(tc, test_mmap);
    tcase_add_test(tc, test_stage_util);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
