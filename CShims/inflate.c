// Gzip decompression for unpacking layers (GzipSource.swift): ISA-L's
// igzip, several times faster than zlib's inflate on this machine's cores,
// and zlib where libisal is missing. libisal is loaded with dlopen on first
// use (as libnftables is), so `run` never pays for it; only its header
// comes from libisal-dev, for the state's layout.
#include "CShims.h"
#include "library.h"

#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <stdlib.h>
#include <zlib.h>

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

// One gzip stream's decompressor: igzip's state where libisal loaded,
// else zlib's. Both take members back to back and check each trailer.
struct sr_inflater {
    int isal;
    union {
        struct inflate_state isal;
        z_stream zlib;
    } state;
};

sr_inflater *sr_inflater_new(void) {
    pthread_once(&once, load);
    sr_inflater *inflater = calloc(1, sizeof *inflater);
    if (inflater == NULL) return NULL;
    inflater->isal = loaded;
    // 15 + 16: a gzip wrapper with the largest window (zlib.h, inflateInit2).
    if (!inflater->isal && inflateInit2(&inflater->state.zlib, 15 + 16) != Z_OK) {
        free(inflater);
        return NULL;
    }
    if (inflater->isal) sr_inflater_reset(inflater);
    return inflater;
}

void sr_inflater_reset(sr_inflater *inflater) {
    if (!inflater->isal) {
        inflateReset(&inflater->state.zlib);
        return;
    }
    api.init(&inflater->state.isal);
    inflater->state.isal.crc_flag = ISAL_GZIP;  // the header parsed, the trailer's CRC checked
}

void sr_inflater_free(sr_inflater *inflater) {
    if (!inflater->isal) inflateEnd(&inflater->state.zlib);
    free(inflater);
}

static int run_zlib(z_stream *stream, const uint8_t **input, size_t *input_length, uint8_t *output, size_t output_length,
                    size_t *produced) {
    stream->next_in = (Bytef *)*input;
    stream->avail_in = (uInt)(*input_length > UINT32_MAX ? UINT32_MAX : *input_length);
    uInt offered = stream->avail_in;
    stream->next_out = output;
    stream->avail_out = (uInt)(output_length > UINT32_MAX ? UINT32_MAX : output_length);
    uInt room = stream->avail_out;
    int rc = inflate(stream, Z_NO_FLUSH);
    *input += offered - stream->avail_in;
    *input_length -= offered - stream->avail_in;
    *produced = room - stream->avail_out;
    if (rc == Z_STREAM_END) return SR_INFLATE_MEMBER_END;
    return rc == Z_OK || rc == Z_BUF_ERROR ? SR_INFLATE_OK : SR_INFLATE_CORRUPT;
}

int sr_inflater_run(sr_inflater *inflater, const uint8_t **input, size_t *input_length, uint8_t *output,
                    size_t output_length, size_t *produced) {
    if (!inflater->isal) return run_zlib(&inflater->state.zlib, input, input_length, output, output_length, produced);
    struct inflate_state *state = &inflater->state.isal;
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
