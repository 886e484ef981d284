/* artpack.c - the artpack command-line tool. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artpack.h"
#include "json.h"
#include "util.h"

/* A record stream: this magic, then (varint length, record) pairs to EOF. */
static const unsigned char ap_stream_magic[5] = {'A', 'P', 'K', 'R', ARTPACK_WIRE_VERSION};

typedef struct ap_options {
    const char *command;
    const char *input;  /* "-" = stdin */
    const char *output; /* "-" = stdout */
    int force, keep_going, quiet, verbose;
} ap_options;

static const char ap_usage[] =
    "Usage: artpack COMMAND [OPTIONS] [FILE]\n"
    "\n"
    "Pack news articles (JSON objects) into compact binary records and back.\n"
    "\n"
    "Commands:\n"
    "  encode    read one JSON object or JSON Lines, write a record stream\n"
    "  decode    read a record stream, write JSON Lines\n"
    "  help      show this help\n"
    "  version   show the version\n"
    "\n"
    "Options:\n"
    "  -o FILE           write to FILE ('-' = standard output, the default);\n"
    "                    the file appears complete or not at all\n"
    "  -f, --force       overwrite FILE if it exists; write binary to a terminal\n"
    "  -k, --keep-going  skip bad articles or records, report each on stderr\n"
    "  -q, --quiet       no warnings or summary\n"
    "  -v, --verbose     print a summary on stderr\n"
    "  -h, --help        show this help\n"
    "  -V, --version     show the version\n"
    "\n"
    "FILE is the input; without it, or with '-', standard input is read.\n"
    "Errors name the line and column (encode) or the record and byte offset\n"
    "(decode). Exit status: 0 on success; 1 on any error, and then no output\n"
    "is written. With --keep-going the output is written and the status is 0\n"
    "even when articles were skipped (each is reported, the count is printed).\n";

static void ap_msg(const char *fmt, ...) {
    va_list ap;
    fputs("artpack: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int ap_usage_error(const char *fmt, const char *arg) {
    fputs("artpack: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'artpack --help'.\n", stderr);
    return 1;
}

static const char *ap_input_name(const ap_options *o) {
    return strcmp(o->input, "-") == 0 ? "(stdin)" : o->input;
}

/* Reads the input, or reports why not. */
static int ap_load_input(const ap_options *o, ap_buf *in) {
    if (ap_read_all(o->input, in) == 0) return 0;
    ap_msg("%s: %s", ap_input_name(o), strerror(errno));
    return -1;
}

static int ap_commit(const ap_options *o, const ap_buf *out) {
    char err[512];
    if (ap_output_commit(o->output, out->data, out->len, err, sizeof err)) {
        ap_msg("%s", err);
        return 1;
    }
    return 0;
}

static int ap_cmd_encode(const ap_options *o) {
    ap_buf in = {NULL, 0, 0}, out = {NULL, 0, 0}, rec = {NULL, 0, 0};
    ap_json_reader reader;
    size_t articles = 0, skipped = 0;
    int rc = 1, reader_ok = 0;

    if (ap_load_input(o, &in)) goto done;
    if (ap_json_reader_init(&reader, (const char *)in.data, in.len)) {
        ap_msg("out of memory");
        goto done;
    }
    reader_ok = 1;
    if (ap_buf_put(&out, ap_stream_magic, sizeof ap_stream_magic)) goto oom;
    for (;;) {
        ap_json_article a;
        ap_json_error jerr;
        size_t size = 0;
        artpack_error e;
        int got = ap_json_next(&reader, &a, &jerr);
        if (got == 0) break;
        if (got < 0) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s:%zu:%zu: article %zu: %s", ap_input_name(o), jerr.line,
                       jerr.column, articles + skipped + 1, jerr.text);
            if (!o->keep_going) goto done;
            skipped++;
            continue;
        }
        e = artpack_record_size(&a.view, &size);
        if (e == ARTPACK_OK && ap_buf_reserve(&rec, size)) e = ARTPACK_E_DST_TOO_SMALL;
        if (e == ARTPACK_OK) e = artpack_record_encode(rec.data, rec.cap, &a.view, &size);
        if (e != ARTPACK_OK) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s:%zu:1: article %zu: cannot encode: %s (%s)", ap_input_name(o),
                       a.start_line, articles + skipped + 1, artpack_error_message(e),
                       artpack_error_name(e));
            ap_json_article_free(&a);
            if (!o->keep_going) goto done;
            skipped++;
            continue;
        }
        ap_json_article_free(&a);
        if (ap_buf_put_varint(&out, size) || ap_buf_put(&out, rec.data, size)) goto oom;
        articles++;
    }
    if (ap_commit(o, &out)) goto done;
    if (o->verbose || (skipped && !o->quiet))
        ap_msg("encode: %zu articles, %zu skipped; %zu B of JSON -> %zu B of records (%.1f%%)",
               articles, skipped, in.len, out.len, in.len ? 100.0 * (double)out.len / (double)in.len : 0.0);
    rc = 0;
    goto done;
oom:
    ap_msg("out of memory");
done:
    if (reader_ok) ap_json_reader_free(&reader);
    ap_buf_free(&in);
    ap_buf_free(&out);
    ap_buf_free(&rec);
    return rc;
}

static int ap_cmd_decode(const ap_options *o) {
    ap_buf in = {NULL, 0, 0}, out = {NULL, 0, 0};
    size_t pos = sizeof ap_stream_magic, records = 0, skipped = 0;
    int rc = 1;

    if (ap_load_input(o, &in)) goto done;
    if (in.len < sizeof ap_stream_magic || memcmp(in.data, ap_stream_magic, 4) != 0) {
        ap_msg("%s: not an artpack record stream (bad magic)", ap_input_name(o));
        goto done;
    }
    if (in.data[4] != ARTPACK_WIRE_VERSION) {
        ap_msg("%s: record stream version %u is not supported (this is version %d)",
               ap_input_name(o), in.data[4], ARTPACK_WIRE_VERSION);
        goto done;
    }
    while (pos < in.len) {
        uint64_t len;
        size_t n = artpack_varint_read(&len, in.data + pos, in.len - pos), where = 0;
        artpack_article a;
        artpack_error e;
        char err[256];
        if (n == 0 || len > in.len - pos - n) {
            ap_msg("%s: record %zu (byte %zu): %s", ap_input_name(o), records + skipped + 1,
                   pos, n == 0 ? "bad length prefix" : "record truncated: stream ends inside it");
            goto done; /* the framing is lost: nothing after can be trusted */
        }
        pos += n;
        e = artpack_record_decode(&a, in.data + pos, (size_t)len, &where);
        if (e != ARTPACK_OK) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s: record %zu (byte %zu): %s: %s (at byte %zu of the record)",
                       ap_input_name(o), records + skipped + 1, pos, artpack_error_name(e),
                       artpack_error_message(e), where);
        } else if (ap_json_write_article(&out, &a, err, sizeof err)) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s: record %zu (byte %zu): %s", ap_input_name(o), records + skipped + 1,
                       pos, err);
            e = ARTPACK_E_BAD_VIEW;
        }
        pos += (size_t)len;
        if (e != ARTPACK_OK) {
            if (!o->keep_going) goto done;
            skipped++;
            continue;
        }
        records++;
    }
    if (ap_commit(o, &out)) goto done;
    if (o->verbose || (skipped && !o->quiet))
        ap_msg("decode: %zu records, %zu skipped; %zu B -> %zu B of JSON", records, skipped,
               in.len, out.len);
    rc = 0;
done:
    ap_buf_free(&in);
    ap_buf_free(&out);
    return rc;
}

int main(int argc, char **argv) {
    ap_options o;
    int i, only_files = 0;
    memset(&o, 0, sizeof o);
    o.input = NULL;
    o.output = "-";
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_files && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) only_files = 1;
            else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                fputs(ap_usage, stdout);
                return 0;
            } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
                printf("artpack %s (wire format %d)\n", artpack_version_string(), ARTPACK_WIRE_VERSION);
                return 0;
            } else if (strcmp(a, "-o") == 0) {
                if (++i >= argc) return ap_usage_error("%s needs a file name", a);
                o.output = argv[i];
            } else if (strcmp(a, "-f") == 0 || strcmp(a, "--force") == 0) o.force = 1;
            else if (strcmp(a, "-k") == 0 || strcmp(a, "--keep-going") == 0) o.keep_going = 1;
            else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) o.quiet = 1;
            else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) o.verbose = 1;
            else return ap_usage_error("unknown option '%s'", a);
        } else if (o.command == NULL) {
            o.command = a;
        } else if (o.input == NULL) {
            o.input = a;
        } else {
            return ap_usage_error("too many files: '%s' (one input at a time)", a);
        }
    }
    if (o.command == NULL) return ap_usage_error("%s", "no command given");
    if (strcmp(o.command, "help") == 0) {
        fputs(ap_usage, stdout);
        return 0;
    }
    if (strcmp(o.command, "version") == 0) {
        printf("artpack %s (wire format %d)\n", artpack_version_string(), ARTPACK_WIRE_VERSION);
        return 0;
    }
    if (o.input == NULL) o.input = "-";
    if (strcmp(o.command, "encode") != 0 && strcmp(o.command, "decode") != 0)
        return ap_usage_error("unknown command '%s'", o.command);
    {
        char err[512];
        if (ap_output_check(o.output, o.force, err, sizeof err)) {
            ap_msg("%s", err);
            return 1;
        }
    }
    if (strcmp(o.command, "encode") == 0) {
        if (strcmp(o.output, "-") == 0 && isatty(STDOUT_FILENO) && !o.force) {
            ap_msg("will not write binary records to a terminal; use -o FILE, a pipe, or -f");
            return 1;
        }
        return ap_cmd_encode(&o);
    }
    return ap_cmd_decode(&o);
}
