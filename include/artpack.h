/*
 * artpack.h - pack news articles into compact binary records.
 *
 * The public API of libartpack. C99; usable from C++.
 *
 * Conventions
 *  - Every function and type starts with artpack_, every macro with ARTPACK_.
 *  - Arguments come in the order (dst, dst_capacity, src, src_size, ...).
 *  - Functions that can fail return an artpack_error; ARTPACK_OK (0) is
 *    success, every other value is a stable, numbered error with a message
 *    (artpack_error_name(), artpack_error_message()).
 *  - The library never prints, exits, or reads the environment, and has no
 *    global mutable state: it is thread-safe by construction.
 *  - Records (both ways), frame decoding and bundle reading never allocate:
 *    they run in the caller's buffers and workspace. The compressor, the
 *    bundle writer and appender and salvage allocate through the caller's
 *    artpack_allocator (NULL: malloc/free); dictionary training allocates in
 *    zstd's trainer, with malloc. The ARTPACK_NO_ALLOC build leaves all of
 *    them out and allocates nothing.
 *  - Every decoder entry point is protected against malicious input: it never
 *    reads outside [src, src + src_size), never writes outside
 *    [dst, dst + dst_capacity), always terminates, and returns a specific
 *    error for bad bytes.
 *
 * Thread safety (as zstd states it: an object is used by one thread at a
 * time; different objects may be used at once on different threads)
 *  - Functions without an object (records, dates, schema, canonical JSON,
 *    varints, errors, version, stream headers and items, bounds and sizes)
 *    keep no state: any thread, any time.
 *  - artpack_dict: a read-only view of the caller's bytes; any number of
 *    compressors, decompressors, readers and writers on any threads may use
 *    one dictionary at once (the bytes must not change while they do).
 *  - artpack_compressor: one thread at a time; one per thread.
 *  - artpack_decompressor: lives in the caller's workspace; one thread at a
 *    time; one per thread (a workspace each).
 *  - artpack_stream_reader: the caller's struct; one thread at a time.
 *  - artpack_bundle_writer (and appender): one thread at a time for every
 *    call. With artpack_bundle_writer_set_parallel it hands whole blocks to
 *    the caller's runner, whose tasks touch only their own block; the write,
 *    read and barrier callbacks are called from the calling thread only.
 *  - artpack_bundle_reader: one thread at a time (an article it returns
 *    points into its workspace until the next call); one reader per thread
 *    over the same bundle is fine if the read (or map) callback may be
 *    called from those threads at once.
 *
 * Parameter structs that can grow: artpack_compress_params,
 * artpack_train_params and artpack_bundle_params. Zero is every field's
 * default: zero the whole struct (memset, or = {0}) before setting fields.
 * New fields are only ever added at the end, zero meaning what the library
 * did before, so source code that zeroes them stays correct; a binary
 * compiled against an older header must be rebuilt, and the shared
 * library's major version (its SONAME) changes with such a field. The
 * result structs the library fills (artpack_frame_info, artpack_stream_info,
 * artpack_bundle_info, artpack_bundle_location, artpack_salvage_stats) follow
 * the same rule.
 *
 * Sections, in this order: version; errors; records (limits, the article
 * view, schema, dates, lists, records, canonical JSON, varints);
 * dictionaries; frames (compression and decompression); streams; bundles.
 * Dictionaries come before frames because the compressor and decompressor
 * take one. Build options (ARTPACK_NO_ALLOC, ...): codec/README.md.
 *
 * The wire format is specified in docs/FORMAT.md.
 */
#ifndef ARTPACK_H
#define ARTPACK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of the shared library: only the API below is exported. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define ARTPACK_API __attribute__((visibility("default")))
#else
#define ARTPACK_API
#endif

/* ---- Version ------------------------------------------------------------ */

#define ARTPACK_VERSION_MAJOR 0
#define ARTPACK_VERSION_MINOR 1
#define ARTPACK_VERSION_RELEASE 0
#define ARTPACK_VERSION_NUMBER                                                  \
    (ARTPACK_VERSION_MAJOR * 10000 + ARTPACK_VERSION_MINOR * 100 +            \
     ARTPACK_VERSION_RELEASE)
#define ARTPACK_VERSION_QUOTE_(s) #s
#define ARTPACK_VERSION_EXPAND_(s) ARTPACK_VERSION_QUOTE_(s)
#define ARTPACK_VERSION_STRING                                                  \
    ARTPACK_VERSION_EXPAND_(ARTPACK_VERSION_MAJOR.ARTPACK_VERSION_MINOR.ARTPACK_VERSION_RELEASE)

/* Version of the record wire format this library writes (docs/FORMAT.md). */
#define ARTPACK_WIRE_VERSION 1

/** Returns ARTPACK_VERSION_NUMBER of the library actually linked. */
ARTPACK_API unsigned artpack_version_number(void);
/** Returns "MAJOR.MINOR.RELEASE" of the library actually linked. */
ARTPACK_API const char *artpack_version_string(void);

/* ---- Errors -------------------------------------------------------------- */

/* Every error as X(name, number, message), in the order of their numbers:
 * the artpack_error enum, artpack_error_name() and artpack_error_message()
 * are made from this one list (and the tests walk it), so a new code is one
 * line here. Numbers are stable: a new code is appended to its range, and no
 * code is ever renumbered or reused.
 *   1..63    arguments, buffers and the allocator
 *   64..127  decoding: bad bytes in a record, frame, stream, dictionary or
 *            bundle, the read callback, a missing article
 *   128..191 encoding: a bad article view, the compressor, dictionary
 *            training, the write callback */
#define ARTPACK_ERROR_LIST(X)                                                                      \
    X(ARTPACK_OK, 0, "success")                                                                    \
    X(ARTPACK_E_NULL_ARG, 1, "a required pointer argument is NULL")                                \
    X(ARTPACK_E_DST_TOO_SMALL, 2, "destination buffer too small")                                  \
    X(ARTPACK_E_WORKSPACE_TOO_SMALL, 3,                                                            \
      "workspace too small (see artpack_decompressor_workspace_size)")                             \
    X(ARTPACK_E_PARAM, 4, "parameter out of range")                                                \
    X(ARTPACK_E_ALLOC, 5, "allocation failed")                                                     \
    X(ARTPACK_E_TRUNCATED, 64, "record truncated: it ends inside a field or lacks its end byte")   \
    X(ARTPACK_E_VARINT, 65, "malformed varint (non-minimal or over 64 bits)")                      \
    X(ARTPACK_E_WIRE_TYPE, 66, "wire type not allowed for this field")                             \
    X(ARTPACK_E_FIELD_ORDER, 67, "field tags not strictly ascending (repeated or out of order)")   \
    X(ARTPACK_E_LENGTH, 68, "length runs past its container or exceeds the limit")                 \
    X(ARTPACK_E_DATE, 69, "numeric date out of range (0000-01-01 .. 9999-12-31)")                  \
    X(ARTPACK_E_TIMESTAMP, 70, "malformed numeric timestamp")                                      \
    X(ARTPACK_E_NONCANONICAL, 71, "valid data not in its one canonical encoding")                  \
    X(ARTPACK_E_EXTRA, 72,                                                                         \
      "extra fields malformed: odd count, empty value, or keys not strictly sorted")               \
    X(ARTPACK_E_DUPLICATE_KEY, 73, "an extra field repeats the key of a typed field")              \
    X(ARTPACK_E_TAG, 74, "field tag 0 before the end of the record, or bytes after the end")       \
    X(ARTPACK_E_FRAME, 75, "malformed frame header (reserved bits, codec or flags)")               \
    X(ARTPACK_E_WRONG_DICT, 76, "frame made with another dictionary")                              \
    X(ARTPACK_E_NEED_DICT, 77, "frame needs a dictionary and none is loaded")                      \
    X(ARTPACK_E_WINDOW_TOO_LARGE, 78, "zstd window larger than the decoder's limit")               \
    X(ARTPACK_E_CORRUPT, 79, "compressed data corrupt or of the wrong size")                       \
    X(ARTPACK_E_CHECKSUM, 80, "content checksum mismatch: the data is damaged")                    \
    X(ARTPACK_E_DICT, 81, "not a valid zstd dictionary (magic, ID, size or tables)")               \
    X(ARTPACK_E_CODEC_UNAVAILABLE, 82, "this decompressor was not set up for the frame's codec")   \
    X(ARTPACK_E_BUNDLE, 83, "not an artpack bundle, or its header is damaged")                     \
    X(ARTPACK_E_INDEX, 84, "bundle index or footer damaged or inconsistent")                       \
    X(ARTPACK_E_BLOCK, 85, "bundle block damaged (checksum, size or records)")                     \
    X(ARTPACK_E_NOT_FOUND, 86, "no such article")                                                  \
    X(ARTPACK_E_READ, 87, "the read callback failed")                                              \
    X(ARTPACK_E_STREAM, 88, "not an artpack stream (bad magic) or an unsupported version")         \
    X(ARTPACK_E_NEED_WORDS, 89,                                                                    \
      "frame made with a word transform and the dictionary holds no word list")                   \
    X(ARTPACK_E_WORDS, 90, "word-transformed content corrupt (bad code or wrong size)")            \
    X(ARTPACK_E_MODEL, 91,                                                                         \
      "not a valid CM model (magic, version, level, ID, or its priming text's checksum)")          \
    X(ARTPACK_E_MODEL_LEVEL, 92, "CM frame or level other than the CM model's")                    \
    X(ARTPACK_E_BAD_VIEW, 128, "article view inconsistent (NULL item with a length)")              \
    X(ARTPACK_E_TOO_LARGE, 129, "a field exceeds ARTPACK_MAX_FIELD_SIZE")                          \
    X(ARTPACK_E_COMPRESS, 130, "the compression library failed")                                   \
    X(ARTPACK_E_TRAIN, 131, "dictionary training failed (too few or too uniform samples)")         \
    X(ARTPACK_E_WRITE, 132, "the write callback failed")                                           \
    X(ARTPACK_E_NO_WORDS, 133, "word transform asked for and the dictionary holds no word list")   \
    X(ARTPACK_E_MODEL_TRAIN, 134, "CM model training failed (no article fits the model size)")

#define ARTPACK_ERROR_ENUM_(name, number, message) name = number,
typedef enum artpack_error { ARTPACK_ERROR_LIST(ARTPACK_ERROR_ENUM_) } artpack_error;
#undef ARTPACK_ERROR_ENUM_

/** Short stable name of an error, e.g. "ARTPACK_E_TRUNCATED". Never NULL. */
ARTPACK_API const char *artpack_error_name(artpack_error err);
/** One-line English description of an error. Never NULL. */
ARTPACK_API const char *artpack_error_message(artpack_error err);

