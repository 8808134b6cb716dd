#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
private let systemClose = Glibc.close
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
private let systemClose = Darwin.close
#endif
import CWriteback

/// A file opened for writing through POSIX calls, so that every failure (a full disk, a missing
/// permission, an I/O error reported only at `fsync`) surfaces as an `OutputError` with the path.
/// Not for sharing between threads.
final class WritableFile {
    let path: String
    private var descriptor: Int32?

    /// Creates or truncates `path` (mode 0644 before the umask).
    init(creating path: String) throws(OutputError) {
        self.path = path
        let flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
        var opened: Int32
        repeat { opened = open(path, flags, 0o644) } while opened < 0 && errno == EINTR
        guard opened >= 0 else { throw .cannotOpenFile(path: path, errno: errno) }
        descriptor = opened
    }

    /// Writes all the bytes, retrying short writes and interruptions.
    func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        guard let descriptor else { throw .writerClosed(path: path) }
        guard var next = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = systemWrite(descriptor, next, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, errno: errno)
            }
            if written == 0 { throw .writeFailed(path: path, errno: EIO) }
            next += written
            remaining -= written
        }
    }

    /// Starts writing bytes [offset, offset + count) to disk without waiting (best effort: the
    /// `fsync` in `close` is what reports write-back errors), so that a large file's final sync
    /// has little left to do.
    func startWriteback(offset: Int, count: Int) {
        guard let descriptor, count > 0 else { return }
        _ = cwriteback_start(descriptor, Int64(offset), Int64(count))
    }

    /// Writes all the bytes of an array.
    func write(_ bytes: [UInt8]) throws(OutputError) {
        let failure: OutputError? = bytes.withUnsafeBytes { raw in
            do throws(OutputError) { try write(raw) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Syncs the bytes to stable storage and closes the file. The descriptor is released even
    /// when the sync fails; the first failure is thrown. Closing twice does nothing.
    func close() throws(OutputError) {
        guard let descriptor else { return }
        self.descriptor = nil
        // fsync reports write-back errors (e.g. a full disk noticed late) that write() did not.
        // EINVAL/EROFS: the file system cannot sync (a pipe, a special file); nothing was lost.
        let syncFailure: Int32? = fsync(descriptor) == 0 || errno == EINVAL || errno == EROFS ? nil : errno
        let closeFailure: Int32? = systemClose(descriptor) == 0 || errno == EINTR ? nil : errno
        if let code = syncFailure { throw .writeFailed(path: path, errno: code) }
        if let code = closeFailure { throw .closeFailed(path: path, errno: code) }
    }

    /// Releases the descriptor without syncing, for a file being abandoned.
    func discard() {
        if let descriptor { _ = systemClose(descriptor) }
        descriptor = nil
    }

    deinit { discard() }
}
