#ifndef C_LIAISON_FILE_H
#define C_LIAISON_FILE_H

#include <stdint.h>

/// The size and link count of an open file. On Linux they are read with statx and a mask without
/// the file's times: a stat that reads the change time makes the next write to the file stamp it
/// with a fine-grained time, and so write its inode (multigrain timestamps, Linux 6.13), which
/// costs an append to the audit log more than the append itself. Returns 0, or -1 with errno set.
int liaison_file_size_and_links(int descriptor, int64_t *size, uint32_t *links);

#endif
