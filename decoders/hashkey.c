/* hashkey.c: the table hash key, drawn once per process. */
#include "hashkey.h"

#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Digits of pi: any fixed words with bits spread over both halves serve until hash_key_init. */
uint64_t hash_key[3] = {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void hash_key_init(void)
{
    uint64_t k[3];
    if (getrandom(k, sizeof k, GRND_NONBLOCK) != (ssize_t)sizeof k) {
        /* No entropy yet (early boot) or no getrandom: still differs per process and run. */
        struct timespec ts = {0, 0};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t s = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        s ^= (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)k;
        clock_gettime(CLOCK_REALTIME, &ts);
        s ^= (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL;
        for (int i = 0; i < 3; i++)
            k[i] = splitmix(&s);
    }
    for (int i = 0; i < 3; i++)
        hash_key[i] = k[i];
}
