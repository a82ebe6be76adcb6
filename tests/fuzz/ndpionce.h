/* ndpionce.h: fuzz harness shim: nDPI detection modules built once per process (ndpionce.c). */
#ifndef SIPSCOPE_TESTS_FUZZ_NDPIONCE_H
#define SIPSCOPE_TESTS_FUZZ_NDPIONCE_H

#define NDPIONCE_MODULES 2

/* Module the next dpi_create gets (0 until asked; each built at its first use). */
void ndpionce_select(int which);

#endif
