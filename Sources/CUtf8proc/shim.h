#ifndef QUILL_CUTF8PROC_SHIM_H
#define QUILL_CUTF8PROC_SHIM_H
#include <utf8proc.h>
#endif
