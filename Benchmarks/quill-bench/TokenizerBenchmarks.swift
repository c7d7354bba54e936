import Foundation
import QuillText

/// The text pipeline's benchmark cases (issue #3): byte-level BPE training and encoding, at
/// engine level, on the corpora named by `QUILL_BENCH_CORPORA` (colon-separated paths; by
/// default PTB train and the Tang poems from `../shared/corpora`, where present).
///
/// The peers (`Benchmarks/tokenizers/peers.py`) are measured the same way: an 8,000-token
/// vocabulary with the four specials trained on the whole file, and the file encoded in
/// about 1 MB chunks cut at line ends. `bpe_train` reports the process's peak RSS, so run it
/// alone (`quill-bench bpe_train`) for a meaningful memory figure.
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

    static func train(_ r: Reporter) {
        for corpus in corpora {
            let before = peakResidentMegabytes()
            let start = DispatchTime.now().uptimeNanoseconds
            guard (try? ByteLevelBPE.train(files: [corpus.path], vocabularySize: vocabularySize,
                                           specialTokens: specials, threads: r.threads)) != nil else {
                FileHandle.standardError.write(Data("bpe_train: cannot train on \(corpus.path)\n".utf8))
                continue
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            r.emit("bpe_train_\(corpus.name)", seconds, "s",
                   extra: ["peak_rss_mb": "\(peakResidentMegabytes())", "peak_rss_mb_before": "\(before)",
                           "vocab_size": "\(vocabularySize)"])
        }
    }

    static func encode(_ r: Reporter) {
        for corpus in corpora {
            guard let data = FileManager.default.contents(atPath: corpus.path),
                  let tokenizer = try? ByteLevelBPE.train(files: [corpus.path], vocabularySize: vocabularySize,
                                                          specialTokens: specials, threads: 2) else {
                FileHandle.standardError.write(Data("bpe_encode: cannot read or train on \(corpus.path)\n".utf8))
                continue
            }
            let bytes = [UInt8](data)
            let chunks = megabyteChunks(bytes)
            var tokens = 0
            let seconds = medianTime(repeats: 3) {
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
            }
            r.emit("bpe_encode_\(corpus.name)", Double(bytes.count) / seconds / 1e6, "MB/s",
                   extra: ["tokens": "\(tokens)", "bytes": "\(bytes.count)"])
        }
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

    /// The process's peak resident memory so far, in MB.
    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
