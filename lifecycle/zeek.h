/* zeek.h - Zeek-compatible connection summary: conn_state and history.
 *
 * Zeek's conn.log vocabulary, computed per connection from the same segments
 * the lifecycle engine sees.  Zeek's originator is usually the first sender;
 * it flips when the first segment is a SYN-ACK or carries no SYN and comes
 * from the lower port (Zeek: a "likely server port"), or when a SYN-ACK start
 * is followed by data or a SYN from the other side.  Definitions:
 * shared/reference/connection-state-anchors.md section 1; choices where
 * Wireshark cannot give what Zeek uses are in docs/zeek.md.
 *
 * Plain C11, allocation-free, 64 bytes per connection.
 */
#ifndef SYNFIN_ZEEK_H
#define SYNFIN_ZEEK_H

#include "lifecycle.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lc_zeek_state {
    LC_ZS_S0 = 0, LC_ZS_S1, LC_ZS_SF, LC_ZS_REJ, LC_ZS_S2, LC_ZS_S3, LC_ZS_RSTO, LC_ZS_RSTR,
    LC_ZS_RSTOS0, LC_ZS_RSTRH, LC_ZS_SH, LC_ZS_SHR, LC_ZS_OTH, LC_ZS_COUNT
} lc_zeek_state;

#define LC_ZEEK_HIST_MAX 22

typedef struct lc_zeek {
    uint32_t last_syn_seq[2];  /* [0] originator, [1] responder */
    uint32_t last_fin_end[2];
    uint32_t last_rst_seq[2];
    uint16_t count_t[2];       /* retransmissions (saturating) */
    uint16_t count_w[2];       /* zero windows (saturating) */
    char     hist[LC_ZEEK_HIST_MAX]; /* letters so far; not NUL-terminated */
    uint8_t  hist_len;
    uint8_t  orig_from;        /* lc_segment.from of the originator */
    uint8_t  st[2];            /* Zeek endpoint states (private) */
    uint8_t  seen[2];          /* letters already written per direction (private) */
    uint8_t  flags;            /* private */
    uint8_t  pad;
} lc_zeek;

void lc_zeek_init(lc_zeek *z);

/* Apply one segment after lc_conn_observe filled *r; records the snapshot
 * (conn_state, history length) into r->zeek_snap / r->zeek_hist_len. */
void lc_zeek_observe(lc_zeek *z, const lc_segment *s, lc_result *r);

/* What lc_zeek_observe records in lc_result.zeek_snap: the conn_state as of
 * the segment (LC_ZS_* + 1; 0 = none) and whether the segment came from the
 * originator, as known at that segment. */
#define LC_ZEEK_SNAP_STATE(r)     ((unsigned)((r)->zeek_snap & 0x0F) - 1u)
#define LC_ZEEK_SNAP_HAS_STATE(r) (((r)->zeek_snap & 0x0F) != 0)
#define LC_ZEEK_SNAP_FROM_ORIG(r) (((r)->zeek_snap & 0x80) != 0)

/* The conn_state as of now (LC_ZS_*). */
lc_zeek_state lc_zeek_conn_state(const lc_zeek *z);

/* "S0", "SF", ...; "-" out of range. */
const char *lc_zeek_state_name(unsigned zs);

/* History as of a segment's snapshot r (or now, when r is NULL) into buf. */
size_t lc_zeek_history(const lc_zeek *z, const lc_result *r, char *buf, size_t size);

/* Whether the segment came from Zeek's originator (as of now). */
bool lc_zeek_is_orig(const lc_zeek *z, const lc_segment *s);

#ifdef __cplusplus
}
#endif
#endif
