/* plugins/decoder/ldm.c - the "ldm" decoder stage: conditioning, DDIM
 * sampler with classifier-free guidance and v-prediction, the executor of
 * the DPM-Solver programs (dpm.c), plugin entry
 * (contract in sc/stage_decoder.h; ARCHITECTURE.md §5.7-5.9, §6).
 *
 * Numerics follow the reference step by step in float32: the guided v is
 * (v_c - v_u) g + v_u, e = sa v + sb x, x0 = sa x - sb v, and
 * x = (sqrt(aprev) x0 + sqrt((1 - aprev) - sigma^2) e) + sigma z, every
 * product and sum rounded separately (the plugin is built with
 * -ffp-contract=off).  sigma comes from the reference's mixed precision:
 * float32 reciprocal of (1 - a), the rest in double, rounded to float32.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sc/noise.h"
#include "dpm.h"
#include "ldm.h"

#define LAT SC_DEC_LATENT

typedef struct ldm {
    const sc_host *host;
    const sc_backend_vt *be;
    void *bc;
    sc_model_info model;
    int W, Dc, fd;
    int share;                       /* run the context-free head once per step */
    int pair;                        /* run the two guidance tails side by side */
    size_t tail_span;                /* arena floats one tail needs */
    ldm_unet net;
    const float *acp, *sqa, *sqb;    /* host schedule buffers [1000] */
    const sc_tensor *semcb, *accb;   /* codebooks [V, fd] (accb maybe [1, V, fd]) */
    int64_t ac_rows;
    float *pe;                       /* host [W, 192] */
    float *hctx;                     /* host [W, Dc] scratch */
    float *hlat[6];                  /* host latent scratch (noise, traces) */
    /* backend memory */
    float *arena;
    size_t arena_cap;
    float *dctx, *kv_unc, *kv_cnd;
    int unc_ready;
    float *etmp, *embv;
    float *x, *vu, *vc, *v, *e, *x0, *z, *t1, *t2;
    float *reg[DPM_NREGS];           /* DPM-Solver registers (X, VU, VC shared) */
    dpm_sched sched;                 /* its noise schedule (from acp) */
    void *allocs[32];
    int nallocs;
} ldm;

/* ---- helpers -------------------------------------------------------- */

static void *balloc(ldm *d, size_t floats)
{
    if (d->nallocs >= (int)(sizeof d->allocs / sizeof d->allocs[0]))
        return NULL;
    void *p = d->be->buf_alloc(d->bc, floats * sizeof(float));
    if (p)
        d->allocs[d->nallocs++] = p;
    return p;
}

/* Row `row` of a codebook tensor [V, fd] or [1, V, fd] as float32. */
static int cb_row(const sc_tensor *t, int64_t row, int fd, float *dst)
{
    int nd = t->ndim;
    int64_t rs = t->stride[nd - 2], cs = t->stride[nd - 1];
    if (t->dtype == SC_F32) {
        const float *p = (const float *)t->data + row * rs;
        if (cs == 1)
            memcpy(dst, p, (size_t)fd * sizeof(float));
        else
            for (int j = 0; j < fd; j++)
                dst[j] = p[j * cs];
        return SC_OK;
    }
    if (t->dtype == SC_F64) {
        const double *p = (const double *)t->data + row * rs;
        for (int j = 0; j < fd; j++)
            dst[j] = (float)p[j * cs];
        return SC_OK;
    }
    return SC_EUNSUPPORTED;
}

static int check_cb(ldm *d, const sc_tensor *t, const char *what, int64_t *rows, sc_err *err)
{
    const sc_host *h = d->host;
    if (!t)
        return h->err_set(err, SC_EARG,
                          "decoder: the %s codebook was not provided by the session", what);
    int nd = t->ndim;
    if (nd < 2 || nd > 3 || (nd == 3 && t->shape[0] != 1) || t->shape[nd - 1] != d->fd)
        return h->err_set(err, SC_EFORMAT, "decoder: %s codebook: expected [V, %d], found %d dims",
                          what, d->fd, nd);
    if (t->dtype != SC_F32 && t->dtype != SC_F64)
        return h->err_set(err, SC_EUNSUPPORTED, "decoder: %s codebook: dtype %d not float32/64",
                          what, (int)t->dtype);
    *rows = t->shape[nd - 2];
    return SC_OK;
}

