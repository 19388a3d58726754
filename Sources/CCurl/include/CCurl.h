#ifndef SWIFTRUN_CCURL_H
#define SWIFTRUN_CCURL_H

/* libcurl, loaded with dlopen the first time a registry is contacted.
 * Linking it would make every `swiftrun run` load libcurl and its ~20
 * dependencies (TLS, HTTP/2, IDN, LDAP, Kerberos) before main, a cost a
 * container start must not pay for a pull it does not make.
 *
 * Swift cannot call curl_easy_setopt or curl_easy_getinfo (variadic), so
 * each argument type gets a typed wrapper. */

#include <curl/curl.h>

/* NULL once libcurl is loaded and initialised; otherwise why it is not. */
const char *sr_curl_load(void);

CURL *sr_curl_easy_init(void);
void sr_curl_easy_cleanup(CURL *curl);
void sr_curl_easy_reset(CURL *curl);
CURLcode sr_curl_perform(CURL *curl);
const char *sr_curl_strerror(CURLcode code);

CURLcode sr_curl_set_long(CURL *curl, CURLoption option, long value);
CURLcode sr_curl_set_string(CURL *curl, CURLoption option, const char *value);
CURLcode sr_curl_set_list(CURL *curl, CURLoption option, struct curl_slist *list);

typedef size_t (*sr_curl_data_fn)(char *data, size_t size, size_t count, void *context);
/* Body bytes and header lines go to `fn` with `context`. */
CURLcode sr_curl_set_receivers(CURL *curl, sr_curl_data_fn body, sr_curl_data_fn header, void *context);

long sr_curl_response_code(CURL *curl);

struct curl_slist *sr_curl_slist_append(struct curl_slist *list, const char *line);
void sr_curl_slist_free_all(struct curl_slist *list);

#endif
