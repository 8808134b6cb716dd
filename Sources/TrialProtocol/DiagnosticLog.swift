/// Collects the diagnostics of one load (possibly over several files: a protocol and the
/// population file it names), so that every error is reported, not only the first.
final class DiagnosticLog {
    fileprivate(set) var diagnostics: [Diagnostic] = []
    private var fileOrder: [String] = []

    var isEmpty: Bool { diagnostics.isEmpty }

    func add(_ diagnostic: Diagnostic) {
        if !fileOrder.contains(diagnostic.file) { fileOrder.append(diagnostic.file) }
        // The same place and message twice (e.g. a shared node read by two checks) is one error.
        if diagnostics.contains(diagnostic) { return }
        diagnostics.append(diagnostic)
    }

    /// The diagnostics in file order (files in the order first reported, then line and column),
    /// at most `ProtocolLoadError.maximumDiagnostics` of them.
    func report() -> ProtocolLoadError {
        let sorted = diagnostics.enumerated().sorted { a, b in
            let fa = fileOrder.firstIndex(of: a.element.file) ?? 0
            let fb = fileOrder.firstIndex(of: b.element.file) ?? 0
            if fa != fb { return fa < fb }
            if a.element.line != b.element.line { return a.element.line < b.element.line }
            if a.element.column != b.element.column { return a.element.column < b.element.column }
            return a.offset < b.offset
        }.map(\.element)
        return ProtocolLoadError(diagnostics: Array(sorted.prefix(ProtocolLoadError.maximumDiagnostics)))
    }
}

extension DiagnosticLog {
    /// Withdraws the last diagnostic (to re-report it at a better place).
    func removeLast() {
        diagnostics.removeLast()
    }
}