static int be_fail(ldm *d, int rc, sc_err *err, const char *what)
{
    return sc_stage_op_fail(d->host, err, "decoder", rc, what);
}

static void run_init(ldm *d, ldm_run *r, size_t off)
{
    memset(r, 0, sizeof *r);
    r->be = d->be;
    r->bc = d->bc;
    r->base = d->arena;
    r->cap = d->arena_cap;
    r->off = off;
}

/* ---- conditioning --------------------------------------------------- */

static int build_cond(ldm *d, const int64_t *tok, int T, float *ctx, sc_err *err)
{
    const sc_host *h = d->host;
    if (T < 1 || T > d->W)
        return h->err_set(err, SC_EARG, "decoder: token window of %d pairs (1..%d allowed)", T,
                          d->W);
    for (int r = 0; r < T; r++) {
        int64_t s = tok[2 * r], a = tok[2 * r + 1];
        if (s < 0 || s >= d->model.sem_vocab)
            return h->err_set(err, SC_ERANGE,
                              "decoder: token %d: semantic index %lld outside 0..%d", r,
                              (long long)s, d->model.sem_vocab - 1);
        if (a < 0 || a >= d->ac_rows)
            return h->err_set(err, SC_ERANGE,
                              "decoder: token %d: acoustic index %lld outside 0..%lld", r,
                              (long long)a, (long long)d->ac_rows - 1);
    }
    for (int r = 0; r < d->W; r++) {
        float *row = ctx + (size_t)r * d->Dc;
        if (r < T) {
            /* [acoustic code | semantic centroid]: acoustic first (§5.7) */
            cb_row(d->accb, tok[2 * r + 1], d->fd, row);
            cb_row(d->semcb, tok[2 * r], d->fd, row + d->fd);
        } else {
            for (int j = 0; j < 2 * d->fd; j++)
                row[j] = -1.0f;
        }
        memcpy(row + 2 * d->fd, d->pe + (size_t)r * SC_DEC_PE_DIM,
               SC_DEC_PE_DIM * sizeof(float));
    }
    return SC_OK;
}

static void build_uncond(ldm *d, float *ctx)
{
    for (int r = 0; r < d->W; r++) {
        float *row = ctx + (size_t)r * d->Dc;
        memset(row, 0, 2 * (size_t)d->fd * sizeof(float));
        memcpy(row + 2 * d->fd, d->pe + (size_t)r * SC_DEC_PE_DIM,
               SC_DEC_PE_DIM * sizeof(float));
    }
}

/* Upload a host context and compute its K/V cache. */
static int set_context(ldm *d, const float *hctx, float *kv, sc_err *err)
{
    ldm_run r;
    run_init(d, &r, 0);
    int rc = d->be->upload(d->bc, d->dctx, hctx, (size_t)d->W * d->Dc * sizeof(float));
    if (!rc)
        rc = ldm_unet_kv(&r, &d->net, d->dctx, kv);
    if (rc)
        return be_fail(d, rc, err, "context keys/values");
    return SC_OK;
}

static int ensure_uncond(ldm *d, sc_err *err)
{
    if (d->unc_ready)
        return SC_OK;
    build_uncond(d, d->hctx);
    int rc = set_context(d, d->hctx, d->kv_unc, err);
    if (!rc)
        d->unc_ready = 1;
    return rc;
}

/* ---- UNet evaluation ------------------------------------------------ */

/* The two guidance tails as a job of two pool tasks: each runs its op
 * sequence single-threaded (nested pool calls run inline, sc/pool.h), in
 * its own part of the arena.  At 2 threads this beats splitting every op
 * of each tail over both threads: the UNet's GEMMs are small (K 64..320)
 * and gain almost nothing from a second thread, while the two tails are
 * independent.  Every op plans its work by the pool size, not by who runs
 * it, so the bits are those of the sequential order. */
typedef struct tail_job {
    ldm *d;
    ldm_run r[2];
    const ldm_head *hd;
    const float *kv[2];
    float *out[2];
} tail_job;

static void tail_task(void *arg, int64_t b, int64_t e, int w)
{
    tail_job *j = arg;
    (void)w;
    for (int64_t i = b; i < e; i++)
        ldm_unet_tail(&j->r[i], &j->d->net, j->hd, j->d->embv, j->kv[i], j->out[i]);
}

