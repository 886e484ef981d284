# embedded/embedded.mk - the decoder on an emulated Cortex-M4 (QEMU
# mps2-an386), included by the top Makefile.
#
#   make test-embedded   build the three firmware images, run each under QEMU:
#                        every article decoded and checked against the host's
#                        hashes (record table; LZ4 bundle; zstd bundle)
#   make footprint       the same, then one line per configuration:
#                        footprint CONFIG text=N data=N bss=N ram=N
#                        and fails when one is over its budget
#
# zstd's and LZ4's decoders are compiled from this Debian release's source
# packages (scripts/fetch-decoders, into $(B)/embedded/src; never committed).

ARM_CC   ?= arm-none-eabi-gcc
ARM_SIZE ?= arm-none-eabi-size
QEMU     ?= qemu-system-arm
EMB       = $(B)/embedded
EMB_SRC   = $(EMB)/src
# -Os -flto: what a firmware built for size uses; the footprint is the whole
# linked image (decoder, libc functions, and the test harness itself)
ARM_FLAGS = -mcpu=cortex-m4 -mthumb -mfloat-abi=soft -Os -flto -ffunction-sections -fdata-sections \
            -fno-common -g0 -ffreestanding -fno-tree-loop-distribute-patterns
ARM_INC   = -Iinclude -Iembedded -I$(EMB_SRC)/zstd/lib -I$(EMB_SRC)/zstd/lib/common -I$(EMB_SRC)/lz4/lib
ART_FLAGS = -std=c99 -Wall -Wextra -Wpedantic -Werror -DARTPACK_NO_ALLOC -DARTPACK_NO_CANONICAL_CHECKS \
            -DARTPACK_WORDS_NO_TABLE
# zstd's decoder, made small (its own documented size options)
ZSTD_DEFS = -DZSTD_LEGACY_SUPPORT=0 -DHUF_FORCE_DECOMPRESS_X1 -DZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT \
            -DZSTD_STRIP_ERROR_STRINGS -DZSTD_NO_INLINE -DZSTD_DECODER_INTERNAL_BUFFER=1024 \
            -DZSTD_DISABLE_ASM -DZSTD_TRACE=0 -DDEBUGLEVEL=0 -DZSTD_MULTITHREAD=0 \
            -DXXH_NAMESPACE=ZSTD_ -DZSTD_NO_UNUSED_FUNCTIONS
ZSTD_DEC  = common/entropy_common.c common/error_private.c common/fse_decompress.c \
            common/zstd_common.c common/xxhash.c decompress/huf_decompress.c decompress/zstd_ddict.c \
            decompress/zstd_decompress.c decompress/zstd_decompress_block.c

# the top Makefile's lists: the record decoder alone, the decode-only library
EMB_RECORD = $(RECORD_SRC)
EMB_BUNDLE = $(DECODE_SRC)

.PHONY: test-embedded footprint embedded-deps

$(EMB_SRC)/zstd/lib/zstd.h:
	scripts/fetch-decoders $(EMB_SRC)
embedded-deps: $(EMB_SRC)/zstd/lib/zstd.h

# the test data, made by the host tools from the project's own fixtures and
# synthetic articles (never from ../shared)
$(EMB)/data/stamp: $(B)/artpack embedded/gen-data.py tests/make-articles.py
	@mkdir -p $(EMB)/data
	python3 tests/make-articles.py 400 31 >$(EMB)/data/train.jsonl
	{ cat tests/data/seed.jsonl tests/data/golden/edge.jsonl tests/data/golden/example.jsonl; \
	  python3 tests/make-articles.py 60 32; } | grep . >$(EMB)/data/articles.jsonl
	$(B)/artpack train -q -f --size 16K -o $(EMB)/data/dict $(EMB)/data/train.jsonl
	$(B)/artpack encode -q -f -o $(EMB)/data/records.apr $(EMB)/data/articles.jsonl
	$(B)/artpack pack -q -f --lz4 --no-words --no-similar -D $(EMB)/data/dict --block-size 4K -o $(EMB)/data/lz4.apb $(EMB)/data/articles.jsonl
	$(B)/artpack pack -q -f -19 --rows --no-similar -D $(EMB)/data/dict --block-size 4K -o $(EMB)/data/zstd.apb $(EMB)/data/articles.jsonl
	python3 embedded/gen-data.py $(EMB)/data/record.c $(EMB)/data/records.apr
	$(B)/artpack encode -q -f --lz4 -D $(EMB)/data/dict -o $(EMB)/data/lz4.apz $(EMB)/data/articles.jsonl
	$(B)/artpack encode -q -f -19 -D $(EMB)/data/dict -o $(EMB)/data/zstd.apz $(EMB)/data/articles.jsonl
	python3 embedded/gen-data.py $(EMB)/data/lz4.c $(EMB)/data/records.apr $(EMB)/data/lz4.apb $(EMB)/data/dict $(EMB)/data/lz4.apz
	python3 embedded/gen-data.py $(EMB)/data/zstd.c $(EMB)/data/records.apr $(EMB)/data/zstd.apb $(EMB)/data/dict $(EMB)/data/zstd.apz
	touch $@

