/* _artpack.c - the CPython extension over libartpack.
 *
 * Python dicts (what json.loads gives) <-> artpack_article views directly:
 * the schema's fields are read from and written to Python objects here; the
 * values that go to the extra field (unknown keys, values of an unexpected
 * type) are canonical JSON text, written and read by the json module's C
 * encoder and scanner. Compression, decompression, dictionary training and
 * bundle block work run with the GIL released. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artpack.h"

/* ---- module state (single-phase init; the module is not re-initialised) */

static PyObject *ap_Error, *ap_CorruptError, *ap_DictionaryError, *ap_NotFoundError,
    *ap_ArticleError;
static PyObject *ap_json_encode; /* json.JSONEncoder(...).encode */
static PyObject *ap_json_loads;  /* json.loads */
static PyObject *ap_dict_class;  /* the class train() and Bundle.dictionary make */

/* ---- errors ---- */

static PyObject *ap_error_class(artpack_error e) {
    switch (e) {
    case ARTPACK_E_DICT:
    case ARTPACK_E_WRONG_DICT:
    case ARTPACK_E_NEED_DICT:
    case ARTPACK_E_TRAIN: return ap_DictionaryError;
    case ARTPACK_E_NOT_FOUND: return ap_NotFoundError;
    case ARTPACK_E_BAD_VIEW:
    case ARTPACK_E_TOO_LARGE:
    case ARTPACK_E_NONCANONICAL:
    case ARTPACK_E_EXTRA:
    case ARTPACK_E_DUPLICATE_KEY: return ap_ArticleError;
    default: break;
    }
    if ((int)e >= 64 && (int)e < 128) return ap_CorruptError;
    return ap_Error;
}

/* Raises cls(message) with .name, .code, .position (None when < 0).
 * Returns NULL. */
static PyObject *ap_raise_full(PyObject *cls, const char *name, int code, const char *message,
                               long long position) {
    PyObject *exc, *v;
    exc = PyObject_CallFunction(cls, "s", message);
    if (exc == NULL) return NULL;
    v = name ? PyUnicode_FromString(name) : Py_NewRef(Py_None);
    if (v == NULL || PyObject_SetAttrString(exc, "name", v) < 0) goto fail;
    Py_DECREF(v);
    v = code >= 0 ? PyLong_FromLong(code) : Py_NewRef(Py_None);
    if (v == NULL || PyObject_SetAttrString(exc, "code", v) < 0) goto fail;
    Py_DECREF(v);
    v = position >= 0 ? PyLong_FromLongLong(position) : Py_NewRef(Py_None);
    if (v == NULL || PyObject_SetAttrString(exc, "position", v) < 0) goto fail;
    Py_DECREF(v);
    PyErr_SetObject(cls, exc);
    Py_DECREF(exc);
    return NULL;
fail:
    Py_XDECREF(v);
    Py_DECREF(exc);
    return NULL;
}

/* Raises the artpack error e; what says what was being done (may be NULL);
 * position < 0: unknown. */
static PyObject *ap_raise(artpack_error e, const char *what, long long position) {
    char msg[512];
    if (e == ARTPACK_E_ALLOC) return PyErr_NoMemory();
    if (position >= 0)
        snprintf(msg, sizeof msg, "%s%s%s (%s at byte %lld)", what ? what : "", what ? ": " : "",
                 artpack_error_message(e), artpack_error_name(e), position);
    else
        snprintf(msg, sizeof msg, "%s%s%s (%s)", what ? what : "", what ? ": " : "",
                 artpack_error_message(e), artpack_error_name(e));
    return ap_raise_full(ap_error_class(e), artpack_error_name(e), (int)e, msg, position);
}

/* ---- Python objects -> article view ---- */

/* What a view built from a dict holds on to. */
typedef struct ap_built {
    artpack_article a;
    PyObject *keep;           /* a list: every object whose bytes the view points into */
    artpack_str *lists[3];    /* authors, body, tags items (PyMem) */
    int nlists;
    artpack_str *extra;       /* 2 x pairs (PyMem) */
} ap_built;

static void ap_built_free(ap_built *b) {
    int i;
    for (i = 0; i < b->nlists; i++) PyMem_Free(b->lists[i]);
    PyMem_Free(b->extra);
    Py_CLEAR(b->keep);
    b->nlists = 0;
    b->extra = NULL;
}

static int ap_utf8(PyObject *s, artpack_str *out) {
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(s, &n);
    if (p == NULL) return -1;
    out->ptr = p;
    out->len = (size_t)n;
    return 0;
}

typedef struct ap_pair {
    artpack_str key, value;
} ap_pair;

static int ap_pair_cmp(const void *x, const void *y) {
    const ap_pair *a = (const ap_pair *)x, *b = (const ap_pair *)y;
    size_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
    int c = n ? memcmp(a->key.ptr, b->key.ptr, n) : 0;
    if (c) return c;
    return a->key.len < b->key.len ? -1 : a->key.len > b->key.len;
}

/* Canonical JSON text of v (a bytes object in *out, kept alive by keep). */
static int ap_json_text(ap_built *b, PyObject *v, artpack_str *out) {
    PyObject *s = PyObject_CallOneArg(ap_json_encode, v);
    if (s == NULL) {
        /* a value JSON cannot hold (NaN or an infinity: json.loads turns
         * 1E400 into inf): the article cannot be packed, an ArticleError (a
         * ValueError too); a type JSON does not know stays a TypeError */
        if (PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_Format(ap_ArticleError, "an extra value cannot be written as JSON: %S",
                         value ? value : Py_None);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
        }
        return -1;
    }
    if (PyList_Append(b->keep, s) < 0) {
        Py_DECREF(s);
        return -1;
    }
    Py_DECREF(s);
    return ap_utf8(s, out);
}

/* A tuple of the list's items when every one is a str, else NULL (no error
 * set) or NULL with an error. */
static PyObject *ap_str_tuple(PyObject *v, int *err) {
    PyObject *t;
    Py_ssize_t i, n;
    *err = 0;
    if (!PyList_Check(v)) return NULL;
    t = PySequence_Tuple(v);
    if (t == NULL) {
        *err = 1;
        return NULL;
    }
    n = PyTuple_GET_SIZE(t);
    for (i = 0; i < n; i++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(t, i))) {
            Py_DECREF(t);
            return NULL;
        }
    return t;
}

/* Fills b->a from the dict d. 0, or -1 with an exception. */
static int ap_build(ap_built *b, PyObject *d) {
    PyObject *items = NULL;
    ap_pair *pairs = NULL;
    Py_ssize_t i, n, npairs = 0;
    memset(b, 0, sizeof *b);
    artpack_article_init(&b->a);
    if (!PyDict_Check(d)) {
        PyErr_Format(PyExc_TypeError, "an article is a dict, not %.100s", Py_TYPE(d)->tp_name);
        return -1;
    }
    b->keep = PyList_New(0);
    if (b->keep == NULL) return -1;
    items = PyDict_Items(d); /* a snapshot holding every key and value */
    if (items == NULL || PyList_Append(b->keep, items) < 0) goto fail;
    Py_DECREF(items);
    n = PyList_GET_SIZE(items);
    if (n > 0) {
        pairs = (ap_pair *)PyMem_Calloc((size_t)n, sizeof *pairs);
        if (pairs == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    for (i = 0; i < n; i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        PyObject *k = PyTuple_GET_ITEM(kv, 0), *v = PyTuple_GET_ITEM(kv, 1);
        const artpack_field_info *f;
        artpack_str key;
        void *m;
        if (!PyUnicode_Check(k)) {
            PyErr_Format(PyExc_TypeError, "article keys are str, not %.100s",
                         Py_TYPE(k)->tp_name);
            goto fail;
        }
        if (ap_utf8(k, &key)) goto fail;
        f = artpack_schema_find(key.ptr, key.len);
        m = f ? (char *)&b->a + f->offset : NULL;
        if (f && PyUnicode_Check(v) &&
            (f->kind == ARTPACK_KIND_STRING || f->kind == ARTPACK_KIND_DATE ||
             f->kind == ARTPACK_KIND_TIMESTAMP)) {
            artpack_str s;
            if (ap_utf8(v, &s)) goto fail;
            if (f->kind == ARTPACK_KIND_STRING) *(artpack_str *)m = s;
            else if (f->kind == ARTPACK_KIND_DATE) artpack_date_parse((artpack_date *)m, s.ptr, s.len);
            else artpack_timestamp_parse((artpack_timestamp *)m, s.ptr, s.len);
            continue;
        }
        if (f && f->kind == ARTPACK_KIND_LIST) {
            int err;
            PyObject *t = ap_str_tuple(v, &err);
            if (err) goto fail;
            if (t != NULL) {
                Py_ssize_t j, c = PyTuple_GET_SIZE(t);
                artpack_list *l = (artpack_list *)m;
                artpack_str *arr;
                if (PyList_Append(b->keep, t) < 0) {
                    Py_DECREF(t);
                    goto fail;
                }
                Py_DECREF(t);
                arr = (artpack_str *)PyMem_Malloc((size_t)(c ? c : 1) * sizeof *arr);
                if (arr == NULL) {
                    PyErr_NoMemory();
                    goto fail;
                }
                b->lists[b->nlists++] = arr;
                for (j = 0; j < c; j++)
                    if (ap_utf8(PyTuple_GET_ITEM(t, j), &arr[j])) goto fail;
                l->present = 1;
                l->items = arr;
                l->count = (size_t)c;
                continue;
            }
        }
        /* an extra pair */
        pairs[npairs].key = key;
        if (ap_json_text(b, v, &pairs[npairs].value)) goto fail;
        npairs++;
    }
    if (npairs > 0) {
        qsort(pairs, (size_t)npairs, sizeof *pairs, ap_pair_cmp);
        b->extra = (artpack_str *)pairs; /* ap_pair is two artpack_str */
        pairs = NULL;
        b->a.extra.present = 1;
        b->a.extra.items = b->extra;
        b->a.extra.count = 2 * (size_t)npairs;
    }
    PyMem_Free(pairs);
    return 0;
fail:
    PyMem_Free(pairs);
    ap_built_free(b);
    return -1;
}

/* Encodes the dict d into a new bytes object. */
static PyObject *ap_pack_obj(PyObject *d) {
    ap_built b;
    size_t size, written;
    artpack_error e;
    PyObject *out;
    if (ap_build(&b, d)) return NULL;
    e = artpack_record_size(&b.a, &size);
    if (e != ARTPACK_OK) {
        ap_built_free(&b);
        return ap_raise(e, "cannot pack the article", -1);
    }
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (out == NULL) {
        ap_built_free(&b);
        return NULL;
    }
    e = artpack_record_encode(PyBytes_AS_STRING(out), size, &b.a, &written);
    ap_built_free(&b);
    if (e != ARTPACK_OK) {
        Py_DECREF(out);
        return ap_raise(e, "cannot pack the article", -1);
    }
    return out;
}

/* ---- article view -> Python dict ---- */

static PyObject *ap_str_obj(artpack_str s, const char *field) {
    PyObject *o = PyUnicode_DecodeUTF8(s.ptr, (Py_ssize_t)s.len, "strict");
    if (o == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        char msg[200];
        PyErr_Clear();
        snprintf(msg, sizeof msg, "field \"%.40s\" is not valid UTF-8", field);
        ap_raise_full(ap_CorruptError, NULL, -1, msg, -1);
    }
    return o;
}

static int ap_set(PyObject *d, const char *key, PyObject *v) {
    int rc;
    if (v == NULL) return -1;
    rc = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return rc;
}

/* d[f->name] = the date or timestamp at m (a field of kind DATE or
 * TIMESTAMP) as its text: kept as text, or the numeric form formatted;
 * nothing when absent. 0, or -1 with an exception. */
static int ap_set_when(PyObject *d, const artpack_field_info *f, const void *m) {
    char text[ARTPACK_TIMESTAMP_TEXT_MAX];
    size_t tlen = 0;
    artpack_value_kind kind;
    artpack_str raw;
    artpack_error e = ARTPACK_OK;
    if (f->kind == ARTPACK_KIND_DATE) {
        const artpack_date *dt = (const artpack_date *)m;
        kind = dt->kind;
        raw = dt->text;
        if (kind == ARTPACK_NUMBER) e = artpack_date_format(text, sizeof text, dt, &tlen);
    } else {
        const artpack_timestamp *t = (const artpack_timestamp *)m;
        kind = t->kind;
        raw = t->text;
        if (kind == ARTPACK_NUMBER) e = artpack_timestamp_format(text, sizeof text, t, &tlen);
    }
    if (kind == ARTPACK_TEXT) return ap_set(d, f->name, ap_str_obj(raw, f->name));
    if (kind != ARTPACK_NUMBER) return 0;
    if (e != ARTPACK_OK) {
        ap_raise(e, f->name, -1);
        return -1;
    }
    return ap_set(d, f->name, PyUnicode_FromStringAndSize(text, (Py_ssize_t)tlen));
}

/* The dict of a decoded view. */
static PyObject *ap_view_dict(const artpack_article *a) {
    PyObject *d = PyDict_New();
    size_t i, n = artpack_schema_count();
    artpack_list_iter it;
    artpack_str k, v;
    if (d == NULL) return NULL;
    for (i = 0; i < n; i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        const void *m = (const char *)a + f->offset;
        switch (f->kind) {
        case ARTPACK_KIND_STRING: {
            const artpack_str *s = (const artpack_str *)m;
            if (s->ptr != NULL && ap_set(d, f->name, ap_str_obj(*s, f->name))) goto fail;
            break;
        }
        case ARTPACK_KIND_DATE:
        case ARTPACK_KIND_TIMESTAMP:
            if (ap_set_when(d, f, m)) goto fail;
            break;
        case ARTPACK_KIND_LIST: {
            const artpack_list *l = (const artpack_list *)m;
            PyObject *lst;
            if (!l->present) break;
            lst = PyList_New(0);
            if (lst == NULL) goto fail;
            artpack_list_begin(&it, l);
            while (artpack_list_next(&it, &v)) {
                PyObject *s = ap_str_obj(v, f->name);
                if (s == NULL || PyList_Append(lst, s) < 0) {
                    Py_XDECREF(s);
                    Py_DECREF(lst);
                    goto fail;
                }
                Py_DECREF(s);
            }
            if (ap_set(d, f->name, lst)) goto fail;
            break;
        }
        case ARTPACK_KIND_EXTRA: break;
        }
    }
    artpack_list_begin(&it, &a->extra);
    while (artpack_list_next(&it, &k) && artpack_list_next(&it, &v)) {
        PyObject *ko = ap_str_obj(k, "(extra key)"), *vs, *vo;
        if (ko == NULL) goto fail;
        vs = ap_str_obj(v, "(extra value)");
        if (vs == NULL) {
            Py_DECREF(ko);
            goto fail;
        }
        vo = PyObject_CallOneArg(ap_json_loads, vs);
        Py_DECREF(vs);
        if (vo == NULL) {
            /* canonical JSON checked by the decoder: only nesting beyond
             * Python's recursion limit gets here */
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
            Py_DECREF(ko);
            ap_raise_full(ap_Error, NULL, -1, "an extra field's JSON value cannot be read by Python's json module (nested too deep)", -1);
            goto fail;
        }
        if (PyDict_SetItem(d, ko, vo) < 0) {
            Py_DECREF(ko);
            Py_DECREF(vo);
            goto fail;
        }
        Py_DECREF(ko);
        Py_DECREF(vo);
    }
    return d;
fail:
    Py_DECREF(d);
    return NULL;
}

/* The dict of the record p[0..n); on bad bytes the error's position is
 * base + the offset in the record (base: where the record starts in what
 * the caller reads, 0 for a record alone). */
static PyObject *ap_unpack_mem_at(const void *p, size_t n, const char *what, long long base) {
    artpack_article a;
    size_t where = 0;
    artpack_error e = artpack_record_decode(&a, p, n, &where);
    if (e != ARTPACK_OK) return ap_raise(e, what, base + (long long)where);
    return ap_view_dict(&a);
}

static PyObject *ap_unpack_mem(const void *p, size_t n) {
    return ap_unpack_mem_at(p, n, "cannot unpack the record", 0);
}

/* ---- pack, unpack ---- */

static PyObject *ap_py_pack(PyObject *self, PyObject *article) {
    (void)self;
    return ap_pack_obj(article);
}

static PyObject *ap_py_unpack(PyObject *self, PyObject *arg) {
    Py_buffer buf;
    PyObject *r;
    (void)self;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_SIMPLE) < 0) return NULL;
    r = ap_unpack_mem(buf.buf, (size_t)buf.len);
    PyBuffer_Release(&buf);
    return r;
}