/* v_u / v_c (either may be NULL) for x at the timestep whose ResBlock
 * projections are in d->embv. */
static int eval_pair(ldm *d, const float *x, float *vu, float *vc, sc_err *err)
{
    ldm_run r;
    ldm_head hd;
    run_init(d, &r, 0);
    if (vu && vc && d->share && d->pair) {
        ldm_unet_head(&r, &d->net, x, d->embv, &hd);
        tail_job j = {d, {r, r}, &hd, {d->kv_unc, d->kv_cnd}, {vu, vc}};
        j.r[1].off = r.off + d->tail_span;
        d->host->pool_for(d->host->pool, 2, tail_task, &j);
        r.rc = r.rc ? r.rc : j.r[0].rc ? j.r[0].rc : j.r[1].rc;
    } else if (vu && vc && d->share) {
        ldm_unet_head(&r, &d->net, x, d->embv, &hd);
        size_t mark = r.off;
        ldm_unet_tail(&r, &d->net, &hd, d->embv, d->kv_unc, vu);
        r.off = mark;
        ldm_unet_tail(&r, &d->net, &hd, d->embv, d->kv_cnd, vc);
    } else {
        if (vu) {
            ldm_unet_head(&r, &d->net, x, d->embv, &hd);
            ldm_unet_tail(&r, &d->net, &hd, d->embv, d->kv_unc, vu);
            r.off = 0;
        }
        if (vc) {
            ldm_unet_head(&r, &d->net, x, d->embv, &hd);
            ldm_unet_tail(&r, &d->net, &hd, d->embv, d->kv_cnd, vc);
        }
    }
    if (r.rc)
        return be_fail(d, r.rc, err, "the UNet");
    return SC_OK;
}

static int embed(ldm *d, float t, sc_err *err)
{
    ldm_run r;
    run_init(d, &r, 0);
    int rc = ldm_unet_embed(&r, &d->net, t, d->etmp, d->embv);
    return rc ? be_fail(d, rc, err, "the timestep embedding") : SC_OK;
}

static int dec_unet(void *self, const float *x, int t, const float *ctx, float *v, sc_err *err)
{
    ldm *d = self;
    const sc_host *h = d->host;
    int rc;
    if (t < 0 || t >= SC_DEC_TIMESTEPS)
        return h->err_set(err, SC_EARG, "decoder: timestep %d outside 0..999", t);
    if (ctx) {
        rc = set_context(d, ctx, d->kv_cnd, err);
    } else {
        rc = ensure_uncond(d, err);
    }
    if (rc)
        return rc;
    if ((rc = embed(d, t, err)))
        return rc;
    if ((rc = d->be->upload(d->bc, d->x, x, LAT * sizeof(float))))
        return be_fail(d, rc, err, "upload");
    if ((rc = eval_pair(d, d->x, ctx ? NULL : d->vu, ctx ? d->vc : NULL, err)))
        return rc;
    rc = d->be->download(d->bc, v, ctx ? d->vc : d->vu, LAT * sizeof(float));
    if (!rc)
        rc = d->be->sync(d->bc);
    return rc ? be_fail(d, rc, err, "download") : SC_OK;
}

/* ---- sampler -------------------------------------------------------- */

typedef struct step_coef {
    int t;
    float a, aprev, sigma, sqrt1ma;   /* as ddim_S*_step_coeffs */
} step_coef;

/* Coefficients of DDIM index i (0 = smallest t) exactly as
 * make_ddim_sampling_parameters computes them. */
static void ddim_coef(const ldm *d, const int *tau, int i, double eta, step_coef *c)
{
    float a = d->acp[tau[i]];
    float ap = i ? d->acp[tau[i - 1]] : d->acp[0];
    double apd = (double)ap;
    float rec = 1.0f / (1.0f - a);          /* tensor.__rtruediv__: float32 reciprocal */
    double s = eta * sqrt((double)rec * (1.0 - apd) * (1.0 - (double)a / apd));
    c->t = tau[i];
    c->a = a;
    c->aprev = ap;
    c->sigma = (float)s;
    c->sqrt1ma = sqrtf(1.0f - a);
}

static int steps_error(ldm *d, int steps, sc_err *err);

