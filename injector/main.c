/* main.c - synfin-inject: command line, setup and teardown around the
 * exchanges (route, capture, RST guard, signals, output), and the exit code.
 *
 * The only global mutable state is the signal flag.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "isn.h"
#include "netdev.h"
#include "output.h"
#include "privdrop.h"
#include "rstguard.h"

#define DEFAULT_DATA "hello from synfin-inject\n"
#define DATA_MAX (64u << 20)

static volatile sig_atomic_t g_stop;   /* SIGINT/SIGTERM: finish cleanly */

static void on_signal(int sig)
{
    g_stop = sig;
}

typedef struct config {
    const char *host, *port;
    const char *data_arg;
    const char *src, *iface, *pcap_file, *save_reply;
    int family;
    long sport;          /* -1: pick */
    long sport_hi;       /* -s LO-HI: the range's end (0: -s P, ports P..P+count-1) */
    long long max_reply;
    bool isn_given;
    uint32_t isn;
    close_mode close;
    rstguard_method guard;
    bool cleanup, json, no_marker, quiet, verbose, timestamps, stats;
    double timeout;
    int retries, count;
    long reply_idle_ms, linger_ms, busy_poll_us;
} config;

static void usage(FILE *f)
{
    fputs(
"usage: synfin-inject [OPTIONS] HOST PORT\n"
"       synfin-inject --cleanup\n"
"Performs one whole TCP client connection by hand (raw socket + libpcap) and\n"
"prints every segment with the synfin lifecycle label and both RFC 9293 states.\n"
"\n"
"  -d, --data TEXT        request payload (default: a greeting line); @FILE reads FILE\n"
"      --close MODE       fin: client closes first (default); wait: wait for the\n"
"                         server to close first; rst: abort with RST\n"
"      --rst-guard M      auto (default), nft, iptables or none\n"
"      --cleanup          remove RST-guard rules/tables left by killed runs, then exit\n"
"  -S, --src ADDR         source address (default: the route's); an address this host\n"
"                         does not own needs no RST guard (ARP/NDP answered by us)\n"
"  -s, --sport PORT[-HI]  source port (default: random, outside the ephemeral range);\n"
"                         with --count: PORT, PORT+1, ...; or every exchange the next\n"
"                         free port of PORT-HI, round robin\n"
"      --isn N            initial sequence number (default: RFC 6528, a 4 us clock plus\n"
"                         a keyed hash of the addresses and ports)\n"
"  -i, --iface IF         interface (default: the route's; lo for local addresses)\n"
"  -4, -6                 use IPv4 / IPv6 only\n"
"      --timeout SEC      give up after SEC seconds without progress (default 10)\n"
"      --retries N        retransmissions of SYN, data and FIN (default 3)\n"
"      --count N          N exchanges in a row, each from a new source port\n"
"      --json             one JSON object per segment instead of the ladder\n"
"  -w, --pcap FILE        write every segment sent and received (raw IP pcap)\n"
"      --no-marker        no synfin marker option (kind 253, ExID 0x5346)\n"
"      --no-timestamps    do not offer TCP timestamps\n"
"      --reply-idle MS    without the server's FIN, the reply is complete after MS ms\n"
"                         with nothing from the server and no hole (default 200; 0: at\n"
"                         its first data once the request is acknowledged)\n"
"      --max-reply BYTES  keep at most BYTES of reply (default 256 MiB; more: exit 7)\n"
"      --linger MS        TIME_WAIT stay to re-ACK a retransmitted FIN (default 200)\n"
"      --busy-poll US     before sleeping, watch for the peer's answer this long\n"
"                         (default 50; 0: take what is in the ring, else sleep in poll())\n"
"      --save-reply FILE  write the received reply bytes to FILE\n"
"      --stats            after each exchange, its duration on stderr (microseconds)\n"
"  -q, --quiet            print nothing but errors\n"
"  -v, --verbose          notes on stderr (guard, options, ARP answers)\n"
"  -h, --help             this text\n"
"\n"
"exit: 0 complete (the whole reply), 2 usage, 3 missing privilege, 4 refused,\n"
"      5 timed out, 6 protocol error (reset, bad ack), 7 reply incomplete (the\n"
"      server went on after we closed, or more than --max-reply), 130 interrupted,\n"
"      1 other errors\n", f);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 0);
    if (errno || *s == 0 || *end != 0 || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, config *c)
{
    enum { O_CLOSE = 256, O_GUARD, O_CLEANUP, O_ISN, O_TIMEOUT, O_RETRIES, O_COUNT, O_JSON, O_NOMARK,
           O_NOTS, O_IDLE, O_LINGER, O_BUSY_POLL, O_SAVE, O_STATS, O_MAXREPLY };
    static const struct option longopts[] = {
        { "data", required_argument, NULL, 'd' },
        { "close", required_argument, NULL, O_CLOSE },
        { "rst-guard", required_argument, NULL, O_GUARD },
        { "cleanup", no_argument, NULL, O_CLEANUP },
        { "src", required_argument, NULL, 'S' },
        { "sport", required_argument, NULL, 's' },
        { "isn", required_argument, NULL, O_ISN },
        { "iface", required_argument, NULL, 'i' },
        { "timeout", required_argument, NULL, O_TIMEOUT },
        { "retries", required_argument, NULL, O_RETRIES },
        { "count", required_argument, NULL, O_COUNT },
        { "json", no_argument, NULL, O_JSON },
        { "pcap", required_argument, NULL, 'w' },
        { "no-marker", no_argument, NULL, O_NOMARK },
        { "no-timestamps", no_argument, NULL, O_NOTS },
        { "reply-idle", required_argument, NULL, O_IDLE },
        { "linger", required_argument, NULL, O_LINGER },
        { "busy-poll", required_argument, NULL, O_BUSY_POLL },
        { "save-reply", required_argument, NULL, O_SAVE },
        { "stats", no_argument, NULL, O_STATS },
        { "max-reply", required_argument, NULL, O_MAXREPLY },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    memset(c, 0, sizeof *c);
    c->sport = -1;
    c->timeout = 10;
    c->retries = 3;
    c->count = 1;
    c->timestamps = true;
    c->reply_idle_ms = 200;
    c->linger_ms = 200;
    c->busy_poll_us = 50;
    c->max_reply = 256ll << 20;
    opterr = 0;
    int ch;
    long v;
    while ((ch = getopt_long(argc, argv, ":d:S:s:i:w:46qvh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd': c->data_arg = optarg; break;
        case O_CLOSE:
            if (!strcmp(optarg, "fin")) c->close = CLOSE_FIN;
            else if (!strcmp(optarg, "wait")) c->close = CLOSE_WAIT;
            else if (!strcmp(optarg, "rst")) c->close = CLOSE_RST;
            else { inj_error("--close must be fin, wait or rst, not \"%s\"", optarg); return INJ_EXIT_USAGE; }
            break;
        case O_GUARD:
            if (!strcmp(optarg, "auto")) c->guard = RSTGUARD_AUTO;
            else if (!strcmp(optarg, "nft")) c->guard = RSTGUARD_NFT;
            else if (!strcmp(optarg, "iptables")) c->guard = RSTGUARD_IPTABLES;
            else if (!strcmp(optarg, "none")) c->guard = RSTGUARD_NONE;
            else { inj_error("--rst-guard must be auto, nft, iptables or none, not \"%s\"", optarg); return INJ_EXIT_USAGE; }
            break;
        case O_CLEANUP: c->cleanup = true; break;
        case 'S': c->src = optarg; break;
        case 's': {
            char lo[16], *dash = strchr(optarg, '-');
            long hi = 0;
            snprintf(lo, sizeof lo, "%.*s", dash ? (int)(dash - optarg) : (int)strlen(optarg), optarg);
            if (!parse_long(lo, 1, 65535, &v) || (dash && (!parse_long(dash + 1, 1, 65535, &hi) || hi < v))) {
                inj_error("bad source port \"%s\" (1-65535, or a range LO-HI)", optarg);
                return INJ_EXIT_USAGE;
            }
            c->sport = v;
            c->sport_hi = hi;
            break;
        }
        case O_ISN: {
            char *end;
            errno = 0;
            unsigned long long u = strtoull(optarg, &end, 0);
            if (errno || *optarg == 0 || *end || u > UINT32_MAX || optarg[0] == '-') {
                inj_error("bad --isn \"%s\" (0-4294967295)", optarg);
                return INJ_EXIT_USAGE;
            }
            c->isn = (uint32_t)u;
            c->isn_given = true;
            break;
        }
        case 'i': c->iface = optarg; break;
        case '4': c->family = AF_INET; break;
        case '6': c->family = AF_INET6; break;
        case O_TIMEOUT: {
            char *end;
            c->timeout = strtod(optarg, &end);
            if (*optarg == 0 || *end || !(c->timeout > 0) || c->timeout > 86400) {
                inj_error("bad --timeout \"%s\" (seconds, > 0)", optarg);
                return INJ_EXIT_USAGE;
            }
            break;
        }
        case O_RETRIES:
            if (!parse_long(optarg, 0, 20, &v)) { inj_error("bad --retries \"%s\" (0-20)", optarg); return INJ_EXIT_USAGE; }
            c->retries = (int)v;
            break;
        case O_COUNT:
            if (!parse_long(optarg, 1, 100000, &v)) { inj_error("bad --count \"%s\" (1-100000)", optarg); return INJ_EXIT_USAGE; }
            c->count = (int)v;
            break;
        case O_JSON: c->json = true; break;
        case 'w': c->pcap_file = optarg; break;
        case O_NOMARK: c->no_marker = true; break;
        case O_NOTS: c->timestamps = false; break;
        case O_IDLE:
            if (!parse_long(optarg, 0, 600000, &v)) { inj_error("bad --reply-idle \"%s\" (ms)", optarg); return INJ_EXIT_USAGE; }
            c->reply_idle_ms = v;
            break;
        case O_LINGER:
            if (!parse_long(optarg, 0, 600000, &v)) { inj_error("bad --linger \"%s\" (ms)", optarg); return INJ_EXIT_USAGE; }
            c->linger_ms = v;
            break;
        case O_BUSY_POLL:
            if (!parse_long(optarg, 0, 1000000, &v)) { inj_error("bad --busy-poll \"%s\" (microseconds)", optarg); return INJ_EXIT_USAGE; }
            c->busy_poll_us = v;
            break;
        case O_SAVE: c->save_reply = optarg; break;
        case O_MAXREPLY:
            if (!parse_long(optarg, 1, 1l << 30, &v)) { inj_error("bad --max-reply \"%s\" (bytes, 1-1073741824)", optarg); return INJ_EXIT_USAGE; }
            c->max_reply = v;
            break;
        case O_STATS: c->stats = true; break;
        case 'q': c->quiet = true; break;
        case 'v': c->verbose = true; break;
        case 'h': usage(stdout); return -1;
        case ':': inj_error("option %s needs an argument (see --help)", argv[optind - 1]); return INJ_EXIT_USAGE;
        default:
            if (optopt)
                inj_error("unknown option -%c (see --help)", optopt);
            else
                inj_error("unknown option %s (see --help)", argv[optind - 1]);
            return INJ_EXIT_USAGE;
        }
    }
    if (c->cleanup) {
        if (optind != argc) {
            inj_error("--cleanup takes no HOST or PORT");
            return INJ_EXIT_USAGE;
        }
        return INJ_EXIT_OK;
    }
    if (argc - optind != 2) {
        inj_error("expected HOST and PORT (see --help)");
        return INJ_EXIT_USAGE;
    }
    c->host = argv[optind];
    c->port = argv[optind + 1];
    if (c->quiet && c->verbose)
        c->verbose = false;
    if (c->sport > 0 && !c->sport_hi && (long)c->sport + c->count - 1 > 65535) {
        inj_error("--sport %ld with --count %d runs past port 65535", c->sport, c->count);
        return INJ_EXIT_USAGE;
    }
    return INJ_EXIT_OK;
}

static int load_data(const config *c, uint8_t **data, size_t *len)
{
    const char *arg = c->data_arg ? c->data_arg : DEFAULT_DATA;
    if (arg[0] != '@') {
        *len = strlen(arg);
        *data = (uint8_t *)strdup(arg);
        return *data ? INJ_EXIT_OK : INJ_EXIT_FAIL;
    }
    FILE *f = fopen(arg + 1, "rb");
    if (!f) {
        inj_error("cannot read %s: %s", arg + 1, strerror(errno));
        return INJ_EXIT_USAGE;
    }
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= DATA_MAX) {
                inj_error("%s is larger than %u bytes", arg + 1, DATA_MAX);
                free(buf);
                fclose(f);
                return INJ_EXIT_USAGE;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    bool err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        inj_error("cannot read %s", arg + 1);
        return INJ_EXIT_FAIL;
    }
    *data = buf;
    *len = n;
    return INJ_EXIT_OK;
}

static int resolve(const config *c, inj_addr *dst, uint16_t *dport)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = c->family ? c->family : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(c->host, c->port, &hints, &res);
    if (rc != 0) {
        if (rc == EAI_SERVICE)
            inj_error("bad port \"%s\"", c->port);
        else
            inj_error("cannot resolve \"%s\": %s", c->host, gai_strerror(rc));
        return INJ_EXIT_USAGE;
    }
    memset(dst, 0, sizeof *dst);
    dst->family = res->ai_family;
    if (res->ai_family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)res->ai_addr;
        memcpy(dst->a, &s->sin_addr, 4);
        *dport = ntohs(s->sin_port);
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)res->ai_addr;
        memcpy(dst->a, &s->sin6_addr, 16);
        *dport = ntohs(s->sin6_port);
    }
    freeaddrinfo(res);
    if (*dport == 0) {
        inj_error("port 0 cannot be connected to");
        return INJ_EXIT_USAGE;
    }
    return INJ_EXIT_OK;
}

