#ifndef QUILL_CEDITLINE_SHIM_H
#define QUILL_CEDITLINE_SHIM_H
// libedit's readline-compatible interface: non-variadic, so Swift can call it directly.
#include <stdio.h>
#include <editline/readline.h>
#endif