/* ---- Limits -------------------------------------------------------------- */

/* Largest single string, list or record the codec accepts (1 GiB). */
#define ARTPACK_MAX_FIELD_SIZE ((size_t)1 << 30)

/* ---- The article view --------------------------------------------------- */

/* A string view. ptr == NULL means "absent"; an empty present string has a
 * non-NULL ptr and len 0. Strings are bytes (the tools keep them UTF-8). */
typedef struct artpack_str {
    const char *ptr;
    size_t len;
} artpack_str;

/* A list of strings (paragraphs, authors, tags, extra fields).
 * When building a view to encode, set items/count (items may be NULL when
 * count is 0) and present = 1. A decoded view instead points wire/wire_size
 * at the elements inside the record (items == NULL): length-prefixed
 * elements, or, when wire_separated is 1, elements separated by 0xFF bytes.
 * Either way, walk it with artpack_list_iter. present == 0: absent. */
typedef struct artpack_list {
    int present;
    const artpack_str *items;
    size_t count;
    const unsigned char *wire;
    size_t wire_size;
    int wire_separated;
} artpack_list;

/* Date (YYYY-MM-DD). kind NUMBER when the text is exactly the canonical
 * rendering of a proleptic Gregorian date in years 0000..9999: stored as
 * days since 1970-01-01. Anything else is kept as TEXT, byte for byte. */
typedef enum artpack_value_kind {
    ARTPACK_ABSENT = 0,
    ARTPACK_NUMBER = 1,
    ARTPACK_TEXT = 2
} artpack_value_kind;

typedef struct artpack_date {
    artpack_value_kind kind;
    int32_t days;      /* NUMBER: days since 1970-01-01 (may be negative) */
    artpack_str text;  /* TEXT: the value as written */
} artpack_date;

/* Zone designator of a timestamp, as written. */
typedef enum artpack_zone {
    ARTPACK_ZONE_NONE = 0,  /* no designator (local time) */
    ARTPACK_ZONE_UTC = 1,   /* "Z" */
    ARTPACK_ZONE_PLUS = 2,  /* "+HH:MM" */
    ARTPACK_ZONE_MINUS = 3  /* "-HH:MM" (also "-00:00") */
} artpack_zone;

/* ISO 8601 timestamp "YYYY-MM-DDThh:mm:ss[.f{1,9}][Z|+hh:mm|-hh:mm]".
 * NUMBER keeps the wall-clock time as written, the fraction digits (count
 * and value, so ".790" and ".79" differ) and the zone as written; every other
 * spelling is kept as TEXT. */
typedef struct artpack_timestamp {
    artpack_value_kind kind;
    int64_t seconds;         /* NUMBER: wall-clock seconds since 1970-01-01T00:00:00 */
    uint32_t fraction;       /* fraction digits as an integer, < 10^fraction_digits */
    uint8_t fraction_digits; /* 0..9 */
    uint8_t zone;            /* artpack_zone */
    uint16_t offset_minutes; /* PLUS/MINUS: 0..1439 */
    artpack_str text;        /* TEXT: the value as written */
} artpack_timestamp;

/* One article. Fields follow the schema table (artpack_schema_field()).
 * extra holds every key the schema does not know, and every known key whose
 * JSON value is not of the expected type, as pairs: items[2i] is the key and
 * items[2i+1] the value as compact JSON text. Pairs are sorted by key
 * (bytewise, shorter first on a tie), keys unique. */
typedef struct artpack_article {
    artpack_str id;
    artpack_str url;
    artpack_str source;
    artpack_date date;
    artpack_timestamp published;
    artpack_str title;
    artpack_str author;
    artpack_list authors;
    artpack_str summary;
    artpack_str dateline;
    artpack_list body;
    artpack_str language;
    artpack_list tags;
    artpack_list extra;
} artpack_article;

/** Sets every field of *article to absent. */
ARTPACK_API void artpack_article_init(artpack_article *article);

/* ---- Schema -------------------------------------------------------------- */

typedef enum artpack_field_kind {
    ARTPACK_KIND_STRING = 1,    /* artpack_str; JSON string */
    ARTPACK_KIND_DATE = 2,      /* artpack_date; JSON string */
    ARTPACK_KIND_TIMESTAMP = 3, /* artpack_timestamp; JSON string */
    ARTPACK_KIND_LIST = 4,      /* artpack_list; JSON array of strings */
    ARTPACK_KIND_EXTRA = 5      /* artpack_list of key/JSON pairs */
} artpack_field_kind;

typedef struct artpack_field_info {
    unsigned tag;               /* wire tag, 1..15 (one-byte keys) */
    const char *name;           /* JSON key ("" for the extra field) */
    artpack_field_kind kind;
    size_t offset;              /* offsetof(artpack_article, member) */
} artpack_field_info;

/** Number of fields in the schema (including the extra field). */
ARTPACK_API size_t artpack_schema_count(void);
/** Field i (0 <= i < count, ascending tag order), or NULL. */
ARTPACK_API const artpack_field_info *artpack_schema_field(size_t i);
/** The field whose JSON key is name[0..len), or NULL (also for ""). */
ARTPACK_API const artpack_field_info *artpack_schema_find(const char *name, size_t len);

/* ---- Dates and timestamps ----------------------------------------------- */

/* Longest text artpack_date_format / artpack_timestamp_format write for a
 * NUMBER value, including the terminating NUL. */
#define ARTPACK_DATE_TEXT_MAX 11
#define ARTPACK_TIMESTAMP_TEXT_MAX 36

/** Fills *dst from text[0..len): NUMBER when lossless, else TEXT (pointing at
 *  text). Errors: only ARTPACK_E_NULL_ARG (dst NULL, or text NULL with
 *  len > 0). */
ARTPACK_API artpack_error artpack_date_parse(artpack_date *dst, const char *text, size_t len);
/** Fills *dst from text[0..len): NUMBER when lossless, else TEXT. Errors:
 *  only ARTPACK_E_NULL_ARG (dst NULL, or text NULL with len > 0). */
ARTPACK_API artpack_error artpack_timestamp_parse(artpack_timestamp *dst, const char *text,
                                      size_t len);
/** Writes a NUMBER date as "YYYY-MM-DD" plus NUL into dst. For TEXT, copies
 *  the text (plus NUL). *written gets the length without the NUL. Errors:
 *  ARTPACK_E_NULL_ARG (dst or src NULL), ARTPACK_E_DATE (NUMBER days outside
 *  0000-01-01..9999-12-31), ARTPACK_E_BAD_VIEW (TEXT with a NULL pointer and
 *  a length), ARTPACK_E_DST_TOO_SMALL (NUMBER: dst_capacity under
 *  ARTPACK_DATE_TEXT_MAX; TEXT: not room for the text and its NUL). */
ARTPACK_API artpack_error artpack_date_format(char *dst, size_t dst_capacity,
                                  const artpack_date *src, size_t *written);
/** Writes a timestamp as text plus NUL (see artpack_date_format). Errors:
 *  ARTPACK_E_NULL_ARG (dst or src NULL), ARTPACK_E_TIMESTAMP (a NUMBER the
 *  wire format cannot hold: seconds out of 0000..9999, fraction_digits over
 *  9 or fraction not under 10^fraction_digits, unknown zone, an offset over
 *  1439 minutes or one without a PLUS/MINUS zone), ARTPACK_E_BAD_VIEW (TEXT
 *  with a NULL pointer and a length), ARTPACK_E_DST_TOO_SMALL (NUMBER:
 *  dst_capacity under ARTPACK_TIMESTAMP_TEXT_MAX; TEXT: not room for the text
 *  and its NUL). */
ARTPACK_API artpack_error artpack_timestamp_format(char *dst, size_t dst_capacity,
                                       const artpack_timestamp *src,
                                       size_t *written);

/* ---- Lists --------------------------------------------------------------- */

/* Iterator over an artpack_list: a small struct meant to live on the stack. */
typedef struct artpack_list_iter {
    const artpack_list *list;
    size_t index;               /* next item index (items form) */
    size_t pos;                 /* offset of the next element in wire */
    int done;
} artpack_list_iter;

/** Starts iterating over list. */
ARTPACK_API void artpack_list_begin(artpack_list_iter *it, const artpack_list *list);
/** Stores the next element in *out and returns 1, or returns 0 at the end
 *  (also on a malformed wire list, which artpack_record_decode never
 *  returns). */
ARTPACK_API int artpack_list_next(artpack_list_iter *it, artpack_str *out);
/** Number of elements (walks a wire list). */
ARTPACK_API size_t artpack_list_count(const artpack_list *list);

/* ---- Records ------------------------------------------------------------- */

/* Upper bound of the record encoded from an article whose JSON text (one
 * object, as parsed by the artpack tools) is json_size bytes long. */
#define ARTPACK_RECORD_BOUND(json_size)                                         \
    ((size_t)(json_size) + ((size_t)(json_size) >> 18) + 16)
/** Function twin of ARTPACK_RECORD_BOUND. */
ARTPACK_API size_t artpack_record_bound(size_t json_size);

/** Exact size of the record for *src in *size, or an error if the view
 *  cannot be encoded (same checks as artpack_record_encode, which returns
 *  the same errors). Errors: ARTPACK_E_NULL_ARG (src or size NULL),
 *  ARTPACK_E_BAD_VIEW (a NULL string or item with a length, items NULL with
 *  count > 0, a date or timestamp kind out of the enum or TEXT with a NULL
 *  pointer, a decoded list whose wire bytes are not a well-formed canonical
 *  list), ARTPACK_E_TOO_LARGE (a string, a list or the record over
 *  ARTPACK_MAX_FIELD_SIZE), ARTPACK_E_DATE (a NUMBER date out of range),
 *  ARTPACK_E_TIMESTAMP (a NUMBER timestamp the wire cannot hold, as
 *  artpack_timestamp_format), ARTPACK_E_EXTRA (extra pairs: none, an odd
 *  count, an empty value, keys not strictly ascending),
 *  ARTPACK_E_DUPLICATE_KEY (an extra key of a typed field that is present),
 *  ARTPACK_E_NONCANONICAL (an extra value not canonical JSON, or one its
 *  typed field could have held). */
ARTPACK_API artpack_error artpack_record_size(const artpack_article *src, size_t *size);

