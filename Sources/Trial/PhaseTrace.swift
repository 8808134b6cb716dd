import Foundation

/// Where a run's wall-clock time goes, for profiling: with `VTRIAL_TRACE_PHASES=1` in the
/// environment, each phase's end is written to standard error as the seconds since the run
/// started (docs/performance.md). Off by default; no output file depends on it.
struct PhaseTrace {
    private let enabled = ProcessInfo.processInfo.environment["VTRIAL_TRACE_PHASES"] == "1"
    private let start = DispatchTime.now().uptimeNanoseconds
    private var last = DispatchTime.now().uptimeNanoseconds

    /// A line of facts about the run (not a phase), when tracing.
    func note(_ text: @autoclosure () -> String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(("note  " + text() + "\n").utf8))
    }

    mutating func mark(_ phase: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let padded = phase.padding(toLength: max(phase.count, 26), withPad: " ", startingAt: 0)
        let line = "phase " + padded + String(format: " %7.3f s  (+%.3f s)\n", Double(now - start) / 1e9, Double(now - last) / 1e9)
        FileHandle.standardError.write(Data(line.utf8))
        last = now
    }
}