/* The capture filter: the server's segments to the client ports
 * port_lo..port_hi (the run's whole range with --count: compiled once per
 * run; on_frame() keeps only the current exchange's 4-tuple), ICMP errors. */
static void build_filter(char *buf, size_t size, const inj_addr *src, uint16_t port_lo, uint16_t port_hi,
                         const inj_addr *dst, uint16_t dport, bool unowned)
{
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], ports[32];
    inj_addr_str(src, s, sizeof s);
    inj_addr_str(dst, d, sizeof d);
    if (port_hi <= port_lo)
        snprintf(ports, sizeof ports, "dst port %u", port_lo);
    else
        snprintf(ports, sizeof ports, "dst portrange %u-%u", port_lo, port_hi);
    if (src->family == AF_INET) {
        int n = snprintf(buf, size,
                         "(tcp and src host %s and dst host %s and src port %u and %s) or (icmp and dst host %s)",
                         d, s, dport, ports, s);
        if (unowned && n > 0 && (size_t)n < size)
            snprintf(buf + n, size - (size_t)n, " or (arp and arp[6:2] = 1 and arp[24:4] = 0x%02x%02x%02x%02x)",
                     src->a[0], src->a[1], src->a[2], src->a[3]);
    } else {
        int n = snprintf(buf, size,
                         "(ip6 and tcp and src host %s and dst host %s and src port %u and %s)"
                         " or (icmp6 and dst host %s and ip6[40] < 5)",
                         d, s, dport, ports, s);
        if (unowned && n > 0 && (size_t)n < size)
            snprintf(buf + n, size - (size_t)n, " or (icmp6 and ip6[40] = 135)");
    }
}

