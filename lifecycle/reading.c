/* reading.c - spec section 8.2: a 4-tuple used again (see reading.h).
 * The readings that need the engine's private state live in lifecycle.c. */
#include "reading.h"

#include <string.h>

bool lc_reuse_check(const lc_tuple_prev *prev, unsigned sender_prev_role, const lc_segment *syn,
                    unsigned time_wait_s, lc_reuse *out)
{
    memset(out, 0, sizeof *out);
    if (!(prev->flags & LC_PREV_VALID))
        return false;
    unsigned role = sender_prev_role & 1u;
    out->prev_stream = prev->stream;
    out->gap_ns = (int64_t)((uint64_t)syn->time_ns - (uint64_t)prev->last_time_ns);
    if (prev->flags & (role == 0 ? LC_PREV_SEQ_C : LC_PREV_SEQ_S)) {
        /* After (RFC 1982) the highest number used, which is next_seq - 1. */
        out->isn_known = true;
        out->isn_higher = (int32_t)(syn->seq - (prev->next_seq[role] - 1u)) > 0;
    }
    if (prev->flags & LC_PREV_TIME_WAIT) {
        int64_t since = (int64_t)((uint64_t)syn->time_ns - (uint64_t)prev->time_wait_ns);
        /* Still in TIME_WAIT: entered less than time_wait_s before the SYN (a
         * SYN stamped before the entry counts as inside too). */
        if (since < (int64_t)time_wait_s * 1000000000)
            out->anomalies = out->isn_known && !out->isn_higher ? LC_ANOM_REUSE_TIME_WAIT_LOWER
                                                                 : LC_ANOM_REUSE_TIME_WAIT;
    }
    return true;
}
