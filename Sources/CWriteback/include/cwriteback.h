#ifndef CWRITEBACK_H
#define CWRITEBACK_H

/// Asks the kernel to start writing the file's bytes [offset, offset + length) to disk without
/// waiting for them (Linux `sync_file_range` with SYNC_FILE_RANGE_WRITE), so that the `fsync`
/// at the end of a large file finds little left to do. Best effort: returns 0, or -1 with errno
/// set (nothing is lost either way: the final `fsync` is what reports errors). Elsewhere a no-op.
int cwriteback_start(int descriptor, long long offset, long long length);

#endif
