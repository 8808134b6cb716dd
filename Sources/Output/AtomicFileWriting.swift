#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `bytes` to `path` so that readers see either the old file or the complete new one:
/// the bytes go to a hidden temporary sibling (`.<name>.tmp-<pid>-<random>`), are synced to disk,
/// and the temporary is renamed over `path` (POSIX `rename` is atomic within a file system); the
/// directory is then synced. On any failure the temporary is removed and `path` is untouched.
/// The folder holding `path` must exist. `syncingDirectory: false` leaves the directory's sync
/// to the caller (a results folder syncs its temporary directory once, when it is committed).
///
/// - Returns: the SHA-256 of `bytes` (64 lowercase hex digits), for a manifest.
/// - Throws: `OutputError` with the path and `errno` (`cannotOpenFile`, `writeFailed`,
///   `closeFailed`, `cannotRename`).
///
/// ```
/// try writeFileAtomically(Array(html.utf8), to: folder.path(for: "report.html"))
/// ```
@discardableResult
public func writeFileAtomically(_ bytes: [UInt8], to path: String, syncingDirectory: Bool = true) throws(OutputError) -> String {
    let directory = parentPath(of: path)
    let temporary = directory + "/." + lastComponent(of: path) + ".tmp-\(getpid())-" + randomSuffix()
    do throws(OutputError) {
        let file = try WritableFile(creating: temporary)
        do throws(OutputError) {
            try file.write(bytes)
            try file.close()
        } catch {
            file.discard()
            throw error
        }
        try renameItem(temporary, to: path)
    } catch {
        _ = unlink(temporary)
        throw error
    }
    if syncingDirectory { syncDirectory(directory) }
    return SHA256.hash(bytes)
}

/// Writes `text` as UTF-8 to `path` atomically; see `writeFileAtomically(_:to:)` for bytes.
@discardableResult
public func writeFileAtomically(_ text: String, to path: String, syncingDirectory: Bool = true) throws(OutputError) -> String {
    try writeFileAtomically(Array(text.utf8), to: path, syncingDirectory: syncingDirectory)
}
