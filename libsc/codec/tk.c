/* The tokenizer engine (see tokenize.h): bounded queue of fbank windows
 * from any number of inputs, run in batches through the semantic and
 * acoustic stages. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sc/stage_acoustic.h"
#include "sc/stage_semantic.h"
#include "tk.h"

#define WIN_FLOATS ((size_t)SC_SEM_FRAMES * SC_SEM_MELS)

struct sc_tk_job {
    int64_t tkeep, emitted;
    int64_t pushed, processed;     /* windows */
    int ended, finished, status;
    sc_err err;
    sc_tk_emit_fn emit;
    sc_tk_finish_fn finish;
    void *user;
};

struct sc_tk {
    const sc_semantic_vt *sem;
    void *semself;
    const sc_acoustic_vt *ac;
    void *acself;
    int batch, n, fd;
    float *fbank;          /* [batch][1024 * 128] */
    sc_tk_job **slot;      /* job of each queued window */
    int nq;
    float *u;              /* [batch][n][2 fd]: [Y | Es] side by side */
    int64_t *stok, *atok;  /* [batch][n] */
    int *cutoff;           /* [batch] */
    sc_tk_stats st;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

sc_tk *sc_tk_new(sc_session *s, int batch, sc_err *err)
{
    if (batch < 1)
        batch = 1;
    sc_stage *sem = sc_session_stage(s, SC_KIND_SEMANTIC, err);
    if (!sem)
        return NULL;
    sc_stage *ac = sc_session_stage(s, SC_KIND_ACOUSTIC, err);
    if (!ac)
        return NULL;
    const sc_semantic_vt *svt = sem->vt;
    const sc_acoustic_vt *avt = ac->vt;
    if (svt->struct_size < sizeof *svt || !svt->encode) {
        sc_err_set(err, SC_EABI, "%s: semantic plugin lacks encode()", sem->plugin->path);
        return NULL;
    }
    if (avt->struct_size < sizeof *avt || !avt->quantize) {
        sc_err_set(err, SC_EABI, "%s: acoustic plugin lacks quantize()", ac->plugin->path);
        return NULL;
    }
    const sc_model_info *m = sc_session_model(s);
    sc_tk *tk = calloc(1, sizeof *tk);
    if (!tk) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    tk->sem = svt;
    tk->semself = sem->self;
    tk->ac = avt;
    tk->acself = ac->self;
    tk->batch = batch;
    tk->n = 512 / m->K;
    tk->fd = m->fd;
    size_t rows = (size_t)batch * tk->n;
    tk->fbank = malloc(sizeof(float) * WIN_FLOATS * batch);
    tk->slot = calloc((size_t)batch, sizeof *tk->slot);
    tk->u = malloc(sizeof(float) * rows * 2 * tk->fd);
    tk->stok = malloc(sizeof(int64_t) * rows);
    tk->atok = malloc(sizeof(int64_t) * rows);
    tk->cutoff = malloc(sizeof(int) * batch);
    if (!tk->fbank || !tk->slot || !tk->u || !tk->stok || !tk->atok || !tk->cutoff) {
        sc_tk_free(tk);
        sc_err_set(err, SC_ENOMEM, "out of memory for %d windows in flight", batch);
        return NULL;
    }
    return tk;
}

void sc_tk_free(sc_tk *tk)
{
    if (!tk)
        return;
    free(tk->fbank);
    free(tk->slot);
    free(tk->u);
    free(tk->stok);
    free(tk->atok);
    free(tk->cutoff);
    free(tk);
}

const sc_tk_stats *sc_tk_get_stats(const sc_tk *tk)
{
    return &tk->st;
}

int sc_tk_window_tokens(const sc_tk *tk)
{
    return tk->n;
}

sc_tk_job *sc_tk_begin(sc_tk *tk, int64_t tkeep, sc_tk_emit_fn emit, sc_tk_finish_fn finish,
                       void *user, sc_err *err)
{
    (void)tk;
    sc_tk_job *j = calloc(1, sizeof *j);
    if (!j) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    j->tkeep = tkeep;
    j->emit = emit;
    j->finish = finish;
    j->user = user;
    return j;
}

static void job_fail(sc_tk_job *j, int status, const sc_err *err)
{
    if (j->finished)
        return;
    j->finished = 1;
    j->status = status;
    if (err)
        j->err = *err;
    if (j->finish)
        j->finish(j->user, status, &j->err);
}

/* Finish (and free) a job whose owner is done with it and whose windows
 * are all out. */
static void job_settle(sc_tk *tk, sc_tk_job *j)
{
    if (!j->ended)
        return;
    for (int i = 0; i < tk->nq; i++)
        if (tk->slot[i] == j)
            return;
    if (!j->finished) {
        if (j->tkeep >= 0 && j->emitted < j->tkeep) {
            sc_err e = {0};
            sc_err_set(&e, SC_EFORMAT,
                       "input ended after %lld windows, but its sample count needs %lld token "
                       "pairs", (long long)j->pushed, (long long)j->tkeep);
            job_fail(j, e.code, &e);
        } else {
            j->finished = 1;
            if (j->finish)
                j->finish(j->user, SC_OK, NULL);
        }
    }
    free(j);
}

static int run_batch(sc_tk *tk, sc_err *err)
{
    int B = tk->nq, n = tk->n, fd = tk->fd, rc;
    if (B == 0)
        return SC_OK;
    double t0 = now();
    rc = tk->sem->encode(tk->semself, B, tk->fbank, tk->u, 2 * fd, tk->stok, tk->u + fd, 2 * fd,
                         tk->cutoff, err);
    double t1 = now();
    if (rc == SC_OK)
        rc = tk->ac->quantize(tk->acself, B, tk->u, 2 * fd, tk->u + fd, 2 * fd, tk->cutoff,
                              tk->atok, NULL, err);
    double t2 = now();
    tk->st.semantic_s += t1 - t0;
    tk->st.acoustic_s += t2 - t1;
    tk->st.batches++;
    if (rc != SC_OK) {
        for (int i = 0; i < B; i++)
            job_fail(tk->slot[i], rc, err);
    } else {
        tk->st.windows += B;
        for (int i = 0; i < B; i++) {
            sc_tk_job *j = tk->slot[i];
            j->processed++;
            if (j->finished)
                continue;
            int64_t m = n;
            if (j->tkeep >= 0 && j->emitted + m > j->tkeep)
                m = j->tkeep - j->emitted;
            if (m <= 0)
                continue;
            sc_err e = {0};
            int r = j->emit(j->user, tk->stok + (size_t)i * n, tk->atok + (size_t)i * n, m, &e);
            if (r != SC_OK)
                job_fail(j, r, &e);
            else
                j->emitted += m;
        }
    }
    /* settle each distinct job once, after the queue is empty */
    sc_tk_job *jobs[64], **js = B <= 64 ? jobs : malloc(sizeof *js * B);
    int nj = 0;
    if (js)
        for (int i = 0; i < B; i++) {
            int seen = 0;
            for (int k = 0; k < nj && !seen; k++)
                seen = js[k] == tk->slot[i];
            if (!seen)
                js[nj++] = tk->slot[i];
        }
    tk->nq = 0;
    for (int k = 0; k < nj; k++)
        job_settle(tk, js[k]);
    if (js != jobs)
        free(js);
    return rc;
}

int sc_tk_push(sc_tk *tk, sc_tk_job *job, const float *window, sc_err *err)
{
    if (job->finished)
        return sc_err_set(err, job->status ? job->status : SC_EINTERNAL, "%s",
                          job->err.msg[0] ? job->err.msg : "input already finished");
    if (job->ended)
        return sc_err_set(err, SC_EINTERNAL, "window pushed after the end of its input");
    int rc = SC_OK;
    if (tk->nq == tk->batch && (rc = run_batch(tk, err)) != SC_OK)
        return rc;
    memcpy(tk->fbank + WIN_FLOATS * tk->nq, window, sizeof(float) * WIN_FLOATS);
    tk->slot[tk->nq++] = job;
    job->pushed++;
    return SC_OK;
}

int sc_tk_end(sc_tk *tk, sc_tk_job *job, sc_err *err)
{
    (void)err;
    job->ended = 1;
    job_settle(tk, job);
    return SC_OK;
}

void sc_tk_cancel(sc_tk *tk, sc_tk_job *job, int status, const sc_err *err)
{
    int k = 0;
    for (int i = 0; i < tk->nq; i++)
        if (tk->slot[i] != job) {
            if (k != i)
                memcpy(tk->fbank + WIN_FLOATS * k, tk->fbank + WIN_FLOATS * i,
                       sizeof(float) * WIN_FLOATS);
            tk->slot[k++] = tk->slot[i];
        }
    tk->nq = k;
    job_fail(job, status, err);
    job->ended = 1;
    job_settle(tk, job);
}

int sc_tk_flush(sc_tk *tk, sc_err *err)
{
    return run_batch(tk, err);
}

void sc_tk_discard(sc_tk *tk)
{
    sc_err e = {0};
    sc_err_set(&e, SC_EARG, "discarded");
    while (tk->nq)
        sc_tk_cancel(tk, tk->slot[0], SC_EARG, &e);
}
