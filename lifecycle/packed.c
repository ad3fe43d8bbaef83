/* packed.c - the stored forms of lc_result and lc_conn (see packed.h). */
#include "packed.h"

#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(lc_result_packed) == 16, "lc_result_packed is stored per frame: 16 bytes");
_Static_assert(sizeof(lc_conn_packed) == 188, "lc_conn_packed: 188 bytes");
_Static_assert(offsetof(lc_result, anomalies) == 16 && sizeof(lc_result) == 24,
               "lc_result: the flag bytes are its last 8");

/* ---- lc_result ------------------------------------------------------------ */

/* The peer's relative base: the one ack_expected is relative to (the role
 * bit says who sent the segment). */
static uint32_t peer_base(const uint32_t base[2], const lc_result *r)
{
    return base[r->role_s2c ? 0 : 1];
}

void lc_conn_bases(const lc_conn *c, uint32_t base[2])
{
    base[0] = c->end[0].base;
    base[1] = c->end[1].base;
}

void lc_result_unpack(const lc_result_packed *p, uint32_t frame, uint32_t ack,
                      const uint32_t base[2], lc_result *r)
{
    memset(r, 0, sizeof *r);
    memcpy((unsigned char *)r + offsetof(lc_result, anomalies), p->tail, sizeof p->tail);
    r->ack_frame = p->ack_frame_back ? frame - p->ack_frame_back : 0;
    r->seq_delta = p->seq_delta;
    r->ack_delta = p->ack_delta;
    if (r->has_ack_expected)
        r->ack_expected = ack - peer_base(base, r) + (uint32_t)(int32_t)p->ack_expected_off;
}

bool lc_result_packed_valid(const lc_result_packed *p)
{
    lc_result r;
    memset(&r, 0, sizeof r);
    memcpy((unsigned char *)&r + offsetof(lc_result, anomalies), p->tail, sizeof p->tail);
    return r.valid != 0;
}

bool lc_result_pack(const lc_result *r, uint32_t frame, uint32_t ack, const uint32_t base[2],
                    lc_result_packed *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->tail, (const unsigned char *)r + offsetof(lc_result, anomalies), sizeof out->tail);
    uint32_t back = r->ack_frame ? frame - r->ack_frame : 0;
    int32_t off = r->has_ack_expected
                      ? (int32_t)(r->ack_expected - (ack - peer_base(base, r))) : 0;
    if (back > UINT16_MAX || (r->ack_frame && back == 0) || r->seq_delta < INT16_MIN ||
        r->seq_delta > INT16_MAX || r->ack_delta < INT16_MIN || r->ack_delta > INT16_MAX ||
        off < INT16_MIN || off > INT16_MAX)
        goto no;
    /* Exact or nothing: the ranges above make each stored number come back
     * as it was (ack_frame = frame - back, ack_expected = ack - base + off
     * mod 2^32); an ack_expected without its flag would not. */
    if (!r->has_ack_expected && r->ack_expected != 0)
        goto no;
    out->ack_frame_back = (uint16_t)back;
    out->seq_delta = (int16_t)r->seq_delta;
    out->ack_delta = (int16_t)r->ack_delta;
    out->ack_expected_off = (int16_t)off;
    return true;
no:
    memset(out, 0, sizeof *out);
    return false;
}

/* ---- lc_conn --------------------------------------------------------------- */

/* The fields of lc_conn by kind, in packed order (lc_conn_packed_bases
 * knows that the two bases are u32[0] and u32[9]).  Written out as direct
 * member accesses, so that packing costs a few dozen moves per segment. */
#define U32_FIELDS(X) \
    X(end[0].base) X(end[0].next) X(end[0].last_seq) X(end[0].last_ack) X(end[0].isn) \
    X(end[0].fin_seq) X(end[0].ring_end[0]) X(end[0].ring_end[1]) X(end[0].ack_step_sig) \
    X(end[1].base) X(end[1].next) X(end[1].last_seq) X(end[1].last_ack) X(end[1].isn) \
    X(end[1].fin_seq) X(end[1].ring_end[0]) X(end[1].ring_end[1]) X(end[1].ack_step_sig) \
    X(win[0]) X(win[1]) X(old_ack) X(isn_first[0]) X(isn_first[1])
#define FRAME_FIELDS(X) \
    X(end[0].isn_frame) X(end[0].fin_frame) X(end[0].ring_frame[0]) X(end[0].ring_frame[1]) \
    X(end[1].isn_frame) X(end[1].fin_frame) X(end[1].ring_frame[0]) X(end[1].ring_frame[1]) \
    X(synack_frame) X(sim_close_frame) X(hs_done_frame) X(fin1_frame) X(restart_frame) \
    X(since_frame[0]) X(since_frame[1]) X(last_frame)
#define TIME_FIELDS(X) \
    X(syn_time_ns) X(synack_time_ns) X(hs_done_time_ns) X(fin1_time_ns) X(since_ns[0]) \
    X(since_ns[1]) X(last_time_ns)
