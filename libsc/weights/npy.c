/* libsc/weights/npy.c - NumPy .npy read (mapped, in place) and write (atomic).
 *
 * The header dict is parsed by a strict little grammar rather than a
 * Python-literal evaluator: exactly the keys 'descr', 'fortran_order' and
 * 'shape', each once, with the value forms numpy writes.  Anything else is
 * an error naming the file, so a hostile header can only be refused.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sc/mmap.h"
#include "sc/npy.h"
#include "sc/util.h"

static const struct {
    const char *descr;      /* as written */
    sc_dtype dtype;
} npy_types[] = {
    {"<f4", SC_F32}, {"<f2", SC_F16}, {"<f8", SC_F64}, {"<i8", SC_I64}, {"<i4", SC_I32},
    {"<i2", SC_I16}, {"|i1", SC_I8},  {"|u1", SC_U8},  {"|b1", SC_BOOL},
    {"<u2", SC_BF16},   /* bfloat16 travels as its raw 16 bits */
};

/* ---- header parsing ----------------------------------------------------- */

typedef struct hp {
    const char *p, *end;
} hp;

static void ws(hp *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t'))
        h->p++;
}

static int lit(hp *h, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(h->end - h->p) >= n && memcmp(h->p, s, n) == 0) {
        h->p += n;
        return 1;
    }
    return 0;
}

/* A quoted Python string without escapes, into buf. */
static int quoted(hp *h, char *buf, size_t n)
{
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
        return -1;
    char q = *h->p++;
    size_t j = 0;
    while (h->p < h->end && *h->p != q) {
        if (*h->p == '\\' || j + 1 >= n)
            return -1;
        buf[j++] = *h->p++;
    }
    if (h->p >= h->end)
        return -1;
    h->p++;
    buf[j] = 0;
    return 0;
}

static int dim(hp *h, int64_t *v)
{
    int64_t x = 0;
    const char *s = h->p;
    while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
        if (x > (INT64_MAX - 9) / 10)
            return -2;
        x = x * 10 + (*h->p++ - '0');
    }
    if (h->p == s)
        return -1;
    *v = x;
    return 0;
}

