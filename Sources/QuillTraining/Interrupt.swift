#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns Ctrl-C (SIGINT) into a flag that long-running loops poll, so they can stop cleanly:
/// a training loop saves a checkpoint, a generation returns to the REPL prompt.
public enum Interrupt {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0
    nonisolated(unsafe) private static var installed: Set<Int32> = []

    /// Installs the SIGINT handler (once) and, with `stoppingOnTermination`, the same for SIGTERM,
    /// which `kill`, `timeout` and batch schedulers send: a run that saves on Ctrl-C saves then
    /// too. A second signal while the flag is still set exits at once, with 128 + its number.
    public static func install(stoppingOnTermination: Bool = false) {
        for number in stoppingOnTermination ? [SIGINT, SIGTERM] : [SIGINT] where !installed.contains(number) {
            installed.insert(number)
            signal(number) { number in
                if Interrupt.flag != 0 { _exit(128 + number) }
                Interrupt.flag = 1
            }
            // A process started from a thread that blocks the signal (Foundation's `Process` run
            // from a Dispatch worker, as in tests) inherits the block, and it would never arrive.
            var mask = sigset_t()
            sigemptyset(&mask)
            sigaddset(&mask, number)
            pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        }
    }

    /// Whether Ctrl-C was pressed (or, where installed, SIGTERM arrived) since the last ``reset()``.
    public static var isRequested: Bool { flag != 0 }

    /// Clears the flag.
    public static func reset() { flag = 0 }
}
