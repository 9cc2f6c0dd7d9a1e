# testsuite/fuzz/fuzz.mk: the libFuzzer harnesses, built with clang apart
# from automake (see doc/fuzzing.md).
#   make -f testsuite/fuzz/fuzz.mk [-j2] [OUT=DIR]
# builds DIR/fuzz_NAME (default build-fuzz/) for every fuzz_NAME.c.  (Not
# named Makefile: .gitignore leaves out every Makefile, automake's output.)
# The parsers' sources are compiled here again with the fuzzer's coverage
# and ASan+UBSan; LeakSanitizer is on when the harnesses run.
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)
HERE := $(TOP)/testsuite/fuzz
SRC := $(TOP)/src/common
OUT ?= $(TOP)/build-fuzz
CC := clang

HARNESSES := $(patsubst $(HERE)/%.c,%,$(wildcard $(HERE)/fuzz_*.c))
# The parsers and what they call; server.c, client.c, auth.c and plugin.c
# need daemons or munge and are left out.
COMMON := error log hostlist parse parse_when mailtype conf conf_value conf_keys conf_enforce conf_node conf_part conf_gres cpubind \
	conf_elastic elastic license jobopt_res hetsplit rlimit_list \
	conf_queue conf_testing proto proto_ev jobopt jobopt_table jobopt_set jobopt_model jobopt_step \
	jobfmt jobarray jsonw jtape jobdef_file idset depend fields jobspec sigv4

PKGS := jansson libevent libcrypto
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	$(SAN) $(shell pkg-config --cflags $(PKGS))
CPPFLAGS := -I$(SRC) -I$(TOP)/src/ctld -I$(HERE) -DSYSCONFDIR='"/nonexistent"' -DPLUGINDIR='"/nonexistent"' \
	-DSBINDIR='"/nonexistent"'
LIBS := $(shell pkg-config --libs $(PKGS)) -lm -ldl

OBJS := $(COMMON:%=$(OUT)/obj/%.o)

all: $(HARNESSES:%=$(OUT)/%)

$(OUT)/obj/%.o: $(SRC)/%.c $(wildcard $(SRC)/*.h) | $(OUT)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(OUT)/obj/libparsers.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^

# A harness may compile a daemon or plugin file in (fuzz_jobdef, fuzz_pmi1): rebuild when any changes.
$(OUT)/obj/harness_%.o: $(HERE)/%.c $(HERE)/fuzz.h $(wildcard $(SRC)/*.h $(TOP)/src/ctld/*.[ch] $(TOP)/plugins/mpi/*/*.[ch] $(TOP)/plugins/cloud/*/*.[ch]) | $(OUT)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(OUT)/fuzz_%: $(OUT)/obj/harness_fuzz_%.o $(OUT)/obj/libparsers.a
	$(CC) $(SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)

$(OUT)/obj:
	mkdir -p $@

list:
	@echo $(HARNESSES)

clean:
	rm -rf $(OUT)

.PHONY: all list clean
.SECONDARY:
