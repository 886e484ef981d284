/* cm_train.c - artpack_cm_train: a CM model from sample records (host side;
 * docs/FORMAT.md "CM model"). */
#include <string.h>

#include "cm.h"

#ifndef ARTPACK_NO_ALLOC
artpack_error artpack_cm_train(void *dst, size_t dst_capacity, const void *samples,
                               const size_t *sample_sizes, unsigned count,
                               const artpack_train_params *params, size_t *written) {
    const artpack_allocator *mem = ap_allocator_or_default(NULL);
    unsigned char *out = (unsigned char *)dst;
    size_t size, *ends, k = 0, total = 0, fit = 0, n = 0, i;
    artpack_error e;
    int level;
    void *ws = NULL;
    ap_cm *m;
    AP_RETURN_IF(dst == NULL || (samples == NULL && count) || (sample_sizes == NULL && count) ||
                     written == NULL,
                 ARTPACK_E_NULL_ARG);
    size = params != NULL && params->dict_size ? params->dict_size : ARTPACK_DICT_SIZE_DEFAULT;
    level = params != NULL && params->level ? params->level : AP_CM_LEVEL_DEFAULT;
    AP_RETURN_IF(size < AP_CM_MODEL_HEADER + 44 || size > ARTPACK_DICT_SIZE_MAX, ARTPACK_E_PARAM);
    AP_RETURN_IF(level < AP_CM_LEVEL_MIN || level > AP_CM_LEVEL_MAX, ARTPACK_E_PARAM);
    AP_RETURN_IF(dst_capacity < size, ARTPACK_E_DST_TOO_SMALL);
    AP_RETURN_IF(mem == NULL, ARTPACK_E_ALLOC);
    /* the records in order, as many as the priming text holds */
    ends = (size_t *)mem->alloc(mem->opaque, (count ? count : 1) * sizeof *ends);
    AP_RETURN_IF(ends == NULL, ARTPACK_E_ALLOC);
    for (i = 0; i < count && total + sample_sizes[i] <= AP_CM_PRIME_MAX; i++) {
        total += sample_sizes[i];
        ends[k++] = total;
    }
    e = k == 0 ? ARTPACK_E_MODEL_TRAIN : ARTPACK_OK;
    if (e == ARTPACK_OK) {
        ws = mem->alloc(mem->opaque, ap_cm_workspace_size(level) + 8);
        e = ws == NULL ? ARTPACK_E_ALLOC : ARTPACK_OK;
    }
    if (e == ARTPACK_OK)
        e = ap_cm_init(&m, (unsigned char *)ws + ((8 - ((size_t)ws & 7u)) & 7u),
                       ap_cm_workspace_size(level), level);
    if (e == ARTPACK_OK)
        e = ap_cm_train(m, out + AP_CM_MODEL_HEADER, dst_capacity - AP_CM_MODEL_HEADER,
                        (const unsigned char *)samples, ends, k, size - AP_CM_MODEL_HEADER, &fit,
                        &n);
    if (e == ARTPACK_OK && fit == 0) e = ARTPACK_E_MODEL_TRAIN;
    if (e == ARTPACK_OK) {
        uint32_t id;
        ap_write_le32(out, AP_CM_MODEL_MAGIC);
        out[8] = AP_CM_MODEL_VERSION;
        out[9] = (unsigned char)level;
        out[10] = out[11] = 0;
        ap_write_le32(out + 12, (uint32_t)ends[fit - 1]);
        ap_write_le32(out + 16, ap_xxh32(samples, ends[fit - 1]));
        id = ap_xxh32(out + 8, AP_CM_MODEL_HEADER - 8 + n);
        ap_write_le32(out + 4, id ? id : 1);
        *written = AP_CM_MODEL_HEADER + n;
    }
    if (ws) mem->free(mem->opaque, ws);
    mem->free(mem->opaque, ends);
    return e;
}
#endif
