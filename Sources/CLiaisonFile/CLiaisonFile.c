#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include "CLiaisonFile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

int liaison_file_size_and_links(int descriptor, int64_t *size, uint32_t *links) {
#if defined(__linux__) && defined(STATX_SIZE)
    struct statx extended = {0};
    if (statx(descriptor, "", AT_EMPTY_PATH, STATX_SIZE | STATX_NLINK, &extended) == 0) {
        // A file system may leave out what was asked: then fstat says it.
        if ((extended.stx_mask & (STATX_SIZE | STATX_NLINK)) == (STATX_SIZE | STATX_NLINK)) {
            *size = (int64_t)extended.stx_size;
            *links = extended.stx_nlink;
            return 0;
        }
    } else if (errno != ENOSYS && errno != EPERM) {
        return -1;
    }
    // Kernels before 4.11, and sandboxes that filter the call, have fstat only.
#endif
    struct stat status;
    if (fstat(descriptor, &status) != 0) return -1;
    *size = (int64_t)status.st_size;
    *links = (uint32_t)status.st_nlink;
    return 0;
}
