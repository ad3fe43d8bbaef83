/* lcreplay - feed TCP segments listed by tshark through the lifecycle engine
 * and the Zeek summary, without Wireshark's plugin machinery.  A developer
 * tool for checking the engine against real captures:
 *
 *   tshark -r F -Y 'tcp && !icmp && !icmpv6' -T fields -E separator=/t \
 *     -e frame.number -e frame.time_epoch -e tcp.stream -e ip.src -e ipv6.src \
 *     -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw \
 *     -e tcp.flags -e tcp.len -e tcp.window_size_value \
 *     [-e tcp.window_size -e tcp.window_size_scalefactor] | lcreplay [-s | -8]
 *
 * Prints one line per segment (frame, stream, label, states, conn_state,
 * history), or with -s one line per stream with the final conn_state and
 * history.  Multi-valued fields (tunnels) use their last value.
 *
 * With the two window columns the engine gets each segment's scaled window
 * (spec 8.3: lc_segment.win_scaled; win_known unless Wireshark's scale factor
 * is -1, "unknown"; a SYN has no scale factor field and its window is never
 * scaled).  -8 prints, after the whole input (a second pass, so every value
 * is read "as of" its frame as tshark -2 would), the spec section 8 readings
 * as well: frame, stream, label, client and server state, phase, step,
 * rst.check, vantage, teardown.halfclose, teardown.time (seconds, 9
 * decimals), and on a connection's first SYN that reuses a 4-tuple
 * reuse.prev_stream, reuse.gap, reuse.isn_higher, then the anomaly set
 * (lc_result_anomalies | the reuse bits) in hex.  Empty = absent.  The
 * 4-tuple table is a linear scan over earlier streams (a developer tool).
 */
#include "lifecycle.h"
#include "reading.h"
#include "view.h"
#include "zeek.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct stream {
    lc_conn conn;
    lc_zeek zeek;
    char addr0[64], addr1[64];
    unsigned port0, port1;
    int used, has_addr1;
    lc_reuse reuse;          /* valid if has_reuse */
    uint32_t reuse_frame;    /* the SYN that carries it */
    int has_reuse;
} stream;

typedef struct record {      /* one segment, kept for the -8 second pass */
    lc_segment seg;
    lc_result res;
    unsigned id;
} record;

/* "S.NNNNNNNNN" (tshark's frame.time_epoch) in nanoseconds, without the
 * rounding of a double. */
static int64_t parse_time_ns(const char *t)
{
    char *end;
    int64_t ns = (int64_t)strtoll(t, &end, 10) * 1000000000;
    if (*end == '.') {
        int64_t scale = 100000000;
        for (const char *d = end + 1; *d >= '0' && *d <= '9' && scale > 0; d++, scale /= 10)
            ns += (*d - '0') * scale;
    }
    return ns;
}

static void print_secs(int has, int64_t ns)
{
    if (!has) {
        printf("\t");
        return;
    }
    const char *sign = ns < 0 ? "-" : "";
    uint64_t a = ns < 0 ? (uint64_t)-ns : (uint64_t)ns;
    printf("\t%s%llu.%09llu", sign, (unsigned long long)(a / 1000000000u),
           (unsigned long long)(a % 1000000000u));
}

static const char *last_value(char *field)
{
    char *comma = strrchr(field, ',');
    return comma ? comma + 1 : field;
}

