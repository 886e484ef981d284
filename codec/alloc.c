/* alloc.c - the default allocator (malloc/free), the library's only use of
 * them. Built out with -DARTPACK_NO_ALLOC: then a NULL allocator is refused. */
#include "internal.h"

#ifndef ARTPACK_NO_ALLOC
#include <stdlib.h>

static void *ap_default_alloc(void *opaque, size_t size) {
    (void)opaque;
    return malloc(size);
}
static void ap_default_free(void *opaque, void *address) {
    (void)opaque;
    free(address);
}
static const artpack_allocator ap_default_allocator = {ap_default_alloc, ap_default_free, NULL};

const artpack_allocator *ap_allocator_or_default(const artpack_allocator *a) {
    return a != NULL ? a : &ap_default_allocator;
}
#else
const artpack_allocator *ap_allocator_or_default(const artpack_allocator *a) { return a; }
#endif
