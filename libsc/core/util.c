/* Atomic output files, CRC-32 and I/O helpers (see sc/util.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sc/util.h"
#include "crc32_table.h"

/* The process umask, read without changing it where Linux allows. */
static mode_t current_umask(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    unsigned m;
    if (f) {
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Umask: %o", &m) == 1) {
                fclose(f);
                return (mode_t)m;
            }
        fclose(f);
    }
    mode_t u = umask(022);
    umask(u);
    return u;
}

int sc_outfile_open(sc_outfile *o, const char *path, sc_err *err)
{
    memset(o, 0, sizeof *o);
    if (!path || !strcmp(path, "-")) {
        o->f = stdout;
        o->is_stdout = 1;
        return SC_OK;
    }
    size_t n = strlen(path);
    /* An existing FIFO or device (/dev/null, a named pipe) is written in
     * place: renaming a temporary over it would replace the node itself
     * (as root, /dev/null would become a regular file). */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        o->path = strdup(path);
        if (!o->path)
            return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
        o->f = fopen(path, "wb");
        if (!o->f) {
            int e = errno;
            free(o->path);
            o->path = NULL;
            return sc_err_set(err, SC_EIO, "%s: cannot open: %s", path, strerror(e));
        }
        return SC_OK;   /* tmp == NULL: no rename at commit */
    }
    o->path = strdup(path);
    o->tmp = malloc(n + 16);
    if (!o->path || !o->tmp) {
        free(o->path);
        free(o->tmp);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    }
    /* Same directory as the target so rename(2) is atomic. */
    snprintf(o->tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        free(o->path);
        free(o->tmp);
        memset(o, 0, sizeof *o);
        return sc_err_set(err, SC_EIO, "%s: cannot create: %s", path, strerror(e));
    }
    sc_tmp_track(o->tmp);
    /* mkstemp makes the file 0600; give it the mode open(2) would have */
    (void)fchmod(fd, 0666 & ~current_umask());
    o->f = fdopen(fd, "wb");
    if (!o->f) {
        close(fd);
        unlink(o->tmp);
        sc_tmp_untrack(o->tmp);
        free(o->path);
        free(o->tmp);
        memset(o, 0, sizeof *o);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    }
    return SC_OK;
}

const char *sc_outfile_name(const sc_outfile *o)
{
    return o->is_stdout ? "<stdout>" : o->path;
}

int sc_outfile_commit(sc_outfile *o, sc_err *err)
{
    if (!o->f)
        return sc_err_set(err, SC_EINTERNAL, "output already closed");
    int bad = ferror(o->f) || fflush(o->f) != 0;
    int e = errno;
    if (o->is_stdout) {
        o->f = NULL;
        return bad ? sc_err_set(err, SC_EIO, "<stdout>: write error: %s", strerror(e)) : SC_OK;
    }
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    o->f = NULL;
    if (!bad && o->tmp && rename(o->tmp, o->path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad && o->tmp)
        unlink(o->tmp);
    if (o->tmp)
        sc_tmp_untrack(o->tmp);
    int rc = bad ? sc_err_set(err, SC_EIO, "%s: write error: %s", o->path, strerror(e)) : SC_OK;
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
    return rc;
}

void sc_outfile_abort(sc_outfile *o)
{
    if (!o)
        return;
    if (!o->is_stdout && o->f) {
        fclose(o->f);
        if (o->tmp) {
            unlink(o->tmp);
            sc_tmp_untrack(o->tmp);
        }
    } else if (o->is_stdout && o->f)
        fflush(o->f);
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
}

/* Identity of a regular file: path, or fd when path is "-" or NULL. */
static int file_id(const char *path, int fd, struct stat *st)
{
    int r = !path || !strcmp(path, "-") ? fstat(fd, st) : stat(path, st);
    return r == 0 && S_ISREG(st->st_mode);
}

int sc_file_id_get(const char *path, int fd, sc_file_id *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (!file_id(path, fd, &st))
        return 0;
    id->dev = (uint64_t)st.st_dev;
    id->ino = (uint64_t)st.st_ino;
    return 1;
}

int sc_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return file_id(a, STDIN_FILENO, &sa) && file_id(b, STDOUT_FILENO, &sb) &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int sc_output_check(const char *out, const char *const *ins, size_t nin, sc_err *err)
{
    struct stat so, si;
    if (!file_id(out, STDOUT_FILENO, &so))
        return SC_OK;   /* a new file, a device or a pipe cannot be an input */
    for (size_t i = 0; i < nin; i++)
        if (ins[i] && file_id(ins[i], STDIN_FILENO, &si) && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino)
            return sc_err_set(err, SC_EARG,
                              "%s: is the same file as the input %s: refusing to overwrite it",
                              out && strcmp(out, "-") ? out : "<stdout>",
                              strcmp(ins[i], "-") ? ins[i] : "<stdin>");
    return SC_OK;
}

int64_t sc_first_nonfinite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return (int64_t)i;
    return -1;
}

uint32_t sc_crc32(uint32_t crc, const void *data, size_t n)
{
    const unsigned char *p = data;
    crc = ~crc;
    /* slice-by-8: checkpoints are gigabytes, so this matters for sc-model */
    while (n >= 8) {
        uint32_t a = crc ^ sc_get_le32(p), b = sc_get_le32(p + 4);
        crc = crc_tab[7][a & 0xff] ^ crc_tab[6][(a >> 8) & 0xff] ^ crc_tab[5][(a >> 16) & 0xff] ^
              crc_tab[4][a >> 24] ^ crc_tab[3][b & 0xff] ^ crc_tab[2][(b >> 8) & 0xff] ^
              crc_tab[1][(b >> 16) & 0xff] ^ crc_tab[0][b >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

size_t sc_read_full(FILE *f, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t r = fread((char *)buf + got, 1, n - got, f);
        if (r == 0)
            break;
        got += r;
    }
    return got;
}