static int be_scale(ldm *d, const float *x, float a, float *y)
{
    return d->be->scale(d->bc, x, LAT, a, 0.0f, y);
}
static int be_bin(ldm *d, int op, const float *a, const float *b, float *y)
{
    return d->be->binary(d->bc, op, a, b, LAT, y);
}

/* The DPM-Solver samplers: plan (dpm.c), then run the program. */
static int dpm_loop(ldm *d, int have_cond, const sc_decoder_opts *o, float *latent, sc_err *err)
{
    const sc_host *h = d->host;
    if (!isfinite(o->cfg))
        return h->err_set(err, SC_EARG, "decoder: bad guidance %g", o->cfg);
    dpm_prog p;
    char why[160];
    int rc = dpm_plan(&d->sched, o->sampler == SC_DEC_DPMSOLVERPP, o->steps, o->order, o->method,
                      o->skip, o->cfg, &p, why, sizeof why);
    if (rc) {
        dpm_prog_free(&p);
        if (rc == -2)
            return h->err_set(err, SC_ENOMEM, "decoder: out of memory planning the sampler");
        return h->err_set(err, SC_EARG, "decoder: %s: %s", sc_decoder_sampler_names[o->sampler],
                          why);
    }
    const int need_u = o->cfg != 1.0, need_c = o->cfg != 0.0;
    if (need_u && (rc = ensure_uncond(d, err)))
        goto out;
    if (need_c && !have_cond) {
        rc = h->err_set(err, SC_EINTERNAL, "decoder: no conditioning");
        goto out;
    }
    float *hz = d->hlat[0], **R = d->reg;
    if (o->noise)
        memcpy(hz, o->noise, LAT * sizeof(float));
    else
        sc_noise_fill(o->seed, (uint32_t)o->window, 0, 0, hz, LAT);
    if ((rc = d->be->upload(d->bc, R[DPM_X], hz, LAT * sizeof(float)))) {
        rc = be_fail(d, rc, err, "upload");
        goto out;
    }
    int ev = 0;
    for (int i = 0; i < p.n && !rc; i++) {
        const dpm_op *op = &p.ops[i];
        switch (op->op) {
        case DPM_OP_EVAL:
            if (o->progress)
                o->progress(o->user, ev, p.nevals);
            ev++;
            if ((rc = embed(d, op->c, err)))
                goto out;
            if ((rc = eval_pair(d, R[op->a], op->flags & DPM_EVAL_U ? R[DPM_VU] : NULL,
                                op->flags & DPM_EVAL_C ? R[DPM_VC] : NULL, err)))
                goto out;
            break;
        case DPM_OP_SCALE:
            rc = be_scale(d, R[op->a], op->c, R[op->dst]);
            break;
        case DPM_OP_ADD:
            rc = be_bin(d, SC_BIN_ADD, R[op->a], R[op->b], R[op->dst]);
            break;
        case DPM_OP_SUB:
            rc = be_bin(d, SC_BIN_SUB, R[op->a], R[op->b], R[op->dst]);
            break;
        case DPM_OP_DIV:
            /* the reference divides; host memory can too, a device backend
             * multiplies by the float32 reciprocal (within an ulp) */
            if (d->be->host_memory) {
                if (!(rc = d->be->sync(d->bc))) {
                    const float *a = R[op->a];
                    float *y = R[op->dst], c = op->c;
                    for (int k = 0; k < LAT; k++)
                        y[k] = a[k] / c;
                }
            } else {
                rc = be_scale(d, R[op->a], 1.0f / op->c, R[op->dst]);
            }
            break;
        }
    }
    if (rc) {
        rc = be_fail(d, rc, err, "the DPM-Solver update");
        goto out;
    }
    rc = d->be->download(d->bc, latent, R[DPM_X], LAT * sizeof(float));
    rc = rc ? rc : d->be->sync(d->bc);
    if (rc)
        rc = be_fail(d, rc, err, "download");
out:
    dpm_prog_free(&p);
    return rc;
}

