/* The whiteboard service: boards, their connections, fan-out and the board clock; see board.h. */
#include "board.h"

#include <string.h>

#include "board/board_log.h"
#include "board/board_ops.h"

/* A page whose socket stays unwritable while this many bytes more are queued for it is dropped
 * (libsoup queues what the socket does not take; the page reconnects and catches up). */
#define BOARD_BACKLOG_MAX (8 * 1024 * 1024)
/* History is sent in batches while the socket takes it, so a page catching up on a long log
 * never has the whole log queued in memory. */
#define BOARD_HISTORY_BATCH 200
#define BOARD_PUMP_MS 20
/* libsoup closes a connection (1009) whose message is larger; up to this, a message over
 * CR_BOARD_MAX_MESSAGE is refused with an error message and the page stays connected. */
#define BOARD_MAX_FRAME (1024 * 1024)
#define BOARD_KEEPALIVE_S 20

typedef struct _Board Board;

typedef struct {
  Board *board;
  SoupWebsocketConnection *ws;
  GSocket *sock;
  char *user;
  gint64 cursor;    /* the last seq sent */
  gboolean live;    /* caught up: live entries go out as they come */
  gboolean dropped; /* shut down; waiting for libsoup's "closed" */
  gint64 backlog;   /* bytes queued while the socket was not writable */
  double tokens;    /* rate bound: a token bucket of board-rate-limit a second */
  gint64 tokens_us;
  gint64 refused_us; /* when the last rate refusal was sent (one a second at most) */
  guint pump_id;
  guint reap_id;
} Conn;

struct _Board {
  CrBoard *service;
  guint64 app;
  char *room;
  char *key;
  GPtrArray *conns; /* Conn, borrowed (each is freed on its "closed") */
  gint64 last_seq;
  gint64 last_ts;
  gint64 pages;
};

struct _CrBoard {
  const CrConfig *config;
  CrBoardLog *log;
  GHashTable *boards; /* key "app\nroom" -> Board */
};

static char *
board_key (guint64 app, const char *room)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT "\n%s", app, room);
}

static void
board_free (Board *b)
{
  g_ptr_array_unref (b->conns);
  g_free (b->room);
  g_free (b->key);
  g_free (b);
}

CrBoard *
cr_board_new (const CrConfig *config, const char *db_path, GError **error)
{
  CrBoardLog *log = cr_board_log_open (db_path, error);
  if (log == NULL)
    return NULL;
  CrBoard *board = g_new0 (CrBoard, 1);
  board->config = config;
  board->log = log;
  board->boards = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)board_free);
  return board;
}

static void conn_close_now (Conn *c);
static void conn_free (Conn *c);

void
cr_board_free (CrBoard *board)
{
  if (board == NULL)
    return;
  /* The connections go first, each shut down and forgotten (their "closed" would come later). */
  GHashTableIter it;
  gpointer value;
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  g_hash_table_iter_init (&it, board->boards);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Board *b = value;
    for (guint i = 0; i < b->conns->len; i++)
      g_ptr_array_add (all, b->conns->pdata[i]);
  }
  for (guint i = 0; i < all->len; i++) {
    Conn *c = all->pdata[i];
    conn_close_now (c);
    conn_free (c);
  }
  g_hash_table_destroy (board->boards);
  cr_board_log_close (board->log);
  g_free (board);
}

static Board *
board_lookup (CrBoard *board, guint64 app, const char *room)
{
  g_autofree char *key = board_key (app, room);
  return g_hash_table_lookup (board->boards, key);
}

/* The board with its counters read from the log; NULL if the log cannot be read. */
static Board *
board_open (CrBoard *service, guint64 app, const char *room)
{
  Board *b = board_lookup (service, app, room);
  if (b != NULL)
    return b;
  g_autoptr (GError) error = NULL;
  gint64 seq = cr_board_log_last_seq (service->log, app, room, &error);
  gint64 pages = seq >= 0 ? cr_board_log_page_count (service->log, app, room, &error) : -1;
  g_autoptr (GPtrArray) last
      = pages >= 0
            ? cr_board_log_entries (service->log, app, room, MAX (seq - 1, 0), -1, -1, 1, &error)
            : NULL;
  if (last == NULL) {
    g_warning ("board %" G_GUINT64_FORMAT "/%s: %s", app, room, error->message);
    return NULL;
  }
  b = g_new0 (Board, 1);
  b->service = service;
  b->app = app;
  b->room = g_strdup (room);
  b->key = board_key (app, room);
  b->conns = g_ptr_array_new ();
  b->last_seq = seq;
  b->pages = pages;
  b->last_ts = last->len > 0 ? ((CrBoardEntry *)last->pdata[0])->ts_ms : 0;
  g_hash_table_insert (service->boards, b->key, b);
  return b;
}

