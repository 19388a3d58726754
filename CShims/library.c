#include "library.h"

#include <dlfcn.h>
#include <stdio.h>

const char *sr_load_library(const char *soname, const char *package, const sr_symbol *symbols, char *why, size_t why_size) {
    void *library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(why, why_size, "cannot load %s (install Debian's %s)", soname, package);
        return why;
    }
    for (const sr_symbol *symbol = symbols; symbol->name != NULL; symbol++) {
        if ((*symbol->slot = dlsym(library, symbol->name)) == NULL) {
            snprintf(why, why_size, "%s lacks %s", soname, symbol->name);
            return why;
        }
    }
    return NULL;
}
