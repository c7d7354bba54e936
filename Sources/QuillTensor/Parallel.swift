import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import COpenBLAS

/// How many threads Quill's kernels and OpenBLAS use.
public enum Threads {
    nonisolated(unsafe) private static var _count = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// The number of threads kernels split work across (default: the online cores).
    public static var count: Int {
        get { _count }
        set {
            _count = max(1, newValue)
            openblas_set_num_threads(Int32(_count))
        }
    }

    /// The OpenBLAS kernel in use (`openblas_get_corename`), such as "Haswell".
    public static var blasCoreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}

/// Splits `0..<count` into at most `Threads.count` chunks of at least `grain` items and runs
/// `body` on each, in parallel when there is more than one chunk.
@inlinable
public func parallelFor(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
    let chunks = min(Threads.count, max(1, count / max(grain, 1)))
    if chunks <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    let step = (count + chunks - 1) / chunks
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = chunk * step
            let end = min(count, start + step)
            if start < end { body(start..<end) }
        }
    }
}