/* ---- codecs ---- */

static int ap_codec_arg(PyObject *o, artpack_codec *c) {
    const char *s;
    if (o == NULL || o == Py_None) {
        *c = ARTPACK_CODEC_ZSTD;
        return 0;
    }
    s = PyUnicode_Check(o) ? PyUnicode_AsUTF8(o) : NULL;
    if (s == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "codec is 'zstd', 'lz4' or 'stored'");
        return -1;
    }
    if (strcmp(s, "zstd") == 0) *c = ARTPACK_CODEC_ZSTD;
    else if (strcmp(s, "lz4") == 0) *c = ARTPACK_CODEC_LZ4;
    else if (strcmp(s, "stored") == 0) *c = ARTPACK_CODEC_STORED;
    else {
        PyErr_Format(PyExc_ValueError, "codec is 'zstd', 'lz4' or 'stored', not '%.50s'", s);
        return -1;
    }
    return 0;
}

/* (the package writes zstd, LZ4 and stored; a bundle the CLI wrote with
 * --cm is named, its blocks need a CM model the package does not load) */
static const char *ap_codec_name(artpack_codec c) {
    switch (c) {
    case ARTPACK_CODEC_ZSTD: return "zstd";
    case ARTPACK_CODEC_LZ4: return "lz4";
    case ARTPACK_CODEC_STORED: return "stored";
    case ARTPACK_CODEC_CM: return "cm";
    }
    return "unknown";
}

/* ---- Dictionary, with pools of compressors and decompressors ---- */

#define AP_POOL_MAX 16

/* A compressor for (codec, level), or a decompressor set up in a workspace
 * of its own: what a pool keeps between calls. */
typedef struct ap_pooled {
    int decomp;                 /* 1: d in ws; 0: c */
    artpack_codec codec;
    int level;                  /* compressors */
    int words;                  /* compressors: 1 = the word transform */
    artpack_compressor *c;
    artpack_decompressor *d;
    void *ws;                   /* PyMem_RawMalloc'ed */
} ap_pooled;

typedef struct ap_pools {
    ap_pooled item[AP_POOL_MAX];
    int n;
} ap_pools;

typedef struct {
    PyObject_HEAD
    PyObject *data; /* bytes */
    artpack_dict dict;
    ap_pools pools;
} ap_Dictionary;

static PyTypeObject ap_DictionaryType;
static ap_pools ap_nodict_pools; /* for dictionary=None */

static void ap_pooled_free(const ap_pooled *it) {
    if (it->decomp) PyMem_RawFree(it->ws);
    else artpack_compressor_free(it->c);
}

static void ap_pools_clear(ap_pools *p) {
    int i;
    for (i = 0; i < p->n; i++) ap_pooled_free(&p->item[i]);
    p->n = 0;
}

/* Fills *it (decomp, codec, level and words set by the caller) from the pool, or
 * with a new one (made without the GIL: a zstd dictionary at level 19 takes
 * a while). Called with the GIL; 0, or -1 with an exception. */