#define U8_FIELDS(X) \
    X(end[0].ack_step_code) X(end[0].syn_code) X(end[0].synack_code) X(end[0].fin_code) \
    X(end[0].state) X(end[0].flags) \
    X(end[1].ack_step_code) X(end[1].syn_code) X(end[1].synack_code) X(end[1].fin_code) \
    X(end[1].state) X(end[1].flags) \
    X(client_from) X(conn_flags) X(hs_kind) X(td_kind) X(td_first) X(td_step) X(td_acks) \
    X(x_flags) X(vantage)

#define COUNT(f) +1
_Static_assert(0 U32_FIELDS(COUNT) == LC_CONN_PACKED_U32, "u32 fields");
_Static_assert(0 FRAME_FIELDS(COUNT) == LC_CONN_PACKED_FRAME, "frame fields");
_Static_assert(0 TIME_FIELDS(COUNT) == LC_CONN_PACKED_TIME, "time fields");
_Static_assert(0 U8_FIELDS(COUNT) == LC_CONN_PACKED_U8, "u8 fields");
/* Every byte of lc_conn is one of these fields or padding (15 bytes: the
 * explicit pads and the alignment holes), so a field left out fails here. */
#define SIZE(f) +sizeof(((lc_conn *)0)->f)
_Static_assert(0 U32_FIELDS(SIZE) FRAME_FIELDS(SIZE) TIME_FIELDS(SIZE) U8_FIELDS(SIZE) + 15 ==
                   sizeof(lc_conn), "lc_conn fields and the packed form disagree");

bool lc_conn_pack(const lc_conn *c, lc_conn_packed *out)
{
    uint32_t f0 = UINT32_MAX;
#define MIN_FRAME(f) if (c->f && c->f < f0) f0 = c->f;
    FRAME_FIELDS(MIN_FRAME)
    if (f0 == UINT32_MAX)
        f0 = 0;
    int64_t t0 = INT64_MAX;
#define MIN_TIME(f) if (c->f && c->f < t0) t0 = c->f;
    TIME_FIELDS(MIN_TIME)
    if (t0 == INT64_MAX)
        t0 = 0;
    bool fits = true;
    unsigned i;
    /* t >= t0 and f >= f0: the unsigned differences are the distances.  The
     * time offsets are in microseconds when every one is a whole number of
     * them (pcap files: a range of 71 minutes), else in nanoseconds (4.29 s). */
    uint64_t unit = 1000;
#define TIME_UNIT(f) if (c->f && ((uint64_t)c->f - (uint64_t)t0) % 1000u != 0) unit = 1;
    TIME_FIELDS(TIME_UNIT)
    i = 0;
#define PUT_FRAME(f) fits &= !c->f || c->f - f0 < UINT16_MAX; \
    out->foff[i++] = c->f ? (uint16_t)(c->f - f0 + 1u) : 0;
    FRAME_FIELDS(PUT_FRAME)
    i = 0;
#define PUT_TIME(f) fits &= !c->f || ((uint64_t)c->f - (uint64_t)t0) / unit < UINT32_MAX; \
    out->toff[i++] = c->f ? (uint32_t)(((uint64_t)c->f - (uint64_t)t0) / unit) + 1u : 0;
    TIME_FIELDS(PUT_TIME)
    if (!fits)
        return false;
    out->f0 = f0;
    out->t0_lo = (uint32_t)(uint64_t)t0;
    out->t0_hi = (uint32_t)((uint64_t)t0 >> 32);
    i = 0;
#define PUT_U32(f) out->u32[i++] = c->f;
    U32_FIELDS(PUT_U32)
    i = 0;
#define PUT_U8(f) out->u8[i++] = c->f;
    U8_FIELDS(PUT_U8)
    out->time_us = unit == 1000;
    out->pad[0] = out->pad[1] = 0;
    return true;
}

void lc_conn_unpack(const lc_conn_packed *p, lc_conn *c)
{
    memset(c, 0, sizeof *c);
    const uint64_t t0 = (uint64_t)p->t0_lo | ((uint64_t)p->t0_hi << 32);
    unsigned i = 0;
#define GET_FRAME(f) c->f = p->foff[i] ? p->f0 + p->foff[i] - 1u : 0; i++;
    FRAME_FIELDS(GET_FRAME)
    i = 0;
    const uint64_t unit = p->time_us ? 1000u : 1u;
#define GET_TIME(f) c->f = p->toff[i] ? (int64_t)(t0 + (p->toff[i] - 1u) * unit) : 0; i++;
    TIME_FIELDS(GET_TIME)
    i = 0;
#define GET_U32(f) c->f = p->u32[i++];
    U32_FIELDS(GET_U32)
    i = 0;
#define GET_U8(f) c->f = p->u8[i++];
    U8_FIELDS(GET_U8)
}

void lc_conn_packed_bases(const lc_conn_packed *p, uint32_t base[2])
{
    base[0] = p->u32[0]; /* u32_fields: END0(base) */
    base[1] = p->u32[9]; /* END1(base) */
}