/** Encodes *src into dst[0..dst_capacity); *written gets the record size.
 *  Canonical: one article has exactly one encoding. A list that came from
 *  artpack_record_decode is copied as is, so decode then encode gives back
 *  the same bytes. Extra-field values must be canonical JSON text (compact,
 *  object keys sorted, canonical escapes, JSON numbers of at most 512
 *  characters): any other value gives ARTPACK_E_NONCANONICAL, so every record
 *  written is one the tools can print. On error nothing useful is in dst.
 *  Errors: those of artpack_record_size (also ARTPACK_E_NULL_ARG for written
 *  NULL, or dst NULL with dst_capacity > 0), and ARTPACK_E_DST_TOO_SMALL
 *  (the record is larger than dst_capacity). */
ARTPACK_API artpack_error artpack_record_encode(void *dst, size_t dst_capacity,
                                    const artpack_article *src, size_t *written);

/** Decodes and fully validates the record src[0..src_size) into *dst,
 *  without copying or allocating: every string in *dst points into src.
 *  Fields of a later minor wire version (unknown tags) are skipped.
 *  On error, *error_offset (if not NULL) gets the byte offset in src where
 *  the problem was found (the start of the field), and *dst is left
 *  absent-initialised. Protected against malicious input. Errors (each
 *  rule: docs/FORMAT.md "rule | error when broken"):
 *   ARTPACK_E_NULL_ARG      dst NULL, or src NULL with src_size > 0;
 *   ARTPACK_E_TRUNCATED     the bytes end inside a key, a value or a length,
 *                           before a TEXT's 0xFE, or before the end byte;
 *   ARTPACK_E_VARINT        a key, length or value varint non-minimal or
 *                           over 64 bits;
 *   ARTPACK_E_WIRE_TYPE     a wire type reserved, or not allowed for the field;
 *   ARTPACK_E_FIELD_ORDER   tags not strictly ascending;
 *   ARTPACK_E_LENGTH        src_size or a length over ARTPACK_MAX_FIELD_SIZE,
 *                           or a list element running past its list;
 *   ARTPACK_E_DATE          a numeric date out of 0000-01-01..9999-12-31;
 *   ARTPACK_E_TIMESTAMP     a malformed numeric timestamp;
 *   ARTPACK_E_NONCANONICAL  valid data not in its canonical encoding (a TEXT
 *                           date or timestamp that could be numeric, BYTES
 *                           that could be TEXT, a LIST that could be a
 *                           TEXTLIST, an extra value not canonical JSON or
 *                           one its typed field could hold);
 *   ARTPACK_E_EXTRA         extra pairs: none, odd count, an empty value,
 *                           keys not strictly ascending;
 *   ARTPACK_E_DUPLICATE_KEY an extra key of a typed field that is present;
 *   ARTPACK_E_TAG           tag 0 before the end, or bytes after the end.
 *  Built with ARTPACK_NO_CANONICAL_CHECKS: no ARTPACK_E_NONCANONICAL, and of
 *  ARTPACK_E_EXTRA only the pair count (codec/README.md). */
ARTPACK_API artpack_error artpack_record_decode(artpack_article *dst, const void *src,
                                    size_t src_size, size_t *error_offset);

/** Validates a record without keeping the view: the same checks, errors and
 *  *error_offset as artpack_record_decode (ARTPACK_E_NULL_ARG: src NULL
 *  with src_size > 0; ARTPACK_E_TRUNCATED ... ARTPACK_E_TAG as listed
 *  there). */
ARTPACK_API artpack_error artpack_record_validate(const void *src, size_t src_size,
                                      size_t *error_offset);

/* The limits of canonical JSON: the longest number text (characters) and
 * the deepest nesting (a value alone is depth 1, as jansson counts). */
#define ARTPACK_JSON_NUMBER_MAX 512
#define ARTPACK_JSON_DEPTH_MAX 2048
/** Whether src[0..src_size) is one canonical JSON value: what an extra
 *  field's value must be (artpack_record_encode and the decoder check each
 *  value with it). Canonical: no whitespace; the literals true, false,
 *  null; numbers in JSON's grammar of at most ARTPACK_JSON_NUMBER_MAX
 *  characters, their text as written; strings of valid UTF-8 whose only
 *  escapes are \" \\ \b \f \n \r \t and \u00xx (lower-case hex) for the
 *  other bytes below 0x20, which must be escaped; object keys strictly
 *  ascending by their bytes once unescaped; nesting at most
 *  ARTPACK_JSON_DEPTH_MAX deep. It is what a JSON writer with sorted keys,
 *  compact separators and UTF-8 output writes (Python: json.dumps(v,
 *  sort_keys=True, separators=(",", ":"), ensure_ascii=False,
 *  allow_nan=False)). Returns ARTPACK_OK, ARTPACK_E_NONCANONICAL (not one
 *  canonical value, or empty), ARTPACK_E_TOO_LARGE (over
 *  ARTPACK_MAX_FIELD_SIZE) or ARTPACK_E_NULL_ARG (src NULL, src_size > 0).
 *  Linear time, no allocation (8 KB of stack); protected against malicious
 *  input. */
ARTPACK_API artpack_error artpack_json_check_canonical(const void *src, size_t src_size);

/** The size of the longest prefix of src[0..src_size) that is valid UTF-8
 *  (whole sequences; no overlong forms, surrogates or code points above
 *  U+10FFFF): src_size when all of it is, else the offset of the first
 *  byte that is not. 0 when src is NULL. The UTF-8 rule of canonical JSON's
 *  strings; the tools check text with it before they print it. */
ARTPACK_API size_t artpack_utf8_valid_prefix(const void *src, size_t src_size);

/* ---- Varints (the building block of the wire format) -------------------- */

#define ARTPACK_VARINT_MAX 10
/** Writes v as a LEB128 varint; returns the bytes written, 0 if it does not fit. */
ARTPACK_API size_t artpack_varint_write(void *dst, size_t dst_capacity, uint64_t v);
/** Reads a minimal LEB128 varint; returns bytes read, 0 on error (truncated,
 *  non-minimal or over 64 bits). */
ARTPACK_API size_t artpack_varint_read(uint64_t *v, const void *src, size_t src_size);

/* ---- Dictionaries ------------------------------------------------------- */

/* A zstd dictionary (magic EC30A437, then its 32-bit ID), or a CM model
 * (magic "APCM", then its 32-bit ID; docs/FORMAT.md), referenced in place:
 * it may sit in flash. LZ4 uses a zstd dictionary's last 64 KB as a prefix.
 * A dictionary from artpack train may also hold a word list (docs/FORMAT.md,
 * "Word transform") inside its zstd content: artpack_dict_load finds and
 * checks it (words NULL when there is none). */
typedef struct artpack_dict {
    const unsigned char *data;
    size_t size;
    uint32_t id;
    const unsigned char *words; /* the word list, inside data, or NULL */
    size_t words_size;
} artpack_dict;

#define ARTPACK_DICT_SIZE_MIN ((size_t)4 * 1024)
#define ARTPACK_DICT_SIZE_MAX ((size_t)8 * 1024 * 1024)
#define ARTPACK_DICT_SIZE_DEFAULT ((size_t)112640) /* 110 KB */

/** Points *dst at the dictionary src[0..src_size) (no copy) after checking its
 *  header: ARTPACK_E_DICT when it is not a zstd dictionary of
 *  ARTPACK_DICT_SIZE_MIN..MAX bytes with a non-zero ID, or when its word list
 *  is damaged. The entropy tables are checked when a decompressor is set up
 *  with it. A CM model (its magic): ARTPACK_E_MODEL when its header is not
 *  sound (its priming text is checked when a CM decompressor or compressor is
 *  set up with it). ARTPACK_E_NULL_ARG: dst NULL, or src NULL with
 *  src_size > 0. */
ARTPACK_API artpack_error artpack_dict_load(artpack_dict *dst, const void *src, size_t src_size);

/* Custom allocation (the zstd customMem shape). A NULL allocator means
 * malloc/free, unless the library was built with ARTPACK_NO_ALLOC. */
typedef struct artpack_allocator {
    void *(*alloc)(void *opaque, size_t size);
    void (*free)(void *opaque, void *address);
    void *opaque;
} artpack_allocator;

#ifndef ARTPACK_NO_ALLOC
typedef struct artpack_train_params {
    size_t dict_size;    /* 0 = ARTPACK_DICT_SIZE_DEFAULT */
    int optimize;        /* 0: fastCover d=6, k=100, f=20 on every sample (fast)
                            1: search d in {6, 8} and 40 steps of k on a 75 %
                               split, then train on every sample (slow) */
    int level;           /* level the dictionary is tuned for; 0 = 19 */
    unsigned threads;    /* 0 or 1 = deterministic single thread */
    int words;           /* word list: 0 = its length (0, 1024 or 2035 words;
                            256 or 512 when 1024 do not fit a quarter of
                            dict_size) chosen by compressing a held-out
                            eighth of the samples; -1 = none (a plain zstd dictionary);
                            1..ARTPACK_DICT_WORDS_MAX = that many words. The
                            list counts in dict_size. */
} artpack_train_params;
#endif /* ARTPACK_NO_ALLOC */

/* The most words a dictionary's word list holds. */
#define ARTPACK_DICT_WORDS_MAX 2035
#ifndef ARTPACK_NO_ALLOC

/** Trains a zstd dictionary on count samples laid end to end in samples
 *  (sizes in sample_sizes), into dst[0..dst_capacity) (at least dict_size).
 *  Deterministic: the same samples and parameters give the same bytes.
 *  ARTPACK_E_TRAIN when zstd's trainer fails or what it makes is unusable
 *  (under ARTPACK_DICT_SIZE_MIN bytes or ID 0: too few distinct samples), or
 *  when count is under 8. Also: ARTPACK_E_NULL_ARG (dst, samples,
 *  sample_sizes or written NULL), ARTPACK_E_PARAM (dict_size outside
 *  ARTPACK_DICT_SIZE_MIN..MAX, words outside -1..ARTPACK_DICT_WORDS_MAX, a
 *  level outside zstd's), ARTPACK_E_DST_TOO_SMALL (dst_capacity under
 *  dict_size), ARTPACK_E_ALLOC (the word list's tables).
 *  Host only: zstd's trainer allocates with malloc. */
ARTPACK_API artpack_error artpack_dict_train(void *dst, size_t dst_capacity,
                                             const void *samples,
                                             const size_t *sample_sizes,
                                             unsigned count,
                                             const artpack_train_params *params,
                                             size_t *written);

