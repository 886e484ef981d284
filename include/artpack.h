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
 *  - The library never allocates, prints, exits, or reads the environment,
 *    and has no global mutable state: it is thread-safe by construction.
 *  - Every decoder entry point is protected against malicious input: it never
 *    reads outside [src, src + src_size), never writes outside
 *    [dst, dst + dst_capacity), always terminates, and returns a specific
 *    error for bad bytes.
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
#define ARTPACK_VERSION_STRING "0.1.0"

/* Version of the record wire format this library writes (docs/FORMAT.md). */
#define ARTPACK_WIRE_VERSION 1

/** Returns ARTPACK_VERSION_NUMBER of the library actually linked. */
ARTPACK_API unsigned artpack_version_number(void);
/** Returns "MAJOR.MINOR.RELEASE" of the library actually linked. */
ARTPACK_API const char *artpack_version_string(void);

/* ---- Errors -------------------------------------------------------------- */

/* Stable numbers: new codes are appended, never renumbered.
 *   1..63    argument and buffer errors
 *   64..127  record decoding (bad bytes)
 *   128..191 record encoding (bad article view) */
typedef enum artpack_error {
    ARTPACK_OK = 0,
    ARTPACK_E_NULL_ARG = 1,        /* a required pointer argument is NULL */
    ARTPACK_E_DST_TOO_SMALL = 2,   /* dst_capacity is smaller than needed */

    ARTPACK_E_TRUNCATED = 64,      /* record ends inside a field */
    ARTPACK_E_VARINT = 65,         /* varint overlong, non-minimal or > 64 bits */
    ARTPACK_E_WIRE_TYPE = 66,      /* reserved wire type, or wrong for the field */
    ARTPACK_E_FIELD_ORDER = 67,    /* field tags not strictly ascending */
    ARTPACK_E_LENGTH = 68,         /* a length runs past its container */
    ARTPACK_E_DATE = 69,           /* numeric date out of range */
    ARTPACK_E_TIMESTAMP = 70,      /* malformed numeric timestamp */
    ARTPACK_E_NONCANONICAL = 71,   /* valid but not the one canonical form */
    ARTPACK_E_EXTRA = 72,          /* extra fields: odd count or keys not sorted */
    ARTPACK_E_DUPLICATE_KEY = 73,  /* an extra field repeats a typed field */
    ARTPACK_E_TAG = 74,            /* field tag 0 */

    ARTPACK_E_BAD_VIEW = 128,      /* article view inconsistent (e.g. NULL item) */
    ARTPACK_E_TOO_LARGE = 129      /* a length exceeds ARTPACK_MAX_FIELD_SIZE */
} artpack_error;

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
 * at the packed elements inside the record (items == NULL). Either way, walk
 * it with artpack_list_iter. present == 0 means the field is absent. */
typedef struct artpack_list {
    int present;
    const artpack_str *items;
    size_t count;
    const unsigned char *wire;
    size_t wire_size;
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
    unsigned tag;               /* wire tag, 1..31 */
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
 *  text). Never fails for non-NULL arguments. */
ARTPACK_API artpack_error artpack_date_parse(artpack_date *dst, const char *text, size_t len);
/** Fills *dst from text[0..len): NUMBER when lossless, else TEXT. */
ARTPACK_API artpack_error artpack_timestamp_parse(artpack_timestamp *dst, const char *text,
                                      size_t len);
/** Writes a NUMBER date as "YYYY-MM-DD" plus NUL into dst. For TEXT, copies
 *  the text (plus NUL). *written gets the length without the NUL. */
ARTPACK_API artpack_error artpack_date_format(char *dst, size_t dst_capacity,
                                  const artpack_date *src, size_t *written);
/** Writes a timestamp as text plus NUL (see artpack_date_format). */
ARTPACK_API artpack_error artpack_timestamp_format(char *dst, size_t dst_capacity,
                                       const artpack_timestamp *src,
                                       size_t *written);

/* ---- Lists --------------------------------------------------------------- */

/* Iterator over an artpack_list: a small struct meant to live on the stack. */
typedef struct artpack_list_iter {
    const artpack_list *list;
    size_t index;               /* next item index (items form) */
    const unsigned char *pos;   /* next element (wire form) */
    const unsigned char *end;
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
 *  cannot be encoded (same checks as artpack_record_encode). */
ARTPACK_API artpack_error artpack_record_size(const artpack_article *src, size_t *size);

/** Encodes *src into dst[0..dst_capacity); *written gets the record size.
 *  Canonical: one article has exactly one encoding. A list that came from
 *  artpack_record_decode is copied as is, so decode then encode gives back
 *  the same bytes. On error nothing useful is in dst. */
ARTPACK_API artpack_error artpack_record_encode(void *dst, size_t dst_capacity,
                                    const artpack_article *src, size_t *written);

/** Decodes and fully validates the record src[0..src_size) into *dst,
 *  without copying or allocating: every string in *dst points into src.
 *  Fields of a later minor wire version (unknown tags) are skipped.
 *  On error, *error_offset (if not NULL) gets the byte offset in src where
 *  the problem was found, and *dst is left absent-initialised.
 *  Protected against malicious input. */
ARTPACK_API artpack_error artpack_record_decode(artpack_article *dst, const void *src,
                                    size_t src_size, size_t *error_offset);

/** Validates a record without keeping the view (same checks as decode). */
ARTPACK_API artpack_error artpack_record_validate(const void *src, size_t src_size,
                                      size_t *error_offset);

/* ---- Varints (the building block of the wire format) -------------------- */

#define ARTPACK_VARINT_MAX 10
/** Writes v as a LEB128 varint; returns the bytes written, 0 if it does not fit. */
ARTPACK_API size_t artpack_varint_write(void *dst, size_t dst_capacity, uint64_t v);
/** Reads a minimal LEB128 varint; returns bytes read, 0 on error (truncated,
 *  non-minimal or over 64 bits). */
ARTPACK_API size_t artpack_varint_read(uint64_t *v, const void *src, size_t src_size);

#ifdef __cplusplus
}
#endif

#endif /* ARTPACK_H */