static int parse_header(const char *name, const char *text, size_t len, sc_dtype *dtype,
                        int *ndim, int64_t *shape, sc_err *err)
{
    hp h = {text, text + len};
    int have_descr = 0, have_fo = 0, have_shape = 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] >= 0x80 || (text[i] < 0x20 && text[i] != '\n' && text[i] != '\t'))
            return sc_err_set(err, SC_EFORMAT, "%s: npy header has non-ASCII bytes", name);
    ws(&h);
    if (!lit(&h, "{"))
        return sc_err_set(err, SC_EFORMAT, "%s: npy header is not a dict", name);
    for (;;) {
        char key[32], val[32];
        ws(&h);
        if (lit(&h, "}"))
            break;
        if (quoted(&h, key, sizeof key) < 0)
            return sc_err_set(err, SC_EFORMAT, "%s: npy header: bad key", name);
        ws(&h);
        if (!lit(&h, ":"))
            return sc_err_set(err, SC_EFORMAT, "%s: npy header: missing ':' after '%s'", name, key);
        ws(&h);
        if (!strcmp(key, "descr")) {
            if (have_descr++)
                return sc_err_set(err, SC_EFORMAT, "%s: npy header: duplicate 'descr'", name);
            if (quoted(&h, val, sizeof val) < 0)
                return sc_err_set(err, SC_EUNSUPPORTED,
                                  "%s: npy header: unsupported 'descr' (structured or malformed)",
                                  name);
            /* Byte order: '<' and '=' are ours; '|' only means something for 1-byte types. */
            char o = val[0];
            int found = 0;
            if (o && val[1] && val[2] && !val[3]) {
                int one = val[2] == '1';
                if (o == '>' && !one)
                    return sc_err_set(err, SC_EUNSUPPORTED,
                                      "%s: big-endian dtype '%s' is not supported", name, val);
                if ((one && (o == '<' || o == '=' || o == '|' || o == '>')) ||
                    (!one && (o == '<' || o == '='))) {
                    for (size_t k = 0; k < sizeof npy_types / sizeof npy_types[0]; k++)
                        if (!strcmp(npy_types[k].descr + 1, val + 1)) {
                            *dtype = npy_types[k].dtype;
                            found = 1;
                        }
                }
            }
            if (!found)
                return sc_err_set(err, SC_EUNSUPPORTED, "%s: unsupported npy dtype '%s'", name, val);
        } else if (!strcmp(key, "fortran_order")) {
            if (have_fo++)
                return sc_err_set(err, SC_EFORMAT, "%s: npy header: duplicate 'fortran_order'", name);
            if (lit(&h, "True"))
                return sc_err_set(err, SC_EUNSUPPORTED,
                                  "%s: fortran_order arrays are not supported", name);
            if (!lit(&h, "False"))
                return sc_err_set(err, SC_EFORMAT, "%s: npy header: bad 'fortran_order'", name);
        } else if (!strcmp(key, "shape")) {
            if (have_shape++)
                return sc_err_set(err, SC_EFORMAT, "%s: npy header: duplicate 'shape'", name);
            if (!lit(&h, "("))
                return sc_err_set(err, SC_EFORMAT, "%s: npy header: 'shape' is not a tuple", name);
            int n = 0, comma = 0;
            for (;;) {
                ws(&h);
                if (lit(&h, ")"))
                    break;
                if (n && !comma)
                    return sc_err_set(err, SC_EFORMAT, "%s: npy header: bad 'shape'", name);
                if (n == SC_MAX_DIMS)
                    return sc_err_set(err, SC_EUNSUPPORTED, "%s: more than %d dimensions", name,
                                      SC_MAX_DIMS);
                int rc = dim(&h, &shape[n]);
                if (rc == -2)
                    return sc_err_set(err, SC_ERANGE, "%s: npy shape value out of range", name);
                if (rc < 0)
                    return sc_err_set(err, SC_EFORMAT, "%s: npy header: bad 'shape'", name);
                n++;
                ws(&h);
                comma = lit(&h, ",");
            }
            if (n == 1 && !comma)   /* "(3)" is an int in Python, not a tuple */
                return sc_err_set(err, SC_EFORMAT, "%s: npy header: 'shape' is not a tuple", name);
            *ndim = n;
        } else {
            return sc_err_set(err, SC_EFORMAT, "%s: npy header: unexpected key '%s'", name, key);
        }
        ws(&h);
        if (lit(&h, ","))
            continue;
        ws(&h);
        if (lit(&h, "}"))
            break;
        return sc_err_set(err, SC_EFORMAT, "%s: npy header: expected ',' or '}'", name);
    }
    if (!have_descr || !have_fo || !have_shape)
        return sc_err_set(err, SC_EFORMAT, "%s: npy header lacks '%s'", name,
                          !have_descr ? "descr" : !have_fo ? "fortran_order" : "shape");
    while (h.p < h.end && (*h.p == ' ' || *h.p == '\t' || *h.p == '\n'))
        h.p++;
    if (h.p != h.end || len == 0 || text[len - 1] != '\n')
        return sc_err_set(err, SC_EFORMAT, "%s: npy header: junk after the dict", name);
    return SC_OK;
}

