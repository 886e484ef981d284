/* fuzz_record.c - libFuzzer target: the record decoder (codec/record.c).
 *
 * The input is one raw record (no stream header, no length prefix).
 * Properties checked (abort() when one fails):
 *  - artpack_record_validate and artpack_record_decode return the same error
 *    and the same error offset; on error the view is left absent.
 *  - on success: every string and every list element of the view lies inside
 *    the input; artpack_list_count agrees with the iteration;
 *  - artpack_record_size(view) == what artpack_record_encode writes into a
 *    buffer of exactly that size; the encoding is the input minus the fields
 *    of unknown tags (decode then encode gives back the same bytes);
 *    decoding it succeeds and re-encoding gives identical bytes;
 *  - encoding into every smaller capacity (records < 64 bytes) gives
 *    ARTPACK_E_DST_TOO_SMALL;
 *  - dates and timestamps format (and a numeric one parses back to itself);
 *  - the JSON writer of `artpack decode` (tools/json_out.c) on the view:
 *    either a clean error or one line the JSON reader accepts, whose record
 *    round-trips through JSON again unchanged.
 * Linked with fuzz/replay.c instead of libFuzzer, it replays a corpus. */
#include "fuzz_common.h"
#include "../codec/internal.h" /* wire types, to skip unknown fields */

static const unsigned char *g_lo, *g_hi; /* the input buffer */

static int inside(const void *p, size_t n) {
    const unsigned char *q = (const unsigned char *)p;
    return q != NULL && q >= g_lo && q <= g_hi && n <= (size_t)(g_hi - q);
}

static void check_str(const artpack_str *s) {
    if (s->ptr == NULL) {
        CHECK(s->len == 0);
        return;
    }
    CHECK(inside(s->ptr, s->len));
}

static void check_list(const artpack_list *l, int is_extra) {
    artpack_list_iter it;
    artpack_str e;
    size_t n = 0, walked = 0;
    if (!l->present) {
        CHECK(l->wire == NULL && l->wire_size == 0);
        CHECK(artpack_list_count(l) == 0);
        return;
    }
    CHECK(l->items == NULL && l->count == 0); /* decoded: wire form */
    CHECK(inside(l->wire, l->wire_size));
    artpack_list_begin(&it, l);
    while (artpack_list_next(&it, &e)) {
        CHECK(e.ptr != NULL);
        CHECK(inside(e.ptr, e.len));
        CHECK((const unsigned char *)e.ptr >= l->wire &&
              e.len <= (size_t)(l->wire + l->wire_size - (const unsigned char *)e.ptr));
        if (is_extra && n % 2 == 1) CHECK(e.len > 0);
        if (l->wire_separated) /* e1 FF e2 FF ... en */
            walked += (n > 0) + e.len;
        else /* varint length, bytes */
            walked += sc_varint_size(e.len) + e.len;
        n++;
    }
    CHECK(walked == l->wire_size); /* a decoded list is walked to its very end */
    if (l->wire_separated) CHECK(n >= 1);
    CHECK(!artpack_list_next(&it, &e));
    CHECK(artpack_list_count(l) == n);
    if (is_extra) CHECK(n % 2 == 0);
}

static int absent(const artpack_article *a) {
    return a->id.ptr == NULL && a->url.ptr == NULL && a->source.ptr == NULL &&
           a->date.kind == ARTPACK_ABSENT && a->published.kind == ARTPACK_ABSENT &&
           a->title.ptr == NULL && a->author.ptr == NULL && !a->authors.present &&
           a->summary.ptr == NULL && a->dateline.ptr == NULL && !a->body.present &&
           a->language.ptr == NULL && !a->tags.present && !a->extra.present;
}

