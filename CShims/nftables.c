// libnftables, loaded with dlopen on first use (as libcurl is): only the
// commands that touch the firewall pay for it, and `run` without -p never
// does. Its header is not needed: four entry points, declared here.
#include "CShims.h"
#include "library.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct nft_ctx;
static struct {
    struct nft_ctx *(*ctx_new)(unsigned int flags);
    int (*ctx_buffer_output)(struct nft_ctx *);
    int (*ctx_buffer_error)(struct nft_ctx *);
    const char *(*ctx_get_output_buffer)(struct nft_ctx *);
    const char *(*ctx_get_error_buffer)(struct nft_ctx *);
    int (*run_cmd_from_buffer)(struct nft_ctx *, const char *);
} api;
static struct nft_ctx *context;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *load_error = "libnftables was not loaded";

static void load(void) {
    static char why[128];
    const sr_symbol symbols[] = {
        {"nft_ctx_new", (void **)&api.ctx_new},
        {"nft_ctx_buffer_output", (void **)&api.ctx_buffer_output},
        {"nft_ctx_buffer_error", (void **)&api.ctx_buffer_error},
        {"nft_ctx_get_output_buffer", (void **)&api.ctx_get_output_buffer},
        {"nft_ctx_get_error_buffer", (void **)&api.ctx_get_error_buffer},
        {"nft_run_cmd_from_buffer", (void **)&api.run_cmd_from_buffer},
        {NULL, NULL},
    };
    if ((load_error = sr_load_library("libnftables.so.1", "libnftables1", symbols, why, sizeof why)) != NULL) return;
    context = api.ctx_new(0);
    if (context == NULL || api.ctx_buffer_output(context) != 0 || api.ctx_buffer_error(context) != 0) {
        load_error = "nft_ctx_new failed";
        return;
    }
    load_error = NULL;
}

int sr_nft_run(const char *commands, char *output, size_t output_size, char *error, size_t error_size) {
    pthread_once(&once, load);
    if (load_error != NULL) {
        snprintf(error, error_size, "%s", load_error);
        return -1;
    }
    int rc = api.run_cmd_from_buffer(context, commands);
    snprintf(output, output_size, "%s", api.ctx_get_output_buffer(context));
    snprintf(error, error_size, "%s", api.ctx_get_error_buffer(context));
    return rc == 0 ? 0 : -1;
}
