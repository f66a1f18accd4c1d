/* The framing of the sc mel and token streams (libsc/io/frame.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "frame.h"

void *sci_frame_out_new(size_t size, const char *name, sc_err *err)
{
    sci_frame_out *o = calloc(1, size);
    if (!o || !(o->name = strdup(name))) {
        free(o);
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    return o;
}

int sci_frame_out_open(sci_frame_out *o, FILE *f, const char *path, sc_err *err)
{
    if (f) {
        o->f = f;
        return SC_OK;
    }
    int rc = sc_outfile_open(&o->out, path, err);
    if (rc < 0)
        return rc;
    o->own = 1;
    o->f = o->out.f;
    return SC_OK;
}

int sci_frame_put(sci_frame_out *o, const void *p, size_t n, sc_err *err)
{
    if (n && fwrite(p, 1, n, o->f) != n) {
        o->failed = 1;
        return sc_err_set(err, SC_EIO, "%s: write error: %s", o->name, strerror(errno));
    }
    return SC_OK;
}

int sci_frame_flush(sci_frame_out *o, sc_err *err)
{
    if (fflush(o->f) != 0) {
        o->failed = 1;
        return sc_err_set(err, SC_EIO, "%s: write error: %s", o->name, strerror(errno));
    }
    return SC_OK;
}

int sci_frame_write(sci_frame_out *o, unsigned char *head, size_t crc_at, const void *pay,
                   size_t n, sc_err *err)
{
    uint32_t crc = sc_crc32(0, head, crc_at);
    if (n)
        crc = sc_crc32(crc, pay, n);
    sc_put_le32(head + crc_at, crc);
    int rc = sci_frame_put(o, head, crc_at + 4, err);
    if (rc == SC_OK)
        rc = sci_frame_put(o, pay, n, err);
    return rc < 0 ? rc : sci_frame_flush(o, err);
}

int sci_frame_out_end(sci_frame_out *o, int rc, sc_err *err)
{
    if (o->own) {
        if (rc == SC_OK)
            rc = sc_outfile_commit(&o->out, err);
        else
            sc_outfile_abort(&o->out);
    } else if (rc == SC_OK && o->f && (fflush(o->f) != 0 || ferror(o->f))) {
        rc = sc_err_set(err, SC_EIO, "%s: write error: %s", o->name, strerror(errno));
    }
    free(o->name);
    o->name = NULL;
    return rc;
}

void sci_frame_out_abort(sci_frame_out *o)
{
    if (o->own)
        sc_outfile_abort(&o->out);
    free(o->name);
    o->name = NULL;
}

void *sci_frame_in_new(size_t size, FILE *f, const char *name, const char *path, sc_err *err)
{
    int own = 0;
    if (!f && (!path || !strcmp(path, "-"))) {
        f = stdin;
        name = "<stdin>";
    } else if (!f) {
        if (!(f = fopen(path, "rb"))) {
            int e = errno;
            sc_err_set(err, e == ENOENT ? SC_ENOTFOUND : SC_EIO, "%s: %s", path, strerror(e));
            return NULL;
        }
        name = path;
        own = 1;
    } else if (!name) {
        name = "<stream>";
    }
    sci_frame_in *in = calloc(1, size);
    if (!in || !(in->name = strdup(name))) {
        free(in);
        if (own)
            fclose(f);
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    in->f = f;
    in->own = own;
    return in;
}

void sci_frame_in_close(sci_frame_in *in)
{
    if (in->own && in->f)
        fclose(in->f);
    in->f = NULL;
    free(in->name);
    in->name = NULL;
}

int sci_frame_crc_ok(const unsigned char *head, size_t crc_at, const void *pay, size_t n)
{
    uint32_t crc = sc_crc32(0, head, crc_at);
    if (n)
        crc = sc_crc32(crc, pay, n);
    return crc == sc_get_le32(head + crc_at);
}

int sci_frame_read_error(const sci_frame_in *in, sc_err *err)
{
    return sc_err_set(err, SC_EIO, "%s: read error: %s", in->name, strerror(errno));
}
