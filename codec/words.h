/* words.h - the word transform (docs/FORMAT.md "Word transform"): frequent
 * ASCII words of a record replaced by one- or two-byte codes made of bytes
 * that never occur in UTF-8, before zstd or LZ4; undone after. The word list
 * lives inside the dictionary (its zstd content, found through a 16-byte
 * trailer at the dictionary's end). Internal to codec/. */
#ifndef ARTPACK_WORDS_H
#define ARTPACK_WORDS_H

#include "internal.h"

#define AP_WORDS_MAX 2035u      /* 3 one-byte codes + 8 prefixes x 254 */
#define AP_WORDS_ONE_BYTE 3u    /* words 0..2: codes C0, C1, F5 */
#define AP_WORD_LEN_MIN 2u
#define AP_WORD_LEN_MAX 32u
#define AP_WORDS_GROUP 16u      /* one offset per 16 words */
/* The list's version byte: 1, letters only; 2, a token may also be one
 * space and then letters (written only when one is). Readers take both. */
#define AP_WORDS_VERSION_LETTERS 1u
#define AP_WORDS_VERSION 2u
#define AP_WORDS_TRAILER 16u    /* distance, size, XXH32, magic */
#define AP_WORDS_MAGIC 0x574B5041u /* "APKW" */
/* An input byte that must be escaped (a code byte): 11 of them. */
#define AP_WORDS_ESCAPES 11u

/* The longest transformed text of n bytes (every byte escaped), and the
 * largest expansion: one byte of code gives at most AP_WORD_LEN_MAX bytes. */
#define AP_WORDS_BOUND(n) ((size_t)(n) * 2u)

/* The word list of dictionary bytes d[0..size): *list, *list_size (NULL and 0
 * when the dictionary has no trailer). ARTPACK_E_DICT when the trailer is
 * there but the list is not sound (bounds, checksum, structure): everything
 * ap_words_expand relies on is checked here, once. */
artpack_error ap_words_find(const unsigned char *d, size_t size, const unsigned char **list,
                            size_t *list_size);

/* Undoes the transform in place: the tsize transformed bytes lie at
 * buf[size - tsize .. size); they expand into exactly buf[0 .. size), never
 * writing over a transformed byte not yet read. list: a list ap_words_find
 * accepted. ARTPACK_E_WORDS when the bytes are no transform of size bytes
 * (a bad code, a word past the list, an expansion overtaking its input, or
 * another size). Allocates nothing. */
artpack_error ap_words_expand(const unsigned char *list, unsigned char *buf, size_t size,
                              size_t tsize);

/* The transform of src[0..tsize) undone into dst[0..cap) (not in place: src
 * and dst do not overlap): *written bytes. tab: ap_words_table's for list,
 * or NULL (the list is walked, as ap_words_expand does; builds without the
 * table pass NULL). ARTPACK_E_WORDS when a code is bad, a prefix byte comes
 * last, or the expansion does not fit in cap. Allocates nothing. */
artpack_error ap_words_expand_to(const unsigned char *list, const unsigned char *tab,
                                 unsigned char *dst, size_t cap, const unsigned char *src,
                                 size_t tsize, size_t *written);

/* ---- the table-driven inverse: host builds (ARTPACK_WORDS_NO_TABLE leaves
 * it out: the device images, where ap_words_expand alone is smaller) ---- */
#ifdef ARTPACK_WORDS_NO_TABLE
#define AP_WORDS_TABLE 0
#else
#define AP_WORDS_TABLE 1
#endif
/* one 16-byte row per code byte and byte after it: 13 blocks of 256 rows,
 * block (b + 0B) & 0F for code byte b (F5 0, F6..FD 1..8, C0 11, C1 12;
 * 9 and 10 unused), a one-byte code's row repeated for every byte after
 * it (words.c) */
#define AP_WORDS_TABLE_ENTRIES 3328u
#define AP_WORDS_TABLE_SIZE (AP_WORDS_TABLE_ENTRIES * 16u)

#if AP_WORDS_TABLE
/* Fills tab (AP_WORDS_TABLE_SIZE bytes) for list, once. */
void ap_words_table(const unsigned char *list, unsigned char *tab);

/* ap_words_expand with tab (ap_words_table's for list): the same result for
 * every input (the same bytes in buf[0 .. size), or ARTPACK_E_WORDS), several
 * times faster. The tsize transformed bytes lie at buf[room - tsize .. room),
 * room >= size: room - size bytes after where ap_words_expand has them, which
 * the expansion may overwrite (with AP_WORDS_SLACK of them, every code takes
 * the fast path); the rule that the expansion never overtakes its input
 * stays ap_words_expand's. list must be one ap_words_find found: it reads up
 * to 16 bytes past a word, which the trailer after the list makes safe.
 * Allocates nothing. */
#define AP_WORDS_SLACK 32u
artpack_error ap_words_expand_table(const unsigned char *list, const unsigned char *tab,
                                    unsigned char *buf, size_t size, size_t room, size_t tsize);
#endif

#ifndef ARTPACK_NO_ALLOC
/* ---- encoder and training (words_enc.c) ---- */
typedef struct ap_words_enc ap_words_enc;

/* A lookup table for the list (ap_words_find's); freed by ap_words_enc_free. */
artpack_error ap_words_enc_create(ap_words_enc **out, const unsigned char *list,
                                  const artpack_allocator *mem);
void ap_words_enc_free(ap_words_enc *e);

/* Applies the transform to src[0..n) into dst (AP_WORDS_BOUND(n) bytes);
 * returns the transformed size. *in_place: 1 when ap_words_expand can undo it
 * in a buffer of n bytes (the transform never runs ahead of its input there:
 * false only when escaped bytes come late). */
size_t ap_words_apply(const ap_words_enc *e, unsigned char *dst, const unsigned char *src,
                      size_t n, int *in_place);

/* A zstd dictionary of exactly the trainer's making (dict.c), for a budget. */
artpack_error ap_zstd_train(void *dst, size_t dict_size, const void *samples,
                            const size_t *sample_sizes, unsigned count,
                            const artpack_train_params *p, int level, size_t *written);

/* artpack_dict_train with a word list (words_enc.c): learns the list and the
 * zstd dictionary within p->dict_size; p->words 0 chooses the list's length
 * by measurement on a held-out eighth of the samples. */
artpack_error ap_words_dict_train(void *dst, size_t dict_size, const void *samples,
                                  const size_t *sample_sizes, unsigned count,
                                  const artpack_train_params *p, int level, size_t *written);
#endif

#endif
