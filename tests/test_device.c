/* test_device.c - the device build's variants of the codec, checked on the
 * host against the normal build:
 *  - ARTPACK_NO_CANONICAL_CHECKS (codec/record.c): the structure-only record
 *    decoder accepts every record the full decoder accepts, with the same
 *    view; refuses what the full decoder refuses for a structural reason,
 *    with the same error at the same offset; and differs only on records
 *    that are well formed but not canonical;
 *  - the decoder's name-free tag table agrees with the schema;
 *  - ARTPACK_XXH32_COMPACT (codec/checksum.c): the same hashes as
 *    xxhash.h's XXH32, one-shot and streamed in any pieces.
 * Both files are built a second time, with the options, under other names
 * (dev_*: see below); the library linked in is the normal build. */
#include "test_util.h"

#include <dirent.h>
#include <sys/stat.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../codec/internal.h"

/* The device variants: codec/record.c and codec/checksum.c compiled with the
 * device options and every symbol they define renamed dev_<name> (Makefile:
 * DEVICE_VARIANT_OBJ, objcopy --redefine-syms from nm's list), so a new
 * function in either file needs nothing here. The ones these tests call: */
void dev_artpack_list_begin(artpack_list_iter *it, const artpack_list *list);
int dev_artpack_list_next(artpack_list_iter *it, artpack_str *out);
artpack_error dev_artpack_record_decode(artpack_article *dst, const void *src, size_t src_size,
                                        size_t *error_offset);
artpack_error dev_artpack_record_validate(const void *src, size_t src_size, size_t *error_offset);
uint32_t dev_ap_xxh32(const void *p, size_t n);
void dev_ap_xxh32_reset(ap_xxh32_state *s);
void dev_ap_xxh32_update(ap_xxh32_state *s, const void *p, size_t n);
uint32_t dev_ap_xxh32_digest(const ap_xxh32_state *s);
/* Each declaration has the type of the function it renames (a comparison of
 * function pointers of different types does not compile under -Werror). */
#define DEV_SAME_TYPE(f) ((void)sizeof(dev_##f == f))

#ifndef FUZZ_DIR
#define FUZZ_DIR "fuzz"
#endif

/* ---- the structure-only decoder ---- */

static int is_canonical_error(artpack_error e) {
    return e == ARTPACK_E_NONCANONICAL || e == ARTPACK_E_EXTRA || e == ARTPACK_E_DUPLICATE_KEY;
}

static long n_same_ok, n_same_error, n_lean_only;

/* Walks every list of a decoded view to its end (for ASan/valgrind). */
static void walk_lists(const artpack_article *a) {
    const artpack_list *lists[] = {&a->authors, &a->body, &a->tags, &a->extra};
    size_t i;
    for (i = 0; i < TU_COUNT(lists); i++) {
        artpack_list_iter it;
        artpack_str s;
        size_t n = 0;
        dev_artpack_list_begin(&it, lists[i]);
        while (dev_artpack_list_next(&it, &s)) {
            assert_true(s.ptr >= (const char *)lists[i]->wire &&
                        s.ptr + s.len <= (const char *)lists[i]->wire + lists[i]->wire_size);
            n++;
        }
        assert_int_equal(n, artpack_list_count(lists[i]));
    }
}

/* The properties of the file comment, for one record (a heap copy of exactly
 * n bytes, so that ASan sees any read past it). */
static void compare_decoders(const unsigned char *bytes, size_t n) {
    unsigned char *rec = tu_dup(bytes, n ? n : 1);
    artpack_article full, lean;
    size_t full_off = 11, lean_off = 22, val_off = 33;
    artpack_error ef = artpack_record_decode(&full, rec, n, &full_off);
    artpack_error el = dev_artpack_record_decode(&lean, rec, n, &lean_off);
    assert_ap_error(dev_artpack_record_validate(rec, n, &val_off), el);
    if (ef == ARTPACK_OK) {
        assert_ap_ok(el);
        assert_memory_equal(&full, &lean, sizeof full);
        walk_lists(&lean);
        n_same_ok++;
    } else if (el == ARTPACK_OK) {
        if (!is_canonical_error(ef)) {
            print_error("full decoder: %s at %lu, lean decoder: OK\n", artpack_error_name(ef),
                        (unsigned long)full_off);
            fail();
        }
        walk_lists(&lean);
        n_lean_only++;
    } else {
        if (!is_canonical_error(ef)) {
            assert_ap_error(el, ef);
            assert_int_equal(lean_off, full_off);
        }
        assert_int_equal(val_off, lean_off);
        assert_true(article_is_absent(&lean));
        n_same_error++;
    }
    free(rec);
}

