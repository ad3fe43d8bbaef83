/* anomaly.h - the one table of anomalies (bits of lc_result.anomalies).
 *
 * Read by every face: the plugin registers its expert items from it
 * (synfin.<key>) and names its statistics nodes with it, the injector prints
 * "<key>":true in its JSON lines.  Order: by bit, so that every face lists a
 * segment's anomalies in the same order.
 */
#ifndef SYNFIN_ANOMALY_H
#define SYNFIN_ANOMALY_H

#include "lifecycle.h"
#include "reading.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Expert info group and severity, in Wireshark's vocabulary (PI_SEQUENCE /
 * PI_MALFORMED, PI_NOTE / PI_WARN) without depending on it. */
typedef enum lc_anom_group { LC_ANOM_GROUP_SEQUENCE = 0, LC_ANOM_GROUP_MALFORMED = 1 } lc_anom_group;
typedef enum lc_anom_severity { LC_ANOM_NOTE = 0, LC_ANOM_WARN = 1 } lc_anom_severity;

typedef struct lc_anomaly {
    unsigned         bit;     /* LC_ANOM_* */
    const char      *key;     /* filter key: synfin.<key>, JSON "<key>" */
    lc_anom_group    group;
    lc_anom_severity severity;
    const char      *summary; /* expert info text */
    const char      *stat;    /* statistics tree node */
} lc_anomaly;

/* One row per anomaly bit, stored (lc_result.anomalies, bits 0-14) or
 * derived (reading.h, bits 16-19), in bit order: iterate over the rows and
 * test lc_result_anomalies(r) (plus the connection's reuse bits on its first
 * SYN).  The two reuse rows share the key reuse_time_wait: spec 8.2 makes
 * it a note, or a warning when the new ISN is not higher. */
enum { LC_ANOM_COUNT = 19 };
extern const lc_anomaly lc_anomalies[LC_ANOM_COUNT];

#ifdef __cplusplus
}
#endif
#endif
