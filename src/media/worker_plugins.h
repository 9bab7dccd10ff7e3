/* The GStreamer plugins a recording worker loads, in a registry of its own.
 *
 * Why: gst_init reads the registry of every installed plugin (263 plugins, 1500 features on the
 * bench machine: ~2.5 MB of heap in each worker) although a worker creates elements of about 40.
 * The daemon, whose registry is the full one, links the plugin files a worker may need into
 * <data-dir>/gst-worker/plugins when it starts: those of every element the worker program names
 * (the single-stream, mixed and web recorders alike), of the demuxers, parsers and decoders
 * decodebin may pick for what a worker decodes (MPEG-TS, H.264, AAC, Opus, VP8, MP3, MP4, PNG,
 * JPEG; all of them, so its pick does not change), and of every typefinder; libav's decoders
 * (700 features, ~0.9 MB) are linked apart and loaded only when a worker decodes (a decodebin,
 * the mixed recorder's H.264 inputs). A worker starts
 * GStreamer with that directory as its system plugin path and its own registry file beside it
 * (the first worker writes it; the plugins' files are checked at each start as usual). A worker
 * without the directory (`cloudrec record` by hand) reads the full registry as before, and an
 * operator's GST_REGISTRY or GST_PLUGIN_SYSTEM_PATH is left alone. Should an element still be
 * missing, cr_element and cr_chain_bin scan the plugins' real directories once and try again: a
 * worker then holds the full registry, never fails for it (bench/README.md, "Worker memory"). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The daemon, after gst_init: (re)links <@data_dir>/gst-worker/plugins to the plugin files a
 * worker needs (only changed entries are replaced, each atomically). */
gboolean cr_worker_plugins_prepare (const char *data_dir, GError **error);

/* The worker: gst_init_check with the worker's plugins and registry when the daemon prepared
 * them (the environment it sets for GStreamer is removed again before anything is started). */
gboolean cr_worker_plugins_init (const char *data_dir, GError **error);

/* Before a decodebin (or a decoder) is made: loads the plugins kept for decoding
 * (<data-dir>/gst-worker/on-demand: libav), once, so that decodebin picks from the same
 * decoders as with the full registry. Nothing when the worker's plugins are not in use. */
void cr_worker_plugins_load_decoders (void);

/* After an element was not found: when the worker's plugins are in use, loads those kept for
 * decoding, or else (once) scans the directories of all their real files; TRUE when that may have
 * added the element (worth another try). */
gboolean cr_worker_plugins_widen (void);

G_END_DECLS