# One image: $(1) name, $(2) artpack sources, $(3) their flags, $(4) decoder
# sources, $(5) decoder flags, $(6) firmware flags
define emb_image
$(EMB)/$(1)/%.o: %.c $(EMB)/data/stamp embedded/embedded.mk | embedded-deps
	@mkdir -p $$(@D)
	@$(ARM_CC) $(ARM_FLAGS) $(ARM_INC) $(3) $(6) $(DEPFLAGS) -c $$< -o $$@
$(EMB)/$(1)/embedded/startup.o: embedded/startup.c embedded/embedded.mk
	@mkdir -p $$(@D)
	@$(ARM_CC) $(ARM_FLAGS) -fno-lto $(ARM_INC) $(3) $(6) $(DEPFLAGS) -c $$< -o $$@
$(EMB)/$(1)/dec/%.o: $(EMB_SRC)/%.c | embedded-deps
	@mkdir -p $$(@D)
	@$(ARM_CC) $(ARM_FLAGS) $(ARM_INC) $(5) -w -c $$< -o $$@
$(EMB)/$(1)/objs = $$(patsubst %.c,$(EMB)/$(1)/%.o,$(2) embedded/startup.c) \
                   $$(patsubst %.c,$(EMB)/$(1)/dec/%.o,$(4))
$(EMB)/$(1)/probe.elf: $$($(EMB)/$(1)/objs) $(EMB)/$(1)/fw-probe.o $(EMB)/$(1)/data.o embedded/mps2.ld
	@$(ARM_CC) $(ARM_FLAGS) -nostdlib -T embedded/mps2.ld -Wl,--gc-sections -o $$@ \
	    $$($(EMB)/$(1)/objs) $(EMB)/$(1)/fw-probe.o $(EMB)/$(1)/data.o -lgcc
$(EMB)/$(1)/fw-probe.o: embedded/fw.c $(EMB)/data/stamp embedded/embedded.mk | embedded-deps
	@mkdir -p $$(@D)
	@$(ARM_CC) $(ARM_FLAGS) $(ARM_INC) $(3) $(6) $(DEPFLAGS) -c $$< -o $$@
$(EMB)/$(1)/data.o: $(EMB)/data/stamp
	@$(ARM_CC) $(ARM_FLAGS) -Iembedded -c $(EMB)/data/$(1).c -o $$@
# the exact workspace, measured by the probe image, then the real one
$(EMB)/$(1)/fw.elf: $(EMB)/$(1)/probe.elf
	@ws=$$$$(timeout 60 $(QEMU) -M mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none \
	      -semihosting-config enable=on,target=native -kernel $$< 2>&1 | sed -n 's/.*workspace=\([0-9]*\).*/\1/p'); \
	ws=$$$${ws:-0}; \
	$(ARM_CC) $(ARM_FLAGS) $(ARM_INC) $(3) $(6) -DFW_WORKSPACE=$$$$ws -c embedded/fw.c -o $(EMB)/$(1)/fw.o && \
	$(ARM_CC) $(ARM_FLAGS) -nostdlib -T embedded/mps2.ld -Wl,--gc-sections -Wl,-Map=$(EMB)/$(1)/fw.map \
	    -o $$@ $$($(EMB)/$(1)/objs) $(EMB)/$(1)/fw.o $(EMB)/$(1)/data.o -lgcc
endef

