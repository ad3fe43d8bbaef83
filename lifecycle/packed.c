/* packed.c - the stored forms of lc_result and lc_conn (see packed.h). */
#include "packed.h"

#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(lc_result_packed) == 16, "lc_result_packed is stored per frame: 16 bytes");
_Static_assert(sizeof(lc_conn_packed) == 188, "lc_conn_packed: 188 bytes");
_Static_assert(sizeof(lc_conn) == 248, "lc_conn changed: update the field tables below");
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
    out->ack_frame_back = (uint16_t)back;
    out->seq_delta = (int16_t)r->seq_delta;
    out->ack_delta = (int16_t)r->ack_delta;
    out->ack_expected_off = (int16_t)off;
    /* Exact or nothing: anything else kept in the numbers shows here. */
    lc_result again;
    lc_result_unpack(out, frame, ack, base, &again);
    if (memcmp(&again, r, sizeof *r) == 0)
        return true;
no:
    memset(out, 0, sizeof *out);
    return false;
}

/* ---- lc_conn --------------------------------------------------------------- */

#define END0(f) offsetof(lc_conn, end[0].f)
#define END1(f) offsetof(lc_conn, end[1].f)
#define CONN(f) offsetof(lc_conn, f)

/* (lc_conn_packed_bases knows where the two bases are: 0 and 9.) */
static const unsigned short u32_fields[LC_CONN_PACKED_U32] = {
    END0(base), END0(next), END0(last_seq), END0(last_ack), END0(isn), END0(fin_seq),
    END0(ring_end[0]), END0(ring_end[1]), END0(ack_step_sig),
    END1(base), END1(next), END1(last_seq), END1(last_ack), END1(isn), END1(fin_seq),
    END1(ring_end[0]), END1(ring_end[1]), END1(ack_step_sig),
    CONN(win[0]), CONN(win[1]), CONN(old_ack), CONN(isn_first[0]), CONN(isn_first[1]),
};

static const unsigned short frame_fields[LC_CONN_PACKED_FRAME] = {
    END0(isn_frame), END0(fin_frame), END0(ring_frame[0]), END0(ring_frame[1]),
    END1(isn_frame), END1(fin_frame), END1(ring_frame[0]), END1(ring_frame[1]),
    CONN(synack_frame), CONN(sim_close_frame), CONN(hs_done_frame), CONN(fin1_frame),
    CONN(restart_frame), CONN(since_frame[0]), CONN(since_frame[1]), CONN(last_frame),
};

static const unsigned short time_fields[LC_CONN_PACKED_TIME] = {
    CONN(syn_time_ns), CONN(synack_time_ns), CONN(hs_done_time_ns), CONN(fin1_time_ns),
    CONN(since_ns[0]), CONN(since_ns[1]), CONN(last_time_ns),
};

static const unsigned short u8_fields[LC_CONN_PACKED_U8] = {
    END0(ack_step_code), END0(syn_code), END0(synack_code), END0(fin_code), END0(state),
    END0(flags),
    END1(ack_step_code), END1(syn_code), END1(synack_code), END1(fin_code), END1(state),
    END1(flags),
    CONN(client_from), CONN(conn_flags), CONN(hs_kind), CONN(td_kind), CONN(td_first),
    CONN(td_step), CONN(td_acks), CONN(x_flags), CONN(vantage),
};

static uint32_t get32(const lc_conn *c, unsigned off)
{
    uint32_t v;
    memcpy(&v, (const unsigned char *)c + off, sizeof v);
    return v;
}

static int64_t get64(const lc_conn *c, unsigned off)
{
    int64_t v;
    memcpy(&v, (const unsigned char *)c + off, sizeof v);
    return v;
}

bool lc_conn_pack(const lc_conn *c, lc_conn_packed *out)
{
    memset(out, 0, sizeof *out);
    uint32_t f0 = 0;
    for (unsigned i = 0; i < LC_CONN_PACKED_FRAME; i++) {
        uint32_t f = get32(c, frame_fields[i]);
        if (f && (!f0 || f < f0))
            f0 = f;
    }
    bool have_t0 = false;
    int64_t t0 = 0;
    for (unsigned i = 0; i < LC_CONN_PACKED_TIME; i++) {
        int64_t t = get64(c, time_fields[i]);
        if (t && (!have_t0 || t < t0)) {
            t0 = t;
            have_t0 = true;
        }
    }
    out->f0 = f0;
    out->t0_lo = (uint32_t)(uint64_t)t0;
    out->t0_hi = (uint32_t)((uint64_t)t0 >> 32);
    for (unsigned i = 0; i < LC_CONN_PACKED_FRAME; i++) {
        uint32_t f = get32(c, frame_fields[i]);
        if (f && f - f0 >= UINT16_MAX)
            return false;
        out->foff[i] = f ? (uint16_t)(f - f0 + 1) : 0;
    }
    for (unsigned i = 0; i < LC_CONN_PACKED_TIME; i++) {
        int64_t t = get64(c, time_fields[i]);
        /* t >= t0, so the unsigned difference is the distance */
        uint64_t d = (uint64_t)t - (uint64_t)t0;
        if (t && d >= UINT32_MAX)
            return false;
        out->toff[i] = t ? (uint32_t)d + 1 : 0;
    }
    for (unsigned i = 0; i < LC_CONN_PACKED_U32; i++)
        out->u32[i] = get32(c, u32_fields[i]);
    for (unsigned i = 0; i < LC_CONN_PACKED_U8; i++)
        out->u8[i] = ((const unsigned char *)c)[u8_fields[i]];
    return true;
}

void lc_conn_unpack(const lc_conn_packed *p, lc_conn *c)
{
    unsigned char *b = (unsigned char *)c;
    memset(c, 0, sizeof *c);
    const uint64_t t0 = (uint64_t)p->t0_lo | ((uint64_t)p->t0_hi << 32);
    for (unsigned i = 0; i < LC_CONN_PACKED_FRAME; i++) {
        uint32_t f = p->foff[i] ? p->f0 + p->foff[i] - 1u : 0;
        memcpy(b + frame_fields[i], &f, sizeof f);
    }
    for (unsigned i = 0; i < LC_CONN_PACKED_TIME; i++) {
        int64_t t = p->toff[i] ? (int64_t)(t0 + p->toff[i] - 1u) : 0;
        memcpy(b + time_fields[i], &t, sizeof t);
    }
    for (unsigned i = 0; i < LC_CONN_PACKED_U32; i++)
        memcpy(b + u32_fields[i], &p->u32[i], sizeof p->u32[i]);
    for (unsigned i = 0; i < LC_CONN_PACKED_U8; i++)
        b[u8_fields[i]] = p->u8[i];
}

void lc_conn_packed_bases(const lc_conn_packed *p, uint32_t base[2])
{
    base[0] = p->u32[0]; /* u32_fields: END0(base) */
    base[1] = p->u32[9]; /* END1(base) */
}
