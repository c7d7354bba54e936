import COpenBLAS
import Foundation
import QuillTensor

/// `quill-bench [FILTER] [--threads 1,2] [--steps N] [--warmup N] [--tokens N] [--data NAME]`: runs the
/// benchmark cases whose names contain FILTER and prints one JSON object per line (`name`,
/// `value`, `unit`, `threads`, `kernel`).
///
/// `--steps`, `--warmup` and `--tokens` set the timed steps, the untimed warm-up steps and the
/// tokens per generation run of the cases measured beside a peer (`gpt.*`, `vae.*`,
/// `bpe_encode`), so a side-by-side script gives both sides the same counts. `--data` picks one
/// of a case's data sources (the VAE's `random` or `ptb`), so a script measures each in a process
/// of its own, with its own peak RSS.
@main
struct QuillBench {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        func option(_ flag: String) -> String? {
            guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
            defer { arguments.removeSubrange(index...(index + 1)) }
            return arguments[index + 1]
        }
        let threadCounts = option("--threads").map { $0.split(separator: ",").compactMap { Int($0) } } ?? [1, 2]
        let counts = StepCounts(steps: option("--steps").flatMap { Int($0) }, warmup: option("--warmup").flatMap { Int($0) },
                                tokens: option("--tokens").flatMap { Int($0) }, data: option("--data"))
        let filter = arguments.first ?? ""
        for threads in threadCounts {
            Threads.count = threads
            for benchmark in CoreBenchmarks.all + VAEBenchmarks.all + GPTBenchmarks.all + TokenizerBenchmarks.all where filter.isEmpty || benchmark.name.contains(filter) {
                benchmark.run(Reporter(threads: threads, counts: counts))
            }
        }
    }
}

/// The step counts and data source given on the command line; nil where a case keeps its own.
struct StepCounts {
    var steps: Int?
    var warmup: Int?
    var tokens: Int?
    /// The one data source to measure, where a case has several; nil measures them all.
    var data: String?
}

/// A named benchmark case.
struct Benchmark {
    let name: String
    let run: (Reporter) -> Void
}

/// Prints result lines, and hands the cases the command line's step counts.
struct Reporter {
    let threads: Int
    let counts: StepCounts

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
        // The process's peak resident memory so far: a side-by-side script runs one case per
        // process, so this is that case's.
        fields.append("\"peak_rss_mb\": \(format(ProcessMemory.mebibytes(ProcessMemory.peakResidentBytes)))")
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) { fields.append("\"\(key)\": \(value)") }
        print("{" + fields.joined(separator: ", ") + "}")
        fflush(stdout)
    }

    private func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return String(format: "%.6g", value)
    }
}

/// The wall times of `steps` runs of `body`, in seconds, after `warmup` untimed runs.
func stepTimes(steps: Int, warmup: Int, _ body: () -> Void) -> [Double] {
    for _ in 0..<warmup { body() }
    return (0..<steps).map { _ in
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// The median of `values`: the middle one, or the mean of the two middle ones (as Python's
/// `statistics.median`, which the peers use).
func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "the median of no values")
    let sorted = values.sorted(), middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// The median wall time of `body` in seconds, over `repeats` runs after one warm-up run.
func medianTime(repeats: Int = 7, _ body: () -> Void) -> Double {
    median(stepTimes(steps: repeats, warmup: 1, body))
}

/// The result-line fields that say how a side-by-side figure was taken.
func statisticFields(_ statistic: String, steps: Int, warmup: Int) -> [String: String] {
    ["statistic": "\"\(statistic)\"", "steps": "\(steps)", "warmup": "\(warmup)"]
}
