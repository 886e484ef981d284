"""artpack: news articles as compact binary records, compressed one at a time
with a dictionary, and bundles of many articles with random access.

    import artpack
    d = artpack.train(articles, size=112640)     # iterable of dicts -> Dictionary
    rec = artpack.pack(article); artpack.unpack(rec) == article
    blob = artpack.compress(article, dictionary=d, level=19)   # + the word transform
    artpack.decompress(blob, dictionary=d) == article
    with artpack.BundleWriter(path, dictionary=d, embed_dictionary=True) as w:
        w.add(article); w.extend(articles)
    b = artpack.Bundle(path)   # len(b), b[i], b[-1], b[i:j], iter(b), b.find(id), b.verify()
    artpack.merge([path1, path2], out)

An article is what json.loads gives for one JSON object: the schema's fields
(id, url, source, date, published, title, author, authors, summary,
dateline, body, language, tags) are stored typed; every other key, and any
value of an unexpected type, is kept as canonical JSON, so what comes back
is equal (==) to what went in.

The word transform (docs/FORMAT.md): train() learns a word list into the
dictionary by default (words=True, as `artpack train`; words=False: a plain
zstd dictionary, `train --no-words`). compress, compress_record,
StreamWriter and BundleWriter take words=None: frequent words are replaced
by 1-2 byte codes before zstd or LZ4 whenever the dictionary holds a list,
as the CLI does (words=False: not, `--no-words`; words=True: required, an
Error named ARTPACK_E_NO_WORDS without a list). Readers undo it by
themselves.

Errors are artpack.Error (with .name, the library's error name, .code and
.position), or a subclass: CorruptError (bad bytes), DictionaryError,
NotFoundError, ArticleError. The GIL is released while compressing,
decompressing, training and reading or writing bundle blocks.
"""
import os
import tempfile

from . import _artpack
from ._artpack import (
    ArticleError,
    CorruptError,
    DictionaryError,
    Error,
    NotFoundError,
    LIBRARY_VERSION,
    compress,
    compress_record,
    decompress,
    error_name,
    pack,
    train,
    unpack,
)

__version__ = "0.1.0"

__all__ = [
    "ArticleError", "Bundle", "BundleWriter", "CorruptError", "Dictionary",
    "DictionaryError", "Error", "NotFoundError", "LIBRARY_VERSION", "StreamReader",
    "StreamWriter", "compress", "compress_record", "decompress", "error_name", "merge",
    "pack", "train", "unpack",
]