$(eval $(call emb_image,record,$(EMB_RECORD),$(ART_FLAGS),,,-DFW_RECORD))
$(eval $(call emb_image,lz4,$(EMB_BUNDLE),$(ART_FLAGS) -DARTPACK_NO_ZSTD -DARTPACK_NO_CM -DARTPACK_NO_COLUMNS -DARTPACK_NO_BUNDLE_WORDS -DARTPACK_NO_SIMILAR -DARTPACK_XXH32_COMPACT -DARTPACK_LZ4_ONE_DECODER,lz4/lib/lz4.c,-DLZ4_HEAPMODE=0,-DFW_BUNDLE))
$(eval $(call emb_image,zstd,$(EMB_BUNDLE),$(ART_FLAGS) $(ZSTD_DEFS) -DARTPACK_NO_LZ4 -DARTPACK_NO_CM -DARTPACK_NO_COLUMNS -DARTPACK_NO_SIMILAR -DARTPACK_ZSTD_NO_DDICT -DARTPACK_XXH32_LINKED,$(addprefix zstd/lib/,$(ZSTD_DEC)),$(ZSTD_DEFS),-DFW_BUNDLE))

EMB_IMAGES = $(EMB)/record/fw.elf $(EMB)/lz4/fw.elf $(EMB)/zstd/fw.elf
# header dependencies (the top Makefile's DEPFLAGS): the images' objects
-include $(wildcard $(EMB)/*/*.d $(EMB)/*/*/*.d)

test-embedded: $(EMB_IMAGES)
	@for c in record lz4 zstd; do \
	    out=$$(timeout 120 $(QEMU) -M mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none \
	          -semihosting-config enable=on,target=native -kernel $(EMB)/$$c/fw.elf 2>&1); rc=$$?; \
	    echo "$$c: $$out" | tr '\n' ' '; echo; \
	    if [ $$rc != 0 ] || ! echo "$$out" | grep -q ' ok$$'; then echo "test-embedded: $$c FAILED (status $$rc)"; exit 1; fi; \
	done; echo "test-embedded: every article of both bundles (and every record) decoded and checked under QEMU"

# the budgets (issue #6's targets): make footprint fails above them, unless
# FOOTPRINT_CHECK=0 (to measure other configurations, docs/EMBEDDED.md)
FOOTPRINT_CHECK ?= 1
FP_TEXT_record = 2048
FP_TEXT_lz4    = 7168
FP_RAM_lz4     = 2048
FP_TEXT_zstd   = 24576
FP_RAM_zstd    = 40960

footprint: test-embedded
	@for c in record lz4 zstd; do \
	    case $$c in record) bt=$(FP_TEXT_record) br=0;; lz4) bt=$(FP_TEXT_lz4) br=$(FP_RAM_lz4);; \
	                zstd) bt=$(FP_TEXT_zstd) br=$(FP_RAM_zstd);; esac; \
	    [ "$(FOOTPRINT_CHECK)" = 1 ] || { bt=0; br=0; }; \
	    out=$$(timeout 120 $(QEMU) -M mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none \
	          -semihosting-config enable=on,target=native -kernel $(EMB)/$$c/fw.elf 2>&1); \
	    state=$$(echo "$$out" | sed -n 's/.* state=\([0-9]*\).*/\1/p'); \
	    stack=$$(echo "$$out" | sed -n 's/.* stack=\([0-9]*\).*/\1/p'); \
	    ws=$$(echo "$$out" | sed -n 's/.*workspace=\([0-9]*\).*/\1/p'); \
	    $(ARM_SIZE) -A $(EMB)/$$c/fw.elf | awk -v c=$$c -v state=$${state:-0} -v stack=$${stack:-0} -v ws=$${ws:-0} \
	        -v bt=$$bt -v br=$$br ' \
	        $$1 == ".text" || $$1 == ".ARM.exidx" { text += $$2 } $$1 == ".data" { data += $$2 } $$1 == ".bss" { bss += $$2 } \
	        END { wsa = int((ws + 7) / 8) * 8; name = c == "lz4" ? "lz4-path" : c == "zstd" ? "zstd-path" : c; \
	              ram = state + data + bss - wsa + stack; \
	              printf "footprint %s text=%d data=%d bss=%d ram=%d\n", name, text, data, bss, ram; \
	              if (bt && text > bt) { printf "footprint: %s text %d is over its budget of %d\n", name, text, bt > "/dev/stderr"; exit 1 } \
	              if (br && ram > br) { printf "footprint: %s ram %d is over its budget of %d\n", name, ram, br > "/dev/stderr"; exit 1 } }' || exit 1; \
	done