/** Trains a CM model (the CM codec's dictionary) on count samples laid end
 *  to end in samples: records are taken in order, and as many as fit are
 *  coded into a model of at most params->dict_size bytes (0 =
 *  ARTPACK_DICT_SIZE_DEFAULT; at least 64), at params->level (1..9, 0 =
 *  ARTPACK_CM_LEVEL_DEFAULT), up to 640 KB of records. Deterministic; the
 *  ID is derived from the content. ARTPACK_E_MODEL_TRAIN when not even the
 *  first record fits. Also: ARTPACK_E_NULL_ARG (dst or written NULL, or
 *  samples or sample_sizes NULL with count > 0), ARTPACK_E_PARAM (a size
 *  or level out of range), ARTPACK_E_DST_TOO_SMALL (dst_capacity under the
 *  model size), ARTPACK_E_ALLOC. Host only (allocates through malloc). */
ARTPACK_API artpack_error artpack_cm_train(void *dst, size_t dst_capacity, const void *samples,
                                           const size_t *sample_sizes, unsigned count,
                                           const artpack_train_params *params, size_t *written);
#endif /* ARTPACK_NO_ALLOC */

/* ---- Frames: one compressed payload (docs/FORMAT.md) -------------------- */

typedef enum artpack_codec {
    ARTPACK_CODEC_STORED = 0,
    ARTPACK_CODEC_ZSTD = 1,
    ARTPACK_CODEC_LZ4 = 2,
    ARTPACK_CODEC_CM = 3 /* context mixing, primed by a CM model (artpack_cm_train) */
} artpack_codec;

/* CM levels trade RAM for ratio: 1..9, 0 = the default. A CM model is made
 * at one level, and its frames are coded at it. */
#define ARTPACK_CM_LEVEL_DEFAULT 5
#define ARTPACK_CM_LEVEL_MAX 9

typedef struct artpack_compress_params {
    artpack_codec codec;
    int level;            /* zstd 1..22 (0 = 19); lz4hc 1..12 (0 = 12); cm 1..9 (0 = the
                             model's, else 5) */
    int checksum;         /* 1: 4-byte checksum (XXH32, seed 0) of the content */
    int frame_dict_id;    /* 1: the frame names its dictionary (4 bytes) */
    int words;            /* 1: apply the dictionary's word transform (zstd,
                             LZ4; ARTPACK_E_NO_WORDS when it has no list) */
} artpack_compress_params;

/* Upper bound of a frame holding n content bytes, for any codec. */
#define ARTPACK_FRAME_BOUND(n) ((size_t)(n) + ((size_t)(n) >> 7) + 96)
ARTPACK_API size_t artpack_frame_bound(size_t content_size);

#ifndef ARTPACK_NO_ALLOC
typedef struct artpack_compressor artpack_compressor;

/** Creates a compressor for params (NULL = zstd 19, checksum, dict ID) and an
 *  optional dictionary (referenced, must outlive the compressor). *out is
 *  NULL on error. Errors: ARTPACK_E_NULL_ARG (out NULL, or an allocator
 *  without alloc or free), ARTPACK_E_PARAM (an unknown codec, or a level out
 *  of the codec's range), ARTPACK_E_DICT (dict with NULL data or size 0, or
 *  zstd refuses its tables), ARTPACK_E_NO_WORDS (params->words for zstd or
 *  LZ4 and dict NULL or without a word list), ARTPACK_E_MODEL (CM: dict is
 *  not a sound CM model, or its priming text does not match its checksum),
 *  ARTPACK_E_MODEL_LEVEL (CM: a level other than the model's),
 *  ARTPACK_E_ALLOC. */
ARTPACK_API artpack_error artpack_compressor_create(artpack_compressor **out,
                                                   const artpack_compress_params *params,
                                                   const artpack_dict *dict,
                                                   const artpack_allocator *allocator);
/** Frees a compressor; NULL is fine. */
ARTPACK_API void artpack_compressor_free(artpack_compressor *c);
/** Compresses src into one frame; falls back to STORED when that is smaller
 *  (or when the codec's output does not fit dst). Errors: ARTPACK_E_NULL_ARG
 *  (c or written NULL, src NULL with src_size > 0, dst NULL with
 *  dst_capacity > 0), ARTPACK_E_TOO_LARGE (src_size over
 *  ARTPACK_MAX_FIELD_SIZE), ARTPACK_E_DST_TOO_SMALL (not even the stored
 *  frame fits: ARTPACK_FRAME_BOUND(src_size) always does), ARTPACK_E_ALLOC
 *  (the word transform's buffer, or zstd's memory), ARTPACK_E_COMPRESS (zstd
 *  failed otherwise). */
ARTPACK_API artpack_error artpack_frame_compress(artpack_compressor *c, void *dst,
                                                 size_t dst_capacity, const void *src,
                                                 size_t src_size, size_t *written);
#endif /* ARTPACK_NO_ALLOC */

/* What a frame header says, read without decompressing. */
typedef struct artpack_frame_info {
    artpack_codec codec;
    int uses_dict;
    int has_dict_id;
    uint32_t dict_id;
    int has_checksum;
    size_t content_size;
    size_t header_size;
    int words;                /* the payload holds word-transformed content */
    size_t transformed_size;  /* its size then (<= content_size), else 0 */
} artpack_frame_info;

/** Parses the frame header of src. Protected against malicious input.
 *  Errors: ARTPACK_E_NULL_ARG (dst NULL, or src NULL with src_size > 0),
 *  ARTPACK_E_TRUNCATED (src_size 0, or src ends inside the content size,
 *  the transformed size, the dictionary ID or before the 4 checksum bytes),
 *  ARTPACK_E_VARINT (a size varint non-minimal or over 64 bits),
 *  ARTPACK_E_FRAME (reserved flag bits set; a dictionary ID or word
 *  transform without the dictionary flag; a word-transformed CM frame; a
 *  stored frame with the dictionary flag; a content size over
 *  ARTPACK_MAX_FIELD_SIZE, or a transformed size over the content size). */
ARTPACK_API artpack_error artpack_frame_info_get(artpack_frame_info *dst, const void *src,
                                                 size_t src_size);

/* Decompression allocates nothing: it runs in a workspace the caller gives,
 * with the dictionary referenced in place. A zstd decompressor's workspace
 * holds zstd's DCtx and a by-reference DDict (entropy tables only); LZ4 needs
 * only a small struct. ZSTD and LZ4 workspaces also hold the word table
 * (ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE), made from the dictionary's word
 * list at init: it maps each code to its word, which makes word-transformed
 * frames decode several times faster. A workspace that many bytes smaller
 * works too, without the table (slower). A library built with
 * ARTPACK_WORDS_NO_TABLE (devices; define it for your code too) has none.
 * The macro is a bound valid for the zstd version this library was tested
 * with (1.5.x); the function gives the exact figure. */
#ifdef ARTPACK_WORDS_NO_TABLE
#define ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE ((size_t)0)
#else
#define ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE ((size_t)53264)
#endif
#define ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD ((size_t)176 * 1024)
#define ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_LZ4 ((size_t)256 + ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE)
/* CM at the default level: the model's state, an undo log as large, the
 * priming text (artpack_cm_workspace_size for other levels) */
#define ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_CM ((size_t)16 * 1024 * 1024)
#define ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE(codec)                              \
    ((codec) == ARTPACK_CODEC_ZSTD ? ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD   \
     : (codec) == ARTPACK_CODEC_CM ? ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_CM     \
                                   : ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_LZ4)
/* Default and largest zstd window accepted (log2 bytes). */
#define ARTPACK_WINDOW_LOG_DEFAULT 23
#define ARTPACK_WINDOW_LOG_MAX 31

typedef struct artpack_decompressor artpack_decompressor;

/** Exact workspace bytes for a decompressor of codec (ZSTD also decodes LZ4
 *  and stored frames; LZ4 and STORED decode LZ4 and stored frames; CM, at
 *  the default level, CM, LZ4 and stored frames). For ZSTD and LZ4 this
 *  includes ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE for the word table, which
 *  artpack_decompressor_init leaves out when the workspace is smaller. */
ARTPACK_API size_t artpack_decompressor_workspace_size(artpack_codec codec);
/** Exact workspace bytes for a CM decompressor of a model of level 1..9
 *  (0: the default); 0 for a level out of range. */
ARTPACK_API size_t artpack_cm_workspace_size(int level);
/** The level of a CM model loaded by artpack_dict_load; 0 when dict is not
 *  a CM model (a zstd dictionary). */
ARTPACK_API int artpack_cm_model_level(const artpack_dict *dict);
/** Sets up a decompressor inside workspace (8-byte aligned). dict may be NULL.
 *  window_log_max: 0 = ARTPACK_WINDOW_LOG_DEFAULT, else 10..31. CM: dict is
 *  the CM model (ARTPACK_E_MODEL when it is not one, or its priming text
 *  does not decode to its checksum); it is primed here, once (decoding its
 *  text: a fraction of a second), and each frame starts from that state.
 *  Without a model, CM frames decode unprimed, at their level. Errors:
 *  ARTPACK_E_NULL_ARG (out or workspace NULL), ARTPACK_E_PARAM (an unknown
 *  codec, workspace not 8-byte aligned, window_log_max outside 10..31),
 *  ARTPACK_E_WORKSPACE_TOO_SMALL, ARTPACK_E_DICT (dict with NULL data or
 *  size 0, or zstd refuses its tables), ARTPACK_E_MODEL (CM, as above). */
ARTPACK_API artpack_error artpack_decompressor_init(artpack_decompressor **out,
                                                   void *workspace, size_t workspace_size,
                                                   artpack_codec codec,
                                                   const artpack_dict *dict,
                                                   unsigned window_log_max);
/** Decompresses one frame into dst. Errors: ARTPACK_E_NULL_ARG (d or
 *  written NULL, dst NULL with dst_capacity > 0); the header's, as
 *  artpack_frame_info_get (ARTPACK_E_TRUNCATED, ARTPACK_E_VARINT,
 *  ARTPACK_E_FRAME); ARTPACK_E_NEED_DICT (the frame uses a dictionary and d
 *  has none); ARTPACK_E_WRONG_DICT (it names another dictionary, or a CM
 *  frame coded unprimed meets a primed decompressor); ARTPACK_E_DST_TOO_SMALL
 *  (its content is larger than dst_capacity); ARTPACK_E_CODEC_UNAVAILABLE
 *  (d was not set up for its codec, or the library was built without it);
 *  ARTPACK_E_WINDOW_TOO_LARGE; ARTPACK_E_CORRUPT (the payload does not decode
 *  to the content size); ARTPACK_E_CHECKSUM; ARTPACK_E_NEED_WORDS (a
 *  word-transformed frame and d's dictionary has no word list);
 *  ARTPACK_E_WORDS (the transformed content is corrupt);
 *  ARTPACK_E_MODEL_LEVEL (a CM frame of another level than d's model);
 *  ARTPACK_E_WORKSPACE_TOO_SMALL (an unprimed CM decompressor's workspace
 *  does not hold the frame's level). Never writes past dst_capacity, never
 *  reads past src_size; allocates nothing. A word-transformed frame may use
 *  up to 32 bytes of dst past the content (those dst_capacity has) as room
 *  for its in-place expansion, which is faster with them; they hold no
 *  defined value after. */
