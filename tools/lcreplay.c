/* lcreplay - feed TCP segments listed by tshark through the lifecycle engine
 * and the Zeek summary, without Wireshark's plugin machinery.  A developer
 * tool for checking the engine against real captures:
 *
 *   tshark -r F -Y 'tcp && !icmp && !icmpv6' -T fields -E separator=/t \
 *     -e frame.number -e frame.time_epoch -e tcp.stream -e ip.src -e ipv6.src \
 *     -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw \
 *     -e tcp.flags -e tcp.len -e tcp.window_size_value | lcreplay [-s]
 *
 * Prints one line per segment (frame, stream, label, states, conn_state,
 * history), or with -s one line per stream with the final conn_state and
 * history.  Multi-valued fields (tunnels) use their last value.
 */
#include "lifecycle.h"
#include "zeek.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct stream {
    lc_conn conn;
    lc_zeek zeek;
    char addr0[64];
    unsigned port0;
    int used;
} stream;

static const char *last_value(char *field)
{
    char *comma = strrchr(field, ',');
    return comma ? comma + 1 : field;
}

int main(int argc, char **argv)
{
    int summary = argc > 1 && strcmp(argv[1], "-s") == 0;
    size_t cap = 1024;
    stream *streams = calloc(cap, sizeof *streams);
    char line[4096];
    unsigned max_stream = 0;

    if (!streams)
        return 1;
    while (fgets(line, sizeof line, stdin)) {
        char *col[12] = { 0 };
        int n = 0;
        char *p = line;
        line[strcspn(line, "\n")] = '\0';
        while (n < 12) {
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
        s.time_ns = (int64_t)(strtod(col[1], NULL) * 1e9);
        s.sport = (uint16_t)strtoul(last_value(col[5]), NULL, 10);
        s.dport = (uint16_t)strtoul(last_value(col[6]), NULL, 10);
        s.seq = (uint32_t)strtoul(last_value(col[7]), NULL, 10);
        s.ack = (uint32_t)strtoul(last_value(col[8]), NULL, 10);
        s.flags = (uint16_t)strtoul(last_value(col[9]), NULL, 16);
        s.len = (uint32_t)strtoul(last_value(col[10]), NULL, 10);
        s.win = (uint32_t)strtoul(last_value(col[11]), NULL, 10);
        s.len_known = *col[10] != '\0';
        if (!st->used) {
            lc_conn_init(&st->conn);
            lc_zeek_init(&st->zeek);
            snprintf(st->addr0, sizeof st->addr0, "%s", addr);
            st->port0 = s.sport;
            st->used = 1;
        }
        s.from = (strcmp(addr, st->addr0) == 0 && s.sport == st->port0) ? 0 : 1;
        lc_result r;
        lc_conn_observe(&st->conn, &s, &r);
        lc_zeek_observe(&st->zeek, &s, &r);
        if (!summary) {
            char label[64], hist[64];
            lc_result_label(&r, label, sizeof label);
            lc_zeek_history(&st->zeek, &r, hist, sizeof hist);
            printf("%u\t%u\t%s\t%s\t%s\t%s\t%s\n", s.frame, id, label,
                   lc_state_name(r.state_client), lc_state_name(r.state_server),
                   lc_zeek_state_name(LC_ZEEK_SNAP_STATE(&r)), hist);
        }
    }
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
