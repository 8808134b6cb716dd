import Dispatch
import Foundation
import Synchronization

/// Runs `body` over the chunks `0..<chunkCount` on `threads` Dispatch workers and hands the
/// results to `consume` strictly in chunk order, one call at a time — so the output never depends
/// on the number of threads or on scheduling. At most `window` chunks are claimed and not yet
/// consumed at any time (a sliding window: a worker takes chunk i only once chunk i − window has
/// been consumed), so memory holds at most that many chunk results, and the
/// workers never all wait for a batch of chunks to drain. Consumption overlaps the simulation: a
/// worker that finishes a chunk and finds the next result in order ready (and nobody consuming)
/// consumes every ready result in order, then goes back to work; `consume` may therefore run on
/// any worker thread (never two calls at once, each call ordered after the previous one by a lock).
///
/// Each worker owns one `Workspace` (made once by `makeWorkspace(worker)`) for the whole run:
/// ODE solvers and buffers are reused from subject to subject without locking. Before claiming
/// each chunk a worker calls `between` (work posted by `consume` for any worker to help with,
/// which must not wait for chunks to be consumed; it returns whether it did any). A worker that
/// finds no chunk left stays until every chunk is consumed (or the run fails), calling `between`
/// and otherwise yielding its CPU, rather than going to sleep: on this project's virtual machines
/// a sleeping thread took 1-2 ms to run again once woken, at the end of every run (the caller's
/// thread, or the helpers of the last chunks' consumption; docs/performance.md, item 54).
/// Workers that start on one CPU are moved apart (`WorkerPlacement`).
///
/// If any chunk throws, no further chunk starts, the chunks before the lowest-numbered failing one
/// are consumed, and its error is rethrown (deterministic, like the results). `shouldStop` is
/// polled between chunks (e.g. after SIGINT) and ends the run with `CancellationError`. `onStop`
/// runs when a failure or a stop ends the claiming of chunks (on the worker that found it): it
/// must release anything in `body` that waits for chunks to be consumed.
public func orderedParallelMap<Workspace, ChunkResult>(
    chunkCount: Int,
    threads: Int,
    window: Int,
    makeWorkspace: (Int) throws -> Workspace,
    body: (inout Workspace, Int) throws -> ChunkResult,
    consume: (Int, ChunkResult) throws -> Void,
    shouldStop: () -> Bool = { false },
    onStop: () -> Void = {},
    between: () -> Bool = { false }
) throws {
    let workers = max(1, threads)
    var workspaces: [Workspace] = []
    workspaces.reserveCapacity(workers)
    for w in 0..<workers { workspaces.append(try makeWorkspace(w)) }
    guard chunkCount > 0 else { return }
    let window = max(1, min(window, chunkCount))
    // Chunk i's result lives in slot i % window from its claim to its consumption.
    let results = UnsafeMutablePointer<Result<ChunkResult, any Error>?>.allocate(capacity: window)
    results.initialize(repeating: nil, count: window)
    defer { results.deinitialize(count: window); results.deallocate() }
    let next = Atomic<Int>(0)
    let failed = Atomic<Bool>(false)
    // Chunks consumed so far (for the workers that have none left to claim).
    let consumedCount = Atomic<Int>(0)
    let order = WindowOrder(count: chunkCount)
    // The window's free slots. (Made empty and signalled up to `window`: Dispatch refuses to free
    // a semaphore whose count is below its initial value, which a failed run leaves it.)
    let slots = DispatchSemaphore(value: 0)
    for _ in 0..<window { slots.signal() }
    workspaces.withUnsafeMutableBufferPointer { spacesBuffer in
        let spaces = spacesBuffer
        withoutActuallyEscaping(body) { body in
            withoutActuallyEscaping(shouldStop) { shouldStop in
                withoutActuallyEscaping(consume) { consume in
                  withoutActuallyEscaping(onStop) { onStop in
                   withoutActuallyEscaping(between) { between in
                    // Stops the claiming of chunks and wakes every worker waiting for a slot, and
                    // (`onStop`) any waiting inside `body` for a consumption that will not come.
                    let fail = {
                        failed.store(true, ordering: .relaxed)
                        for _ in 0..<workers { slots.signal() }
                        onStop()
                    }
                    // Marks result i ready; if nobody is consuming, consumes every result that is
                    // ready in chunk order (stopping at a failure, which the caller rethrows),
                    // freeing a window slot for each.
                    let finish = { (i: Int) in
                        var consuming = order.state.withLock { s -> Bool in
                            s.ready[i] = true
                            if s.consuming || s.stopped { return false }
                            s.consuming = true
                            return true
                        }
                        while consuming {
                            while true {
                                let j = order.state.withLock { s -> Int in s.next < chunkCount && s.ready[s.next] ? s.next : -1 }
                                if j < 0 { break }
                                guard case .success(let value)? = results[j % window] else {
                                    order.state.withLock { $0.stopped = true }
                                    fail()
                                    break
                                }
                                results[j % window] = nil
                                do {
                                    try consume(j, value)
                                } catch {
                                    order.state.withLock { $0.error = error; $0.stopped = true }
                                    fail()
                                    break
                                }
                                order.state.withLock { $0.next += 1 }
                                consumedCount.store(j + 1, ordering: .releasing)
                                slots.signal()
                            }
                            consuming = order.state.withLock { s -> Bool in
                                if !s.stopped && s.next < chunkCount && s.ready[s.next] { return true }
                                s.consuming = false
                                return false
                            }
                        }
                    }
                    let placement = WorkerPlacement()
                    let run = { (worker: Int) in
                        if workers > 1 { placement.settle(workers: workers) }
                        while true {
                            if failed.load(ordering: .relaxed) { return }
                            _ = between()
                            slots.wait()
                            if failed.load(ordering: .relaxed) { return }
                            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                            if i >= chunkCount {
                                slots.signal()  // for the next worker to find the same
                                // At hand until the last chunk is consumed (see above).
                                while consumedCount.load(ordering: .acquiring) < chunkCount && !failed.load(ordering: .relaxed) {
                                    if !between() { sched_yield() }
                                }
                                return
                            }
                            if shouldStop() {
                                results[i % window] = .failure(CancellationError())
                                fail()
                                finish(i)
                                return
                            }
                            do {
                                results[i % window] = .success(try body(&spaces[worker], i))
                            } catch {
                                results[i % window] = .failure(error)
                                fail()
                            }
                            finish(i)
                        }
                    }
                    if workers == 1 {
                        run(0)
                    } else {
                        // Each worker touches only its own workspace slot and the result slots of
                        // the chunks it claimed through the atomic counter (a slot is reused only
                        // after its chunk was consumed: the semaphore); a result is read by the
                        // consumer only after its producer marked it ready under `order`'s lock:
                        // no data race.
                        let unchecked = UncheckedSendable(run)
                        DispatchQueue.concurrentPerform(iterations: workers) { unchecked.value($0) }
                    }
                   }
                  }
                }
            }
        }
    }
    // What the workers did not consume: a failure (thrown in chunk order) or chunks that never ran.
    let (consumed, consumeError) = order.state.withLock { s in (s.next, s.error) }
    if let consumeError { throw consumeError }
    var i = consumed
    while i < chunkCount && order.state.withLock({ $0.ready[i] }) {
        switch results[i % window] {
        case .success(let value)?:
            results[i % window] = nil
            try consume(i, value)
        case .failure(let error)?: throw error
        case nil: throw CancellationError()
        }
        i += 1
    }
    if i < chunkCount { throw CancellationError() }
}

