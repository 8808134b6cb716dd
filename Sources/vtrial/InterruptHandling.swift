import Foundation
import Synchronization

/// SIGINT and SIGTERM ask the runner to stop between chunks; it then removes its temporary folder
/// and the command exits with 130 or 143 (128 + signal), leaving earlier results untouched. A
/// second one exits at once with the same status.
enum InterruptHandling {
    private static let received = Atomic<Int32>(0)

    static func install() {
        // A second signal while the first is still being honoured exits at once (the hidden
        // temporary folder is then left for the next run to remove): the runner looks for the
        // first one only between chunks of subjects. A signal the process was started with
        // ignored stays ignored (a non-interactive shell's background job ignores SIGINT: the
        // caller asked for the run not to be stopped by it).
        if !ignoredAtStart(SIGINT) {
            signal(SIGINT) { signalNumber in
                if InterruptHandling.received.exchange(signalNumber, ordering: .relaxed) != 0 { _exit(128 + signalNumber) }
            }
        }
        if !ignoredAtStart(SIGTERM) {
            signal(SIGTERM) { signalNumber in
                if InterruptHandling.received.exchange(signalNumber, ordering: .relaxed) != 0 { _exit(128 + signalNumber) }
            }
        }
        // A process inherits its parent's blocked-signal mask (a test runner or a job launcher may
        // block them on the thread that spawns us): unblock both so they are delivered. Done on
        // the main thread before any worker exists, so every worker inherits the mask.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Whether `signalNumber`'s disposition is SIG_IGN (inherited through exec).
    private static func ignoredAtStart(_ signalNumber: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(signalNumber, nil, &current) == 0 else { return false }
        #if canImport(Glibc)
        let handler = current.__sigaction_handler.sa_handler
        #else
        let handler = current.__sigaction_u.__sa_handler
        #endif
        return unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    static let stopRequested: @Sendable () -> Bool = { received.load(ordering: .relaxed) != 0 }

    static var exitStatus: Int32 {
        let s = received.load(ordering: .relaxed)
        return 128 + (s == 0 ? SIGINT : s)
    }
}
