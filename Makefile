# artpack - build, test, bench, install.  See README.md.
#
#   make                 libartpack.a, libartpack.so (SONAME libartpack.so.0), artpack
#   make test            unit tests, CLI tests, C++ and symbol checks, corpus round trip
#   make asan            the tests again under ASan + UBSan (build-asan/)
#   make valgrind        the unit and CLI tests under valgrind
#   make bench           throughput on ../shared/corpus/reuters_financial.jsonl (and bench-cm)
#   make bench-cm        the CM codec by level against zstd -19 +dict (docs/bench/cm.md)
#   make bench-dictsize  ratio over the dictionary size, with and without the word
#                        transform (docs/bench/dictsize.md; also part of make bench)
#   make demo            the main job on the Brown Corpus sample (scripts/fetch-sample)
#   make python          the Python package, built in place in $(B)/python (PYTHONPATH=$(B)/python)
#   make python-test     its pytest + hypothesis tests (python/tests)
#   make bench-dask      Dask on 2 workers against one process (docs/bench/dask.md)
#   make install PREFIX=/usr/local DESTDIR=   (and the man page, docs/artpack.1)

CC      ?= cc
CXX     ?= c++
B       ?= build
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
OPT     ?= -O2
WARN     = -Wall -Wextra -Wpedantic -Werror
CFLAGS  ?=
CFLAGS  += -std=c99 $(OPT) $(WARN) -Iinclude
SANFLAGS =
LDFLAGS ?=
CORPUS  ?= ../shared/corpus
export ARTPACK_CORPUS ?= $(CORPUS)

# the version, read from include/artpack.h's #defines (as zstd's lib/Makefile does)
ap_version = $(shell sed -n 's/^.define ARTPACK_VERSION_$(1)[[:blank:]]*\([0-9][0-9]*\).*/\1/p' include/artpack.h)
SO_MAJOR := $(call ap_version,MAJOR)
SO_VER   := $(SO_MAJOR).$(call ap_version,MINOR).$(call ap_version,RELEASE)

JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
CODEC_LIBS     := -lzstd -llz4
TOOL_LIBS      := -pthread
CMOCKA_CFLAGS  := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS    := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

# The library's sources, each list once. RECORD_SRC: the record codec alone.
# DECODE_SRC: the decode-only library (-DARTPACK_NO_ALLOC, for devices; built
# by noalloc-check, cxx-check and embedded/embedded.mk). CODEC_SRC: all of it.
RECORD_SRC = codec/wire.c codec/schema.c codec/datetime.c codec/canonical_json.c codec/record.c
DECODE_SRC = $(RECORD_SRC) codec/error.c codec/checksum.c codec/alloc.c codec/dict.c \
             codec/backend_zstd.c codec/backend_lz4.c codec/frame.c codec/stream.c \
             codec/bundle_format.c codec/bundle_read.c codec/cm.c codec/words.c
CODEC_SRC  = $(DECODE_SRC) codec/bundle_write.c codec/bundle_salvage.c codec/cm_train.c \
             codec/words_enc.c codec/bundle_similar.c
TOOL_SRC  = tools/util.c tools/json_in.c tools/json_out.c
CLI_SRC   = tools/artpack.c tools/bundle_cmd.c tools/dupcheck.c tools/spool.c tools/parallel.c
CODEC_OBJ = $(CODEC_SRC:%.c=$(B)/%.o)
TOOL_OBJ  = $(TOOL_SRC:%.c=$(B)/%.o)
TESTS     = test_wire test_record test_datetime test_json test_frame test_bundle test_bundle_damage test_bundle_errors test_api_errors test_device test_stream test_cm \
            test_bundle_cm \
            test_words test_words_table test_words_space test_bundle_scale test_bundle_words test_bundle_sim test_zstd_window
TEST_BIN  = $(TESTS:%=$(B)/tests/%)

.PHONY: all lib test unit cli-test cxx-check symbols-check error-docs-check error-coverage noalloc-check nocolumns-check cm-determinism swar-check roundtrip asan valgrind valgrind-unit valgrind-cli \
        bench bench-bundle bench-cm bench-dictsize bench-scale demo install clean setup python python-test

