/* Schemas shared by Create and Modify: mixed-recording parameters and subscription lists. */
#pragma once

#include "validate/schema.h"
#include "validate/validate.h"

extern const CrSchema cr_schema_mix_transcode;
extern const CrSchema cr_schema_mix_layout;
extern const CrSchema cr_schema_subscribe; /* schema_record.c */