static int sample_loop(ldm *d, int have_cond, const sc_decoder_opts *o, float *latent,
                       sc_err *err)
{
    const sc_host *h = d->host;
    if (o->sampler != SC_DEC_DDIM)
        return dpm_loop(d, have_cond, o, latent, err);
    int tau[SC_DEC_TIMESTEPS];
    int n = sc_decoder_nsteps(o->steps, tau);
    if (n < 0)
        return steps_error(d, o->steps, err);
    if (!isfinite(o->cfg) || !isfinite(o->eta) || o->eta < 0)
        return h->err_set(err, SC_EARG, "decoder: bad guidance %g or eta %g", o->cfg, o->eta);
    const float g = (float)o->cfg;
    const int need_u = o->cfg != 1.0, need_c = o->cfg != 0.0;
    int rc;
    if (need_u && (rc = ensure_uncond(d, err)))
        return rc;
    if (need_c && !have_cond)
        return h->err_set(err, SC_EINTERNAL, "decoder: no conditioning");

    /* x_T */
    float *hz = d->hlat[0];
    if (o->noise)
        memcpy(hz, o->noise, LAT * sizeof(float));
    else
        sc_noise_fill(o->seed, (uint32_t)o->window, 0, 0, hz, LAT);
    if ((rc = d->be->upload(d->bc, d->x, hz, LAT * sizeof(float))))
        return be_fail(d, rc, err, "upload");

    for (int s = 0; s < n; s++) {
        int i = n - 1 - s;
        step_coef c;
        ddim_coef(d, tau, i, o->eta, &c);
        if (o->progress)
            o->progress(o->user, s, n);
        if ((rc = embed(d, c.t, err)))
            return rc;
        if ((rc = eval_pair(d, d->x, need_u ? d->vu : NULL, need_c ? d->vc : NULL, err)))
            return rc;
        const float *v;
        if (!need_u) {
            v = d->vc;
        } else if (!need_c) {
            v = d->vu;
        } else {
            /* e_t_uncond + g * (e_t - e_t_uncond) */
            rc = be_bin(d, SC_BIN_SUB, d->vc, d->vu, d->t1);
            rc = rc ? rc : be_scale(d, d->t1, g, d->t1);
            rc = rc ? rc : be_bin(d, SC_BIN_ADD, d->vu, d->t1, d->v);
            v = d->v;
        }
        const float sa = d->sqa[c.t], sb = d->sqb[c.t];
        /* e_t = sa v + sb x;  pred_x0 = sa x - sb v */
        rc = rc ? rc : be_scale(d, v, sa, d->t1);
        rc = rc ? rc : be_scale(d, d->x, sb, d->t2);
        rc = rc ? rc : be_bin(d, SC_BIN_ADD, d->t1, d->t2, d->e);
        rc = rc ? rc : be_scale(d, d->x, sa, d->t1);
        rc = rc ? rc : be_scale(d, v, sb, d->t2);
        rc = rc ? rc : be_bin(d, SC_BIN_SUB, d->t1, d->t2, d->x0);
        /* x_prev = (sqrt(a_prev) x0 + sqrt(1 - a_prev - sigma^2) e) + sigma z */
        const float c1 = sqrtf(c.aprev);
        const float c2 = sqrtf((1.0f - c.aprev) - c.sigma * c.sigma);
        if (o->noise)
            memcpy(hz, o->noise + (size_t)(1 + s) * LAT, LAT * sizeof(float));
        else
            sc_noise_fill(o->seed, (uint32_t)o->window, (uint32_t)(1 + s), 0, hz, LAT);
        rc = rc ? rc : d->be->upload(d->bc, d->z, hz, LAT * sizeof(float));
        rc = rc ? rc : be_scale(d, d->x0, c1, d->t1);
        rc = rc ? rc : be_scale(d, d->e, c2, d->t2);
        rc = rc ? rc : be_bin(d, SC_BIN_ADD, d->t1, d->t2, d->t1);
        rc = rc ? rc : be_scale(d, d->z, c.sigma, d->t2);
        rc = rc ? rc : be_bin(d, SC_BIN_ADD, d->t1, d->t2, d->x);
        if (rc)
            return be_fail(d, rc, err, "the DDIM update");
        if (o->trace) {
            float **hl = d->hlat;
            size_t nb = LAT * sizeof(float);
            rc = need_u ? d->be->download(d->bc, hl[1], d->vu, nb) : 0;
            rc = rc ? rc : need_c ? d->be->download(d->bc, hl[2], d->vc, nb) : 0;
            rc = rc ? rc : d->be->download(d->bc, hl[3], v, nb);
            rc = rc ? rc : d->be->download(d->bc, hl[4], d->x0, nb);
            rc = rc ? rc : d->be->download(d->bc, hl[5], d->x, nb);
            rc = rc ? rc : d->be->sync(d->bc);
            if (rc)
                return be_fail(d, rc, err, "download");
            rc = o->trace(o->user, s, n, c.t, need_u ? hl[1] : NULL, need_c ? hl[2] : NULL,
                          hl[3], hl[4], hl[5]);
            if (rc)
                return rc;
        }
    }
    rc = d->be->download(d->bc, latent, d->x, LAT * sizeof(float));
    rc = rc ? rc : d->be->sync(d->bc);
    return rc ? be_fail(d, rc, err, "download") : SC_OK;
}

