/* A class recording's rules (seed 003, docs/class-record.md): its five states and which API
 * call may move it, the RecordUserId shape, and the TRTC tasks a StartOnlineRecord request
 * becomes (MixStream's ModelId mapped to a layout of the mixed recording, Custom kept exactly,
 * RecordControl's per-user videos).
 *
 * Why pure: the class task (class_record.c) is timers, the store and the TRTC tasks it launches;
 * what it may do and what it asks of TRTC is decided here, without I/O or clocks, so unit tests
 * cover every transition and every mapping. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  CR_CLASS_PREPARED,  /* created; the robots are joining, no media recorded yet */
  CR_CLASS_RECORDING, /* media being recorded */
  CR_CLASS_PAUSED,    /* no media recorded until ResumeOnlineRecord */
  CR_CLASS_STOPPED,   /* stopped; the files are being finished and stored */
  CR_CLASS_FINISHED,  /* the result is final */
} CrClassState;

typedef enum {
  CR_CLASS_OP_PAUSE,
  CR_CLASS_OP_RESUME,
  CR_CLASS_OP_STOP,
} CrClassOp;

/* FinishReason of the result. */
#define CR_CLASS_FINISH_AUTO "AUTO"           /* no anchor for AutoStopTimeout / class-idle-stop */
#define CR_CLASS_FINISH_USER_CALL "USER_CALL" /* StopOnlineRecord */
#define CR_CLASS_FINISH_EXCEPTION "EXCEPTION" /* the recording broke, or was taken over */
#define CR_CLASS_FINISH_FORCE_STOP "FORCE_STOP" /* class-pause-stop or class-max-duration */

/* The error code of a call the state refuses, and of an unknown TaskId. */
#define CR_CLASS_ERROR_STATE "FailedOperation.InvalidTaskStatus"
#define CR_CLASS_ERROR_NOT_FOUND "InvalidParameter.TaskNotFound"

const char *cr_class_state_name (CrClassState state); /* "PREPARED", ... */
gboolean cr_class_state_from_name (const char *name, CrClassState *out);
/* Whether @state is before STOPPED (the class still holds robots or may resume). */
gboolean cr_class_state_active (CrClassState state);

/* The state after @op from @state, or FALSE with CR_CLASS_ERROR_STATE naming both: Pause only
 * while RECORDING, Resume only while PAUSED, Stop from PREPARED, RECORDING or PAUSED. */
gboolean cr_class_state_apply (CrClassState state, CrClassOp op, CrClassState *out, GError **error);

/* RecordUserId must be "tic_record_user_<RoomId>_<anything non-empty>" (the seed's rule), of
 * letters, digits, '_' and '-'. InvalidParameter.RecordUserId otherwise. */
gboolean cr_class_check_record_user (const char *record_user_id, guint64 room_id, GError **error);

/* The mixed recording's MixLayoutMode for built-in ModelId @model_id (1: the screen-sharing
 * layout, one big picture and a column of small ones; 2: the grid); 0 for an unknown model. */
int cr_class_model_layout (gint64 model_id);

/* The whole request's rules (the normalised StartOnlineRecord @req): RecordMode, Extras with
 * MIX_STREAM for MixStream, ModelId or Custom when mixing, RecordUserId. */
gboolean cr_class_check_request (JsonObject *req, GError **error);

/* The TRTC room a class records: TRTCRoomIdStr (a string room), else TRTCRoomId, else RoomId.
 * Newly allocated; *@string_room says which kind. */
char *cr_class_trtc_room (JsonObject *req, gboolean *string_room);

/* What one recording span needs of TRTC. */
typedef enum {
  CR_CLASS_PART_MIXED,  /* MixStream: one mixed MP4 */
  CR_CLASS_PART_SINGLE, /* per-user MP4s */
  CR_CLASS_PART_AUDIO,  /* AudioFileNeeded: per-user audio-only files (AAC) */
} CrClassPart;

/* Whether @req asks for @part: MIXED when MixStream.Enabled; SINGLE unless RecordControl
 * disables every stream (RecordControl.DisableRecord with no StreamControls entry recording);
 * AUDIO when AudioFileNeeded. */
gboolean cr_class_wants_part (JsonObject *req, CrClassPart part);

/* Puts @part's RecordParams.RecordMode, SubscribeStreamUserIds and, for MIXED, the
 * MixTranscodeParams/MixLayoutParams into @create, a CreateCloudRecording request before
 * normalisation. */
void cr_class_fill_part (JsonObject *req, CrClassPart part, JsonObject *create);

/* The board (docs/class-record.md, "The board"): whether a class records it, i.e. mixes it in:
 * MixStream enabled (the board is one input of the mixed recording). */
gboolean cr_class_wants_board (JsonObject *req);

/* Puts the board's publisher @board_user into the mixed part's layout that cr_class_fill_part
 * wrote into @create: ModelId 1 -> the big picture (MaxResolutionUserId), ModelId 2 -> one grid
 * tile like any stream (nothing to change), Custom -> every "tic_record_user" tile shows exactly
 * @board_user. Other parts: nothing. */
void cr_class_fill_board (JsonObject *req, CrClassPart part, const char *board_user,
                          JsonObject *create);

/* VideoInfo.UserId of the mixed video: "tic_mixstream_<RoomId>_<layout>" where layout is the
 * ModelId, or "custom". Newly allocated. */
char *cr_class_mix_user_id (JsonObject *req);

G_END_DECLS
