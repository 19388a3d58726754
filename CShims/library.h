// Libraries loaded with dlopen on first use (libnftables, libsystemd,
// libisal), so that only the commands that need one pay for it and `run`
// never does. Not exported to Swift.
#ifndef SWIFTRUN_LIBRARY_H
#define SWIFTRUN_LIBRARY_H

#include <stddef.h>

// One entry point: its name, and where its address goes.
typedef struct {
    const char *name;
    void **slot;
} sr_symbol;

// Opens SONAME and resolves SYMBOLS (ended by a NULL name). NULL on
// success; else why not, in WHY, naming PACKAGE as the Debian package to
// install when the library is missing.
const char *sr_load_library(const char *soname, const char *package, const sr_symbol *symbols, char *why, size_t why_size);

#endif