/* The source ports this run may use: -s LO-HI, -s P (P..P+count-1), or
 * netdev_reserve_port's candidates; one port for a single exchange. */
static void run_port_range(const config *c, uint16_t first, unsigned *lo, unsigned *hi)
{
    if (c->count <= 1) {
        *lo = *hi = first;
    } else if (c->sport > 0) {
        *lo = (unsigned)c->sport;
        *hi = c->sport_hi ? (unsigned)c->sport_hi : (unsigned)(c->sport + c->count - 1);
    } else {
        netdev_port_candidates(lo, hi);
    }
    if (first < *lo || first > *hi)   /* never: the pick comes from this range */
        *lo = *hi = first;
}

static int save_reply(FILE *f, const char *path, const client_result *r)
{
    if (r->reply_len && (fwrite(r->reply, 1, r->reply_len, f) != r->reply_len || fflush(f) != 0)) {
        inj_error("cannot write %s: %s", path, strerror(errno));
        return INJ_EXIT_FAIL;
    }
    return INJ_EXIT_OK;
}

/* Sleeps until the monotonic time until_ns, the stop signals let in;
 * false when one arrived. */
static bool sleep_until(int64_t until_ns, const sigset_t *waitmask)
{
    for (;;) {
        if (g_stop)
            return false;
        int64_t left = until_ns - inj_now_mono_ns();
        if (left <= 0)
            return true;
        struct timespec ts = { (time_t)(left / 1000000000), (long)(left % 1000000000) };
        ppoll(NULL, 0, &ts, waitmask);
    }
}

