/* canonical_json.c - what an extra field's value must be: canonical JSON
 * text. The one checker of it (artpack.h, artpack_json_check_canonical): the
 * record encoder refuses any other value with ARTPACK_E_NONCANONICAL, so that
 * every record it writes can be printed, and so does the decoder (unless
 * ARTPACK_NO_CANONICAL_CHECKS), so that decoding then encoding gives back the
 * same bytes; the tools write extra values this way (tools/json_in.c) and
 * print a record's only when this checker accepts them (tools/json_out.c).
 * The rules:
 *  - no whitespace; the literals true, false, null;
 *  - numbers in JSON's grammar, at most AP_JSON_NUMBER_MAX characters (their
 *    text is kept as written: 1.50, 1E+400);
 *  - strings of valid UTF-8 whose only escapes are \" \\ \b \f \n \r \t and
 *    \u00xx (lower-case hex) for the other bytes below 0x20, which must be
 *    escaped; nothing else is;
 *  - object keys strictly ascending by their bytes once unescaped (so no
 *    repeated key);
 *  - values nested at most AP_JSON_DEPTH_MAX deep, counted as jansson (the
 *    tools' parser) counts: the value itself is depth 1, so a number inside
 *    2047 arrays is depth 2048.
 * Linear time; a stack of AP_JSON_DEPTH_MAX 32-bit words. */
#include <string.h>

#include "internal.h"

#define AP_JSON_DEPTH_MAX ARTPACK_JSON_DEPTH_MAX
#define AP_JSON_NUMBER_MAX ARTPACK_JSON_NUMBER_MAX
#define AP_JSON_OBJECT 0x80000000u

/* Length of the UTF-8 sequence at s[0..n) (first byte >= 0x80), or 0 when it
 * is not valid UTF-8 (overlong, surrogate, above U+10FFFF, cut short). */
static size_t ap_utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len, k;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

size_t artpack_utf8_valid_prefix(const void *src, size_t src_size) {
    const unsigned char *s = (const unsigned char *)src;
    size_t i = 0;
    if (s == NULL) return 0;
    while (i < src_size) {
        size_t len;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        len = ap_utf8_seq(s + i, src_size - i);
        if (len == 0) break;
        i += len;
    }
    return i;
}

static int ap_hex_lower(unsigned c) {
    return c >= '0' && c <= '9' ? (int)(c - '0') : c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10) : -1;
}

/* The end of the canonical string starting with the quote at s[i], or 0. */
static size_t ap_json_string_end(const unsigned char *s, size_t n, size_t i) {
    for (i++; i < n;) {
        unsigned c = s[i];
        if (c == '"') return i + 1;
        if (c < 0x20) return 0; /* must be escaped */
        if (c >= 0x80) {
            size_t len = ap_utf8_seq(s + i, n - i);
            if (len == 0) return 0;
            i += len;
            continue;
        }
        if (c != '\\') {
            i++;
            continue;
        }
        if (n - i < 2) return 0;
        c = s[i + 1];
        if (c == '"' || c == '\\' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
            i += 2;
            continue;
        }
        if (c != 'u' || n - i < 6 || s[i + 2] != '0' || s[i + 3] != '0' ||
            (s[i + 4] != '0' && s[i + 4] != '1') || ap_hex_lower(s[i + 5]) < 0)
            return 0;
        c = (unsigned)(ap_hex_lower(s[i + 4]) * 16 + ap_hex_lower(s[i + 5]));
        if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') return 0;
        i += 6;
    }
    return 0;
}

/* The next byte of a checked canonical string, unescaped, from s[*i] on;
 * -1 at its closing quote. */
static int ap_json_string_byte(const unsigned char *s, size_t *i) {
    unsigned c = s[*i];
    if (c == '"') return -1;
    if (c != '\\') {
        (*i)++;
        return (int)c;
    }
    c = s[*i + 1];
    *i += 2;
    switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'u':
        *i += 4;
        return ap_hex_lower(s[*i - 2]) * 16 + ap_hex_lower(s[*i - 1]);
    default: return (int)c; /* '"' or '\\' */
    }
}

/* Compares two checked canonical strings (a, b: just past their opening
 * quotes) by their unescaped bytes. */
static int ap_json_key_compare(const unsigned char *s, size_t a, size_t b) {
    for (;;) {
        int x = ap_json_string_byte(s, &a), y = ap_json_string_byte(s, &b);
        if (x != y) return x < y ? -1 : 1;
        if (x < 0) return 0;
    }
}

/* The end of the number starting at s[i], or 0. */
static size_t ap_json_number_end(const unsigned char *s, size_t n, size_t i) {
    size_t start = i, d;
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') {
        i++;
    } else {
        for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++) continue;
        if (i == d) return 0;
    }
    if (i < n && s[i] == '.') {
        for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++) continue;
        if (i == d) return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++) continue;
        if (i == d) return 0;
    }
    return i - start > AP_JSON_NUMBER_MAX ? 0 : i;
}

