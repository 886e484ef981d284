/* bundle_cmd.c - the bundle commands of the artpack tool: pack, unpack, get,
 * ls, append, verify, recover, merge. POSIX. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

/* ---- in-memory files behind the library's callbacks ---- */

typedef struct ap_mem_file {
    const unsigned char *p;
    size_t n;
} ap_mem_file;

static int ap_mem_read(void *opaque, uint64_t off, void *dst, size_t size) {
    const ap_mem_file *f = (const ap_mem_file *)opaque;
    if (off > f->n || size > f->n - off) return -1;
    if (size) memcpy(dst, f->p + off, size);
    return 0;
}

static const void *ap_mem_map(void *opaque, uint64_t off, size_t size) {
    const ap_mem_file *f = (const ap_mem_file *)opaque;
    if (off > f->n || size > f->n - off) return NULL;
    return f->p + off;
}

static int ap_buf_write_cb(void *opaque, const void *data, size_t size) {
    return ap_buf_put((ap_buf *)opaque, data, size) ? -1 : 0;
}

static void ap_report(const char *what, const char *path, artpack_error e) {
    ap_msg("%s: %s: %s (%s)", path, what, artpack_error_message(e), artpack_error_name(e));
}

/* An open bundle: the file in memory, its info, dictionary and a reader. */
typedef struct ap_bundle_in {
    const char *path;
    ap_buf file;
    ap_mem_file mf;
    artpack_bundle_info info;
    ap_buf dict_buf;
    artpack_dict dict;
    int has_dict;
    void *ws;
    artpack_bundle_reader *r;
} ap_bundle_in;

static void ap_bundle_close(ap_bundle_in *b) {
    ap_buf_free(&b->file);
    ap_buf_free(&b->dict_buf);
    free(b->ws);
    memset(b, 0, sizeof *b);
}

/* Opens path for reading; 0, or 1 after reporting. */
static int ap_bundle_open(const ap_options *o, const char *path, ap_bundle_in *b) {
    artpack_error e;
    size_t ws;
    memset(b, 0, sizeof *b);
    b->path = path;
    if (ap_load(path, &b->file)) return 1;
    b->mf.p = b->file.data;
    b->mf.n = b->file.len;
    e = artpack_bundle_info_get(&b->info, ap_mem_read, &b->mf, b->file.len);
    if (e != ARTPACK_OK) {
        ap_report("cannot open the bundle", ap_name(path), e);
        return 1;
    }
    if (o->dict_path != NULL && b->info.dict_id != 0) {
        if (ap_load_dict(o, &b->dict_buf, &b->dict)) return 1;
        b->has_dict = 1;
    } else if (b->info.dict_id != 0 && !b->info.dict_embedded) {
        ap_msg("%s: made with dictionary ID %u: give it with -D DICT (%s)", ap_name(path),
               (unsigned)b->info.dict_id, artpack_error_name(ARTPACK_E_NEED_DICT));
        return 1;
    }
    /* the file is in memory: read the blocks where they lie */
    ws = artpack_bundle_reader_workspace_size_mapped(&b->info, !b->has_dict);
    b->ws = ap_malloc(ws);
    if (b->ws == NULL) {
        ap_msg("out of memory");
        return 1;
    }
    e = artpack_bundle_reader_open_mapped(&b->r, b->ws, ws, &b->info,
                                          b->has_dict ? &b->dict : NULL, ap_mem_map, &b->mf);
    if (e != ARTPACK_OK) {
        ap_report("cannot read the bundle", ap_name(path), e);
        return 1;
    }
    if (b->info.recovered_footer && !o->quiet)
        ap_msg("%s: the end of the file is not a committed append (%llu bytes after the last "
               "footer, e.g. an interrupted append): they are ignored",
               ap_name(path), (unsigned long long)(b->file.len - b->info.end_offset));
    return 0;
}

