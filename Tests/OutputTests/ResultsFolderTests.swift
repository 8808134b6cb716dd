import Foundation
import Testing
@testable import Output

@Suite struct ResultsFolderTests {
    /// A pid that surely belongs to no running process: a child that has exited and been reaped.
    private func deadPid() throws -> Int32 {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "exit 0"]
        try child.run()
        child.waitUntilExit()
        return child.processIdentifier
    }

    private func write(_ text: String, _ path: String) throws {
        try writeFileAtomically(text, to: path)
    }

    @Test func firstCommitCreatesTheFolderAndLeavesNothingHidden() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let outputDirectory = scratch.path + "/Results/deeper"
        let folder = try ResultsFolder(outputDirectory: outputDirectory, relativePath: "ABC-101")
        #expect(folder.finalPath == outputDirectory + "/ABC-101")
        #expect(folder.temporaryPath.hasPrefix(outputDirectory + "/.ABC-101.tmp-\(getpid())-"))
        #expect(!FileManager.default.fileExists(atPath: folder.finalPath))
        try write("new\n", folder.path(for: "a.csv"))
        try folder.commit()
        #expect(folder.state == .committed)
        #expect(try readText(folder.finalPath + "/a.csv") == "new\n")
        #expect(scratch.contents(of: "Results/deeper") == ["ABC-101"])
        #expect(throws: OutputError.folderFinished(path: folder.finalPath)) { try folder.commit() }
    }

    @Test(arguments: [true, false])
    func commitReplacesEarlierResults(allowsExchange: Bool) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let first = try ResultsFolder(outputDirectory: scratch.path, relativePath: "ABC")
        try write("old\n", first.path(for: "a.csv"))
        try write("old only\n", first.path(for: "old.csv"))
        try write("{}", first.path(for: "manifest.json"))
        try first.commit()

        let second = try ResultsFolder(outputDirectory: scratch.path, relativePath: "ABC")
        second.allowsExchange = allowsExchange
        try write("new\n", second.path(for: "a.csv"))
        try second.commit()
        #expect(scratch.contents(of: "ABC") == ["a.csv"])
        #expect(try readText(scratch.path + "/ABC/a.csv") == "new\n")
        #expect(scratch.contents() == ["ABC"])
    }

    @Test func abandonKeepsEarlierResultsIntact() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let first = try ResultsFolder(outputDirectory: scratch.path, relativePath: "ABC")
        try write("old\n", first.path(for: "a.csv"))
        try write("{}", first.path(for: "manifest.json"))
        try first.commit()

        let failed = try ResultsFolder(outputDirectory: scratch.path, relativePath: "ABC")
        try write("partial", failed.path(for: "a.csv"))
        failed.abandon()
        #expect(failed.state == .abandoned)
        #expect(scratch.contents() == ["ABC"])
        #expect(try readText(scratch.path + "/ABC/a.csv") == "old\n")
        #expect(throws: OutputError.folderFinished(path: failed.finalPath)) { try failed.commit() }
    }

    @Test func droppingAnUncommittedFolderAbandonsIt() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        do {
            let folder = try ResultsFolder(outputDirectory: scratch.path, relativePath: "ABC")
            try write("partial", folder.path(for: "a.csv"))
            #expect(scratch.contents().count == 1)
        }
        #expect(scratch.contents().isEmpty)
    }

    @Test func leftoversOfDeadRunsAreCleanedAndLiveOnesKept() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let dead = try deadPid()
        let fileManager = FileManager.default
        for name in [".ABC.tmp-\(dead)-0123456789abcdef", ".ABC.old-\(dead)-0123456789abcdef",
                     ".ABC.tmp-1-live", ".ABD.tmp-\(dead)-other-protocol", ".ABC.tmp-x-malformed"] {
            try fileManager.createDirectory(atPath: scratch.path + "/" + name, withIntermediateDirectories: false)
            try write("leftover", scratch.path + "/" + name + "/a.csv")
        }
        try fileManager.createDirectory(atPath: scratch.path + "/ABC", withIntermediateDirectories: false)
        try write("{}", scratch.path + "/ABC/manifest.json")
        let folder = try ResultsFolder(outputDirectory: scratch.path, relativePath: "ABC")
        let hiddenBefore = scratch.contents().filter { $0.hasPrefix(".") && $0 != lastComponent(of: folder.temporaryPath) }
        #expect(hiddenBefore == [".ABC.tmp-1-live", ".ABC.tmp-x-malformed", ".ABD.tmp-\(dead)-other-protocol"])
        folder.abandon()
    }

    /// A run killed between the fallback's two renames left the old results aside and no final
    /// folder; the next run puts them back.
    @Test func resultsLeftAsideByAKilledCommitAreRestored() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let aside = scratch.path + "/.ABC.old-\(try deadPid())-0123456789abcdef"
        try FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: false)
        try write("old\n", aside + "/a.csv")
        let folder = try ResultsFolder(outputDirectory: scratch.path, relativePath: "ABC")
        #expect(try readText(scratch.path + "/ABC/a.csv") == "old\n")
        folder.abandon()
        #expect(scratch.contents() == ["ABC"])
    }

    @Test func nestedRelativePathsForShards() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let folder = try ResultsFolder(outputDirectory: scratch.path, relativePath: "ABC.shards/2-of-8")
        #expect(parentPath(of: folder.temporaryPath) == scratch.path + "/ABC.shards")
        try write("shard\n", folder.path(for: "a.csv"))
        try folder.commit()
        #expect(scratch.contents() == ["ABC.shards"])
        #expect(scratch.contents(of: "ABC.shards") == ["2-of-8"])
        #expect(try readText(scratch.path + "/ABC.shards/2-of-8/a.csv") == "shard\n")
    }

    @Test(arguments: ["", "/abs", "a/../b", "..", "a//b", "./a", "a/"])
    func invalidRelativePathsAreRejected(relativePath: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        #expect(throws: OutputError.invalidRelativePath(relativePath)) {
            _ = try ResultsFolder(outputDirectory: scratch.path, relativePath: relativePath)
        }
        #expect(scratch.contents().isEmpty)
    }

    /// Only earlier results are replaced: a user's folder (no manifest.json) or file at the final
    /// path is refused before anything is created, and left as it was.
    @Test func somethingElseAtTheFinalPathIsRefused() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        try FileManager.default.createDirectory(atPath: scratch.path + "/ABC/mydata", withIntermediateDirectories: true)
        try write("thesis", scratch.path + "/ABC/mydata/thesis.txt")
        try write("a file", scratch.path + "/XYZ")
        for name in ["ABC", "XYZ"] {
            #expect(throws: OutputError.notResultsFolder(path: scratch.path + "/" + name)) {
                _ = try ResultsFolder(outputDirectory: scratch.path, relativePath: name)
            }
            #expect(OutputError.notResultsFolder(path: name).isUsageError)
        }
        #expect(scratch.contents() == ["ABC", "XYZ"])
        #expect(try readText(scratch.path + "/ABC/mydata/thesis.txt") == "thesis")
        // With manifest.json it is earlier results, and replaced.
        try write("{}", scratch.path + "/ABC/manifest.json")
        let folder = try ResultsFolder(outputDirectory: scratch.path, relativePath: "ABC")
        try write("new", folder.path(for: "manifest.json"))
        try folder.commit()
        #expect(scratch.contents(of: "ABC") == ["manifest.json"])
    }

    @Test func outputDirectoryBelowAFileIsATypedError() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        try write("not a folder", scratch.path + "/file")
        #expect(throws: OutputError.cannotCreateDirectory(path: scratch.path + "/file", errno: ENOTDIR)) {
            _ = try ResultsFolder(outputDirectory: scratch.path + "/file/Results", relativePath: "ABC")
        }
    }

    /// Permission bits bind only non-root users, so this runs only for them.
    @Test(.enabled(if: getuid() != 0))
    func unwritableOutputDirectoryIsATypedError() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let locked = scratch.path + "/locked"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o555])
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked) }
        do {
            _ = try ResultsFolder(outputDirectory: locked, relativePath: "ABC")
            Issue.record("expected an error")
        } catch {
            guard case let .cannotCreateDirectory(path, code) = error else { Issue.record("\(error)"); return }
            #expect(path.hasPrefix(locked + "/.ABC.tmp-"))
            #expect(code == EACCES)
        }
    }
}

