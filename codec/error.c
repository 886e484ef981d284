/* error.c - version, error names and messages. */
#include "internal.h"

unsigned artpack_version_number(void) { return ARTPACK_VERSION_NUMBER; }
const char *artpack_version_string(void) { return ARTPACK_VERSION_STRING; }

typedef struct ap_error_text {
    artpack_error code;
    const char *name;
    const char *message;
} ap_error_text;

#define AP_E(code, message) { code, #code, message }

static const ap_error_text ap_errors[] = {
    AP_E(ARTPACK_OK, "success"),
    AP_E(ARTPACK_E_NULL_ARG, "a required pointer argument is NULL"),
    AP_E(ARTPACK_E_DST_TOO_SMALL, "destination buffer too small"),
    AP_E(ARTPACK_E_WORKSPACE_TOO_SMALL, "workspace too small (see artpack_decompressor_workspace_size)"),
    AP_E(ARTPACK_E_PARAM, "parameter out of range"),
    AP_E(ARTPACK_E_ALLOC, "allocation failed"),
    AP_E(ARTPACK_E_TRUNCATED, "record truncated: it ends inside a field or lacks its end byte"),
    AP_E(ARTPACK_E_VARINT, "malformed varint (non-minimal or over 64 bits)"),
    AP_E(ARTPACK_E_WIRE_TYPE, "wire type not allowed for this field"),
    AP_E(ARTPACK_E_FIELD_ORDER, "field tags not strictly ascending (repeated or out of order)"),
    AP_E(ARTPACK_E_LENGTH, "length runs past its container or exceeds the limit"),
    AP_E(ARTPACK_E_DATE, "numeric date out of range (0000-01-01 .. 9999-12-31)"),
    AP_E(ARTPACK_E_TIMESTAMP, "malformed numeric timestamp"),
    AP_E(ARTPACK_E_NONCANONICAL, "valid data not in its one canonical encoding"),
    AP_E(ARTPACK_E_EXTRA, "extra fields malformed: odd count, empty value, or keys not strictly sorted"),
    AP_E(ARTPACK_E_DUPLICATE_KEY, "an extra field repeats the key of a typed field"),
    AP_E(ARTPACK_E_TAG, "field tag 0 before the end of the record, or bytes after the end"),
    AP_E(ARTPACK_E_FRAME, "malformed frame header (reserved bits, codec or flags)"),
    AP_E(ARTPACK_E_WRONG_DICT, "frame made with another dictionary"),
    AP_E(ARTPACK_E_NEED_DICT, "frame needs a dictionary and none is loaded"),
    AP_E(ARTPACK_E_WINDOW_TOO_LARGE, "zstd window larger than the decoder's limit"),
    AP_E(ARTPACK_E_CORRUPT, "compressed data corrupt or of the wrong size"),
    AP_E(ARTPACK_E_CHECKSUM, "content checksum mismatch: the data is damaged"),
    AP_E(ARTPACK_E_DICT, "not a valid zstd dictionary (magic, ID, size or tables)"),
    AP_E(ARTPACK_E_CODEC_UNAVAILABLE, "this decompressor was not set up for the frame's codec"),
    AP_E(ARTPACK_E_BUNDLE, "not an artpack bundle, or its header is damaged"),
    AP_E(ARTPACK_E_INDEX, "bundle index or footer damaged or inconsistent"),
    AP_E(ARTPACK_E_BLOCK, "bundle block damaged (checksum, size or records)"),
    AP_E(ARTPACK_E_NOT_FOUND, "no such article"),
    AP_E(ARTPACK_E_READ, "the read callback failed"),
    AP_E(ARTPACK_E_BAD_VIEW, "article view inconsistent (NULL item with a length)"),
    AP_E(ARTPACK_E_TOO_LARGE, "a field exceeds ARTPACK_MAX_FIELD_SIZE"),
    AP_E(ARTPACK_E_COMPRESS, "the compression library failed"),
    AP_E(ARTPACK_E_TRAIN, "dictionary training failed (too few or too uniform samples)"),
    AP_E(ARTPACK_E_WRITE, "the write callback failed"),
};

static const ap_error_text *ap_error_find(artpack_error err) {
    size_t i;
    for (i = 0; i < sizeof ap_errors / sizeof ap_errors[0]; i++)
        if (ap_errors[i].code == err) return &ap_errors[i];
    return NULL;
}

const char *artpack_error_name(artpack_error err) {
    const ap_error_text *t = ap_error_find(err);
    return t ? t->name : "ARTPACK_E_UNKNOWN";
}

const char *artpack_error_message(artpack_error err) {
    const ap_error_text *t = ap_error_find(err);
    return t ? t->message : "unknown error code";
}
