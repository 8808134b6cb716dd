import Foundation
import Synchronization

/// A one-line progress bar on stderr (replicates and subjects done, rate, time left), redrawn at
/// most ten times a second. Silent when disabled (stderr not a terminal, or `--quiet`).
final class ProgressReporter: Sendable {
    private let enabled: Bool
    private let replicates: Int
    private let unitsPerReplicate: Int
    private let start = Date()
    private let state = Mutex<(units: Int, replicatesDone: Int, lastDraw: Double)>((0, 0, -1))

    init(enabled: Bool, replicates: Int, unitsPerReplicate: Int) {
        self.enabled = enabled
        self.replicates = replicates
        self.unitsPerReplicate = unitsPerReplicate
    }

    func advance(units: Int) {
        guard enabled else { return }
        let snapshot = state.withLock { s -> (Int, Int)? in
            s.units += units
            let now = Date().timeIntervalSince(start)
            if now - s.lastDraw < 0.1 { return nil }
            s.lastDraw = now
            return (s.units, s.replicatesDone)
        }
        if let (u, r) = snapshot { draw(units: u, replicatesDone: r) }
    }

    func finishReplicate() {
        guard enabled else { return }
        let snapshot = state.withLock { s -> (Int, Int) in s.replicatesDone += 1; return (s.units, s.replicatesDone) }
        draw(units: snapshot.0, replicatesDone: snapshot.1)
    }

    func done() {
        guard enabled else { return }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
    }

    private func draw(units: Int, replicatesDone: Int) {
        let total = max(1, replicates * unitsPerReplicate)
        let fraction = Double(units) / Double(total)
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(units) / elapsed : 0
        let left = rate > 0 ? Double(total - units) / rate : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = "\r[\(bar)] replicates \(replicatesDone)/\(replicates)  subjects \(units)/\(total)  "
            + "\(Int(rate.rounded()))/s  \(Self.clock(left)) left "
        FileHandle.standardError.write(line.data(using: .utf8)!)
    }

    private static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