#if AP_FAST
/* 1 when s[0..n) (n >= 1) is one of the values most extra fields hold and
 * the full check below accepts: a number of digits only without a leading
 * zero, or an array of strings of printable ASCII without escapes ("[]",
 * "[\"usa\"]", "[\"a\",\"b\"]"). 0 tells nothing: the full check decides. */
static int ap_json_simple(const unsigned char *s, size_t n) {
    size_t i = 1;
    if (s[0] >= '1' && s[0] <= '9') {
        if (n > AP_JSON_NUMBER_MAX) return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        return i == n;
    }
    if (s[0] != '[' || n < 2) return n == 1 && s[0] == '0';
    if (n == 2) return s[1] == ']';
    for (;;) { /* at an element's opening quote */
        if (s[i] != '"') return 0;
        for (i++; i < n && s[i] != '"'; i++)
            if (s[i] < 0x20 || s[i] > 0x7E || s[i] == '\\') return 0;
        /* at its closing quote, or i == n: none */
        if (n - i < 3) return n - i == 2 && s[i + 1] == ']';
        if (s[i + 1] != ',') return 0;
        i += 2;
    }
}
#endif

/* The check of s[0..n), n <= ARTPACK_MAX_FIELD_SIZE (AP_NOINLINE: its
 * 8 KB stack frame is not set up for the values ap_json_simple accepts). */
static AP_NOINLINE artpack_error ap_json_check(const unsigned char *s, size_t n) {
    /* per open array or object: AP_JSON_OBJECT, and for an object the offset
     * + 1 of its last key's first byte (0: no key yet) */
    uint32_t stack[AP_JSON_DEPTH_MAX];
    size_t depth = 0, i = 0, end;
value: /* inside depth arrays and objects: jansson counts this value at depth + 1 */
    AP_RETURN_IF(i >= n || depth >= AP_JSON_DEPTH_MAX, ARTPACK_E_NONCANONICAL);
    switch (s[i]) {
    case '{':
    case '[':
        stack[depth++] = s[i] == '{' ? AP_JSON_OBJECT : 0;
        i++;
        if (i < n && s[i] == (stack[depth - 1] ? '}' : ']')) {
            i++;
            depth--;
            goto after;
        }
        if (stack[depth - 1]) goto key;
        goto value;
    case '"':
        i = ap_json_string_end(s, n, i);
        AP_RETURN_IF(i == 0, ARTPACK_E_NONCANONICAL);
        goto after;
    case 't':
        AP_RETURN_IF(n - i < 4 || memcmp(s + i, "true", 4) != 0, ARTPACK_E_NONCANONICAL);
        i += 4;
        goto after;
    case 'f':
        AP_RETURN_IF(n - i < 5 || memcmp(s + i, "false", 5) != 0, ARTPACK_E_NONCANONICAL);
        i += 5;
        goto after;
    case 'n':
        AP_RETURN_IF(n - i < 4 || memcmp(s + i, "null", 4) != 0, ARTPACK_E_NONCANONICAL);
        i += 4;
        goto after;
    default:
        i = ap_json_number_end(s, n, i);
        AP_RETURN_IF(i == 0, ARTPACK_E_NONCANONICAL);
        goto after;
    }
key:
    AP_RETURN_IF(i >= n || s[i] != '"', ARTPACK_E_NONCANONICAL);
    end = ap_json_string_end(s, n, i);
    AP_RETURN_IF(end == 0, ARTPACK_E_NONCANONICAL);
    {
        uint32_t prev = stack[depth - 1] & ~AP_JSON_OBJECT;
        AP_RETURN_IF(prev != 0 && ap_json_key_compare(s, prev, i + 1) >= 0,
                     ARTPACK_E_NONCANONICAL);
        stack[depth - 1] = AP_JSON_OBJECT | (uint32_t)(i + 1);
    }
    i = end;
    AP_RETURN_IF(i >= n || s[i] != ':', ARTPACK_E_NONCANONICAL);
    i++;
    goto value;
after:
    if (depth == 0) return i == n ? ARTPACK_OK : ARTPACK_E_NONCANONICAL;
    AP_RETURN_IF(i >= n, ARTPACK_E_NONCANONICAL);
    if (s[i] == ',') {
        i++;
        if (stack[depth - 1]) goto key;
        goto value;
    }
    AP_RETURN_IF(s[i] != (stack[depth - 1] ? '}' : ']'), ARTPACK_E_NONCANONICAL);
    i++;
    depth--;
    goto after;
}

artpack_error artpack_json_check_canonical(const void *src, size_t src_size) {
    const unsigned char *s = (const unsigned char *)src;
    AP_RETURN_IF(src == NULL && src_size != 0, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(src_size > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_TOO_LARGE);
#if AP_FAST
    if (src_size != 0 && ap_json_simple(s, src_size)) return ARTPACK_OK;
#endif
    return ap_json_check(s, src_size);
}