ARTPACK_API artpack_error artpack_frame_decompress(artpack_decompressor *d, void *dst,
                                                   size_t dst_capacity, const void *src,
                                                   size_t src_size, size_t *written);

/* ---- Streams: several records or frames in one file (docs/FORMAT.md) ---- */

/* What `artpack encode` writes. A record stream: "APKR", the wire version,
 * then (varint length, record) pairs to the end. A compressed stream:
 * "APKZ", version 1, the dictionary ID (u32 little-endian, 0 = none), then
 * (varint length, frame) pairs to the end. Writing: the header and each
 * item's length prefix into the caller's buffer. Reading: a header parser
 * and an iterator over the caller's bytes, given whole or in pieces; items
 * are handed out in place (no copy), nothing is allocated. */

typedef enum artpack_stream_kind {
    ARTPACK_STREAM_UNKNOWN = 0,     /* not an artpack stream (bad magic) */
    ARTPACK_STREAM_RECORDS = 1,     /* "APKR": records */
    ARTPACK_STREAM_COMPRESSED = 2   /* "APKZ": frames */
} artpack_stream_kind;

/* The version each kind is written and read with. */
#define ARTPACK_STREAM_RECORDS_VERSION ARTPACK_WIRE_VERSION
#define ARTPACK_STREAM_COMPRESSED_VERSION 1
#define ARTPACK_STREAM_VERSION(kind)                                            \
    ((kind) == ARTPACK_STREAM_COMPRESSED ? ARTPACK_STREAM_COMPRESSED_VERSION    \
                                         : ARTPACK_STREAM_RECORDS_VERSION)
/* Exact header size of a kind: 5 (records) or 9 (compressed). */
#define ARTPACK_STREAM_HEADER_SIZE(kind)                                        \
    ((kind) == ARTPACK_STREAM_COMPRESSED ? (size_t)9 : (size_t)5)
#define ARTPACK_STREAM_HEADER_SIZE_MAX ((size_t)9)
/* Largest item (record or frame) a stream may hold, and the longest length
 * prefix of such an item. An item of n bytes takes at most
 * n + ARTPACK_STREAM_ITEM_HEAD_MAX bytes of stream. */
#define ARTPACK_STREAM_ITEM_SIZE_MAX ARTPACK_FRAME_BOUND(ARTPACK_MAX_FIELD_SIZE)
#define ARTPACK_STREAM_ITEM_HEAD_MAX ((size_t)5)

/* A stream's header. */
typedef struct artpack_stream_info {
    artpack_stream_kind kind;
    unsigned version;       /* the version byte as read */
    uint32_t dict_id;       /* compressed stream: its dictionary (0 = none); records: 0 */
    size_t header_size;     /* ARTPACK_STREAM_HEADER_SIZE(kind): items start there */
} artpack_stream_info;

/** Writes the header of a stream of kind into dst; *written gets its size,
 *  ARTPACK_STREAM_HEADER_SIZE(kind). dict_id: the dictionary the frames of a
 *  compressed stream were made with (0 = none; the frames then leave their
 *  own ID out); must be 0 for a record stream. Errors: ARTPACK_E_NULL_ARG,
 *  ARTPACK_E_PARAM (unknown kind, or a dict_id on a record stream),
 *  ARTPACK_E_DST_TOO_SMALL (nothing written). */
ARTPACK_API artpack_error artpack_stream_header_write(void *dst, size_t dst_capacity,
                                                     artpack_stream_kind kind,
                                                     uint32_t dict_id, size_t *written);
/** Writes the length prefix of an item of item_size bytes into dst (1 to
 *  ARTPACK_STREAM_ITEM_HEAD_MAX bytes, the varint item_size); *written gets
 *  its size. The item itself follows it in the stream. Errors:
 *  ARTPACK_E_NULL_ARG, ARTPACK_E_TOO_LARGE (item_size over
 *  ARTPACK_STREAM_ITEM_SIZE_MAX), ARTPACK_E_DST_TOO_SMALL (dst_capacity
 *  below the prefix's exact size; nothing written). */
ARTPACK_API artpack_error artpack_stream_item_head_write(void *dst, size_t dst_capacity,
                                                        size_t item_size, size_t *written);

/** Parses the header at the start of a stream, src[0..src_size): the first
 *  bytes of the stream, or all of it. src_ends: 1 when the stream ends at
 *  src_size (nothing follows), 0 when more may follow.
 *  Returns ARTPACK_OK and either the header in *dst with *need = 0, or, when
 *  src is too short and !src_ends, *need > 0: call again with the same start
 *  and at least *need bytes (or src_ends = 1 if the stream ends first).
 *  need may be NULL when src_ends is 1. Errors (*dst says what was read:
 *  kind, then version):
 *   ARTPACK_E_STREAM    bad magic (kind ARTPACK_STREAM_UNKNOWN; also a
 *                       stream of fewer than 4 bytes), or a version this
 *                       library does not read (kind set, version the byte
 *                       found, at stream offset 4);
 *   ARTPACK_E_TRUNCATED the stream ends inside the header after its magic
 *                       (kind set);
 *   ARTPACK_E_NULL_ARG.
 *  Protected against malicious input; reads at most 9 bytes. */
ARTPACK_API artpack_error artpack_stream_header_read(artpack_stream_info *dst, const void *src,
                                                    size_t src_size, int src_ends,
                                                    size_t *need);

/** The dictionary check of a compressed stream: ARTPACK_OK when the stream
 *  names none (dict_id 0; decompress its frames without one) or dict has its
 *  ID; ARTPACK_E_NEED_DICT when it names one and dict is NULL;
 *  ARTPACK_E_WRONG_DICT when dict has another ID. A record stream: always
 *  ARTPACK_OK. ARTPACK_E_NULL_ARG when info is NULL. */
ARTPACK_API artpack_error artpack_stream_check_dict(const artpack_stream_info *info,
                                                   const artpack_dict *dict);

/* An iterator over a stream's items: a small struct the caller owns (on the
 * stack, static, anywhere); it holds no pointer to the bytes, so the caller
 * may move, refill or discard what was consumed between calls. */
typedef struct artpack_stream_reader {
    artpack_stream_info info; /* the stream's header */
    uint64_t offset;          /* stream offset where the next call's src starts */
    uint64_t index;           /* items read so far */
} artpack_stream_reader;

/* One item, or where the item that could not be read starts. */
typedef struct artpack_stream_item {
    const unsigned char *data; /* the item, inside src; NULL when none was read */
    size_t size;       /* its bytes; on ARTPACK_E_TRUNCATED with head_size > 0,
                          what the prefix declares; else 0 */
    size_t head_size;  /* bytes of its length prefix (also on ARTPACK_E_LENGTH);
                          0 when the prefix is cut or malformed
                          (ARTPACK_E_TRUNCATED, ARTPACK_E_VARINT) */
    size_t consumed;   /* bytes of src used: head_size + size on an item, else 0 */
    uint64_t offset;   /* stream offset of its length prefix; the item's bytes
                          are at offset + head_size */
    uint64_t index;    /* its number in the stream, from 0 */
} artpack_stream_item;

/** Starts reading the items of the stream *info describes (as
 *  artpack_stream_header_read() gave it): the first call's src starts at
 *  stream offset info->header_size. Errors: ARTPACK_E_NULL_ARG,
 *  ARTPACK_E_PARAM (info->kind not RECORDS or COMPRESSED, or header_size
 *  not the kind's). */
ARTPACK_API artpack_error artpack_stream_reader_init(artpack_stream_reader *r,
                                                    const artpack_stream_info *info);

/** Reads the next item from src[0..src_size), which starts at stream offset
 *  r->offset (the bytes not consumed yet, as many as the caller has: a
 *  piece, or the rest of the stream). src_ends: 1 when the stream ends at
 *  src_size. *item gets the item's offset and index in every case.
 *  Returns ARTPACK_OK and one of:
 *   - an item: item->data points at its item->size bytes inside src (no
 *     copy); r moves past it; the next call's src starts at
 *     src + item->consumed;
 *   - *need > 0 (only when !src_ends): the item is not all in src; call
 *     again with the same start and at least *need bytes (src_size + 1 while
 *     the length prefix is incomplete, then the item's whole size), or with
 *     src_ends = 1 if the stream ends first;
 *   - the end: item->data NULL and *need 0 (src_ends and src_size 0).
 *  Errors (r does not move; nothing after can be trusted, the framing is
 *  lost):
 *   ARTPACK_E_VARINT    malformed length prefix (non-minimal, over 64 bits);
 *   ARTPACK_E_LENGTH    a length over ARTPACK_STREAM_ITEM_SIZE_MAX (found
 *                       before asking for the item's bytes);
 *   ARTPACK_E_TRUNCATED the stream ends inside the length prefix
 *                       (head_size 0) or inside the item (head_size > 0);
 *   ARTPACK_E_NULL_ARG  r, item or need NULL, or src NULL with src_size > 0.
 *  The same bytes give the same items and errors however they are split
 *  into pieces. Protected against malicious input; allocates nothing. */
ARTPACK_API artpack_error artpack_stream_next(artpack_stream_reader *r, const void *src,
                                             size_t src_size, int src_ends,
                                             artpack_stream_item *item, size_t *need);

/* ---- Bundles: many articles, random access (docs/FORMAT.md) ------------ */

/* A bundle is a sequence of zstd-format frames: skippable frames for the
 * header, the dictionary, the index segments and the footer; blocks of
 * records are standard zstd frames (zstd codec) or skippable frames holding
 * an artpack frame (LZ4, stored). Appends add blocks, an index segment and a
 * footer after the old footer, never touching committed bytes. */

/* The default: get's median stays under 1 ms on zstd -19 columnar blocks
 * (make bench-bundle, docs/bench/bundle.md). */
#define ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT ((size_t)960 * 1024)
/* CM bundles (ARTPACK_CODEC_CM): blocks of a few articles, each block coded
 * from the primed state (bbc: 0.94 x the bytes of one article per block, a
 * get decodes ~16 KB; docs/bench/cm.md) */
#define ARTPACK_BUNDLE_BLOCK_SIZE_CM ((size_t)16 * 1024)
#define ARTPACK_BUNDLE_BLOCK_SIZE_MAX ((size_t)64 * 1024 * 1024)
#define ARTPACK_BUNDLE_FOOTER_SIZE 32
/* A block holds at most this many articles (the writer starts a new one
 * there): it bounds the reader's per-block table of record positions. */
