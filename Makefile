# medusa: GNU make.  `make`, `make check`, `make demo`, `make bench`,
# `make install PREFIX=/usr/local DESTDIR=`.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/medusa
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
CC      ?= cc
PKG_CONFIG ?= pkg-config
PKGS    = json-c sqlite3 libcurl libavformat libavcodec libavfilter libavutil \
          libswscale libswresample libsodium libseccomp expat libcrypto

# B is the build directory; SAN=1 builds with ASan+UBSan into build-san.
SAN     ?=
ifeq ($(SAN),1)
B       ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
B       ?= build
SANFLAGS =
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
           -Ilib $(PKG_CFLAGS) $(SANFLAGS)
# --as-needed: a tool loads only the libraries it calls (medusa-scan starts
# in a millisecond instead of mapping all of FFmpeg)
LDFLAGS += $(SANFLAGS) -Wl,--as-needed
LDLIBS  += $(PKG_LIBS) -lm -lpthread -ldl
# where installed tools find their shared files (medusa-serve: web pages)
CFLAGS  += -DMEDUSA_SHAREDIR='"$(SHAREDIR)"'

LIB_SRC   := $(sort $(wildcard lib/*.c))
LIB_OBJ   := $(LIB_SRC:lib/%.c=$(B)/lib/%.o)
TOOL_SRC  := $(sort $(wildcard tools/medusa-*.c))
TOOLS     := $(TOOL_SRC:tools/%.c=$(B)/%)
SCRIPTS   := $(sort $(wildcard tools/medusa-*.sh))
SCRIPT_BINS := $(SCRIPTS:tools/%.sh=$(B)/%)
UNIT_SRC  := $(sort $(wildcard tests/unit/*.c))
UNITS     := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
MANS      := $(sort $(wildcard man/*.[1-8]))

all: $(TOOLS) $(SCRIPT_BINS)

$(B)/lib/%.o: lib/%.c $(wildcard lib/*.h) | $(B)/lib
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libmedusa.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/%: tools/%.c $(B)/libmedusa.a $(wildcard lib/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libmedusa.a $(LDLIBS)

$(B)/%: tools/%.sh | $(B)
	sed 's|@SHAREDIR@|$(SHAREDIR)|g' $< > $@.tmp && chmod 755 $@.tmp && mv $@.tmp $@

$(B)/unit/%: tests/unit/%.c tests/unit/tap.h $(B)/libmedusa.a | $(B)/unit
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(B)/libmedusa.a $(LDLIBS)

$(B) $(B)/lib $(B)/unit $(B)/fuzz:
	mkdir -p $@

units: $(UNITS)

deps:
	@sh mk/deps.sh

# The test suite: unit tests, shell tests, then both again under ASan+UBSan,
# then the lint (layers of lib/, man pages).
check: deps
	$(MAKE) all units
	$(MAKE) test-run
	$(MAKE) SAN=1 all units
	$(MAKE) SAN=1 test-run
	$(MAKE) lint

SHELL_TESTS ?= $(sort $(wildcard tests/t/*.t))
PROVE_JOBS ?= 2
test-run: all units
	MEDUSA_BIN="$(CURDIR)/$(B)" MEDUSA_SRC="$(CURDIR)" MEDUSA_SAN=$(SAN) \
	  prove -j$(PROVE_JOBS) --exec '' $(UNITS) $(SHELL_TESTS)

test: all units
	$(MAKE) test-run

# lint: the calls between lib/ files keep to mk/layers (mk/layers.sh reads
# the objects' symbols), then the man pages
lint: $(LIB_OBJ)
	sh mk/layers.sh mk/layers mk/layers.known $(LIB_OBJ)
	@[ -n "$(MANS)" ] || { echo "lint: no man pages" >&2; exit 1; }
	mandoc -Tlint -Wwarning $(MANS)
	@echo "mandoc lint: $(words $(MANS)) pages clean"

bench: deps
	@$(MAKE) --no-print-directory all
	@set -e; for b in tests/bench/*; do [ -x "$$b" ] || continue; \
	  echo "== $$b"; MEDUSA_BIN="$(CURDIR)/$(B)" MEDUSA_SRC="$(CURDIR)" "$$b"; done

demo: deps
	@$(MAKE) --no-print-directory all
	MEDUSA_BIN="$(CURDIR)/$(B)" sh examples/demo.sh

install: all
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man5" \
	  "$(DESTDIR)$(MANDIR)/man7" "$(DESTDIR)$(MANDIR)/man8" "$(DESTDIR)$(SHAREDIR)"
	install -m 755 $(TOOLS) $(SCRIPT_BINS) "$(DESTDIR)$(BINDIR)"
	for m in $(MANS); do s=$${m##*.}; install -m 644 $$m "$(DESTDIR)$(MANDIR)/man$$s"; done
	if [ -d web ]; then cp -R web "$(DESTDIR)$(SHAREDIR)/"; fi
	install -d "$(DESTDIR)$(COMPDIR)"
	install -m 644 completion/medusa.bash "$(DESTDIR)$(COMPDIR)/medusa"
	for t in $(notdir $(TOOLS) $(SCRIPT_BINS)); do ln -sf medusa "$(DESTDIR)$(COMPDIR)/$$t"; done

# The Debian package (debian/), built from a clean copy of the tree into
# DEB_OUT and checked with lintian (mk/deb.sh)
DEB_OUT ?= $(CURDIR)/build/deb
deb: deps
	sh mk/deb.sh "$(DEB_OUT)"

# libFuzzer targets (tests/fuzz/): built by `make fuzz` only, with clang,
# ASan and UBSan into build-fuzz/; `make fuzz-run FUZZ_TIME=120` runs each
# for that many seconds on its seed corpus (new inputs go to build-fuzz/).
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_TIME ?= 60
$(B)/fuzz/%: tests/fuzz/%.c $(B)/libmedusa.a | $(B)/fuzz
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(B)/libmedusa.a $(LDLIBS)
fuzz-bins: $(FUZZ_BINS)
fuzz: deps
	$(MAKE) B=build-fuzz CC=clang \
	  SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  fuzz-bins
fuzz-run: fuzz
	@st=0; for f in $(FUZZ_SRC:tests/fuzz/%.c=%); do c=$${f#fuzz-}; \
	  mkdir -p build-fuzz/corpus/$$c; echo "== $$f ($(FUZZ_TIME) s)"; \
	  build-fuzz/fuzz/$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/$$f- build-fuzz/corpus/$$c tests/fuzz/corpus/$$c || st=1; \
	  done; exit $$st

clean:
	rm -rf build build-san build-fuzz

.PHONY: all units deps check test test-run lint bench demo install deb clean fuzz fuzz-bins fuzz-run
.DELETE_ON_ERROR:
