# fuzz/fuzz.mk - fuzzing with libFuzzer, and corpus replay; included by the
# top Makefile (uses its B, CC, CFLAGS, SANFLAGS, LDFLAGS, DEPFLAGS, CODEC_SRC,
# TOOL_SRC, TOOL_OBJ, JANSSON_CFLAGS, JANSSON_LIBS, and CODEC_LIBS / TOOL_LIBS
# when defined).
# Everything is built under $(B)/fuzz/. The codec and tools objects go into an
# archive per flavour, so a target links only the modules it calls.
#
#   make fuzz [FUZZ_SECONDS=60]  build the targets with clang + libFuzzer + ASan
#                                + UBSan and run each in turn (not in parallel)
#                                on a scratch copy of fuzz/corpus/<t>; fails on
#                                a crash (the input is in $(B)/fuzz/artifacts/<t>/)
#   make fuzz-replay             the corpora and regressions through each
#                                target with $(CC) (no libFuzzer; part of make test)
#   make fuzz-merge              add to fuzz/corpus/<t> the inputs of the last
#                                `make fuzz` run that add coverage (-merge=1)
#   make fuzz-seeds              rebuild the seed corpora from tests/data (frame/
#                                and bundle/ by $(B)/fuzz-seedgen, fuzz/seedgen.c)

FUZZ_TARGETS ?= record json frame dict bundle stream cm words
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_SAN     ?= -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_ARGS    ?= -rss_limit_mb=2048 -timeout=30
FUZZ_ENV     ?= UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
FUZZ_DIR      = $(B)/fuzz
FUZZ_LIBS     = $(CODEC_LIBS) $(JANSSON_LIBS) $(TOOL_LIBS)

# ---- libFuzzer builds: $(B)/fuzz/lf/ ----
FUZZ_LF_LIB  = $(CODEC_SRC:%.c=$(FUZZ_DIR)/lf/%.o) $(TOOL_SRC:%.c=$(FUZZ_DIR)/lf/%.o)
FUZZ_LF_TGT  = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/lf/fuzz_%.o)
FUZZ_LF_BIN  = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

$(FUZZ_LF_LIB): $(FUZZ_DIR)/lf/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_SAN) $(DEPFLAGS) $(JANSSON_CFLAGS) -c $< -o $@

$(FUZZ_LF_TGT): $(FUZZ_DIR)/lf/%.o: fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_SAN) $(DEPFLAGS) $(JANSSON_CFLAGS) -Itools -c $< -o $@

$(FUZZ_DIR)/lf/libdeps.a: $(FUZZ_LF_LIB)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_LF_BIN): $(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/lf/fuzz_%.o $(FUZZ_DIR)/lf/libdeps.a
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $^ $(FUZZ_LIBS)

# ---- replay builds with $(CC) $(CFLAGS) $(SANFLAGS): $(B)/fuzz/rp/ ----
FUZZ_RP_LIB  = $(CODEC_SRC:%.c=$(FUZZ_DIR)/rp/%.o) $(TOOL_SRC:%.c=$(FUZZ_DIR)/rp/%.o)
FUZZ_RP_TGT  = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/rp/fuzz_%.o) $(FUZZ_DIR)/rp/replay.o
FUZZ_RP_BIN  = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/replay_%)

$(FUZZ_RP_LIB): $(FUZZ_DIR)/rp/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) $(JANSSON_CFLAGS) -c $< -o $@

$(FUZZ_RP_TGT): $(FUZZ_DIR)/rp/%.o: fuzz/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) $(JANSSON_CFLAGS) -Itools -c $< -o $@

$(FUZZ_DIR)/rp/libdeps.a: $(FUZZ_RP_LIB)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_RP_BIN): $(FUZZ_DIR)/replay_%: $(FUZZ_DIR)/rp/fuzz_%.o $(FUZZ_DIR)/rp/replay.o $(FUZZ_DIR)/rp/libdeps.a
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(FUZZ_LIBS)

