#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A results folder written in a hidden temporary sibling and published in one step (SPEC §6:
/// "a failed or interrupted run leaves any earlier results untouched and no partial folder").
///
/// For the final path `DIR/<relative path>` (e.g. `Results/ABC-101` or
/// `Results/ABC-101.shards/2-of-8`), with `<name>` its last component and `PARENT` the folder
/// holding it:
/// - `init` refuses a final path that holds anything but earlier results (a folder with
///   manifest.json), creates `PARENT` (and `DIR`) if missing, removes leftovers of dead runs (see
///   below) and creates the empty temporary folder `PARENT/.<name>.tmp-<pid>-<random>/`.
/// - Callers write files at `path(for:)`, inside the temporary folder.
/// - `commit()` publishes it. With no earlier results, one `rename`. With earlier results, on
///   Linux one `renameat2(RENAME_EXCHANGE)` swaps old and new atomically — at every instant the
///   final path holds one complete folder — and the old one, now at the temporary name, is
///   deleted. Where the file system lacks the exchange (EINVAL), the old folder is renamed aside
///   to `PARENT/.<name>.old-<pid>-<random>/`, the new one renamed in, and the old one deleted: between
///   those two renames (microseconds) the final path is briefly absent, never partial; if the
///   process dies in that window, the next `init` for the same path renames the old folder back.
/// - `abandon()` (also run when the value is dropped uncommitted) deletes the temporary folder.
///
/// Leftovers: hidden `.<name>.tmp-<pid>-…` and `.<name>.old-<pid>-…` siblings whose pid is no
/// longer running (a SIGKILLed run) are deleted at `init`; those of live processes are kept, so
/// two runs writing the same results do not destroy each other's work (the later commit wins).
/// A pid reused by an unrelated live process keeps its leftover until a later run.
///
/// ```
/// let folder = try ResultsFolder(outputDirectory: "Results", relativePath: "ABC-101")
/// let writer = try CSVWriter(path: folder.path(for: "subjects.csv"), header: columns)
/// … write, close …
/// try folder.commit()          // or folder.abandon() on failure
/// ```
public final class ResultsFolder {
    /// The state of a folder: writable until committed or abandoned.
    public enum State: Equatable, Sendable { case open, committed, abandoned }

    /// The output directory DIR, as given.
    public let outputDirectory: String
    /// The results' path relative to DIR, e.g. "ABC-101" or "ABC-101.shards/2-of-8".
    public let relativePath: String
    /// `DIR/<relative path>`: where the results appear on `commit()`.
    public let finalPath: String
    /// The hidden temporary folder that files are written into until `commit()`.
    public let temporaryPath: String
    /// Whether the folder is still open, committed or abandoned.
    public private(set) var state = State.open

    /// Whether `commit()` may use renameat2(RENAME_EXCHANGE); tests turn it off to exercise the
    /// two-rename fallback that file systems without the exchange get.
    var allowsExchange = true

    private let parent: String
    private let name: String

    /// Prepares `DIR/<relative path>` for writing: creates missing folders, cleans leftovers of
    /// dead runs and creates the temporary folder.
    ///
    /// - Parameters:
    ///   - outputDirectory: DIR; created with its parents if missing.
    ///   - relativePath: a relative path of one or more components, none empty, "." or "..".
    /// - Throws: `invalidRelativePath`, `cannotCreateDirectory` (with the folder that could not
    ///   be created and `errno`, e.g. `EACCES` for an unwritable DIR), `cannotListDirectory`,
    ///   `cannotRemove`, `cannotRename`.
    public init(outputDirectory: String, relativePath: String) throws(OutputError) {
        let components = relativePath.split(separator: "/", omittingEmptySubsequences: false)
        guard !relativePath.isEmpty, !relativePath.hasPrefix("/"),
              components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else { throw .invalidRelativePath(relativePath) }
        let base = outputDirectory.isEmpty ? "." : outputDirectory
        self.outputDirectory = outputDirectory
        self.relativePath = relativePath
        finalPath = (base.hasSuffix("/") ? base : base + "/") + relativePath
        parent = parentPath(of: finalPath)
        name = String(components.last!)
        temporaryPath = parent + "/." + name + ".tmp-\(getpid())-" + randomSuffix()

        // Only earlier results are replaced: whatever else sits at the final path (a user's
        // folder or file that happens to have the protocol's id) is refused before anything is
        // created.
        if itemExists(finalPath), !(isDirectory(finalPath) && itemExists(finalPath + "/manifest.json")) {
            throw .notResultsFolder(path: finalPath)
        }
        try createDirectories(parent)
        try Self.cleanLeftovers(in: parent, name: name, finalPath: finalPath)
        guard mkdir(temporaryPath, 0o755) == 0 else {
            throw .cannotCreateDirectory(path: temporaryPath, errno: errno)
        }
    }

    /// The path of a file inside the (temporary) results folder.
    public func path(for fileName: String) -> String {
        temporaryPath + "/" + fileName
    }

    /// Publishes the temporary folder at `finalPath`, replacing earlier results there, and
    /// deletes the earlier results (see the type's documentation for the exact steps).
    ///
    /// - Throws: `folderFinished` if already committed or abandoned; `cannotRename` if the
    ///   results could not be put in place (the earlier results are then left at `finalPath`,
    ///   the temporary folder is kept for `abandon()`). Failing to delete the replaced results
    ///   does not throw: they sit in a hidden sibling that a later run removes.
    public func commit() throws(OutputError) {
        guard state == .open else { throw .folderFinished(path: finalPath) }
        syncDirectory(temporaryPath)
        if !itemExists(finalPath) {
            try renameItem(temporaryPath, to: finalPath)
        } else if allowsExchange, try exchangeItems(temporaryPath, finalPath) {
            try? removeItemRecursively(temporaryPath)  // now the earlier results
        } else {
            let aside = parent + "/." + name + ".old-\(getpid())-" + randomSuffix()
            try renameItem(finalPath, to: aside)
            do throws(OutputError) {
                try renameItem(temporaryPath, to: finalPath)
            } catch {
                try? renameItem(aside, to: finalPath)  // put the earlier results back
                throw error
            }
            try? removeItemRecursively(aside)
        }
        state = .committed
        syncDirectory(parent)
    }

    /// Deletes the temporary folder and everything written to it; earlier results at
    /// `finalPath` are untouched. Does nothing once committed or abandoned.
    public func abandon() {
        guard state == .open else { return }
        state = .abandoned
        try? removeItemRecursively(temporaryPath)
    }

    deinit { abandon() }

    /// Removes `.<name>.tmp-<pid>-…` and `.<name>.old-<pid>-…` in `parent` whose pid is dead.
    /// An `.old-` folder is renamed back to `finalPath` if that is missing (a run killed between
    /// the two renames of the fallback commit).
    private static func cleanLeftovers(in parent: String, name: String, finalPath: String) throws(OutputError) {
        let temporaryPrefix = "." + name + ".tmp-"
        let asidePrefix = "." + name + ".old-"
        for entry in try directoryEntries(parent).sorted() {
            let isAside = entry.hasPrefix(asidePrefix)
            guard isAside || entry.hasPrefix(temporaryPrefix) else { continue }
            let rest = entry.dropFirst(isAside ? asidePrefix.count : temporaryPrefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]),
                  pid != getpid(), !processIsAlive(pid)
            else { continue }
            let path = parent + "/" + entry
            if isAside && !itemExists(finalPath) {
                try renameItem(path, to: finalPath)
            } else {
                try removeItemRecursively(path)
            }
        }
    }
}
