/* Row constructors that keep the schema tables one line per field. */
#pragma once

#include "validate/schema.h"

#define F_INT(n, req, lo, hi)                                                                      \
  {                                                                                                \
    .name = n, .kind = CR_FIELD_INT, .required = req, .min = lo, .max = hi                         \
  }
#define F_INT_D(n, lo, hi, d)                                                                      \
  {                                                                                                \
    .name = n, .kind = CR_FIELD_INT, .min = lo, .max = hi, .has_default = TRUE, .def_int = d       \
  }
#define F_ENUM(n, req, mask)                                                                       \
  {                                                                                                \
    .name = n, .kind = CR_FIELD_INT, .required = req, .allowed = mask                              \
  }
#define F_ENUM_D(n, mask, d)                                                                       \
  {                                                                                                \
    .name = n, .kind = CR_FIELD_INT, .allowed = mask, .has_default = TRUE, .def_int = d            \
  }
#define F_BOOL_D(n, d)                                                                             \
  {                                                                                                \
    .name = n, .kind = CR_FIELD_BOOL, .has_default = TRUE, .def_int = d                            \
  }
#define F_STR(n, req, lo, hi, fmt)                                                                 \
  {                                                                                                \
    .name = n, .kind = CR_FIELD_STRING, .required = req, .min = lo, .max = hi, .format = fmt       \
  }
#define F_STR_D(n, lo, hi, fmt, d)                                                                 \
  {                                                                                                \
    .name = n, .kind = CR_FIELD_STRING, .min = lo, .max = hi, .format = fmt, .has_default = TRUE,  \
    .def_str = d                                                                                   \
  }
#define F_OBJ(n, req, schema)                                                                      \
  {                                                                                                \
    .name = n, .kind = CR_FIELD_OBJECT, .required = req, .child = schema                           \
  }
#define F_OBJ_LIST(n, hi, schema)                                                                  \
  {                                                                                                \
    .name = n, .kind = CR_FIELD_OBJECT_LIST, .min = 0, .max = hi, .child = schema                  \
  }
#define F_STR_LIST(n, hi, item_hi, fmt)                                                            \
  {                                                                                                \
    .name = n, .kind = CR_FIELD_STRING_LIST, .min = 0, .max = hi, .item_max = item_hi,             \
    .format = fmt                                                                                  \
  }

/* The SdkAppId of every action that addresses an existing task or room. */
#define F_SDK_APP_ID                                                                               \
  {                                                                                                \
    .name = "SdkAppId", .kind = CR_FIELD_INT, .required = TRUE, .min = 1, .max = G_MAXUINT32,      \
    .code = "InvalidParameter.SdkAppId"                                                            \
  }
