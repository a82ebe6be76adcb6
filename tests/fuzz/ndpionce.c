/* ndpionce.c: fuzz harness shim: one nDPI detection module for the whole process, whatever
 * dpi_create asks. */
#include <ndpi_api.h>

#include "ndpionce.h"

/*
 * Linked only into fuzz targets built with
 *   -Wl,--wrap=ndpi_init_detection_module,--wrap=ndpi_set_protocol_detection_bitmask2,
 *       --wrap=ndpi_finalize_initialization,--wrap=ndpi_exit_detection_module
 * nDPI 4.2 takes ~45 ms (ASan) to build its detection module, which
 * sensor/dpi.c does in every dpi_create; a fuzz target that builds a fresh
 * worker per input would run at 20 inputs a second. The first init builds
 * the module for real; later ones get the same module; exit does nothing.
 * What stays shared between inputs is nDPI's own module (protocol tables,
 * its small LRU caches of addresses), never sipscope state: dpi.c's flow
 * table and flow states are fresh per dpi_create. dpi.c always asks for
 * the same protocol set, so setting the bitmask and finalising once is
 * the same module it would build. Written for nDPI 4.2 (Debian 12), the
 * version sensor/dpi.c is compiled and tested against.
 *
 * Those caches make a run depend on the inputs before it. A target that
 * analyses each input twice and compares (fuzz_pcap) gives each way its own
 * module (ndpionce_select): both then see the same calls, in the same order,
 * exactly when the two ways agree.
 */

struct ndpi_detection_module_struct *__real_ndpi_init_detection_module(ndpi_init_prefs prefs);
struct ndpi_detection_module_struct *__wrap_ndpi_init_detection_module(ndpi_init_prefs prefs);
void __real_ndpi_set_protocol_detection_bitmask2(struct ndpi_detection_module_struct *m,
                                                 const NDPI_PROTOCOL_BITMASK *mask);
void __wrap_ndpi_set_protocol_detection_bitmask2(struct ndpi_detection_module_struct *m,
                                                 const NDPI_PROTOCOL_BITMASK *mask);
void __real_ndpi_finalize_initialization(struct ndpi_detection_module_struct *m);
void __wrap_ndpi_finalize_initialization(struct ndpi_detection_module_struct *m);
void __wrap_ndpi_exit_detection_module(struct ndpi_detection_module_struct *m);

/* Module `which` is what the next init returns (ndpionce.h); each is built once, when first asked.
 */
static struct ndpi_detection_module_struct *ndpionce_module[NDPIONCE_MODULES];
static int ndpionce_masked[NDPIONCE_MODULES];
static int ndpionce_final[NDPIONCE_MODULES];
static int ndpionce_which;

void ndpionce_select(int which)
{
    ndpionce_which = which >= 0 && which < NDPIONCE_MODULES ? which : 0;
}

static int ndpionce_index(const struct ndpi_detection_module_struct *m)
{
    for (int i = 0; i < NDPIONCE_MODULES; i++)
        if (ndpionce_module[i] == m)
            return i;
    return ndpionce_which;
}

struct ndpi_detection_module_struct *__wrap_ndpi_init_detection_module(ndpi_init_prefs prefs)
{
    if (!ndpionce_module[ndpionce_which])
        ndpionce_module[ndpionce_which] = __real_ndpi_init_detection_module(prefs);
    return ndpionce_module[ndpionce_which];
}

void __wrap_ndpi_set_protocol_detection_bitmask2(struct ndpi_detection_module_struct *m,
                                                 const NDPI_PROTOCOL_BITMASK *mask)
{
    int i = ndpionce_index(m);
    if (!ndpionce_masked[i]) {
        ndpionce_masked[i] = 1;
        __real_ndpi_set_protocol_detection_bitmask2(m, mask);
    }
}

void __wrap_ndpi_finalize_initialization(struct ndpi_detection_module_struct *m)
{
    int i = ndpionce_index(m);
    if (!ndpionce_final[i]) {
        ndpionce_final[i] = 1;
        __real_ndpi_finalize_initialization(m);
    }
}

void __wrap_ndpi_exit_detection_module(struct ndpi_detection_module_struct *m)
{
    (void)m; /* the module lives as long as the process */
}