int sc_npy_parse(const void *data, size_t size, const char *name, sc_tensor *out, sc_err *err)
{
    const unsigned char *d = (const unsigned char *)data;
    if (!name)
        name = "(npy)";
    memset(out, 0, sizeof *out);
    if (!d || size < 10 || memcmp(d, "\x93NUMPY", 6) != 0)
        return sc_err_set(err, SC_EFORMAT, "%s: not a .npy file (bad magic)", name);
    unsigned major = d[6], minor = d[7];
    size_t hstart, hlen;
    if (major == 1 && minor == 0) {
        hstart = 10;
        hlen = (size_t)d[8] | (size_t)d[9] << 8;
    } else if ((major == 2 || major == 3) && minor == 0) {
        if (size < 12)
            return sc_err_set(err, SC_EFORMAT, "%s: truncated npy header", name);
        hstart = 12;
        hlen = (size_t)d[8] | (size_t)d[9] << 8 | (size_t)d[10] << 16 | (size_t)d[11] << 24;
    } else {
        return sc_err_set(err, SC_EUNSUPPORTED, "%s: npy format version %u.%u is not supported",
                          name, major, minor);
    }
    if (hlen > size - hstart)
        return sc_err_set(err, SC_EFORMAT, "%s: truncated npy header (%zu bytes, file has %zu)",
                          name, hlen, size - hstart);
    sc_dtype dtype = SC_F32;
    int ndim = 0;
    int64_t shape[SC_MAX_DIMS];
    int rc = parse_header(name, (const char *)d + hstart, hlen, &dtype, &ndim, shape, err);
    if (rc < 0)
        return rc;
    uint64_t numel = 1, es = sc_dtype_size(dtype);
    for (int i = 0; i < ndim; i++)
        if (__builtin_mul_overflow(numel, (uint64_t)shape[i], &numel) || numel > (uint64_t)INT64_MAX)
            return sc_err_set(err, SC_ERANGE, "%s: npy shape overflows", name);
    uint64_t nbytes;
    if (__builtin_mul_overflow(numel, es, &nbytes))
        return sc_err_set(err, SC_ERANGE, "%s: npy shape overflows", name);
    size_t off = hstart + hlen;
    if (nbytes > size - off)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: header promises %llu bytes of data, the file has %zu (truncated "
                          "or lying header)",
                          name, (unsigned long long)nbytes, size - off);
    out->dtype = dtype;
    out->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        out->shape[i] = shape[i];
    sc_tensor_set_contiguous(out);
    out->offset = 0;
    out->data = (void *)(d + off);
    out->storage = NULL;
    return SC_OK;
}

static void sub_release(sc_storage *s)
{
    sc_storage_release((sc_storage *)s->ctx);
    free(s);
}

int sc_npy_load(const char *path, sc_tensor *out, sc_err *err)
{
    memset(out, 0, sizeof *out);
    sc_mapfile *mf = sc_mapfile_open(path, err);
    if (!mf)
        return err ? err->code : SC_EIO;
    int rc = sc_npy_parse(mf->data, mf->size, path, out, err);
    if (rc >= 0) {
        sc_storage *s = (sc_storage *)calloc(1, sizeof *s);
        if (!s) {
            rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
        } else {
            /* One storage for the array bytes, holding the mapping alive. */
            s->refcount = 1;
            s->base = out->data;
            s->nbytes = (size_t)sc_tensor_numel(out) * sc_dtype_size(out->dtype);
            s->release = sub_release;
            s->ctx = mf->storage;
            sc_storage_retain(mf->storage);
            out->storage = s;
        }
    }
    if (rc < 0)
        memset(out, 0, sizeof *out);
    sc_mapfile_close(mf);
    return rc;
}

/* ---- writing ------------------------------------------------------------ */

static const char *descr_of(sc_dtype t)
{
    for (size_t k = 0; k < sizeof npy_types / sizeof npy_types[0]; k++)
        if (npy_types[k].dtype == t)
            return npy_types[k].descr;
    return NULL;
}