#define ARTPACK_BUNDLE_BLOCK_ARTICLES_MAX 65536u

/* Writes size bytes at the end of the output; returns 0 on success. */
typedef int (*artpack_write_fn)(void *opaque, const void *data, size_t size);
/* Reads exactly size bytes at offset into dst; returns 0 on success. */
typedef int (*artpack_read_fn)(void *opaque, uint64_t offset, void *dst, size_t size);

typedef struct artpack_bundle_params {
    artpack_codec codec;  /* ZSTD (the default when 0 is not wanted: set it), LZ4, STORED,
                             CM (dict: a CM model, or none; rows only) */
    int level;            /* 0 = codec default (zstd 19, LZ4 HC 12; CM: the model's) */
    size_t block_size;    /* a block holds records up to this many bytes; 0 = default */
    int embed_dict;       /* 1: the dictionary travels in the bundle (zstd-compressed) */
    int columns;          /* 1: each block stores its records' fields column by column
                             (all titles, then all bodies, ...: smaller); a reader
                             rebuilds the records in a second block-sized buffer */
    int words;            /* 1: apply the dictionary's word transform to each block
                             (zstd, LZ4; ARTPACK_E_NO_WORDS when the dictionary holds
                             no word list); readers undo it in place */
    int similar;          /* 1: articles are assigned to blocks by similarity (smaller),
                             within windows of similar_window bytes of records; they
                             keep their numbers through a block map in the index
                             (2 B per article). Appends to such a bundle do the same */
    size_t similar_window; /* 0 = ARTPACK_BUNDLE_SIMILAR_WINDOW_BLOCKS x block_size;
                              a window also ends at a commit and at
                              ARTPACK_BUNDLE_SIMILAR_WINDOW_ARTICLES articles */
} artpack_bundle_params;
/* Similarity windows: the writer holds one window of records (memory), and
 * a reader walking articles in order holds the blocks of one window. */
#define ARTPACK_BUNDLE_SIMILAR_WINDOW_BLOCKS 16u
#define ARTPACK_BUNDLE_SIMILAR_WINDOW_ARTICLES 32767u

#ifndef ARTPACK_NO_ALLOC
typedef struct artpack_bundle_writer artpack_bundle_writer;
struct artpack_bundle_info; /* below */

/** Starts a new bundle: writes its header (and the dictionary with
 *  embed_dict). dict may be NULL. Allocates through allocator (NULL =
 *  malloc). *out is NULL on error. Errors: ARTPACK_E_NULL_ARG (out, params
 *  or write NULL, or an allocator without alloc or free), ARTPACK_E_PARAM (a
 *  codec other than ZSTD, LZ4, STORED or CM, a level out of its range, a
 *  block_size over ARTPACK_BUNDLE_BLOCK_SIZE_MAX, CM with columns),
 *  ARTPACK_E_DICT (dict with NULL data, size 0 or ID 0, or, for ZSTD, zstd
 *  refuses its tables; a CM model for ZSTD or LZ4), ARTPACK_E_MODEL (CM: dict
 *  is not a CM model, or its priming text does not decode),
 *  ARTPACK_E_MODEL_LEVEL (CM: a level other than the model's),
 *  ARTPACK_E_NEED_DICT (embed_dict without dict), ARTPACK_E_NO_WORDS (words
 *  for zstd or LZ4 without a dict that holds a word list), ARTPACK_E_WRITE
 *  (write failed), ARTPACK_E_ALLOC. */
ARTPACK_API artpack_error artpack_bundle_writer_create(artpack_bundle_writer **out,
                                                      const artpack_bundle_params *params,
                                                      const artpack_dict *dict,
                                                      const artpack_allocator *allocator,
                                                      artpack_write_fn write, void *opaque);
/** Exclusion is the caller's: the library does not lock. Two appenders on
 *  one bundle at once lose one's commit; the CLI takes an flock on the file
 *  and, before it writes and before the footer, checks that the file still
 *  ends with the footer it read.
 *  Opens a committed bundle for appending: the writer continues after
 *  info->end_offset (the caller cuts the file there first, dropping what an
 *  interrupted append left) with the bundle's codec, level, block size,
 *  layout and word transform.
 *  dict: the bundle's dictionary when it names one (else ARTPACK_E_NEED_DICT;
 *  another: ARTPACK_E_WRONG_DICT); NULL for a bundle that embeds its own:
 *  the appender reads it through read and keeps it (allocated) while it
 *  lives (ARTPACK_E_DICT when that chunk is damaged; ARTPACK_E_NO_WORDS
 *  when the bundle's blocks are word-transformed and dict holds no word
 *  list). read (required)
 *  reads the bundle's committed bytes: the appender reads the last index
 *  segment's table at open, and older index segments when a commit merges
 *  them into its own. Each commit then adds blocks, an index segment and a
 *  footer; committed bytes are never rewritten. Errors: ARTPACK_E_NULL_ARG
 *  (out, info or read NULL, or an allocator without alloc or free), those
 *  above, ARTPACK_E_PARAM (info's codec, level or block size out of range),
 *  ARTPACK_E_READ (read failed), ARTPACK_E_INDEX (the last index segment or
 *  its live table is damaged or does not match info), ARTPACK_E_ALLOC. */
ARTPACK_API artpack_error artpack_bundle_appender_open(artpack_bundle_writer **out,
                                                      const struct artpack_bundle_info *info,
                                                      const artpack_dict *dict,
                                                      const artpack_allocator *allocator,
                                                      artpack_write_fn write, void *opaque,
                                                      artpack_read_fn read, void *read_opaque);
/** Adds one record (as artpack_record_encode wrote it; it is validated).
 *  When the block being filled is full it is compressed and written first
 *  (with set_parallel: once jobs blocks are full; with set_pipeline: it is
 *  handed to start and written later; so an error of an earlier block may
 *  surface here). Errors: ARTPACK_E_NULL_ARG
 *  (w NULL, or record NULL with size > 0), any error of
 *  artpack_record_validate (ARTPACK_E_TRUNCATED ... ARTPACK_E_TAG: the
 *  record is refused, the writer goes on), ARTPACK_E_TOO_LARGE (the bundle
 *  would pass 2^32 - 1 articles), ARTPACK_E_WRITE (write failed, now or
 *  before: the writer is unusable), ARTPACK_E_ALLOC. */
ARTPACK_API artpack_error artpack_bundle_writer_add(artpack_bundle_writer *w,
                                                   const void *record, size_t size);
/** Writes the last block, the index segment and the footer: after it the
 *  articles are committed. The writer can then add more (a new commit).
 *  Nothing added since the last commit (not the first): nothing is written.
 *  Errors: ARTPACK_E_NULL_ARG, ARTPACK_E_WRITE (write or the barrier failed,
 *  now or before: the writer is unusable), ARTPACK_E_READ (an appender could
 *  not read an older index segment it merges, or the spill's read failed),
 *  ARTPACK_E_INDEX (such an older segment is damaged: checksum, or not what
 *  the live table says), ARTPACK_E_ALLOC, ARTPACK_E_TOO_LARGE (a segment
 *  over 2^32 - 1 articles, blocks or bytes). */
ARTPACK_API artpack_error artpack_bundle_writer_commit(artpack_bundle_writer *w);
/* Called by a commit before it writes the footer and again after (e.g. an
 * fsync): the footer must not reach the medium before the blocks and the
 * index segment it names. Returns 0 on success. */
typedef int (*artpack_barrier_fn)(void *opaque);
/** Sets the barrier of w's commits (NULL: none). A failing barrier fails the
 *  commit with ARTPACK_E_WRITE. */
ARTPACK_API artpack_error artpack_bundle_writer_set_barrier(artpack_bundle_writer *w,
                                                           artpack_barrier_fn barrier,
                                                           void *opaque);
/* Parallel compression. A task and its argument; a runner that calls
 * task(args[i]) for i in 0..n-1, on any threads, and returns when all are
 * done (the caller's thread pool, OpenMP, ...). */
typedef void (*artpack_task_fn)(void *arg);
typedef void (*artpack_parallel_fn)(void *opaque, artpack_task_fn task, void *const *args,
                                    size_t n);
#define ARTPACK_BUNDLE_JOBS_MAX 64u
/** Makes w compress up to jobs full blocks at once through run (jobs 1: one
 *  at a time on the caller's thread, the default). Each block is compressed
 *  alone with the same parameters, so the bytes written do not depend on
 *  jobs or on run. Writing waits until jobs blocks are full (or a commit),
 *  so memory grows by about 2 x block size per job. With jobs > 1 the
 *  allocator must be thread-safe, and a compression failure makes the writer
 *  unusable (later calls: the error, then ARTPACK_E_WRITE). The blocks
 *  already full are written first. Errors: ARTPACK_E_NULL_ARG (w NULL),
 *  ARTPACK_E_PARAM (jobs 0 or over ARTPACK_BUNDLE_JOBS_MAX), ARTPACK_E_WRITE
 *  (w failed before, or writing those blocks failed), ARTPACK_E_ALLOC. */
ARTPACK_API artpack_error artpack_bundle_writer_set_parallel(artpack_bundle_writer *w,
                                                            unsigned jobs,
                                                            artpack_parallel_fn run,
                                                            void *opaque);
/** Makes w keep the id hashes of the articles it adds (2 B each: what grows
 *  with the articles of a commit), and a similar writer's block map entries
 *  (2 B more each), in storage of the caller's instead of memory: write
 *  appends to it (pieces of 64 KB), read reads back bytes
 *  written before (offsets from the first byte w wrote there). A commit
 *  reads them back to write the index segment, piece by piece; later
 *  commits may read them again. So w's memory does not grow with the
 *  articles (the block entries aside: 16 B per block; a commit after
 *  blocks of a bundle with a block map were copied checks the map with a
 *  bit per pending article). The storage must
 *  stay readable until w is freed. Call it before adding anything (or right
 *  after a commit): ARTPACK_E_PARAM otherwise, or when a spill is set;
 *  ARTPACK_E_NULL_ARG (w, write or read NULL); ARTPACK_E_WRITE (w failed
 *  before). Later, a failing write makes w unusable (ARTPACK_E_WRITE); a
 *  failing read fails the commit with ARTPACK_E_READ. */
ARTPACK_API artpack_error artpack_bundle_writer_set_spill(artpack_bundle_writer *w,
                                                         artpack_write_fn write,
                                                         artpack_read_fn read, void *opaque);