gint64
cr_board_last_op_ms (CrBoard *board, guint64 sdk_app_id, const char *room)
{
  g_autoptr (GError) error = NULL;
  gint64 ms = cr_board_log_last_op_ms (board->log, sdk_app_id, room, &error);
  if (ms < 0) {
    g_warning ("board %" G_GUINT64_FORMAT "/%s: %s", sdk_app_id, room, error->message);
    return 0;
  }
  return ms;
}

JsonArray *
cr_board_log_read (CrBoard *board, guint64 app, const char *room, gint64 from_ms, gint64 to_ms,
                   GError **error)
{
  g_autoptr (GPtrArray) entries = cr_board_log_entries (board->log, app, room, 0, MAX (from_ms, 0),
                                                        to_ms <= 0 ? -1 : to_ms, 0, error);
  if (entries == NULL)
    return NULL;
  JsonArray *out = json_array_sized_new (entries->len);
  for (guint i = 0; i < entries->len; i++) {
    g_autofree char *text = cr_board_entry_to_json (entries->pdata[i]);
    JsonNode *node = json_from_string (text, NULL);
    if (node != NULL)
      json_array_add_element (out, node);
  }
  return out;
}

char *
cr_board_log_reply (CrBoard *board, guint64 app, const char *room, gint64 since_seq, gint64 from_ms,
                    gint64 to_ms, GError **error)
{
  gint64 last = cr_board_log_last_seq (board->log, app, room, error);
  if (last < 0)
    return NULL;
  g_autoptr (GPtrArray) entries
      = cr_board_log_entries (board->log, app, room, since_seq, from_ms, to_ms, 0, error);
  if (entries == NULL)
    return NULL;
  GString *out = g_string_new ("{\"Ops\":[");
  for (guint i = 0; i < entries->len; i++) {
    g_autofree char *text = cr_board_entry_to_json (entries->pdata[i]);
    if (i > 0)
      g_string_append_c (out, ',');
    g_string_append (out, text);
  }
  g_string_append_printf (out, "],\"LastSeq\":%" G_GINT64_FORMAT "}", last);
  return g_string_free (out, FALSE);
}

gboolean
cr_board_has_room (CrBoard *board, guint64 app, const char *room)
{
  return cr_board_connection_count (board, app, room) < (guint)board->config->board_max_connections;
}

guint
cr_board_connection_count (CrBoard *board, guint64 app, const char *room)
{
  Board *b = board_lookup (board, app, room);
  return b != NULL ? b->conns->len : 0;
}

/* ---- connections ---- */

/* Ends @c's connection now: its socket is shut down, so libsoup reports "closed" at once even
 * when the peer is gone or its queue is full (a close handshake would wait behind the queue). */
static void
conn_close_now (Conn *c)
{
  if (c->dropped)
    return;
  c->dropped = TRUE;
  if (c->pump_id != 0) {
    g_source_remove (c->pump_id);
    c->pump_id = 0;
  }
  /* Never a close handshake here: libsoup could report "closed" inside this call, while the
   * caller walks the board's connections. */
  if (c->sock != NULL)
    g_socket_shutdown (c->sock, TRUE, TRUE, NULL);
}

/* Forgets @c (its board keeps going). */
static void
conn_free (Conn *c)
{
  if (c->pump_id != 0)
    g_source_remove (c->pump_id);
  if (c->reap_id != 0)
    g_source_remove (c->reap_id);
  g_signal_handlers_disconnect_by_data (c->ws, c);
  g_ptr_array_remove (c->board->conns, c);
  g_clear_object (&c->sock);
  g_object_unref (c->ws);
  g_free (c->user);
  g_free (c);
}

