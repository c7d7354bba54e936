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

/// Splits `0..<count` into chunks of at least `grain` items, at most four per thread, and runs
/// `body` on each, on up to `Threads.count` threads when there is more than one chunk.
///
/// Several chunks per thread let the threads that are running take the chunks of one that
/// another process has descheduled; with one chunk per thread the whole op waited for it.
/// Chunks cover disjoint ranges, so results do not depend on how the range is split.
@inlinable
public func parallelFor(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
    let pieces = max(1, count / max(grain, 1))
    let chunks = Threads.count <= 1 ? 1 : min(pieces, Threads.count * 4)
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
