/* echo_server.c - a small TCP server for the injector's end-to-end tests.
 *
 * usage: synfin-echo-server [OPTIONS] ADDR PORT
 *   --mode echo         echo everything until the client closes, then close (default)
 *   --mode close-first  echo the first chunk, then close first (server-initiated close)
 *   --mode split        echo in 4-byte pieces 20 ms apart (a reply in several segments)
 *   --mode reset        read the first chunk, then abort the connection (RST)
 *   --mode silent       accept, read, never answer, close only when the client does
 *   --mode slowread     tiny receive buffer, start reading after 1.5 s (zero window), then echo
 *   --port-file F       write the bound port to F (PORT 0 picks one)
 *   --log F             append every byte received to F
 *   --count N           exit after N connections
 *   --close-after N     (echo) after echoing N bytes, close our side first
 *                       (shutdown SHUT_WR: the reply ends with our FIN), then
 *                       read until the client closes
 * Sequential, one connection at a time; plain POSIX sockets.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int write_all(int fd, const char *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = "echo", *port_file = NULL, *log_file = NULL;
    long count = -1, close_after = -1;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
        if (i + 1 >= argc) {
            fprintf(stderr, "echo_server: %s needs a value\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
        else if (!strcmp(argv[i], "--port-file")) port_file = argv[i + 1];
        else if (!strcmp(argv[i], "--log")) log_file = argv[i + 1];
        else if (!strcmp(argv[i], "--count")) count = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--close-after")) close_after = strtol(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "echo_server: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: synfin-echo-server [--mode M] [--port-file F] [--log F] [--count N] [--close-after N] ADDR PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    int port = atoi(argv[i + 1]);
    if (inet_pton(AF_INET, argv[i], &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, argv[i], &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in6);
    } else {
        fprintf(stderr, "echo_server: bad address %s\n", argv[i]);
        return 2;
    }
    int ls = socket(ss.ss_family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int slow = !strcmp(mode, "slowread");
    if (slow) {
        int rb = 4096;   /* the accepted socket inherits it: a small window that fills */
        setsockopt(ls, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
    }
    if (bind(ls, (struct sockaddr *)&ss, sl) != 0 || listen(ls, 8) != 0) {
        fprintf(stderr, "echo_server: bind/listen %s %d: %s\n", argv[i], port, strerror(errno));
        return 1;
    }
    if (port_file) {
        sl = sizeof ss;
        getsockname(ls, (struct sockaddr *)&ss, &sl);
        int bound = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                  : ((struct sockaddr_in6 *)&ss)->sin6_port);
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f) {
            fprintf(stderr, "echo_server: cannot write %s\n", tmp);
            return 1;
        }
        fprintf(f, "%d\n", bound);
        fclose(f);
        rename(tmp, port_file);
    }
    for (long n = 0; count < 0 || n < count; n++) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        FILE *log = log_file ? fopen(log_file, "ab") : NULL;
        char buf[65536];
        if (slow)
            msleep(1500);
        long echoed = 0;
        for (;;) {
            ssize_t r = read(c, buf, sizeof buf);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            if (log) {
                fwrite(buf, 1, (size_t)r, log);
                fflush(log);
            }
            if (!strcmp(mode, "silent"))
                continue;
            if (!strcmp(mode, "reset")) {
                struct linger lg = { 1, 0 };   /* close() sends RST */
                setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
                break;
            }
            if (!strcmp(mode, "split")) {
                for (ssize_t off = 0; off < r; off += 4) {
                    write_all(c, buf + off, (size_t)(r - off < 4 ? r - off : 4));
                    msleep(20);
                }
            } else if (close_after < 0 || echoed < close_after) {
                size_t len = (size_t)r;
                if (close_after >= 0 && (long)len > close_after - echoed)
                    len = (size_t)(close_after - echoed);
                write_all(c, buf, len);
                echoed += (long)len;
                if (close_after >= 0 && echoed >= close_after)
                    shutdown(c, SHUT_WR);
            }
            if (!strcmp(mode, "close-first"))
                break;
        }
        if (log)
            fclose(log);
        close(c);
    }
    return 0;
}