/* Sends @text unless the page is gone; drops a page whose backlog passed the bound. */
static void
conn_send (Conn *c, const char *text)
{
  if (c->dropped || soup_websocket_connection_get_state (c->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  gsize len = strlen (text);
  if (c->sock == NULL || g_socket_condition_check (c->sock, G_IO_OUT) != 0)
    c->backlog = 0; /* the socket takes data: libsoup's queue drains */
  else
    c->backlog += (gint64)len;
  if (c->backlog > BOARD_BACKLOG_MAX) {
    g_info ("board %" G_GUINT64_FORMAT "/%s: dropping %s's page: %" G_GINT64_FORMAT
            " bytes wait for a socket that takes none",
            c->board->app, c->board->room, c->user, c->backlog);
    conn_close_now (c);
    return;
  }
  soup_websocket_connection_send_text (c->ws, text);
}

static void
conn_send_error (Conn *c, const char *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "t");
  json_builder_add_string_value (b, "error");
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = json_to_string (root, FALSE);
  conn_send (c, text);
}

/* Sends a batch of history; TRUE once the page is live. */
static gboolean
conn_pump_once (Conn *c)
{
  Board *b = c->board;
  if (c->sock != NULL && g_socket_condition_check (c->sock, G_IO_OUT) == 0)
    return FALSE; /* the page has not taken the last batch yet */
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = cr_board_log_entries (b->service->log, b->app, b->room, c->cursor,
                                                        -1, -1, BOARD_HISTORY_BATCH, &error);
  if (entries == NULL) {
    g_warning ("board %" G_GUINT64_FORMAT "/%s: %s", b->app, b->room, error->message);
    conn_send_error (c, "the board's log cannot be read; try again later");
    conn_close_now (c);
    return FALSE;
  }
  for (guint i = 0; i < entries->len && !c->dropped; i++) {
    CrBoardEntry *e = entries->pdata[i];
    g_autofree char *text = cr_board_entry_to_json (e);
    soup_websocket_connection_send_text (c->ws, text);
    c->cursor = e->seq;
  }
  if (c->cursor >= b->last_seq || entries->len == 0) {
    c->cursor = b->last_seq;
    c->live = TRUE;
  }
  return c->live;
}

static gboolean
conn_pump (gpointer data)
{
  Conn *c = data;
  if (c->dropped || conn_pump_once (c)) {
    c->pump_id = 0;
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

/* TRUE if @c may send one more message now (board-rate-limit a second, as a burst too). */
static gboolean
conn_take_token (Conn *c)
{
  double rate = (double)c->board->service->config->board_rate_limit;
  gint64 now = g_get_monotonic_time ();
  c->tokens = MIN (rate, c->tokens + rate * (double)(now - c->tokens_us) / G_USEC_PER_SEC);
  c->tokens_us = now;
  if (c->tokens < 1.0)
    return FALSE;
  c->tokens -= 1.0;
  return TRUE;
}

/* The page numbers of an op against the board's pages; NULL when they fit. */
static char *
board_page_problem (Board *b, const CrBoardMsg *m)
{
  if (m->page < 0)
    return NULL;
  if (m->page_add) {
    if (m->page != b->pages)
      return g_strdup_printf ("op.page of an \"add\" must be %" G_GINT64_FORMAT
                              " (the board has %" G_GINT64_FORMAT " pages)",
                              b->pages, b->pages);
    return NULL;
  }
  if (m->page >= b->pages)
    return g_strdup_printf ("op.page %" G_GINT64_FORMAT
                            " does not exist (the board has %" G_GINT64_FORMAT " pages)",
                            m->page, b->pages);
  return NULL;
}

static void
board_fan_out (Board *b, const char *text)
{
  /* A send may drop a page, but the page leaves the array only on its "closed" signal. */
  for (guint i = 0; i < b->conns->len; i++) {
    Conn *c = b->conns->pdata[i];
    if (c->live)
      conn_send (c, text);
  }
}

static void
conn_on_message (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  Conn *c = data;
  Board *b = c->board;
  if (c->dropped)
    return;
  if (!conn_take_token (c)) {
    gint64 now = g_get_monotonic_time ();
    if (now - c->refused_us >= G_USEC_PER_SEC) {
      c->refused_us = now;
      g_autofree char *text = g_strdup_printf ("too many messages: at most %" G_GINT64_FORMAT
                                               " a second; this one was not stored",
                                               b->service->config->board_rate_limit);
      conn_send_error (c, text);
    }
    return;
  }
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    conn_send_error (c, "only text messages (JSON) are accepted");
    return;
  }
  gsize len = 0;
  const char *data_ptr = g_bytes_get_data (message, &len);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrBoardMsg) m = cr_board_msg_parse (data_ptr, len, &error);
  if (m == NULL) {
    conn_send_error (c, error->message);
    return;
  }
  g_autofree char *problem = m->kind == CR_BOARD_MSG_OP ? board_page_problem (b, m) : NULL;
  if (problem != NULL) {
    conn_send_error (c, problem);
    return;
  }
  /* The board clock never goes back, so "every op with ts <= T" is a prefix of the log. */
  CrBoardEntry e = { 0 };
  e.ts_ms = MAX (g_get_real_time () / 1000, b->last_ts);
  e.user = c->user;
  e.kind = m->kind == CR_BOARD_MSG_OP ? "op" : "chat";
  e.body = m->body;
  e.seq = cr_board_log_append (b->service->log, b->app, b->room, e.ts_ms, e.user, e.kind, e.body,
                               &error);
  if (e.seq == 0) {
    g_warning ("board %" G_GUINT64_FORMAT "/%s: %s", b->app, b->room, error->message);
    conn_send_error (c, "the board could not store this message; try again later");
    return;
  }
  b->last_seq = e.seq;
  b->last_ts = e.ts_ms;
  if (m->page_add)
    b->pages++;
  g_autofree char *text = cr_board_entry_to_json (&e);
  board_fan_out (b, text);
}

static gboolean
conn_reap (gpointer data)
{
  Conn *c = data;
  Board *b = c->board;
  c->reap_id = 0;
  g_debug ("board %" G_GUINT64_FORMAT "/%s: %s left", b->app, b->room, c->user);
  conn_free (c);
  if (b->conns->len == 0)
    g_hash_table_remove (b->service->boards, b->key); /* read again from the log when needed */
  return G_SOURCE_REMOVE;
}

/* A closed tab, a dropped page, a network error: the connection is forgotten from the main loop,
 * never inside a walk over the board's connections. */
static void
conn_on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  Conn *c = data;
  c->dropped = TRUE;
  if (c->reap_id == 0)
    c->reap_id = g_idle_add (conn_reap, c);
}