static int ap_pool_get(ap_pools *p, const artpack_dict *dict, ap_pooled *it) {
    artpack_error e;
    int i;
    for (i = p->n - 1; i >= 0; i--)
        if (p->item[i].decomp == it->decomp && p->item[i].codec == it->codec &&
            p->item[i].level == it->level && p->item[i].words == it->words) {
            *it = p->item[i];
            p->item[i] = p->item[--p->n];
            return 0;
        }
    if (it->decomp) {
        size_t size = artpack_decompressor_workspace_size(it->codec);
        it->ws = PyMem_RawMalloc(size);
        if (it->ws == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        Py_BEGIN_ALLOW_THREADS
        e = artpack_decompressor_init(&it->d, it->ws, size, it->codec, dict, 0);
        Py_END_ALLOW_THREADS
        if (e != ARTPACK_OK) PyMem_RawFree(it->ws);
    } else {
        artpack_compress_params cp;
        memset(&cp, 0, sizeof cp);
        cp.codec = it->codec;
        cp.level = it->level;
        cp.checksum = 1;
        cp.frame_dict_id = 1;
        cp.words = it->words;
        Py_BEGIN_ALLOW_THREADS
        e = artpack_compressor_create(&it->c, &cp, dict, NULL);
        Py_END_ALLOW_THREADS
    }
    if (e != ARTPACK_OK) {
        ap_raise(e, it->decomp ? "cannot set up the decompressor" : "cannot set up the compressor",
                 -1);
        return -1;
    }
    return 0;
}

/* Gives *it back to the pool (freed when the pool is full). */
static void ap_pool_put(ap_pools *p, const ap_pooled *it) {
    if (p->n < AP_POOL_MAX) p->item[p->n++] = *it;
    else ap_pooled_free(it);
}

static int ap_dict_arg(PyObject *o, ap_Dictionary **out) {
    if (o == NULL || o == Py_None) {
        *out = NULL;
        return 0;
    }
    if (!PyObject_TypeCheck(o, &ap_DictionaryType)) {
        PyErr_Format(PyExc_TypeError, "dictionary is an artpack.Dictionary or None, not %.100s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = (ap_Dictionary *)o;
    return 0;
}

static int ap_Dictionary_init(ap_Dictionary *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"data", NULL};
    PyObject *data, *b;
    artpack_error e;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:Dictionary", kwlist, &data)) return -1;
    b = PyBytes_FromObject(data);
    if (b == NULL) return -1;
    e = artpack_dict_load(&self->dict, PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(b));
    if (e != ARTPACK_OK) {
        Py_DECREF(b);
        ap_raise(e, "not a dictionary", -1);
        return -1;
    }
    ap_pools_clear(&self->pools);
    Py_XSETREF(self->data, b);
    return 0;
}

static void ap_Dictionary_dealloc(ap_Dictionary *self) {
    ap_pools_clear(&self->pools);
    Py_XDECREF(self->data);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int ap_dict_ready(ap_Dictionary *self) {
    if (self->data == NULL) {
        PyErr_SetString(PyExc_ValueError, "Dictionary not initialised");
        return -1;
    }
    return 0;
}

static PyObject *ap_Dictionary_id(ap_Dictionary *self, void *c) {
    (void)c;
    if (ap_dict_ready(self)) return NULL;
    return PyLong_FromUnsignedLong(self->dict.id);
}

static PyObject *ap_Dictionary_data(ap_Dictionary *self, void *c) {
    (void)c;
    if (ap_dict_ready(self)) return NULL;
    return Py_NewRef(self->data);
}

static PyObject *ap_Dictionary_bytes(ap_Dictionary *self, PyObject *unused) {
    (void)unused;
    if (ap_dict_ready(self)) return NULL;
    return Py_NewRef(self->data);
}

static Py_ssize_t ap_Dictionary_len(ap_Dictionary *self) {
    if (ap_dict_ready(self)) return -1;
    return PyBytes_GET_SIZE(self->data);
}

/* The number of words in the dictionary's word list (its header's count,
 * docs/FORMAT.md "Word transform"), 0 without one: `artpack info`'s words. */
static PyObject *ap_Dictionary_words(ap_Dictionary *self, void *c) {
    (void)c;
    if (ap_dict_ready(self)) return NULL;
    if (self->dict.words == NULL) return PyLong_FromLong(0);
    return PyLong_FromUnsignedLong((unsigned long)self->dict.words[2] |
                                   (unsigned long)self->dict.words[3] << 8);
}

static PyObject *ap_Dictionary_repr(ap_Dictionary *self) {
    if (self->data == NULL) return PyUnicode_FromString("<artpack.Dictionary (empty)>");
    if (self->dict.words != NULL)
        return PyUnicode_FromFormat("<artpack.Dictionary id=%lu, %zd bytes, %lu words>",
                                    (unsigned long)self->dict.id, PyBytes_GET_SIZE(self->data),
                                    (unsigned long)self->dict.words[2] |
                                        (unsigned long)self->dict.words[3] << 8);
    return PyUnicode_FromFormat("<artpack.Dictionary id=%lu, %zd bytes>",
                                (unsigned long)self->dict.id, PyBytes_GET_SIZE(self->data));
}

static PyGetSetDef ap_Dictionary_getset[] = {
    {"id", (getter)ap_Dictionary_id, NULL, "the dictionary ID (a 32-bit number, never 0)", NULL},
    {"data", (getter)ap_Dictionary_data, NULL, "the dictionary's bytes (a standard zstd dictionary)", NULL},
    {"words", (getter)ap_Dictionary_words, NULL,
     "the number of words in its word list (the word transform's), 0 when it holds none", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef ap_Dictionary_methods[] = {
    {"__bytes__", (PyCFunction)ap_Dictionary_bytes, METH_NOARGS, "the dictionary's bytes"},
    {NULL, NULL, 0, NULL}};

static PySequenceMethods ap_Dictionary_seq = {.sq_length = (lenfunc)ap_Dictionary_len};

static PyTypeObject ap_DictionaryType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "artpack._artpack.Dictionary",
    .tp_basicsize = sizeof(ap_Dictionary),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Dictionary(data): a zstd dictionary (its bytes checked and referenced).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)ap_Dictionary_init,
    .tp_dealloc = (destructor)ap_Dictionary_dealloc,
    .tp_getset = ap_Dictionary_getset,
    .tp_methods = ap_Dictionary_methods,
    .tp_as_sequence = &ap_Dictionary_seq,
    .tp_repr = (reprfunc)ap_Dictionary_repr,
};

/* ---- train ---- */

typedef struct ap_growbuf {
    unsigned char *data;
    size_t len, cap;
} ap_growbuf;

static int ap_grow(ap_growbuf *b, size_t add) {
    size_t need = b->len + add, ncap;
    unsigned char *p;
    if (need <= b->cap) return 0;
    ncap = b->cap ? b->cap : 4096;
    while (ncap < need) ncap *= 2;
    p = (unsigned char *)PyMem_RawRealloc(b->data, ncap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = p;
    b->cap = ncap;
    return 0;
}

static PyObject *ap_py_train(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"articles", "size", "level", "optimize", "words", NULL};
    PyObject *articles, *it = NULL, *item, *dictbytes = NULL, *res = NULL, *wobj = Py_True;
    Py_ssize_t size = (Py_ssize_t)ARTPACK_DICT_SIZE_DEFAULT;
    int level = 19, optimize = 0;
    ap_growbuf samples = {NULL, 0, 0}, sizes = {NULL, 0, 0};
    artpack_train_params tp;
    artpack_error e;
    size_t written = 0, count;
    int words;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|n$ipO:train", kwlist, &articles, &size, &level,
                                     &optimize, &wobj))
        return NULL;
    /* words: True = a list of the length the trainer's held-out measure
     * picks (artpack train), False = none (artpack train --no-words), an
     * int = that many words */
    if (PyBool_Check(wobj)) {
        words = wobj == Py_True ? 0 : -1;
    } else {
        long v = PyLong_AsLong(wobj);
        if (v == -1 && PyErr_Occurred()) return NULL;
        if (v < 1 || v > ARTPACK_DICT_WORDS_MAX)
            return PyErr_Format(PyExc_ValueError,
                                "words is True, False or a number of words 1..%d",
                                ARTPACK_DICT_WORDS_MAX);
        words = (int)v;
    }
    if (size < (Py_ssize_t)ARTPACK_DICT_SIZE_MIN || size > (Py_ssize_t)ARTPACK_DICT_SIZE_MAX)
        return PyErr_Format(PyExc_ValueError, "size is %zu..%zu bytes", ARTPACK_DICT_SIZE_MIN,
                            ARTPACK_DICT_SIZE_MAX);
    it = PyObject_GetIter(articles);
    if (it == NULL) return NULL;
    while ((item = PyIter_Next(it)) != NULL) {
        PyObject *rec;
        size_t n;
        if (PyBytes_Check(item)) rec = Py_NewRef(item); /* already a record */
        else rec = ap_pack_obj(item);
        Py_DECREF(item);
        if (rec == NULL) goto done;
        n = (size_t)PyBytes_GET_SIZE(rec);
        if (ap_grow(&samples, n) || ap_grow(&sizes, sizeof(size_t))) {
            Py_DECREF(rec);
            goto done;
        }
        memcpy(samples.data + samples.len, PyBytes_AS_STRING(rec), n);
        samples.len += n;
        memcpy(sizes.data + sizes.len, &n, sizeof n);
        sizes.len += sizeof n;
        Py_DECREF(rec);
    }
    if (PyErr_Occurred()) goto done;
    count = sizes.len / sizeof(size_t);
    if (count > 0xFFFFFFFFu) {
        PyErr_SetString(PyExc_ValueError, "too many articles to train on");
        goto done;
    }
    dictbytes = PyBytes_FromStringAndSize(NULL, size);
    if (dictbytes == NULL) goto done;
    memset(&tp, 0, sizeof tp);
    tp.dict_size = (size_t)size;
    tp.words = words;
    tp.level = level;
    tp.optimize = optimize;
    if (samples.data == NULL && (ap_grow(&samples, 1) || ap_grow(&sizes, sizeof(size_t)))) goto done;
    Py_BEGIN_ALLOW_THREADS
    e = artpack_dict_train(PyBytes_AS_STRING(dictbytes), (size_t)size, samples.data,
                           (const size_t *)sizes.data, (unsigned)count, &tp, &written);
    Py_END_ALLOW_THREADS
    if (e != ARTPACK_OK) {
        ap_raise(e, "cannot train a dictionary", -1);
        goto done;
    }
    if (_PyBytes_Resize(&dictbytes, (Py_ssize_t)written) < 0) goto done;
    res = PyObject_CallOneArg(ap_dict_class, dictbytes);
done:
    Py_XDECREF(dictbytes);
    Py_XDECREF(it);
    PyMem_RawFree(samples.data);
    PyMem_RawFree(sizes.data);
    return res;
}

/* ---- compress, decompress ---- */

static int ap_level_arg(PyObject *o, artpack_codec codec, int *level) {
    long v;
    if (o == NULL || o == Py_None) {
        *level = codec == ARTPACK_CODEC_LZ4 ? 12 : codec == ARTPACK_CODEC_ZSTD ? 19 : 0;
        return 0;
    }
    v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (v < -1000 || v > 1000) {
        PyErr_SetString(PyExc_ValueError, "level out of range");
        return -1;
    }
    *level = (int)v;
    return 0;
}

/* words: None = the word transform when the dictionary holds a word list
 * and the codec takes one (zstd, LZ4), as the CLI does; True = required
 * (ARTPACK_E_NO_WORDS from the library without a list; ValueError for a
 * codec that takes none); False = none. */
static int ap_words_arg(PyObject *o, artpack_codec codec, const ap_Dictionary *dict, int *words) {
    int on = codec == ARTPACK_CODEC_ZSTD || codec == ARTPACK_CODEC_LZ4;
    if (o == NULL || o == Py_None) {
        *words = on && dict != NULL && dict->dict.words != NULL;
        return 0;
    }
    *words = PyObject_IsTrue(o);
    if (*words < 0) return -1;
    if (*words && !on) {
        PyErr_Format(PyExc_ValueError, "the word transform is for zstd and lz4, not %s",
                     ap_codec_name(codec));
        return -1;
    }
    return 0;
}

/* Compresses a record with the dictionary's (or the no-dictionary) pool. */
static PyObject *ap_compress_record(ap_Dictionary *dict, artpack_codec codec, int level,
                                    int words, const void *rec, size_t n) {
    ap_pools *pools = dict ? &dict->pools : &ap_nodict_pools;
    ap_pooled it = {0, codec, level, words, NULL, NULL, NULL};
    PyObject *out;
    size_t written = 0;
    artpack_error e;
    if (ap_pool_get(pools, dict ? &dict->dict : NULL, &it)) return NULL;
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)ARTPACK_FRAME_BOUND(n));
    if (out == NULL) {
        ap_pool_put(pools, &it);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    e = artpack_frame_compress(it.c, PyBytes_AS_STRING(out), ARTPACK_FRAME_BOUND(n), rec, n,
                               &written);
    Py_END_ALLOW_THREADS
    ap_pool_put(pools, &it);
    if (e != ARTPACK_OK) {
        Py_DECREF(out);
        return ap_raise(e, "cannot compress", -1);
    }
    if (_PyBytes_Resize(&out, (Py_ssize_t)written) < 0) return NULL;
    return out;
}

static PyObject *ap_py_compress(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"article", "dictionary", "level", "codec", "words", NULL};
    PyObject *article, *dobj = Py_None, *lobj = Py_None, *cobj = Py_None, *wobj = Py_None, *rec,
             *out;
    ap_Dictionary *dict;
    artpack_codec codec;
    int level, words;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO$OO:compress", kwlist, &article, &dobj, &lobj,
                                     &cobj, &wobj))
        return NULL;
    if (ap_dict_arg(dobj, &dict) || ap_codec_arg(cobj, &codec) ||
        ap_level_arg(lobj, codec, &level) || ap_words_arg(wobj, codec, dict, &words))
        return NULL;
    if (dict && ap_dict_ready(dict)) return NULL;
    rec = ap_pack_obj(article);
    if (rec == NULL) return NULL;
    out = ap_compress_record(dict, codec, level, words, PyBytes_AS_STRING(rec),
                             (size_t)PyBytes_GET_SIZE(rec));
    Py_DECREF(rec);
    return out;
}

/* Decompresses one frame into a malloc'ed buffer; *rec, *n. Errors say
 * what, at position (< 0: none). */
static int ap_decompress_mem(ap_Dictionary *dict, const void *src, size_t src_size,
                             unsigned char **rec, size_t *n, const char *what,
                             long long position) {
    ap_pools *pools = dict ? &dict->pools : &ap_nodict_pools;
    ap_pooled it = {1, ARTPACK_CODEC_ZSTD, 0, 0, NULL, NULL, NULL};
    artpack_frame_info fi;
    unsigned char *dst;
    size_t room;
    artpack_error e = artpack_frame_info_get(&fi, src, src_size);
    if (e != ARTPACK_OK) {
        ap_raise(e, what, position);
        return -1;
    }
    if (fi.uses_dict && dict == NULL) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "%s: the frame was made with dictionary ID %lu: give it (%s)", what,
                 (unsigned long)fi.dict_id, artpack_error_name(ARTPACK_E_NEED_DICT));
        ap_raise_full(ap_DictionaryError, artpack_error_name(ARTPACK_E_NEED_DICT),
                      ARTPACK_E_NEED_DICT, msg, position);
        return -1;
    }
    if (ap_pool_get(pools, dict ? &dict->dict : NULL, &it)) return -1;
    /* malloc: pages are touched only as they are written, so a hostile
     * frame's claimed size costs nothing unless it decompresses. A
     * word-transformed frame gets the 32 bytes past the content that
     * artpack_frame_decompress may use as room (its fast expansion) */
    room = fi.words ? 32 : 0;
    dst = (unsigned char *)PyMem_RawMalloc(fi.content_size + room ? fi.content_size + room : 1);
    if (dst == NULL) {
        ap_pool_put(pools, &it);
        PyErr_NoMemory();
        return -1;
    }
    Py_BEGIN_ALLOW_THREADS
    e = artpack_frame_decompress(it.d, dst, fi.content_size + room, src, src_size, n);
    Py_END_ALLOW_THREADS
    ap_pool_put(pools, &it);
    if (e != ARTPACK_OK) {
        PyMem_RawFree(dst);
        ap_raise(e, what, position);
        return -1;
    }
    *rec = dst;
    return 0;
}

static PyObject *ap_py_decompress(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"blob", "dictionary", "raw", NULL};
    Py_buffer buf;
    PyObject *dobj = Py_None, *res;
    ap_Dictionary *dict;
    unsigned char *rec;
    size_t n;
    int raw = 0;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "y*|O$p:decompress", kwlist, &buf, &dobj, &raw))
        return NULL;
    if (ap_dict_arg(dobj, &dict) || (dict && ap_dict_ready(dict))) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    if (ap_decompress_mem(dict, buf.buf, (size_t)buf.len, &rec, &n, "cannot decompress", -1)) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    PyBuffer_Release(&buf);
    res = raw ? PyBytes_FromStringAndSize((const char *)rec, (Py_ssize_t)n) : ap_unpack_mem(rec, n);
    PyMem_RawFree(rec);
    return res;
}

