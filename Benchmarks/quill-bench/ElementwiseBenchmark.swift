import Foundation
import QuillTensor

/// Every broadcasting elementwise op of issue #2 on 4M floats, forward and forward + backward,
/// as GB/s and as a ratio to `memcpy` measured in the same run (target: at least 0.5).
enum ElementwiseBenchmark {
    /// One op: its name, the float streams its forward reads and writes, the streams of its
    /// forward + backward (seed copy, the op's gradient rule), and the op on inputs (x, y).
    struct Case {
        let name: String
        let forwardStreams: Int
        let backwardStreams: Int
        let op: (Tensor, Tensor) -> Tensor
    }

    // A unary op's backward reads the seed gradient and one saved tensor and writes dx (3);
    // backward(gradient:) first copies the seed into the output's gradient (2).
    static func cases(condition: Tensor) -> [Case] { [
        Case(name: "add", forwardStreams: 3, backwardStreams: 3 + 2 + 2) { $0 + $1 },
        Case(name: "subtract", forwardStreams: 3, backwardStreams: 3 + 2 + 4) { $0 - $1 },
        Case(name: "multiply", forwardStreams: 3, backwardStreams: 3 + 2 + 6) { $0 * $1 },
        Case(name: "divide", forwardStreams: 3, backwardStreams: 3 + 2 + 8) { $0 / $1 },
        Case(name: "negate", forwardStreams: 2, backwardStreams: 2 + 2 + 2) { x, _ in -x },
        Case(name: "scale", forwardStreams: 2, backwardStreams: 2 + 2 + 2) { x, _ in x * 0.5 },
        Case(name: "exp", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { x, _ in x.exp() },
        Case(name: "log", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { _, y in y.log() },
        Case(name: "sqrt", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { _, y in y.sqrt() },
        Case(name: "pow_3", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { x, _ in x.pow(3) },
        Case(name: "pow_1.5", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { _, y in y.pow(1.5) },
        Case(name: "pow_0.7", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { _, y in y.pow(0.7) },
        Case(name: "tanh", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { x, _ in x.tanh() },
        Case(name: "sigmoid", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { x, _ in x.sigmoid() },
        Case(name: "relu", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { x, _ in x.relu() },
        Case(name: "gelu", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { x, _ in x.gelu() },
        Case(name: "clamp", forwardStreams: 2, backwardStreams: 2 + 2 + 3) { x, _ in x.clamped(to: -1, 1) },
        Case(name: "where", forwardStreams: 4, backwardStreams: 4 + 2 + 4) { x, y in
            Tensor.select(condition, x, y)
        },
    ] }

    static func run(_ r: Reporter) {
        var generator = RandomGenerator(seed: 6)
        let n = 4 << 20
        let x = Tensor.normal([n], using: &generator)
        // Positive inputs for log, sqrt and fractional powers.
        let y = withoutGradients { Tensor.uniform([n], low: 0.1, high: 4, using: &generator) }
        // Nonzero (picks x) for about half the elements.
        let condition = withoutGradients { Tensor.uniform([n], low: -1, high: 1, using: &generator).relu() }
        let cases = cases(condition: condition)
        let seed = Tensor.normal([n], using: &generator)
        let destination = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { destination.deallocate() }
        destination.initialize(repeating: 0, count: n)
        let bytes = Double(n * 4)
        func copyTime() -> Double { wallTime { memcpy(destination, x.data, n * 4) } }
        // The machine is shared, so memcpy is timed right before each run of an op and the
        // ratio is the median over rounds of (op rate / memcpy rate) from adjacent timings.
        var copyTimes: [Double] = []
        var forwardLines: [(String, Double, Double, Double, Double)] = []
        for c in cases {
            _ = withoutGradients { c.op(x, y) }
            var rates: [Double] = [], ratios: [Double] = [], copies: [Double] = [], cpuRatios: [Double] = []
            for _ in 0..<21 {
                // This thread's CPU time too: at one thread it leaves out the time the kernel
                // spent descheduled, which on a shared machine can double the wall time.
                let copyCPU = threadTime { memcpy(destination, x.data, n * 4) }
                let forwardCPU = threadTime { _ = withoutGradients { c.op(x, y) } }
                cpuRatios.append(copyCPU * Double(c.forwardStreams) / 2 / forwardCPU)
                let copy = copyTime()
                let forward = wallTime { _ = withoutGradients { c.op(x, y) } }
                copyTimes.append(copy)
                rates.append(bytes * Double(c.forwardStreams) / forward / 1e9)
                copies.append(bytes * 2 / copy / 1e9)
                ratios.append(rates.last! / copies.last!)
            }
            // The best rates, as a second view of the ratio less exposed to other processes.
            forwardLines.append((c.name, median(rates), median(ratios), rates.max()! / copies.max()!, median(cpuRatios)))
        }
        r.emit("memcpy_4M", bytes * 2 / median(copyTimes) / 1e9, "GB/s",
               extra: ["best": "\(bytes * 2 / copyTimes.min()! / 1e9)"])
        for (name, rate, ratio, bestRatio, cpuRatio) in forwardLines {
            var extra = ["ratio_to_memcpy": "\(ratio)", "best_ratio_to_memcpy": "\(bestRatio)"]
            if r.threads == 1 { extra["cpu_time_ratio_to_memcpy"] = "\(cpuRatio)" }
            r.emit("elementwise_\(name)_4M", rate, "GB/s", extra: extra)
        }
        let copyRate = bytes * 2 / median(copyTimes) / 1e9
        let xg = x.copy(), yg = y.copy()
        xg.requiresGrad = true
        yg.requiresGrad = true
        for c in cases {
            let both = medianTime(repeats: 5) {
                xg.zeroGradient(); yg.zeroGradient()
                c.op(xg, yg).backward(gradient: seed)
            }
            let rate = bytes * Double(c.backwardStreams) / both / 1e9
            r.emit("elementwise_\(c.name)_forward_backward_4M", rate, "GB/s",
                   extra: ["ratio_to_memcpy": "\(rate / copyRate)", "ms": "\(both * 1e3)"])
        }
    }
}

/// The wall time of one run of `body` in seconds.
func wallTime(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The CPU time of this thread during one run of `body`, in seconds.
func threadTime(_ body: () -> Void) -> Double {
    var start = timespec(), end = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
    body()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
    return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
}

/// The median rate in GB/s of `body`, which moves `bytes`, and its median ratio to the rate of
/// a `memcpy` of `floats` floats timed right before it in each of `rounds` rounds.
func rateAgainstMemcpy(floats: Int, bytes: Double, rounds: Int = 11, _ body: () -> Void) -> (rate: Double, ratio: Double, memcpy: Double) {
    let source = UnsafeMutablePointer<Float>.allocate(capacity: floats)
    let destination = UnsafeMutablePointer<Float>.allocate(capacity: floats)
    defer { source.deallocate(); destination.deallocate() }
    source.initialize(repeating: 1, count: floats)
    destination.initialize(repeating: 0, count: floats)
    body()
    var rates: [Double] = [], ratios: [Double] = [], copies: [Double] = []
    for _ in 0..<rounds {
        let copy = Double(floats * 8) / wallTime { memcpy(destination, source, floats * 4) } / 1e9
        let rate = bytes / wallTime(body) / 1e9
        rates.append(rate); copies.append(copy); ratios.append(rate / copy)
    }
    return (median(rates), median(ratios), median(copies))
}