void
cr_board_join (CrBoard *board, guint64 app, const char *room, const char *user, gint64 since_seq,
               SoupWebsocketConnection *ws)
{
  Board *b = board_open (board, app, room);
  if (b == NULL || b->conns->len >= (guint)board->config->board_max_connections) {
    soup_websocket_connection_close (ws, (gushort)1013,
                                     b == NULL ? "the board's log cannot be read"
                                               : "the board has too many pages connected");
    if (b != NULL && b->conns->len == 0)
      g_hash_table_remove (board->boards, b->key);
    return;
  }
  Conn *c = g_new0 (Conn, 1);
  c->board = b;
  c->ws = g_object_ref (ws);
  c->user = g_strdup (user);
  c->cursor = CLAMP (since_seq, 0, b->last_seq);
  c->tokens = (double)board->config->board_rate_limit;
  c->tokens_us = g_get_monotonic_time ();
  GIOStream *stream = soup_websocket_connection_get_io_stream (ws);
  GSocket *sock = stream != NULL ? g_object_get_data (G_OBJECT (stream), "GSocket") : NULL;
  if (sock != NULL) {
    /* The HTTP server's request timeout must not end a page that only listens. */
    c->sock = g_object_ref (sock);
    g_socket_set_timeout (sock, 0);
  }
  soup_websocket_connection_set_max_incoming_payload_size (ws, BOARD_MAX_FRAME);
  soup_websocket_connection_set_keepalive_interval (ws, BOARD_KEEPALIVE_S);
  g_signal_connect (ws, "message", G_CALLBACK (conn_on_message), c);
  g_signal_connect (ws, "closed", G_CALLBACK (conn_on_closed), c);
  g_ptr_array_add (b->conns, c);
  g_autofree char *welcome = NULL;
  {
    g_autoptr (JsonBuilder) jb = json_builder_new ();
    json_builder_begin_object (jb);
    json_builder_set_member_name (jb, "t");
    json_builder_add_string_value (jb, "welcome");
    json_builder_set_member_name (jb, "clock");
    json_builder_add_int_value (jb, g_get_real_time () / 1000);
    json_builder_set_member_name (jb, "seq");
    json_builder_add_int_value (jb, b->last_seq);
    json_builder_set_member_name (jb, "user");
    json_builder_add_string_value (jb, user);
    json_builder_end_object (jb);
    g_autoptr (JsonNode) root = json_builder_get_root (jb);
    welcome = json_to_string (root, FALSE);
  }
  soup_websocket_connection_send_text (ws, welcome);
  g_debug ("board %" G_GUINT64_FORMAT "/%s: %s joined (%u pages)", app, room, user, b->conns->len);
  if (!conn_pump_once (c) && !c->dropped)
    c->pump_id = g_timeout_add (BOARD_PUMP_MS, conn_pump, c);
}