static int steps_error(ldm *d, int steps, sc_err *err)
{
    if (steps < 1 || steps > SC_DEC_TIMESTEPS)
        return d->host->err_set(err, SC_EARG, "decoder: %d DDIM steps: must be 1..1000", steps);
    return d->host->err_set(err, SC_EARG,
                            "decoder: %d DDIM steps: the uniform schedule (stride 1000/%d = %d) "
                            "would need timestep 1000, which does not exist; choose another count",
                            steps, steps, 1000 / steps);
}

static int dec_schedule(void *self, int steps, double eta, int *t, float *coef, sc_err *err)
{
    ldm *d = self;
    int tau[SC_DEC_TIMESTEPS];
    int n = sc_decoder_nsteps(steps, tau);
    if (n < 0)
        return steps_error(d, steps, err);
    if (!isfinite(eta) || eta < 0)
        return d->host->err_set(err, SC_EARG, "decoder: bad eta %g", eta);
    for (int s = 0; s < n; s++) {
        step_coef c;
        ddim_coef(d, tau, n - 1 - s, eta, &c);
        if (t)
            t[s] = c.t;
        if (coef) {
            coef[4 * s] = c.a;
            coef[4 * s + 1] = c.aprev;
            coef[4 * s + 2] = c.sigma;
            coef[4 * s + 3] = c.sqrt1ma;
        }
    }
    return n;
}

/* The caller's options in this build's layout (members beyond its
 * struct_size take their defaults: DDIM). */
static int check_opts(ldm *d, const sc_decoder_opts *in, sc_decoder_opts *o, sc_err *err)
{
    if (!in || in->struct_size < offsetof(sc_decoder_opts, user) + sizeof(in->user))
        return d->host->err_set(err, SC_EARG, "decoder: options struct missing or too old");
    sc_decoder_opts_init(o);
    memcpy(o, in, in->struct_size < sizeof *o ? in->struct_size : sizeof *o);
    o->struct_size = sizeof *o;
    if (o->sampler < SC_DEC_DDIM || o->sampler > SC_DEC_DPMSOLVERPP)
        return d->host->err_set(err, SC_EARG, "decoder: unknown sampler %d", o->sampler);
    return SC_OK;
}

static int dec_sample_ctx(void *self, const float *ctx, const sc_decoder_opts *in,
                          float *latent, sc_err *err)
{
    ldm *d = self;
    sc_decoder_opts o;
    int rc = check_opts(d, in, &o, err);
    if (rc)
        return rc;
    if (o.cfg != 0.0 && (rc = set_context(d, ctx, d->kv_cnd, err)))
        return rc;
    return sample_loop(d, 1, &o, latent, err);
}

static int dec_sample(void *self, const int64_t *tokens, int T, const sc_decoder_opts *o,
                      float *latent, sc_err *err)
{
    ldm *d = self;
    sc_decoder_opts chk;
    int rc = check_opts(d, o, &chk, err);
    if (rc)
        return rc;
    if ((rc = build_cond(d, tokens, T, d->hctx, err)))
        return rc;
    return dec_sample_ctx(self, d->hctx, o, latent, err);
}

static int dec_conditioning(void *self, const int64_t *tokens, int T, float *ctx, sc_err *err)
{
    return build_cond(self, tokens, T, ctx, err);
}

static int dec_uncond(void *self, const int64_t *tokens, int T, float *ctx, sc_err *err)
{
    ldm *d = self;
    if (!tokens) {
        build_uncond(d, ctx);
        return SC_OK;
    }
    /* cond_features * 0.0, as the reference forms it */
    int rc = build_cond(d, tokens, T, ctx, err);
    if (rc)
        return rc;
    for (int r = 0; r < d->W; r++)
        for (int j = 0; j < 2 * d->fd; j++)
            ctx[(size_t)r * d->Dc + j] *= 0.0f;
    return SC_OK;
}