/* Pipelined compression: a work queue of the caller's. A task of a worker:
 * worker is an index below the writer's jobs that the runner gives (e.g. the
 * number of its thread in a pool of jobs threads); two tasks never run at
 * the same time with the same worker (each worker has a compressor of its
 * own). start queues task(arg, worker) to run on another thread and returns
 * at once (or runs it before returning); tasks may run and finish in any
 * order. wait(opaque, arg) returns once the task started with arg is done;
 * the writer waits for each task it started exactly once, oldest first,
 * and has at most ARTPACK_BUNDLE_PIPELINE_DEPTH x jobs tasks started and not
 * yet waited for. */
typedef void (*artpack_worker_task_fn)(void *arg, unsigned worker);
typedef void (*artpack_parallel_start_fn)(void *opaque, artpack_worker_task_fn task, void *arg);
typedef void (*artpack_parallel_wait_fn)(void *opaque, void *arg);
#define ARTPACK_BUNDLE_PIPELINE_DEPTH 3u
/** As artpack_bundle_writer_set_parallel, but w hands each full block to
 *  start as soon as it is full and goes on filling the next while it
 *  compresses, so the caller's thread (adding records) and the compression
 *  threads work at once, and a worker that is done takes the next block
 *  queued whatever the others do. Blocks are written in order: w waits for
 *  the oldest block (wait) when its ring of ARTPACK_BUNDLE_PIPELINE_DEPTH x
 *  jobs blocks in flight is full, at a commit, before copying a block, when
 *  set_parallel or set_pipeline is called again, and in
 *  artpack_bundle_writer_free. The bytes written are those of set_parallel
 *  (of any jobs). Memory: jobs compressors, and about 2 x block size (3 x
 *  with columns) per block in flight. The allocator must be thread-safe.
 *  Errors: ARTPACK_E_NULL_ARG (w, start or wait NULL), ARTPACK_E_PARAM (jobs
 *  0 or over ARTPACK_BUNDLE_JOBS_MAX), ARTPACK_E_WRITE (as set_parallel),
 *  ARTPACK_E_ALLOC. */
ARTPACK_API artpack_error artpack_bundle_writer_set_pipeline(artpack_bundle_writer *w,
                                                            unsigned jobs,
                                                            artpack_parallel_start_fn start,
                                                            artpack_parallel_wait_fn wait,
                                                            void *opaque);
/** Frees a writer; NULL is fine. Uncommitted articles are dropped. */
ARTPACK_API void artpack_bundle_writer_free(artpack_bundle_writer *w);
#endif /* ARTPACK_NO_ALLOC */

/* What the header and the last committed footer say. */
typedef struct artpack_bundle_info {
    artpack_codec codec;
    int level;                 /* the level the bundle was written with */
    uint32_t dict_id;          /* 0: no dictionary */
    int dict_embedded;
    size_t dict_size;          /* the embedded dictionary, decompressed */
    uint64_t dict_offset;      /* its chunk */
    size_t dict_chunk_size;
    size_t block_size;         /* the writer's target */
    int columns;               /* blocks hold columnar content (artpack_bundle_params) */
    uint64_t article_count;
    uint64_t block_count;
    size_t max_block_content;  /* largest block, decompressed */
    size_t max_block_frame;    /* largest block as stored */
    uint64_t last_segment;     /* offset of the last index segment */
    uint64_t end_offset;       /* the end of the committed footer */
    int recovered_footer;      /* 1: the file's tail was not a valid footer (an
                                  interrupted append); an earlier one is used */
    int words;                 /* blocks hold word envelopes (artpack_bundle_params):
                                  reading needs the dictionary's word list */
    int similar;               /* articles assigned to blocks by similarity: blocks are in
                                  slot order, not article order (artpack_bundle_slot) */
} artpack_bundle_info;

/** Reads the header and finds the last committed footer, scanning back from
 *  the end past an interrupted append. Reads only through read(). Errors:
 *  ARTPACK_E_NULL_ARG (dst or read NULL), ARTPACK_E_BUNDLE (file_size under
 *  a header and a footer, a damaged or unknown header, a damaged embedded
 *  dictionary chunk head), ARTPACK_E_INDEX (no valid footer with its index
 *  segment right before it, or one inconsistent with the header),
 *  ARTPACK_E_READ (the read callback failed). */
ARTPACK_API artpack_error artpack_bundle_info_get(artpack_bundle_info *dst,
                                                 artpack_read_fn read, void *opaque,
                                                 uint64_t file_size);

/** Exact workspace of a reader of this bundle: the block buffer (largest
 *  block plus the in-place decompression margin), for columnar blocks a
 *  second one of the largest block content, the decompressor, and,
 *  with load_embedded_dict, room for the embedded dictionary. Word
 *  envelopes (info->words) need nothing more: a block is expanded in place
 *  in its buffer, from the dictionary's word list where it lies. */
ARTPACK_API size_t artpack_bundle_reader_workspace_size(const artpack_bundle_info *info,
                                                       int load_embedded_dict);

typedef struct artpack_bundle_reader artpack_bundle_reader;

/* Hands out a pointer to size bytes at offset, or NULL: for bundles in
 * memory-mapped flash or RAM, read in place without copying. */
typedef const void *(*artpack_map_fn)(void *opaque, uint64_t offset, size_t size);

/** Workspace of a reader opened with artpack_bundle_reader_open_mapped():
 *  no room for a stored block, so only the largest block's content and the
 *  decompressor (and the embedded dictionary with load_embedded_dict). */
ARTPACK_API size_t artpack_bundle_reader_workspace_size_mapped(const artpack_bundle_info *info,
                                                              int load_embedded_dict);
/** As artpack_bundle_reader_open(), reading through map() instead: blocks
 *  are decompressed from where they lie. The same errors (ARTPACK_E_NULL_ARG
 *  also for map NULL; ARTPACK_E_READ when map returns NULL), the workspace
 *  checked against artpack_bundle_reader_workspace_size_mapped()
 *  (ARTPACK_E_WORKSPACE_TOO_SMALL). */
ARTPACK_API artpack_error artpack_bundle_reader_open_mapped(artpack_bundle_reader **out,
                                                           void *workspace, size_t workspace_size,
                                                           const artpack_bundle_info *info,
                                                           const artpack_dict *dict,
                                                           artpack_map_fn map, void *opaque);

/** Opens a reader in the caller's workspace (8-byte aligned, at least
 *  artpack_bundle_reader_workspace_size()). dict: the bundle's dictionary
 *  (referenced in place, may sit in flash), or NULL to load the embedded one
 *  into the workspace. Allocates nothing. info: as artpack_bundle_info_get
 *  gave it. *out is NULL on error. Errors: ARTPACK_E_NULL_ARG (out,
 *  workspace, info or read NULL), ARTPACK_E_PARAM (workspace not 8-byte
 *  aligned), ARTPACK_E_NEED_DICT (dict NULL and the bundle names a
 *  dictionary it does not embed), ARTPACK_E_WRONG_DICT (dict has another
 *  ID), ARTPACK_E_DICT (dict with NULL data or size 0; the embedded
 *  dictionary does not decompress, is not a dictionary or has another ID; zstd
 *  refuses the dictionary's tables), ARTPACK_E_MODEL (the embedded
 *  dictionary, or for a CM bundle dict, is a damaged CM model or none: a CM
 *  bundle's reader primes its model here, once), ARTPACK_E_WORKSPACE_TOO_SMALL,
 *  ARTPACK_E_CODEC_UNAVAILABLE (a library built without the bundle's codec:
 *  ARTPACK_NO_LZ4), ARTPACK_E_READ (the read callback failed),
 *  ARTPACK_E_INDEX (the last index segment's head is damaged),
 *  ARTPACK_E_NEED_WORDS (the bundle's blocks are word-transformed and its
 *  dictionary holds no word list). */
ARTPACK_API artpack_error artpack_bundle_reader_open(artpack_bundle_reader **out,
                                                    void *workspace, size_t workspace_size,
                                                    const artpack_bundle_info *info,
                                                    const artpack_dict *dict,
                                                    artpack_read_fn read, void *opaque);
/** Article n (0-based, in the order added): *record points into the reader's
 *  block buffer, valid until the next call. Reading in order decodes each
 *  block once. Protected against malicious bundles. Errors:
 *  ARTPACK_E_NULL_ARG (r, record or size NULL), ARTPACK_E_NOT_FOUND (n not
 *  under info.article_count), ARTPACK_E_READ (the read callback failed),
 *  ARTPACK_E_INDEX (the index segments or block entries it walks are damaged
 *  or inconsistent), ARTPACK_E_BLOCK (the block does not decode, fails its
 *  checksum, or its content or records are malformed), ARTPACK_E_NEED_DICT /
 *  ARTPACK_E_WRONG_DICT (an LZ4 or stored block's frame asks for a
 *  dictionary the bundle does not name, or names another). */
ARTPACK_API artpack_error artpack_bundle_get(artpack_bundle_reader *r, uint64_t n,
                                            const void **record, size_t *size);
/** The slot of article n: its place in storage order (the records of block
 *  0, then of block 1, ...). The same as n unless the bundle assigns
 *  articles to blocks by similarity (info.similar): then it is read from the
 *  index's block map (a small read; nothing is decoded). Errors:
 *  ARTPACK_E_NULL_ARG (r or slot NULL), ARTPACK_E_NOT_FOUND (n not under
 *  info.article_count), ARTPACK_E_READ (the read callback failed),
 *  ARTPACK_E_INDEX (the index segments are damaged or inconsistent, or the
 *  map names a slot outside the article's index segment). */
ARTPACK_API artpack_error artpack_bundle_slot(artpack_bundle_reader *r, uint64_t n,
                                             uint64_t *slot);
/** The record in slot s (as artpack_bundle_get): reading slots in order
 *  decodes each block once, whatever the block map. Errors: those of
 *  artpack_bundle_get (ARTPACK_E_NULL_ARG, ARTPACK_E_NOT_FOUND for s not
 *  under info.article_count, ARTPACK_E_READ, ARTPACK_E_INDEX,
 *  ARTPACK_E_BLOCK, ARTPACK_E_NEED_DICT, ARTPACK_E_WRONG_DICT). */
ARTPACK_API artpack_error artpack_bundle_get_slot(artpack_bundle_reader *r, uint64_t s,
                                                 const void **record, size_t *size);
/** The first article whose id is id[0..len), from *n on (set *n = 0 to
 *  search from the start); ARTPACK_E_NOT_FOUND if none. It reads the id
 *  hashes of the index and decodes the blocks of the articles whose hash
 *  matches: the errors of artpack_bundle_get (ARTPACK_E_READ,
 *  ARTPACK_E_INDEX, ARTPACK_E_BLOCK, ARTPACK_E_NEED_DICT,
 *  ARTPACK_E_WRONG_DICT) stop the search. ARTPACK_E_NULL_ARG: r or n NULL,
 *  or id NULL with len > 0. */
