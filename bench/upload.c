/* The upload bench's client: our S3 client (src/blob/s3_client.c) uploading what a task uploads,
 * timed by itself so that the driver (upload.mjs) gets the cost of our code alone; one process
 * per run, so its peak RSS is the run's.
 *
 * Usage: upload put ENDPOINT BUCKET ACCESS SECRET FILE...   (cr_s3_put_file each, one client:
 *                                                            one kept-alive connection)
 *        upload multipart ENDPOINT BUCKET ACCESS SECRET FILE PART_MB
 * Prints one JSON object: bytes, wall and CPU seconds (getrusage RUSAGE_SELF, user + sys, around
 * the uploads only) and peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_clock.h"

#include "blob/s3_client.h"


static guint64
file_size (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 ? (guint64)st.st_size : 0;
}

int
main (int argc, char **argv)
{
  gboolean multipart = argc >= 2 && strcmp (argv[1], "multipart") == 0;
  if (argc < 7 || (!multipart && strcmp (argv[1], "put") != 0) || (multipart && argc != 8)) {
    fprintf (stderr, "usage: upload put ENDPOINT BUCKET ACCESS SECRET FILE...\n"
                     "       upload multipart ENDPOINT BUCKET ACCESS SECRET FILE PART_MB\n");
    return 2;
  }
  CrS3Config config = { .endpoint = argv[2],
                        .vendor = 1,
                        .region = "us-east-1",
                        .bucket = argv[3],
                        .access_key = argv[4],
                        .secret_key = argv[5],
                        .timeout_s = 120 };
  g_autoptr (CrS3Client) client = cr_s3_client_new (&config);
  g_autoptr (GError) error = NULL;
  guint64 bytes = 0;
  guint files = 0;
  gboolean ok = TRUE;
  double w0 = bench_now_s (), c0 = bench_cpu_s ();
  if (multipart) {
    g_autofree char *upload_id = NULL;
    gsize part = (gsize)strtoul (argv[7], NULL, 10) << 20;
    ok = cr_s3_put_file_multipart (client, "bench/big.mp4", argv[6], part, &upload_id, NULL, NULL,
                                   &error);
    bytes = file_size (argv[6]);
    files = 1;
  } else {
    for (int i = 6; ok && i < argc; i++) {
      g_autofree char *key = g_strdup_printf (
          "bench/%s", strrchr (argv[i], '/') != NULL ? strrchr (argv[i], '/') + 1 : argv[i]);
      g_autofree char *etag = NULL;
      ok = cr_s3_put_file (client, key, argv[i], "video/MP2T", &etag, &error);
      bytes += file_size (argv[i]);
      files++;
    }
  }
  double wall = bench_now_s () - w0, cpu = bench_cpu_s () - c0;
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  printf ("{\"ok\":%s,\"files\":%u,\"bytes\":%" G_GUINT64_FORMAT
          ",\"wall_s\":%.3f,\"cpu_s\":%.3f,\"max_rss_kb\":%ld}\n",
          ok ? "true" : "false", files, bytes, wall, cpu, ru.ru_maxrss);
  if (!ok)
    fprintf (stderr, "upload: %s\n", error->message);
  return ok ? 0 : 1;
}
