/* Read-only memory-mapped files (see sc/mmap.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sc/mmap.h"

static void map_release(sc_storage *s)
{
    if (s->base && s->nbytes)
        munmap(s->base, s->nbytes);
    free(s);
}

sc_mapfile *sc_mapfile_open(const char *path, sc_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sc_err_set(err, errno == ENOENT || errno == ENOTDIR || errno == EACCES ? SC_ENOTFOUND
                                                                              : SC_EIO,
                   "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        sc_err_set(err, SC_EIO, "%s: %s", path,
                   S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
        close(fd);
        return NULL;
    }
    sc_mapfile *mf = calloc(1, sizeof *mf);
    sc_storage *s = calloc(1, sizeof *s);
    char *p = strdup(path);
    void *base = NULL;
    if (mf && s && p && st.st_size > 0) {
        base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (base == MAP_FAILED) {
            sc_err_set(err, SC_EIO, "%s: mmap: %s", path, strerror(errno));
            base = NULL;
            goto fail;
        }
    } else if (!mf || !s || !p) {
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    close(fd);
    s->refcount = 1;
    s->base = base;
    s->nbytes = (size_t)st.st_size;
    s->release = map_release;
    mf->data = base;
    mf->size = (size_t)st.st_size;
    mf->path = p;
    mf->storage = s;
    return mf;
fail:
    close(fd);
    free(mf);
    free(s);
    free(p);
    return NULL;
}

void sc_mapfile_close(sc_mapfile *mf)
{
    if (!mf)
        return;
    sc_storage_release(mf->storage);
    free(mf->path);
    free(mf);
}
