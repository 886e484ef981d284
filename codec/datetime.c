/* datetime.c - lossless numeric forms of dates and ISO 8601 timestamps. */
#include <string.h>

#include "internal.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), valid for years 0..9999. */
static int32_t ap_days_from_civil(int y, int m, int d) {
    int era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

static void ap_civil_from_days(int32_t z, int *y, int *m, int *d) {
    int era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int ap_days_in_month(int y, int m) {
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30,
                                           31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : days[m - 1];
}

/* Reads exactly n ASCII digits at s; -1 if any is not a digit. */
static long ap_digits(const char *s, size_t n) {
    long v = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Parses "YYYY-MM-DD" at s (10 bytes available); returns 1 and the day count. */
static int ap_parse_ymd(const char *s, int32_t *days) {
    long y = ap_digits(s, 4), m = ap_digits(s + 5, 2), d = ap_digits(s + 8, 2);
    if (s[4] != '-' || s[7] != '-' || y < 0 || m < 1 || m > 12 || d < 1) return 0;
    if (d > ap_days_in_month((int)y, (int)m)) return 0;
    *days = ap_days_from_civil((int)y, (int)m, (int)d);
    return 1;
}

artpack_error artpack_date_parse(artpack_date *dst, const char *text, size_t len) {
    AP_RETURN_IF(dst == NULL || (text == NULL && len != 0), ARTPACK_E_NULL_ARG);
    memset(dst, 0, sizeof *dst);
    if (len == 10 && ap_parse_ymd(text, &dst->days)) {
        dst->kind = ARTPACK_NUMBER;
    } else {
        dst->kind = ARTPACK_TEXT;
        dst->text.ptr = text != NULL ? text : "";
        dst->text.len = len;
    }
    return ARTPACK_OK;
}

/* Sets *dst to the TEXT form of text (nothing numeric left over). */
static artpack_error ap_timestamp_text(artpack_timestamp *dst, const char *text, size_t len) {
    memset(dst, 0, sizeof *dst);
    dst->kind = ARTPACK_TEXT;
    dst->text.ptr = text != NULL ? text : "";
    dst->text.len = len;
    return ARTPACK_OK;
}

artpack_error artpack_timestamp_parse(artpack_timestamp *dst, const char *text,
                                      size_t len) {
    artpack_timestamp t;
    int32_t days;
    long hh, mi, ss;
    size_t pos = 19;
    AP_RETURN_IF(dst == NULL || (text == NULL && len != 0), ARTPACK_E_NULL_ARG);
    if (len < 19 || !ap_parse_ymd(text, &days) || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':')
        return ap_timestamp_text(dst, text, len);
    hh = ap_digits(text + 11, 2);
    mi = ap_digits(text + 14, 2);
    ss = ap_digits(text + 17, 2);
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59)
        return ap_timestamp_text(dst, text, len);
    memset(&t, 0, sizeof t);
    if (pos < len && text[pos] == '.') {
        size_t start = ++pos;
        while (pos < len && text[pos] >= '0' && text[pos] <= '9') pos++;
        if (pos == start || pos - start > 9) return ap_timestamp_text(dst, text, len);
        t.fraction_digits = (uint8_t)(pos - start);
        t.fraction = (uint32_t)ap_digits(text + start, pos - start);
    }
    if (pos < len && text[pos] == 'Z') {
        t.zone = ARTPACK_ZONE_UTC;
        pos++;
    } else if (pos < len && (text[pos] == '+' || text[pos] == '-')) {
        long oh, om;
        if (len - pos < 6 || text[pos + 3] != ':') return ap_timestamp_text(dst, text, len);
        oh = ap_digits(text + pos + 1, 2);
        om = ap_digits(text + pos + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return ap_timestamp_text(dst, text, len);
        t.zone = text[pos] == '+' ? ARTPACK_ZONE_PLUS : ARTPACK_ZONE_MINUS;
        t.offset_minutes = (uint16_t)(oh * 60 + om);
        pos += 6;
    }
    if (pos != len) return ap_timestamp_text(dst, text, len);
    t.kind = ARTPACK_NUMBER;
    t.seconds = (int64_t)days * 86400 + hh * 3600 + mi * 60 + ss;
    *dst = t;
    return ARTPACK_OK;
}

static artpack_error ap_copy_text(char *dst, size_t cap, artpack_str s,
                                  size_t *written) {
    AP_RETURN_IF(s.ptr == NULL && s.len != 0, ARTPACK_E_BAD_VIEW);
    AP_RETURN_IF(s.len >= cap, ARTPACK_E_DST_TOO_SMALL);
    if (s.len) memcpy(dst, s.ptr, s.len);
    dst[s.len] = '\0';
    if (written) *written = s.len;
    return ARTPACK_OK;
}

/* Writes v as exactly n digits. */
static void ap_put_digits(char *p, unsigned long v, size_t n) {
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

static size_t ap_put_ymd(char *p, int32_t days) {
    int y, m, d;
    ap_civil_from_days(days, &y, &m, &d);
    ap_put_digits(p, (unsigned long)y, 4);
    p[4] = '-';
    ap_put_digits(p + 5, (unsigned long)m, 2);
    p[7] = '-';
    ap_put_digits(p + 8, (unsigned long)d, 2);
    return 10;
}

artpack_error artpack_date_format(char *dst, size_t dst_capacity,
                                  const artpack_date *src, size_t *written) {
    AP_RETURN_IF(dst == NULL || src == NULL, ARTPACK_E_NULL_ARG);
    if (src->kind != ARTPACK_NUMBER) return ap_copy_text(dst, dst_capacity, src->text, written);
    AP_RETURN_IF(src->days < AP_DAYS_MIN || src->days > AP_DAYS_MAX, ARTPACK_E_DATE);
    AP_RETURN_IF(dst_capacity < ARTPACK_DATE_TEXT_MAX, ARTPACK_E_DST_TOO_SMALL);
    dst[ap_put_ymd(dst, src->days)] = '\0';
    if (written) *written = 10;
    return ARTPACK_OK;
}

int ap_timestamp_numeric_ok(const artpack_timestamp *ts) {
    static const uint32_t pow10[10] = {1, 10, 100, 1000, 10000, 100000,
                                       1000000, 10000000, 100000000, 1000000000};
    if (ts->seconds < AP_SECONDS_MIN || ts->seconds > AP_SECONDS_MAX) return 0;
    if (ts->fraction_digits > 9 || ts->fraction >= pow10[ts->fraction_digits]) return 0;
    if (ts->zone > ARTPACK_ZONE_MINUS) return 0;
    if (ts->zone >= ARTPACK_ZONE_PLUS ? ts->offset_minutes > 1439
                                       : ts->offset_minutes != 0)
        return 0;
    return 1;
}

artpack_error artpack_timestamp_format(char *dst, size_t dst_capacity,
                                       const artpack_timestamp *src,
                                       size_t *written) {
    int64_t days, rem;
    size_t n;
    AP_RETURN_IF(dst == NULL || src == NULL, ARTPACK_E_NULL_ARG);
    if (src->kind != ARTPACK_NUMBER) return ap_copy_text(dst, dst_capacity, src->text, written);
    AP_RETURN_IF(!ap_timestamp_numeric_ok(src), ARTPACK_E_TIMESTAMP);
    AP_RETURN_IF(dst_capacity < ARTPACK_TIMESTAMP_TEXT_MAX, ARTPACK_E_DST_TOO_SMALL);
    days = src->seconds / 86400;
    rem = src->seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    n = ap_put_ymd(dst, (int32_t)days);
    dst[n++] = 'T';
    ap_put_digits(dst + n, (unsigned long)(rem / 3600), 2);
    dst[n + 2] = ':';
    ap_put_digits(dst + n + 3, (unsigned long)(rem / 60 % 60), 2);
    dst[n + 5] = ':';
    ap_put_digits(dst + n + 6, (unsigned long)(rem % 60), 2);
    n += 8;
    if (src->fraction_digits) {
        dst[n++] = '.';
        ap_put_digits(dst + n, src->fraction, src->fraction_digits);
        n += src->fraction_digits;
    }
    if (src->zone == ARTPACK_ZONE_UTC) {
        dst[n++] = 'Z';
    } else if (src->zone != ARTPACK_ZONE_NONE) {
        dst[n++] = src->zone == ARTPACK_ZONE_PLUS ? '+' : '-';
        ap_put_digits(dst + n, src->offset_minutes / 60u, 2);
        dst[n + 2] = ':';
        ap_put_digits(dst + n + 3, src->offset_minutes % 60u, 2);
        n += 5;
    }
    dst[n] = '\0';
    if (written) *written = n;
    return ARTPACK_OK;
}
