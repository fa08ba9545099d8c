/*
 * An in-path byte recorder for the integration tests.
 *
 *   recorder PORTFILE OUTFILE SECONDS            echo server
 *   recorder PORTFILE OUTFILE SECONDS TARGETPORT tap in front of 127.0.0.1:TARGETPORT
 *
 * It listens on 127.0.0.1, writes its port to PORTFILE, serves for SECONDS
 * and appends every byte it receives from either side, in order, to
 * OUTFILE (flushed at once: the test may end it with a signal).  It prints
 * "connections=N bytes=M" when it ends by itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 32

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_local(int port)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
    {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    /* fds[2i+1] and fds[2i+2] are a pair: a client and its echo (the same
     * descriptor) or its upstream. */
    struct pollfd fds[1 + 2 * MAX_CONN];
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    unsigned long connections = 0, bytes = 0;
    int pairs = 0, listener, target = argc == 5 ? atoi(argv[4]) : 0;
    double end;
    FILE *port_file, *out;

    if (argc != 4 && argc != 5)
    {
        fprintf(stderr, "usage: recorder PORTFILE OUTFILE SECONDS [TARGETPORT]\n");
        return 2;
    }
    end = now() + atof(argv[3]);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || bind(listener, (struct sockaddr *)&sin, sizeof(sin)) || listen(listener, 16) ||
        getsockname(listener, (struct sockaddr *)&sin, &len))
    {
        fprintf(stderr, "recorder: cannot listen: %s\n", strerror(errno));
        return 1;
    }
    if (!(out = fopen(argv[2], "wb")) || !(port_file = fopen(argv[1], "w")))
    {
        fprintf(stderr, "recorder: cannot write %s or %s\n", argv[2], argv[1]);
        return 1;
    }
    fprintf(port_file, "%u\n", ntohs(sin.sin_port));
    fclose(port_file);
    fds[0].fd = listener;
    fds[0].events = POLLIN;
    while (now() < end)
    {
        int n = poll(fds, (nfds_t)(1 + 2 * pairs), 100);
        if (n < 0 && errno != EINTR) break;
        if (n <= 0) continue;
        if ((fds[0].revents & POLLIN) && pairs < MAX_CONN)
        {
            int c = accept(listener, NULL, NULL), up = c;
            if (c >= 0 && target && (up = connect_local(target)) < 0)
            {
                close(c);
                c = -1;
            }
            if (c >= 0)
            {
                connections++;
                fds[1 + 2 * pairs] = (struct pollfd){ c, POLLIN, 0 };
                fds[2 + 2 * pairs] = (struct pollfd){ up, target ? POLLIN : 0, 0 };
                pairs++;
            }
        }
        for (int i = 0; i < pairs; i++)
        {
            for (int side = 0; side < 2; side++)
            {
                struct pollfd *from = &fds[1 + 2 * i + side], *to = &fds[1 + 2 * i + !side];
                char buf[65536];
                ssize_t got;

                if (!(from->revents & (POLLIN | POLLHUP | POLLERR))) continue;
                got = read(from->fd, buf, sizeof(buf));
                if (got > 0)
                {
                    fwrite(buf, 1, (size_t)got, out);
                    fflush(out);
                    bytes += (unsigned long)got;
                    /* Echo mode: back to the sender; tap mode: on to the other side. */
                    if (write(target ? to->fd : from->fd, buf, (size_t)got) < 0) { /* that side left */ }
                    continue;
                }
                /* One side ended: end the pair. */
                close(from->fd);
                if (target) close(to->fd);
                fds[1 + 2 * i] = fds[1 + 2 * (pairs - 1)];
                fds[2 + 2 * i] = fds[2 + 2 * (pairs - 1)];
                pairs--;
                i--;
                break;
            }
        }
    }
    fclose(out);
    printf("connections=%lu bytes=%lu\n", connections, bytes);
    return 0;
}
