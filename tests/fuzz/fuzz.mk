# SPDX-License-Identifier: MIT
# The libFuzzer targets, built by "make fuzz" (Makefile.am passes CLANG,
# srcdir, the source lists, CPPFLAGS_DEPS and LIBS_DEPS). lib/, oauth/ and mail/ are compiled once
# with the sanitizers into an archive; each target links it, and a target
# that includes a module's .c for its static parser keeps the archive's copy
# of that module out (an archive member is only taken for a symbol missing).
FUZZ_TARGETS = challenge cache settings token device redirect loopback proc http url imap pop3 claims dialogue
OUT = tests/fuzz/bin
OBJ = tests/fuzz/obj
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Wno-unused-function
INCLUDES = -I. -I$(srcdir) -I$(srcdir)/include -I$(srcdir)/tests/fuzz \
	-DSAO_SYSCONFDIR='"/nonexistent/etc/sasl-oauth"' -DSAO_STATEDIR='"/nonexistent/var/lib/sasl-oauth"' \
	-DSAO_CLI_PATH='"/nonexistent/bin/sasl-oauth"'
SOURCES = $(LIB_SOURCES) $(OAUTH_SOURCES) tests/fuzz/fuzz-util.c
OBJECTS = $(patsubst %.c,$(OBJ)/%.o,$(SOURCES))
BINS = $(patsubst %,$(OUT)/fuzz-%,$(FUZZ_TARGETS))

all: $(BINS)

$(OBJ)/%.o: $(srcdir)/%.c config.h
	@mkdir -p $(dir $@)
	@echo "  FUZZCC   $@"; $(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(INCLUDES) $(CPPFLAGS_DEPS) -MMD -MP -c -o $@ $<

$(OBJ)/libfuzz.a: $(OBJECTS)
	@rm -f $@
	@ar rcs $@ $(OBJECTS)

$(OUT)/fuzz-%: $(srcdir)/tests/fuzz/fuzz-%.c $(OBJ)/libfuzz.a
	@mkdir -p $(OUT)
	@echo "  FUZZLD   $@"; $(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(INCLUDES) $(CPPFLAGS_DEPS) -MMD -MP -MF $(OBJ)/fuzz-$*.d \
		-o $@ $< $(OBJ)/libfuzz.a $(LIBS_DEPS)

-include $(OBJECTS:.o=.d) $(patsubst %,$(OBJ)/fuzz-%.d,$(FUZZ_TARGETS))
.PHONY: all
