/* libFuzzer target: what reaches the storage code from outside, as text: the storage-endpoint
 * setting, a VOD URL's query and Range header as a player could send them, a playlist the VOD
 * library signs and reads, and object keys encoded into request paths for SigV4. The input is
 * split at NUL bytes into those fields. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "blob/sigv4.h"
#include "upload/storage_target.h"
#include "vod/vod_url.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = g_strndup ((const char *)data, size); /* stops at the first NUL */
  char **f = g_strsplit (text, "\n", 6);             /* endpoint, path, t, us, sign, range */
  const char *field[6] = { "", "", "", "", "", "" };
  for (int i = 0; i < 6 && f[i] != NULL; i++)
    field[i] = f[i];

  CrStorageEndpoints e;
  GError *error = NULL;
  if (cr_storage_endpoints_parse (field[0], &e, &error))
    cr_storage_endpoints_clear (&e);
  else
    g_assert (error != NULL && error->message[0] != '\0');
  g_clear_error (&error);

  CrVodUrlCheck check = cr_vod_url_verify ("fuzzkey0123", field[1], field[2], field[3], field[4], 1);
  g_assert (check != CR_VOD_URL_OK); /* nobody forges the key's signature by chance */
  g_free (cr_vod_url_dir (field[1]));
  gint64 start = 0, end = 0;
  CrVodRange r = cr_vod_parse_range (field[5], 1000, &start, &end);
  if (r == CR_VOD_RANGE_OK)
    g_assert (0 <= start && start <= end && end < 1000);
  cr_vod_name_valid (field[1]);
  cr_vod_file_id_valid (field[2]);

  g_free (cr_vod_m3u8_sign ((const char *)data, size, "t=1&us=x&sign=y"));
  g_strfreev (cr_vod_m3u8_segments ((const char *)data, size));
  g_free (cr_sigv4_encode_path (text));

  g_strfreev (f);
  g_free (text);
  return 0;
}
