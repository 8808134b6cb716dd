import ArgumentParser
import Foundation
import VirtualTrial

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the shards of a run (vtrial run --shard K/N) into one results folder.",
        discussion: """
        Reads DIR/<protocol id>.shards/1-of-N … N-of-N and writes DIR/<protocol id>/, byte-identical
        to an unsharded run of the same protocol and options (manifest.json aside: its times and
        threads). Before writing anything it checks that every shard 1…N is there exactly once,
        finished (manifest.json present, every file matching its SHA-256), of the same protocol
        (protocol_sha256), engine version, seed and replicates, and that the shards' replicates
        cover 1…replicates exactly. Otherwise it names each offending shard and exits with 2.

        With --protocol, the shards must also have been run from exactly that file (its SHA-256).

        Example:
          vtrial merge Results/PKPD-EMAX-DEMO.shards
        """)

    @Argument(help: "The shards folder, DIR/<protocol id>.shards.") var shardsDirectory: String
    @Option(name: .long, help: "The protocol file the shards must have been run from (checked by SHA-256).") var `protocol`: String?

    func run() throws {
        var expectedHash: String?
        if let file = `protocol` {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("\(file): error: cannot read the protocol file")
                throw ExitCode(2)
            }
            expectedHash = SHA256.hash([UInt8](data))
        }
        do {
            try ShardMerge.merge(shardsDirectory: shardsDirectory, protocolSHA256: expectedHash)
        } catch let error {
            printError(error.description)
            switch error {
            case .invalidShards: throw ExitCode(2)
            case .failed: throw ExitCode(1)
            }
        }
    }
}
