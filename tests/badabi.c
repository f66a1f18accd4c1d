/* A plugin that claims a future ABI version: the loader must refuse it
 * with a message naming the file and both versions. */
#include "sc/plugin.h"

static const uint32_t dummy_vt[16] = {sizeof dummy_vt};

static const sc_plugin_info info = {
    .abi_version = SC_PLUGIN_ABI_VERSION + 41,
    .struct_size = sizeof(sc_plugin_info),
    .kind = SC_KIND_BACKEND,
    .name = "badabi",
    .version = "0",
    .description = "test plugin with a wrong ABI version",
    .vtable = dummy_vt,
};

__attribute__((visibility("default"))) const sc_plugin_info *sc_plugin_entry(const sc_host *host);
const sc_plugin_info *sc_plugin_entry(const sc_host *host)
{
    (void)host;
    return &info;
}
