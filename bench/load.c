/* An open-loop HTTP/1.1 load generator for the benches: request i is due at start + i/rate and its
 * latency is counted from that moment, so a server stall shows up in the percentiles instead of
 * slowing the client down (no coordinated omission). Written in C with epoll so that the client
 * costs little next to the server on a 2-core machine; a Node client added milliseconds of its own.
 *
 * Usage: load PORT RATE SECONDS CONNECTIONS REQUEST_FILE
 * REQUEST_FILE holds the raw request bytes, sent as they are on keep-alive connections, one request
 * in flight per connection. Prints one JSON object. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  int busy;
  double due_ms; /* when the request in flight was due */
  size_t sent;
  char buf[65536];
  size_t got;
} Conn;

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int
conn_open (int port)
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t)port) };
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror ("connect");
    exit (1);
  }
  fcntl (fd, F_SETFL, O_NONBLOCK);
  return fd;
}

/* Length of a complete response in c->buf, or 0 while it is incomplete. */
static size_t
response_length (const Conn *c, int *status)
{
  const char *end = memmem (c->buf, c->got, "\r\n\r\n", 4);
  if (end == NULL)
    return 0;
  size_t head = (size_t)(end - c->buf) + 4;
  const char *cl = NULL;
  for (const char *p = c->buf; p < end; p++)
    if ((p == c->buf || p[-1] == '\n') && strncasecmp (p, "Content-Length:", 15) == 0)
      cl = p + 15;
  size_t body = cl != NULL ? strtoul (cl, NULL, 10) : 0;
  *status = atoi (c->buf + 9);
  return c->got >= head + body ? head + body : 0;
}

int
main (int argc, char **argv)
{
  if (argc != 6) {
    fprintf (stderr, "usage: load PORT RATE SECONDS CONNECTIONS REQUEST_FILE\n");
    return 2;
  }
  int port = atoi (argv[1]), nconn = atoi (argv[4]);
  double rate = atof (argv[2]), seconds = atof (argv[3]);
  FILE *f = fopen (argv[5], "rb");
  if (f == NULL) {
    perror (argv[5]);
    return 2;
  }
  static char request[1 << 20];
  size_t request_len = fread (request, 1, sizeof request, f);
  fclose (f);

  long total = (long)(rate * seconds);
  double *lat = calloc ((size_t)total, sizeof *lat);
  Conn *conns = calloc ((size_t)nconn, sizeof *conns);
  int ep = epoll_create1 (0);
  for (int i = 0; i < nconn; i++) {
    conns[i].fd = conn_open (port);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &conns[i] };
    epoll_ctl (ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }

  long next = 0, done = 0, errors = 0;
  double start = now_ms () + 1;
  while (done < total) {
    double now = now_ms ();
    /* Send every due request on an idle connection; the rest wait, their clock running. */
    for (int i = 0; i < nconn && next < total && start + next * 1000.0 / rate <= now; i++) {
      Conn *c = &conns[i];
      if (c->busy)
        continue;
      c->busy = 1;
      c->due_ms = start + next * 1000.0 / rate;
      c->got = 0;
      next++;
      ssize_t n = send (c->fd, request, request_len, MSG_NOSIGNAL);
      if (n != (ssize_t)request_len) {
        fprintf (stderr, "send: short write or error (%s)\n", strerror (errno));
        return 1;
      }
    }
    double wait = next < total ? start + next * 1000.0 / rate - now_ms () : 100;
    struct epoll_event events[64];
    struct timespec timeout = { 0, 0 };
    if (wait > 0) {
      timeout.tv_sec = (time_t)(wait / 1000);
      timeout.tv_nsec = (long)((wait - timeout.tv_sec * 1000.0) * 1e6);
    }
    int n = epoll_pwait2 (ep, events, 64, &timeout, NULL);
    for (int e = 0; e < n; e++) {
      Conn *c = events[e].data.ptr;
      ssize_t r = recv (c->fd, c->buf + c->got, sizeof c->buf - c->got, 0);
      if (r <= 0) {
        /* The server may close a keep-alive connection (an idle timeout): reconnect; a request
         * that was in flight on it is counted as an error and retried on the new connection. */
        epoll_ctl (ep, EPOLL_CTL_DEL, c->fd, NULL);
        close (c->fd);
        c->fd = conn_open (port);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl (ep, EPOLL_CTL_ADD, c->fd, &ev);
        c->got = 0;
        if (c->busy) {
          errors++;
          send (c->fd, request, request_len, MSG_NOSIGNAL);
        }
        continue;
      }
      c->got += (size_t)r;
      int status = 0;
      size_t len = response_length (c, &status);
      if (len == 0 || !c->busy)
        continue;
      if (status != 200 || memmem (c->buf, len, "\"Error\"", 7) != NULL)
        errors++;
      lat[done++] = now_ms () - c->due_ms;
      c->busy = 0;
    }
  }
  double elapsed = (now_ms () - start) / 1000;
  qsort (lat, (size_t)total, sizeof *lat, cmp_double);
#define Q(p) lat[(long)((p) * (total - 1))]
  printf ("{\"requests\":%ld,\"errors\":%ld,\"rate\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
          "\"p999_ms\":%.3f,\"max_ms\":%.3f}\n",
          total, errors, total / elapsed, Q (0.5), Q (0.99), Q (0.999), lat[total - 1]);
  return 0;
}