/// Runs `body(k)` for every k in `0..<count` at the same time: k = 0 on the calling thread, each
/// other on a thread of its own (started here, ended when its body returns); returns when all
/// have. For work started inside `orderedParallelMap`'s `consume`, where
/// `DispatchQueue.concurrentPerform` would run its iterations one after another (libdispatch
/// divides a nested apply's width by the outer one's): the statistics of a run's last replicate
/// then went on one thread while the other had nothing to do. A thread that cannot be started
/// (`pthread_create` fails, e.g. at a process limit) has its body run on the calling thread
/// instead, so the call always returns. (Foundation's `Thread.start` ignores that failure.)
func onThreadsOfTheirOwn(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Task: @unchecked Sendable {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
    var started: [pthread_t] = []
    var inline: [Int] = []
    for k in 1..<Swift.max(1, count) {
        let task = Unmanaged.passRetained(Task { body(k) })
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            let task = Unmanaged<Task>.fromOpaque(context!).takeRetainedValue()
            task.run()
            return nil
        }, task.toOpaque())
        if status == 0 {
            started.append(thread)
        } else {
            task.release()
            inline.append(k)
        }
    }
    body(0)
    for k in inline { body(k) }
    for thread in started { pthread_join(thread, nil) }
}

/// Work that one thread shares with the threads that call `help` meanwhile (the workers of an
/// `orderedParallelMap` between their chunks, or once they have none left): `perform(count,
/// body)` runs `body(k)` for every k in `0..<count`, each once, on the calling thread and on every
/// helper, and returns when all have run. Used for the statistics of a run's last replicate, computed in
/// `consume`, where the other workers would otherwise wait (at the end of the run) or a thread of
/// its own would have to be started and woken (`onThreadsOfTheirOwn`).
final class WorkBoard: Sendable {
    private final class Items: @unchecked Sendable {
        let count: Int
        /// Dropped by `perform` once every item has run (a helper may still hold the items a
        /// while: what the body holds, e.g. a replicate's arrays, must not stay alive with them).
        /// Read only for a claimed item, so never after it is dropped.
        var body: (@Sendable (Int) -> Void)?
        let next = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        init(count: Int, body: @escaping @Sendable (Int) -> Void) { self.count = count; self.body = body }

