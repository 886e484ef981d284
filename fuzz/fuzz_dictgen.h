/* fuzz_dictgen.h - a small dictionary made in-process, deterministically,
 * from synthetic articles (never from ../shared): what the frame and
 * dictionary targets compress and decompress with. */
#ifndef ARTPACK_FUZZ_DICTGEN_H
#define ARTPACK_FUZZ_DICTGEN_H

#include "fuzz_common.h"

#define FZ_DICT_SIZE 8192

/* The synthetic articles as records laid end to end (made once): *sizes
 * gets their sizes; returns the records. Also what fuzz_cm's model is
 * trained on. */
#define FZ_SAMPLES 200
static inline const unsigned char *fz_samples(const size_t **sizes) {
    static unsigned char samples[FZ_SAMPLES * 1200];
    static size_t sz[FZ_SAMPLES];
    static int ready;
    static const char *const words[] = {"the", "minister", "said", "on", "Tuesday", "prices",
                                        "of", "oil", "rose", "percent", "in", "trading",
                                        "shares", "company", "government", "officials",
                                        "market", "bank", "billion", "year", "growth"};
    if (!ready) {
        size_t used = 0, i, n = 0;
        uint32_t x = 2463534242u;
        for (i = 0; i < FZ_SAMPLES; i++) {
            char text[1000];
            size_t len = 0;
            artpack_article a;
            artpack_str body;
            while (len + 16 < 200 + (x % 700)) {
                const char *w;
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                w = words[x % (sizeof words / sizeof words[0])];
                memcpy(text + len, w, strlen(w));
                len += strlen(w);
                text[len++] = ' ';
            }
            artpack_article_init(&a);
            a.source.ptr = "Wire";
            a.source.len = 4;
            body.ptr = text;
            body.len = len;
            a.body.present = 1;
            a.body.items = &body;
            a.body.count = 1;
            CHECK(artpack_record_encode(samples + used, sizeof samples - used, &a, &n) ==
                  ARTPACK_OK);
            sz[i] = n;
            used += n;
        }
        ready = 1;
    }
    *sizes = sz;
    return samples;
}

/* Returns the dictionary (trained once, then cached). */
static inline const artpack_dict *fz_dict(void) {
    static unsigned char dict[FZ_DICT_SIZE];
    static artpack_dict d;
    static int ready;
    if (!ready) {
        const size_t *sizes;
        const unsigned char *samples = fz_samples(&sizes);
        size_t n = 0;
        artpack_train_params p;
        memset(&p, 0, sizeof p);
        p.dict_size = FZ_DICT_SIZE;
        p.level = 3;
        p.words = ARTPACK_DICT_WORDS_MAX; /* a word list: the targets use the transform */
        CHECK(artpack_dict_train(dict, sizeof dict, samples, sizes, FZ_SAMPLES, &p, &n) ==
              ARTPACK_OK);
        CHECK(artpack_dict_load(&d, dict, n) == ARTPACK_OK);
        CHECK(d.words != NULL);
        ready = 1;
    }
    return &d;
}

/* The CM model of the targets and seeds: level 1, at most 1 KB, trained
 * once on the synthetic articles (priming it takes well under 1 ms). */
static inline const artpack_dict *fz_cm_model(void) {
    static unsigned char model[1024];
    static artpack_dict d;
    static int ready;
    if (!ready) {
        const size_t *sizes;
        const unsigned char *samples = fz_samples(&sizes);
        artpack_train_params p;
        size_t n = 0;
        memset(&p, 0, sizeof p);
        p.dict_size = sizeof model;
        p.level = 1;
        CHECK(artpack_cm_train(model, sizeof model, samples, sizes, FZ_SAMPLES, &p, &n) ==
              ARTPACK_OK);
        CHECK(artpack_dict_load(&d, model, n) == ARTPACK_OK);
        ready = 1;
    }
    return &d;
}

#endif