all: lib $(B)/artpack
lib: $(B)/libartpack.a $(B)/libartpack.so

# Header dependencies: every compile writes a .d file beside its output
# (-MMD -MP), and the .d files are read back at the end of this Makefile.
DEPFLAGS = -MMD -MP

$(B)/codec/%.o: codec/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) $(JANSSON_CFLAGS) -c $< -o $@

$(B)/libartpack.a: $(CODEC_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/libartpack.so: $(CODEC_OBJ)
	$(CC) $(SANFLAGS) -shared -Wl,-soname,libartpack.so.$(SO_MAJOR) -o $(B)/libartpack.so.$(SO_VER) $^ $(CODEC_LIBS)
	ln -sf libartpack.so.$(SO_VER) $(B)/libartpack.so.$(SO_MAJOR)
	ln -sf libartpack.so.$(SO_VER) $@

$(B)/artpack: $(CLI_SRC:%.c=$(B)/%.o) $(TOOL_OBJ) $(B)/libartpack.a
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $(CLI_SRC:%.c=$(B)/%.o) $(TOOL_OBJ) $(B)/libartpack.a $(CODEC_LIBS) $(JANSSON_LIBS) $(TOOL_LIBS)

# ---- tests ----
$(B)/tests/%: tests/%.c $(TOOL_OBJ) $(B)/libartpack.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) -Itools -o $@ $< \
	    $(TOOL_OBJ) $(B)/libartpack.a $(CMOCKA_LIBS) $(CODEC_LIBS) $(JANSSON_LIBS)

# The bundle tests share a fixture (tests/bundle_fixture.c): synthetic articles,
# dictionaries (bundle_fixture.h), in-memory input and output, readers
# (bundle_mem.h). A test file that includes either header goes in
# BUNDLE_TESTS (and in TESTS).
BUNDLE_TESTS = test_bundle test_bundle_damage test_bundle_errors test_api_errors test_bundle_cm \
               test_bundle_scale test_bundle_words test_bundle_sim
$(B)/tests/bundle_fixture.o: tests/bundle_fixture.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) $(CMOCKA_CFLAGS) -c $< -o $@

$(BUNDLE_TESTS:%=$(B)/tests/%): $(B)/tests/%: tests/%.c $(B)/tests/bundle_fixture.o $(TOOL_OBJ) $(B)/libartpack.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) -Itools -o $@ $< \
	    $(B)/tests/bundle_fixture.o $(TOOL_OBJ) $(B)/libartpack.a $(CMOCKA_LIBS) $(CODEC_LIBS) $(JANSSON_LIBS)

# test_device checks the device variants of record.c and checksum.c against
# the normal build: they are compiled again with the device options and every
# symbol they define renamed dev_<name> (nm's list of defined globals, fed to
# objcopy), so that both builds link into one test whatever functions they add.
DEVICE_VARIANT_OBJ = $(B)/tests/dev/record.o $(B)/tests/dev/checksum.o
$(B)/tests/dev/%.o: codec/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -MMD -MP -MF $(@:.o=.d) -MT $@ \
	    -DARTPACK_NO_CANONICAL_CHECKS -DARTPACK_XXH32_COMPACT -c $< -o $(@:.o=.plain.o)
	nm -g --defined-only $(@:.o=.plain.o) | awk 'NF == 3 { print $$3, "dev_" $$3 }' > $(@:.o=.syms)
	objcopy --redefine-syms=$(@:.o=.syms) $(@:.o=.plain.o) $@

$(B)/tests/test_device: tests/test_device.c $(DEVICE_VARIANT_OBJ) $(TOOL_OBJ) $(B)/libartpack.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) -Itools -o $@ $< \
	    $(DEVICE_VARIANT_OBJ) $(TOOL_OBJ) $(B)/libartpack.a $(CMOCKA_LIBS) $(CODEC_LIBS) $(JANSSON_LIBS)

