/* common.c - addresses, messages, clocks and randomness for the injector. */
#define _GNU_SOURCE
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

bool inj_addr_eq(const inj_addr *x, const inj_addr *y)
{
    return x->family == y->family && memcmp(x->a, y->a, inj_addr_len(x)) == 0;
}

const char *inj_addr_str(const inj_addr *x, char *buf, size_t size)
{
    if (!inet_ntop(x->family, x->a, buf, (socklen_t)size))
        snprintf(buf, size, "?");
    return buf;
}

bool inj_addr_parse(const char *text, int family, inj_addr *out)
{
    memset(out, 0, sizeof *out);
    if (family != AF_INET6 && inet_pton(AF_INET, text, out->a) == 1) {
        out->family = AF_INET;
        return true;
    }
    if (family != AF_INET && inet_pton(AF_INET6, text, out->a) == 1) {
        out->family = AF_INET6;
        return true;
    }
    return false;
}

void inj_addr_to_sockaddr(const inj_addr *x, uint16_t port, struct sockaddr_storage *ss, unsigned *sslen)
{
    memset(ss, 0, sizeof *ss);
    if (x->family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        memcpy(&s4->sin_addr, x->a, 4);
        *sslen = sizeof *s4;
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, x->a, 16);
        *sslen = sizeof *s6;
    }
}

void inj_msg(const char *level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One line, whatever the arguments contained. */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "synfin-inject: %s: %s\n", level, line);
}

static int64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t inj_now_mono_ns(void) { return now_ns(CLOCK_MONOTONIC); }
int64_t inj_now_wall_ns(void) { return now_ns(CLOCK_REALTIME); }

bool inj_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}
