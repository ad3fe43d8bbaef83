/* output.c - engine feeding, ladder lines, JSON lines, pcap file.  Each
 * segment is rendered from its lc_result and its lc_view (one call into the
 * engine), anomalies from the engine's table (anomaly.h). */
#include "output.h"

#include "anomaly.h"
#include "view.h"

#include <stdarg.h>
#include <string.h>

int output_open(output *o, const char *pcap_file, bool json, bool quiet, bool verbose)
{
    memset(o, 0, sizeof *o);
    o->out = stdout;
    o->json = json;
    o->quiet = quiet;
    o->verbose = verbose;
    if (pcap_file) {
        o->dead = pcap_open_dead_with_tstamp_precision(DLT_RAW, 262144, PCAP_TSTAMP_PRECISION_NANO);
        if (!o->dead) {
            inj_error("cannot create a pcap writer");
            return INJ_EXIT_FAIL;
        }
        o->dump = pcap_dump_open(o->dead, pcap_file);
        if (!o->dump) {
            inj_error("cannot write %s: %s", pcap_file, pcap_geterr(o->dead));
            pcap_close(o->dead);
            o->dead = NULL;
            return INJ_EXIT_FAIL;
        }
    }
    return INJ_EXIT_OK;
}

void output_close(output *o)
{
    if (o->dump) {
        pcap_dump_close(o->dump);
        o->dump = NULL;
    }
    if (o->dead) {
        pcap_close(o->dead);
        o->dead = NULL;
    }
    fflush(o->out);
}

void out_conn_init(out_conn *c, uint32_t stream)
{
    memset(c, 0, sizeof *c);
    lc_conn_init(&c->lc);
    lc_zeek_init(&c->zeek);
    c->stream = stream;
}

void output_begin(output *o, const out_conn *c, const inj_addr *src, uint16_t sport,
                  const inj_addr *dst, uint16_t dport, uint32_t run_id, const char *guard)
{
    if (o->quiet || o->json)
        return;
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    const char *fmt = src->family == AF_INET6 ? "# stream %u: [%s]:%u -> [%s]:%u, run id 0x%08x, RST guard: %s\n"
                                              : "# stream %u: %s:%u -> %s:%u, run id 0x%08x, RST guard: %s\n";
    fprintf(o->out, fmt, c->stream, inj_addr_str(src, s, sizeof s), sport, inj_addr_str(dst, d, sizeof d), dport,
            run_id, guard);
    fprintf(o->out, "%11s %-3s %-5s %10s %10s %6s %6s  %-24s %-12s %s\n",
            "time", "dir", "flags", "seq", "ack", "len", "win", "label", "client", "server");
    fflush(o->out);
}

