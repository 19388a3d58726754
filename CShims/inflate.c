// Gzip decompression with ISA-L's igzip, several times faster than zlib's
// inflate on this machine's cores, for unpacking layers. libisal is loaded
// with dlopen on first use (as libnftables is): `run` never pays for it,
// and where it is missing the caller keeps zlib (GzipSource.swift). Only
// the header comes from libisal-dev, for the state's layout.
#include "CShims.h"
#include "library.h"

#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <stdlib.h>

static struct {
    void (*init)(struct inflate_state *);
    int (*run)(struct inflate_state *);
} api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;

static void load(void) {
    static char why[128];
    const sr_symbol symbols[] = {
        {"isal_inflate_init", (void **)&api.init},
        {"isal_inflate", (void **)&api.run},
        {NULL, NULL},
    };
    loaded = sr_load_library("libisal.so.2", "libisal2", symbols, why, sizeof why) == NULL;
}

struct sr_inflater {
    struct inflate_state state;
};

sr_inflater *sr_inflater_new(void) {
    pthread_once(&once, load);
    if (!loaded) return NULL;
    sr_inflater *inflater = malloc(sizeof *inflater);
    if (inflater == NULL) return NULL;
    sr_inflater_reset(inflater);
    return inflater;
}

void sr_inflater_reset(sr_inflater *inflater) {
    api.init(&inflater->state);
    inflater->state.crc_flag = ISAL_GZIP;  // the header parsed, the trailer's CRC checked
}

void sr_inflater_free(sr_inflater *inflater) { free(inflater); }

int sr_inflater_run(sr_inflater *inflater, const uint8_t **input, size_t *input_length, uint8_t *output,
                    size_t output_length, size_t *produced) {
    struct inflate_state *state = &inflater->state;
    state->next_in = (uint8_t *)*input;
    state->avail_in = (uint32_t)(*input_length > UINT32_MAX ? UINT32_MAX : *input_length);
    uint32_t offered = state->avail_in;
    state->next_out = output;
    state->avail_out = (uint32_t)(output_length > UINT32_MAX ? UINT32_MAX : output_length);
    uint32_t room = state->avail_out;
    int rc = api.run(state);
    *input += offered - state->avail_in;
    *input_length -= offered - state->avail_in;
    *produced = room - state->avail_out;
    if (rc != ISAL_DECOMP_OK) return SR_INFLATE_CORRUPT;
    return state->block_state == ISAL_BLOCK_FINISH ? SR_INFLATE_MEMBER_END : SR_INFLATE_OK;
}
