import Foundation
import QuillTensor
import QuillText

/// The text pipeline's benchmark cases (issue #3): byte-level BPE training and encoding, at
/// engine level, on the corpora named by `QUILL_BENCH_CORPORA` (colon-separated paths; by
/// default PTB train and the Tang poems from `../shared/corpora`, where present).
///
/// The peers (`Benchmarks/tokenizers/peers.py`, which runs these cases beside them) are measured
/// the same way: an 8,000-token vocabulary with the four specials trained on the whole file (one
/// timed run), and the file encoded in about 1 MB chunks cut at line ends (the median of
/// `--steps` runs, 3, after `--warmup` untimed ones, 1). `QUILL_BENCH_PRESPLIT` (comma-separated
/// `quill`, `gpt2`; default `quill`) picks the pre-split rules measured: Quill's (runs capped at
/// 32 scalars, marks kept) or GPT-2's, which the peers' default byte-level pre-tokenizers use.
/// Every line reports the process's peak RSS so far, so run one case alone (`quill-bench
/// bpe_train`) for a meaningful memory figure.
enum TokenizerBenchmarks {
    static let all: [Benchmark] = [
        Benchmark(name: "bpe_train", run: train),
        Benchmark(name: "bpe_encode", run: encode),
    ]

    static let vocabularySize = 8000
    static let specials = ["<pad>", "<unk>", "<bos>", "<eos>"]

    /// The corpora to measure, with short names for the result lines.
    static var corpora: [(name: String, path: String)] {
        let paths: [String]
        if let list = ProcessInfo.processInfo.environment["QUILL_BENCH_CORPORA"] {
            paths = list.split(separator: ":").map(String.init)
        } else {
            paths = ["../shared/corpora/ptb/ptb.train.txt", "../shared/corpora/tang/tang.train.txt"]
                .filter { FileManager.default.fileExists(atPath: $0) }
        }
        return paths.map { (URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent, $0) }
    }

    /// The pre-split rules to measure, by the names the result lines give them.
    static var preSplits: [(name: String, rule: ByteLevelPreSplit)] {
        let names = ProcessInfo.processInfo.environment["QUILL_BENCH_PRESPLIT"]?.split(separator: ",") ?? ["quill"]
        return names.compactMap { name -> (name: String, rule: ByteLevelPreSplit)? in
            switch name {
            case "quill": return ("quill", .quillDefault)
            case "gpt2": return ("gpt2", .gpt2)
            default:
                FileHandle.standardError.write(Data("QUILL_BENCH_PRESPLIT: unknown rule \(name); use quill or gpt2\n".utf8))
                return nil
            }
        }
    }

    /// The case name for `corpus` under `split`: GPT-2's rule adds a suffix, so Quill's keeps the old names.
    static func caseName(_ task: String, _ corpus: String, _ split: String) -> String {
        "bpe_\(task)_\(corpus)" + (split == "quill" ? "" : "_\(split)")
    }

    static func train(_ r: Reporter) {
        for corpus in corpora {
            for split in preSplits {
                let before = ProcessMemory.mebibytes(ProcessMemory.peakResidentBytes)
                let start = DispatchTime.now().uptimeNanoseconds
                guard (try? ByteLevelBPE.train(files: [corpus.path], vocabularySize: vocabularySize,
                                               specialTokens: specials, preSplit: split.rule, threads: r.threads)) != nil else {
                    FileHandle.standardError.write(Data("bpe_train: cannot train on \(corpus.path)\n".utf8))
                    continue
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                r.emit(caseName("train", corpus.name, split.name), seconds, "s",
                       extra: ["peak_rss_mb_before": "\(before)",
                               "vocab_size": "\(vocabularySize)", "pre_split": "\"\(split.name)\"",
                               "statistic": "\"one run\"", "steps": "1", "warmup": "0"])
            }
        }
    }

    static func encode(_ r: Reporter) {
        for corpus in corpora {
            for split in preSplits { encode(r, corpus: corpus, split: split) }
        }
    }

    /// Trains on `corpus` under `split`, then times encoding the whole file in 1 MB chunks.
    static func encode(_ r: Reporter, corpus: (name: String, path: String), split: (name: String, rule: ByteLevelPreSplit)) {
        guard let data = FileManager.default.contents(atPath: corpus.path),
              let tokenizer = try? ByteLevelBPE.train(files: [corpus.path], vocabularySize: vocabularySize,
                                                      specialTokens: specials, preSplit: split.rule, threads: 2) else {
            FileHandle.standardError.write(Data("bpe_encode: cannot read or train on \(corpus.path)\n".utf8))
            return
        }
        let bytes = [UInt8](data)
        let chunks = megabyteChunks(bytes)
        var tokens = 0
        let runs = r.counts.steps ?? 3, warmup = r.counts.warmup ?? 1
        let seconds = median(stepTimes(steps: runs, warmup: warmup) {
            tokens = 0
            // Chunks are shared out among the threads, as the peers batch them.
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks.count)
            defer { counts.deallocate() }
            DispatchQueue.concurrentPerform(iterations: r.threads) { worker in
                for index in stride(from: worker, to: chunks.count, by: r.threads) {
                    counts[index] = bytes.withUnsafeBufferPointer {
                        tokenizer.encode(bytes: UnsafeBufferPointer(rebasing: $0[chunks[index]]), threads: 1).count
                    }
                }
            }
            tokens = counts.reduce(0, +)
        })
        r.emit(caseName("encode", corpus.name, split.name), Double(bytes.count) / seconds / 1e6, "MB/s",
               extra: ["tokens": "\(tokens)", "bytes": "\(bytes.count)", "pre_split": "\"\(split.name)\""]
                .merging(statisticFields("median of per-run times", steps: runs, warmup: warmup)) { $1 })
    }

    /// Ranges of about 1 MB, each ending at a line end (or at the end of the text).
    static func megabyteChunks(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while start < bytes.count {
            var end = min(start + 1 << 20, bytes.count)
            while end < bytes.count && bytes[end - 1] != UInt8(ascii: "\n") { end += 1 }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }
}
