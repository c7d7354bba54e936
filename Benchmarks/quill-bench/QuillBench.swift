import COpenBLAS
import Foundation
import QuillTensor

/// `quill-bench [FILTER]`: runs the core's benchmark cases whose names contain FILTER and prints
/// one JSON object per line (`name`, `value`, `unit`, `threads`, and `kernel` for BLAS cases).
@main
struct QuillBench {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var threadCounts = [1, 2]
        if let index = arguments.firstIndex(of: "--threads"), index + 1 < arguments.count {
            threadCounts = arguments[index + 1].split(separator: ",").compactMap { Int($0) }
            arguments.removeSubrange(index...(index + 1))
        }
        let filter = arguments.first ?? ""
        for threads in threadCounts {
            Threads.count = threads
            for benchmark in CoreBenchmarks.all + VAEBenchmarks.all + GPTBenchmarks.all + TokenizerBenchmarks.all where filter.isEmpty || benchmark.name.contains(filter) {
                benchmark.run(Reporter(threads: threads))
            }
        }
    }
}

/// A named benchmark case.
struct Benchmark {
    let name: String
    let run: (Reporter) -> Void
}

/// Prints result lines.
struct Reporter {
    let threads: Int

    /// Prints one result line.
    func emit(_ name: String, _ value: Double, _ unit: String, blas _: Bool = false, extra: [String: String] = [:]) {
        var fields = [
            "\"name\": \"\(name)\"",
            "\"value\": \(format(value))",
            "\"unit\": \"\(unit)\"",
            "\"threads\": \(threads)",
        ]
        // Every line names the OpenBLAS kernel, so no figure is read without its machine.
        fields.append("\"kernel\": \"\(Threads.blasCoreName)\"")
        let coretype = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"
        fields.append("\"openblas_coretype\": \"\(coretype)\"")
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) { fields.append("\"\(key)\": \(value)") }
        print("{" + fields.joined(separator: ", ") + "}")
        fflush(stdout)
    }

    private func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return String(format: "%.6g", value)
    }
}

/// The median wall time of `body` in seconds, over `repeats` runs after one warm-up run.
func medianTime(repeats: Int = 7, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return times[times.count / 2]
}