def _atomic_temp(path):
    """A temporary file beside path: (fd, temp path). Mode as a new file
    would get (0666 minus the umask), not mkstemp's 0600."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    return fd, tmp


class Dictionary(_artpack.Dictionary):
    """A zstd dictionary trained on packed records: Dictionary(data: bytes).

    d.id (its 32-bit ID), d.data (its bytes), d.words (the number of words
    in its word list, 0 without one), len(d), d.save(path),
    Dictionary.load(path). The same bytes `artpack train` writes: the CLI's
    -D reads it, and so does `zstd -D` (a word list rides inside the zstd
    content; zstd alone does not apply the transform).
    """

    __slots__ = ()

    @classmethod
    def load(cls, path):
        """Reads a dictionary file."""
        with open(path, "rb") as f:
            return cls(f.read())

    def save(self, path):
        """Writes the dictionary to path (complete or not at all: a temporary
        file renamed into place)."""
        fd, tmp = _atomic_temp(path)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self.data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def __eq__(self, other):
        if not isinstance(other, _artpack.Dictionary):
            return NotImplemented
        return self.data == other.data

    def __hash__(self):
        return hash(self.data)

    def __reduce__(self):
        return (type(self), (self.data,))


_artpack._set_dictionary_class(Dictionary)


class _Reader:
    """What Bundle and StreamReader share: a context manager that closes."""

    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Bundle(_Reader, _artpack.Bundle):
    """A bundle file, read with pread one block at a time: Bundle(path, dictionary=None).

    len(b), b[i], b[-1], b[i:j] (a list), iter(b) (in order: each block
    decoded once), b.find(id) (an index, -1 if none), b.get_id(id) (the
    article; KeyError if none), b.record(i) (the packed record), b.verify(),
    b.info, b.dictionary, b.close(); a context manager. dictionary: needed
    when the bundle names a dictionary it does not embed.
    """

    __slots__ = ()

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def get_id(self, id):
        """The first article whose id is id; NotFoundError (a KeyError) if none."""
        i = self.find(id)
        if i < 0:
            raise NotFoundError("no article with id %r" % (id,))
        return self[i]

    def __repr__(self):
        try:
            i = self.info
        except ValueError:
            return "<artpack.Bundle (closed)>"
        return "<artpack.Bundle %d articles, %s, dictionary %s>" % (
            i["article_count"], i["codec"], i["dict_id"] or "none")


class _Writer:
    """What BundleWriter and StreamWriter share: a context manager that
    commits (close()) on a clean exit and drops (abort()) on an exception
    or when collected unclosed."""

    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False

    def __del__(self):
        try:
            self.abort()
        except Exception:
            pass


class BundleWriter(_Writer):
    """Writes a bundle: BundleWriter(path, dictionary=None, embed_dictionary=False,
    level=None, codec='zstd', block_size=None, jobs=1, columns=None, *, words=None).

    A context manager: w.add(article), w.extend(articles); on a clean exit
    (or close()) the bundle is committed and renamed into place; on an
    exception (or abort()) nothing is left behind. level None: zstd 19 (LZ4
    HC 12). block_size None: 960 KB of records per block.

    columns: blocks store their records' fields column by column (smaller;
    a reader rebuilds the records); False: whole records one after another
    (`artpack pack --rows`). None: what `artpack pack` does, columnar for
    zstd, rows for LZ4 and stored.

    words: None applies the dictionary's word transform to each zstd or LZ4
    block when it holds a word list (as `artpack pack -D DICT` does);
    False leaves it out (`--no-words`); True requires it (an Error named
    ARTPACK_E_NO_WORDS without a list; ValueError with codec 'stored').
    With the same options and dictionary the bytes are those of
    `artpack pack -D DICT [--embed-dict] [--no-words]`.

    jobs: blocks compressed at once, on threads of the library's parallel
    writer (artpack_bundle_writer_set_parallel), with the GIL released; 0:
    one per CPU. Each block is compressed alone with the same parameters,
    so the bundle's bytes are the same for every jobs; memory grows by
    about 2 x block_size per job. Packing the articles into records stays
    on the calling thread.
    """

    def __init__(self, path, dictionary=None, embed_dictionary=False, level=None,
                 codec="zstd", block_size=None, jobs=1, columns=None, *, words=None):
        if jobs == 0:
            jobs = min(os.cpu_count() or 1, 64)
        self.path = os.fspath(path)
        self._fd, self._tmp = _atomic_temp(self.path)
        try:
            self._w = _artpack._BundleWriter(self._fd, dictionary, embed_dictionary, level, codec,
                                             block_size or 0, jobs, columns, words)
        except BaseException:
            self._cleanup()
            raise

    @classmethod
    def _from_writer(cls, path, fd, tmp, w):
        self = cls.__new__(cls)
        self.path, self._fd, self._tmp, self._w = path, fd, tmp, w
        return self

    def add(self, article):
        """Adds one article (a dict)."""
        self._check()
        self._w.add(article)

    def add_record(self, record):
        """Adds one packed record (bytes from artpack.pack)."""
        self._check()
        self._w.add_record(record)

    def extend(self, articles):
        """Adds every article of an iterable."""
        self._check()
        self._w.extend(articles)

    @property
    def count(self):
        """Articles added so far."""
        return self._w.count

    def _check(self):
        if self._w is None:
            raise ValueError("the bundle writer is closed")

    def _cleanup(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            self._tmp = None

    def close(self):
        """Commits the bundle and renames it into place."""
        if self._w is None:
            return
        try:
            self._w.commit()
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            os.replace(self._tmp, self.path)
            self._tmp = None
        finally:
            self._w.free()
            self._w = None
            self._cleanup()

    def abort(self):
        """Drops the bundle: nothing is written at path."""
        if self._w is not None:
            self._w.free()
            self._w = None
        self._cleanup()


class StreamReader(_Reader, _artpack.StreamReader):
    """The articles of a stream, what `artpack encode` writes:
    StreamReader(source, dictionary=None, *, raw=False).

    source: a path (str or os.PathLike: the file is opened and closed by
    the reader), a binary file object (read in pieces with .read; left
    open), or a bytes-like object holding the whole stream. Both
    kinds are read: a record stream ("APKR": records one after another) and
    a compressed stream ("APKZ": each article compressed alone, with the
    dictionary the header names: give it). Iterating gives the articles as
    dicts, in order (raw=True: the packed records as bytes).

    r.kind ('records' or 'compressed'), r.dict_id (0: none), r.version,
    r.index (items read), r.offset (stream offset of the next item);
    r.close(); a context manager.

    Errors: CorruptError with .position, the stream offset where it went
    wrong (bad magic or version, a length prefix that is malformed or too
    large, a stream that ends inside an item: the framing is lost and every
    later next() raises again; a bad record or frame: that item only, the
    next one can be read); DictionaryError (the stream names a dictionary
    that was not given, or another one).
    """

    __slots__ = ("_owned",)

    def __init__(self, source, dictionary=None, *, raw=False):
        self._owned = None
        if isinstance(source, (str, os.PathLike)):
            self._owned = open(source, "rb")
            source = self._owned
        try:
            super().__init__(source, dictionary, raw=raw)
        except BaseException:
            self.close()
            raise

    def close(self):
        """Closes the reader (and the file, when it opened it)."""
        super().close()
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __repr__(self):
        try:
            return "<artpack.StreamReader %s, dictionary %s, %d items read>" % (
                self.kind, self.dict_id or "none", self.index)
        except ValueError:
            return "<artpack.StreamReader (closed)>"


class StreamWriter(_Writer):
    """Writes a stream, the bytes `artpack encode` writes for the same
    articles and options: StreamWriter(target, dictionary=None, level=None,
    codec=None, *, checksum=True, compressed=None, words=None).

    target: a path (written to a temporary file beside it, renamed into
    place by close() or a clean exit of the with block; nothing is left on
    an exception or abort()) or a binary file object (written to as it
    goes; left open). compressed=None follows the CLI: a record stream,
    unless a dictionary, a level or a codec is given (`encode -D`, `-19`,
    `--lz4`, `--stored`): then a compressed stream, each article compressed
    alone (codec 'zstd' by default, level None: zstd 19, LZ4 HC 12), with a
    4-byte checksum unless checksum=False (`--no-check`). words=None
    applies the dictionary's word transform to each zstd or LZ4 frame when
    it holds a word list (as `encode -D` does), False leaves it out
    (`--no-words`), True requires it (an Error named ARTPACK_E_NO_WORDS
    without a list; ValueError for a record stream or codec 'stored').

    w.add(article), w.add_record(record), w.extend(articles), w.count,
    w.kind, w.close(), w.abort(). Compression runs with the GIL released.
    """

    _CHUNK = 1 << 20

    def __init__(self, target, dictionary=None, level=None, codec=None, *, checksum=True,
                 compressed=None, words=None):
        if compressed is None:
            compressed = dictionary is not None or level is not None or codec is not None
        self._enc = _artpack._StreamEncoder(compressed, dictionary, level, codec, checksum, words)
        self.count = 0
        self._tmp = None
        self.path = None
        if hasattr(target, "write"):
            self._f = target
            self._owned = False
        else:
            self.path = os.fspath(target)
            fd, self._tmp = _atomic_temp(self.path)
            self._f = os.fdopen(fd, "wb")
            self._owned = True
        try:
            self._f.write(self._enc.header())
        except BaseException:
            self.abort()
            raise

    @property
    def kind(self):
        """'records' or 'compressed'."""
        return self._enc.kind

    @property
    def dict_id(self):
        """The dictionary ID the header names (0: none)."""
        return self._enc.dict_id

    def _check(self):
        if self._f is None:
            raise ValueError("the stream writer is closed")

    def add(self, article):
        """Adds one article (a dict)."""
        self._check()
        self._f.write(self._enc.encode(article))
        self.count += 1

    def add_record(self, record):
        """Adds one packed record (bytes from artpack.pack; validated)."""
        self._check()
        self._f.write(self._enc.encode_record(record))
        self.count += 1

    def extend(self, articles):
        """Adds every article of an iterable."""
        self._check()
        it = iter(articles)
        while True:
            data, n = self._enc.encode_many(it, self._CHUNK)
            if n == 0:
                return
            self._f.write(data)
            self.count += n

    def close(self):
        """Finishes the stream: a path is flushed, synced and renamed into
        place; a file object is flushed."""
        if self._f is None:
            return
        f, self._f = self._f, None
        if not self._owned:
            f.flush()
            return
        try:
            f.flush()
            os.fsync(f.fileno())
            f.close()
            os.replace(self._tmp, self.path)
            self._tmp = None
        finally:
            f.close()
            self._drop_tmp()

    def _drop_tmp(self):
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            self._tmp = None

    def abort(self):
        """Drops the stream: nothing is written at a path (a file object
        keeps what was written to it)."""
        f, self._f = self._f, None
        if f is not None and self._owned:
            f.close()
        self._drop_tmp()


def _layout(info):
    return "columns" if info["columns"] else "rows"


def merge(paths, out, dictionary=None, embed_dictionary=False):
    """Joins bundles into one by copying their blocks as stored (no
    recompression, and not decoded, as `artpack merge`: each block's
    checksum goes with it, checked when it is read or verified; each
    bundle's index is checked first): they must share codec, dictionary,
    layout (columns or rows) and word transform. The result takes the
    first bundle's codec, level, layout and block size, and embeds the
    dictionary when the first does (or embed_dictionary); the articles keep
    their numbers (a bundle's block map, when `artpack pack` assigned its
    articles to blocks by similarity, comes along). Returns the number of
    articles written."""
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ValueError("merge needs at least one bundle")
    bundles = []
    try:
        for p in paths:
            bundles.append(Bundle(p, dictionary))
        first = bundles[0].info
        for p, b in zip(paths, bundles):
            i = b.info
            if (i["codec"], i["dict_id"], i["columns"], i["words"]) != \
                    (first["codec"], first["dict_id"], first["columns"], first["words"]):
                raise Error("%s: codec %s, dictionary ID %d, %s, word transform %s; %s: codec %s, "
                            "dictionary ID %d, %s, word transform %s: merge copies blocks as "
                            "they are, so the bundles must share all four"
                            % (p, i["codec"], i["dict_id"], _layout(i), i["words"], paths[0],
                               first["codec"], first["dict_id"], _layout(first), first["words"]))
        fd, tmp = _atomic_temp(out)
        try:
            # a block map comes along (articles keep their numbers): the
            # output has one when a bundle has one
            w = _artpack._writer_for_merge(fd, bundles[0], embed_dictionary,
                                           any(b.info["similar"] for b in bundles))
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        writer = BundleWriter._from_writer(os.fspath(out), fd, tmp, w)
        with writer:
            for p, b in zip(paths, bundles):
                try:
                    w.copy_blocks(b)
                except Error as e:
                    e.args = ("%s: %s" % (p, e.args[0] if e.args else ""),) + e.args[1:]
                    raise
        return w.count
    finally:
        for b in bundles:
            b.close()