ARTPACK_API artpack_error artpack_bundle_find_id(artpack_bundle_reader *r, const char *id,
                                                size_t len, uint64_t *n);

/** The dictionary the reader decodes with (the caller's, or the embedded one
 *  it loaded into its workspace: valid while the reader is).
 *  ARTPACK_E_NOT_FOUND when the bundle has none; ARTPACK_E_NULL_ARG when r
 *  or dict is NULL. */
ARTPACK_API artpack_error artpack_bundle_reader_dict(const artpack_bundle_reader *r,
                                                    artpack_dict *dict);

/* Where an article is stored. */
typedef struct artpack_bundle_location {
    uint64_t block;          /* block number in its index segment order */
    uint64_t block_offset;   /* file offset of the block's frame */
    size_t block_frame_size; /* stored bytes of the block */
    uint64_t block_first;    /* its first slot (artpack_bundle_slot: its first article
                                unless the bundle has a block map) */
    uint32_t block_articles; /* articles in the block */
    uint64_t slot;           /* the article's slot: block_first + its place in the block */
} artpack_bundle_location;
/** Where article n is stored, in *where (it decodes its block, as
 *  artpack_bundle_get does). Errors: those of artpack_bundle_get
 *  (ARTPACK_E_NULL_ARG also for where NULL; ARTPACK_E_NOT_FOUND,
 *  ARTPACK_E_READ, ARTPACK_E_INDEX, ARTPACK_E_BLOCK, ARTPACK_E_NEED_DICT,
 *  ARTPACK_E_WRONG_DICT). */
ARTPACK_API artpack_error artpack_bundle_locate(artpack_bundle_reader *r, uint64_t n,
                                               artpack_bundle_location *where);
/** Decodes block b (0 .. block_count-1) and checks its checksum and records:
 *  what verify does for every block. *first and *count tell its slots
 *  (artpack_bundle_get_slot; its articles unless the bundle has a block map;
 *  first and count may be NULL; set even when the block is damaged, count
 *  0 when its index entry is). Errors: ARTPACK_E_NULL_ARG (r NULL),
 *  ARTPACK_E_NOT_FOUND (b not under info.block_count), ARTPACK_E_READ (the
 *  read callback failed), ARTPACK_E_INDEX (the index segments or block
 *  entries it walks are damaged or inconsistent), ARTPACK_E_BLOCK (the block
 *  does not decode, fails its checksum, or its content or records are
 *  malformed), ARTPACK_E_NEED_DICT / ARTPACK_E_WRONG_DICT (an LZ4 or stored
 *  block's frame asks for a dictionary the bundle does not name, or names
 *  another). */
ARTPACK_API artpack_error artpack_bundle_check_block(artpack_bundle_reader *r, uint64_t b,
                                                    uint64_t *first, uint32_t *count);

#ifndef ARTPACK_NO_ALLOC
/** Copies block b of the bundle src reads into the bundle w writes, as it is
 *  stored (no recompression): both must share codec and dictionary. The
 *  block is decoded and checked first; its ids go into w's index. The
 *  block w was filling is written first. When src has a block map
 *  (info.similar), w must be similar too and copy every block of src, in
 *  order, before its next commit: the map's entries (and id hashes) of the
 *  articles numbered as the block's slots come along. Errors:
 *  ARTPACK_E_NULL_ARG (w or src NULL), ARTPACK_E_PARAM (src's codec,
 *  columns or word transform differ from w's, or src has a block map and w
 *  is not similar),
 *  ARTPACK_E_WRONG_DICT (src's dictionary ID differs from w's), the errors
 *  of artpack_bundle_check_block on src (ARTPACK_E_NOT_FOUND, ARTPACK_E_READ,
 *  ARTPACK_E_INDEX, ARTPACK_E_BLOCK, ARTPACK_E_NEED_DICT: nothing of
 *  the block is written), ARTPACK_E_TOO_LARGE (w would pass 2^32 - 1 articles),
 *  ARTPACK_E_WRITE (write failed, now or before: w is unusable),
 *  ARTPACK_E_ALLOC. A commit after copying only some blocks of a bundle with
 *  a block map fails with ARTPACK_E_INDEX (the map is not a permutation). */
ARTPACK_API artpack_error artpack_bundle_writer_copy_block(artpack_bundle_writer *w,
                                                          artpack_bundle_reader *src,
                                                          uint64_t b);
/** As artpack_bundle_writer_copy_block, without decoding the block: its
 *  articles' id hashes are copied from src's index, and only the frame's
 *  head is checked; its checksum travels with it, for readers and verify to
 *  check. The largest block content w records is src's (when every block of
 *  src is copied, the bytes are the same as artpack_bundle_writer_copy_block
 *  gives). Check src's index first (artpack_bundle_check_index) to copy only
 *  hashes that were written so. Costs reads of the frame and 2 bytes per
 *  article. Errors: ARTPACK_E_NULL_ARG (w or src NULL), ARTPACK_E_PARAM
 *  (src's codec, columns or word transform differ from w's),
 *  ARTPACK_E_WRONG_DICT (src's dictionary ID differs from w's),
 *  ARTPACK_E_NOT_FOUND (b not under src's block_count), ARTPACK_E_READ (a
 *  read of src failed), ARTPACK_E_INDEX (the index segment or block entry
 *  it walks is damaged or inconsistent, or src's live segments do not
 *  follow each other without a gap), ARTPACK_E_BLOCK (only when the frame's
 *  head is not that of a block of src's codec and dictionary: neither the
 *  content nor the dictionary an LZ4 or stored frame asks for is looked at;
 *  artpack_bundle_check_block on the copy finds them), nothing of the block
 *  written after any of these; ARTPACK_E_TOO_LARGE (w would pass 2^32 - 1
 *  articles), ARTPACK_E_WRITE (write failed, now or before: w is unusable),
 *  ARTPACK_E_ALLOC. */
ARTPACK_API artpack_error artpack_bundle_writer_copy_block_undecoded(artpack_bundle_writer *w,
                                                                    artpack_bundle_reader *src,
                                                                    uint64_t b);
/* Called with each salvaged record; returns 0 to go on. */
typedef int (*artpack_record_fn)(void *opaque, const void *record, size_t size);

typedef struct artpack_salvage_stats {
    uint64_t blocks_ok, blocks_bad, articles, bytes_skipped;
    int header_ok;          /* the header was intact: the fields below hold */
    int codec, level, dict_embedded;
    int columns;            /* columnar blocks (artpack_bundle_params) */
    uint32_t dict_id;       /* the header's */
    uint32_t dict_id_used;  /* the dictionary the blocks were decoded with */
    size_t block_size;
    int words;              /* word envelopes (artpack_bundle_params) */
    int similar;            /* blocks assigned by similarity: records come in storage
                               order (the block map is in the index, not trusted here) */
} artpack_salvage_stats;

/** Walks a bundle src[0..src_size) (all in memory) chunk by chunk without
 *  trusting its index, and hands every record of every block that is whole
 *  and passes its checksum to cb, in file order; damaged stretches are
 *  skipped up to the next chunk. dict: the bundle's dictionary, or NULL to
 *  use the embedded one if it is intact. Host side: allocates. Damage is
 *  not an error (stats counts it). Errors: ARTPACK_E_NULL_ARG (src, cb or
 *  stats NULL, or an allocator without alloc or free), ARTPACK_E_DICT (dict
 *  with NULL data or size 0, or zstd refuses its tables), ARTPACK_E_WRITE
 *  (cb returned non-zero: stopped there), ARTPACK_E_ALLOC. */
ARTPACK_API artpack_error artpack_bundle_salvage(const void *src, size_t src_size,
                                                const artpack_dict *dict,
                                                const artpack_allocator *allocator,
                                                artpack_record_fn cb, void *opaque,
                                                artpack_salvage_stats *stats);

/** As artpack_bundle_salvage, reading the bundle's size bytes through read
 *  instead (pread, or a damaged medium's driver): a window of 1 MB, grown to
 *  hold a whole block when one is larger, so memory is bounded by the
 *  largest block, not the file. stats' header fields (header_ok, codec,
 *  level, dict_id, dict_embedded, block_size) are set before the first
 *  record is handed to cb, so cb may start a new bundle from them. A failed
 *  read stops it: ARTPACK_E_READ. Host side: allocates. */
ARTPACK_API artpack_error artpack_bundle_salvage_read(artpack_read_fn read, void *read_opaque,
                                                     uint64_t size, const artpack_dict *dict,
                                                     const artpack_allocator *allocator,
                                                     artpack_record_fn cb, void *opaque,
                                                     artpack_salvage_stats *stats);

/** Decompresses the dictionary embedded in the bundle src[0..src_size) (all
 *  in memory) into dst (up to ARTPACK_DICT_SIZE_MAX bytes). Host side.
 *  Errors: ARTPACK_E_NULL_ARG (src, dst or written NULL), ARTPACK_E_BUNDLE
 *  (src too short, its header damaged, no embedded dictionary, or the
 *  dictionary chunk's head damaged), ARTPACK_E_DST_TOO_SMALL (dst_capacity
 *  under the dictionary's size), ARTPACK_E_DICT (its frame does not
 *  decompress to that size). */
ARTPACK_API artpack_error artpack_bundle_embedded_dict(const void *src, size_t src_size,
                                                      void *dst, size_t dst_capacity,
                                                      size_t *written);
/** As artpack_bundle_embedded_dict, reading the bundle's first bytes (its
 *  header and dictionary chunk, nothing else) through read. dst holds the
 *  dictionary and, while it is decompressed, its compressed frame after it:
 *  2 * ARTPACK_DICT_SIZE_MAX bytes are always enough (else
 *  ARTPACK_E_DST_TOO_SMALL). A failed read: ARTPACK_E_READ. Host side. */
ARTPACK_API artpack_error artpack_bundle_embedded_dict_read(artpack_read_fn read,
                                                           void *read_opaque, uint64_t size,
                                                           void *dst, size_t dst_capacity,
                                                           size_t *written);
#endif /* ARTPACK_NO_ALLOC */

/** Checks the checksum and consistency of every live index segment (the
 *  ones the reader uses). Errors: ARTPACK_E_NULL_ARG, ARTPACK_E_INDEX (a
 *  segment's checksum, head or live-table entry is wrong), ARTPACK_E_READ
 *  (the read callback failed). */
ARTPACK_API artpack_error artpack_bundle_check_index(artpack_bundle_reader *r);

#ifdef __cplusplus
}
#endif

#endif /* ARTPACK_H */
