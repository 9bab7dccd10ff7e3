/* Fuzzes the image header checks that run on every downloaded picture before it is decoded
 * (PNG IHDR, JPEG marker walk to the frame header): no crash, no over-read, and an answer within
 * the limits or an error. */
#include <stdint.h>

#include "mix/picture.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  int width = 0, height = 0;
  GError *error = NULL;
  const char *decoder = cr_picture_decoder_for (data, size, &width, &height, &error);
  if (decoder != NULL
      && (width < 1 || height < 1 || width > CR_PICTURE_MAX_SIDE || height > CR_PICTURE_MAX_SIDE))
    __builtin_trap ();
  if ((decoder == NULL) != (error != NULL))
    __builtin_trap ();
  g_clear_error (&error);
  return 0;
}