int sc_npy_write_header(FILE *f, sc_dtype dtype, int ndim, const int64_t *shape,
                        const char *name, sc_err *err)
{
    if (!name)
        name = "(npy)";
    const char *descr = descr_of(dtype);
    if (!descr)
        return sc_err_set(err, SC_EARG, "%s: dtype %d cannot be written to npy", name, (int)dtype);
    if (ndim < 0 || ndim > SC_MAX_DIMS || (ndim && !shape))
        return sc_err_set(err, SC_EARG, "%s: bad rank %d", name, ndim);
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return sc_err_set(err, SC_EARG, "%s: negative dimension", name);
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld", i ? ", " : "",
                      (long long)shape[i]);
    }
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", ndim == 1 ? "," : "");
    /* magic(6) + version(2) + length(2) + dict + padding + '\n' = k * 64 */
    size_t total = 10 + (size_t)n + 1;
    total = (total + 63) / 64 * 64;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    size_t hlen = total - 10;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);
    char pad[128];
    size_t npad = hlen - (size_t)n - 1;
    memset(pad, ' ', npad);
    pad[npad] = '\n';
    if (fwrite(pre, 1, 10, f) != 10 || fwrite(dict, 1, (size_t)n, f) != (size_t)n ||
        fwrite(pad, 1, npad + 1, f) != npad + 1)
        return sc_err_set(err, SC_EIO, "%s: write failed: %s", name, strerror(errno));
    return (int)total;
}

int sc_npy_write(FILE *f, const sc_tensor *t, const char *name, sc_err *err)
{
    if (!name)
        name = "(npy)";
    int rc = sc_npy_write_header(f, t->dtype, t->ndim, t->shape, name, err);
    if (rc < 0)
        return rc;
    int64_t n = sc_tensor_numel(t);
    size_t es = sc_dtype_size(t->dtype);
    if (n <= 0)
        return SC_OK;
    if (!t->data)
        return sc_err_set(err, SC_EARG, "%s: tensor has no data", name);
    if (sc_tensor_is_contiguous(t)) {
        if (fwrite(t->data, es, (size_t)n, f) != (size_t)n)
            return sc_err_set(err, SC_EIO, "%s: write failed: %s", name, strerror(errno));
        return SC_OK;
    }
    /* Strided: gather C-order into a buffer. */
    unsigned char buf[1 << 16];
    size_t used = 0;
    int64_t idx[SC_MAX_DIMS] = {0};
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int d = 0; d < t->ndim; d++)
            off += idx[d] * t->stride[d];
        memcpy(buf + used, (const unsigned char *)t->data + off * (int64_t)es, es);
        used += es;
        if (used + es > sizeof buf || i == n - 1) {
            if (fwrite(buf, 1, used, f) != used)
                return sc_err_set(err, SC_EIO, "%s: write failed: %s", name, strerror(errno));
            used = 0;
        }
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d])
                break;
            idx[d] = 0;
        }
    }
    return SC_OK;
}

int sc_npy_save(const char *path, const sc_tensor *t, sc_err *err)
{
    if (!strcmp(path, "-")) {
        int rc = sc_npy_write(stdout, t, "(stdout)", err);
        if (rc >= 0 && fflush(stdout) != 0)
            rc = sc_err_set(err, SC_EIO, "(stdout): write failed: %s", strerror(errno));
        return rc < 0 ? rc : SC_OK;
    }
    size_t len = strlen(path);
    char *tmp = (char *)malloc(len + 12);
    if (!tmp)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return sc_err_set(err, SC_EIO, "%s: cannot create: %s", path, strerror(e));
    }
    sc_tmp_track(tmp);
    fchmod(fd, 0644);   /* mkstemp's 0600 is wrong for a data file */
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        sc_tmp_untrack(tmp);
        free(tmp);
        return sc_err_set(err, SC_EIO, "%s: %s", path, strerror(e));
    }
    int rc = sc_npy_write(f, t, path, err);
    if (rc >= 0 && (fflush(f) != 0 || ferror(f)))
        rc = sc_err_set(err, SC_EIO, "%s: write failed: %s", path, strerror(errno));
    if (fclose(f) != 0 && rc >= 0)
        rc = sc_err_set(err, SC_EIO, "%s: write failed: %s", path, strerror(errno));
    if (rc >= 0 && rename(tmp, path) != 0)
        rc = sc_err_set(err, SC_EIO, "%s: rename: %s", path, strerror(errno));
    if (rc < 0)
        unlink(tmp);
    sc_tmp_untrack(tmp);
    free(tmp);
    return rc < 0 ? rc : SC_OK;
}
