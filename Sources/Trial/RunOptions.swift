import CThreadPlacement
import Foundation
/// What `vtrial run` may change without changing the protocol (SPEC §1).
public struct RunOptions: Sendable {
    /// `--threads`' default (SPEC §1: the active processors): the CPUs this process may run on
    /// (its affinity mask, as `nproc` counts them under `taskset` or a container's cpuset), or the
    /// online processors when the mask cannot be read.
    public static var defaultThreads: Int {
        var allowed = [Int32](repeating: 0, count: 4096)
        let count = Int(cthreadplacement_allowed_cpus(&allowed, Int32(allowed.count)))
        return count >= 1 ? count : Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The parent folder of `<protocol id>/` (default `./Results`).
    public var outputDirectory: String
    /// Worker threads; results never depend on it.
    public var threads: Int
    /// Overrides of the protocol's `replicates` and `seed`.
    public var replicates: Int?
    public var seed: UInt64?
    /// Run only the replicates r with (r − 1) % count == index − 1 (1-based index).
    public var shard: (index: Int, count: Int)?
    /// Progress on stderr (the CLI turns it off when stderr is not a terminal or with --quiet).
    public var progress: Bool
    /// How large arms' time courses are kept (for tests: small prefixes, narrow windows).
    var timecourseStreaming = TimecourseStreaming.standard

    public init(outputDirectory: String = "Results", threads: Int, replicates: Int? = nil, seed: UInt64? = nil,
                shard: (index: Int, count: Int)? = nil, progress: Bool = false) {
        self.outputDirectory = outputDirectory
        self.threads = threads
        self.replicates = replicates
        self.seed = seed
        self.shard = shard
        self.progress = progress
    }
}