static PyObject *ap_py_compress_record(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"record", "dictionary", "level", "codec", "words", NULL};
    Py_buffer buf;
    PyObject *dobj = Py_None, *lobj = Py_None, *cobj = Py_None, *wobj = Py_None, *out;
    ap_Dictionary *dict;
    artpack_codec codec;
    int level, words;
    size_t where;
    artpack_error e;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "y*|OO$OO:compress_record", kwlist, &buf, &dobj,
                                     &lobj, &cobj, &wobj))
        return NULL;
    if (ap_dict_arg(dobj, &dict) || ap_codec_arg(cobj, &codec) ||
        ap_level_arg(lobj, codec, &level) || (dict && ap_dict_ready(dict)) ||
        ap_words_arg(wobj, codec, dict, &words)) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    e = artpack_record_validate(buf.buf, (size_t)buf.len, &where);
    if (e != ARTPACK_OK) {
        PyBuffer_Release(&buf);
        return ap_raise(e, "not a record", (long long)where);
    }
    out = ap_compress_record(dict, codec, level, words, buf.buf, (size_t)buf.len);
    PyBuffer_Release(&buf);
    return out;
}

/* ---- files ---- */

typedef struct ap_fd {
    int fd;
    int err; /* errno of the last failure */
} ap_fd;

static int ap_fd_write(void *opaque, const void *data, size_t size) {
    ap_fd *f = (ap_fd *)opaque;
    const char *p = (const char *)data;
    while (size > 0) {
        ssize_t w = write(f->fd, p, size);
        if (w < 0) {
            if (errno == EINTR) continue;
            f->err = errno;
            return -1;
        }
        p += w;
        size -= (size_t)w;
    }
    return 0;
}

static int ap_fd_read(void *opaque, uint64_t offset, void *dst, size_t size) {
    ap_fd *f = (ap_fd *)opaque;
    char *p = (char *)dst;
    while (size > 0) {
        ssize_t r = pread(f->fd, p, size, (off_t)offset);
        if (r < 0) {
            if (errno == EINTR) continue;
            f->err = errno;
            return -1;
        }
        if (r == 0) {
            f->err = 0;
            return -1; /* past the end */
        }
        p += r;
        size -= (size_t)r;
        offset += (uint64_t)r;
    }
    return 0;
}

/* ---- Bundle (reader) ---- */

typedef struct {
    PyObject_HEAD
    ap_fd f;
    artpack_bundle_info info;
    artpack_bundle_reader *r;
    void *ws;
    PyObject *dictobj; /* the caller's Dictionary, kept alive */
    PyThread_type_lock lock;
    uint64_t file_size;
} ap_Bundle;

static PyTypeObject ap_BundleType;

/* The end of a tp_new: self (NULL: tp_alloc failed) with its lock, or NULL
 * with an exception. */
static PyObject *ap_with_lock(PyObject *self, PyThread_type_lock *lock) {
    if (self == NULL) return NULL;
    *lock = PyThread_allocate_lock();
    if (*lock == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return self;
}

static void ap_bundle_close_(ap_Bundle *self) {
    if (self->f.fd >= 0) close(self->f.fd);
    self->f.fd = -1;
    self->r = NULL;
    PyMem_RawFree(self->ws);
    self->ws = NULL;
    Py_CLEAR(self->dictobj);
}

static PyObject *ap_Bundle_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    ap_Bundle *self = (ap_Bundle *)type->tp_alloc(type, 0);
    (void)args;
    (void)kw;
    if (self == NULL) return NULL;
    self->f.fd = -1;
    return ap_with_lock((PyObject *)self, &self->lock);
}

static int ap_Bundle_init(ap_Bundle *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "dictionary", NULL};
    PyObject *path = NULL, *dobj = Py_None;
    ap_Dictionary *dict;
    struct stat st;
    artpack_error e;
    size_t wsz;
    int fd;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O:Bundle", kwlist, PyUnicode_FSConverter, &path,
                                     &dobj))
        return -1;
    if (ap_dict_arg(dobj, &dict) || (dict && ap_dict_ready(dict))) goto fail;
    ap_bundle_close_(self);
    Py_BEGIN_ALLOW_THREADS
    fd = open(PyBytes_AS_STRING(path), O_RDONLY | O_CLOEXEC);
    Py_END_ALLOW_THREADS
    if (fd < 0) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        goto fail;
    }
    self->f.fd = fd;
    if (fstat(fd, &st) != 0) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        goto fail;
    }
    self->file_size = (uint64_t)st.st_size;
    Py_BEGIN_ALLOW_THREADS
    e = artpack_bundle_info_get(&self->info, ap_fd_read, &self->f, self->file_size);
    Py_END_ALLOW_THREADS
    if (e != ARTPACK_OK) {
        ap_raise(e, "cannot open the bundle", -1);
        goto fail;
    }
    if (self->info.dict_id != 0 && !self->info.dict_embedded && dict == NULL) {
        char msg[200];
        snprintf(msg, sizeof msg, "the bundle was made with dictionary ID %lu: give it (%s)",
                 (unsigned long)self->info.dict_id, artpack_error_name(ARTPACK_E_NEED_DICT));
        ap_raise_full(ap_DictionaryError, artpack_error_name(ARTPACK_E_NEED_DICT),
                      ARTPACK_E_NEED_DICT, msg, -1);
        goto fail;
    }
    if (self->info.dict_id == 0) dict = NULL;
    if (dict != NULL && dict->dict.id != self->info.dict_id) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "the bundle was made with dictionary ID %lu, this one has ID %lu (%s)",
                 (unsigned long)self->info.dict_id, (unsigned long)dict->dict.id,
                 artpack_error_name(ARTPACK_E_WRONG_DICT));
        ap_raise_full(ap_DictionaryError, artpack_error_name(ARTPACK_E_WRONG_DICT),
                      ARTPACK_E_WRONG_DICT, msg, -1);
        goto fail;
    }
    wsz = artpack_bundle_reader_workspace_size(&self->info, dict == NULL);
    self->ws = PyMem_RawMalloc(wsz ? wsz : 1);
    if (self->ws == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    e = artpack_bundle_reader_open(&self->r, self->ws, wsz, &self->info, dict ? &dict->dict : NULL,
                                   ap_fd_read, &self->f);
    Py_END_ALLOW_THREADS
    if (e != ARTPACK_OK) {
        self->r = NULL;
        ap_raise(e, "cannot open the bundle", -1);
        goto fail;
    }
    if (dict) self->dictobj = Py_NewRef((PyObject *)dict);
    Py_DECREF(path);
    return 0;
fail:
    ap_bundle_close_(self);
    Py_XDECREF(path);
    return -1;
}

