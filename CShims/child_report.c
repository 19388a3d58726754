// The child's side of the report pipe: failures always, and with --explain
// a record for every step done, carrying the call as the child made it.
// Everything is formatted into stack buffers: no malloc, no stdio.
#define _GNU_SOURCE
#include "child_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static void send(const sr_child_spec *spec, sr_step step, int err, int detail, const char *text, size_t length) {
    struct {
        sr_report header;
        char text[SR_REPORT_TEXT_MAX];
    } record;
    if (length > sizeof record.text) length = sizeof record.text;
    record.header = (sr_report){.step = step, .err = err, .detail = detail, .length = (int32_t)length};
    memcpy(record.text, text, length);
    (void)!write(spec->report_fd, &record, sizeof record.header + length);
}

// Set once `create` has returned: nobody reads the report pipe any more.
// Only a bundle's child gets here, and it has its own copy of memory
// (sr_spawn_can_share_memory): a child sharing swiftrun's would set it for
// every later child.
static int report_closed;

void sr_close_report(const sr_child_spec *spec) {
    close(spec->report_fd);
    report_closed = 1;
}

_Noreturn void sr_fail(const sr_child_spec *spec, sr_step step, int detail) {
    int err = errno;
    if (!report_closed) {
        send(spec, step, err, detail, "", 0);
        _exit(125);
    }
    // After start: the engine shows the container's stderr. Exit codes as
    // a shell's: 127 for a command not found, 126 for one that cannot run.
    sr_text t = {.length = 0};
    sr_text_add(&t, "swiftrun: ");
    sr_text_add(&t, sr_step_name(step));
    sr_text_add(&t, ": ");
    const char *why = strerrordesc_np(err);
    sr_text_add(&t, why != NULL ? why : "unknown error");
    sr_text_add(&t, "\n");
    (void)!write(2, t.text, t.length);
    _exit(step == SR_STEP_EXEC ? (err == ENOENT ? 127 : 126) : 125);
}

_Noreturn void sr_fail_hook(const sr_child_spec *spec, int index, int err) {
    if (!report_closed) {
        send(spec, SR_STEP_CONTAINER_HOOK, err, index, "", 0);
        _exit(125);
    }
    // A startContainer hook, after create returned: say it on stderr.
    const sr_hook *hook = &spec->hooks[index];
    sr_text t = {.length = 0};
    sr_text_add(&t, hook->stage == SR_HOOK_START_CONTAINER ? "swiftrun: startContainer hook " : "swiftrun: createContainer hook ");
    sr_text_add(&t, hook->path);
    if (err > 0) {
        const char *why = strerrordesc_np(err);
        sr_text_add(&t, ": ");
        sr_text_add(&t, why != NULL ? why : "unknown error");
    } else {
        sr_text_add(&t, " exited with status ");
        sr_text_number(&t, -err);
    }
    sr_text_add(&t, "\n");
    (void)!write(2, t.text, t.length);
    _exit(125);
}

void sr_report_value(const sr_child_spec *spec, sr_step step, int value) { send(spec, step, 0, value, "", 0); }

void sr_narrate(const sr_child_spec *spec, sr_step step, int detail, const sr_text *t) {
    if (spec->narrate) send(spec, step, 0, detail, t->text, t->length);
}

void sr_narrate_call(const sr_child_spec *spec, sr_step step, const char *call) {
    if (spec->narrate) send(spec, step, 0, -1, call, strlen(call));
}

void sr_narrate_quoted(const sr_child_spec *spec, sr_step step, const char *before, const char *argument, const char *after) {
    if (!spec->narrate) return;
    sr_text t = {.length = 0};
    sr_text_add(&t, before);
    sr_text_quoted(&t, argument);
    sr_text_add(&t, after);
    sr_narrate(spec, step, -1, &t);
}

void sr_text_add(sr_text *t, const char *s) {
    size_t n = strlen(s);
    if (n > sizeof t->text - t->length) n = sizeof t->text - t->length;
    memcpy(t->text + t->length, s, n);
    t->length += n;
}

void sr_text_quoted(sr_text *t, const char *s) {
    sr_text_add(t, "\"");
    sr_text_add(t, s != NULL ? s : "");
    sr_text_add(t, "\"");
}

void sr_text_number(sr_text *t, long long value) {
    char digits[24];
    int n = 0;
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (value < 0) sr_text_add(t, "-");
    char text[24];
    for (int i = 0; i < n; i++) text[i] = digits[n - 1 - i];
    text[n] = '\0';
    sr_text_add(t, text);
}

void sr_text_mount_flags(sr_text *t, unsigned long flags) {
    static const struct {
        unsigned long flag;
        const char *name;
    } names[] = {
        {MS_RDONLY, "MS_RDONLY"}, {MS_NOSUID, "MS_NOSUID"}, {MS_NODEV, "MS_NODEV"},
        {MS_NOEXEC, "MS_NOEXEC"}, {MS_REMOUNT, "MS_REMOUNT"}, {MS_BIND, "MS_BIND"},
        {MS_REC, "MS_REC"}, {MS_PRIVATE, "MS_PRIVATE"}, {MS_STRICTATIME, "MS_STRICTATIME"},
    };
    int first = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(flags & names[i].flag)) continue;
        sr_text_add(t, first ? "" : "|");
        sr_text_add(t, names[i].name);
        first = 0;
    }
    if (first) sr_text_add(t, "0");
}