# UNIT_ONLY="test_a test_b": run only those; UNIT_SKIP="...": all but those
# (CI splits the valgrind run in two: one lane the ones, the other the rest)
UNIT_SKIP ?=
UNIT_ONLY ?= $(filter-out $(UNIT_SKIP),$(TESTS))
unit: $(TEST_BIN)
	@for t in $(UNIT_ONLY:%=$(B)/tests/%); do echo "== $$t"; $(TEST_WRAP) $$t || exit 1; done

cli-test: $(B)/artpack
	ARTPACK=$(B)/artpack TEST_WRAP="$(TEST_WRAP)" tests/cli.sh

# the library compiles as C++ too
cxx-check:
	@mkdir -p $(B)/cxx
	for f in $(CODEC_SRC); do $(CXX) -x c++ -std=c++11 $(OPT) $(WARN) -Iinclude -c $$f -o $(B)/cxx/$$(basename $$f .c).o || exit 1; done
	for f in $(DECODE_SRC); do $(CXX) -x c++ -std=c++11 $(OPT) $(WARN) -Iinclude $(DEVICE_OPTS) \
	    -DARTPACK_NO_ALLOC -DARTPACK_NO_ZSTD -c $$f -o $(B)/cxx/device-$$(basename $$f .c).o || exit 1; done
	@echo "cxx-check: codec/ compiles as C++"

# codec/ must not call malloc, free, printf, exit, getenv, ...
# (and the check must catch a planted call: an archive that calls malloc fails it)
symbols-check: $(B)/libartpack.a
	tests/check-symbols.sh $(B)/libartpack.a
	@mkdir -p $(B)/planted
	printf '#include <stdlib.h>\nvoid *planted(void) { return malloc(1); }\n' > $(B)/planted/p.c
	$(CC) -c $(B)/planted/p.c -o $(B)/planted/p.o && rm -f $(B)/planted/p.a && ar rcs $(B)/planted/p.a $(B)/planted/p.o
	@if tests/check-symbols.sh $(B)/planted/p.a 2>/dev/null; then echo "symbols-check: planted malloc not caught"; exit 1; \
	 else echo "symbols-check: a planted malloc is caught"; fi

# every function of include/artpack.h that returns an artpack_error lists its
# errors in its doc comment (tests/check-error-docs.py); and the check must
# catch a planted function whose comment names none
error-docs-check:
	$(PYTHON) tests/check-error-docs.py include/artpack.h
	@mkdir -p $(B)/planted
	sed 's|^#endif /\* ARTPACK_H \*/|/** Does something. */\nARTPACK_API artpack_error artpack_planted(void);\n&|' \
	    include/artpack.h > $(B)/planted/artpack.h
	@if $(PYTHON) tests/check-error-docs.py $(B)/planted/artpack.h 2>/dev/null; then \
	    echo "error-docs-check: a planted function without errors not caught"; exit 1; \
	 else echo "error-docs-check: a planted function without errors is caught"; fi

# every error a function's doc comment names is one the unit tests see it
# return, and no other (tests/error_coverage.py: the tests relinked with a
# wrapper of each function; the few errors no test can reach are listed
# there with the reason). Not in make test (CI runs it): run it when the API
# changes.
error-coverage: $(TOOL_OBJ) $(B)/libartpack.a $(B)/tests/bundle_fixture.o $(DEVICE_VARIANT_OBJ)
	@mkdir -p $(B)/cov
	$(PYTHON) tests/error_coverage.py wrap include/artpack.h $(B)/cov/wrap.c > $(B)/cov/flags
	$(CC) $(CFLAGS) -c $(B)/cov/wrap.c -o $(B)/cov/wrap.o
	rm -f $(B)/cov/seen
	for t in $(TESTS); do \
	    case " $(BUNDLE_TESTS) " in *" $$t "*) fx=$(B)/tests/bundle_fixture.o ;; *) fx= ;; esac; \
	    if [ $$t = test_device ]; then fx="$(DEVICE_VARIANT_OBJ)"; fi; \
	    $(CC) $(CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) -Itools -o $(B)/cov/$$t tests/$$t.c \
	        $$fx $(B)/cov/wrap.o $$(cat $(B)/cov/flags) $(TOOL_OBJ) $(B)/libartpack.a \
	        $(CMOCKA_LIBS) $(CODEC_LIBS) $(JANSSON_LIBS) || exit 1; \
	    AP_COV_LOG=$(B)/cov/seen $(B)/cov/$$t > $(B)/cov/$$t.out 2>&1 || { cat $(B)/cov/$$t.out; exit 1; }; \
	done
	$(PYTHON) tests/error_coverage.py check include/artpack.h $(B)/cov/seen

