/* client.h - one whole client connection by hand: the connection's control
 * block (send and receive sequence space, negotiated options, deadlines) and
 * the event loop that feeds it captured frames and timer expiries.
 *
 * SYN with our ISN and options (retransmitted with backoff), the server's
 * SYN-ACK checked and acknowledged, the request sent in segments that fit
 * the peer's MSS and window (fast retransmit, NewReno partial ACKs,
 * zero-window probes), the reply acknowledged (duplicates re-acknowledged
 * and never counted twice; data beyond a hole kept and reported with SACK
 * blocks), then the teardown chosen by --close, following a server that
 * closes first.  Every segment sent or received goes through output.h.
 * The numbers behind "when and how much" live in congestion.h, the bytes
 * received in reassembly.h, the wire format and ICMP texts in packet.h.
 */
#ifndef SYNFIN_INJ_CLIENT_H
#define SYNFIN_INJ_CLIENT_H

#include <signal.h>

#include "netdev.h"
#include "output.h"

typedef enum close_mode { CLOSE_FIN = 0, CLOSE_WAIT, CLOSE_RST } close_mode;

/* What one exchange needs to know. */
typedef struct client_params {
    inj_addr src, dst;
    uint16_t sport, dport;
    uint32_t isn;
    uint32_t ts_offset;      /* RFC 7323 7.1: added to the millisecond clock for TSval */
    uint32_t run_id;
    bool     marker, timestamps, unowned_src;
    const uint8_t *data;
    size_t   data_len;
    close_mode close;
    int64_t  timeout_ns;     /* no progress for this long: exit 5 */
    int      retries;        /* SYN / FIN / data retransmissions before giving up */
    int64_t  reply_idle_ns;  /* reply complete after this much silence from the server, no hole open */
    size_t   max_reply;      /* reply bytes kept at the most (more: exit 7) */
    int64_t  linger_ns;      /* TIME_WAIT stay, to re-ACK a retransmitted FIN */
    int64_t  busy_poll_ns;   /* look at the capture ring this long before sleeping in poll() */
    bool     verbose;
    const volatile sig_atomic_t *stop;   /* set by SIGINT/SIGTERM */
    const sigset_t *waitmask;  /* the signal mask while waiting (ppoll): the stop signals are
                                  blocked everywhere else, so none is lost between the check
                                  of *stop and the wait */
} client_params;

/* What came back. */
typedef struct client_result {
    size_t   reply_len;      /* bytes of reply received in order */
    uint8_t *reply;          /* malloc'ed; caller frees */
    bool     server_closed_first;
    bool     request_acked;
    int64_t  exchange_ns;    /* CLOCK_MONOTONIC, from just before the first SYN to just
                                after our last segment of the close (before any linger);
                                0 if the exchange did not complete */
    int64_t  time_wait_at;   /* CLOCK_MONOTONIC when we entered TIME-WAIT (closed first); 0 never */
    /* what happened besides the plain exchange (the summary line tells) */
    unsigned old_conn;       /* SYN-SENT: unacceptable ACKs answered <SEQ=SEG.ACK><CTL=RST>, SYN again */
    unsigned challenge_acks; /* RFC 5961: ACKs for an in-window RST or a SYN */
    unsigned ignored_rsts;   /* RSTs out of the window, or not acknowledging our SYN, dropped */
    unsigned oow_acks;       /* ACKs for segments outside the window, or acknowledging unsent data */
    unsigned fin_reacks;     /* TIME-WAIT: a retransmitted FIN acknowledged again */
    unsigned cut_frames;     /* frames captured cut: their data was not used */
    unsigned local_drops;    /* our segments a local firewall rule dropped (lost, retransmitted) */
    size_t   late_bytes;     /* reply bytes that came after we had closed (--reply-idle): exit 7 */
} client_result;

/* Runs one exchange; returns an INJ_EXIT_* code (message printed).  Exit 0
 * only with the whole reply: the server's FIN arrived, or --reply-idle
 * passed with nothing from the server and no hole open, and nothing came
 * after we closed. */
int client_run(const client_params *p, netdev *nd, output *o, out_conn *oc, client_result *res);

#endif
