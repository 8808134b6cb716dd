import Dispatch
import Synchronization

/// Runs `body` over the chunks `0..<chunkCount` on `threads` Dispatch workers and hands the
/// results to `consume` strictly in chunk order, one call at a time, wave by wave — so the
/// output never depends on the number of threads or on scheduling, and memory holds at most one
/// wave of chunk results. Consumption overlaps the simulation: a worker that finishes a chunk
/// and finds the next result in order ready (and nobody consuming) consumes every ready result
/// in order, then goes back to work; `consume` may therefore run on any worker thread (never
/// two calls at once, each call ordered after the previous one by a lock).
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
            let order = WaveOrder(count: count)
            let start = waveStart
            withoutActuallyEscaping(body) { body in
                withoutActuallyEscaping(shouldStop) { shouldStop in
                    withoutActuallyEscaping(consume) { consume in
                        // Marks result i ready; if nobody is consuming, consumes every result that is
                        // ready in chunk order (stopping at a failure, which the caller rethrows).
                        let finish = { (i: Int) in
                            var consuming = order.state.withLock { s -> Bool in
                                s.ready[i] = true
                                if s.consuming || s.stopped { return false }
                                s.consuming = true
                                return true
                            }
                            while consuming {
                                while true {
                                    let j = order.state.withLock { s -> Int in s.next < count && s.ready[s.next] ? s.next : -1 }
                                    if j < 0 { break }
                                    guard case .success(let value)? = results[j] else {
                                        order.state.withLock { $0.stopped = true }
                                        failed.store(true, ordering: .relaxed)
                                        break
                                    }
                                    results[j] = nil
                                    do {
                                        try consume(start + j, value)
                                    } catch {
                                        order.state.withLock { $0.error = error; $0.stopped = true }
                                        failed.store(true, ordering: .relaxed)
                                        break
                                    }
                                    order.state.withLock { $0.next += 1 }
                                }
                                consuming = order.state.withLock { s -> Bool in
                                    if !s.stopped && s.next < count && s.ready[s.next] { return true }
                                    s.consuming = false
                                    return false
                                }
                            }
                        }
                        let run = { (worker: Int) in
                            while true {
                                if failed.load(ordering: .relaxed) { return }
                                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                                if i >= count { return }
                                if shouldStop() {
                                    results[i] = .failure(CancellationError())
                                    failed.store(true, ordering: .relaxed)
                                    finish(i)
                                    return
                                }
                                do {
                                    results[i] = .success(try body(&spaces[worker], start + i))
                                } catch {
                                    results[i] = .failure(error)
                                    failed.store(true, ordering: .relaxed)
                                }
                                finish(i)
                            }
                        }
                        if workers == 1 {
                            run(0)
                        } else {
                            // Each worker touches only its own workspace slot and the result slots it
                            // claimed through the atomic counter; a result is read by the consumer only
                            // after its producer marked it ready under `order`'s lock: no data race.
                            let unchecked = UncheckedSendable(run)
                            DispatchQueue.concurrentPerform(iterations: workers) { unchecked.value($0) }
                        }
                    }
                }
            }
            // What the workers did not consume: a failure (thrown in chunk order) or chunks that never ran.
            let (consumed, consumeError) = order.state.withLock { s in (s.next, s.error) }
            if let consumeError { throw consumeError }
            for i in consumed..<count {
                switch results[i] {
                case .success(let value)?:
                    results[i] = nil
                    try consume(start + i, value)
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

/// The consumption state of one wave, shared by the workers.
private final class WaveOrder: Sendable {
    struct State {
        var ready: [Bool]
        /// The next chunk (within the wave) to consume.
        var next = 0
        /// A worker is consuming (one at a time).
        var consuming = false
        /// Consumption hit a failure or `consume` threw: nothing more is consumed in this wave.
        var stopped = false
        var error: (any Error)?
    }
    let state: Mutex<State>
    init(count: Int) { state = Mutex(State(ready: Array(repeating: false, count: count))) }
}
