#include <seccomp.h>
#include <stdint.h>

// SCMP_ACT_ERRNO and SCMP_ACT_TRACE are function-like macros, which Swift
// does not import.
static inline uint32_t sr_scmp_act_errno(uint16_t errno_value) { return SCMP_ACT_ERRNO(errno_value); }
static inline uint32_t sr_scmp_act_trace(uint16_t message) { return SCMP_ACT_TRACE(message); }