static void dec_dims(void *self, int *W, int *Dc)
{
    ldm *d = self;
    if (W)
        *W = d->W;
    if (Dc)
        *Dc = d->Dc;
}

/* ---- lifecycle ------------------------------------------------------ */

static const int64_t sched_shape[1] = {SC_DEC_TIMESTEPS};

static void sched(sc_walk *L, const float **acp, const float **sqa, const float **sqb)
{
    *acp = sc_walk_host(L, "alphas_cumprod", 1, sched_shape);
    *sqa = sc_walk_host(L, "sqrt_alphas_cumprod", 1, sched_shape);
    *sqb = sc_walk_host(L, "sqrt_one_minus_alphas_cumprod", 1, sched_shape);
}

static int dec_declare(const sc_model_info *model, void *dctx, sc_need_fn need)
{
    sc_walk L = sc_walk_declare(model, dctx, need);
    ldm_unet net;
    const float *a, *b, *c;
    sched(&L, &a, &b, &c);
    ldm_unet_build(&L, &net);
    ldm_unet_free(&net);
    return L.rc;
}

static void dec_destroy(void *self)
{
    ldm *d = self;
    if (!d)
        return;
    for (int i = 0; i < d->nallocs; i++)
        d->be->buf_free(d->bc, d->allocs[i]);
    ldm_unet_free(&d->net);
    free(d->pe);
    free(d->hctx);
    for (int i = 0; i < 6; i++)
        free(d->hlat[i]);
    free(d);
}

/* "key=value" items separated by commas or blanks; see stage_decoder.h. */
static int parse_options(ldm *d, const char *opt, sc_err *err)
{
    sc_opt o;
    while (sc_opt_next(&opt, &o)) {
        int *flag = sc_opt_is(&o, "share") ? &d->share : sc_opt_is(&o, "pair") ? &d->pair : NULL;
        long v;
        if (!flag || sc_opt_int(&o, 0, 1, &v) < 0 || o.vlen != 1)
            return d->host->err_set(err, SC_ECONFIG,
                                    "decoder: unknown option '%.*s' (known: share=0|1, pair=0|1)",
                                    o.ilen, o.item);
        *flag = (int)v;
    }
    return SC_OK;
}

