/* fuzz_engine.c - libFuzzer target on the lifecycle engine's entry point.
 *
 * A byte string is decoded into one connection's segments (both directions,
 * flags, seq/ack, payload length, window, capture times that may go
 * backwards) and fed to lc_conn_observe.  On every input it checks:
 *   - states, phase, step and rst.check in range; labels NUL-terminated;
 *   - steps never go backwards within a direction (a new attempt, SYN 1/3
 *     after a close, starts the count again);
 *   - determinism: the same segments in a fresh lc_conn give byte-identical
 *     results and connection state;
 *   - the short path: lc_conn_observe_full (the general rules alone) gives
 *     byte-identical results and connection state after every segment;
 *   - snapshots: every "as of frame N" answer (links, ISNs, SYN time,
 *     teardown initiator, relative numbers, vantage, half-close and
 *     teardown times) is the same right after segment N and at the end.
 * A failed check aborts (libFuzzer reports it as a crash).
 *
 * Encoding (tools/pcap2engine.py writes the same):
 *   header, 9 bytes: ports mode (bits 0-1: 0 first sender has the higher
 *     port, 1 equal ports, 2 lower), ISN of endpoint 0 (4 bytes, big endian),
 *     ISN of endpoint 1 (4 bytes);
 *   then per segment 6 bytes, +8 when bit 7 of byte 0 is set:
 *     b0: bit 0 from, 1 SYN, 2 ACK, 3 FIN, 4 RST, 5 PSH, 6 window known,
 *         7 absolute seq and ack follow (4 + 4 bytes, big endian, after b5)
 *     b1: seq = sender's cursor + (int8)b1   (cursor: highest seq + len sent)
 *     b2: ack = peer's cursor + (int8)b2
 *     b3: payload length (255: length unknown, header cut)
 *     b4: window = b4 * 64 (scaled)
 *     b5: time step = sign(b5) * b5^2 us, (int8)b5: backwards when negative
 * Built with clang -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt); without
 * libFuzzer, fuzz_replay.c runs a corpus through the same function.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "lifecycle-int.h"
#include "reading.h"
#include "view.h"
#include "packed.h"

#define MAX_SEGS 256

typedef lc_view at_frame; /* everything a face shows for a segment */