/* Article n as a JSON line appended to out; 0, or 1 after reporting. */
static int ap_article_json(const ap_bundle_in *b, uint64_t n, ap_buf *out) {
    const void *rec;
    size_t size, where = 0;
    artpack_article a;
    char err[256];
    artpack_error e = artpack_bundle_get(b->r, n, &rec, &size);
    if (e == ARTPACK_OK) e = artpack_record_decode(&a, rec, size, &where);
    if (e != ARTPACK_OK) {
        ap_msg("%s: article %llu: %s (%s)", ap_name(b->path), (unsigned long long)n,
               artpack_error_message(e), artpack_error_name(e));
        return 1;
    }
    if (ap_json_write_article(out, &a, err, sizeof err)) {
        ap_msg("%s: article %llu: %s", ap_name(b->path), (unsigned long long)n, err);
        return 1;
    }
    return 0;
}

/* ---- pack ---- */

static artpack_bundle_params ap_bundle_params(const ap_options *o) {
    artpack_bundle_params p;
    memset(&p, 0, sizeof p);
    p.codec = (artpack_codec)o->codec;
    p.level = o->level;
    p.block_size = o->block_size;
    p.embed_dict = o->embed_dict || o->train_dict;
    return p;
}

/* Writes count records (laid end to end) as a new bundle into out. */
static int ap_write_bundle(const ap_options *o, const artpack_dict *dict, const ap_buf *records,
                           const size_t *sizes, size_t count, ap_buf *out) {
    artpack_bundle_params p = ap_bundle_params(o);
    artpack_bundle_writer *w = NULL;
    artpack_error e;
    size_t i, pos = 0;
    int progress = !o->quiet && isatty(STDERR_FILENO);
    e = artpack_bundle_writer_create(&w, &p, dict, &ap_tool_allocator, ap_buf_write_cb, out);
    for (i = 0; e == ARTPACK_OK && i < count; i++) {
        e = artpack_bundle_writer_add(w, records->data + pos, sizes[i]);
        pos += sizes[i];
        if (progress && (i % 1000 == 999 || i + 1 == count))
            fprintf(stderr, "\rartpack: packed %zu of %zu articles", i + 1, count);
    }
    if (progress && count) fputc('\n', stderr);
    if (e == ARTPACK_OK) e = artpack_bundle_writer_commit(w);
    artpack_bundle_writer_free(w);
    if (e != ARTPACK_OK) {
        ap_msg("cannot write the bundle: %s (%s)", artpack_error_message(e), artpack_error_name(e));
        return 1;
    }
    return 0;
}

static void ap_bundle_summary(const char *what, const ap_buf *out, size_t articles,
                              size_t json_bytes) {
    ap_mem_file mf;
    artpack_bundle_info info;
    mf.p = out->data;
    mf.n = out->len;
    if (artpack_bundle_info_get(&info, ap_mem_read, &mf, out->len) != ARTPACK_OK) return;
    ap_msg("%s: %zu articles, %zu B of JSON -> %zu B bundle (%.1f%%): %llu blocks, "
           "dictionary %s, largest block %zu B; reader memory %zu B (%zu B reading in place)",
           what, articles, json_bytes, out->len,
           json_bytes ? 100.0 * (double)out->len / (double)json_bytes : 0.0,
           (unsigned long long)info.block_count,
           info.dict_id == 0 ? "none" : info.dict_embedded ? "embedded" : "named",
           info.max_block_content, artpack_bundle_reader_workspace_size(&info, 0),
           artpack_bundle_reader_workspace_size_mapped(&info, 0));
}

