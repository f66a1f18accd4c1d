/* libsc/dsp/ola.c - decode windows, streaming overlap-add, trim (sc/ola.h).
 *
 * Every float expression here mirrors a numpy/Python one of the reference
 * step by step; products are stored before they are added so no FMA can
 * contract them (the trim and the fades are checked bit for bit).
 */
#include <stdlib.h>
#include <string.h>
#include "sc/ola.h"

int sc_ola_window_tokens(int K)
{
    return K > 0 ? 512 / K : 0;
}

int sc_ola_window_overlap(int K)
{
    /* int(W * 0.0625): W is a power of two here, so the product is exact. */
    return (int)((double)sc_ola_window_tokens(K) * 0.0625);
}

int64_t sc_ola_window_count(int64_t T, int K)
{
    int64_t W = sc_ola_window_tokens(K), st = W - sc_ola_window_overlap(K);
    if (T <= 0 || W <= 0)
        return 0;
    if (T <= W)
        return 1;
    /* while start + W < T: start += st; then one remainder window. */
    return 1 + (T - W + st - 1) / st;
}

void sc_ola_window(int64_t T, int K, int64_t w, int64_t *start, int64_t *ntok)
{
    int64_t W = sc_ola_window_tokens(K), st = W - sc_ola_window_overlap(K);
    int64_t s = w * st, n = T - s;
    if (n > W)
        n = W;
    if (n < 0)
        n = 0;
    *start = s;
    *ntok = n;
}

int64_t sc_ola_trim(int64_t T, int K)
{
    volatile double td = (double)T / 8.0;
    td = td * 16.0;
    td = td * 0.01;
    td = td * (double)K;
    volatile double samples = td * 16000.0;
    return (int64_t)samples;
}

int64_t sc_ola_untrimmed(int64_t windows)
{
    return windows > 0 ? SC_OLA_WIN + (windows - 1) * (int64_t)SC_OLA_STEP : 0;
}

int sc_ola_init(sc_ola *o, sc_ola_emit_fn emit, void *user, sc_err *err)
{
    memset(o, 0, sizeof *o);
    o->emit = emit;
    o->user = user;
    o->length = -1;
    o->fade_in = malloc(SC_OLA_OVERLAP * sizeof(double));
    o->fade_out = malloc(SC_OLA_OVERLAP * sizeof(double));
    o->tail = malloc(SC_OLA_OVERLAP * sizeof(float));
    if (!o->fade_in || !o->fade_out || !o->tail) {
        sc_ola_free(o);
        return sc_err_set(err, SC_ENOMEM, "overlap-add: out of memory");
    }
    /* np.linspace(start, stop, n): step = (stop - start) / (n - 1);
     * y = arange(n) * step; y += start; y[-1] = stop. */
    const double div = SC_OLA_OVERLAP - 1;
    const double step_in = 1.0 / div, step_out = -1.0 / div;
    for (int i = 0; i < SC_OLA_OVERLAP; i++) {
        volatile double a = (double)i * step_in;
        volatile double b = (double)i * step_out;
        o->fade_in[i] = a + 0.0;
        o->fade_out[i] = b + 1.0;
    }
    o->fade_in[SC_OLA_OVERLAP - 1] = 1.0;
    o->fade_out[SC_OLA_OVERLAP - 1] = 0.0;
    return SC_OK;
}

void sc_ola_free(sc_ola *o)
{
    free(o->fade_in);
    free(o->fade_out);
    free(o->tail);
    free(o->hold);
    memset(o, 0, sizeof *o);
    o->length = -1;
}

static int emit(sc_ola *o, const float *p, size_t n, sc_err *err)
{
    if (!n)
        return SC_OK;
    int rc = o->emit ? o->emit(o->user, p, n, err) : SC_OK;
    if (rc)
        return rc;
    o->emitted += (int64_t)n;
    return SC_OK;
}