/* The source port of exchange i, reserved against the kernel (port_fd).
 * Never a port the kernel has in use (the bind fails), nor one this run
 * left in TIME-WAIT less than --linger ago (tw_until, CLOCK_MONOTONIC). */
static int pick_port(const config *c, int i, const inj_addr *src, const int64_t *tw_until, const sigset_t *waitmask,
                     uint16_t *sport, int *port_fd)
{
    static unsigned cursor;
    if (c->sport <= 0) {   /* random, outside the ephemeral range */
        for (int attempt = 0; attempt < 64; attempt++) {
            uint16_t p = 0;
            int fd = netdev_reserve_port(src, &p);
            if (fd == -2)
                return INJ_EXIT_FAIL;
            if (tw_until[p] > inj_now_mono_ns()) {
                if (fd >= 0)
                    close(fd);
                continue;
            }
            *sport = p;
            *port_fd = fd;
            return INJ_EXIT_OK;
        }
        inj_error("no free source port: every one tried is in this run's TIME-WAIT");
        return INJ_EXIT_FAIL;
    }
    unsigned lo = (unsigned)c->sport, n = c->sport_hi ? (unsigned)(c->sport_hi - c->sport + 1) : 1;
    if (!c->sport_hi)
        lo += (unsigned)i;
    for (;;) {
        int64_t now = inj_now_mono_ns(), soonest = 0;
        bool kernel_busy = false;
        for (unsigned k = 0; k < n; k++) {
            uint16_t p = (uint16_t)(lo + (cursor + k) % n);
            if (tw_until[p] > now) {
                if (!soonest || tw_until[p] < soonest)
                    soonest = tw_until[p];
                continue;
            }
            int fd = netdev_reserve_port(src, &p);
            if (fd == -3) {
                kernel_busy = true;
                continue;
            }
            if (fd == -2)
                return INJ_EXIT_FAIL;
            cursor = (cursor + k + 1) % n;
            *sport = p;
            *port_fd = fd;
            return INJ_EXIT_OK;
        }
        if (!soonest) {
            if (n == 1)
                inj_error("source port %u is in use by this host", lo);
            else
                inj_error("every source port of %u-%u is in use by this host%s", lo, lo + n - 1,
                          kernel_busy ? "" : " or this run");
            return INJ_EXIT_FAIL;
        }
        if (!sleep_until(soonest, waitmask)) {   /* every free one is in our TIME-WAIT: wait for the first */
            inj_error("interrupted");
            return INJ_EXIT_INTERRUPTED;
        }
    }
}

