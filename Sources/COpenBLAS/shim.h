#ifndef QUILL_COPENBLAS_SHIM_H
#define QUILL_COPENBLAS_SHIM_H
// Debian's libopenblas-dev installs cblas.h through the alternatives system
// into the multiarch include directory.
#include <cblas.h>
// Declared by OpenBLAS but not by every cblas.h.
char *openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