# header dependencies (the top Makefile's DEPFLAGS); the seed generator's
# $(B)/fuzz-seedgen.d is read by the top Makefile
-include $(wildcard $(FUZZ_DIR)/*/*.d $(FUZZ_DIR)/*/*/*.d)

# ---- running ----
.PHONY: fuzz fuzz-build fuzz-replay fuzz-merge fuzz-seeds

fuzz-build: $(FUZZ_LF_BIN)

# One target after the other; each on a scratch copy of its corpus (the
# committed one stays as it is), with its dictionary; regressions are read too.
fuzz: $(FUZZ_LF_BIN)
	@for t in $(FUZZ_TARGETS); do \
	    work=$(FUZZ_DIR)/work/$$t; art=$(FUZZ_DIR)/artifacts/$$t; log=$(FUZZ_DIR)/$$t.log; \
	    rm -rf $$work && mkdir -p $$work $$art && cp fuzz/corpus/$$t/* $$work/ || exit 1; \
	    echo "== fuzz_$$t: $(FUZZ_SECONDS) s, corpus $$work, log $$log"; \
	    if $(FUZZ_ENV) $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS) \
	         -dict=fuzz/$$t.dict -artifact_prefix=$$art/ -print_final_stats=1 \
	         $$work fuzz/regressions/$$t >$$log 2>&1; then \
	        grep -E '^#[0-9]+' $$log | tail -n 1; \
	        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' $$log; \
	        echo "fuzz_$$t: no crash; corpus $$(ls $$work | wc -l) files"; \
	    else \
	        tail -n 60 $$log; \
	        echo "fuzz_$$t: FAILED - the input is in $$art/ (save it under fuzz/regressions/$$t/)"; \
	        exit 1; \
	    fi; \
	done

fuzz-replay: $(FUZZ_RP_BIN)
	@for t in $(FUZZ_TARGETS); do \
	    echo "== replay_$$t"; \
	    $(TEST_WRAP) $(FUZZ_DIR)/replay_$$t fuzz/corpus/$$t fuzz/regressions/$$t || exit 1; \
	done

# Only inputs up to FUZZ_MERGE_MAX bytes are candidates, to keep the
# committed corpora small (the seeds stay as they are).
FUZZ_MERGE_MAX ?= 300
fuzz-merge: $(FUZZ_LF_BIN)
	@for t in $(FUZZ_TARGETS); do \
	    test -d $(FUZZ_DIR)/work/$$t || { echo "fuzz-merge: run make fuzz first"; exit 1; }; \
	    cand=$(FUZZ_DIR)/merge/$$t; rm -rf $$cand && mkdir -p $$cand || exit 1; \
	    find $(FUZZ_DIR)/work/$$t -type f -size -$$(( $(FUZZ_MERGE_MAX) + 1 ))c -exec cp {} $$cand/ \; ; \
	    $(FUZZ_ENV) $(FUZZ_DIR)/fuzz_$$t -merge=1 $(FUZZ_ARGS) fuzz/corpus/$$t $$cand \
	        >$(FUZZ_DIR)/$$t.merge.log 2>&1 || { tail -n 30 $(FUZZ_DIR)/$$t.merge.log; exit 1; }; \
	    grep -E 'MERGE-OUTER: [0-9]+ new files' $(FUZZ_DIR)/$$t.merge.log; \
	    echo "fuzz/corpus/$$t: $$(ls fuzz/corpus/$$t | wc -l) files, $$(cat fuzz/corpus/$$t/* | wc -c) bytes"; \
	done

# The frame and bundle seed generator: a host program on the library, built
# with $(CC) (no libFuzzer), run by fuzz/make-seeds.sh.
$(B)/fuzz-seedgen: fuzz/seedgen.c $(TOOL_OBJ) $(B)/libartpack.a
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) $(JANSSON_CFLAGS) -Itools $(LDFLAGS) -o $@ $< \
	    $(TOOL_OBJ) $(B)/libartpack.a $(CODEC_LIBS) $(JANSSON_LIBS)

fuzz-seeds: $(B)/artpack $(B)/fuzz-seedgen
	ARTPACK=$(B)/artpack SEEDGEN=$(B)/fuzz-seedgen fuzz/make-seeds.sh