int ap_cmd_pack(const ap_options *o) {
    ap_train_ctx recs;
    ap_buf out = {NULL, 0, 0}, dict_buf = {NULL, 0, 0};
    artpack_dict dict;
    size_t articles = 0, skipped = 0, json_bytes = 0;
    int i, rc = 1, has_dict = 0;
    memset(&recs, 0, sizeof recs);
    if (o->dict_path && o->train_dict) {
        ap_usage_error("%s", "pack takes -D DICT or --train, not both");
        return 1;
    }
    if (o->embed_dict && !o->dict_path && !o->train_dict) {
        ap_usage_error("%s", "--embed-dict needs -D DICT (or use --train)");
        return 1;
    }
    if (o->dict_path) {
        if (ap_load_dict(o, &dict_buf, &dict)) goto done;
        has_dict = 1;
    }
    for (i = 0; i < o->n_inputs; i++) {
        ap_buf in = {NULL, 0, 0};
        int bad;
        if (ap_load(o->inputs[i], &in)) goto done;
        json_bytes += in.len;
        bad = ap_pack_json(o, o->inputs[i], &in, ap_emit_sample, &recs, &articles, &skipped);
        ap_buf_free(&in);
        if (bad) goto done;
    }
    if (o->train_dict) {
        artpack_error e;
        if (ap_train_records(o, &recs.samples, recs.sizes, recs.count, &dict_buf)) goto done;
        e = artpack_dict_load(&dict, dict_buf.data, dict_buf.len);
        if (e != ARTPACK_OK) goto done;
        has_dict = 1;
    }
    if (ap_write_bundle(o, has_dict ? &dict : NULL, &recs.samples, recs.sizes, recs.count, &out))
        goto done;
    if (ap_commit(o, &out)) goto done;
    if (o->verbose || (skipped && !o->quiet)) {
        if (skipped) ap_msg("pack: %zu articles skipped", skipped);
        ap_bundle_summary("pack", &out, articles, json_bytes);
    }
    rc = 0;
done:
    ap_buf_free(&recs.samples);
    free(recs.sizes);
    ap_buf_free(&out);
    ap_buf_free(&dict_buf);
    return rc;
}

/* ---- reading commands ---- */

int ap_cmd_unpack(const ap_options *o) {
    ap_bundle_in b;
    ap_buf out = {NULL, 0, 0};
    uint64_t n;
    int rc = 1;
    if (ap_bundle_open(o, o->input, &b)) goto done;
    for (n = 0; n < b.info.article_count; n++)
        if (ap_article_json(&b, n, &out)) goto done;
    if (ap_commit(o, &out)) goto done;
    if (o->verbose)
        ap_msg("unpack: %llu articles, %zu B of JSON", (unsigned long long)b.info.article_count,
               out.len);
    rc = 0;
done:
    ap_bundle_close(&b);
    ap_buf_free(&out);
    return rc;
}

int ap_cmd_get(const ap_options *o) {
    ap_bundle_in b;
    ap_buf out = {NULL, 0, 0};
    uint64_t n = 0;
    int rc = 1;
    if (o->id == NULL) {
        char *end;
        if (o->n_inputs < 2) return ap_usage_error("%s", "get needs BUNDLE and N (or --id ID)");
        errno = 0;
        n = strtoull(o->inputs[1], &end, 10);
        if (errno || *end || o->inputs[1][0] == '-' || end == o->inputs[1])
            return ap_usage_error("get: '%s' is not an article number", o->inputs[1]);
    } else if (o->n_inputs > 1) {
        return ap_usage_error("%s", "get takes N or --id ID, not both");
    }
    if (ap_bundle_open(o, o->input, &b)) goto done;
    if (o->id != NULL) {
        artpack_error e = artpack_bundle_find_id(b.r, o->id, strlen(o->id), &n);
        if (e != ARTPACK_OK) {
            ap_msg("%s: no article with id \"%s\" (%s)", ap_name(o->input), o->id,
                   artpack_error_name(e));
            goto done;
        }
    } else if (n >= b.info.article_count) {
        ap_msg("%s: no article %llu: the bundle holds %llu (numbers start at 0) (%s)",
               ap_name(o->input), (unsigned long long)n,
               (unsigned long long)b.info.article_count, artpack_error_name(ARTPACK_E_NOT_FOUND));
        goto done;
    }
    if (ap_article_json(&b, n, &out) || ap_commit(o, &out)) goto done;
    rc = 0;
done:
    ap_bundle_close(&b);
    ap_buf_free(&out);
    return rc;
}

