/* The upload bench's fast baseline server: a minimal S3-shaped HTTP/1.1 sink on 127.0.0.1 that
 * reads and discards request bodies and answers at once, so that the bench measures the clients
 * (ours and curl), not the server (moto is Python and costs far more than either client).
 *
 * Answers: PUT -> 200 with an ETag; POST ?uploads -> an UploadId; POST ?uploadId=.. -> a
 * CompleteMultipartUploadResult; DELETE -> 204; GET /_received -> the PUT body bytes received so
 * far (the bench checks that every byte arrived); anything else -> 200 with no body. Honours
 * "Expect: 100-continue"; bodies need a Content-Length (no chunked uploads). No signature check.
 * One thread per connection, keep-alive. Prints the port it listens on, then serves until killed.
 * Usage: put_sink [PORT] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 16384

static unsigned long long received; /* body bytes, for GET /_received (the bench's check) */

static int
send_all (int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = send (fd, p, n, MSG_NOSIGNAL);
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int
reply (int fd, int status, const char *extra, const char *body)
{
  char buf[2048];
  size_t len = body != NULL ? strlen (body) : 0;
  int n = snprintf (buf, sizeof buf, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s%s\r\n%s", status,
                    status == 204 ? "No Content" : "OK", len, extra ? extra : "",
                    len ? "Content-Type: application/xml\r\n" : "", body ? body : "");
  return send_all (fd, buf, (size_t)n);
}

/* The value of header @name in @head (NUL-terminated, up to the blank line), or NULL. */
static const char *
header (const char *head, const char *name)
{
  size_t n = strlen (name);
  for (const char *p = strstr (head, "\r\n"); p != NULL; p = strstr (p + 2, "\r\n"))
    if (strncasecmp (p + 2, name, n) == 0 && p[2 + n] == ':')
      return p + 3 + n;
  return NULL;
}

static void *
serve (void *arg)
{
  int fd = (int)(long)arg;
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  static __thread char buf[1 << 18];
  size_t got = 0;
  for (;;) {
    /* The request head. */
    char *end;
    while ((end = memmem (buf, got, "\r\n\r\n", 4)) == NULL) {
      if (got == HEAD_MAX)
        goto done;
      ssize_t r = recv (fd, buf + got, HEAD_MAX - got, 0);
      if (r <= 0)
        goto done;
      got += (size_t)r;
    }
    size_t head_len = (size_t)(end - buf) + 4;
    char head[HEAD_MAX + 1];
    memcpy (head, buf, head_len);
    head[head_len] = '\0';
    memmove (buf, buf + head_len, got - head_len);
    got -= head_len;
    const char *cl = header (head, "Content-Length");
    unsigned long long body = cl != NULL ? strtoull (cl, NULL, 10) : 0;
    const char *expect = header (head, "Expect");
    if (expect != NULL && strncasecmp (expect + strspn (expect, " "), "100-continue", 12) == 0
        && got == 0 && body > 0)
      if (send_all (fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
        goto done;
    /* The body, discarded (what arrived with the head first); PUT bodies are counted. */
    unsigned long long *count
        = strncmp (head, "PUT ", 4) == 0 ? &received : &(unsigned long long){ 0 };
    size_t take = got < body ? got : (size_t)body;
    memmove (buf, buf + take, got - take);
    got -= take;
    body -= take;
    __atomic_add_fetch (count, take, __ATOMIC_RELAXED);
    while (body > 0) {
      ssize_t r = recv (fd, buf, body < sizeof buf ? (size_t)body : sizeof buf, 0);
      if (r <= 0)
        goto done;
      body -= (unsigned long long)r;
      __atomic_add_fetch (count, (unsigned long long)r, __ATOMIC_RELAXED);
    }
    char *line_end = strstr (head, "\r\n");
    *line_end = '\0';
    int rc;
    if (strncmp (head, "PUT ", 4) == 0)
      rc = reply (fd, 200, "ETag: \"9e107d9d372bb6826bd81d3542a419d6\"\r\n", NULL);
    else if (strncmp (head, "POST ", 5) == 0 && strstr (head, "?uploads") != NULL)
      rc = reply (fd, 200, NULL,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><InitiateMultipartUploadResult>"
                  "<Bucket>b</Bucket><Key>k</Key><UploadId>bench-upload-1</UploadId>"
                  "</InitiateMultipartUploadResult>");
    else if (strncmp (head, "POST ", 5) == 0)
      rc = reply (fd, 200, NULL,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUploadResult>"
                  "<Bucket>b</Bucket><Key>k</Key><ETag>\"9e107d9d372bb6826bd81d3542a419d6-1\""
                  "</ETag></CompleteMultipartUploadResult>");
    else if (strncmp (head, "DELETE ", 7) == 0)
      rc = reply (fd, 204, NULL, NULL);
    else if (strncmp (head, "GET /_received ", 15) == 0) {
      char count[32];
      snprintf (count, sizeof count, "%llu", __atomic_load_n (&received, __ATOMIC_RELAXED));
      rc = reply (fd, 200, NULL, count);
    } else
      rc = reply (fd, 200, NULL, NULL);
    if (rc != 0)
      break;
  }
done:
  close (fd);
  return NULL;
}

int
main (int argc, char **argv)
{
  signal (SIGPIPE, SIG_IGN);
  int ls = socket (AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt (ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr
      = { .sin_family = AF_INET, .sin_port = htons ((uint16_t)(argc > 1 ? atoi (argv[1]) : 0)) };
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind (ls, (struct sockaddr *)&addr, sizeof addr) != 0 || listen (ls, 64) != 0
      || getsockname (ls, (struct sockaddr *)&addr, &len) != 0) {
    perror ("put_sink");
    return 1;
  }
  printf ("%d\n", ntohs (addr.sin_port));
  fflush (stdout);
  for (;;) {
    int fd = accept (ls, NULL, NULL);
    if (fd < 0)
      continue;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init (&attr);
    pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create (&t, &attr, serve, (void *)(long)fd) != 0)
      close (fd);
    pthread_attr_destroy (&attr);
  }
}
