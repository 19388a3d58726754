#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>

/* The libcurl entry points swiftrun uses, resolved once. */
static struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *load_error = "libcurl was not loaded";

static void load(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        load_error = "cannot load libcurl.so.4 (install Debian's libcurl4)";
        return;
    }
#define RESOLVE(field, symbol) \
    if ((*(void **)&api.field = dlsym(library, symbol)) == NULL) { load_error = "libcurl.so.4 lacks " symbol; return; }
    RESOLVE(global_init, "curl_global_init")
    RESOLVE(easy_init, "curl_easy_init")
    RESOLVE(easy_cleanup, "curl_easy_cleanup")
    RESOLVE(easy_reset, "curl_easy_reset")
    RESOLVE(easy_perform, "curl_easy_perform")
    RESOLVE(easy_strerror, "curl_easy_strerror")
    RESOLVE(easy_setopt, "curl_easy_setopt")
    RESOLVE(easy_getinfo, "curl_easy_getinfo")
    RESOLVE(slist_append, "curl_slist_append")
    RESOLVE(slist_free_all, "curl_slist_free_all")
#undef RESOLVE
    /* Not thread-safe in libcurl, hence pthread_once before any transfer thread. */
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        load_error = "curl_global_init failed";
        return;
    }
    load_error = NULL;
}

const char *sr_curl_load(void) {
    pthread_once(&once, load);
    return load_error;
}

CURL *sr_curl_easy_init(void) { return api.easy_init(); }
void sr_curl_easy_cleanup(CURL *curl) { api.easy_cleanup(curl); }
void sr_curl_easy_reset(CURL *curl) { api.easy_reset(curl); }
CURLcode sr_curl_perform(CURL *curl) { return api.easy_perform(curl); }
const char *sr_curl_strerror(CURLcode code) { return api.easy_strerror(code); }

CURLcode sr_curl_set_long(CURL *curl, CURLoption option, long value) { return api.easy_setopt(curl, option, value); }
CURLcode sr_curl_set_string(CURL *curl, CURLoption option, const char *value) { return api.easy_setopt(curl, option, value); }
CURLcode sr_curl_set_list(CURL *curl, CURLoption option, struct curl_slist *list) { return api.easy_setopt(curl, option, list); }

CURLcode sr_curl_set_receivers(CURL *curl, sr_curl_data_fn body, sr_curl_data_fn header, void *context) {
    CURLcode code;
    if ((code = api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, body)) != CURLE_OK) return code;
    if ((code = api.easy_setopt(curl, CURLOPT_WRITEDATA, context)) != CURLE_OK) return code;
    if ((code = api.easy_setopt(curl, CURLOPT_HEADERFUNCTION, header)) != CURLE_OK) return code;
    return api.easy_setopt(curl, CURLOPT_HEADERDATA, context);
}

long sr_curl_response_code(CURL *curl) {
    long code = 0;
    api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

struct curl_slist *sr_curl_slist_append(struct curl_slist *list, const char *line) { return api.slist_append(list, line); }
void sr_curl_slist_free_all(struct curl_slist *list) { api.slist_free_all(list); }
