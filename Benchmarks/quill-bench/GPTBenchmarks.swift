import COpenBLAS
import Foundation
import QuillModels
import QuillTensor

/// The GPT against its PyTorch peer (Benchmarks/peers/gpt.py): nanoGPT's training step at its
/// Shakespeare CPU size and its baby-GPT size, and batch-1 generation at full context.
/// `Benchmarks/gpt-side-by-side.sh` runs both and prints the ratios.
///
/// Both sides report the median of per-step times after the same untimed warm-up steps
/// (`--steps`, `--warmup`; by default 3 warm-up steps, then 30 timed small steps or 10 large ones).
/// A generation "step" is one run: a block-size prompt, then `--tokens` new tokens (64).
///
/// Model FLOPs utilization is nanoGPT's estimate (6·N + 12·L·C·T FLOPs per trained token, N
/// the parameters without the position embedding) over the sgemm rate measured in the same run
/// at the model's largest matrix product.
enum GPTBenchmarks {
    static let all: [Benchmark] = [
        Benchmark(name: "gpt.small.train") { train($0, size: .small) },
        Benchmark(name: "gpt.large.train") { train($0, size: .large) },
        Benchmark(name: "gpt.large.generate") { generate($0, size: .large) },
    ]

    enum Size: String {
        case small, large

        var configuration: GPT.Configuration {
            switch self {
            case .small: GPT.Configuration(layerCount: 4, headCount: 4, embeddingSize: 128, blockSize: 64, vocabularySize: 65)
            case .large: GPT.Configuration(layerCount: 6, headCount: 6, embeddingSize: 384, blockSize: 256, vocabularySize: 65)
            }
        }
        var batchSize: Int { self == .small ? 12 : 8 }
    }

    static func train(_ r: Reporter, size: Size) {
        let c = size.configuration, batch = size.batchSize
        var generator = RandomGenerator(seed: 1337)
        let model = GPT(configuration: c, generator: &generator)
        let optimizer = AdamW(groups: ParameterGroup.split(model.parameters, weightDecay: 0.1), learningRate: 1e-3,
                              beta2: 0.99)
        func randomBatch() -> IndexTensor {
            IndexTensor((0..<batch * c.blockSize).map { _ in generator.nextInt(below: c.vocabularySize) }, shape: [batch, c.blockSize])
        }
        let steps = r.counts.steps ?? (size == .small ? 30 : 10), warmup = r.counts.warmup ?? 3
        let seconds = median(stepTimes(steps: steps, warmup: warmup) {
            let loss = model.loss(tokens: randomBatch(), targets: randomBatch(), generator: &generator)
            loss.backward()
            optimizer.clipGradientNorm(maxNorm: 1)
            optimizer.step()
            optimizer.zeroGradients()
        })
        let tokensPerSecond = Double(batch * c.blockSize) / seconds
        let parameters = Double(model.parameterCount - model.positionEmbedding.count)
        let flopsPerToken = 6 * parameters + 12 * Double(c.layerCount * c.embeddingSize * c.blockSize)
        let achieved = tokensPerSecond * flopsPerToken / 1e9
        let sgemm = sgemmRate(m: batch * c.blockSize, k: c.embeddingSize, n: 4 * c.embeddingSize)
        r.emit("gpt.\(size.rawValue).train", tokensPerSecond, "tokens/s", blas: true, extra: [
            "median_step_ms": String(format: "%.2f", seconds * 1e3), "model_gflops": String(format: "%.1f", achieved),
            "sgemm_gflops": String(format: "%.1f", sgemm), "mfu": String(format: "%.3f", achieved / sgemm),
        ].merging(statisticFields("median of per-step times", steps: steps, warmup: warmup)) { $1 })
    }

    /// Milliseconds per token at batch 1 with a full context: the median time of a run (a
    /// block-size prompt, then `tokens` greedy tokens with the key-value cache, refilled from the
    /// last three quarters of the context whenever it is full) over `tokens`.
    static func generate(_ r: Reporter, size: Size) {
        let c = size.configuration
        var generator = RandomGenerator(seed: 1337)
        let model = GPT(configuration: c, generator: &generator)
        model.setTraining(false)
        let prompt = (0..<c.blockSize).map { _ in generator.nextInt(below: c.vocabularySize) }
        let tokens = r.counts.tokens ?? 64, runs = r.counts.steps ?? 5, warmup = r.counts.warmup ?? 1
        let seconds = median(stepTimes(steps: runs, warmup: warmup) {
            model.generate(context: prompt, maxTokens: tokens, pick: { logits, _ in
                var best = 0
                for i in 1..<c.vocabularySize where logits[i] > logits[best] { best = i }
                return best
            }, onToken: { _ in true })
        })
        r.emit("gpt.\(size.rawValue).generate", seconds / Double(tokens) * 1e3, "ms/token", blas: true,
               extra: ["context": "\(c.blockSize)", "includes_prefill": "true", "tokens": "\(tokens)", "cache": "true"]
                .merging(statisticFields("median of per-run times / tokens", steps: runs, warmup: warmup)) { $1 })
    }

    /// GFLOP/s of OpenBLAS sgemm at [m, k] · [k, n], median of 20 after a warm-up.
    static func sgemmRate(m: Int, k: Int, n: Int) -> Double {
        var generator = RandomGenerator(seed: 1)
        let a = Tensor.uniform([m, k], using: &generator), b = Tensor.uniform([k, n], using: &generator)
        let c = Tensor(uninitializedShape: [m, n])
        let seconds = medianTime(repeats: 20) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a.data, Int32(k),
                        b.data, Int32(n), 0, c.data, Int32(n))
        }
        return 2 * Double(m * n * k) / seconds / 1e9
    }
}
