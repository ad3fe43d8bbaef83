/* common.h - types and helpers shared by the injector's parts: addresses,
 * exit codes, sequence-number comparisons, the one-line error reporter and
 * the monotonic/wall clocks.
 *
 * Owns nothing mutable; every part gets its state passed in.
 */
#ifndef SYNFIN_INJ_COMMON_H
#define SYNFIN_INJ_COMMON_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes: the contract of synfin-inject. */
enum {
    INJ_EXIT_OK = 0,
    INJ_EXIT_FAIL = 1,      /* anything not listed below (I/O, internal) */
    INJ_EXIT_USAGE = 2,
    INJ_EXIT_PRIV = 3,
    INJ_EXIT_REFUSED = 4,
    INJ_EXIT_TIMEOUT = 5,
    INJ_EXIT_PROTO = 6,
    INJ_EXIT_INCOMPLETE = 7, /* the reply is not whole: the server went on after we closed
                                (--reply-idle too short), or it outgrew --max-reply */
    INJ_EXIT_INTERRUPTED = 130
};

/* An IPv4 or IPv6 address; v4 uses the first 4 bytes of a. */
typedef struct inj_addr {
    int     family;   /* AF_INET or AF_INET6 */
    uint8_t a[16];
} inj_addr;

/* Sequence-number comparisons modulo 2^32 (RFC 9293 3.4). */
#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

static inline size_t inj_addr_len(const inj_addr *x) { return x->family == AF_INET6 ? 16 : 4; }
bool inj_addr_eq(const inj_addr *x, const inj_addr *y);
/* Text form; buf must hold INET6_ADDRSTRLEN bytes. */
const char *inj_addr_str(const inj_addr *x, char *buf, size_t size);
/* Parse a numeric address of the given family (AF_UNSPEC: either). */
bool inj_addr_parse(const char *text, int family, inj_addr *out);
void inj_addr_to_sockaddr(const inj_addr *x, uint16_t port, struct sockaddr_storage *ss, unsigned *sslen);

/* One line on stderr: "synfin-inject: error: ..." (level "error"/"warning"/"note"). */
void inj_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define inj_error(...) inj_msg("error", __VA_ARGS__)

#define NS_PER_MS 1000000LL

int64_t inj_now_mono_ns(void);   /* CLOCK_MONOTONIC */
int64_t inj_now_wall_ns(void);   /* CLOCK_REALTIME, the clock pcap timestamps use */

/* Random bytes from getrandom(); false if the kernel refused. */
bool inj_random(void *buf, size_t len);

#endif
