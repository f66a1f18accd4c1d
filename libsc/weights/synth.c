/* Synthetic weights: manifests, codebooks, the weights source and the
 * model writers (see sc/synth.h).  The rule itself is in synth_rule.c, the
 * zip/pickle writer in zipwrite.c and picklewrite.c. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc/npy.h"
#include "sc/synth.h"

#ifndef SC_SYNTHDIR
#define SC_SYNTHDIR "/usr/local/share/sc/synth"
#endif

const char *sc_synth_default_dir(void)
{
    const char *e = getenv("SC_SYNTH_DIR");
    return e && *e ? e : SC_SYNTHDIR;
}

/* ---- reading small text files ------------------------------------------ */

static char *slurp(const char *path, size_t *len, sc_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        sc_err_set(err, e == ENOENT ? SC_ENOTFOUND : SC_EIO, "%s: %s", path, strerror(e));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        if (cap >= ((size_t)64 << 20)) {
            sc_err_set(err, SC_EFORMAT, "%s: file too large for a manifest", path);
            free(buf);
            fclose(f);
            return NULL;
        }
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else {
            buf = nb;
        }
    }
    if (!buf) {
        fclose(f);
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    if (ferror(f)) {
        sc_err_set(err, SC_EIO, "%s: read error: %s", path, strerror(errno));
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Split text in place into lines; calls fn(line, lineno) for each.  A
 * final line without newline counts; a NUL byte or CR is an error. */
typedef int (*line_fn)(void *ctx, char *line, int lineno, sc_err *err);

static int each_line(char *text, size_t len, const char *path, line_fn fn, void *ctx,
                     sc_err *err)
{
    if (memchr(text, '\0', len))
        return sc_err_set(err, SC_EFORMAT, "%s: NUL byte in text file", path);
    char *p = text, *end = text + len;
    int lineno = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        *le = '\0';
        lineno++;
        if (memchr(p, '\r', (size_t)(le - p)))
            return sc_err_set(err, SC_EFORMAT, "%s:%d: carriage return in line", path, lineno);
        int rc = fn(ctx, p, lineno, err);
        if (rc < 0)
            return rc;
        p = le + 1;
    }
    return SC_OK;
}

/* Split line at TABs into exactly n fields. */
static int split_tabs(char *line, char **f, int n)
{
    int k = 0;
    f[k++] = line;
    for (char *p = line; *p; p++)
        if (*p == '\t') {
            if (k == n)
                return k + 1;
            *p = '\0';
            f[k++] = p + 1;
        }
    return k;
}

/* Strict decimal number (strtod over the whole field, finite). */
static int parse_double(const char *s, double *out)
{
    if (!*s || *s == ' ' || *s == '\t')
        return -1;
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (*e || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_i64(const char *s, int64_t *out)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (!*p)
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (*e || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

/* Unsigned decimal, no sign, no leading zeros (except "0"). */
static int parse_dim(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_shape(const char *s, int *ndim, int64_t *shape)
{
    if (!strcmp(s, "scalar")) {
        *ndim = 0;
        return 0;
    }
    int d = 0;
    const char *p = s;
    for (;;) {
        const char *x = strchr(p, 'x');
        size_t n = x ? (size_t)(x - p) : strlen(p);
        if (d == SC_MAX_DIMS || parse_dim(p, n, &shape[d]) < 0)
            return -1;
        d++;
        if (!x)
            break;
        p = x + 1;
    }
    *ndim = d;
    return 0;
}

static int canonical_dtype(const char *s, sc_dtype *t)
{
    for (int i = 0; i < SC_DTYPE_COUNT; i++)
        if (!strcmp(s, sc_dtype_name((sc_dtype)i))) {
            *t = (sc_dtype)i;
            return 0;
        }
    return -1;
}

static int is_float_dtype(sc_dtype t)
{
    return t == SC_F32 || t == SC_F16 || t == SC_BF16 || t == SC_F64;
}

/* One element of dtype t holding the literal. */
static int parse_literal(const char *s, sc_dtype t, unsigned char *out)
{
    double d;
    int64_t i;
    memset(out, 0, 8);
    switch (t) {
    case SC_F32: {
        if (parse_double(s, &d) < 0)
            return -1;
        float f = (float)d;
        memcpy(out, &f, 4);
        return 0;
    }
    case SC_F64:
        if (parse_double(s, &d) < 0)
            return -1;
        memcpy(out, &d, 8);
        return 0;
    case SC_F16:
    case SC_BF16: {
        if (parse_double(s, &d) < 0)
            return -1;
        uint16_t h = t == SC_F16 ? sc_f32_to_f16((float)d) : sc_f32_to_bf16((float)d);
        memcpy(out, &h, 2);
        return 0;
    }
    case SC_BOOL:
        if (!strcmp(s, "1") || !strcmp(s, "True") || !strcmp(s, "true"))
            out[0] = 1;
        else if (!(!strcmp(s, "0") || !strcmp(s, "False") || !strcmp(s, "false")))
            return -1;
        return 0;
    default:
        break;
    }
    if (parse_i64(s, &i) < 0)
        return -1;
    switch (t) {
    case SC_I64:
        memcpy(out, &i, 8);
        return 0;
    case SC_I32: {
        if (i < INT32_MIN || i > INT32_MAX)
            return -1;
        int32_t v = (int32_t)i;
        memcpy(out, &v, 4);
        return 0;
    }
    case SC_I16: {
        if (i < INT16_MIN || i > INT16_MAX)
            return -1;
        int16_t v = (int16_t)i;
        memcpy(out, &v, 2);
        return 0;
    }
    case SC_I8:
        if (i < INT8_MIN || i > INT8_MAX)
            return -1;
        out[0] = (unsigned char)(int8_t)i;
        return 0;
    case SC_U8:
        if (i < 0 || i > 255)
            return -1;
        out[0] = (unsigned char)i;
        return 0;
    default:
        return -1;
    }
}

/* ---- manifests ----------------------------------------------------------- */

struct sc_synth_manifest {
    char *path;
    char *fixed_dir;         /* <dir of manifest>/weights-fixed */
    char *text;
    sc_synth_entry *e;
    int64_t n, cap;
    int64_t *table;          /* open addressing: entry index + 1, 0 empty */
    size_t tmask;
    sc_tensor *fixed;        /* per entry, @file tensors once mapped */
    uint64_t bytes;
    /* from the "# token_rate=R checkpoint=NAME tensors=N" comment */
    int meta_rate;
    int64_t meta_count;
    char meta_ckpt[64];
    int header_seen;
};

static const char MANIFEST_HEADER[] = "key\tdtype\tshape\tscale\toffset";

static int64_t table_lookup(const sc_synth_manifest *m, const char *key, uint64_t h)
{
    if (!m->table)
        return -1;
    for (size_t i = (size_t)h & m->tmask;; i = (i + 1) & m->tmask) {
        int64_t v = m->table[i];
        if (!v)
            return -1;
        if (m->e[v - 1].hash == h && !strcmp(m->e[v - 1].key, key))
            return v - 1;
    }
}

static int build_table(sc_synth_manifest *m, sc_err *err)
{
    size_t cap = 16;
    while (cap < (size_t)m->n * 2)
        cap *= 2;
    m->table = calloc(cap, sizeof(*m->table));
    if (!m->table)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", m->path);
    m->tmask = cap - 1;
    for (int64_t k = 0; k < m->n; k++) {
        sc_synth_entry *e = &m->e[k];
        int64_t prev = table_lookup(m, e->key, e->hash);
        if (prev >= 0)
            return sc_err_set(err, SC_EFORMAT, "%s:%d: duplicate key '%s' (first on line %d)",
                              m->path, e->line, e->key, m->e[prev].line);
        size_t i = (size_t)e->hash & m->tmask;
        while (m->table[i])
            i = (i + 1) & m->tmask;
        m->table[i] = k + 1;
    }
    return SC_OK;
}

static void parse_meta(sc_synth_manifest *m, const char *line)
{
    const char *p;
    if ((p = strstr(line, "token_rate=")))
        m->meta_rate = atoi(p + 11);
    if ((p = strstr(line, "tensors="))) {
        int64_t v;
        char num[24];
        size_t n = strspn(p + 8, "0123456789");
        if (n > 0 && n < sizeof(num)) {
            memcpy(num, p + 8, n);
            num[n] = '\0';
            if (parse_i64(num, &v) == 0)
                m->meta_count = v;
        }
    }
    if ((p = strstr(line, "checkpoint="))) {
        size_t n = strcspn(p + 11, " \t");
        if (n < sizeof(m->meta_ckpt)) {
            memcpy(m->meta_ckpt, p + 11, n);
            m->meta_ckpt[n] = '\0';
        }
    }
}

static int manifest_line(void *ctx, char *line, int lineno, sc_err *err)
{
    sc_synth_manifest *m = ctx;
    const char *path = m->path;
    if (line[0] == '#') {
        if (!m->header_seen)
            parse_meta(m, line);
        return SC_OK;
    }
    if (!line[0])
        return sc_err_set(err, SC_EFORMAT, "%s:%d: empty line", path, lineno);
    if (!m->header_seen) {
        if (strcmp(line, MANIFEST_HEADER))
            return sc_err_set(err, SC_EFORMAT, "%s:%d: expected the header line \"key dtype "
                              "shape scale offset\" (TAB separated)", path, lineno);
        m->header_seen = 1;
        return SC_OK;
    }
    char *f[5];
    int nf = split_tabs(line, f, 5);
    if (nf != 5)
        return sc_err_set(err, SC_EFORMAT, "%s:%d: %d fields, expected 5 (key dtype shape "
                          "scale offset)", path, lineno, nf);
    if (m->n == m->cap) {
        int64_t cap = m->cap ? 2 * m->cap : 512;
        sc_synth_entry *e = realloc(m->e, (size_t)cap * sizeof(*e));
        if (!e)
            return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
        m->e = e;
        m->cap = cap;
    }
    sc_synth_entry *e = &m->e[m->n];
    memset(e, 0, sizeof(*e));
    e->line = lineno;
    e->key = f[0];
    if (!*f[0])
        return sc_err_set(err, SC_EFORMAT, "%s:%d: empty key", path, lineno);
    for (const unsigned char *p = (const unsigned char *)f[0]; *p; p++)
        if (*p < 0x20 || *p == ' ' || *p == 0x7f)
            return sc_err_set(err, SC_EFORMAT, "%s:%d: key '%s' has a space or control "
                              "character", path, lineno, f[0]);
    e->hash = sc_synth_hash(f[0], strlen(f[0]));
    if (canonical_dtype(f[1], &e->dtype) < 0)
        return sc_err_set(err, SC_EFORMAT, "%s:%d: %s: unknown dtype '%s'", path, lineno,
                          f[0], f[1]);
    if (parse_shape(f[2], &e->ndim, e->shape) < 0)
        return sc_err_set(err, SC_EFORMAT, "%s:%d: %s: bad shape '%s' (sizes joined by 'x', "
                          "at most %d, or 'scalar')", path, lineno, f[0], f[2], SC_MAX_DIMS);
    int64_t numel = 1, esize = (int64_t)sc_dtype_size(e->dtype);
    for (int d = 0; d < e->ndim; d++) {
        if (e->shape[d] && numel > INT64_MAX / esize / e->shape[d])
            return sc_err_set(err, SC_EFORMAT, "%s:%d: %s: shape '%s' too large", path, lineno,
                              f[0], f[2]);
        numel *= e->shape[d];
    }
    e->numel = numel;
    if (!strcmp(f[3], "@file")) {
        e->kind = SC_SYNTH_FILE;
        e->file = f[4];
        size_t n = strlen(f[4]);
        if (n < 5 || strcmp(f[4] + n - 4, ".npy") || strchr(f[4], '/') || f[4][0] == '.')
            return sc_err_set(err, SC_EFORMAT, "%s:%d: %s: @file wants a file name NAME.npy "
                              "of weights-fixed/, got '%s'", path, lineno, f[0], f[4]);
    } else if (!strcmp(f[3], "@fill")) {
        e->kind = SC_SYNTH_FILL;
        e->literal = f[4];
        if (parse_literal(f[4], e->dtype, e->fill) < 0)
            return sc_err_set(err, SC_EFORMAT, "%s:%d: %s: @fill literal '%s' is not a %s",
                              path, lineno, f[0], f[4], sc_dtype_name(e->dtype));
    } else {
        e->kind = SC_SYNTH_RULE;
        if (parse_double(f[3], &e->scale) < 0)
            return sc_err_set(err, SC_EFORMAT, "%s:%d: %s: bad scale '%s' (a number, @file "
                              "or @fill)", path, lineno, f[0], f[3]);
        if (parse_double(f[4], &e->offset) < 0)
            return sc_err_set(err, SC_EFORMAT, "%s:%d: %s: bad offset '%s'", path, lineno,
                              f[0], f[4]);
        if (!is_float_dtype(e->dtype))
            return sc_err_set(err, SC_EFORMAT, "%s:%d: %s: the rule generates floats, not %s",
                              path, lineno, f[0], sc_dtype_name(e->dtype));
    }
    m->bytes += (uint64_t)numel * (uint64_t)esize;
    m->n++;
    return SC_OK;
}

sc_synth_manifest *sc_synth_manifest_load(const char *path, sc_err *err)
{
    sc_synth_manifest *m = calloc(1, sizeof(*m));
    if (!m) {
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    m->meta_count = -1;
    m->path = strdup(path);
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) : 1;
    m->fixed_dir = malloc(dl + 16);
    if (!m->path || !m->fixed_dir) {
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (slash)
        snprintf(m->fixed_dir, dl + 16, "%.*s/weights-fixed", (int)dl, path);
    else
        snprintf(m->fixed_dir, dl + 16, "./weights-fixed");
    size_t len;
    m->text = slurp(path, &len, err);
    if (!m->text)
        goto fail;
    if (each_line(m->text, len, path, manifest_line, m, err) < 0)
        goto fail;
    if (!m->header_seen) {
        sc_err_set(err, SC_EFORMAT, "%s: no header line (not a manifest)", path);
        goto fail;
    }
    if (m->meta_count >= 0 && m->meta_count != m->n) {
        sc_err_set(err, SC_EFORMAT, "%s: %lld tensors, but the comment says tensors=%lld", path,
                   (long long)m->n, (long long)m->meta_count);
        goto fail;
    }
    if (build_table(m, err) < 0)
        goto fail;
    m->fixed = calloc((size_t)(m->n ? m->n : 1), sizeof(*m->fixed));
    if (!m->fixed) {
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    return m;
fail:
    sc_synth_manifest_free(m);
    return NULL;
}

static int check_which(const char *which, sc_err *err)
{
    if (!which || (strcmp(which, "encoder") && strcmp(which, "decoder")))
        return sc_err_set(err, SC_EARG, "synthetic weights: '%s' is neither encoder nor decoder",
                          which ? which : "(null)");
    return SC_OK;
}

sc_synth_manifest *sc_synth_manifest_open(const char *synth_dir, int rate, const char *which,
                                          sc_err *err)
{
    if (check_which(which, err) < 0)
        return NULL;
    if (rate != 100 && rate != 50 && rate != 25) {
        sc_err_set(err, SC_EARG, "synthetic weights: token rate %d is not 100, 50 or 25", rate);
        return NULL;
    }
    if (!synth_dir || !*synth_dir)
        synth_dir = sc_synth_default_dir();
    size_t n = strlen(synth_dir) + 64;
    char *path = malloc(n);
    if (!path) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(path, n, "%s/manifest-tr%d-%s.tsv", synth_dir, rate, which);
    sc_synth_manifest *m = sc_synth_manifest_load(path, err);
    if (m) {
        char ck[32];
        snprintf(ck, sizeof(ck), "%s.ckpt", which);
        if ((m->meta_rate && m->meta_rate != rate) || (m->meta_ckpt[0] && strcmp(m->meta_ckpt, ck))) {
            sc_err_set(err, SC_EFORMAT, "%s: describes token_rate=%d checkpoint=%s, expected "
                       "%d and %s", path, m->meta_rate, m->meta_ckpt, rate, ck);
            sc_synth_manifest_free(m);
            m = NULL;
        }
    }
    free(path);
    return m;
}

void sc_synth_manifest_free(sc_synth_manifest *m)
{
    if (!m)
        return;
    if (m->fixed)
        for (int64_t i = 0; i < m->n; i++)
            if (m->fixed[i].storage)
                sc_tensor_release(&m->fixed[i]);
    free(m->fixed);
    free(m->table);
    free(m->e);
    free(m->text);
    free(m->fixed_dir);
    free(m->path);
    free(m);
}

const char *sc_synth_manifest_path(const sc_synth_manifest *m)
{
    return m->path;
}

int64_t sc_synth_manifest_count(const sc_synth_manifest *m)
{
    return m->n;
}

const sc_synth_entry *sc_synth_manifest_at(const sc_synth_manifest *m, int64_t i)
{
    return i >= 0 && i < m->n ? &m->e[i] : NULL;
}

const sc_synth_entry *sc_synth_manifest_find(const sc_synth_manifest *m, const char *key)
{
    int64_t i = table_lookup(m, key, sc_synth_hash(key, strlen(key)));
    return i >= 0 ? &m->e[i] : NULL;
}

uint64_t sc_synth_manifest_bytes(const sc_synth_manifest *m)
{
    return m->bytes;
}

static int shape_eq(int na, const int64_t *a, int nb, const int64_t *b)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* Map the @file tensor of entry i (once). */
static int load_fixed(sc_synth_manifest *m, int64_t i, sc_err *err)
{
    const sc_synth_entry *e = &m->e[i];
    if (m->fixed[i].storage)
        return SC_OK;
    size_t n = strlen(m->fixed_dir) + strlen(e->file) + 2;
    char *path = malloc(n);
    if (!path)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    snprintf(path, n, "%s/%s", m->fixed_dir, e->file);
    sc_tensor t;
    int rc = sc_npy_load(path, &t, err);
    if (rc < 0)
        sc_err_prefix(err, "%s:%d: '%s'", m->path, e->line, e->key);
    if (rc == SC_OK) {
        char a[96], b[96];
        if (t.dtype != e->dtype || !shape_eq(t.ndim, t.shape, e->ndim, e->shape) ||
            !sc_tensor_is_contiguous(&t) || (!t.data && e->numel)) {
            rc = sc_err_set(err, SC_EFORMAT, "%s: %s %s, but %s:%d wants %s %s for '%s'", path,
                            sc_dtype_name(t.dtype), sc_shape_str(t.shape, t.ndim, a, sizeof(a)),
                            m->path, e->line, sc_dtype_name(e->dtype),
                            sc_shape_str(e->shape, e->ndim, b, sizeof(b)), e->key);
            sc_tensor_release(&t);
        } else if (!t.storage) {
            rc = sc_err_set(err, SC_EINTERNAL, "%s: npy tensor without storage", path);
        } else {
            m->fixed[i] = t;
        }
    }
    free(path);
    return rc;
}

int sc_synth_manifest_prepare(sc_synth_manifest *m, sc_err *err)
{
    for (int64_t i = 0; i < m->n; i++)
        if (m->e[i].kind == SC_SYNTH_FILE) {
            int rc = load_fixed(m, i, err);
            if (rc < 0)
                return rc;
        }
    return SC_OK;
}

/* Rule values of elements [first, first+n) converted to a non-f32 dtype. */
static void rule_convert(const sc_synth_entry *e, uint64_t first, size_t n, void *dst)
{
    float tmp[1024];
    size_t esize = sc_dtype_size(e->dtype);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < 1024 ? n - done : 1024;
        sc_synth_fill(e->hash, first + done, k, e->scale, e->offset, tmp);
        unsigned char *o = (unsigned char *)dst + done * esize;
        for (size_t i = 0; i < k; i++) {
            if (e->dtype == SC_F64) {
                double d = tmp[i];
                memcpy(o + 8 * i, &d, 8);
            } else {
                uint16_t h = e->dtype == SC_F16 ? sc_f32_to_f16(tmp[i]) : sc_f32_to_bf16(tmp[i]);
                memcpy(o + 2 * i, &h, 2);
            }
        }
        done += k;
    }
}

static void fill_pattern(void *dst, size_t n, const unsigned char *elem, size_t esize)
{
    unsigned char *o = dst;
    int zero = 1;
    for (size_t i = 0; i < esize; i++)
        zero &= elem[i] == 0;
    if (zero || esize == 1) {
        memset(o, elem[0], n);
        return;
    }
    size_t have = n < esize ? n : esize;
    memcpy(o, elem, have);
    while (have < n) {             /* doubling copy of whole elements */
        size_t k = have < n - have ? have : n - have;
        memcpy(o + have, o, k);
        have += k;
    }
}

int sc_synth_entry_read(const sc_synth_manifest *m, const sc_synth_entry *e, uint64_t off,
                        void *dst, size_t n, sc_err *err)
{
    size_t esize = sc_dtype_size(e->dtype);
    uint64_t total = (uint64_t)e->numel * esize;
    if (off % esize || n % esize || off > total || n > total - off)
        return sc_err_set(err, SC_ERANGE, "%s: bytes [%llu, +%zu) outside '%s' (%llu bytes)",
                          m->path, (unsigned long long)off, n, e->key,
                          (unsigned long long)total);
    switch (e->kind) {
    case SC_SYNTH_RULE:
        if (e->dtype == SC_F32)
            sc_synth_fill(e->hash, off / 4, n / 4, e->scale, e->offset, dst);
        else
            rule_convert(e, off / esize, n / esize, dst);
        return SC_OK;
    case SC_SYNTH_FILL:
        fill_pattern(dst, n, e->fill, esize);
        return SC_OK;
    case SC_SYNTH_FILE: {
        const sc_tensor *t = &m->fixed[e - m->e];
        if (!t->storage) {
            int rc = load_fixed((sc_synth_manifest *)m, e - m->e, err);
            if (rc < 0)
                return rc;
        }
        if (n)
            memcpy(dst, (const unsigned char *)t->data + off, n);
        return SC_OK;
    }
    default:
        return sc_err_set(err, SC_EINTERNAL, "%s: bad entry kind", m->path);
    }
}

typedef struct read_job {
    const sc_synth_manifest *m;
    const sc_synth_entry *e;
    unsigned char *dst;
    uint64_t total, block;
    int rc;
} read_job;

static void read_worker(void *arg, int64_t begin, int64_t end, int worker)
{
    read_job *j = arg;
    (void)worker;
    uint64_t lo = (uint64_t)begin * j->block, hi = (uint64_t)end * j->block;
    if (hi > j->total)
        hi = j->total;
    if (lo < hi && sc_synth_entry_read(j->m, j->e, lo, j->dst + lo, (size_t)(hi - lo), NULL) < 0)
        j->rc = SC_EINTERNAL;
}

int sc_synth_entry_tensor(sc_synth_manifest *m, const sc_synth_entry *e, sc_pool *pool,
                          sc_tensor *out, sc_err *err)
{
    memset(out, 0, sizeof(*out));
    if (e->kind == SC_SYNTH_FILE) {
        int rc = load_fixed(m, e - m->e, err);
        if (rc < 0)
            return rc;
        sc_tensor_retain(out, &m->fixed[e - m->e]);
        return SC_OK;
    }
    int rc = sc_tensor_alloc(out, e->dtype, e->ndim, e->shape, err);
    if (rc < 0)
        return sc_err_prefix(err, "%s: '%s'", m->path, e->key);
    uint64_t total = (uint64_t)e->numel * sc_dtype_size(e->dtype);
    if (total == 0)
        return SC_OK;
    read_job j = { m, e, out->data, total, (uint64_t)256 << 10, SC_OK };
    int64_t nblk = (int64_t)((total + j.block - 1) / j.block);
    if (pool && nblk > 1)
        sc_pool_for(pool, nblk, read_worker, &j);
    else
        read_worker(&j, 0, nblk, 0);
    if (j.rc < 0) {
        sc_tensor_release(out);
        return sc_err_set(err, j.rc, "%s: cannot generate '%s'", m->path, e->key);
    }
    return SC_OK;
}

/* ---- semantic codebooks ---------------------------------------------------- */

static const char CODEBOOK_HEADER[] =
    "token_rate\tsemantic_vocab_size\tofficial_file\tdtype\tshape\tscale\toffset";

typedef struct cb_ctx {
    const char *path;
    int rate, vocab, header_seen, found;
    sc_synth_codebook_info *out;
} cb_ctx;

static int codebook_line(void *ctx, char *line, int lineno, sc_err *err)
{
    cb_ctx *c = ctx;
    if (line[0] == '#')
        return SC_OK;
    if (!line[0])
        return sc_err_set(err, SC_EFORMAT, "%s:%d: empty line", c->path, lineno);
    if (!c->header_seen) {
        if (strcmp(line, CODEBOOK_HEADER))
            return sc_err_set(err, SC_EFORMAT, "%s:%d: expected the header line \"token_rate "
                              "semantic_vocab_size official_file dtype shape scale offset\"",
                              c->path, lineno);
        c->header_seen = 1;
        return SC_OK;
    }
    char *f[7];
    int nf = split_tabs(line, f, 7);
    if (nf != 7)
        return sc_err_set(err, SC_EFORMAT, "%s:%d: %d fields, expected 7", c->path, lineno, nf);
    int64_t rate, vocab, shape[SC_MAX_DIMS];
    int ndim;
    sc_synth_codebook_info info;
    memset(&info, 0, sizeof(info));
    if (parse_dim(f[0], strlen(f[0]), &rate) < 0 || (rate != 100 && rate != 50 && rate != 25))
        return sc_err_set(err, SC_EFORMAT, "%s:%d: bad token rate '%s'", c->path, lineno, f[0]);
    if (parse_dim(f[1], strlen(f[1]), &vocab) < 0 || vocab <= 0)
        return sc_err_set(err, SC_EFORMAT, "%s:%d: bad vocabulary size '%s'", c->path, lineno,
                          f[1]);
    if (!f[2][0] || strlen(f[2]) >= sizeof(info.file) || f[2][0] == '/' || strstr(f[2], ".."))
        return sc_err_set(err, SC_EFORMAT, "%s:%d: bad file name '%s'", c->path, lineno, f[2]);
    if (canonical_dtype(f[3], &info.dtype) < 0 || info.dtype != SC_F32)
        return sc_err_set(err, SC_EFORMAT, "%s:%d: codebook dtype '%s', expected float32",
                          c->path, lineno, f[3]);
    int64_t width = 768 * (100 / rate);
    if (parse_shape(f[4], &ndim, shape) < 0 || ndim != 2 || shape[0] != vocab ||
        shape[1] != width)
        return sc_err_set(err, SC_EFORMAT, "%s:%d: shape '%s', expected %lldx%lld for rate %lld",
                          c->path, lineno, f[4], (long long)vocab, (long long)width,
                          (long long)rate);
    if (parse_double(f[5], &info.scale) < 0 || parse_double(f[6], &info.offset) < 0)
        return sc_err_set(err, SC_EFORMAT, "%s:%d: bad scale/offset '%s' '%s'", c->path, lineno,
                          f[5], f[6]);
    if (rate == c->rate && vocab == c->vocab) {
        if (c->found)
            return sc_err_set(err, SC_EFORMAT, "%s:%d: second row for rate %d vocab %d",
                              c->path, lineno, c->rate, c->vocab);
        info.rate = (int)rate;
        info.vocab = (int)vocab;
        memcpy(info.file, f[2], strlen(f[2]) + 1);
        info.rows = vocab;
        info.cols = width;
        *c->out = info;
        c->found = 1;
    }
    return SC_OK;
}

int sc_synth_codebook_info_get(const char *synth_dir, int rate, int vocab,
                               sc_synth_codebook_info *out, sc_err *err)
{
    if (!synth_dir || !*synth_dir)
        synth_dir = sc_synth_default_dir();
    size_t n = strlen(synth_dir) + 32;
    char *path = malloc(n);
    if (!path)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    snprintf(path, n, "%s/semantic-codebooks.tsv", synth_dir);
    size_t len;
    char *text = slurp(path, &len, err);
    int rc = text ? SC_OK : err && err->code ? err->code : SC_EIO;
    cb_ctx c = { path, rate, vocab, 0, 0, out };
    if (text)
        rc = each_line(text, len, path, codebook_line, &c, err);
    if (rc == SC_OK && !c.header_seen)
        rc = sc_err_set(err, SC_EFORMAT, "%s: no header line", path);
    if (rc == SC_OK && !c.found)
        rc = sc_err_set(err, SC_ENOTFOUND, "%s: no codebook for token rate %d and vocabulary "
                        "%d (not a published configuration)", path, rate, vocab);
    free(text);
    free(path);
    return rc;
}

int sc_synth_codebook(const char *synth_dir, int rate, int vocab, sc_pool *pool, sc_tensor *out,
                      sc_err *err)
{
    sc_synth_codebook_info info;
    memset(out, 0, sizeof(*out));
    int rc = sc_synth_codebook_info_get(synth_dir, rate, vocab, &info, err);
    if (rc < 0)
        return rc;
    int64_t shape[2] = { info.rows, info.cols };
    rc = sc_tensor_alloc(out, SC_F32, 2, shape, err);
    if (rc < 0)
        return rc;
    sc_synth_fill_pool(sc_synth_hash(SC_SYNTH_CODEBOOK_KEY, strlen(SC_SYNTH_CODEBOOK_KEY)), 0,
                       (size_t)(info.rows * info.cols), info.scale, info.offset, out->data, pool);
    return SC_OK;
}

/* ---- the weights source ----------------------------------------------------- */

typedef struct src_ctx {
    sc_synth_manifest *m;
    sc_pool *pool;
    char *name;
} src_ctx;

static int64_t src_count(void *ctx)
{
    return ((src_ctx *)ctx)->m->n;
}

static const char *src_key_at(void *ctx, int64_t i)
{
    const sc_synth_entry *e = sc_synth_manifest_at(((src_ctx *)ctx)->m, i);
    return e ? e->key : NULL;
}

static int src_get(void *ctx, const char *key, sc_tensor *t, sc_err *err)
{
    src_ctx *c = ctx;
    const sc_synth_entry *e = sc_synth_manifest_find(c->m, key);
    if (!e)
        return sc_err_set(err, SC_ENOTFOUND, "%s: no tensor '%s'", c->name, key);
    return sc_synth_entry_tensor(c->m, e, c->pool, t, err);
}

static void src_close(void *ctx)
{
    src_ctx *c = ctx;
    if (!c)
        return;
    sc_synth_manifest_free(c->m);
    free(c->name);
    free(c);
}

sc_weights *sc_synth_weights(const char *synth_dir, int rate, const char *which, sc_pool *pool,
                             sc_err *err)
{
    sc_synth_manifest *m = sc_synth_manifest_open(synth_dir, rate, which, err);
    if (!m)
        return NULL;
    src_ctx *c = calloc(1, sizeof(*c));
    size_t n = strlen(m->path) + 16;
    char *name = malloc(n);
    if (!c || !name) {
        free(c);
        free(name);
        sc_synth_manifest_free(m);
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(name, n, "synthetic:%s", m->path);
    c->m = m;
    c->pool = pool;
    c->name = name;
    /* Map the fixed tensors now: a missing weights-fixed file is reported
     * at open time, not in the middle of a run. */
    if (sc_synth_manifest_prepare(m, err) < 0) {
        src_close(c);
        return NULL;
    }
    sc_weights_source src = { c, c->name, src_count, src_key_at, src_get, src_close };
    sc_weights *w = sc_weights_from_source(&src, err);
    if (!w)
        src_close(c);
    return w;
}