@Suite struct AtomicFileWritingTests {
    @Test func replacesTheFileAndReturnsItsDigest() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let path = scratch.path + "/report.html"
        try writeFileAtomically("old", to: path)
        let digest = try writeFileAtomically("abc", to: path)
        #expect(digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try readText(path) == "abc")
        #expect(scratch.contents() == ["report.html"])
    }

    @Test func failureLeavesTheOldFileAndNoTemporary() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        try FileManager.default.createDirectory(atPath: scratch.path + "/folder", withIntermediateDirectories: false)
        try write("inside", to: scratch.path + "/folder/keep")
        // Renaming a file over a non-empty folder fails (EISDIR); the folder must survive.
        do {
            try writeFileAtomically("x", to: scratch.path + "/folder")
            Issue.record("expected an error")
        } catch {
            guard case let .cannotRename(_, to, code) = error else { Issue.record("\(error)"); return }
            #expect(to == scratch.path + "/folder")
            #expect(code == EISDIR)
        }
        #expect(scratch.contents() == ["folder"])
        #expect(try readText(scratch.path + "/folder/keep") == "inside")
    }

    private func write(_ text: String, to path: String) throws { try writeFileAtomically(text, to: path) }
}

@Suite struct FileSystemOperationsTests {
    #if os(Linux)
    /// The atomic commit rests on renameat2(RENAME_EXCHANGE) being found and working here.
    @Test func exchangeSwapsTwoFoldersOnLinux() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        for name in ["one", "two"] {
            try FileManager.default.createDirectory(atPath: scratch.path + "/" + name, withIntermediateDirectories: false)
            try writeFileAtomically(name, to: scratch.path + "/" + name + "/mark")
        }
        #expect(try exchangeItems(scratch.path + "/one", scratch.path + "/two"))
        #expect(try readText(scratch.path + "/one/mark") == "two")
        #expect(try readText(scratch.path + "/two/mark") == "one")
    }
    #endif

    @Test func pathPieces() {
        #expect(parentPath(of: "a/b/c") == "a/b")
        #expect(parentPath(of: "/c") == "/")
        #expect(parentPath(of: "c") == ".")
        #expect(parentPath(of: "a/b/") == "a")
        #expect(lastComponent(of: "a/b/c") == "c")
        #expect(lastComponent(of: "a/b/") == "b")
    }
}
