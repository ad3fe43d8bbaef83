/* packed.h - smaller stored forms of lc_result and lc_conn, for callers that
 * keep one per segment and one per connection for a whole capture (the
 * plugin).  Both are exact: a pack call succeeds only when unpacking gives
 * back the very same bytes, and says so; otherwise the caller keeps the full
 * form (which stays rare on ordinary traffic, see docs/engine.md "Stored
 * forms").
 *
 * Plain C11: no Wireshark, no GLib, no I/O, no allocation.
 */
#ifndef SYNFIN_PACKED_H
#define SYNFIN_PACKED_H

#include "lifecycle.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- one segment: 16 bytes instead of 24 --------------------------------
 * The flag bytes of lc_result as they are; the four numbers narrowed:
 * ack_frame as the distance back from the segment's own frame, the deltas as
 * 16-bit values, ack_expected as its difference from the segment's own
 * relative ack (0 whenever ack_ok).  Unpacking needs the segment (frame, ack)
 * and its connection (the peer's relative base, which never changes once
 * set). */
typedef struct lc_result_packed {
    uint8_t  tail[8];       /* lc_result from .anomalies on, as stored */
    uint16_t ack_frame_back; /* 0: ack_frame 0; else frame - ack_frame */
    int16_t  seq_delta, ack_delta;
    int16_t  ack_expected_off; /* ack_expected - (ack - peer base) */
} lc_result_packed;

/* The relative-number bases of the connection's two ends (0 client, 1
 * server), as the packed result needs them; set once, never changed. */
void lc_conn_bases(const lc_conn *c, uint32_t base[2]);

/* True and *out filled when r (the result of the segment with this frame
 * number and raw ack, in the connection whose bases are `base`) packs
 * exactly; false otherwise (*out zeroed). */
bool lc_result_pack(const lc_result *r, uint32_t frame, uint32_t ack, const uint32_t base[2],
                    lc_result_packed *out);
/* The lc_result that lc_result_pack packed (the same frame, ack and bases:
 * the bases of the same connection at any later time). */
void lc_result_unpack(const lc_result_packed *p, uint32_t frame, uint32_t ack,
                      const uint32_t base[2], lc_result *r);
/* The valid bit of a packed result, without unpacking. */
bool lc_result_packed_valid(const lc_result_packed *p);

/* ---- one connection: 188 bytes instead of 248 ----------------------------
 * Sequence numbers, windows and step codes as they are; the frame numbers as
 * 16-bit distances from the smallest one, the capture times as 32-bit
 * nanosecond distances from the earliest one.  Packs when the connection's
 * frames span less than 65,535 frames and its times less than 4.29 s. */
#define LC_CONN_PACKED_U32   23
#define LC_CONN_PACKED_FRAME 16
#define LC_CONN_PACKED_TIME  7
#define LC_CONN_PACKED_U8    21

typedef struct lc_conn_packed {
    uint32_t t0_lo, t0_hi;  /* time base (the earliest non-zero time) */
    uint32_t f0;            /* frame base (the smallest non-zero frame) */
    uint32_t u32[LC_CONN_PACKED_U32];
    uint32_t toff[LC_CONN_PACKED_TIME];    /* 0: time 0; else (t - t0) / unit + 1 */
    uint16_t foff[LC_CONN_PACKED_FRAME];   /* 0: frame 0; else f - f0 + 1 */
    uint8_t  u8[LC_CONN_PACKED_U8];
    uint8_t  time_us;       /* toff unit: 1 microseconds, 0 nanoseconds */
    uint8_t  pad[2];
} lc_conn_packed;

/* True and *out filled when c packs exactly; false otherwise. */
bool lc_conn_pack(const lc_conn *c, lc_conn_packed *out);
void lc_conn_unpack(const lc_conn_packed *p, lc_conn *c);
/* lc_conn_bases of the packed connection, without unpacking it. */
void lc_conn_packed_bases(const lc_conn_packed *p, uint32_t base[2]);

#ifdef __cplusplus
}
#endif
#endif