static int hold_append(sc_ola *o, const float *p, size_t n, sc_err *err)
{
    if (!n)
        return SC_OK;   /* o->hold may still be NULL: no pointer arithmetic on it */
    if (o->nhold + n > o->hold_cap) {
        size_t cap = o->hold_cap ? o->hold_cap : 4096;
        while (cap < o->nhold + n)
            cap *= 2;
        float *h = realloc(o->hold, cap * sizeof(float));
        if (!h)
            return sc_err_set(err, SC_ENOMEM, "overlap-add: out of memory");
        o->hold = h;
        o->hold_cap = cap;
    }
    memcpy(o->hold + o->nhold, p, n * sizeof(float));
    o->nhold += n;
    return SC_OK;
}

/* Emit held samples up to `limit` total; drop=1 discards the rest. */
static int flush_hold(sc_ola *o, int64_t limit, int drop, sc_err *err)
{
    if (!o->nhold)
        return SC_OK;
    int64_t room = limit - o->emitted;
    size_t k = room <= 0 ? 0 : (size_t)room < o->nhold ? (size_t)room : o->nhold;
    int rc = emit(o, o->hold, k, err);
    if (rc)
        return rc;
    if (drop) {
        o->nhold = 0;
    } else {
        memmove(o->hold, o->hold + k, (o->nhold - k) * sizeof(float));
        o->nhold -= k;
    }
    return SC_OK;
}

/* Settled samples in output order. */
static int deliver(sc_ola *o, const float *p, size_t n, sc_err *err)
{
    if (o->length >= 0) {
        int64_t room = o->length - o->emitted;
        size_t k = room <= 0 ? 0 : (size_t)room < n ? (size_t)room : n;
        return emit(o, p, k, err);
    }
    size_t k = 0;
    if (!o->nhold) {
        int64_t room = o->min_length - o->emitted;
        k = room <= 0 ? 0 : (size_t)room < n ? (size_t)room : n;
        int rc = emit(o, p, k, err);
        if (rc)
            return rc;
    }
    return hold_append(o, p + k, n - k, err);
}

int sc_ola_set_length(sc_ola *o, int64_t n, sc_err *err)
{
    if (n < o->emitted)
        return sc_err_set(err, SC_ERANGE,
                          "overlap-add: length %lld is below the %lld samples already written",
                          (long long)n, (long long)o->emitted);
    o->length = n;
    return flush_hold(o, n, 1, err);
}

int sc_ola_set_min_length(sc_ola *o, int64_t n, sc_err *err)
{
    if (n <= o->min_length)
        return SC_OK;
    o->min_length = n;
    if (o->length >= 0)
        return SC_OK;
    return flush_hold(o, n, 0, err);
}

int sc_ola_push(sc_ola *o, float *wave, sc_err *err)
{
    if (o->finished)
        return sc_err_set(err, SC_EINTERNAL, "overlap-add: push after finish");
    size_t start = 0;
    int rc;
    if (o->windows > 0) {
        /* waveform[..., :overlap] *= fade_in  (float64 product, stored float32) */
        for (int i = 0; i < SC_OLA_OVERLAP; i++)
            wave[i] = (float)((double)wave[i] * o->fade_in[i]);
        /* output[..., -overlap:] *= fade_out; output[..., -overlap:] += head */
        for (int i = 0; i < SC_OLA_OVERLAP; i++) {
            float t = (float)((double)o->tail[i] * o->fade_out[i]);
            o->tail[i] = t + wave[i];
        }
        if ((rc = deliver(o, o->tail, SC_OLA_OVERLAP, err)))
            return rc;
        start = SC_OLA_OVERLAP;
    }
    if ((rc = deliver(o, wave + start, SC_OLA_WIN - SC_OLA_OVERLAP - start, err)))
        return rc;
    memcpy(o->tail, wave + SC_OLA_WIN - SC_OLA_OVERLAP, SC_OLA_OVERLAP * sizeof(float));
    o->windows++;
    return SC_OK;
}

int sc_ola_finish(sc_ola *o, sc_err *err)
{
    int rc;
    if (o->finished)
        return SC_OK;
    o->finished = 1;
    if (o->windows > 0 && (rc = deliver(o, o->tail, SC_OLA_OVERLAP, err)))
        return rc;
    if (o->length < 0)
        return flush_hold(o, INT64_MAX, 1, err);
    if (o->emitted < o->length)
        return sc_err_set(err, SC_ERANGE,
                          "overlap-add: %lld samples requested but only %lld decoded",
                          (long long)o->length, (long long)o->emitted);
    return SC_OK;
}