static void fail(const char *what, size_t i)
{
    fprintf(stderr, "fuzz_engine: invariant broken at segment %zu: %s\n", i + 1, what);
    abort();
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decode; returns the number of segments. */
static size_t decode(const uint8_t *data, size_t size, lc_segment *segs)
{
    if (size < 9)
        return 0;
    unsigned ports = data[0] & 3u;
    uint32_t cursor[2] = { get32(data + 1), get32(data + 5) };
    uint16_t port[2];
    port[0] = ports == 0 ? 40000 : (ports == 1 ? 5000 : 80);
    port[1] = ports == 0 ? 80 : (ports == 1 ? 5000 : 40000);
    int64_t t = 1000000000;
    size_t n = 0, o = 9;

    while (n < MAX_SEGS && o + 6 <= size) {
        const uint8_t *b = data + o;
        bool abs = (b[0] & 0x80) != 0;
        if (abs && o + 14 > size)
            break;
        lc_segment *s = &segs[n];
        memset(s, 0, sizeof *s);
        unsigned from = b[0] & 1u;
        s->from = (uint8_t)from;
        s->flags = (uint16_t)(((b[0] & 0x02) ? LC_SYN : 0) | ((b[0] & 0x04) ? LC_ACK : 0) |
                              ((b[0] & 0x08) ? LC_FIN : 0) | ((b[0] & 0x10) ? LC_RST : 0) |
                              ((b[0] & 0x20) ? LC_PSH : 0));
        s->win_known = (b[0] & 0x40) != 0;
        if (abs) {
            s->seq = get32(b + 6);
            s->ack = get32(b + 10);
        } else {
            s->seq = cursor[from] + (uint32_t)(int32_t)(int8_t)b[1];
            s->ack = cursor[from ^ 1] + (uint32_t)(int32_t)(int8_t)b[2];
        }
        s->len_known = b[3] != 255;
        s->len = s->len_known ? b[3] : 0;
        s->win_scaled = (uint32_t)b[4] * 64u;
        s->win = b[4];
        int64_t step = (int64_t)(int8_t)b[5];
        /* odd steps also move by 1 ns: both time units of lc_conn_packed */
        t += (step < 0 ? -1 : 1) * step * step * 1000 + (step & 1);
        s->time_ns = t;
        s->frame = (uint32_t)(n + 1);
        s->sport = port[from];
        s->dport = port[from ^ 1];
        uint32_t end = s->seq + s->len + ((s->flags & (LC_SYN | LC_FIN)) ? 1u : 0u);
        if ((int32_t)(end - cursor[from]) > 0)
            cursor[from] = end;
        o += abs ? 14 : 6;
        n++;
    }
    return n;
}

static void ask(const lc_conn *c, const lc_segment *s, const lc_result *r, at_frame *a)
{
    lc_view_of(c, NULL, s, r, a);
}

static void check_result(const lc_segment *s, const lc_result *r, size_t i)
{
    char label[64];
    if (r->state_client >= LC_STATE_COUNT || r->state_server >= LC_STATE_COUNT)
        fail("state out of range", i);
    if (r->phase > LC_PHASE_CLOSED || r->step > 4)
        fail("phase or step out of range", i);
    if (r->step && r->phase != LC_PHASE_HANDSHAKE && r->phase != LC_PHASE_TEARDOWN)
        fail("a step outside handshake and teardown", i);
    if (r->rst_check && !(s->flags & LC_RST))
        fail("rst_check on a segment without RST", i);
    if (r->clears_old && !(s->flags & LC_RST))
        fail("clears_old on a segment without RST", i);
    if (!r->valid)
        fail("result not valid", i);
    memset(label, 'Z', sizeof label);
    lc_result_label(r, label, sizeof label);
    if (!memchr(label, '\0', sizeof label) || label[0] == '\0')
        fail("label", i);
}

/* The first answer that differs, or NULL. */
static const char *diff_at(const at_frame *a, const at_frame *b)
{
    if (a->syn_frame != b->syn_frame) return "syn_frame";
    if (a->synack_frame != b->synack_frame) return "synack_frame";
    if (a->fin_frame != b->fin_frame) return "fin_frame";
    if (a->has_isn_client != b->has_isn_client || a->isn_client != b->isn_client) return "isn.client";
    if (a->has_isn_server != b->has_isn_server || a->isn_server != b->isn_server) return "isn.server";
    if (a->has_syn_time != b->has_syn_time || a->syn_time_ns != b->syn_time_ns) return "syn time";
    if (a->has_handshake_rtt != b->has_handshake_rtt || a->handshake_rtt_ns != b->handshake_rtt_ns)
        return "handshake.rtt";
    if (a->has_handshake_time != b->has_handshake_time ||
        a->handshake_time_ns != b->handshake_time_ns)
        return "handshake.time";
    if (a->initiator != b->initiator) return "teardown.initiator";
    if (a->has_seq_rel != b->has_seq_rel || a->seq_rel != b->seq_rel) return "seq.rel";
    if (a->has_ack_rel != b->has_ack_rel || a->ack_rel != b->ack_rel) return "ack.rel";
    if (a->has_vantage != b->has_vantage || a->vantage != b->vantage) return "vantage";
    if (a->has_halfclose != b->has_halfclose || a->halfclose_ns != b->halfclose_ns)
        return "teardown.halfclose";
    if (a->has_teardown_time != b->has_teardown_time || a->teardown_time_ns != b->teardown_time_ns)
        return "teardown.time";
    if (a->has_rst_check != b->has_rst_check || a->rst_check != b->rst_check) return "rst.check";
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lc_segment segs[MAX_SEGS];
    static lc_result res[MAX_SEGS], res2[MAX_SEGS];
    static at_frame live[MAX_SEGS];
    static lc_result_packed packed[MAX_SEGS];
    static bool packed_ok[MAX_SEGS];
    lc_conn c, c2, cf;
    size_t n = decode(data, size, segs);
    /* last step key per direction: handshake 1..4, teardown 9..12 */
    int last_key[2] = { 0, 0 };
    static int trace = -1; /* FUZZ_ENGINE_TRACE=1: print every segment */
    if (trace < 0)
        trace = getenv("FUZZ_ENGINE_TRACE") != NULL;

    lc_conn_init(&c);
    lc_conn_init(&cf);
    for (size_t i = 0; i < n; i++) {
        lc_conn_observe(&c, &segs[i], &res[i]);
        {
            lc_result rf;
            lc_conn_observe_full(&cf, &segs[i], &rf);
            if (memcmp(&rf, &res[i], sizeof rf) != 0)
                fail("the short path gave another result than the general rules", i);
            if (memcmp(&cf, &c, sizeof c) != 0)
                fail("the short path left another connection state than the general rules", i);
        }
        if (trace) {
            char label[64];
            lc_result_label(&res[i], label, sizeof label);
            fprintf(stderr, "%3zu from %u flags 0x%03x seq %u ack %u len %u win %u%s t %lld: %s %s/%s"
                    " rst.check %u\n", i + 1, segs[i].from, segs[i].flags, segs[i].seq, segs[i].ack,
                    segs[i].len, segs[i].win_scaled, segs[i].win_known ? "" : "?",
                    (long long)segs[i].time_ns, label, lc_state_name(res[i].state_client),
                    lc_state_name(res[i].state_server), res[i].rst_check);
        }
        check_result(&segs[i], &res[i], i);
        {
            /* The stored forms (packed.h) are exact whenever they pack. */
            lc_conn_packed pk;
            lc_conn back;
            if (lc_conn_pack(&c, &pk)) {
                lc_conn_unpack(&pk, &back);
                if (memcmp(&back, &c, sizeof c) != 0)
                    fail("a packed connection unpacked differently", i);
            }
            uint32_t base[2];
            lc_result_packed rp;
            lc_result rb;
            lc_conn_bases(&c, base);
            packed_ok[i] = lc_result_pack(&res[i], segs[i].frame, segs[i].ack, base, &rp);
            packed[i] = rp;
            if (packed_ok[i]) {
                lc_result_unpack(&rp, segs[i].frame, segs[i].ack, base, &rb);
                if (memcmp(&rb, &res[i], sizeof rb) != 0 ||
                    lc_result_packed_valid(&rp) != (res[i].valid != 0))
                    fail("a packed result unpacked differently", i);
            }
        }
        ask(&c, &segs[i], &res[i], &live[i]);
        if (live[i].syn_frame >= segs[i].frame || live[i].synack_frame >= segs[i].frame ||
            live[i].fin_frame >= segs[i].frame)
            fail("a frame link points forwards", i);

        const lc_result *r = &res[i];
        if (r->step && !r->retransmission) {
            int key = (r->phase == LC_PHASE_TEARDOWN ? 8 : 0) + r->step;
            int dir = r->role_s2c;
            if (r->phase == LC_PHASE_HANDSHAKE && r->step == 1) {
                last_key[0] = last_key[1] = 0; /* a new attempt */
            } else if (key < last_key[dir]) {
                fail("a step went backwards within a direction", i);
            }
            last_key[dir] = key;
        }
    }

    /* the same questions at the end; a packed result unpacks the same with
     * the connection's final bases */
    for (size_t i = 0; i < n; i++) {
        if (packed_ok[i]) {
            uint32_t base[2];
            lc_result rb;
            lc_conn_bases(&c, base);
            lc_result_unpack(&packed[i], segs[i].frame, segs[i].ack, base, &rb);
            if (memcmp(&rb, &res[i], sizeof rb) != 0)
                fail("a packed result unpacked differently at the end", i);
        }
        at_frame end;
        ask(&c, &segs[i], &res[i], &end);
        const char *what = diff_at(&live[i], &end);
        if (what) {
            fprintf(stderr, "fuzz_engine: %s as of frame %zu changed after later segments\n",
                    what, i + 1);
            fail("an 'as of frame' answer changed after later segments", i);
        }
    }

    /* determinism: a fresh run gives the same bytes */
    lc_conn_init(&c2);
    for (size_t i = 0; i < n; i++) {
        memset(&res2[i], 0, sizeof res2[i]);
        lc_conn_observe(&c2, &segs[i], &res2[i]);
        if (memcmp(&res[i], &res2[i], sizeof res[i]) != 0)
            fail("a second run gave another result", i);
    }
    if (memcmp(&c, &c2, sizeof c) != 0)
        fail("a second run left another connection state", n ? n - 1 : 0);

    /* whole-connection readings run on anything */
    {
        lc_left_open lo;
        lc_tuple_prev prev;
        lc_reuse ru;
        lc_conn_left_open(&c, &lo);
        if (lo.state[0] >= LC_STATE_COUNT || lo.state[1] >= LC_STATE_COUNT)
            fail("left_open state out of range", 0);
        lc_tuple_prev_from_conn(&prev, &c, 1);
        if (n)
            lc_reuse_check(&prev, segs[0].from, &segs[0], LC_TIME_WAIT_DEFAULT_S, &ru);
    }
    return 0;
}
