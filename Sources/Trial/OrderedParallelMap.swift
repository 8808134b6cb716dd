import Dispatch
import Synchronization

/// Runs `body` over the chunks `0..<chunkCount` on `threads` Dispatch workers and hands the
/// results to `consume` strictly in chunk order, on the calling thread, wave by wave — so the
/// output never depends on the number of threads or on scheduling, and memory holds at most one
/// wave of chunk results.
///
/// Each worker owns one `Workspace` (made once by `makeWorkspace(worker)`) for the whole run:
/// ODE solvers and buffers are reused from subject to subject without locking.
///
/// If any chunk throws, the remaining chunks of that wave are skipped, no further wave starts, and
/// the error of the lowest-numbered failing chunk is rethrown (deterministic, like the results).
/// `shouldStop` is polled between chunks (e.g. after SIGINT) and ends the run with `CancellationError`.
public func orderedParallelMap<Workspace, ChunkResult>(
    chunkCount: Int,
    threads: Int,
    chunksPerWave: Int,
    makeWorkspace: (Int) throws -> Workspace,
    body: (inout Workspace, Int) throws -> ChunkResult,
    consume: (Int, ChunkResult) throws -> Void,
    shouldStop: () -> Bool = { false }
) throws {
    let workers = max(1, threads)
    var workspaces: [Workspace] = []
    workspaces.reserveCapacity(workers)
    for w in 0..<workers { workspaces.append(try makeWorkspace(w)) }
    let waveSize = max(1, chunksPerWave)
    var waveStart = 0
    try workspaces.withUnsafeMutableBufferPointer { spacesBuffer in
        let spaces = spacesBuffer
        while waveStart < chunkCount {
            if shouldStop() { throw CancellationError() }
            let waveEnd = min(chunkCount, waveStart + waveSize)
            let count = waveEnd - waveStart
            let results = UnsafeMutablePointer<Result<ChunkResult, any Error>?>.allocate(capacity: count)
            results.initialize(repeating: nil, count: count)
            defer { results.deinitialize(count: count); results.deallocate() }
            let next = Atomic<Int>(0)
            let failed = Atomic<Bool>(false)
            let start = waveStart
            withoutActuallyEscaping(body) { body in
                withoutActuallyEscaping(shouldStop) { shouldStop in
                    let run = { (worker: Int) in
                        while true {
                            if failed.load(ordering: .relaxed) { return }
                            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                            if i >= count { return }
                            if shouldStop() { results[i] = .failure(CancellationError()); failed.store(true, ordering: .relaxed); return }
                            do {
                                results[i] = .success(try body(&spaces[worker], start + i))
                            } catch {
                                results[i] = .failure(error)
                                failed.store(true, ordering: .relaxed)
                            }
                        }
                    }
                    if workers == 1 {
                        run(0)
                    } else {
                        // Each worker touches only its own workspace slot and its own result
                        // slots (claimed through the atomic counter): no data race.
                        let unchecked = UncheckedSendable(run)
                        DispatchQueue.concurrentPerform(iterations: workers) { unchecked.value($0) }
                    }
                }
            }
            for i in 0..<count {
                switch results[i] {
                case .success(let value)?: try consume(start + i, value)
                case .failure(let error)?: throw error
                case nil: throw CancellationError()
                }
            }
            waveStart = waveEnd
        }
    }
}

/// Wraps a value that is shared across Dispatch workers under a discipline the compiler cannot
/// see (disjoint slots per worker). Use only with such a discipline, documented at the use site.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