static void check_dates(const artpack_article *a) {
    char *buf;
    size_t n = 0, cap;
    artpack_error e;

    if (a->date.kind == ARTPACK_NUMBER) {
        artpack_date back;
        buf = (char *)malloc(ARTPACK_DATE_TEXT_MAX); /* exact: ASan sees overruns */
        CHECK(buf != NULL);
        e = artpack_date_format(buf, ARTPACK_DATE_TEXT_MAX, &a->date, &n);
        CHECK(e == ARTPACK_OK && n == 10 && buf[n] == '\0');
        CHECK(artpack_date_parse(&back, buf, n) == ARTPACK_OK);
        CHECK(back.kind == ARTPACK_NUMBER && back.days == a->date.days);
        CHECK(artpack_date_format(buf, ARTPACK_DATE_TEXT_MAX - 1, &a->date, &n) ==
              ARTPACK_E_DST_TOO_SMALL);
        free(buf);
    } else if (a->date.kind == ARTPACK_TEXT) {
        artpack_date back;
        cap = a->date.text.len + 1;
        buf = (char *)malloc(cap);
        CHECK(buf != NULL);
        e = artpack_date_format(buf, cap, &a->date, &n);
        CHECK(e == ARTPACK_OK && n == a->date.text.len && buf[n] == '\0');
        CHECK(n == 0 || memcmp(buf, a->date.text.ptr, n) == 0);
        CHECK(artpack_date_parse(&back, buf, n) == ARTPACK_OK && back.kind == ARTPACK_TEXT);
        CHECK(artpack_date_format(buf, cap - 1, &a->date, &n) == ARTPACK_E_DST_TOO_SMALL);
        free(buf);
    }

    if (a->published.kind == ARTPACK_NUMBER) {
        artpack_timestamp back;
        const artpack_timestamp *t = &a->published;
        buf = (char *)malloc(ARTPACK_TIMESTAMP_TEXT_MAX);
        CHECK(buf != NULL);
        e = artpack_timestamp_format(buf, ARTPACK_TIMESTAMP_TEXT_MAX, t, &n);
        CHECK(e == ARTPACK_OK && n < ARTPACK_TIMESTAMP_TEXT_MAX && buf[n] == '\0');
        CHECK(strlen(buf) == n);
        CHECK(artpack_timestamp_parse(&back, buf, n) == ARTPACK_OK);
        CHECK(back.kind == ARTPACK_NUMBER && back.seconds == t->seconds &&
              back.fraction == t->fraction && back.fraction_digits == t->fraction_digits &&
              back.zone == t->zone && back.offset_minutes == t->offset_minutes);
        CHECK(artpack_timestamp_format(buf, ARTPACK_TIMESTAMP_TEXT_MAX - 1, t, &n) ==
              ARTPACK_E_DST_TOO_SMALL);
        free(buf);
    } else if (a->published.kind == ARTPACK_TEXT) {
        artpack_timestamp back;
        cap = a->published.text.len + 1;
        buf = (char *)malloc(cap);
        CHECK(buf != NULL);
        e = artpack_timestamp_format(buf, cap, &a->published, &n);
        CHECK(e == ARTPACK_OK && n == a->published.text.len && buf[n] == '\0');
        CHECK(n == 0 || memcmp(buf, a->published.text.ptr, n) == 0);
        CHECK(artpack_timestamp_parse(&back, buf, n) == ARTPACK_OK &&
              back.kind == ARTPACK_TEXT);
        CHECK(artpack_timestamp_format(buf, cap - 1, &a->published, &n) ==
              ARTPACK_E_DST_TOO_SMALL);
        free(buf);
    }
}

/* Reads a varint of a record already known to be valid. */
static size_t rd_varint(const unsigned char *p, size_t n, uint64_t *v) {
    size_t k = artpack_varint_read(v, p, n);
    CHECK(k != 0);
    return k;
}

static int known_tag(uint64_t tag) {
    size_t i;
    for (i = 0; i < artpack_schema_count(); i++)
        if (artpack_schema_field(i)->tag == tag) return 1;
    return 0;
}

/* The input without the fields of unknown tags: what decode + encode must
 * give back. Returns its size (written to out, at most size bytes). */
static size_t strip_unknown(const unsigned char *in, size_t size, unsigned char *out) {
    size_t pos = 0, o = 0;
    for (;;) {
        size_t start = pos;
        uint64_t key, len;
        unsigned wt;
        CHECK(pos < size);
        pos += rd_varint(in + pos, size - pos, &key);
        if (key == AP_KEY_END) break;
        wt = (unsigned)(key & ((1u << AP_WT_BITS) - 1));
        if (wt == AP_WT_VARINT) {
            pos += rd_varint(in + pos, size - pos, &len);
        } else if (wt == AP_WT_TEXT || wt == AP_WT_TEXTLIST) {
            const unsigned char *end =
                (const unsigned char *)memchr(in + pos, AP_TEXT_END, size - pos);
            CHECK(end != NULL);
            pos = (size_t)(end - in) + 1;
        } else {
            CHECK(wt == AP_WT_BYTES || wt == AP_WT_LIST || wt == AP_WT_PACKED);
            pos += rd_varint(in + pos, size - pos, &len);
            CHECK(len <= size - pos);
            pos += (size_t)len;
        }
        if (known_tag(key >> AP_WT_BITS)) {
            memcpy(out + o, in + start, pos - start);
            o += pos - start;
        }
    }
    CHECK(pos == size);
    out[o++] = AP_KEY_END;
    return o;
}

