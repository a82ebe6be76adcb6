/* status.c: names of the project-wide status codes. */
#include "status.h"

const char *status_str(enum status s)
{
    static const char *const names[] = {
        [STATUS_OK] = "ok",
        [STATUS_TRUNCATED] = "truncated",
        [STATUS_MALFORMED] = "malformed",
        [STATUS_NEED_MORE] = "need more data",
        [STATUS_NOT_SIP] = "not SIP",
        [STATUS_UNSUPPORTED] = "unsupported",
        [STATUS_FULL] = "full",
        [STATUS_IO] = "I/O error",
    };
    if ((unsigned)s < sizeof names / sizeof names[0] && names[s])
        return names[s];
    return "unknown status";
}
