/*
 * Minimal NTP reflector: the throughput baseline for fastntp-load (bench/RESULTS.md, issue 3).
 * recvmmsg a batch of up to 64 requests, turn each into a mode-4 stratum-1 reply in place
 * (origin = client's transmit, receive/transmit = CLOCK_REALTIME), sendmmsg the batch back.
 * No validation beyond "48+ bytes, mode 3": it is a ceiling for the kernel path, not a server.
 *
 * usage: reflector [-a ADDR] [-p PORT] [-t THREADS]   (threads share the port with SO_REUSEPORT)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PKT 1024
#define NTP_UNIX_OFFSET 2208988800ULL

static struct sockaddr_storage listen_addr;
static socklen_t listen_len;

static uint64_t ntp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000ULL;
    return ((uint64_t)(ts.tv_sec + NTP_UNIX_OFFSET) << 32) | frac;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static int open_socket(void)
{
    int fd = socket(listen_addr.ss_family, SOCK_DGRAM, 0);
    int one = 1, buf = 4 << 20;
    if (fd < 0) { perror("socket"); exit(1); }
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    if (bind(fd, (struct sockaddr *)&listen_addr, listen_len) < 0) { perror("bind"); exit(1); }
    return fd;
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    static __thread uint8_t bufs[BATCH][PKT];
    static __thread struct sockaddr_storage peers[BATCH];
    struct iovec iov[BATCH];
    struct mmsghdr msgs[BATCH];

    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = PKT };
            msgs[i].msg_hdr = (struct msghdr){ .msg_name = &peers[i], .msg_namelen = sizeof peers[i],
                                              .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
        int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("recvmmsg");
            exit(1);
        }
        uint64_t rx = ntp_now();
        int out = 0;
        for (int i = 0; i < n; i++) {
            uint8_t *p = bufs[i];
            if (msgs[i].msg_len < 48 || (p[0] & 7) != 3) continue;
            /* Keep the client's version, answer in mode 4 with no leap warning. */
            p[0] = (uint8_t)((p[0] & 0x38) | 4);
            p[1] = 1;            /* stratum 1 */
            p[2] = p[2] ? p[2] : 4;
            p[3] = (uint8_t)-20; /* ~1 us precision */
            memset(p + 4, 0, 8); /* root delay, root dispersion */
            memcpy(p + 12, "LOCL", 4);
            memcpy(p + 24, p + 40, 8); /* origin <- client's transmit */
            put64(p + 16, rx);
            put64(p + 32, rx);
            put64(p + 40, ntp_now());
            iov[i].iov_len = 48;
            if (out != i) {
                msgs[out] = msgs[i];
            }
            out++;
        }
        for (int sent = 0; sent < out;) {
            int r = sendmmsg(fd, msgs + sent, (unsigned)(out - sent), 0);
            if (r < 0) {
                if (errno == EINTR) continue;
                break; /* a full queue drops the rest of the batch, as a real server would */
            }
            sent += r;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1";
    int port = 12300, threads = 1, opt;
    while ((opt = getopt(argc, argv, "a:p:t:")) != -1) {
        switch (opt) {
        case 'a': addr = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: %s [-a ADDR] [-p PORT] [-t THREADS]\n", argv[0]);
            return 2;
        }
    }
    memset(&listen_addr, 0, sizeof listen_addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&listen_addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&listen_addr;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        listen_len = sizeof *v4;
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        listen_len = sizeof *v6;
    } else {
        fprintf(stderr, "bad address %s\n", addr);
        return 2;
    }
    if (threads < 1 || threads > 64) threads = 1;

    pthread_t tid[64];
    for (int i = 1; i < threads; i++) pthread_create(&tid[i], NULL, serve, (void *)(intptr_t)open_socket());
    fprintf(stderr, "reflector: %s port %d, %d thread(s)\n", addr, port, threads);
    serve((void *)(intptr_t)open_socket());
    return 0;
}
