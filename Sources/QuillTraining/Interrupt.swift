#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns Ctrl-C (SIGINT) into a flag that long-running loops poll, so they can stop cleanly:
/// a training loop saves a checkpoint, a generation returns to the REPL prompt.
public enum Interrupt {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0
    nonisolated(unsafe) private static var installed = false

    /// Installs the SIGINT handler (once). A second Ctrl-C while the flag is still set exits.
    public static func install() {
        guard !installed else { return }
        installed = true
        signal(SIGINT) { _ in
            if Interrupt.flag != 0 { _exit(130) }
            Interrupt.flag = 1
        }
        // A process started from a thread that blocks SIGINT (Foundation's `Process` run from a
        // Dispatch worker, as in tests) inherits the block, and Ctrl-C would never arrive.
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }

    /// Whether Ctrl-C was pressed since the last ``reset()``.
    public static var isRequested: Bool { flag != 0 }

    /// Clears the flag.
    public static func reset() { flag = 0 }
}