# the decode-only build (ARTPACK_NO_ALLOC): compiles warning-free and calls
# no malloc or free at all
# the options the firmware images use (embedded/embedded.mk), compiled here
# warning-free with the host's gcc and clang and as C++
DEVICE_OPTS = -DARTPACK_NO_CANONICAL_CHECKS -DARTPACK_XXH32_COMPACT -DARTPACK_LZ4_ONE_DECODER -DARTPACK_WORDS_NO_TABLE
noalloc-check:
	@mkdir -p $(B)/noalloc/device
	for f in $(DECODE_SRC); do $(CC) -std=c99 -Os $(WARN) -DARTPACK_NO_ALLOC -Iinclude -c $$f \
	    -o $(B)/noalloc/$$(basename $$f .c).o || exit 1; done
	for f in $(DECODE_SRC); do $(CC) -std=c99 -Os $(WARN) -DARTPACK_NO_ALLOC $(DEVICE_OPTS) \
	    -Iinclude -c $$f -o $(B)/noalloc/device/$$(basename $$f .c).o || exit 1; done
	rm -f $(B)/noalloc/libartpack-noalloc.a && ar rcs $(B)/noalloc/libartpack-noalloc.a $(B)/noalloc/*.o
	@if nm -u $(B)/noalloc/libartpack-noalloc.a $(B)/noalloc/device/*.o | grep -wqE 'malloc|calloc|realloc|free'; then \
	    echo "noalloc-check: the ARTPACK_NO_ALLOC build allocates"; exit 1; fi
	@echo "noalloc-check: the ARTPACK_NO_ALLOC build compiles and calls no malloc/free"

# ARTPACK_NO_COLUMNS, ARTPACK_NO_BUNDLE_WORDS, ARTPACK_NO_SIMILAR (the device
# images): the same header check built with and without each
# (tests/check_nocolumns.c)
nocolumns-check:
	@mkdir -p $(B)/nocolumns
	for o in full ARTPACK_NO_COLUMNS ARTPACK_NO_BUNDLE_WORDS ARTPACK_NO_SIMILAR; do \
	    $(CC) -std=c99 -O2 $(WARN) -D$$o -Iinclude -o $(B)/nocolumns/$$o tests/check_nocolumns.c \
	        codec/bundle_format.c codec/checksum.c codec/error.c codec/wire.c codec/words.c && \
	    $(B)/nocolumns/$$o || exit 1; \
	done

# CM output is the same with every compiler and optimisation level: the
# golden digest of tests/test_cm.c, checked here at -O0 with $(CC) and at -O2
# with clang (when installed; make test itself runs it at -O2 with $(CC))
cm-determinism:
	@mkdir -p $(B)/cm-determinism
	$(CC) -std=c99 -O0 $(WARN) -Iinclude $(CMOCKA_CFLAGS) -o $(B)/cm-determinism/test_cm-O0 \
	    tests/test_cm.c $(CODEC_SRC) $(CMOCKA_LIBS) $(CODEC_LIBS)
	ARTPACK_CM_GOLDEN_ONLY=1 $(B)/cm-determinism/test_cm-O0
	@if command -v clang >/dev/null 2>&1; then \
	    clang -std=c99 -O2 $(WARN) -Iinclude $(CMOCKA_CFLAGS) -o $(B)/cm-determinism/test_cm-clang \
	        tests/test_cm.c $(CODEC_SRC) $(CMOCKA_LIBS) $(CODEC_LIBS) && \
	    ARTPACK_CM_GOLDEN_ONLY=1 $(B)/cm-determinism/test_cm-clang; \
	else echo "cm-determinism: no clang: -O0 only"; fi

# The word transform's portable scan for code bytes (AP_WORDS_SWAR: what a
# host without SSE2, e.g. arm64, compiles; x86-64 builds take the SSE2 one):
# the word tests built again with it, in $(B)/swar
SWAR_TESTS = test_words test_words_table test_words_space test_bundle_words
swar-check:
	$(MAKE) --no-print-directory B=$(B)/swar OPT='$(OPT) -DAP_WORDS_SWAR' $(SWAR_TESTS:%=$(B)/swar/tests/%)
	@for t in $(SWAR_TESTS); do echo "== $(B)/swar/tests/$$t (AP_WORDS_SWAR)"; $(TEST_WRAP) $(B)/swar/tests/$$t || exit 1; done

roundtrip: $(B)/artpack
	ARTPACK=$(B)/artpack tests/corpus-roundtrip.sh

test: all unit cli-test cxx-check symbols-check error-docs-check noalloc-check nocolumns-check cm-determinism swar-check roundtrip python-test $(if $(wildcard fuzz/fuzz.mk),fuzz-replay)
	@echo "make test: all passed"

asan:
	$(MAKE) B=build-asan OPT="-O1 -g" SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    all unit cli-test $(if $(wildcard fuzz/fuzz.mk),fuzz-replay)

VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
valgrind: valgrind-unit valgrind-cli
valgrind-unit: all $(TEST_BIN)
	$(MAKE) unit TEST_WRAP="$(VALGRIND)"
valgrind-cli: all
	$(MAKE) cli-test TEST_WRAP="$(VALGRIND)"

# ---- bench, demo ----
$(B)/bench: tests/bench.c $(TOOL_OBJ) $(B)/libartpack.a
	$(CC) $(CFLAGS) $(DEPFLAGS) $(JANSSON_CFLAGS) -Itools -o $@ $< $(TOOL_OBJ) $(B)/libartpack.a $(CODEC_LIBS) $(JANSSON_LIBS)

$(B)/bench_compress: tests/bench_compress.c $(TOOL_OBJ) $(B)/libartpack.a
	$(CC) $(CFLAGS) $(DEPFLAGS) $(JANSSON_CFLAGS) -Itools -o $@ $< $(TOOL_OBJ) $(B)/libartpack.a $(CODEC_LIBS) -lbrotlienc -lbrotlidec -lz $(JANSSON_LIBS)

$(B)/bench_cm: tests/bench_cm.c $(TOOL_OBJ) $(B)/libartpack.a
	$(CC) $(CFLAGS) $(DEPFLAGS) $(JANSSON_CFLAGS) -Itools -o $@ $< $(TOOL_OBJ) $(B)/libartpack.a $(CODEC_LIBS) $(JANSSON_LIBS)

# the CM codec at levels 1 3 5 7 9 against zstd -19 +dict, in one run:
# docs/bench/cm.md (BENCH_CM_LEVELS="5" for one level)
bench-cm: all $(B)/bench_cm
	@mkdir -p docs/bench
	{ echo "# CM codec: ratio, speed, RAM by level (make bench-cm)"; echo; \
	  echo "$$(date -u '+%Y-%m-%d %H:%M UTC'), $$(nproc) CPUs, load average at the start $$(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)."; \
	  echo; $(B)/bench_cm $(CORPUS) $(BENCH_CM_LEVELS); } > $(B)/bench-cm.md
	cp $(B)/bench-cm.md docs/bench/cm.md && cat docs/bench/cm.md

$(B)/bench_bundle: tests/bench_bundle.c $(TOOL_OBJ) $(B)/libartpack.a
	$(CC) $(CFLAGS) $(DEPFLAGS) $(JANSSON_CFLAGS) -Itools -o $@ $< $(TOOL_OBJ) $(B)/libartpack.a $(CODEC_LIBS) $(JANSSON_LIBS)

bench-bundle: all $(B)/bench_bundle
	B=$(B) CORPUS=$(CORPUS) scripts/bench-bundle

# time and memory of every CLI command at 20k, 200k and 1M articles (not part of
# make test or make bench; SCALE_SIZES="20000 200000" for a shorter run; needs
# ~8 GB free disk for 1M): docs/bench/scale.md, docs/bench/scale.png
bench-scale: all
	B=$(B) ARTPACK=$(B)/artpack CORPUS=$(CORPUS) scripts/bench-scale

bench: all $(B)/bench $(B)/bench_compress
	$(B)/bench $(CORPUS)/reuters_financial.jsonl
	ARTPACK=$(B)/artpack BENCH_COMPRESS=$(B)/bench_compress BENCH_WORK=$(B)/bench-compress scripts/bench-compress
	$(MAKE) bench-bundle
	$(MAKE) bench-cm

# only the dictionary-size table of make bench (32 KB to 4 MB, with and
# without the word transform; trains 24 dictionaries: docs/bench/dictsize.md
# gives the time): docs/bench/dictsize.md, dictsize.csv, ratio-vs-dictsize.svg
bench-dictsize: all $(B)/bench_compress
	ARTPACK=$(B)/artpack BENCH_COMPRESS=$(B)/bench_compress BENCH_WORK=$(B)/bench-compress \
	    BENCH_ONLY_DICTSIZE=1 scripts/bench-compress

demo: all
	scripts/fetch-sample $(B)/sample
	ARTPACK=$(B)/artpack scripts/demo $(B)/sample/brown_press.jsonl

setup:
	scripts/setup

# ---- Python package (python/): the C extension links $(B)/libartpack.a (-fPIC objects) ----
# Debian's python3 first: python3-pytest, -hypothesis, -dask are installed for it
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
PY_OUT  = $(abspath $(B))/python

python: $(B)/libartpack.a
	cd python && ARTPACK_LIB=$(abspath $(B))/libartpack.a $(PYTHON) setup.py -q build \
	    --build-base $(abspath $(B))/python-build --build-lib $(PY_OUT)
	PYTHONPATH=$(PY_OUT) $(PYTHON) -c 'import artpack' && echo "python: PYTHONPATH=$(PY_OUT) $(PYTHON) -c 'import artpack'"

# ARTPACK_CLI: the stream tests compare StreamWriter's bytes with `artpack encode`'s
python-test: python $(B)/artpack
	cd $(B) && PYTHONPATH=$(PY_OUT) PYTHONDONTWRITEBYTECODE=1 ARTPACK_CORPUS=$(abspath $(ARTPACK_CORPUS)) \
	    ARTPACK_CLI=$(abspath $(B))/artpack \
	    $(PYTHON) -m pytest -p no:cacheprovider -q $(abspath python/tests)

# Dask (2 workers x 1 thread) against `artpack pack -T 1` and the package in one process:
# 200,000 articles generated from the corpus (BENCH_DASK_N=...), zstd -19; docs/bench/dask.md
bench-dask: all python
	ARTPACK=$(B)/artpack CORPUS=$(CORPUS) BENCH_DASK_WORK=$(B)/bench-dask PYTHONPATH=$(PY_OUT) \
	    $(PYTHON) python/bench/bench_dask.py --out docs/bench/dask.md

# ---- install ----
install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) $(DESTDIR)$(BINDIR)
	install -m 644 include/artpack.h $(DESTDIR)$(INCDIR)/
	install -m 644 $(B)/libartpack.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/libartpack.so.$(SO_VER) $(DESTDIR)$(LIBDIR)/
	ln -sf libartpack.so.$(SO_VER) $(DESTDIR)$(LIBDIR)/libartpack.so.$(SO_MAJOR)
	ln -sf libartpack.so.$(SO_VER) $(DESTDIR)$(LIBDIR)/libartpack.so
	install -m 755 $(B)/artpack $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 docs/artpack.1 $(DESTDIR)$(MANDIR)/man1/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(SO_VER)|' artpack.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/artpack.pc

# every build folder: this one, the default, make asan's and the README's
# clang build (the fuzz and embedded builds are inside: $(B)/fuzz, $(B)/embedded)
clean:
	rm -rf $(B) build build-asan build-clang

-include fuzz/fuzz.mk
include embedded/embedded.mk

-include $(wildcard $(B)/*.d $(B)/codec/*.d $(B)/tools/*.d $(B)/tests/*.d)