        /// Runs items not yet claimed until none is left; whether it ran any.
        func run() -> Bool {
            var ran = false
            while true {
                let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if k >= count { return ran }
                body!(k)
                finished.add(1, ordering: .releasing)
                ran = true
            }
        }
    }

    private let posted = Mutex<Items?>(nil)
    private let anyPosted = Atomic<Bool>(false)
    /// Tasks posted (`post`), run by the first helper to find them.
    private let tasks = Mutex<[@Sendable () -> Bool]>([])
    private let anyTask = Atomic<Bool>(false)

    init() {}

    /// Posts `task` for a helper to run (its maker joins it).
    func post<Value>(_ task: SharedTask<Value>) {
        tasks.withLock { $0.append { task.run() } }
        anyTask.store(true, ordering: .releasing)
    }

    /// Runs `body(k)` for k in `0..<count` here and on the helpers; returns once every one has
    /// run (each exactly once). One `perform` at a time per board.
    func perform(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let items = Items(count: count, body: body)
        posted.withLock { $0 = items }
        anyPosted.store(true, ordering: .releasing)
        _ = items.run()
        anyPosted.store(false, ordering: .relaxed)
        posted.withLock { $0 = nil }
        // The items that helpers claimed are under way (a helper claims one only while it runs).
        while items.finished.load(ordering: .acquiring) < count { sched_yield() }
        // (W1 with 3 replicates: a helper descheduled while holding the items kept the previous
        // replicate's 15 MB of arrays alive into the next one's, peak RSS +16 % in one sitting.)
        items.body = nil
    }

    /// Runs items of the work posted now, or else a posted task, if any; whether it ran any.
    func help() -> Bool {
        if anyPosted.load(ordering: .acquiring), let items = posted.withLock({ $0 }), items.run() { return true }
        guard anyTask.load(ordering: .acquiring) else { return false }
        let task = tasks.withLock { tasks -> (@Sendable () -> Bool)? in
            let first = tasks.isEmpty ? nil : tasks.removeFirst()
            if tasks.isEmpty { anyTask.store(false, ordering: .relaxed) }
            return first
        }
        return task?() ?? false
    }
}

/// A piece of work that any one thread may run, once: a helper through `run()` (e.g. posted on a
/// `WorkBoard`), or the thread that made it through `join()`, which runs it if nobody has and
/// otherwise waits for the run to end (a helper runs it only while it is at hand, so the wait is
/// a yielding spin).
final class SharedTask<Value>: @unchecked Sendable {
    private let body: () throws -> Value
    private let claimed = Atomic<Bool>(false)
    private let done = Atomic<Bool>(false)
    private var result: Result<Value, any Error>?

    init(_ body: @escaping () throws -> Value) { self.body = body }

    /// Runs the task unless another thread has; whether this call ran it.
    func run() -> Bool {
        guard !claimed.exchange(true, ordering: .acquiring) else { return false }
        result = Result { try body() }
        done.store(true, ordering: .releasing)
        return true
    }

    /// Makes sure the task does not run from now on: waits for a run under way, if any.
    func cancel() {
        if claimed.exchange(true, ordering: .acquiring) {
            while !done.load(ordering: .acquiring) { sched_yield() }
        } else {
            done.store(true, ordering: .releasing)
        }
    }

    /// The task's result: run here, or by the helper that claimed it. (Not after `cancel`.)
    func join() throws -> Value {
        if !run() {
            while !done.load(ordering: .acquiring) { sched_yield() }
        }
        return try result!.get()
    }
}

/// Wraps a value that is shared across Dispatch workers under a discipline the compiler cannot
/// see (disjoint slots per worker). Use only with such a discipline, documented at the use site.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The consumption state of a run, shared by the workers.
private final class WindowOrder: Sendable {
    struct State {
        var ready: [Bool]
        /// The next chunk to consume.
        var next = 0
        /// A worker is consuming (one at a time).
        var consuming = false
        /// Consumption hit a failure or `consume` threw: nothing more is consumed.
        var stopped = false
        var error: (any Error)?
    }
    let state: Mutex<State>
    init(count: Int) { state = Mutex(State(ready: Array(repeating: false, count: count))) }
}