/* What happened besides the plain exchange, for the summary line. */
static void events_text(const client_result *r, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = 0;
#define EV(cond, ...) do { if ((cond) && n < size) n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__); } while (0)
    EV(r->old_conn, "; %u old-connection ACK%s answered with RST, SYN again", r->old_conn, r->old_conn > 1 ? "s" : "");
    EV(r->challenge_acks, "; %u challenge ACK%s (RFC 5961)", r->challenge_acks, r->challenge_acks > 1 ? "s" : "");
    EV(r->ignored_rsts, "; %u RST%s ignored", r->ignored_rsts, r->ignored_rsts > 1 ? "s" : "");
    EV(r->oow_acks, "; %u out-of-window segment%s acknowledged", r->oow_acks, r->oow_acks > 1 ? "s" : "");
    EV(r->fin_reacks, "; %u retransmitted FIN%s acknowledged in TIME-WAIT", r->fin_reacks, r->fin_reacks > 1 ? "s" : "");
    EV(r->cut_frames, "; %u cut frame%s not used", r->cut_frames, r->cut_frames > 1 ? "s" : "");
    EV(r->local_drops, "; %u of our segments dropped by a local firewall rule", r->local_drops);
    EV(r->late_bytes, "; %zu bytes after our FIN", r->late_bytes);
#undef EV
}

