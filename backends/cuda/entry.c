/* backends/cuda/entry.c - plugin entry of the CUDA backend.  The kernels
 * and the vtable live in cuda.cu (built by nvcc); this C file keeps the
 * exported symbol in plain C.  The entry declines (returns NULL, so
 * sc-info reports "declined") when no usable GPU is present, which is how
 * CI and CPU-only machines see it. */
#include "sc/plugin.h"
#include "sc/backend.h"

extern const sc_backend_vt sc_cuda_backend_vt;
int sc_cuda_usable(char *why, int n);

static const sc_plugin_info info = {
    .abi_version = SC_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(sc_plugin_info),
    .kind = SC_KIND_BACKEND,
    .name = "cuda",
    .version = "0.1",
    .description = "NVIDIA GPUs: CUDA kernels + cuBLAS, float32 (TF32 off by default)",
    .vtable = &sc_cuda_backend_vt,
};

__attribute__((visibility("default"))) const sc_plugin_info *sc_plugin_entry(const sc_host *host);
const sc_plugin_info *sc_plugin_entry(const sc_host *host)
{
    char why[256];
    if (!sc_cuda_usable(why, sizeof why)) {
        if (host && host->log_msg)
            host->log_msg(host->log, SC_LOG_DEBUG, "cuda backend: %s", why);
        return NULL;
    }
    return &info;
}
