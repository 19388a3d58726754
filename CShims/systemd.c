// systemd's D-Bus API, for `--systemd-cgroup`: a transient scope unit
// holds the container's pid 1, as runc's systemd driver makes it. sd-bus
// comes from libsystemd.so.0, loaded with dlopen on first use (as libcurl
// and libnftables are): nothing else pays for it. Its header is not
// needed: the few entry points are declared here, their structs opaque.
//
// As root, the bus is systemd's own private socket, as systemctl uses it:
// it needs no D-Bus broker. The system bus is the fallback.
#include "CShims.h"
#include "library.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct sd_bus sd_bus;
typedef struct sd_bus_message sd_bus_message;
typedef struct sd_bus_slot sd_bus_slot;
typedef struct {
    const char *name;
    const char *message;
    int need_free;
} sd_bus_error;
typedef int (*sd_bus_message_handler_t)(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static struct {
    int (*bus_new)(sd_bus **);
    int (*set_address)(sd_bus *, const char *);
    int (*start)(sd_bus *);
    int (*open_system)(sd_bus **);
    sd_bus *(*flush_close_unref)(sd_bus *);
    int (*new_method_call)(sd_bus *, sd_bus_message **, const char *, const char *, const char *, const char *);
    int (*append)(sd_bus_message *, const char *, ...);
    int (*open_container)(sd_bus_message *, char, const char *);
    int (*close_container)(sd_bus_message *);
    int (*call)(sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
    int (*read)(sd_bus_message *, const char *, ...);
    sd_bus_message *(*message_unref)(sd_bus_message *);
    int (*add_match)(sd_bus *, sd_bus_slot **, const char *, sd_bus_message_handler_t, void *);
    int (*process)(sd_bus *, sd_bus_message **);
    int (*wait)(sd_bus *, uint64_t);
    void (*error_free)(sd_bus_error *);
} api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *load_error = "libsystemd was not loaded";

static void load(void) {
    static char why[128];
    const sr_symbol symbols[] = {
        {"sd_bus_new", (void **)&api.bus_new},
        {"sd_bus_set_address", (void **)&api.set_address},
        {"sd_bus_start", (void **)&api.start},
        {"sd_bus_open_system", (void **)&api.open_system},
        {"sd_bus_flush_close_unref", (void **)&api.flush_close_unref},
        {"sd_bus_message_new_method_call", (void **)&api.new_method_call},
        {"sd_bus_message_append", (void **)&api.append},
        {"sd_bus_message_open_container", (void **)&api.open_container},
        {"sd_bus_message_close_container", (void **)&api.close_container},
        {"sd_bus_call", (void **)&api.call},
        {"sd_bus_message_read", (void **)&api.read},
        {"sd_bus_message_unref", (void **)&api.message_unref},
        {"sd_bus_add_match", (void **)&api.add_match},
        {"sd_bus_process", (void **)&api.process},
        {"sd_bus_wait", (void **)&api.wait},
        {"sd_bus_error_free", (void **)&api.error_free},
        {NULL, NULL},
    };
    load_error = sr_load_library("libsystemd.so.0", "libsystemd0", symbols, why, sizeof why);
}

static const char destination[] = "org.freedesktop.systemd1";
static const char manager_path[] = "/org/freedesktop/systemd1";
static const char manager[] = "org.freedesktop.systemd1.Manager";
static const uint64_t call_timeout_us = 25 * 1000 * 1000;

// A connection to systemd, or NULL with the reason in ERROR.
static sd_bus *connect(char *error, size_t error_size) {
    pthread_once(&once, load);
    if (load_error != NULL) {
        snprintf(error, error_size, "%s", load_error);
        return NULL;
    }
    sd_bus *bus = NULL;
    int rc = api.bus_new(&bus);
    if (rc >= 0) rc = api.set_address(bus, "unix:path=/run/systemd/private");
    if (rc >= 0) rc = api.start(bus);
    if (rc >= 0) return bus;
    if (bus != NULL) api.flush_close_unref(bus);
    bus = NULL;
    rc = api.open_system(&bus);
    if (rc >= 0) return bus;
    snprintf(error, error_size, "connect to systemd: %s", strerror(-rc));
    return NULL;
}

static int fail(sd_bus_error *bus_error, int rc, const char *what, char *error, size_t error_size) {
    snprintf(error, error_size, "%s: %s", what,
             bus_error != NULL && bus_error->message != NULL ? bus_error->message : strerror(rc < 0 ? -rc : rc));
    if (bus_error != NULL) api.error_free(bus_error);
    return rc < 0 ? rc : -EIO;
}

// The job StartTransientUnit queued: its path, and its result once
// JobRemoved names it.
typedef struct {
    char path[256];
    char result[32];
    int done;
} job_wait;

static int job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
    (void)ret_error;
    job_wait *job = userdata;
    uint32_t id;
    const char *path, *unit, *result;
    if (api.read(m, "uoss", &id, &path, &unit, &result) < 0) return 0;
    if (strcmp(path, job->path) == 0) {
        snprintf(job->result, sizeof job->result, "%s", result);
        job->done = 1;
    }
    return 0;
}

static uint64_t now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

int sr_systemd_start_scope(const char *unit, const char *slice, const char *description, pid_t pid, char *error,
                           size_t error_size) {
    sd_bus *bus = connect(error, error_size);
    if (bus == NULL) return -ENOTCONN;
    sd_bus_message *m = NULL, *reply = NULL;
    sd_bus_error bus_error = {NULL, NULL, 0};
    job_wait job = {.done = 0};
    // Signals reach a client that subscribed; the match is made before
    // the call, so the job cannot end unseen.
    int rc = api.new_method_call(bus, &m, destination, manager_path, manager, "Subscribe");
    if (rc >= 0) rc = api.call(bus, m, call_timeout_us, &bus_error, &reply);
    if (m != NULL) m = api.message_unref(m);
    if (reply != NULL) reply = api.message_unref(reply);
    if (rc < 0) api.error_free(&bus_error);  // already subscribed, or a bus that needs none
    bus_error = (sd_bus_error){NULL, NULL, 0};
    rc = api.add_match(bus, NULL,
                       "type='signal',interface='org.freedesktop.systemd1.Manager',member='JobRemoved',"
                       "path='/org/freedesktop/systemd1'",
                       job_removed, &job);
    if (rc < 0) {
        api.flush_close_unref(bus);
        return fail(NULL, rc, "watch systemd's jobs", error, error_size);
    }
    rc = api.new_method_call(bus, &m, destination, manager_path, manager, "StartTransientUnit");
    if (rc >= 0) rc = api.append(m, "ss", unit, "fail");
    if (rc >= 0) rc = api.open_container(m, 'a', "(sv)");
    if (rc >= 0) rc = api.append(m, "(sv)", "Description", "s", description);
    if (rc >= 0 && slice[0] != '\0') rc = api.append(m, "(sv)", "Slice", "s", slice);
    if (rc >= 0) rc = api.append(m, "(sv)", "Delegate", "b", 1);
    if (rc >= 0) rc = api.append(m, "(sv)", "DefaultDependencies", "b", 0);
    if (rc >= 0) rc = api.append(m, "(sv)", "PIDs", "au", 1, (uint32_t)pid);
    if (rc >= 0) rc = api.close_container(m);
    if (rc >= 0) rc = api.append(m, "a(sa(sv))", 0);  // no auxiliary units
    if (rc >= 0) rc = api.call(bus, m, call_timeout_us, &bus_error, &reply);
    if (m != NULL) api.message_unref(m);
    if (rc < 0) {
        api.flush_close_unref(bus);
        return fail(&bus_error, rc, "StartTransientUnit", error, error_size);
    }
    const char *path = NULL;
    rc = api.read(reply, "o", &path);
    if (rc >= 0) snprintf(job.path, sizeof job.path, "%s", path);
    api.message_unref(reply);
    uint64_t deadline = now_us() + call_timeout_us;
    while (rc >= 0 && !job.done) {
        rc = api.process(bus, NULL);
        if (rc > 0 || job.done) continue;
        uint64_t now = now_us();
        if (rc == 0 && now >= deadline) rc = -ETIMEDOUT;
        if (rc == 0) rc = api.wait(bus, deadline - now);
        if (rc == -EINTR) rc = 0;
    }
    api.flush_close_unref(bus);
    if (rc < 0) return fail(NULL, rc, "wait for systemd's job", error, error_size);
    if (strcmp(job.result, "done") != 0) {
        snprintf(error, error_size, "systemd's job to start %s ended with \"%s\"", unit, job.result);
        return -EIO;
    }
    return 0;
}

int sr_systemd_stop_unit(const char *unit, char *error, size_t error_size) {
    sd_bus *bus = connect(error, error_size);
    if (bus == NULL) return -ENOTCONN;
    sd_bus_message *m = NULL, *reply = NULL;
    sd_bus_error bus_error = {NULL, NULL, 0};
    int rc = api.new_method_call(bus, &m, destination, manager_path, manager, "StopUnit");
    if (rc >= 0) rc = api.append(m, "ss", unit, "replace");
    if (rc >= 0) rc = api.call(bus, m, call_timeout_us, &bus_error, &reply);
    if (m != NULL) api.message_unref(m);
    if (reply != NULL) api.message_unref(reply);
    // A scope whose processes have all gone is collected by systemd itself.
    if (rc < 0 && bus_error.name != NULL && strcmp(bus_error.name, "org.freedesktop.systemd1.NoSuchUnit") == 0) {
        api.error_free(&bus_error);
        rc = 0;
    }
    api.flush_close_unref(bus);
    return rc < 0 ? fail(&bus_error, rc, "StopUnit", error, error_size) : 0;
}
