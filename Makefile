# authgate - build, run, test.  See README.md.
#
# Sources are picked up by folder: every .c in util/ spf/ dkim/ arc/ dmarc/
# policy/ goes into libauthgate.a; milter/*.c (but main.c) into
# libagmilter.a; tests/unit/test_*.c, tests/conformance/*.c and
# tests/tools/*.c each become one program under $(B)/.

CC ?= gcc
B ?= build
OPT ?= -O2
SAN ?=
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -g $(OPT) $(SAN) -I. \
	-Wall -Wextra -Wformat=2 -Wshadow -Werror -pthread
CFLAGS_EXTRA ?=
# libpq's header lives in its own directory (Debian: postgresql/)
PKG_CFLAGS := $(shell pkg-config --cflags libpq libxml-2.0 2>/dev/null)
ALL_CFLAGS = $(CFLAGS_BASE) $(PKG_CFLAGS) $(CFLAGS_EXTRA) $(CFLAGS)
LIBS = -lspf2 -lldns -lopendkim -lpsl -lidn2 -lsqlite3 -lpq -lpcre2-8 -lxml2 \
	-lssl -lcrypto -pthread
# authgate-report only: gzip (zlib) and zip (libzip) report containers
REPORT_LIBS = -lzip -lz
MILTER_LIBS = -lmilter
TEST_LIBS = -lcmocka