static void ap_put_field(ap_buf *out, const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n && i < 80; i++) /* one line, tab-separated */
        ap_buf_putc(out, s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : s[i]);
    if (n == 0) ap_buf_putc(out, '-');
}

int ap_cmd_ls(const ap_options *o) {
    ap_bundle_in b;
    ap_buf out = {NULL, 0, 0};
    uint64_t n;
    int rc = 1;
    if (ap_bundle_open(o, o->input, &b)) goto done;
    ap_buf_puts(&out, "#\tid\tdate\ttitle\trecord_bytes\tblock\n");
    for (n = 0; n < b.info.article_count; n++) {
        const void *rec;
        size_t size;
        artpack_article a;
        artpack_bundle_location where;
        char date[ARTPACK_TIMESTAMP_TEXT_MAX], line[64];
        size_t dlen = 0;
        artpack_error e = artpack_bundle_locate(b.r, n, &where);
        if (e == ARTPACK_OK) e = artpack_bundle_get(b.r, n, &rec, &size);
        if (e == ARTPACK_OK) e = artpack_record_decode(&a, rec, size, NULL);
        if (e != ARTPACK_OK) {
            ap_msg("%s: article %llu: %s (%s)", ap_name(o->input), (unsigned long long)n,
                   artpack_error_message(e), artpack_error_name(e));
            goto done;
        }
        if (a.date.kind != ARTPACK_ABSENT)
            (void)artpack_date_format(date, sizeof date, &a.date, &dlen);
        else if (a.published.kind != ARTPACK_ABSENT)
            (void)artpack_timestamp_format(date, sizeof date, &a.published, &dlen);
        snprintf(line, sizeof line, "%llu\t", (unsigned long long)n);
        ap_buf_puts(&out, line);
        ap_put_field(&out, a.id.ptr, a.id.len);
        ap_buf_putc(&out, '\t');
        ap_put_field(&out, date, dlen);
        ap_buf_putc(&out, '\t');
        ap_put_field(&out, a.title.ptr, a.title.len);
        snprintf(line, sizeof line, "\t%zu\t%llu\n", size, (unsigned long long)where.block);
        if (ap_buf_puts(&out, line)) {
            ap_msg("out of memory");
            goto done;
        }
    }
    if (ap_commit(o, &out)) goto done;
    rc = 0;
done:
    ap_bundle_close(&b);
    ap_buf_free(&out);
    return rc;
}

int ap_cmd_verify(const ap_options *o) {
    ap_bundle_in b;
    uint64_t blk, bad_blocks = 0, bad_articles = 0, n;
    artpack_error e;
    int rc = 1;
    if (ap_bundle_open(o, o->input, &b)) goto done;
    e = artpack_bundle_check_index(b.r);
    if (e != ARTPACK_OK) {
        ap_report("index damaged", ap_name(o->input), e);
        goto done;
    }
    for (blk = 0; blk < b.info.block_count; blk++) {
        uint64_t first = 0;
        uint32_t count = 0;
        e = artpack_bundle_check_block(b.r, blk, &first, &count);
        if (e == ARTPACK_OK) {
            for (n = first; n < first + count; n++) { /* every record decodes */
                const void *rec;
                size_t size;
                e = artpack_bundle_get(b.r, n, &rec, &size);
                if (e == ARTPACK_OK) e = artpack_record_validate(rec, size, NULL);
                if (e != ARTPACK_OK) break;
            }
        }
        if (e != ARTPACK_OK) {
            bad_blocks++;
            bad_articles += count;
            ap_msg("%s: block %llu (articles %llu to %llu) is damaged: %s (%s)", ap_name(o->input),
                   (unsigned long long)blk, (unsigned long long)first,
                   (unsigned long long)(first + count - 1), artpack_error_message(e),
                   artpack_error_name(e));
        }
    }
    if (bad_blocks) {
        ap_msg("%s: %llu of %llu blocks damaged, %llu of %llu articles lost; "
               "`artpack recover` salvages the rest",
               ap_name(o->input), (unsigned long long)bad_blocks,
               (unsigned long long)b.info.block_count, (unsigned long long)bad_articles,
               (unsigned long long)b.info.article_count);
        goto done;
    }
    if (!o->quiet)
        printf("%s: OK: %llu articles in %llu blocks, index and every block checked\n",
               ap_name(o->input), (unsigned long long)b.info.article_count,
               (unsigned long long)b.info.block_count);
    rc = 0;
done:
    ap_bundle_close(&b);
    return rc;
}