void output_note(output *o, const char *fmt, ...)
{
    if (o->quiet || o->json)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", o->out);
    vfprintf(o->out, fmt, ap);
    fputc('\n', o->out);
    va_end(ap);
    fflush(o->out);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* ,"key":value for an optional number: present only when it has a value */
static void json_opt_uint(FILE *f, const char *key, bool has, uint32_t value)
{
    if (has)
        fprintf(f, ",\"%s\":%u", key, value);
}

static void print_json(output *o, const out_conn *c, bool sent, const pkt_tcp *p, const lc_segment *s,
                       const lc_result *r, const lc_view *v, const char *label, int64_t time_ns)
{
    FILE *f = o->out;
    char a[INET6_ADDRSTRLEN], fl[12];
    fprintf(f, "{\"frame\":%u,\"time\":%lld.%09lld,\"time.rel\":%.9f,\"dir\":\"%s\"",
            s->frame, (long long)(time_ns / 1000000000), (long long)(time_ns % 1000000000),
            (double)(time_ns - c->t0_ns) / 1e9, sent ? "sent" : "received");
    fprintf(f, ",\"src\":\"%s\",\"sport\":%u", inj_addr_str(&p->src, a, sizeof a), p->sport);
    fprintf(f, ",\"dst\":\"%s\",\"dport\":%u", inj_addr_str(&p->dst, a, sizeof a), p->dport);
    fprintf(f, ",\"flags\":\"%s\",\"seq\":%u,\"ack\":%u,\"len\":%u,\"win\":%u",
            pkt_flags_str(p->flags, fl), p->seq, p->ack, p->len, p->win);
    fprintf(f, ",\"stream\":%u,\"role\":%u,\"role_guessed\":%s,\"phase\":%u,\"phase.name\":\"%s\"",
            c->stream, lc_result_role(r), r->role_guessed ? "true" : "false", r->phase, lc_phase_name(r->phase));
    fprintf(f, ",\"step\":%u", r->step);
    if (r->step)   /* as the plugin: no total and no merged flag on a segment that is not a step */
        fprintf(f, ",\"step.total\":%u,\"step.merged\":%s", r->four_steps ? 4u : 3u, r->merged ? "true" : "false");
    fputs(",\"label\":", f);
    json_str(f, label);
    fprintf(f, ",\"state.client\":%u,\"state.client.name\":\"%s\",\"state.server\":%u,\"state.server.name\":\"%s\"",
            r->state_client, lc_state_name(r->state_client), r->state_server, lc_state_name(r->state_server));
    json_opt_uint(f, "seq.rel", v->has_seq_rel, v->seq_rel);
    json_opt_uint(f, "ack.rel", v->has_ack_rel, v->ack_rel);
    if (r->has_seq_delta)
        fprintf(f, ",\"seq.delta\":%d", r->seq_delta);
    if (r->has_ack_delta)
        fprintf(f, ",\"ack.delta\":%d", r->ack_delta);
    if (r->has_ack_expected)
        fprintf(f, ",\"ack.expected\":%u,\"ack.ok\":%s", r->ack_expected, r->ack_ok ? "true" : "false");
    json_opt_uint(f, "ack.frame", r->ack_frame != 0, r->ack_frame);
    json_opt_uint(f, "isn.client", v->has_isn_client, v->isn_client);
    json_opt_uint(f, "isn.server", v->has_isn_server, v->isn_server);
    json_opt_uint(f, "syn_frame", v->syn_frame != 0, v->syn_frame);
    json_opt_uint(f, "synack_frame", v->synack_frame != 0, v->synack_frame);
    json_opt_uint(f, "fin_frame", v->fin_frame != 0, v->fin_frame);
    if (v->has_handshake_rtt)
        fprintf(f, ",\"handshake.rtt\":%.9f", (double)v->handshake_rtt_ns / 1e9);
    if (v->has_handshake_time)
        fprintf(f, ",\"handshake.time\":%.9f", (double)v->handshake_time_ns / 1e9);
    json_opt_uint(f, "teardown.initiator", v->initiator != LC_INITIATOR_NONE, (uint32_t)v->initiator);
    fprintf(f, ",\"injected\":%s", p->opts.has_marker ? "true" : "false");
    json_opt_uint(f, "injected.run", p->opts.has_marker, p->opts.run_id);
    if (v->has_conn_state) {
        fprintf(f, ",\"conn.state\":\"%s\",\"conn.history\":", lc_zeek_state_name(v->conn_state));
        json_str(f, v->history);
    }
    /* anomalies: as the plugin's expert fields, present only when set */
    uint32_t anomalies = lc_result_anomalies(r); /* stored bits and those of the RST check */
    for (unsigned i = 0; i < LC_ANOM_COUNT; i++)
        if (anomalies & lc_anomalies[i].bit)
            fprintf(f, ",\"%s\":true", lc_anomalies[i].key);
    fputs("}\n", f);
}

void out_conn_set_scale(out_conn *c, bool known, uint8_t client_shift, uint8_t server_shift)
{
    c->scale_known = known;
    c->shift[0] = client_shift;
    c->shift[1] = server_shift;
}

void output_segment(output *o, out_conn *c, bool sent, const uint8_t *ip, size_t caplen, size_t wirelen,
                    const pkt_tcp *p, int64_t time_ns, lc_result *r)
{
    lc_segment s;
    memset(&s, 0, sizeof s);
    s.frame = ++o->frame;
    s.time_ns = time_ns;
    s.seq = p->seq;
    s.ack = p->ack;
    s.len = p->len;
    s.win = p->win;
    s.flags = p->flags;
    s.sport = p->sport;
    s.dport = p->dport;
    s.from = sent ? 0 : 1;   /* the injector always sends first */
    s.len_known = true;   /* from the IP length, also for a cut frame */
    /* Spec 8.3: the window as scaled by the scale the handshake agreed (a
     * SYN's window never is); unknown before the SYN-ACK told the scale. */
    if (p->flags & LC_SYN) {
        s.win_scaled = p->win;
        s.win_known = true;
    } else if (c->scale_known) {
        s.win_scaled = (uint32_t)p->win << c->shift[s.from];
        s.win_known = true;
    }
    /* Segments are shown and written in the order they were handled; keep
     * their times in that order too (a capture stamp can precede the clock
     * read after our own send by a few microseconds). */
    if (c->started && time_ns < c->last_ns)
        time_ns = c->last_ns;
    c->last_ns = time_ns;
    s.time_ns = time_ns;
    if (!c->started) {
        c->started = true;
        c->t0_ns = time_ns;
    }
    lc_conn_observe(&c->lc, &s, r);
    lc_zeek_observe(&c->zeek, &s, r);

    if (o->dump) {
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.ts.tv_sec = (time_t)(time_ns / 1000000000);
        h.ts.tv_usec = (suseconds_t)(time_ns % 1000000000);   /* nanosecond file */
        h.caplen = (bpf_u_int32)caplen;
        h.len = (bpf_u_int32)(wirelen > caplen ? wirelen : caplen);
        pcap_dump((u_char *)o->dump, &h, ip);
        pcap_dump_flush(o->dump);
    }
    if (o->quiet)
        return;
    char label[64];
    lc_view v;
    lc_result_label(r, label, sizeof label);
    lc_view_of(&c->lc, &c->zeek, &s, r, &v);
    if (o->json) {
        print_json(o, c, sent, p, &s, r, &v, label, time_ns);
    } else {
        char fl[12], seqbuf[16], ackbuf[16];
        if (v.has_seq_rel) /* not on an old-connection ACK (spec 8.1) */
            snprintf(seqbuf, sizeof seqbuf, "%u", v.seq_rel);
        else
            snprintf(seqbuf, sizeof seqbuf, "-");
        if (v.has_ack_rel)
            snprintf(ackbuf, sizeof ackbuf, "%u", v.ack_rel);
        else
            snprintf(ackbuf, sizeof ackbuf, "-");
        fprintf(o->out, "%11.6f %-3s %-5s %10s %10s %6u %6u  %-24s %-12s %s\n",
                (double)(time_ns - c->t0_ns) / 1e9, sent ? "-->" : "<--", pkt_flags_str(p->flags, fl),
                seqbuf, ackbuf, p->len, p->win, label,
                lc_state_name(r->state_client), lc_state_name(r->state_server));
    }
    fflush(o->out);
}