int main(int argc, char **argv)
{
    int summary = argc > 1 && strcmp(argv[1], "-s") == 0;
    int section8 = argc > 1 && strcmp(argv[1], "-8") == 0;
    size_t cap = 1024, nrec = 0, reccap = 0;
    record *recs = NULL;
    stream *streams = calloc(cap, sizeof *streams);
    char line[4096];
    unsigned max_stream = 0;

    if (!streams)
        return 1;
    while (fgets(line, sizeof line, stdin)) {
        char *col[14] = { 0 };
        int n = 0;
        char *p = line;
        line[strcspn(line, "\n")] = '\0';
        while (n < 14) {
            col[n++] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (n < 12 || !*col[2] || !*col[7])
            continue;
        unsigned id = (unsigned)strtoul(last_value(col[2]), NULL, 10);
        while (id >= cap) {
            stream *bigger = realloc(streams, cap * 2 * sizeof *streams);
            if (!bigger)
                return 1;
            memset(bigger + cap, 0, cap * sizeof *streams);
            streams = bigger;
            cap *= 2;
        }
        if (id > max_stream)
            max_stream = id;
        stream *st = &streams[id];
        const char *addr = *col[4] ? last_value(col[4]) : last_value(col[3]);
        lc_segment s = { 0 };
        s.frame = (uint32_t)strtoul(col[0], NULL, 10);
        s.time_ns = parse_time_ns(col[1]);
        s.sport = (uint16_t)strtoul(last_value(col[5]), NULL, 10);
        s.dport = (uint16_t)strtoul(last_value(col[6]), NULL, 10);
        s.seq = (uint32_t)strtoul(last_value(col[7]), NULL, 10);
        s.ack = (uint32_t)strtoul(last_value(col[8]), NULL, 10);
        s.flags = (uint16_t)strtoul(last_value(col[9]), NULL, 16);
        s.len = (uint32_t)strtoul(last_value(col[10]), NULL, 10);
        s.win = (uint32_t)strtoul(last_value(col[11]), NULL, 10);
        s.len_known = *col[10] != '\0';
        if (n >= 13 && col[12] && *col[12]) {
            s.win_scaled = (uint32_t)strtoul(last_value(col[12]), NULL, 10);
            s.win_known = !(n >= 14 && col[13] && strcmp(last_value(col[13]), "-1") == 0);
        }
        int first = !st->used;
        if (!st->used) {
            lc_conn_init(&st->conn);
            lc_zeek_init(&st->zeek);
            snprintf(st->addr0, sizeof st->addr0, "%s", addr);
            st->port0 = s.sport;
            st->used = 1;
        }
        s.from = (strcmp(addr, st->addr0) == 0 && s.sport == st->port0) ? 0 : 1;
        if (!st->has_addr1 && s.from == 1) {
            snprintf(st->addr1, sizeof st->addr1, "%s", addr);
            st->port1 = s.sport;
            st->has_addr1 = 1;
        }
        if (first && (s.flags & (LC_SYN | LC_ACK | LC_RST)) == LC_SYN) {
            /* Spec 8.2: the latest earlier stream on this 4-tuple.  The
             * peer's address is not in the input, so an earlier stream
             * matches on the sender's address and port and the peer port,
             * and on the peer address once the peer has sent. */
            for (unsigned j = id; j-- > 0;) {
                stream *pv = &streams[j];
                if (j >= cap || !pv->used)
                    continue;
                int sender_is0 = strcmp(pv->addr0, addr) == 0 && pv->port0 == s.sport &&
                                 pv->has_addr1 && pv->port1 == s.dport;
                int sender_is1 = pv->has_addr1 && strcmp(pv->addr1, addr) == 0 &&
                                 pv->port1 == s.sport && pv->port0 == s.dport;
                if (!sender_is0 && !sender_is1)
                    continue;
                lc_tuple_prev prev;
                lc_tuple_prev_from_conn(&prev, &pv->conn, j);
                unsigned sender_from = sender_is0 ? 0u : 1u;
                unsigned role = sender_from == pv->conn.client_from ? 0u : 1u;
                st->has_reuse = lc_reuse_check(&prev, role, &s, LC_TIME_WAIT_DEFAULT_S,
                                               &st->reuse);
                st->reuse_frame = s.frame;
                break;
            }
        }
        lc_result r;
        lc_conn_observe(&st->conn, &s, &r);
        lc_zeek_observe(&st->zeek, &s, &r);
        if (section8) {
            if (nrec == reccap) {
                size_t nc = reccap ? reccap * 2 : 1024;
                record *bigger = realloc(recs, nc * sizeof *recs);
                if (!bigger)
                    return 1;
                recs = bigger;
                reccap = nc;
            }
            recs[nrec].seg = s;
            recs[nrec].res = r;
            recs[nrec].id = id;
            nrec++;
            continue;
        }
        if (!summary) {
            char label[64], hist[64];
            lc_result_label(&r, label, sizeof label);
            lc_zeek_history(&st->zeek, &r, hist, sizeof hist);
            printf("%u\t%u\t%s\t%s\t%s\t%s\t%s\n", s.frame, id, label,
                   lc_state_name(r.state_client), lc_state_name(r.state_server),
                   lc_zeek_state_name(LC_ZEEK_SNAP_STATE(&r)), hist);
        }
    }
    for (size_t k = 0; k < nrec; k++) {
        const record *rc = &recs[k];
        stream *st = &streams[rc->id];
        lc_view v;
        char label[64];
        lc_view_of(&st->conn, &st->zeek, &rc->seg, &rc->res, &v);
        lc_result_label(&rc->res, label, sizeof label);
        uint32_t anom = lc_result_anomalies(&rc->res);
        int reuse_here = st->has_reuse && st->reuse_frame == rc->seg.frame;
        if (reuse_here)
            anom |= st->reuse.anomalies;
        printf("%u\t%u\t%s\t%u\t%u\t%u\t%u", rc->seg.frame, rc->id, label,
               (unsigned)rc->res.state_client, (unsigned)rc->res.state_server,
               (unsigned)rc->res.phase, (unsigned)rc->res.step);
        if (rc->res.is_rst)
            printf("\t%u", (unsigned)rc->res.rst_check);
        else
            printf("\t");
        if (v.has_vantage)
            printf("\t%u", v.vantage);
        else
            printf("\t");
        print_secs(v.has_halfclose, v.halfclose_ns);
        print_secs(v.has_teardown_time, v.teardown_time_ns);
        if (reuse_here) {
            printf("\t%u", st->reuse.prev_stream);
            print_secs(1, st->reuse.gap_ns);
            if (st->reuse.isn_known)
                printf("\t%u", st->reuse.isn_higher ? 1u : 0u);
            else
                printf("\t");
        } else {
            printf("\t\t\t");
        }
        printf("\t%#x\n", anom);
    }
    free(recs);
    if (summary) {
        for (unsigned i = 0; i <= max_stream && i < cap; i++) {
            if (!streams[i].used)
                continue;
            char hist[64];
            lc_zeek_history(&streams[i].zeek, NULL, hist, sizeof hist);
            printf("%u\t%s\t%s\n", i, lc_zeek_state_name(lc_zeek_conn_state(&streams[i].zeek)), hist);
        }
    }
    free(streams);
    return 0;
}
