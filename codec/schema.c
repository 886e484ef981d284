/* schema.c - the table of article fields: tag, JSON name, kind. */
#include <string.h>

#include "internal.h"

#define AP_FIELD(tag, name, kind, member)                                      \
    { tag, name, kind, offsetof(artpack_article, member) }

/* Ascending tag order. Tag 14 and tags from 16 are free for later minor
 * versions (tags up to 15 have one-byte keys). */
static const artpack_field_info ap_fields[] = {
    AP_FIELD(1, "id", ARTPACK_KIND_STRING, id),
    AP_FIELD(2, "url", ARTPACK_KIND_STRING, url),
    AP_FIELD(3, "source", ARTPACK_KIND_STRING, source),
    AP_FIELD(4, "date", ARTPACK_KIND_DATE, date),
    AP_FIELD(5, "published", ARTPACK_KIND_TIMESTAMP, published),
    AP_FIELD(6, "title", ARTPACK_KIND_STRING, title),
    AP_FIELD(7, "author", ARTPACK_KIND_STRING, author),
    AP_FIELD(8, "authors", ARTPACK_KIND_LIST, authors),
    AP_FIELD(9, "summary", ARTPACK_KIND_STRING, summary),
    AP_FIELD(10, "dateline", ARTPACK_KIND_STRING, dateline),
    AP_FIELD(11, "body", ARTPACK_KIND_LIST, body),
    AP_FIELD(12, "language", ARTPACK_KIND_STRING, language),
    AP_FIELD(13, "tags", ARTPACK_KIND_LIST, tags),
    AP_FIELD(15, "", ARTPACK_KIND_EXTRA, extra),
};

#define AP_FIELD_COUNT (sizeof ap_fields / sizeof ap_fields[0])

size_t artpack_schema_count(void) { return AP_FIELD_COUNT; }

const artpack_field_info *artpack_schema_field(size_t i) {
    return i < AP_FIELD_COUNT ? &ap_fields[i] : NULL;
}

#if AP_FAST
/* ap_fields[row] when name[0..len) is its name, len its constant length:
 * an inline compare, no call. */
#define AP_NAME_AT(row, len)                                                   \
    (memcmp(name, ap_fields[row].name, len) == 0 ? &ap_fields[row] : NULL)

/* artpack_schema_find by the name's length and first byte (no two names
 * share both; test_record's test_schema_find_near_misses holds it to a scan
 * of the table for every name and its near misses), then one compare: no
 * loop over the table, no strlen. */
static const artpack_field_info *ap_schema_find_fast(const char *name, size_t len) {
    switch (len) {
    case 2: return AP_NAME_AT(0, 2); /* id */
    case 3: return AP_NAME_AT(1, 3); /* url */
    case 4:
        return name[0] == 'd' ? AP_NAME_AT(3, 4)    /* date */
               : name[0] == 'b' ? AP_NAME_AT(10, 4) /* body */
               : name[0] == 't' ? AP_NAME_AT(12, 4) /* tags */
                                : NULL;
    case 5: return AP_NAME_AT(5, 5); /* title */
    case 6:
        return name[0] == 's' ? AP_NAME_AT(2, 6)   /* source */
               : name[0] == 'a' ? AP_NAME_AT(6, 6) /* author */
                                : NULL;
    case 7:
        return name[0] == 'a' ? AP_NAME_AT(7, 7)   /* authors */
               : name[0] == 's' ? AP_NAME_AT(8, 7) /* summary */
                                : NULL;
    case 8:
        return name[0] == 'd' ? AP_NAME_AT(9, 8)    /* dateline */
               : name[0] == 'l' ? AP_NAME_AT(11, 8) /* language */
                                : NULL;
    case 9: return AP_NAME_AT(4, 9); /* published */
    default: return NULL;
    }
}
#endif

const artpack_field_info *artpack_schema_find(const char *name, size_t len) {
    size_t i;
    if (name == NULL || len == 0 || len > 9) return NULL; /* "published" is the longest */
#if AP_FAST
    return ap_schema_find_fast(name, len);
#endif
    for (i = 0; i < AP_FIELD_COUNT; i++) {
        const char *n = ap_fields[i].name;
        if (n[0] == name[0] && strlen(n) == len && memcmp(n, name, len) == 0)
            return &ap_fields[i];
    }
    return NULL;
}

/* What the decoder needs of a field, by tag: 4 bytes each, and no names, so
 * that a decode-only image links neither ap_fields nor its strings. Kept equal
 * to ap_fields by tests/test_device.c (test_schema_by_tag). */
#define AP_BY_TAG(kind, member) {(unsigned short)offsetof(artpack_article, member), ARTPACK_KIND_##kind}
static const ap_tag_field ap_by_tag[16] = {
    {0, 0},
    AP_BY_TAG(STRING, id),
    AP_BY_TAG(STRING, url),
    AP_BY_TAG(STRING, source),
    AP_BY_TAG(DATE, date),
    AP_BY_TAG(TIMESTAMP, published),
    AP_BY_TAG(STRING, title),
    AP_BY_TAG(STRING, author),
    AP_BY_TAG(LIST, authors),
    AP_BY_TAG(STRING, summary),
    AP_BY_TAG(STRING, dateline),
    AP_BY_TAG(LIST, body),
    AP_BY_TAG(STRING, language),
    AP_BY_TAG(LIST, tags),
    {0, 0},
    AP_BY_TAG(EXTRA, extra),
};

const ap_tag_field *ap_schema_by_tag(uint64_t tag) {
    /* NULL for tags this version skips */
    return tag < 16 && ap_by_tag[tag].kind != 0 ? &ap_by_tag[tag] : NULL;
}

void artpack_article_init(artpack_article *article) {
    if (article != NULL) memset(article, 0, sizeof *article);
}