/* The view through `artpack decode`'s JSON writer, and back. */
static void check_json(const artpack_article *a) {
    ap_buf j1 = {NULL, 0, 0}, j2 = {NULL, 0, 0}, j3 = {NULL, 0, 0};
    char err[256];
    unsigned char *r2, *r3;
    size_t n2, n3;

    err[0] = '\0';
    if (ap_json_write_article(&j1, a, err, sizeof err) != 0) {
        CHECK(j1.len == 0); /* nothing left behind */
        CHECK(err[0] != '\0' && strlen(err) < sizeof err);
        ap_buf_free(&j1);
        return;
    }
    CHECK(j1.len >= 3 && j1.data[0] == '{' && j1.data[j1.len - 1] == '\n');
    CHECK(memchr(j1.data, '\n', j1.len) == j1.data + j1.len - 1); /* one line */
    /* the reader takes what the writer wrote; from then on it is stable */
    r2 = fz_json_to_record(j1.data, j1.len, &n2);
    fz_record_to_json(r2, n2, &j2);
    r3 = fz_json_to_record(j2.data, j2.len, &n3);
    CHECK(n2 == n3 && memcmp(r2, r3, n2) == 0);
    fz_record_to_json(r3, n3, &j3);
    CHECK(j2.len == j3.len && memcmp(j2.data, j3.data, j2.len) == 0);
    free(r2);
    free(r3);
    ap_buf_free(&j1);
    ap_buf_free(&j2);
    ap_buf_free(&j3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    artpack_article a, b;
    artpack_error ev, ed;
    size_t off_v = (size_t)-1, off_d = (size_t)-2;
    unsigned char *enc, *enc2, *expect;
    size_t n, n2, nexp, cap;

    g_lo = data;
    g_hi = data + size;

    ev = artpack_record_validate(data, size, &off_v);
    memset(&a, 0xA5, sizeof a); /* decode must initialise everything */
    ed = artpack_record_decode(&a, data, size, &off_d);
    CHECK(ev == ed);
    if (ed != ARTPACK_OK) {
        CHECK(off_v == off_d && off_d <= size);
        CHECK(absent(&a));
        CHECK(artpack_error_name(ed) != NULL && artpack_error_message(ed) != NULL);
        CHECK(strcmp(artpack_error_name(ed), "ARTPACK_E_UNKNOWN") != 0);
        CHECK(ed >= 64 && ed <= 127); /* a decoding error, not an argument error */
        return 0;
    }
    CHECK(size >= 1 && data[size - 1] == 0);

    /* every view points into the input */
    check_str(&a.id);
    check_str(&a.url);
    check_str(&a.source);
    check_str(&a.title);
    check_str(&a.author);
    check_str(&a.summary);
    check_str(&a.dateline);
    check_str(&a.language);
    if (a.date.kind == ARTPACK_TEXT) check_str(&a.date.text);
    else CHECK(a.date.kind == ARTPACK_ABSENT || a.date.kind == ARTPACK_NUMBER);
    if (a.published.kind == ARTPACK_TEXT) check_str(&a.published.text);
    else CHECK(a.published.kind == ARTPACK_ABSENT || a.published.kind == ARTPACK_NUMBER);
    check_list(&a.authors, 0);
    check_list(&a.body, 0);
    check_list(&a.tags, 0);
    check_list(&a.extra, 1);
    check_dates(&a);

    /* size == encode; decode then encode gives back the known fields */
    enc = fz_encode_exact(&a, &n);
    expect = (unsigned char *)malloc(size);
    CHECK(expect != NULL);
    nexp = strip_unknown(data, size, expect);
    CHECK(n == nexp && memcmp(enc, expect, n) == 0);
    free(expect);

    /* idempotence */
    CHECK(artpack_record_validate(enc, n, NULL) == ARTPACK_OK);
    CHECK(artpack_record_decode(&b, enc, n, NULL) == ARTPACK_OK);
    enc2 = fz_encode_exact(&b, &n2);
    CHECK(n == n2 && memcmp(enc, enc2, n) == 0);
    free(enc2);

    /* every smaller capacity is refused, without writing past it */
    if (n < 64) {
        for (cap = 0; cap < n; cap++) {
            unsigned char *small = cap ? (unsigned char *)malloc(cap) : NULL;
            size_t w = 12345;
            CHECK(cap == 0 || small != NULL);
            CHECK(artpack_record_encode(small, cap, &a, &w) == ARTPACK_E_DST_TOO_SMALL);
            CHECK(w == 12345);
            free(small);
        }
    }
    free(enc);

    check_json(&a);
    return 0;
}