static unsigned char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    unsigned char *p;
    long size;
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = (unsigned char *)tu_malloc((size_t)size + 1);
    *n = fread(p, 1, (size_t)size, f);
    fclose(f);
    return p;
}

/* Every record of the record fuzz target's corpus and regressions (valid
 * ones from the fixtures and thousands of malformed ones), each also cut at
 * every length and damaged at random. */
static void test_lean_decoder_against_full(void **state) {
    static const char *const dirs[] = {FUZZ_DIR "/corpus/record", FUZZ_DIR "/regressions/record"};
    tu_rng rng = {UINT64_C(0xDE71CE)};
    size_t d, files = 0;
    (void)state;
    for (d = 0; d < TU_COUNT(dirs); d++) {
        DIR *dir = opendir(dirs[d]);
        struct dirent *e;
        assert_non_null(dir);
        while ((e = readdir(dir)) != NULL) {
            char path[4096];
            unsigned char *rec;
            size_t n = 0, cut, k;
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
            rec = read_file(path, &n);
            assert_non_null(rec);
            files++;
            compare_decoders(rec, n);
            for (cut = 0; cut < n && cut < 400; cut++) compare_decoders(rec, cut);
            for (k = 0; k < 40 && n > 0; k++) {
                unsigned char *bad = tu_dup(rec, n);
                bad[tu_below(&rng, n)] = (unsigned char)tu_rand64(&rng);
                if (tu_below(&rng, 2)) bad[tu_below(&rng, n)] ^= (unsigned char)(1u << tu_below(&rng, 8));
                compare_decoders(bad, n);
                free(bad);
            }
            free(rec);
        }
        closedir(dir);
    }
    print_message("records: %lu files; same view %ld, same refusal %ld, accepted only by the "
                  "structure-only decoder %ld\n",
                  (unsigned long)files, n_same_ok, n_same_error, n_lean_only);
    assert_true(files >= 100);
    assert_true(n_same_ok >= 100);
    assert_true(n_same_error >= 1000);
}

#define RECORD(...)                                                                        \
    (const unsigned char[]){__VA_ARGS__}, sizeof((const unsigned char[]){__VA_ARGS__})

/* Well-formed records that are not canonical: the full decoder refuses them,
 * the structure-only one gives the view they spell. */
static void test_lean_decoder_accepts_noncanonical(void **state) {
    const struct {
        const unsigned char *bytes;
        size_t n;
        artpack_error full;
    } cases[] = {
        /* TEXT date that should have been a number */
        {RECORD(0x24, '2', '0', '2', '0', '-', '0', '1', '-', '0', '1', 0xFE, 0x00),
         ARTPACK_E_NONCANONICAL},
        /* BYTES without a 0xFE */
        {RECORD(0x09, 0x01, 'a', 0x00), ARTPACK_E_NONCANONICAL},
        /* a LIST that could have been a TEXTLIST */
        {RECORD(0x6A, 0x02, 0x01, 'a', 0x00), ARTPACK_E_NONCANONICAL},
        /* extra keys out of order */
        {RECORD(0x7D, 'b', 0xFF, '1', 0xFF, 'a', 0xFF, '2', 0xFE, 0x00), ARTPACK_E_EXTRA},
        /* an extra key naming a present typed field */
        {RECORD(0x0C, 'x', 0xFE, 0x7D, 'i', 'd', 0xFF, '1', 0xFE, 0x00),
         ARTPACK_E_DUPLICATE_KEY},
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(cases); i++) {
        artpack_article a;
        size_t off = 0;
        assert_ap_error(artpack_record_decode(&a, cases[i].bytes, cases[i].n, &off), cases[i].full);
        assert_ap_ok(dev_artpack_record_decode(&a, cases[i].bytes, cases[i].n, &off));
        compare_decoders(cases[i].bytes, cases[i].n);
    }
    {
        artpack_article a;
        artpack_list_iter it;
        artpack_str s;
        assert_ap_ok(dev_artpack_record_decode(&a, cases[0].bytes, cases[0].n, NULL));
        assert_int_equal(a.date.kind, ARTPACK_TEXT);
        assert_int_equal(a.date.text.len, 10);
        assert_memory_equal(a.date.text.ptr, "2020-01-01", 10);
        assert_ap_ok(dev_artpack_record_decode(&a, cases[2].bytes, cases[2].n, NULL));
        dev_artpack_list_begin(&it, &a.tags);
        assert_true(dev_artpack_list_next(&it, &s));
        assert_int_equal(s.len, 1);
        assert_false(dev_artpack_list_next(&it, &s));
    }
    /* what stays refused: an odd extra list, no pair at all */
    {
        artpack_article a;
        size_t off = 99;
        assert_ap_error(dev_artpack_record_decode(&a, RECORD(0x7D, 'k', 0xFE, 0x00), &off), ARTPACK_E_EXTRA);
        assert_int_equal(off, 0);
        assert_ap_error(dev_artpack_record_decode(&a, RECORD(0x7A, 0x00, 0x00), &off), ARTPACK_E_EXTRA);
        assert_ap_error(dev_artpack_record_decode(&a, RECORD(0x2B, 0x02, 0x5A, 0x00, 0x00), &off),
                        ARTPACK_E_TIMESTAMP); /* head 0x5A: zone 5 */
        assert_ap_error(dev_artpack_record_decode(&a, RECORD(0x2B, 0x03, 0x01, 0x00, 0x0A, 0x00), &off),
                        ARTPACK_E_TIMESTAMP); /* fraction 10 in 1 digit */
    }
}