/* ---- append: new blocks, a segment and a footer after the old footer ---- */

static int ap_write_all(int fd, const unsigned char *p, size_t n, uint64_t off) {
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int ap_cmd_append(const ap_options *o) {
    ap_bundle_in b;
    ap_train_ctx recs;
    ap_buf out = {NULL, 0, 0};
    artpack_bundle_writer *w = NULL;
    artpack_error e;
    size_t articles = 0, skipped = 0, pos = 0, i;
    int k, rc = 1, fd = -1;
    memset(&recs, 0, sizeof recs);
    memset(&b, 0, sizeof b);
    if (o->n_inputs < 2) return ap_usage_error("%s", "append needs BUNDLE and FILE.jsonl...");
    if (strcmp(o->input, "-") == 0) return ap_usage_error("%s", "append needs a bundle file");
    if (ap_bundle_open(o, o->input, &b)) goto done;
    if (b.info.recovered_footer && !o->force) {
        /* an interrupted append, or a damaged last footer or index segment:
         * appending cuts the file there, which would drop the last commit's
         * blocks in the second case */
        ap_msg("%s: the last %llu bytes are not a committed append; appending drops them. "
               "If an append was interrupted, use -f; if the bundle may be damaged, run "
               "`artpack verify` and `artpack recover` first",
               o->input, (unsigned long long)(b.file.len - b.info.end_offset));
        goto done;
    }
    for (k = 1; k < o->n_inputs; k++) {
        ap_buf in = {NULL, 0, 0};
        int bad;
        if (ap_load(o->inputs[k], &in)) goto done;
        bad = ap_pack_json(o, o->inputs[k], &in, ap_emit_sample, &recs, &articles, &skipped);
        ap_buf_free(&in);
        if (bad) goto done;
    }
    {
        artpack_dict d;
        const artpack_dict *dp = NULL;
        ap_buf embedded = {NULL, 0, 0};
        if (b.info.dict_id != 0) {
            if (b.has_dict) {
                dp = &b.dict;
            } else { /* the embedded one, decompressed */
                size_t n = 0;
                if (ap_buf_reserve(&embedded, ARTPACK_DICT_SIZE_MAX)) goto oom;
                e = artpack_bundle_embedded_dict(b.file.data, b.file.len, embedded.data,
                                                 embedded.cap, &n);
                if (e == ARTPACK_OK) e = artpack_dict_load(&d, embedded.data, n);
                if (e != ARTPACK_OK) {
                    ap_buf_free(&embedded);
                    ap_report("cannot read the embedded dictionary", ap_name(o->input), e);
                    goto done;
                }
                dp = &d;
            }
        }
        e = artpack_bundle_appender_open(&w, &b.info, dp, &ap_tool_allocator, ap_buf_write_cb,
                                         &out);
        for (i = 0; e == ARTPACK_OK && i < recs.count; i++) {
            e = artpack_bundle_writer_add(w, recs.samples.data + pos, recs.sizes[i]);
            pos += recs.sizes[i];
        }
        if (e == ARTPACK_OK) e = artpack_bundle_writer_commit(w);
        artpack_bundle_writer_free(w);
        ap_buf_free(&embedded);
        if (e != ARTPACK_OK) {
            ap_report("cannot append", ap_name(o->input), e);
            goto done;
        }
    }
    /* the file: cut what an interrupted append left, write the new blocks and
     * segment, sync, then the footer (the commit), sync */
    fd = open(o->input, O_WRONLY);
    if (fd < 0 || ftruncate(fd, (off_t)b.info.end_offset) != 0) goto io;
    if (out.len >= ARTPACK_BUNDLE_FOOTER_SIZE) {
        size_t body = out.len - ARTPACK_BUNDLE_FOOTER_SIZE;
        if (ap_write_all(fd, out.data, body, b.info.end_offset) || fsync(fd) ||
            ap_write_all(fd, out.data + body, ARTPACK_BUNDLE_FOOTER_SIZE, b.info.end_offset + body) ||
            fsync(fd))
            goto io;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto io;
    }
    fd = -1;
    if (o->verbose || (skipped && !o->quiet))
        ap_msg("append: %zu articles added (%zu skipped); the bundle holds %llu", articles, skipped,
               (unsigned long long)(b.info.article_count + articles));
    rc = 0;
    goto done;
oom:
    ap_msg("out of memory");
    goto done;
io:
    ap_msg("%s: %s (the articles committed before are intact)", o->input, strerror(errno));
done:
    if (fd >= 0) close(fd);
    ap_bundle_close(&b);
    ap_buf_free(&recs.samples);
    free(recs.sizes);
    ap_buf_free(&out);
    return rc;
}

/* ---- recover and merge: new bundles from old ones ---- */

static int ap_salvage_cb(void *opaque, const void *record, size_t size) {
    return ap_emit_sample(opaque, (const unsigned char *)record, size);
}

int ap_cmd_recover(const ap_options *o) {
    ap_buf file = {NULL, 0, 0}, out = {NULL, 0, 0}, dict_buf = {NULL, 0, 0};
    ap_train_ctx recs;
    artpack_salvage_stats st;
    artpack_dict dict;
    ap_options wo = *o;
    int rc = 1, has_dict = 0;
    artpack_error e;
    memset(&recs, 0, sizeof recs);
    if (ap_load(o->input, &file)) goto done;
    if (o->dict_path) {
        if (ap_load_dict(o, &dict_buf, &dict)) goto done;
        has_dict = 1;
    } else {
        size_t n = 0;
        if (ap_buf_reserve(&dict_buf, ARTPACK_DICT_SIZE_MAX)) goto done;
        if (artpack_bundle_embedded_dict(file.data, file.len, dict_buf.data, dict_buf.cap, &n) ==
                ARTPACK_OK &&
            artpack_dict_load(&dict, dict_buf.data, n) == ARTPACK_OK)
            has_dict = 1;
    }
    e = artpack_bundle_salvage(file.data, file.len, has_dict ? &dict : NULL, &ap_tool_allocator,
                               ap_salvage_cb, &recs, &st);
    if (e != ARTPACK_OK) {
        ap_report("cannot salvage", ap_name(o->input), e);
        goto done;
    }
    if (st.header_ok && st.dict_id != 0 && !has_dict) {
        ap_msg("%s: made with dictionary ID %u and none at hand: give it with -D DICT (%s)",
               ap_name(o->input), (unsigned)st.dict_id, artpack_error_name(ARTPACK_E_NEED_DICT));
        goto done;
    }
    /* the new bundle keeps the old one's settings where its header says them */
    if (st.header_ok) {
        if (!o->codec_set) wo.codec = st.codec;
        if (!wo.level) wo.level = st.level;
        if (!wo.block_size) wo.block_size = st.block_size;
        if (st.dict_embedded) wo.embed_dict = 1;
    }
    if (ap_write_bundle(&wo, has_dict ? &dict : NULL, &recs.samples, recs.sizes, recs.count, &out) ||
        ap_commit(o, &out))
        goto done;
    if (!o->quiet)
        ap_msg("recover: %llu articles from %llu intact blocks; %llu damaged blocks and %llu "
               "unreadable bytes left out",
               (unsigned long long)st.articles, (unsigned long long)st.blocks_ok,
               (unsigned long long)st.blocks_bad, (unsigned long long)st.bytes_skipped);
    rc = 0;
done:
    ap_buf_free(&file);
    ap_buf_free(&out);
    ap_buf_free(&dict_buf);
    ap_buf_free(&recs.samples);
    free(recs.sizes);
    return rc;
}

int ap_cmd_merge(const ap_options *o) {
    ap_bundle_in *in;
    ap_buf out = {NULL, 0, 0}, embedded = {NULL, 0, 0};
    artpack_bundle_writer *w = NULL;
    artpack_bundle_params p;
    artpack_dict d;
    const artpack_dict *dp = NULL;
    artpack_error e = ARTPACK_OK;
    int i, rc = 1, opened = 0;
    uint64_t blk, total = 0;
    if (o->n_inputs < 1 || strcmp(o->input, "-") == 0)
        return ap_usage_error("%s", "merge needs BUNDLE files");
    in = (ap_bundle_in *)calloc((size_t)o->n_inputs, sizeof *in);
    if (in == NULL) {
        ap_msg("out of memory");
        return 1;
    }
    for (i = 0; i < o->n_inputs; i++) {
        opened = i + 1;
        if (ap_bundle_open(o, o->inputs[i], &in[i])) goto done;
        if (in[i].info.codec != in[0].info.codec || in[i].info.dict_id != in[0].info.dict_id) {
            ap_msg("%s: codec or dictionary differs from %s: merge copies blocks as they are, "
                   "so the bundles must share both (unpack and pack them instead)",
                   ap_name(o->inputs[i]), ap_name(o->inputs[0]));
            goto done;
        }
    }
    if (in[0].info.dict_id != 0) {
        if (in[0].has_dict) {
            dp = &in[0].dict;
        } else {
            size_t n = 0;
            if (ap_buf_reserve(&embedded, ARTPACK_DICT_SIZE_MAX)) goto done;
            e = artpack_bundle_embedded_dict(in[0].file.data, in[0].file.len, embedded.data,
                                             embedded.cap, &n);
            if (e == ARTPACK_OK) e = artpack_dict_load(&d, embedded.data, n);
            if (e != ARTPACK_OK) {
                ap_report("cannot read the embedded dictionary", ap_name(o->inputs[0]), e);
                goto done;
            }
            dp = &d;
        }
    }
    memset(&p, 0, sizeof p);
    p.codec = in[0].info.codec;
    p.level = in[0].info.level;
    p.block_size = in[0].info.block_size;
    p.embed_dict = in[0].info.dict_embedded || (o->embed_dict && dp != NULL);
    e = artpack_bundle_writer_create(&w, &p, dp, &ap_tool_allocator, ap_buf_write_cb, &out);
    for (i = 0; e == ARTPACK_OK && i < o->n_inputs; i++) {
        for (blk = 0; e == ARTPACK_OK && blk < in[i].info.block_count; blk++)
            e = artpack_bundle_writer_copy_block(w, in[i].r, blk);
        total += in[i].info.article_count;
        if (e != ARTPACK_OK)
            ap_report("cannot copy its blocks (verify it; recover salvages a damaged one)",
                      ap_name(o->inputs[i]), e);
    }
    if (e == ARTPACK_OK) e = artpack_bundle_writer_commit(w);
    artpack_bundle_writer_free(w);
    if (e != ARTPACK_OK) goto done;
    if (ap_commit(o, &out)) goto done;
    if (o->verbose)
        ap_msg("merge: %llu articles from %d bundles, %zu B", (unsigned long long)total,
               o->n_inputs, out.len);
    rc = 0;
done:
    for (i = 0; i < opened; i++) ap_bundle_close(&in[i]);
    free(in);
    ap_buf_free(&out);
    ap_buf_free(&embedded);
    return rc;
}