static int dec_create(const sc_stage_env *env, void **self, sc_err *err)
{
    const sc_host *h = env->host;
    *self = NULL;
    ldm *d = calloc(1, sizeof *d);
    if (!d)
        return h->err_set(err, SC_ENOMEM, "decoder: out of memory");
    d->host = h;
    d->be = env->be;
    d->bc = env->be_ctx;
    d->model = *env->model;
    d->fd = env->model->fd;
    d->share = 1;
    /* side by side only where it helps: two threads exactly (with more, one
     * tail per thread would leave the rest idle), host memory (a device
     * backend queues ops on one stream) */
    d->pair = env->be->host_memory && h->pool && h->pool_size(h->pool) == 2;
    int rc = parse_options(d, env->options, err);
    if (!rc && d->pair && !env->be->host_memory)
        rc = h->err_set(err, SC_ECONFIG,
                        "decoder: pair=1 runs two op streams at once, which a device backend "
                        "does not take");
    if (rc) {
        free(d);
        return rc;
    }
    sc_walk L = sc_walk_load(env, err);
    sched(&L, &d->acp, &d->sqa, &d->sqb);
    if ((rc = ldm_unet_build(&L, &d->net))) {
        if (!err || !err->code)
            h->err_set(err, rc, "decoder: cannot build the UNet for token rate %d",
                       env->model->token_rate);
        goto fail;
    }
    d->W = d->net.W;
    d->Dc = d->net.Dc;
    int64_t sem_rows;
    const sc_tensor *ac = SC_HAS_MEMBER(env, env->struct_size, ac_codebook) ? env->ac_codebook
                                                                            : NULL;
    d->semcb = env->sem_codebook;
    d->accb = ac;
    if ((rc = check_cb(d, env->sem_codebook, "semantic", &sem_rows, err)))
        goto fail;
    if (sem_rows < d->model.sem_vocab) {
        rc = h->err_set(err, SC_EFORMAT, "decoder: semantic codebook has %lld rows, vocabulary %d",
                        (long long)sem_rows, d->model.sem_vocab);
        goto fail;
    }
    if ((rc = check_cb(d, ac, "acoustic (quantizer._codebook.embed of encoder.ckpt)",
                       &d->ac_rows, err)))
        goto fail;

    rc = SC_ENOMEM;
    d->pe = malloc((size_t)d->W * SC_DEC_PE_DIM * sizeof(float));
    d->hctx = malloc((size_t)d->W * d->Dc * sizeof(float));
    for (int i = 0; i < 6; i++)
        if (!(d->hlat[i] = malloc(LAT * sizeof(float))))
            goto nomem;
    if (!d->pe || !d->hctx)
        goto nomem;
    ldm_pe_table(d->W, d->pe);

    if (!(d->dctx = balloc(d, (size_t)d->W * d->Dc)) || !(d->kv_unc = balloc(d, d->net.kv_floats)) ||
        !(d->kv_cnd = balloc(d, d->net.kv_floats)) || !(d->etmp = balloc(d, 64 + 3 * 256)) ||
        !(d->embv = balloc(d, (size_t)d->net.emb_total)))
        goto nomem;
    float **lat[] = {&d->x, &d->vu, &d->vc, &d->v, &d->e, &d->x0, &d->z, &d->t1, &d->t2};
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++)
        if (!(*lat[i] = balloc(d, LAT)))
            goto nomem;
    d->reg[DPM_X] = d->x;
    d->reg[DPM_VU] = d->vu;
    d->reg[DPM_VC] = d->vc;
    for (int i = DPM_VC + 1; i < DPM_NREGS; i++)
        if (!(d->reg[i] = balloc(d, LAT)))
            goto nomem;
    dpm_sched_init(&d->sched, d->acp);
    /* size the activation arena by a dry run of the largest evaluation
     * (the shared head and one tail; nothing is computed); side by side,
     * the second tail gets its own span above the first */
    {
        ldm_run r;
        ldm_head hd;
        memset(&r, 0, sizeof r);
        r.measure = 1;
        ldm_unet_head(&r, &d->net, d->x, d->embv, &hd);
        size_t mark = r.off;
        ldm_unet_tail(&r, &d->net, &hd, d->embv, d->kv_unc, d->vu);
        d->tail_span = r.peak - mark;
        d->arena_cap = r.peak + (d->pair && d->share ? d->tail_span : 0);
    }
    if (!(d->arena = balloc(d, d->arena_cap)))
        goto nomem;
    h->log_msg(h->log, SC_LOG_DEBUG,
               "decoder: rate %d, context %dx%d, activations %.1f MB, K/V cache 2 x %.1f MB",
               d->model.token_rate, d->W, d->Dc, d->arena_cap * 4.0 / 1e6,
               d->net.kv_floats * 4.0 / 1e6);
    *self = d;
    return SC_OK;
nomem:
    rc = h->err_set(err, SC_ENOMEM, "decoder: out of memory for buffers");
fail:
    dec_destroy(d);
    return rc;
}

static const sc_decoder_vt ldm_vt = {
    .struct_size = sizeof(sc_decoder_vt),
    .declare = dec_declare,
    .create = dec_create,
    .destroy = dec_destroy,
    .dims = dec_dims,
    .conditioning = dec_conditioning,
    .uncond = dec_uncond,
    .unet = dec_unet,
    .sample = dec_sample,
    .sample_ctx = dec_sample_ctx,
    .schedule = dec_schedule,
    .samplers = 1u << SC_DEC_DDIM | 1u << SC_DEC_DPMSOLVER | 1u << SC_DEC_DPMSOLVERPP,
};

static const sc_plugin_info ldm_info = {
    .abi_version = SC_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(sc_plugin_info),
    .kind = SC_KIND_DECODER,
    .name = "ldm",
    .version = "0.2.0",
    .description = "latent-diffusion T-UNet decoder: DDIM and DPM-Solver(++), classifier-free "
                   "guidance, v-prediction",
    .vtable = &ldm_vt,
};

__attribute__((visibility("default"))) const sc_plugin_info *
sc_plugin_entry(const sc_host *host);
const sc_plugin_info *sc_plugin_entry(const sc_host *host)
{
    (void)host;
    return &ldm_info;
}
