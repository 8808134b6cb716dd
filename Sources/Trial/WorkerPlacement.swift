import CThreadPlacement
import Foundation
import Synchronization

/// Puts the workers of one parallel run on different CPUs when they start on the same one.
///
/// On this project's 2-CPU virtual machines, Linux sometimes wakes the sleeping Dispatch worker
/// of a run on the waking thread's CPU although the other CPU is idle (the scheduler's trace
/// shows the wake-up aimed at the busy CPU), and the two workers then share one CPU until the load
/// balancer separates them: 10–15 ms of a 0.25 s W1 run, in 2 of 12 runs (docs/performance.md,
/// item 49). A worker that finds its CPU taken by another worker of the run moves to a CPU of its
/// affinity mask that no worker of the run has claimed (`cthreadplacement_move_to`: its mask
/// narrowed to that CPU and widened back at once, so the scheduler stays free to move it later).
/// Nothing moves when every allowed CPU is claimed or the CPU cannot be read. Where the threads
/// run never changes a result.
final class WorkerPlacement: Sendable {
    private let claimed = Mutex<[Int32]>([])

    init() {}

    /// Workers of the run that have started (`settle`).
    private let started = Atomic<Int>(0)

    /// Called by each worker of the run as it starts; the first to start give their CPU to the
    /// others for up to a millisecond (`sched_yield`) until all of them that can run at once
    /// (Dispatch runs at most one per active CPU) have started: a worker woken on a busy CPU runs
    /// only when that CPU's thread yields it, and then moves away.
    func settle(workers: Int) {
        place()
        started.add(1, ordering: .relaxed)
        let concurrent = Swift.min(workers, ProcessInfo.processInfo.activeProcessorCount)
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let deadline = clock.tv_sec * 1_000_000_000 + clock.tv_nsec + 1_000_000
        while started.load(ordering: .relaxed) < concurrent {
            sched_yield()
            clock_gettime(CLOCK_MONOTONIC, &clock)
            if clock.tv_sec * 1_000_000_000 + clock.tv_nsec > deadline { return }
        }
    }

    private func place() {
        let current = cthreadplacement_current_cpu()
        guard current >= 0 else { return }
        var allowed = [Int32](repeating: 0, count: 1024)
        let count = Int(cthreadplacement_allowed_cpus(&allowed, Int32(allowed.count)))
        guard count > 1 else { return }
        let target: Int32? = claimed.withLock { taken in
            if !taken.contains(current) {
                taken.append(current)
                return nil
            }
            guard let free = allowed[0..<count].first(where: { !taken.contains($0) }) else { return nil }
            taken.append(free)
            return free
        }
        if let target { _ = cthreadplacement_move_to(target) }
    }
}