static int run(const config *c, const sigset_t *waitmask)
{
    inj_addr dst, src;
    uint16_t dport;
    char ifname[IF_NAMESIZE] = "";
    uint8_t *data = NULL;
    size_t data_len = 0;
    int rc = resolve(c, &dst, &dport);
    if (rc)
        return rc;
    memset(&src, 0, sizeof src);
    if (c->src) {
        if (!inj_addr_parse(c->src, dst.family, &src)) {
            inj_error("bad --src \"%s\" (a numeric %s address)", c->src, dst.family == AF_INET6 ? "IPv6" : "IPv4");
            return INJ_EXIT_USAGE;
        }
    }
    if (c->iface)
        snprintf(ifname, sizeof ifname, "%s", c->iface);
    if (!netdev_route(&dst, &src, ifname))
        return INJ_EXIT_FAIL;
    bool unowned = !netdev_addr_is_local(&src);
    rc = load_data(c, &data, &data_len);
    if (rc)
        return rc;

    netdev nd;
    rstguard guard;
    output out;
    memset(&guard, 0, sizeof guard);
    rc = netdev_open(&nd, dst.family, ifname, c->iface != NULL);
    if (rc) {
        netdev_close(&nd);
        free(data);
        return rc;
    }
    rstguard_method want = c->guard;
    if (want == RSTGUARD_AUTO && unowned)
        want = RSTGUARD_NONE;   /* the kernel drops replies to an address it does not own */
    rc = rstguard_open(&guard, want, dst.family, c->verbose);
    if (rc == INJ_EXIT_OK)
        rc = output_open(&out, c->pcap_file, c->json, c->quiet, c->verbose);
    else
        memset(&out, 0, sizeof out);
    if (c->verbose && rc == INJ_EXIT_OK) {
        char a[INET6_ADDRSTRLEN];
        inj_msg("note", "interface %s (MTU %u), source %s%s, RST guard %s", ifname, nd.mtu,
                inj_addr_str(&src, a, sizeof a), unowned ? " (not owned by this host)" : "",
                rstguard_method_name(guard.method));
        if (guard.method == RSTGUARD_NONE && !unowned)
            inj_msg("warning", "no RST guard for an address this host owns: the kernel will reset the connection");
    }

    if (unowned && rc == INJ_EXIT_OK && !c->quiet) {
        /* with forwarding on, the kernel tries to route the server's replies
         * (ICMP redirects, its own ARP for our address) instead of dropping them */
        const char *fw = dst.family == AF_INET6 ? "/proc/sys/net/ipv6/conf/all/forwarding"
                                                : "/proc/sys/net/ipv4/ip_forward";
        FILE *f = fopen(fw, "re");
        int on = 0;
        if (f) {
            if (fscanf(f, "%d", &on) != 1)
                on = 0;
            fclose(f);
        }
        if (on)
            inj_msg("warning", "forwarding is on (%s): the kernel may forward or redirect the server's "
                    "replies to the unowned source address", fw);
    }

    FILE *save = NULL;
    if (rc == INJ_EXIT_OK && c->save_reply) {
        save = fopen(c->save_reply, "wb");
        if (!save) {
            inj_error("cannot write %s: %s", c->save_reply, strerror(errno));
            rc = INJ_EXIT_FAIL;
        }
    }
    isn_key key;
    if (rc == INJ_EXIT_OK && !isn_key_init(&key)) {
        inj_error("getrandom failed: no key for the ISNs");
        rc = INJ_EXIT_FAIL;
    }
    int64_t *tw_until = rc == INJ_EXIT_OK ? calloc(65536, sizeof *tw_until) : NULL;
    if (rc == INJ_EXIT_OK && !tw_until) {
        inj_error("out of memory");
        rc = INJ_EXIT_FAIL;
    }

    /* Setup done (sockets, capture, outputs, guard): keep only what is still
     * needed, CAP_NET_RAW, and CAP_NET_ADMIN while a guard's rules change. */
    if (rc == INJ_EXIT_OK)
        rc = priv_drop(guard.method != RSTGUARD_NONE, c->sport > 0 && c->sport < 1024, c->verbose);

    uint32_t run_id = 0;
    inj_random(&run_id, sizeof run_id);
    unsigned covered_lo = 1, covered_hi = 0;   /* the client ports filter and guard cover */
    for (int i = 0; rc == INJ_EXIT_OK && i < c->count; i++) {
        if (g_stop) {
            inj_error("interrupted");
            rc = INJ_EXIT_INTERRUPTED;
            break;
        }
        uint16_t sport = 0;
        int port_fd = -1;
        rc = pick_port(c, i, &src, tw_until, waitmask, &sport, &port_fd);
        if (rc != INJ_EXIT_OK)
            break;
        /* capture filter and RST guard: once for the run's whole port range
         * (rebuilt only if a port fell outside it), not per exchange: their
         * set-up (BPF compile + JIT, an nft transaction with its cache
         * dumps) would otherwise run between every two exchanges and leave
         * the kernel's deferred work and cold caches to the next one */
        if (sport < covered_lo || sport > covered_hi) {
            char filter[512];
            run_port_range(c, sport, &covered_lo, &covered_hi);
            build_filter(filter, sizeof filter, &src, (uint16_t)covered_lo, (uint16_t)covered_hi, &dst, dport, unowned);
            rc = netdev_set_filter(&nd, filter);
            if (rc == INJ_EXIT_OK)
                rc = rstguard_cover(&guard, &dst, dport, &src, (uint16_t)covered_lo, (uint16_t)covered_hi);
        }
        if (rc != INJ_EXIT_OK) {
            if (port_fd >= 0)
                close(port_fd);
            break;
        }
        client_params p;
        memset(&p, 0, sizeof p);
        p.src = src;
        p.dst = dst;
        p.sport = sport;
        p.dport = dport;
        p.isn = c->isn_given ? c->isn : isn_make(&key, &src, sport, &dst, dport, inj_now_mono_ns());
        p.ts_offset = isn_ts_offset(&key, &src, sport, &dst, dport);
        p.run_id = run_id;
        p.marker = !c->no_marker;
        p.timestamps = c->timestamps;
        p.unowned_src = unowned;
        p.data = data;
        p.data_len = data_len;
        p.close = c->close;
        p.timeout_ns = (int64_t)(c->timeout * 1e9);
        p.retries = c->retries;
        p.reply_idle_ns = c->reply_idle_ms * 1000000LL;
        p.max_reply = (size_t)c->max_reply;
        p.linger_ns = c->linger_ms * 1000000LL;
        p.busy_poll_ns = c->busy_poll_us * 1000LL;
        p.verbose = c->verbose;
        p.stop = &g_stop;
        p.waitmask = waitmask;

        out_conn oc;
        out_conn_init(&oc, (uint32_t)i);
        output_begin(&out, &oc, &src, sport, &dst, dport, run_id, rstguard_method_name(guard.method));
        client_result res;
        rc = client_run(&p, &nd, &out, &oc, &res);
        if (port_fd >= 0)
            close(port_fd);
        if (res.time_wait_at)   /* our TIME-WAIT on this port: not again before --linger has passed */
            tw_until[sport] = res.time_wait_at + p.linger_ns;
        if (c->stats && rc == INJ_EXIT_OK)
            inj_msg("stats", "stream %d: exchange %.1f us, sport %u, request %zu bytes, reply %zu bytes", i,
                    (double)res.exchange_ns / 1e3, sport, data_len, res.reply_len);
        {
            char hist[LC_ZEEK_HIST_MAX + 1], ev[400];
            lc_zeek_history(&oc.zeek, NULL, hist, sizeof hist);
            events_text(&res, ev, sizeof ev);
            output_note(&out, "stream %d: %s; request %zu bytes%s, reply %zu bytes, %s closed first, conn.state %s, history %s%s",
                        i, rc == INJ_EXIT_OK ? "complete" : "incomplete", data_len,
                        res.request_acked ? " acknowledged" : "", res.reply_len,
                        c->close == CLOSE_RST ? "nobody (RST)" : res.server_closed_first ? "server"
                        : rc == INJ_EXIT_OK || rc == INJ_EXIT_INCOMPLETE ? "client" : "nobody",
                        lc_zeek_state_name(lc_zeek_conn_state(&oc.zeek)), hist, ev);
        }
        if (save) {
            int src_rc = save_reply(save, c->save_reply, &res);
            if (rc == INJ_EXIT_OK)
                rc = src_rc;
        }
        free(res.reply);
    }
    if (c->verbose && nd.pcap) {
        struct pcap_stat st;
        if (nd.cut_frames)
            inj_msg("note", "%lu frame%s captured cut on %s: their data was not used", nd.cut_frames,
                    nd.cut_frames > 1 ? "s" : "", ifname);
        if (pcap_stats(nd.pcap, &st) == 0 && st.ps_drop)
            inj_msg("note", "%u frame%s dropped by the capture ring on %s", st.ps_drop, st.ps_drop > 1 ? "s" : "", ifname);
    }
    if (save && fclose(save) != 0 && rc == INJ_EXIT_OK) {
        inj_error("cannot write %s: %s", c->save_reply, strerror(errno));
        rc = INJ_EXIT_FAIL;
    }
    free(tw_until);

    rstguard_close(&guard);
    netdev_close(&nd);
    output_close(&out);
    free(data);
    return rc;
}

int main(int argc, char **argv)
{
    config c;
    int rc = parse_args(argc, argv, &c);
    if (rc < 0)
        return INJ_EXIT_OK;   /* --help */
    if (rc)
        return rc;

    /* The stop signals are blocked except while waiting (ppoll with
     * waitmask): none can fall between a look at g_stop and the wait. */
    sigset_t stopsigs, waitmask;
    sigemptyset(&stopsigs);
    sigaddset(&stopsigs, SIGINT);
    sigaddset(&stopsigs, SIGTERM);
    sigaddset(&stopsigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &stopsigs, &waitmask);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGHUP);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: poll() must return */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (c.cleanup)
        return rstguard_cleanup(c.quiet);
    rc = run(&c, &waitmask);
    if (g_stop && rc == INJ_EXIT_INTERRUPTED)
        return 128 + g_stop;
    return rc;
}
