/* backend_lz4.c - the LZ4 decoder back-end (backend.h): raw LZ4 blocks, with
 * the dictionary's last 64 KB as their prefix. ARTPACK_NO_LZ4 leaves it out;
 * ARTPACK_LZ4_ONE_DECODER decodes every payload through one LZ4 entry point
 * (LZ4_decompress_safe_forceExtDict) instead of the four that
 * LZ4_decompress_safe_usingDict dispatches to (1.9 KB less code). */
#include "backend.h"

#if AP_HAS_LZ4
#include <lz4.h>
#ifdef ARTPACK_LZ4_ONE_DECODER
/* defined by lz4.c (compiled with the program), not declared by lz4.h */
#ifdef __cplusplus
extern "C"
#endif
int LZ4_decompress_safe_forceExtDict(const char *source, char *dest, int compressedSize,
                                     int maxOutputSize, const void *dictStart, size_t dictSize);
#endif
#endif

#define AP_LZ4_DICT_MAX ((size_t)64 * 1024)

void ap_lz4_prefix(const artpack_dict *d, const char **p, int *n) {
    size_t len = d->size < AP_LZ4_DICT_MAX ? d->size : AP_LZ4_DICT_MAX;
    *p = (const char *)d->data + (d->size - len);
    *n = (int)len;
}

artpack_error ap_lz4_decode(void *dst, size_t size, const void *src, size_t src_size,
                            const artpack_dict *dict) {
#if !AP_HAS_LZ4
    (void)dst, (void)size, (void)src, (void)src_size, (void)dict;
    return ARTPACK_E_CODEC_UNAVAILABLE;
#else
    int r;
    AP_RETURN_IF(src_size > 0x7FFFFFFF || size > 0x7FFFFFFF, ARTPACK_E_CORRUPT);
#ifdef ARTPACK_LZ4_ONE_DECODER
    {
        const char *pre = (const char *)dst; /* no dictionary: an empty one */
        int plen = 0;
        if (dict != NULL) ap_lz4_prefix(dict, &pre, &plen);
        r = LZ4_decompress_safe_forceExtDict((const char *)src, (char *)dst, (int)src_size,
                                             (int)size, pre, (size_t)plen);
    }
#else
    if (dict != NULL) {
        const char *pre;
        int plen;
        ap_lz4_prefix(dict, &pre, &plen);
        r = LZ4_decompress_safe_usingDict((const char *)src, (char *)dst, (int)src_size,
                                          (int)size, pre, plen);
    } else {
        r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)src_size, (int)size);
    }
#endif
    AP_RETURN_IF(r < 0 || (size_t)r != size, ARTPACK_E_CORRUPT);
    return ARTPACK_OK;
#endif
}
