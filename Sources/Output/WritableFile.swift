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
import Dispatch
import Synchronization

/// A file opened for writing through POSIX calls, so that every failure (a full disk, a missing
/// permission, an I/O error reported only at `fsync`) surfaces as an `OutputError` with the path.
/// Not for sharing between threads (the background syncs it starts itself are waited for).
final class WritableFile {
    let path: String
    private var descriptor: Int32?
    /// The background `fdatasync` in flight (`syncInBackground`), and the first error one saw:
    /// a write-back error is reported once per open file, so an error seen there must be
    /// reported by `close`.
    private let backgroundSync = DispatchGroup()
    private let backgroundState = BackgroundSyncState()

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

    /// Starts an `fdatasync` of everything written so far on a background thread, unless one is
    /// still running: a large file is then made durable while the run goes on, and the `fsync`
    /// in `close` has only the last bytes and little metadata left. (W1's endpoints.csv, 21 MB:
    /// a final sync of ~25–40 ms after `startWriteback` alone, ~2 ms with these.) `close` waits
    /// for it and reports its error.
    func syncInBackground() {
        guard let descriptor else { return }
        let start = backgroundState.state.withLock { state -> Bool in
            if state.inFlight { return false }
            state.inFlight = true
            return true
        }
        guard start else { return }
        let shared = backgroundState
        DispatchQueue.global(qos: .utility).async(group: backgroundSync) {
            var result: Int32
            repeat { result = fdatasync(descriptor) } while result != 0 && errno == EINTR
            let code: Int32? = result == 0 || errno == EINVAL || errno == EROFS ? nil : errno
            shared.state.withLock { state in
                state.inFlight = false
                if state.errno == nil { state.errno = code }
            }
        }
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
        backgroundSync.wait()
        // fsync reports write-back errors (e.g. a full disk noticed late) that write() did not.
        // EINVAL/EROFS: the file system cannot sync (a pipe, a special file); nothing was lost.
        let backgroundFailure = backgroundState.state.withLock { $0.errno }
        let syncFailure: Int32? = fsync(descriptor) == 0 || errno == EINVAL || errno == EROFS ? backgroundFailure : errno
        let closeFailure: Int32? = systemClose(descriptor) == 0 || errno == EINTR ? nil : errno
        if let code = syncFailure { throw .writeFailed(path: path, errno: code) }
        if let code = closeFailure { throw .closeFailed(path: path, errno: code) }
    }

    /// Releases the descriptor without syncing, for a file being abandoned.
    func discard() {
        backgroundSync.wait()
        if let descriptor { _ = systemClose(descriptor) }
        descriptor = nil
    }

    deinit { discard() }
}

/// `WritableFile`'s background sync: whether one is in flight, and the first error one saw.
private final class BackgroundSyncState: Sendable {
    let state = Mutex<(inFlight: Bool, errno: Int32?)>((false, nil))
}