static void ap_Bundle_dealloc(ap_Bundle *self) {
    ap_bundle_close_(self);
    if (self->lock) PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int ap_bundle_ready(ap_Bundle *self) {
    if (self->r == NULL) {
        PyErr_SetString(PyExc_ValueError, "the bundle is closed");
        return -1;
    }
    return 0;
}

static void ap_lock(PyThread_type_lock l) {
    if (!PyThread_acquire_lock(l, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(l, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

static Py_ssize_t ap_Bundle_len(ap_Bundle *self) {
    if (ap_bundle_ready(self)) return -1;
    return (Py_ssize_t)self->info.article_count;
}

/* Article n as a dict (raw: the record as bytes). */
static PyObject *ap_bundle_get(ap_Bundle *self, uint64_t n, int raw) {
    const void *rec = NULL;
    size_t size = 0;
    artpack_error e;
    PyObject *res;
    char what[80];
    ap_lock(self->lock);
    Py_BEGIN_ALLOW_THREADS
    e = artpack_bundle_get(self->r, n, &rec, &size);
    Py_END_ALLOW_THREADS
    if (e != ARTPACK_OK) {
        PyThread_release_lock(self->lock);
        snprintf(what, sizeof what, "article %llu", (unsigned long long)n);
        return ap_raise(e, what, -1);
    }
    res = raw ? PyBytes_FromStringAndSize((const char *)rec, (Py_ssize_t)size) : ap_unpack_mem(rec, size);
    PyThread_release_lock(self->lock);
    return res;
}

static PyObject *ap_Bundle_item(ap_Bundle *self, Py_ssize_t i) {
    if (ap_bundle_ready(self)) return NULL;
    if (i < 0 || (uint64_t)i >= self->info.article_count) {
        PyErr_SetString(PyExc_IndexError, "bundle index out of range");
        return NULL;
    }
    return ap_bundle_get(self, (uint64_t)i, 0);
}

static PyObject *ap_Bundle_subscript(ap_Bundle *self, PyObject *key) {
    if (ap_bundle_ready(self)) return NULL;
    if (PyIndex_Check(key)) {
        Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (i == -1 && PyErr_Occurred()) return NULL;
        if (i < 0) i += (Py_ssize_t)self->info.article_count;
        return ap_Bundle_item(self, i);
    }
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step, n, k;
        PyObject *lst;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0) return NULL;
        n = PySlice_AdjustIndices((Py_ssize_t)self->info.article_count, &start, &stop, step);
        lst = PyList_New(n);
        if (lst == NULL) return NULL;
        for (k = 0; k < n; k++) {
            PyObject *a = ap_bundle_get(self, (uint64_t)(start + k * step), 0);
            if (a == NULL) {
                Py_DECREF(lst);
                return NULL;
            }
            PyList_SET_ITEM(lst, k, a);
        }
        return lst;
    }
    return PyErr_Format(PyExc_TypeError, "bundle indices are integers or slices, not %.100s",
                        Py_TYPE(key)->tp_name);
}

static PyObject *ap_Bundle_record(ap_Bundle *self, PyObject *arg) {
    Py_ssize_t i = PyNumber_AsSsize_t(arg, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred()) return NULL;
    if (ap_bundle_ready(self)) return NULL;
    if (i < 0) i += (Py_ssize_t)self->info.article_count;
    if (i < 0 || (uint64_t)i >= self->info.article_count) {
        PyErr_SetString(PyExc_IndexError, "bundle index out of range");
        return NULL;
    }
    return ap_bundle_get(self, (uint64_t)i, 1);
}

static PyObject *ap_Bundle_find(ap_Bundle *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"id", "start", NULL};
    const char *id;
    Py_ssize_t len, start = 0;
    uint64_t n;
    artpack_error e;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s#|n:find", kwlist, &id, &len, &start)) return NULL;
    if (ap_bundle_ready(self)) return NULL;
    if (start < 0) start = 0;
    n = (uint64_t)start;
    if (n >= self->info.article_count) return PyLong_FromLong(-1);
    ap_lock(self->lock);
    Py_BEGIN_ALLOW_THREADS
    e = artpack_bundle_find_id(self->r, id, (size_t)len, &n);
    Py_END_ALLOW_THREADS
    PyThread_release_lock(self->lock);
    if (e == ARTPACK_E_NOT_FOUND) return PyLong_FromLong(-1);
    if (e != ARTPACK_OK) return ap_raise(e, "find", -1);
    return PyLong_FromUnsignedLongLong(n);
}

static PyObject *ap_Bundle_verify(ap_Bundle *self, PyObject *unused) {
    artpack_error e;
    uint64_t b = 0, first = 0;
    uint32_t count = 0;
    (void)unused;
    if (ap_bundle_ready(self)) return NULL;
    ap_lock(self->lock);
    Py_BEGIN_ALLOW_THREADS
    e = artpack_bundle_check_index(self->r);
    if (e == ARTPACK_OK)
        for (b = 0; b < self->info.block_count; b++)
            if ((e = artpack_bundle_check_block(self->r, b, &first, &count)) != ARTPACK_OK) break;
    Py_END_ALLOW_THREADS
    PyThread_release_lock(self->lock);
    if (e != ARTPACK_OK) {
        char what[100];
        if (b == 0 && count == 0 && first == 0 && self->info.block_count == 0)
            snprintf(what, sizeof what, "verify: the index");
        else
            snprintf(what, sizeof what, "verify: block %llu (or the index)", (unsigned long long)b);
        return ap_raise(e, what, -1);
    }
    Py_RETURN_NONE;
}

static PyObject *ap_Bundle_close(ap_Bundle *self, PyObject *unused) {
    (void)unused;
    ap_lock(self->lock);
    ap_bundle_close_(self);
    PyThread_release_lock(self->lock);
    Py_RETURN_NONE;
}

static PyObject *ap_Bundle_info(ap_Bundle *self, void *c) {
    const artpack_bundle_info *i = &self->info;
    (void)c;
    if (ap_bundle_ready(self)) return NULL;
    return Py_BuildValue("{s:s,s:i,s:O,s:k,s:O,s:n,s:K,s:K,s:n,s:K,s:O,s:O,s:O}", "codec",
                         ap_codec_name(i->codec), "level", i->level, "columns",
                         i->columns ? Py_True : Py_False, "dict_id",
                         (unsigned long)i->dict_id, "dict_embedded",
                         i->dict_embedded ? Py_True : Py_False, "block_size",
                         (Py_ssize_t)i->block_size, "article_count",
                         (unsigned long long)i->article_count, "block_count",
                         (unsigned long long)i->block_count, "max_block_content",
                         (Py_ssize_t)i->max_block_content, "file_size",
                         (unsigned long long)self->file_size, "recovered_footer",
                         i->recovered_footer ? Py_True : Py_False, "words",
                         i->words ? Py_True : Py_False, "similar",
                         i->similar ? Py_True : Py_False);
}

static PyObject *ap_Bundle_dictionary(ap_Bundle *self, void *c) {
    artpack_dict d;
    PyObject *b, *res;
    (void)c;
    if (ap_bundle_ready(self)) return NULL;
    if (self->dictobj) return Py_NewRef(self->dictobj);
    if (artpack_bundle_reader_dict(self->r, &d) != ARTPACK_OK) Py_RETURN_NONE;
    b = PyBytes_FromStringAndSize((const char *)d.data, (Py_ssize_t)d.size);
    if (b == NULL) return NULL;
    res = PyObject_CallOneArg(ap_dict_class, b);
    Py_DECREF(b);
    return res;
}

static PyMethodDef ap_Bundle_methods[] = {
    {"find", (PyCFunction)(void (*)(void))ap_Bundle_find, METH_VARARGS | METH_KEYWORDS,
     "find(id, start=0) -> int: the index of the first article whose id is id, from start on; -1 if none."},
    {"record", (PyCFunction)ap_Bundle_record, METH_O,
     "record(i) -> bytes: article i as its packed record (no JSON or dict)."},
    {"verify", (PyCFunction)ap_Bundle_verify, METH_NOARGS,
     "verify() -> None: checks the index and every block (checksums, records); raises artpack.CorruptError on damage."},
    {"close", (PyCFunction)ap_Bundle_close, METH_NOARGS, "close(): closes the file."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef ap_Bundle_getset[] = {
    {"info", (getter)ap_Bundle_info, NULL, "what the header and footer say (a dict)", NULL},
    {"dictionary", (getter)ap_Bundle_dictionary, NULL,
     "the dictionary the bundle is read with (given or embedded), or None", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PySequenceMethods ap_Bundle_seq = {
    .sq_length = (lenfunc)ap_Bundle_len,
    .sq_item = (ssizeargfunc)ap_Bundle_item,
};
static PyMappingMethods ap_Bundle_map = {
    .mp_length = (lenfunc)ap_Bundle_len,
    .mp_subscript = (binaryfunc)ap_Bundle_subscript,
};

static PyTypeObject ap_BundleType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "artpack._artpack.Bundle",
    .tp_basicsize = sizeof(ap_Bundle),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Bundle(path, dictionary=None): a bundle read with pread, one block at a time.",
    .tp_new = ap_Bundle_new,
    .tp_init = (initproc)ap_Bundle_init,
    .tp_dealloc = (destructor)ap_Bundle_dealloc,
    .tp_methods = ap_Bundle_methods,
    .tp_getset = ap_Bundle_getset,
    .tp_as_sequence = &ap_Bundle_seq,
    .tp_as_mapping = &ap_Bundle_map,
};

/* ---- bundle writer (over a file descriptor the Python side owns) ---- */

typedef struct {
    PyObject_HEAD
    ap_fd f;
    artpack_bundle_writer *w;
    PyObject *dictobj;
    PyThread_type_lock lock;
    artpack_error failed; /* a failure makes the writer unusable */
    unsigned long long count;
} ap_Writer;

static PyTypeObject ap_WriterType;

static PyObject *ap_Writer_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    ap_Writer *self = (ap_Writer *)type->tp_alloc(type, 0);
    (void)args;
    (void)kw;
    if (self == NULL) return NULL;
    self->f.fd = -1;
    return ap_with_lock((PyObject *)self, &self->lock);
}

static PyObject *ap_write_error(ap_Writer *self, artpack_error e, const char *what) {
    if (e == ARTPACK_E_WRITE && self->f.err) {
        errno = self->f.err;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    return ap_raise(e, what, -1);
}

/* The runner of a parallel writer: task(args[i]) for every i, args[0] on
 * the calling thread and the others on threads of their own, joined before
 * it returns (called by the library with the GIL released; the tasks only
 * compress). A thread that cannot be started runs its task here. */
typedef struct ap_task {
    artpack_task_fn fn;
    void *arg;
} ap_task;

static void *ap_task_main(void *p) {
    ap_task *t = (ap_task *)p;
    t->fn(t->arg);
    return NULL;
}

static void ap_parallel_run(void *opaque, artpack_task_fn task, void *const *args, size_t n) {
    pthread_t th[ARTPACK_BUNDLE_JOBS_MAX];
    ap_task tasks[ARTPACK_BUNDLE_JOBS_MAX];
    int started[ARTPACK_BUNDLE_JOBS_MAX];
    size_t i;
    (void)opaque;
    if (n > ARTPACK_BUNDLE_JOBS_MAX) n = ARTPACK_BUNDLE_JOBS_MAX; /* (the library's bound) */
    for (i = 1; i < n; i++) {
        tasks[i].fn = task;
        tasks[i].arg = args[i];
        started[i] = pthread_create(&th[i], NULL, ap_task_main, &tasks[i]) == 0;
    }
    if (n > 0) task(args[0]);
    for (i = 1; i < n; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else task(args[i]);
    }
}

static int ap_Writer_init(ap_Writer *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"fd", "dictionary", "embed_dictionary", "level", "codec",
                             "block_size", "jobs", "columns", "words", NULL};
    int fd, embed = 0, jobs = 1;
    PyObject *dobj = Py_None, *lobj = Py_None, *cobj = Py_None, *colobj = Py_None,
             *wobj = Py_None;
    Py_ssize_t block_size = 0;
    ap_Dictionary *dict;
    artpack_bundle_params p;
    artpack_error e;
    if (self->w != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "writer already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kw, "i|OpOOniOO:_BundleWriter", kwlist, &fd, &dobj,
                                     &embed, &lobj, &cobj, &block_size, &jobs, &colobj, &wobj))
        return -1;
    if (jobs < 1 || jobs > (int)ARTPACK_BUNDLE_JOBS_MAX) {
        PyErr_Format(PyExc_ValueError, "jobs is 1..%u (0 in BundleWriter: one per CPU)",
                     ARTPACK_BUNDLE_JOBS_MAX);
        return -1;
    }
    memset(&p, 0, sizeof p);
    if (ap_dict_arg(dobj, &dict) || (dict && ap_dict_ready(dict)) || ap_codec_arg(cobj, &p.codec) ||
        ap_level_arg(lobj, p.codec, &p.level) || ap_words_arg(wobj, p.codec, dict, &p.words))
        return -1;
    if (embed && dict == NULL) {
        PyErr_SetString(PyExc_ValueError, "embed_dictionary needs a dictionary");
        return -1;
    }
    if (block_size < 0) {
        PyErr_SetString(PyExc_ValueError, "block_size must be positive");
        return -1;
    }
    p.block_size = (size_t)block_size;
    p.embed_dict = embed;
    /* columns None: the CLI's default (artpack pack: columnar for zstd, --rows not given) */
    if (colobj == Py_None) {
        p.columns = p.codec == ARTPACK_CODEC_ZSTD;
    } else {
        p.columns = PyObject_IsTrue(colobj);
        if (p.columns < 0) return -1;
    }
    self->f.fd = fd;
    Py_BEGIN_ALLOW_THREADS
    e = artpack_bundle_writer_create(&self->w, &p, dict ? &dict->dict : NULL, NULL, ap_fd_write,
                                     &self->f);
    /* the default allocator (malloc) is thread-safe, as jobs > 1 needs */
    if (e == ARTPACK_OK && jobs > 1) {
        e = artpack_bundle_writer_set_parallel(self->w, (unsigned)jobs, ap_parallel_run, NULL);
        if (e != ARTPACK_OK) artpack_bundle_writer_free(self->w);
    }
    Py_END_ALLOW_THREADS
    if (e != ARTPACK_OK) {
        self->w = NULL;
        ap_write_error(self, e, "cannot start the bundle");
        return -1;
    }
    if (dict) self->dictobj = Py_NewRef((PyObject *)dict);
    return 0;
}

static void ap_Writer_dealloc(ap_Writer *self) {
    artpack_bundle_writer_free(self->w);
    Py_XDECREF(self->dictobj);
    if (self->lock) PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int ap_writer_ready(ap_Writer *self) {
    if (self->w == NULL) {
        PyErr_SetString(PyExc_ValueError, "the bundle writer is closed");
        return -1;
    }
    if (self->failed) {
        ap_raise_full(ap_Error, artpack_error_name(self->failed), (int)self->failed,
                      "the bundle writer failed earlier and is unusable", -1);
        return -1;
    }
    return 0;
}

/* Adds one record (bytes) with the GIL released. */
static int ap_writer_add_record(ap_Writer *self, PyObject *rec) {
    artpack_error e;
    ap_lock(self->lock);
    Py_BEGIN_ALLOW_THREADS
    e = artpack_bundle_writer_add(self->w, PyBytes_AS_STRING(rec), (size_t)PyBytes_GET_SIZE(rec));
    Py_END_ALLOW_THREADS
    PyThread_release_lock(self->lock);
    if (e != ARTPACK_OK) {
        /* a bad record is refused before anything is written: the writer
         * stays usable; any other failure leaves it unusable */
        if (e != ARTPACK_E_TOO_LARGE && !((int)e >= 64 && (int)e < 128)) self->failed = e;
        ap_write_error(self, e, "cannot add the article");
        return -1;
    }
    self->count++;
    return 0;
}

/* add and add_record: arg made a record by to_record (packed, or bytes) */
static PyObject *ap_writer_add_as(ap_Writer *self, PyObject *arg,
                                  PyObject *(*to_record)(PyObject *)) {
    PyObject *rec;
    int rc;
    if (ap_writer_ready(self)) return NULL;
    rec = to_record(arg);
    if (rec == NULL) return NULL;
    rc = ap_writer_add_record(self, rec);
    Py_DECREF(rec);
    if (rc) return NULL;
    Py_RETURN_NONE;
}

static PyObject *ap_Writer_add(ap_Writer *self, PyObject *article) {
    return ap_writer_add_as(self, article, ap_pack_obj);
}

static PyObject *ap_Writer_add_record(ap_Writer *self, PyObject *arg) {
    return ap_writer_add_as(self, arg, PyBytes_FromObject);
}

static PyObject *ap_Writer_extend(ap_Writer *self, PyObject *iterable) {
    PyObject *it, *item;
    if (ap_writer_ready(self)) return NULL;
    it = PyObject_GetIter(iterable);
    if (it == NULL) return NULL;
    while ((item = PyIter_Next(it)) != NULL) {
        PyObject *rec = ap_pack_obj(item);
        int rc;
        Py_DECREF(item);
        if (rec == NULL) break;
        rc = ap_writer_add_record(self, rec);
        Py_DECREF(rec);
        if (rc) break;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

static PyObject *ap_Writer_commit(ap_Writer *self, PyObject *unused) {
    artpack_error e;
    (void)unused;
    if (ap_writer_ready(self)) return NULL;
    ap_lock(self->lock);
    Py_BEGIN_ALLOW_THREADS
    e = artpack_bundle_writer_commit(self->w);
    Py_END_ALLOW_THREADS
    PyThread_release_lock(self->lock);
    if (e != ARTPACK_OK) {
        self->failed = e;
        return ap_write_error(self, e, "cannot commit the bundle");
    }
    Py_RETURN_NONE;
}

static PyObject *ap_Writer_free(ap_Writer *self, PyObject *unused) {
    (void)unused;
    ap_lock(self->lock);
    artpack_bundle_writer_free(self->w);
    self->w = NULL;
    PyThread_release_lock(self->lock);
    Py_CLEAR(self->dictobj);
    Py_RETURN_NONE;
}

static PyObject *ap_Writer_count(ap_Writer *self, void *c) {
    (void)c;
    return PyLong_FromUnsignedLongLong(self->count);
}

/* _copy_blocks(bundle): every block of an open Bundle, as stored and not
 * decoded (as artpack merge: each block's checksum goes with it, for
 * readers and verify to check), with the id hashes of its index, whose
 * segments are checked first. */
static PyObject *ap_Writer_copy_blocks(ap_Writer *self, PyObject *arg) {
    ap_Bundle *b;
    artpack_error e;
    uint64_t blk = 0;
    int indexed;
    if (ap_writer_ready(self)) return NULL;
    if (!PyObject_TypeCheck(arg, &ap_BundleType))
        return PyErr_Format(PyExc_TypeError, "a Bundle, not %.100s", Py_TYPE(arg)->tp_name);
    b = (ap_Bundle *)arg;
    if (ap_bundle_ready(b)) return NULL;
    ap_lock(b->lock);
    ap_lock(self->lock);
    Py_BEGIN_ALLOW_THREADS
    e = artpack_bundle_check_index(b->r);
    indexed = e == ARTPACK_OK;
    for (; e == ARTPACK_OK && blk < b->info.block_count; blk++)
        e = artpack_bundle_writer_copy_block_undecoded(self->w, b->r, blk);
    Py_END_ALLOW_THREADS
    PyThread_release_lock(self->lock);
    PyThread_release_lock(b->lock);
    if (e != ARTPACK_OK) {
        char what[100];
        if (!indexed)
            return ap_raise(e, "cannot read its index (verify it; recover salvages it)", -1);
        self->failed = e;
        snprintf(what, sizeof what, "cannot copy block %llu", (unsigned long long)(blk - 1));
        return ap_write_error(self, e, what);
    }
    self->count += b->info.article_count;
    Py_RETURN_NONE;
}

static PyMethodDef ap_Writer_methods[] = {
    {"add", (PyCFunction)ap_Writer_add, METH_O, "add(article): packs and adds one article."},
    {"add_record", (PyCFunction)ap_Writer_add_record, METH_O, "add_record(record): adds a packed record."},
    {"extend", (PyCFunction)ap_Writer_extend, METH_O, "extend(articles): adds every article."},
    {"commit", (PyCFunction)ap_Writer_commit, METH_NOARGS, "commit(): last block, index, footer."},
    {"free", (PyCFunction)ap_Writer_free, METH_NOARGS, "free(): drops the writer."},
    {"copy_blocks", (PyCFunction)ap_Writer_copy_blocks, METH_O,
     "copy_blocks(bundle): copies every block of bundle as stored (same codec and dictionary)."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef ap_Writer_getset[] = {
    {"count", (getter)ap_Writer_count, NULL, "articles added", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject ap_WriterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "artpack._artpack._BundleWriter",
    .tp_basicsize = sizeof(ap_Writer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "_BundleWriter(fd, dictionary=None, embed_dictionary=False, level=None, codec=None, "
              "block_size=0, jobs=1, columns=None): the library's writer over a file descriptor (use "
              "artpack.BundleWriter).",
    .tp_new = ap_Writer_new,
    .tp_init = (initproc)ap_Writer_init,
    .tp_dealloc = (destructor)ap_Writer_dealloc,
    .tp_methods = ap_Writer_methods,
    .tp_getset = ap_Writer_getset,
};

/* _writer_for_merge(fd, bundle, embed_dictionary, similar=False): a writer
 * with the first bundle's codec, level, block size and dictionary; similar:
 * one of the bundles has a block map (it comes along: the output has one). */
static PyObject *ap_py_writer_for_merge(PyObject *self, PyObject *args) {
    int fd, embed, similar = 0;
    PyObject *bobj;
    ap_Bundle *b;
    ap_Writer *w;
    artpack_bundle_params p;
    artpack_dict d;
    artpack_error e, de;
    (void)self;
    if (!PyArg_ParseTuple(args, "iO!p|p:_writer_for_merge", &fd, &ap_BundleType, &bobj, &embed,
                          &similar))
        return NULL;
    b = (ap_Bundle *)bobj;
    if (ap_bundle_ready(b)) return NULL;
    w = (ap_Writer *)ap_Writer_new(&ap_WriterType, NULL, NULL);
    if (w == NULL) return NULL;
    de = artpack_bundle_reader_dict(b->r, &d);
    memset(&p, 0, sizeof p);
    p.codec = b->info.codec;
    p.level = b->info.level;
    p.block_size = b->info.block_size;
    p.columns = b->info.columns;
    p.words = b->info.words; /* blocks are copied as they are */
    p.similar = similar;
    p.embed_dict = b->info.dict_embedded || (embed && de == ARTPACK_OK);
    w->f.fd = fd;
    /* the dictionary lives in b's workspace or b's Dictionary: keep b */
    w->dictobj = Py_NewRef(bobj);
    e = artpack_bundle_writer_create(&w->w, &p, de == ARTPACK_OK ? &d : NULL, NULL, ap_fd_write,
                                     &w->f);
    if (e != ARTPACK_OK) {
        w->w = NULL;
        ap_write_error(w, e, "cannot start the bundle");
        Py_DECREF(w);
        return NULL;
    }
    return (PyObject *)w;
}

/* ---- streams: what `artpack encode` writes and `artpack decode` reads ---- */

/* _StreamEncoder(compressed, dictionary, level, codec, checksum): the header
 * and the items (length prefix + record or frame) of a stream, as bytes; the
 * Python side writes them. Frames leave their dictionary ID out (the stream
 * header names it), as the CLI's. */
typedef struct {
    PyObject_HEAD
    artpack_stream_kind kind;
    uint32_t dict_id;
    artpack_compressor *comp; /* compressed streams */
    PyObject *dictobj;
    PyThread_type_lock lock;
    ap_growbuf frame;         /* a frame being made (used under the lock) */
} ap_StreamEncoder;

static PyTypeObject ap_StreamEncoderType;

static PyObject *ap_StreamEncoder_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    ap_StreamEncoder *self = (ap_StreamEncoder *)type->tp_alloc(type, 0);
    (void)args;
    (void)kw;
    if (self == NULL) return NULL;
    return ap_with_lock((PyObject *)self, &self->lock);
}

static int ap_StreamEncoder_init(ap_StreamEncoder *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"compressed", "dictionary", "level", "codec", "checksum", "words",
                             NULL};
    int compressed = 0, checksum = 1;
    PyObject *dobj = Py_None, *lobj = Py_None, *cobj = Py_None, *wobj = Py_None;
    ap_Dictionary *dict;
    artpack_compress_params p;
    artpack_error e;
    if (self->kind != ARTPACK_STREAM_UNKNOWN) {
        PyErr_SetString(PyExc_RuntimeError, "encoder already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kw, "p|OOOpO:_StreamEncoder", kwlist, &compressed, &dobj,
                                     &lobj, &cobj, &checksum, &wobj))
        return -1;
    memset(&p, 0, sizeof p);
    if (ap_dict_arg(dobj, &dict) || (dict && ap_dict_ready(dict)) || ap_codec_arg(cobj, &p.codec) ||
        ap_level_arg(lobj, p.codec, &p.level) || ap_words_arg(wobj, p.codec, dict, &p.words))
        return -1;
    if (!compressed && wobj != Py_None && p.words) {
        PyErr_SetString(PyExc_ValueError, "words=True needs a compressed stream (a record "
                                          "stream holds records as they are)");
        return -1;
    }
    if (!compressed) {
        self->kind = ARTPACK_STREAM_RECORDS;
        return 0;
    }
    p.checksum = checksum;
    p.frame_dict_id = 0; /* the stream's header names the dictionary */
    Py_BEGIN_ALLOW_THREADS
    e = artpack_compressor_create(&self->comp, &p, dict ? &dict->dict : NULL, NULL);
    Py_END_ALLOW_THREADS
    if (e != ARTPACK_OK) {
        self->comp = NULL;
        ap_raise(e, "cannot set up the compressor", -1);
        return -1;
    }
    self->kind = ARTPACK_STREAM_COMPRESSED;
    self->dict_id = dict ? dict->dict.id : 0;
    if (dict) self->dictobj = Py_NewRef((PyObject *)dict);
    return 0;
}

static void ap_StreamEncoder_dealloc(ap_StreamEncoder *self) {
    artpack_compressor_free(self->comp);
    PyMem_RawFree(self->frame.data);
    Py_XDECREF(self->dictobj);
    if (self->lock) PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int ap_encoder_ready(ap_StreamEncoder *self) {
    if (self->kind == ARTPACK_STREAM_UNKNOWN) {
        PyErr_SetString(PyExc_ValueError, "stream encoder not initialised");
        return -1;
    }
    return 0;
}

static PyObject *ap_StreamEncoder_header(ap_StreamEncoder *self, PyObject *unused) {
    unsigned char head[ARTPACK_STREAM_HEADER_SIZE_MAX];
    size_t n = 0;
    artpack_error e;
    (void)unused;
    if (ap_encoder_ready(self)) return NULL;
    e = artpack_stream_header_write(head, sizeof head, self->kind, self->dict_id, &n);
    if (e != ARTPACK_OK) return ap_raise(e, "stream header", -1);
    return PyBytes_FromStringAndSize((const char *)head, (Py_ssize_t)n);
}

/* Appends the item of the record rec[0..n) (compressed first in a
 * compressed stream) to out. 0, or -1 with an exception. */
static int ap_encoder_item(ap_StreamEncoder *self, const void *rec, size_t n, ap_growbuf *out) {
    unsigned char head[ARTPACK_STREAM_ITEM_HEAD_MAX];
    const void *item = rec;
    size_t size = n, hn = 0;
    artpack_error e = ARTPACK_OK;
    if (self->comp != NULL) {
        size_t bound = ARTPACK_FRAME_BOUND(n);
        ap_lock(self->lock);
        if (self->frame.cap < bound) {
            self->frame.len = 0;
            if (ap_grow(&self->frame, bound)) {
                PyThread_release_lock(self->lock);
                return -1;
            }
        }
        Py_BEGIN_ALLOW_THREADS
        e = artpack_frame_compress(self->comp, self->frame.data, self->frame.cap, rec, n, &size);
        Py_END_ALLOW_THREADS
        if (e != ARTPACK_OK) {
            PyThread_release_lock(self->lock);
            ap_raise(e, "cannot compress", -1);
            return -1;
        }
        item = self->frame.data;
    }
    e = artpack_stream_item_head_write(head, sizeof head, size, &hn);
    if (e == ARTPACK_OK && ap_grow(out, hn + size) == 0) {
        memcpy(out->data + out->len, head, hn);
        memcpy(out->data + out->len + hn, item, size);
        out->len += hn + size;
    }
    if (self->comp != NULL) PyThread_release_lock(self->lock);
    if (e != ARTPACK_OK) {
        ap_raise(e, "cannot write the stream item", -1);
        return -1;
    }
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *ap_growbuf_bytes(ap_growbuf *b) {
    PyObject *r = PyBytes_FromStringAndSize(b->len ? (const char *)b->data : "", (Py_ssize_t)b->len);
    PyMem_RawFree(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    return r;
}

/* encode(article) -> bytes: the article's item. */
static PyObject *ap_StreamEncoder_encode(ap_StreamEncoder *self, PyObject *article) {
    ap_growbuf out = {NULL, 0, 0};
    PyObject *rec;
    int rc;
    if (ap_encoder_ready(self)) return NULL;
    rec = ap_pack_obj(article);
    if (rec == NULL) return NULL;
    rc = ap_encoder_item(self, PyBytes_AS_STRING(rec), (size_t)PyBytes_GET_SIZE(rec), &out);
    Py_DECREF(rec);
    if (rc) {
        PyMem_RawFree(out.data);
        return NULL;
    }
    return ap_growbuf_bytes(&out);
}

/* encode_record(record) -> bytes: a packed record's item (validated). */
static PyObject *ap_StreamEncoder_encode_record(ap_StreamEncoder *self, PyObject *arg) {
    ap_growbuf out = {NULL, 0, 0};
    Py_buffer buf;
    size_t where = 0;
    artpack_error e;
    int rc;
    if (ap_encoder_ready(self)) return NULL;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_SIMPLE) < 0) return NULL;
    e = artpack_record_validate(buf.buf, (size_t)buf.len, &where);
    if (e != ARTPACK_OK) {
        PyBuffer_Release(&buf);
        return ap_raise(e, "not a record", (long long)where);
    }
    rc = ap_encoder_item(self, buf.buf, (size_t)buf.len, &out);
    PyBuffer_Release(&buf);
    if (rc) {
        PyMem_RawFree(out.data);
        return NULL;
    }
    return ap_growbuf_bytes(&out);
}

/* encode_many(articles, limit) -> (bytes, count): the items of the next
 * articles from an iterator until about limit bytes are made (at least
 * one); count 0 when the iterator is exhausted. */
static PyObject *ap_StreamEncoder_encode_many(ap_StreamEncoder *self, PyObject *args) {
    ap_growbuf out = {NULL, 0, 0};
    PyObject *it, *item, *bytes;
    Py_ssize_t limit, count = 0;
    if (!PyArg_ParseTuple(args, "On:encode_many", &it, &limit)) return NULL;
    if (ap_encoder_ready(self)) return NULL;
    if (!PyIter_Check(it)) return PyErr_Format(PyExc_TypeError, "an iterator");
    while ((Py_ssize_t)out.len < limit && (item = PyIter_Next(it)) != NULL) {
        PyObject *rec = ap_pack_obj(item);
        int rc;
        Py_DECREF(item);
        if (rec == NULL) break;
        rc = ap_encoder_item(self, PyBytes_AS_STRING(rec), (size_t)PyBytes_GET_SIZE(rec), &out);
        Py_DECREF(rec);
        if (rc) break;
        count++;
    }
    if (PyErr_Occurred()) {
        PyMem_RawFree(out.data);
        return NULL;
    }
    bytes = ap_growbuf_bytes(&out);
    if (bytes == NULL) return NULL;
    return Py_BuildValue("(Nn)", bytes, count);
}

static PyObject *ap_StreamEncoder_kind(ap_StreamEncoder *self, void *c) {
    (void)c;
    if (ap_encoder_ready(self)) return NULL;
    return PyUnicode_FromString(self->kind == ARTPACK_STREAM_COMPRESSED ? "compressed" : "records");
}

static PyObject *ap_StreamEncoder_dict_id(ap_StreamEncoder *self, void *c) {
    (void)c;
    return PyLong_FromUnsignedLong(self->dict_id);
}

static PyMethodDef ap_StreamEncoder_methods[] = {
    {"header", (PyCFunction)ap_StreamEncoder_header, METH_NOARGS, "header() -> bytes: the stream's header."},
    {"encode", (PyCFunction)ap_StreamEncoder_encode, METH_O,
     "encode(article) -> bytes: the article's item (length prefix, record or frame)."},
    {"encode_record", (PyCFunction)ap_StreamEncoder_encode_record, METH_O,
     "encode_record(record) -> bytes: a packed record's item."},
    {"encode_many", (PyCFunction)ap_StreamEncoder_encode_many, METH_VARARGS,
     "encode_many(iterator, limit) -> (bytes, count): the items of the next articles, about limit bytes."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef ap_StreamEncoder_getset[] = {
    {"kind", (getter)ap_StreamEncoder_kind, NULL, "'records' or 'compressed'", NULL},
    {"dict_id", (getter)ap_StreamEncoder_dict_id, NULL, "the dictionary ID in the header (0: none)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject ap_StreamEncoderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "artpack._artpack._StreamEncoder",
    .tp_basicsize = sizeof(ap_StreamEncoder),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "_StreamEncoder(compressed, dictionary=None, level=None, codec=None, checksum=True): "
              "the bytes of a stream (use artpack.StreamWriter).",
    .tp_new = ap_StreamEncoder_new,
    .tp_init = (initproc)ap_StreamEncoder_init,
    .tp_dealloc = (destructor)ap_StreamEncoder_dealloc,
    .tp_methods = ap_StreamEncoder_methods,
    .tp_getset = ap_StreamEncoder_getset,
};

/* StreamReader(source, dictionary=None, raw=False): the articles of a stream,
 * read from a bytes-like object (whole) or a binary file object (.read, in
 * pieces, with the library's incremental header parser and item iterator). */
#define AP_STREAM_CHUNK ((size_t)1 << 16)

typedef struct {
    PyObject_HEAD
    PyObject *file;        /* a file object (.read), or NULL */
    Py_buffer view;        /* a bytes-like source, when file is NULL */
    int have_view;
    unsigned char *buf;    /* file mode: the unconsumed bytes are buf[start..len) */
    size_t start, len, cap;
    int eof;               /* file mode: .read gave b"" */
    artpack_stream_reader r;
    ap_Dictionary *dict;   /* to decompress with (NULL when the stream names none) */
    PyObject *dictobj;
    int raw;
    artpack_error failed;  /* a framing error: every later call raises it again */
    long long failed_at;
    int done;
} ap_StreamReader;

static PyTypeObject ap_StreamReaderType;

/* The unconsumed bytes: *src, *size, *ends. */
static void ap_sr_avail(ap_StreamReader *self, const unsigned char **src, size_t *size, int *ends) {
    if (self->file == NULL) {
        size_t pos = (size_t)self->r.offset;
        *src = (const unsigned char *)self->view.buf + pos;
        *size = (size_t)self->view.len - pos;
        *ends = 1;
    } else {
        *src = self->buf + self->start;
        *size = self->len - self->start;
        *ends = self->eof;
    }
}

/* File mode: reads until at least need bytes are unconsumed or the file
 * ends. The buffer grows only as bytes arrive (a hostile length prefix
 * costs no memory). 0, or -1 with an exception. */
static int ap_sr_fill(ap_StreamReader *self, size_t need) {
    while (!self->eof && self->len - self->start < need) {
        size_t want = need - (self->len - self->start);
        PyObject *chunk;
        Py_ssize_t got;
        if (want < AP_STREAM_CHUNK) want = AP_STREAM_CHUNK;
        chunk = PyObject_CallMethod(self->file, "read", "n", (Py_ssize_t)want);
        if (chunk == NULL) return -1;
        if (!PyBytes_Check(chunk)) {
            Py_DECREF(chunk);
            PyErr_SetString(PyExc_TypeError, "the stream's file must be opened in binary mode");
            return -1;
        }
        got = PyBytes_GET_SIZE(chunk);
        if (got == 0) {
            self->eof = 1;
        } else {
            if (self->start > 0) { /* drop what was consumed */
                memmove(self->buf, self->buf + self->start, self->len - self->start);
                self->len -= self->start;
                self->start = 0;
            }
            if (self->len + (size_t)got > self->cap) {
                size_t ncap = self->cap ? self->cap : AP_STREAM_CHUNK;
                unsigned char *p;
                while (ncap < self->len + (size_t)got) ncap *= 2;
                p = (unsigned char *)PyMem_RawRealloc(self->buf, ncap);
                if (p == NULL) {
                    Py_DECREF(chunk);
                    PyErr_NoMemory();
                    return -1;
                }
                self->buf = p;
                self->cap = ncap;
            }
            memcpy(self->buf + self->len, PyBytes_AS_STRING(chunk), (size_t)got);
            self->len += (size_t)got;
        }
        Py_DECREF(chunk);
    }
    return 0;
}

static void ap_sr_release(ap_StreamReader *self) {
    if (self->have_view) PyBuffer_Release(&self->view);
    self->have_view = 0;
    Py_CLEAR(self->file);
    PyMem_RawFree(self->buf);
    self->buf = NULL;
    self->start = self->len = self->cap = 0;
    Py_CLEAR(self->dictobj);
    self->dict = NULL;
}

static const char *ap_stream_kind_name(artpack_stream_kind k) {
    return k == ARTPACK_STREAM_COMPRESSED ? "compressed" : k == ARTPACK_STREAM_RECORDS ? "records" : "unknown";
}

static int ap_StreamReader_init(ap_StreamReader *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"source", "dictionary", "raw", NULL};
    PyObject *source, *dobj = Py_None;
    ap_Dictionary *dict;
    artpack_stream_info info;
    artpack_error e;
    int raw = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O$p:StreamReader", kwlist, &source, &dobj, &raw))
        return -1;
    if (ap_dict_arg(dobj, &dict) || (dict && ap_dict_ready(dict))) return -1;
    ap_sr_release(self);
    memset(&self->r, 0, sizeof self->r);
    self->failed = ARTPACK_OK;
    self->done = 0;
    self->eof = 0;
    self->raw = raw;
    if (PyObject_CheckBuffer(source)) {
        if (PyObject_GetBuffer(source, &self->view, PyBUF_SIMPLE) < 0) return -1;
        self->have_view = 1;
    } else if (PyObject_HasAttrString(source, "read")) {
        self->file = Py_NewRef(source);
    } else {
        PyErr_Format(PyExc_TypeError,
                     "a stream is read from bytes or a binary file object, not %.100s",
                     Py_TYPE(source)->tp_name);
        return -1;
    }
    /* the header, as many bytes as the parser asks for */
    for (;;) {
        const unsigned char *src;
        size_t size, need = 0;
        int ends;
        ap_sr_avail(self, &src, &size, &ends);
        e = artpack_stream_header_read(&info, src, size, ends, &need);
        if (e != ARTPACK_OK) {
            /* where: the magic (0), the version byte (4), or the end */
            long long at = e == ARTPACK_E_TRUNCATED ? (long long)size
                           : info.kind != ARTPACK_STREAM_UNKNOWN ? 4 : 0;
            ap_raise(e, info.kind == ARTPACK_STREAM_UNKNOWN
                            ? "not an artpack stream (a record stream starts with APKR, a "
                              "compressed stream with APKZ)"
                            : "cannot read the stream's header", at);
            goto fail;
        }
        if (need == 0) break;
        if (ap_sr_fill(self, need)) goto fail;
    }
    e = artpack_stream_check_dict(&info, dict ? &dict->dict : NULL);
    if (e != ARTPACK_OK) {
        char msg[200];
        if (e == ARTPACK_E_NEED_DICT)
            snprintf(msg, sizeof msg, "the stream was made with dictionary ID %lu: give it (%s)",
                     (unsigned long)info.dict_id, artpack_error_name(e));
        else
            snprintf(msg, sizeof msg,
                     "the stream was made with dictionary ID %lu, this one has ID %lu (%s)",
                     (unsigned long)info.dict_id, (unsigned long)(dict ? dict->dict.id : 0),
                     artpack_error_name(e));
        ap_raise_full(ap_DictionaryError, artpack_error_name(e), (int)e, msg, 5);
        goto fail;
    }
    e = artpack_stream_reader_init(&self->r, &info);
    if (e != ARTPACK_OK) {
        ap_raise(e, "cannot read the stream", -1);
        goto fail;
    }
    if (self->file != NULL) self->start += info.header_size;
    if (info.kind == ARTPACK_STREAM_COMPRESSED && info.dict_id != 0) {
        self->dict = dict;
        self->dictobj = Py_NewRef((PyObject *)dict);
    }
    return 0;
fail:
    ap_sr_release(self);
    memset(&self->r, 0, sizeof self->r);
    return -1;
}

static void ap_StreamReader_dealloc(ap_StreamReader *self) {
    ap_sr_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int ap_sr_ready(ap_StreamReader *self) {
    if (self->r.info.kind == ARTPACK_STREAM_UNKNOWN) {
        PyErr_SetString(PyExc_ValueError, "the stream reader is closed");
        return -1;
    }
    return 0;
}

static PyObject *ap_StreamReader_next(ap_StreamReader *self) {
    artpack_stream_item item;
    artpack_error e;
    const unsigned char *src;
    size_t size, need;
    int ends;
    char what[120];
    if (ap_sr_ready(self)) return NULL;
    if (self->failed != ARTPACK_OK) {
        snprintf(what, sizeof what, "stream item %llu (nothing after a framing error can be read)",
                 (unsigned long long)self->r.index);
        return ap_raise(self->failed, what, self->failed_at);
    }
    if (self->done) return NULL;
    for (;;) {
        ap_sr_avail(self, &src, &size, &ends);
        need = 0;
        e = artpack_stream_next(&self->r, src, size, ends, &item, &need);
        if (e != ARTPACK_OK) {
            self->failed = e;
            self->failed_at = (long long)item.offset;
            snprintf(what, sizeof what, "stream item %llu", (unsigned long long)item.index);
            return ap_raise(e, what, (long long)item.offset);
        }
        if (need == 0) break;
        if (ap_sr_fill(self, need)) return NULL;
    }
    if (item.data == NULL) { /* the end */
        self->done = 1;
        return NULL;
    }
    /* r moved past the item; the bytes stay where they are until the next fill */
    if (self->file != NULL) self->start += item.consumed;
    snprintf(what, sizeof what, "stream item %llu", (unsigned long long)item.index);
    if (self->r.info.kind == ARTPACK_STREAM_RECORDS) {
        if (self->raw) {
            size_t where = 0;
            e = artpack_record_validate(item.data, item.size, &where);
            if (e != ARTPACK_OK)
                return ap_raise(e, what, (long long)(item.offset + item.head_size + where));
            return PyBytes_FromStringAndSize((const char *)item.data, (Py_ssize_t)item.size);
        }
        return ap_unpack_mem_at(item.data, item.size, what,
                                (long long)(item.offset + item.head_size));
    } else {
        unsigned char *rec;
        size_t n;
        PyObject *res;
        if (ap_decompress_mem(self->dict, item.data, item.size, &rec, &n, what,
                              (long long)(item.offset + item.head_size)))
            return NULL;
        res = self->raw ? PyBytes_FromStringAndSize((const char *)rec, (Py_ssize_t)n)
                        : ap_unpack_mem_at(rec, n, what, (long long)(item.offset + item.head_size));
        PyMem_RawFree(rec);
        return res;
    }
}

static PyObject *ap_StreamReader_close(ap_StreamReader *self, PyObject *unused) {
    (void)unused;
    ap_sr_release(self);
    memset(&self->r, 0, sizeof self->r);
    Py_RETURN_NONE;
}

static PyObject *ap_StreamReader_get_kind(ap_StreamReader *self, void *c) {
    (void)c;
    if (ap_sr_ready(self)) return NULL;
    return PyUnicode_FromString(ap_stream_kind_name(self->r.info.kind));
}

static PyObject *ap_StreamReader_get_dict_id(ap_StreamReader *self, void *c) {
    (void)c;
    if (ap_sr_ready(self)) return NULL;
    return PyLong_FromUnsignedLong(self->r.info.dict_id);
}

static PyObject *ap_StreamReader_get_version(ap_StreamReader *self, void *c) {
    (void)c;
    if (ap_sr_ready(self)) return NULL;
    return PyLong_FromUnsignedLong(self->r.info.version);
}

static PyObject *ap_StreamReader_get_index(ap_StreamReader *self, void *c) {
    (void)c;
    return PyLong_FromUnsignedLongLong(self->r.index);
}

static PyObject *ap_StreamReader_get_offset(ap_StreamReader *self, void *c) {
    (void)c;
    return PyLong_FromUnsignedLongLong(self->r.offset);
}

static PyMethodDef ap_StreamReader_methods[] = {
    {"close", (PyCFunction)ap_StreamReader_close, METH_NOARGS,
     "close(): drops the source (a file the reader opened is closed by artpack.StreamReader)."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef ap_StreamReader_getset[] = {
    {"kind", (getter)ap_StreamReader_get_kind, NULL, "'records' or 'compressed'", NULL},
    {"dict_id", (getter)ap_StreamReader_get_dict_id, NULL,
     "the dictionary ID the header names (0: none; always 0 for a record stream)", NULL},
    {"version", (getter)ap_StreamReader_get_version, NULL, "the header's version byte", NULL},
    {"index", (getter)ap_StreamReader_get_index, NULL, "items read so far", NULL},
    {"offset", (getter)ap_StreamReader_get_offset, NULL,
     "the stream offset of the next item's length prefix", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject ap_StreamReaderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "artpack._artpack.StreamReader",
    .tp_basicsize = sizeof(ap_StreamReader),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "StreamReader(source, dictionary=None, *, raw=False): the articles of a stream "
              "(bytes or a binary file object); use artpack.StreamReader.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)ap_StreamReader_init,
    .tp_dealloc = (destructor)ap_StreamReader_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)ap_StreamReader_next,
    .tp_methods = ap_StreamReader_methods,
    .tp_getset = ap_StreamReader_getset,
};

/* ---- module ---- */

static PyObject *ap_py_error_name(PyObject *self, PyObject *arg) {
    long v = PyLong_AsLong(arg);
    (void)self;
    if (v == -1 && PyErr_Occurred()) return NULL;
    return PyUnicode_FromString(artpack_error_name((artpack_error)v));
}

static PyObject *ap_py_set_dictionary_class(PyObject *self, PyObject *cls) {
    (void)self;
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &ap_DictionaryType)) {
        PyErr_SetString(PyExc_TypeError, "a subclass of Dictionary");
        return NULL;
    }
    Py_XSETREF(ap_dict_class, Py_NewRef(cls));
    Py_RETURN_NONE;
}

static PyMethodDef ap_methods[] = {
    {"_set_dictionary_class", (PyCFunction)ap_py_set_dictionary_class, METH_O, NULL},
    {"pack", (PyCFunction)ap_py_pack, METH_O,
     "pack(article: dict) -> bytes: the article's record (wire format v1), no compression."},
    {"unpack", (PyCFunction)ap_py_unpack, METH_O,
     "unpack(record: bytes) -> dict: the article back; artpack.Error on bad bytes."},
    {"train", (PyCFunction)(void (*)(void))ap_py_train, METH_VARARGS | METH_KEYWORDS,
     "train(articles, size=112640, *, level=19, optimize=False, words=True) -> Dictionary: a "
     "zstd dictionary trained on the packed records (articles: dicts, or records as bytes). "
     "words=True: with a word list for the word transform, its length (0, 256, 512, 1024 or "
     "2035 words) chosen by compressing a held-out eighth of the records, as artpack train; "
     "False: none (train --no-words); an int 1..2035: that many words. The list counts in "
     "size. Deterministic."},
    {"compress", (PyCFunction)(void (*)(void))ap_py_compress, METH_VARARGS | METH_KEYWORDS,
     "compress(article, dictionary=None, level=None, *, codec='zstd', words=None) -> bytes: one "
     "artpack frame holding the article alone (level None: zstd 19, LZ4 HC 12), with a "
     "checksum. words None: the dictionary's word transform when it holds a word list (zstd, "
     "LZ4), as the CLI; False: not; True: required (ARTPACK_E_NO_WORDS without a list)."},
    {"compress_record", (PyCFunction)(void (*)(void))ap_py_compress_record,
     METH_VARARGS | METH_KEYWORDS,
     "compress_record(record, dictionary=None, level=None, *, codec='zstd', words=None) -> "
     "bytes: as compress, from a packed record."},
    {"decompress", (PyCFunction)(void (*)(void))ap_py_decompress, METH_VARARGS | METH_KEYWORDS,
     "decompress(blob, dictionary=None, *, raw=False) -> dict (raw: the record as bytes)."},
    {"_writer_for_merge", (PyCFunction)ap_py_writer_for_merge, METH_VARARGS, NULL},
    {"error_name", (PyCFunction)ap_py_error_name, METH_O,
     "error_name(code) -> str: the library's name of an error number."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef ap_module = {
    PyModuleDef_HEAD_INIT, "artpack._artpack",
    "The C extension over libartpack (use the artpack package).", -1, ap_methods,
    NULL, NULL, NULL, NULL};

static PyObject *ap_new_exc(PyObject *m, const char *name, const char *attr, PyObject *bases,
                            const char *doc) {
    PyObject *e = PyErr_NewExceptionWithDoc(name, doc, bases, NULL);
    if (e == NULL) return NULL;
    if (PyModule_AddObjectRef(m, attr, e) < 0) {
        Py_DECREF(e);
        return NULL;
    }
    return e;
}

PyMODINIT_FUNC PyInit__artpack(void) {
    PyObject *m, *json = NULL, *enc_cls = NULL, *kw = NULL, *enc = NULL, *bases;
    m = PyModule_Create(&ap_module);
    if (m == NULL) return NULL;
    if (PyType_Ready(&ap_DictionaryType) < 0 || PyType_Ready(&ap_BundleType) < 0 ||
        PyType_Ready(&ap_WriterType) < 0 || PyType_Ready(&ap_StreamEncoderType) < 0 ||
        PyType_Ready(&ap_StreamReaderType) < 0)
        goto fail;
    ap_dict_class = Py_NewRef((PyObject *)&ap_DictionaryType);
    if (PyModule_AddObjectRef(m, "Dictionary", (PyObject *)&ap_DictionaryType) < 0 ||
        PyModule_AddObjectRef(m, "Bundle", (PyObject *)&ap_BundleType) < 0 ||
        PyModule_AddObjectRef(m, "_BundleWriter", (PyObject *)&ap_WriterType) < 0 ||
        PyModule_AddObjectRef(m, "_StreamEncoder", (PyObject *)&ap_StreamEncoderType) < 0 ||
        PyModule_AddObjectRef(m, "StreamReader", (PyObject *)&ap_StreamReaderType) < 0)
        goto fail;
    ap_Error = ap_new_exc(m, "artpack.Error", "Error", NULL,
                          "An artpack error: .name is the library's error name (e.g. "
                          "'ARTPACK_E_TRUNCATED') or None, .code its number, .position the "
                          "byte offset where it was found, or None.");
    if (ap_Error == NULL) goto fail;
    ap_CorruptError = ap_new_exc(m, "artpack.CorruptError", "CorruptError", ap_Error,
                                 "Bad bytes: a damaged or hostile record, frame or bundle.");
    ap_DictionaryError = ap_new_exc(m, "artpack.DictionaryError", "DictionaryError", ap_Error,
                                    "A missing, wrong or invalid dictionary, or training failed.");
    bases = PyTuple_Pack(2, ap_Error, PyExc_KeyError);
    if (bases == NULL) goto fail;
    ap_NotFoundError = ap_new_exc(m, "artpack.NotFoundError", "NotFoundError", bases,
                                  "No such article.");
    Py_DECREF(bases);
    bases = PyTuple_Pack(2, ap_Error, PyExc_ValueError);
    if (bases == NULL) goto fail;
    ap_ArticleError = ap_new_exc(m, "artpack.ArticleError", "ArticleError", bases,
                                 "An article that cannot be packed (e.g. a value too large).");
    Py_DECREF(bases);
    if (!ap_CorruptError || !ap_DictionaryError || !ap_NotFoundError || !ap_ArticleError) goto fail;
    json = PyImport_ImportModule("json");
    if (json == NULL) goto fail;
    ap_json_loads = PyObject_GetAttrString(json, "loads");
    enc_cls = PyObject_GetAttrString(json, "JSONEncoder");
    if (ap_json_loads == NULL || enc_cls == NULL) goto fail;
    /* canonical JSON: compact, keys sorted (code points = UTF-8 bytes),
     * UTF-8 as is, \uXXXX in lower case for control characters, no NaN */
    kw = Py_BuildValue("{s:O,s:(ss),s:O,s:O}", "sort_keys", Py_True, "separators", ",", ":",
                       "ensure_ascii", Py_False, "allow_nan", Py_False);
    if (kw == NULL) goto fail;
    {
        PyObject *noargs = PyTuple_New(0);
        enc = noargs ? PyObject_Call(enc_cls, noargs, kw) : NULL;
        Py_XDECREF(noargs);
    }
    if (enc == NULL) goto fail;
    ap_json_encode = PyObject_GetAttrString(enc, "encode");
    if (ap_json_encode == NULL) goto fail;
    if (PyModule_AddStringConstant(m, "LIBRARY_VERSION", artpack_version_string()) < 0 ||
        PyModule_AddIntConstant(m, "DICT_SIZE_DEFAULT", (long)ARTPACK_DICT_SIZE_DEFAULT) < 0)
        goto fail;
    Py_DECREF(json);
    Py_DECREF(enc_cls);
    Py_DECREF(kw);
    Py_DECREF(enc);
    return m;
fail:
    Py_XDECREF(json);
    Py_XDECREF(enc_cls);
    Py_XDECREF(kw);
    Py_XDECREF(enc);
    Py_DECREF(m);
    return NULL;
}
