import Foundation
import QuillModels
import QuillTensor
import QuillText

/// The sentence VAE's training step against its PyTorch peer (Benchmarks/peers/vae.py): the
/// same two models, batch 32 and 25 decoder steps, timed over full steps (forward, backward,
/// Adam). `Benchmarks/vae-side-by-side.sh` runs both and prints the ratios.
///
/// Both sides report the median of per-step times over `--steps` timed steps (15) after
/// `--warmup` untimed ones (3), cycling through the same 8 batches from the same one, and the
/// mean CPU time of the timed steps.
enum VAEBenchmarks {
    static let all: [Benchmark] = [
        Benchmark(name: "vae.gru.train_step") { run($0, name: "vae.gru", cell: .gru, embedding: 300, hidden: 256, latent: 16) },
        Benchmark(name: "vae.lstm.train_step") { run($0, name: "vae.lstm", cell: .lstm, embedding: 256, hidden: 512, latent: 32) },
    ]

    static let vocabularySize = 10_000, batchSize = 32, words = 24

    /// Times the step on random sentences of exactly 24 words (no padding) and, when the PTB
    /// corpus is at `QUILL_BENCH_PTB` (default ../shared/corpora/ptb/ptb.train.txt), on its first
    /// 256 lines cut to 24 words, in order, as the peer's `--data FILE` does.
    static func run(_ r: Reporter, name: String, cell: SentenceModelConfiguration.Cell, embedding: Int, hidden: Int,
                    latent: Int) {
        let configuration = SentenceModelConfiguration(cell: cell, vocabularySize: vocabularySize, embeddingSize: embedding,
                                                       hiddenSize: hidden, latentSize: latent)
        let vocabulary = try! Vocabulary(settings: .defaults(for: .whitespace), tokens: (4..<vocabularySize).map { "w\($0)" })
        var generator = RandomGenerator(seed: 0)
        let model = SentenceVAE(configuration: configuration, tokenizer: try! WhitespaceTokenizer(vocabulary: vocabulary),
                                generator: &generator)
        let optimizer = Adam(parameters: model.parameters, learningRate: 1e-3)
        var sources: [(String, [[Int]])] = [("random", (0..<batchSize * 8).map { _ in
            (0..<words).map { _ in 4 + generator.nextInt(below: vocabularySize - 4) }
        })]
        let path = ProcessInfo.processInfo.environment["QUILL_BENCH_PTB"] ?? "../shared/corpora/ptb/ptb.train.txt"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) { sources.append(("ptb", firstSentences(text))) }
        for (data, sentences) in sources where r.counts.data.map({ $0 == data }) ?? true {
            let batches = stride(from: 0, to: sentences.count, by: batchSize).map {
                SentenceBatch(sentences: Array(sentences[$0..<min($0 + batchSize, sentences.count)]))
            }
            var step = 0
            func trainStep() {
                let terms = model.lossTerms(for: batches[step % batches.count], wordDropout: 0, generator: &generator)
                terms.objective(klWeight: 1, beta: 1, freeBits: 0).backward()
                optimizer.step()
                optimizer.zeroGradients()
                step += 1
            }
            let steps = r.counts.steps ?? 15, warmup = r.counts.warmup ?? 3
            for _ in 0..<warmup { trainStep() }
            let cpuBefore = processorSeconds()
            let seconds = median(stepTimes(steps: steps, warmup: 0, trainStep))
            let cpu = (processorSeconds() - cpuBefore) / Double(steps)
            r.emit("\(name).train_step", Double(batchSize) / seconds, "sentences/s", blas: true,
                   extra: ["data": "\"\(data)\"", "median_step_ms": String(format: "%.2f", seconds * 1e3),
                           "cpu_ms_per_step": String(format: "%.2f", cpu * 1e3)]
                    .merging(statisticFields("median of per-step times", steps: steps, warmup: warmup)) { $1 })
        }
    }

    /// User plus system CPU seconds of the process so far: on a busy machine the CPU time per
    /// step shows what a step costs even when the wall time does not.
    static func processorSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// The first 256 non-empty lines as ids: words numbered by first appearance from 4, capped
    /// at the last id, each line cut to 24 words (the peer's `benchmark_sentences`).
    static func firstSentences(_ text: String) -> [[Int]] {
        var ids: [Substring: Int] = [:], sentences: [[Int]] = []
        for line in text.split(separator: "\n") where sentences.count < batchSize * 8 {
            let tokens = line.split(separator: " ").prefix(words)
            if tokens.isEmpty { continue }
            sentences.append(tokens.map { token in
                if ids[token] == nil { ids[token] = 4 + ids.count }
                return min(ids[token]!, vocabularySize - 1)
            })
        }
        return sentences
    }
}
