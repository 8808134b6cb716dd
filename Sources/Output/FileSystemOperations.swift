#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The POSIX steps the results folder and atomic files are built from, each failure a typed
// OutputError with its path and errno.

/// Whether anything (file, folder, link) exists at `path`, without following a final symlink.
func itemExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

/// Whether `path` is a directory (following symlinks, as mkdir -p would).
func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

/// Creates `path` and any missing parents (mode 0755 before the umask), like `mkdir -p`.
func createDirectories(_ path: String) throws(OutputError) {
    if isDirectory(path) { return }
    let parent = parentPath(of: path)
    if parent != path && !parent.isEmpty { try createDirectories(parent) }
    if mkdir(path, 0o755) != 0 {
        let code = errno
        if code == EEXIST && isDirectory(path) { return }  // created meanwhile by someone else
        throw .cannotCreateDirectory(path: path, errno: code == EEXIST ? ENOTDIR : code)
    }
}

/// Removes a file, or a folder with everything in it, without following symlinks.
/// A path that does not exist is not an error.
func removeItemRecursively(_ path: String) throws(OutputError) {
    var info = stat()
    guard lstat(path, &info) == 0 else {
        if errno == ENOENT { return }
        throw .cannotRemove(path: path, errno: errno)
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
        for name in try directoryEntries(path) {
            try removeItemRecursively(path + "/" + name)
        }
        guard rmdir(path) == 0 || errno == ENOENT else { throw .cannotRemove(path: path, errno: errno) }
    } else {
        guard unlink(path) == 0 || errno == ENOENT else { throw .cannotRemove(path: path, errno: errno) }
    }
}

/// The names in a directory, "." and ".." excluded, in no particular order.
func directoryEntries(_ path: String) throws(OutputError) -> [String] {
    guard let directory = opendir(path) else { throw .cannotListDirectory(path: path, errno: errno) }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Renames `source` to `destination` (same file system), replacing a file or an empty folder.
func renameItem(_ source: String, to destination: String) throws(OutputError) {
    guard rename(source, destination) == 0 else {
        throw .cannotRename(from: source, to: destination, errno: errno)
    }
}

/// Swaps two existing paths in one atomic step with Linux's renameat2(RENAME_EXCHANGE).
/// Returns false, changing nothing, where the kernel, the C library or the file system lacks it
/// (the symbol is looked up at run time because Glibc's Swift module hides it behind
/// _GNU_SOURCE); throws for any other failure.
func exchangeItems(_ first: String, _ second: String) throws(OutputError) -> Bool {
    #if os(Linux)
    typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    guard let function = renameAt2Function else { return false }
    let renameExchange: UInt32 = 2  // RENAME_EXCHANGE, <linux/fs.h>
    let call = unsafeBitCast(function, to: RenameAt2.self)
    if call(AT_FDCWD, first, AT_FDCWD, second, renameExchange) == 0 { return true }
    let code = errno
    if code == EINVAL || code == ENOSYS || code == ENOTSUP { return false }
    throw .cannotRename(from: first, to: second, errno: code)
    #else
    return false
    #endif
}

#if os(Linux)
/// The address of glibc's renameat2 (glibc ≥ 2.28), if present; looked up once.
nonisolated(unsafe) private let renameAt2Function: UnsafeMutableRawPointer? = {
    guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
    return dlsym(handle, "renameat2")
}()
#endif

/// Flushes a directory's entries (renames, creations) to stable storage; best effort, because
/// some file systems refuse to sync a directory and nothing is lost then.
func syncDirectory(_ path: String) {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    _ = fsync(descriptor)
    _ = close(descriptor)
}

/// The path up to the last "/", or "." when there is none ("/" for a path directly under root).
func parentPath(of path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return "." }
    if slash == trimmed.startIndex { return "/" }
    return String(trimmed[..<slash])
}

/// The text after the last "/" (trailing slashes ignored).
func lastComponent(of path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return String(trimmed) }
    return String(trimmed[trimmed.index(after: slash)...])
}

/// Whether the process `pid` is alive (or exists but belongs to someone else). A reused pid
/// looks alive: callers then keep what they would have removed, which is the safe side.
func processIsAlive(_ pid: Int32) -> Bool {
    if pid <= 0 { return true }  // never treat a malformed or group pid as dead
    return kill(pid, 0) == 0 || errno != ESRCH
}

/// Sixteen random hex digits for temporary names (uniqueness only; not part of any result).
func randomSuffix() -> String {
    let value = UInt64.random(in: .min ... .max)
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
