/* Schemas of the auto-recording extensions (src/api/action_auto.c, docs/api.md): the template's
 * members, each checked alone here; the rules across members (AAC needs audio only, cos and s3
 * need their bucket and keys) are the template's own (src/auto/auto_template.c). */
#include <string.h>

#include "validate/schema_macros.h"

static const char *
one_of (const char *s, const char *const *names, const char *want)
{
  for (const char *const *n = names; *n != NULL; n++) {
    if (strcmp (s, *n) == 0)
      return NULL;
  }
  return want;
}

static const char *
format_stream (const char *s)
{
  static const char *const names[] = { "audio-video", "audio", "video", NULL };
  return one_of (s, names, "one of audio-video, audio, video");
}

static const char *
format_format (const char *s)
{
  static const char *const names[] = { "hls", "mp4", "aac", "hls+mp4", "hls+aac", NULL };
  return one_of (s, names, "one of hls, mp4, aac, hls+mp4, hls+aac");
}

static const char *
format_storage (const char *s)
{
  static const char *const names[] = { "vod", "local", "cos", "s3", NULL };
  return one_of (s, names, "one of vod, local, cos, s3");
}

static const CrField describe_auto_fields[] = { F_SDK_APP_ID };
const CrSchema cr_schema_auto_describe = CR_SCHEMA (describe_auto_fields, NULL);

static const CrField modify_auto_fields[] = {
  F_SDK_APP_ID,
  F_ENUM ("Enabled", FALSE, CR_ALLOW (0, 1)),
  F_STR ("StreamType", FALSE, 1, 16, format_stream),
  F_STR ("Format", FALSE, 1, 16, format_format),
  F_INT ("FileMinutes", FALSE, 1, 1440),
  F_INT ("ResumeWait", FALSE, 1, 86400),
  F_INT ("MaxAnchors", FALSE, 1, 25),
  F_STR ("Storage", FALSE, 1, 16, format_storage),
  F_STR ("Region", FALSE, 1, 64, cr_format_key),
  F_STR ("Bucket", FALSE, 1, 128, cr_format_key),
  F_STR ("AccessKey", FALSE, 1, 256, cr_format_key),
  F_STR ("SecretKey", FALSE, 1, 256, cr_format_key),
  F_STR ("Prefix", FALSE, 0, 1100, NULL),
};
const CrSchema cr_schema_auto_modify = CR_SCHEMA (modify_auto_fields, NULL);

static const CrField auto_tasks_fields[] = {
  F_SDK_APP_ID,
  F_STR ("RoomId", FALSE, 1, 64, NULL),
};
const CrSchema cr_schema_auto_tasks = CR_SCHEMA (auto_tasks_fields, NULL);
