/* error.c - version, error names and messages. */
#include "internal.h"

unsigned artpack_version_number(void) { return ARTPACK_VERSION_NUMBER; }
const char *artpack_version_string(void) { return ARTPACK_VERSION_STRING; }

typedef struct ap_error_text {
    artpack_error code;
    const char *name;
    const char *message;
} ap_error_text;

/* from the one list of artpack.h */
#define AP_E(code, number, message) {code, #code, message},
static const ap_error_text ap_errors[] = {ARTPACK_ERROR_LIST(AP_E)};
#undef AP_E

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