/* ---- the decoder's tag table (schema.c's ap_by_tag) ---- */

/* ap_schema_by_tag is a second table of the fields, without their names, so
 * that a decode-only image links no names: it must say what ap_fields says. */
static void test_schema_by_tag(void **state) {
    uint64_t tag;
    size_t i, found = 0;
    (void)state;
    for (tag = 0; tag < 40; tag++) {
        const ap_tag_field *t = ap_schema_by_tag(tag);
        const artpack_field_info *f = NULL;
        for (i = 0; i < artpack_schema_count(); i++)
            if (artpack_schema_field(i)->tag == tag) f = artpack_schema_field(i);
        if (f == NULL) {
            assert_null(t);
            continue;
        }
        assert_non_null(t);
        assert_int_equal(t->offset, f->offset);
        assert_int_equal(t->kind, f->kind);
        found++;
    }
    assert_int_equal(found, artpack_schema_count());
    assert_null(ap_schema_by_tag(UINT64_MAX));
}

/* ---- the compact XXH32 ---- */

static uint32_t dev_hash_pieces(const unsigned char *p, size_t n, tu_rng *rng) {
    ap_xxh32_state s;
    dev_ap_xxh32_reset(&s);
    while (n > 0) {
        size_t take = (size_t)tu_below(rng, 40);
        if (take > n) take = n;
        dev_ap_xxh32_update(&s, p, take);
        p += take;
        n -= take;
    }
    return dev_ap_xxh32_digest(&s);
}

static void test_xxh32_compact(void **state) {
    static unsigned char buf[5000];
    tu_rng rng = {UINT64_C(0x58584836)};
    size_t i, n, off;
    (void)state;
    for (i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)tu_rand64(&rng);
    /* the published empty-input value, so that both are not wrong together */
    assert_int_equal(dev_ap_xxh32("", 0), 0x02CC5D05u);
    for (n = 0; n <= 1100; n++) {
        off = (size_t)tu_below(&rng, 8);
        assert_int_equal(dev_ap_xxh32(buf + off, n), XXH32(buf + off, n, 0));
        assert_int_equal(dev_hash_pieces(buf + off, n, &rng), XXH32(buf + off, n, 0));
    }
    for (i = 0; i < 200; i++) {
        n = (size_t)tu_below(&rng, sizeof buf);
        off = (size_t)tu_below(&rng, sizeof buf - n + 1);
        assert_int_equal(dev_hash_pieces(buf + off, n, &rng), XXH32(buf + off, n, 0));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lean_decoder_against_full),
        cmocka_unit_test(test_lean_decoder_accepts_noncanonical),
        cmocka_unit_test(test_schema_by_tag),
        cmocka_unit_test(test_xxh32_compact),
    };
    DEV_SAME_TYPE(artpack_list_begin);
    DEV_SAME_TYPE(artpack_list_next);
    DEV_SAME_TYPE(artpack_record_decode);
    DEV_SAME_TYPE(artpack_record_validate);
    DEV_SAME_TYPE(ap_xxh32);
    DEV_SAME_TYPE(ap_xxh32_reset);
    DEV_SAME_TYPE(ap_xxh32_update);
    DEV_SAME_TYPE(ap_xxh32_digest);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
