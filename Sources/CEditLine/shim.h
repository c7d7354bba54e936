#ifndef QUILL_CEDITLINE_SHIM_H
#define QUILL_CEDITLINE_SHIM_H
#include <stdio.h>
#include <histedit.h>
#endif
