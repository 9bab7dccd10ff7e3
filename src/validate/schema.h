/* The schema table format shared by the validator engine (validate.c) and the action schemas.
 *
 * A schema is a list of field rows plus an optional cross-field check that runs on the
 * normalised object. Rows say everything a rule needs: kind, required, range (integers), byte
 * length (strings), count (lists), allowed values, a format checker, a child schema, a default,
 * and the TRTC code to use for any invalidity of that field when TRTC has a specific one. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  CR_FIELD_INT,
  CR_FIELD_STRING,
  CR_FIELD_BOOL,
  CR_FIELD_OBJECT,
  CR_FIELD_STRING_LIST,
  CR_FIELD_OBJECT_LIST,
} CrFieldKind;

typedef struct CrSchema CrSchema;

/* Returns NULL when @s is acceptable, else a short description of the expected format. */
typedef const char *(*CrFormatFunc) (const char *s);

typedef struct {
  const char *name;
  CrFieldKind kind;
  gboolean required;
  gint64 min, max;       /* INT: value range; STRING: byte length; lists: entry count */
  guint64 allowed;       /* INT: bit i set = value i allowed (0 = any value in range) */
  CrFormatFunc format;   /* STRING and STRING_LIST entries */
  gint64 item_max;       /* STRING_LIST: byte length of each entry (min 1) */
  const CrSchema *child; /* OBJECT, OBJECT_LIST */
  gboolean has_default;
  gint64 def_int;      /* INT and BOOL defaults */
  const char *def_str; /* STRING default */
  const char *code;    /* TRTC code for any invalidity, e.g. "InvalidParameter.SdkAppId" */
} CrField;

/* Runs on the normalised object at @path; may add defaults or fail with a CR_API_ERROR. */
typedef gboolean (*CrCrossCheck) (JsonObject *norm, const char *path, GError **error);

struct CrSchema {
  const CrField *fields;
  guint n_fields;
  CrCrossCheck check;
};

/* CR_ALLOW (0, 1, 2): the bit mask of allowed values, a constant expression (1 to 7 values). */
#define CR_BIT(v) (G_GUINT64_CONSTANT (1) << (v))
#define CR_ALLOW_PICK(_1, _2, _3, _4, _5, _6, _7, name, ...) name
#define CR_ALLOW(...)                                                                              \
  CR_ALLOW_PICK (__VA_ARGS__, CR_ALLOW7, CR_ALLOW6, CR_ALLOW5, CR_ALLOW4, CR_ALLOW3, CR_ALLOW2,    \
                 CR_ALLOW1)                                                                        \
  (__VA_ARGS__)
#define CR_ALLOW1(a) CR_BIT (a)
#define CR_ALLOW2(a, b) (CR_BIT (a) | CR_BIT (b))
#define CR_ALLOW3(a, b, c) (CR_ALLOW2 (a, b) | CR_BIT (c))
#define CR_ALLOW4(a, b, c, d) (CR_ALLOW3 (a, b, c) | CR_BIT (d))
#define CR_ALLOW5(a, b, c, d, e) (CR_ALLOW4 (a, b, c, d) | CR_BIT (e))
#define CR_ALLOW6(a, b, c, d, e, f) (CR_ALLOW5 (a, b, c, d, e) | CR_BIT (f))
#define CR_ALLOW7(a, b, c, d, e, f, g) (CR_ALLOW6 (a, b, c, d, e, f) | CR_BIT (g))
#define CR_SCHEMA(fields_, check_)                                                                 \
  {                                                                                                \
    fields_, G_N_ELEMENTS (fields_), check_                                                        \
  }

/* Validates @in against @schema into a new normalised object (see validate.h). @path is the
 * dotted prefix for messages ("" at the top), @action names the request for UnknownParameter. */
JsonObject *cr_schema_apply (const CrSchema *schema, JsonObject *in, const char *path,
                             const char *action, gboolean form, GError **error);

/* Formats used by several schemas. */
const char *cr_format_user_id (const char *s);
const char *cr_format_user_pattern (const char *s);
const char *cr_format_colour (const char *s);
const char *cr_format_image_url (const char *s);
/* Object-store fields: a region, a bucket name, an access key or secret (printable, no spaces). */
const char *cr_format_region (const char *s);
const char *cr_format_bucket (const char *s);
const char *cr_format_key (const char *s);
const char *cr_format_path_segment (const char *s);
const char *cr_format_string_room_id (const char *s);
const char *cr_format_integer_room_id (const char *s);

/* The action schemas (schema_record.c, schema_task.c, schema_room.c). */
extern const CrSchema cr_schema_create;
extern const CrSchema cr_schema_remove_user;
extern const CrSchema cr_schema_remove_user_str;
extern const CrSchema cr_schema_dismiss_room;
extern const CrSchema cr_schema_dismiss_room_str;
extern const CrSchema cr_schema_describe;
extern const CrSchema cr_schema_modify;
extern const CrSchema cr_schema_delete;
extern const CrSchema cr_schema_events;
extern const CrSchema cr_schema_app;
extern const CrSchema cr_schema_resend_events;
extern const CrSchema cr_schema_compose_create;   /* schema_compose.c */
extern const CrSchema cr_schema_compose_describe;
extern const CrSchema cr_schema_auto_describe; /* schema_auto.c */
extern const CrSchema cr_schema_auto_modify;
extern const CrSchema cr_schema_auto_tasks;
/* The TIW online-recording action's schema (schema_tiw.c), or NULL. */
const CrSchema *cr_schema_tiw_for (const char *action);
extern const CrSchema cr_schema_record_statistic; /* schema_usage.c */
extern const CrSchema cr_schema_recording_usage;
extern const CrSchema cr_schema_storage; /* StorageParams (schema_record.c), shared by StartWebRecord */
extern const CrSchema cr_schema_web_start; /* schema_web.c */
extern const CrSchema cr_schema_web_stop;
extern const CrSchema cr_schema_web_describe;

/* Joins "@path.@name" (or @name at the top). */
char *cr_schema_path (const char *path, const char *name);

G_END_DECLS
