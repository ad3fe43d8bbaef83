/* kernel_client.c - the baseline of tests/bench/bench_inject.sh: the same
 * exchange as synfin-inject, through the kernel's own TCP stack.
 *
 * usage: kernel_client ADDR PORT COUNT PAYLOAD
 *
 * Each exchange: socket(); [timer starts] connect(); TCP_QUICKACK off (so
 * that the ACK of the echo rides on the FIN, as synfin-inject and
 * scapy_client.py send it; left alone, Linux acknowledges the first data it
 * receives at once, see bench_inject.sh); send(PAYLOAD); one
 * recv() (the reply is complete at its first data, as synfin-inject
 * --reply-idle 0); shutdown(SHUT_WR) (the client closes first); read to EOF
 * (the server's FIN); close() [timer stops].  The kernel sends the last ACK
 * when the server's FIN arrives, before read() returns 0.
 *
 * Prints one line per exchange on stderr, in synfin-inject --stats' format:
 *   kernel_client: stats: stream I: exchange US us, request N bytes, reply M bytes
 * Exit 0 when every exchange completed with the whole payload echoed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: kernel_client ADDR PORT COUNT PAYLOAD\n");
        return 2;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
        fprintf(stderr, "kernel_client: bad address %s\n", argv[1]);
        return 2;
    }
    long count = strtol(argv[3], NULL, 10);
    const char *payload = argv[4];
    size_t plen = strlen(payload);
    char buf[65536];

    for (long i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) {
            perror("kernel_client: socket");
            return 1;
        }
        long long t0 = now_ns();
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            perror("kernel_client: connect");
            return 1;
        }
        int zero = 0;   /* delayed ACK for the echo: it rides on the FIN (see bench_inject.sh) */
        if (setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero) != 0) {
            perror("kernel_client: setsockopt TCP_QUICKACK");
            return 1;
        }
        if (send(fd, payload, plen, 0) != (ssize_t)plen) {
            perror("kernel_client: send");
            return 1;
        }
        size_t got = 0;
        ssize_t r;
        do
            r = recv(fd, buf, sizeof buf, 0);
        while (r < 0 && errno == EINTR);
        if (r <= 0) {
            fprintf(stderr, "kernel_client: no reply (%s)\n", r < 0 ? strerror(errno) : "EOF");
            return 1;
        }
        got += (size_t)r;
        if (shutdown(fd, SHUT_WR) != 0) {
            perror("kernel_client: shutdown");
            return 1;
        }
        for (;;) {   /* the rest of the reply, if any, then the server's FIN */
            r = read(fd, buf, sizeof buf);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (r < 0) {
            perror("kernel_client: read");
            return 1;
        }
        close(fd);
        long long t1 = now_ns();
        if (got != plen) {
            fprintf(stderr, "kernel_client: reply %zu bytes, expected %zu\n", got, plen);
            return 1;
        }
        fprintf(stderr, "kernel_client: stats: stream %ld: exchange %.1f us, request %zu bytes, reply %zu bytes\n",
                i, (double)(t1 - t0) / 1e3, plen, got);
    }
    return 0;
}