LIB_SRC := $(wildcard util/*.c spf/*.c dkim/*.c arc/*.c dmarc/*.c policy/*.c)
MIL_SRC := $(filter-out milter/main.c milter/nodelay.c milter/sockbuf.c milter/sockwrite.c,\
	$(wildcard milter/*.c))
REP_SRC := $(filter-out report/main.c,$(wildcard report/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
CONF_SRC := $(wildcard tests/conformance/*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
BENCH_SRC := $(wildcard tests/bench/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
MIL_OBJ := $(MIL_SRC:%.c=$(B)/obj/%.o)
REP_OBJ := $(REP_SRC:%.c=$(B)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
CONF_BIN := $(CONF_SRC:tests/conformance/%.c=$(B)/tests/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(B)/bench/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

.PHONY: all tests run check asan deps deps-test deps-bench bench clean format \
	fuzz fuzz-build fuzz-bins demo
all: $(B)/authgate $(B)/authgate-report

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libauthgate.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libagmilter.a: $(MIL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libagreport.a: $(REP_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/authgate-report: $(B)/obj/report/main.o $(B)/libagreport.a \
		$(B)/libauthgate.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(REPORT_LIBS) $(LIBS)

# libmilter is linked statically so --wrap reaches its accept() calls
# (milter/nodelay.c: TCP_NODELAY on milter connections) and its read(),
# poll() and close() (milter/sockbuf.c: a read buffer per connection) and
# writev() (milter/sockwrite.c: end-of-message edits in one write)
MILTER_WRAP = -Wl,--wrap=accept,--wrap=read,--wrap=poll,--wrap=close,--wrap=writev
$(B)/authgate: $(B)/obj/milter/main.o $(B)/obj/milter/nodelay.o \
		$(B)/obj/milter/sockbuf.o $(B)/obj/milter/sockwrite.o \
		$(B)/libagmilter.a $(B)/libauthgate.a
	$(CC) $(ALL_CFLAGS) $(MILTER_WRAP) -o $@ $^ \
		-Wl,-Bstatic $(MILTER_LIBS) -Wl,-Bdynamic $(LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libagreport.a $(B)/libagmilter.a \
		$(B)/libauthgate.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(TEST_LIBS) $(MILTER_LIBS) \
		$(REPORT_LIBS) $(LIBS)

# the socket wrappers, linked as in the authgate binary
$(B)/tests/test_sockwrite: tests/unit/test_sockwrite.c \
		$(B)/obj/milter/sockbuf.o $(B)/obj/milter/sockwrite.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(MILTER_WRAP) -o $@ $^ $(TEST_LIBS)

$(B)/tests/%: tests/conformance/%.c $(B)/libauthgate.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(B)/tools/%: tests/tools/%.c $(B)/libagreport.a $(B)/libauthgate.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d -o $@ $< $(B)/libagreport.a \
		$(B)/libauthgate.a $(REPORT_LIBS) $(LIBS)

# the load client and the null milter (tests/bench/README.md)
$(B)/bench/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d -o $@ $< $(MILTER_LIBS) -pthread

# libFuzzer targets (tests/fuzz/README.md): built by clang in build-fuzz/,
# every object with ASan+UBSan and coverage, each target with -fsanitize=fuzzer
$(B)/fuzz/%: tests/fuzz/%.c $(B)/libagreport.a $(B)/libagmilter.a \
		$(B)/libauthgate.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -MMD -MP -MF $@.d -o $@ \
		$(filter %.c %.a,$^) \
		$(MILTER_LIBS) $(REPORT_LIBS) $(LIBS)

fuzz-bins: $(FUZZ_BIN)

tests: $(B)/authgate $(B)/authgate-report $(UNIT_BIN) $(CONF_BIN) $(TOOL_BIN) \
	$(BENCH_BIN)

# Debian packages: to build, and in addition to test.
BUILD_PKGS = gcc make pkg-config libmilter-dev libssl-dev libopendkim-dev \
	libspf2-dev libldns-dev libpsl-dev libidn2-dev publicsuffix \
	libsqlite3-dev libpq-dev libpcre2-dev libxml2-dev zlib1g-dev libzip-dev
TEST_PKGS = clang libclang-rt-dev libcmocka-dev postfix swaks nsd ldnsutils python3 python3-yaml \
	python3-dkim python3-authres libmail-dkim-perl dovecot-core sqlite3 postgresql \
	procps iproute2 libxml2-utils chromium python3-pil \
	dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-sieve openssl \
	$(SENDMAIL_LIBS)
# Sendmail's run-time libraries and, for its SMTP AUTH test, saslpasswd2
# (these do not conflict with Postfix); sendmail-bin itself conflicts with
# postfix, so tests/tools/sendmail-tree.sh unpacks it (and sendmail-base,
# sendmail-cf) into SENDMAIL_TREE instead
SENDMAIL_LIBS = m4 liblockfile1 libldap-2.5-0 libnsl2 libwrap0 libdb5.3 \
	libsasl2-2 libsasl2-modules sasl2-bin
SENDMAIL_TREE ?= $(CURDIR)/.cache/sendmail

# make bench: the anchors it compares against, and what it measures with
BENCH_PKGS = nsd ldnsutils python3 python3-dkim procps iproute2 util-linux \
	openssl opendkim opendkim-tools opendmarc rspamd

deps:
	@sh tests/tools/install-deps.sh $(BUILD_PKGS)

deps-test:
	@sh tests/tools/install-deps.sh $(BUILD_PKGS) $(TEST_PKGS)
	@sh tests/tools/sendmail-tree.sh $(SENDMAIL_TREE) || \
		echo "sendmail-tree.sh failed: the sendmail test group will fail"

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p var
	@sh tests/tools/ensure-user.sh
	./$(B)/authgate -f -c conf/authgate.conf

# make demo: Postfix + authgate + Dovecot on loopback ports under a
# temporary directory, the scripted mix, a table of where each message
# ended (tests/integration/demo.sh); stops everything it started
demo: deps-test
	@$(MAKE) --no-print-directory all
	@sh tests/tools/ensure-user.sh
	@AUTHGATE=$(CURDIR)/$(B)/authgate bash tests/integration/demo.sh

FUZZ_SAN = -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
fuzz-build:
	@$(MAKE) --no-print-directory B=build-fuzz CC=clang OPT=-O1 \
		SAN="$(FUZZ_SAN)" fuzz-bins

check: deps-test
	@$(MAKE) --no-print-directory tests
	@$(MAKE) --no-print-directory fuzz-build
	@B=$(B) sh tests/run.sh

# make fuzz: every target for FUZZ_SECS (default 300) seconds each
fuzz: deps-test
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECS=$${FUZZ_SECS:-300} sh tests/fuzz/run.sh

asan: deps-test
	@$(MAKE) --no-print-directory B=build-asan OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" tests
	@B=build-asan FUZZ=0 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh tests/run.sh

deps-bench:
	@sh tests/tools/install-deps.sh $(BUILD_PKGS) $(BENCH_PKGS)

bench: deps-bench
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@B=$(B) bash tests/bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(MIL_OBJ:.o=.d) $(REP_OBJ:.o=.d) \
	$(B)/obj/report/main.d $(B)/obj/milter/main.d \
	$(B)/obj/milter/nodelay.d $(B)/obj/milter/sockbuf.d $(B)/obj/milter/sockwrite.d \
	$(TOOL_BIN:=.d) $(BENCH_BIN:=.d) $(FUZZ_BIN:=.d)
