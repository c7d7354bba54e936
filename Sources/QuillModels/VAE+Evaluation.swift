#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QuillTensor
import QuillText

/// How ``LatentSentenceModel/evaluate(sentences:options:progress:)`` measures a sentence VAE.
public struct VAEEvaluationOptions: Sendable {
    /// K, the importance samples per sentence of the NLL bound; He et al. (2019) use 500.
    public var samples = 500
    /// The most decoder rows (sentences × samples) one pass runs; K = 500 runs one sentence in
    /// two passes of 256 samples. At 256 rows a typical PTB sentence's recurrent buffers
    /// ([T, rows, 4H] gates) stay under glibc's largest mmap threshold (32 MB), so they are
    /// reused from the heap instead of page-faulted afresh on every pass.
    public var rowsPerPass = 256
    /// The sentences per minibatch of the mutual-information estimator, whose estimate cannot
    /// exceed the log of it (log 50 ≈ 3.91 nats).
    public var mutualInformationBatchSize = 50
    /// A latent dimension is active when its posterior mean varies across the data by more than this.
    public var activeUnitThreshold = 0.01
    /// Whether to decode every posterior mean and compare it with its sentence.
    public var measuresReconstructions = false
    /// How reconstructions are decoded: beam search (width 5, as `quill reconstruct` does) or greedily.
    public var reconstructionDecoding = SamplingOptions.Decoding.beam
    /// Seeds the posterior noise, so the figures repeat.
    public var seed: UInt64 = 0

    /// The defaults above.
    public init() {}
}

/// `quill eval` for any sentence VAE: the ELBO and its terms, the importance-weighted NLL
/// bound, mutual information and active units.
extension LatentSentenceModel {
    /// Evaluates the sentences of `path` with `options.samples` importance samples (default
    /// 500), counting exact reconstructions too.
    public func evaluate(corpusAt path: String, options: CorpusEvaluationOptions,
                         progress: (Double) -> Void) throws -> [String: Double] {
        var measurement = VAEEvaluationOptions()
        measurement.samples = options.samples ?? measurement.samples
        measurement.measuresReconstructions = true
        measurement.reconstructionDecoding = options.decoding ?? measurement.reconstructionDecoding
        let sentences = try readSentences(path: path, tokenizer: tokenizer)
        var figures = evaluate(sentences: sentences, options: measurement, progress: progress)
        figures["unknown_share"] = tokenizer.unknownShare(of: sentences.joined())
        return figures
    }

    /// The figures of `sentences` (ids without specials), per sentence in nats:
    ///
    /// - `iw_nll`: −log (1/K) Σₖ p(x, zₖ) / q(zₖ | x), zₖ ~ q (Burda et al. 2016); `perplexity` is
    ///   exp(Σ iw_nll / `tokens`), tokens counting `<eos>` and not `<bos>`.
    /// - `reconstruction`: −E_q log p(x | z), averaged over the same K samples; `kl` and, with
    ///   several levels, `kl_level_1`…: the analytic KL of each level at the sampled levels above;
    ///   `elbo` = −(reconstruction + kl).
    /// - `mutual_information`: He et al.'s (2019) minibatch estimate of I(x; z) =
    ///   E log q(z|x) − E log q(z), with q(z) the batch's aggregate posterior; batches of
    ///   `mutualInformationBatchSize` consecutive sentences, log q(z|x) from the drawn sample.
    /// - `active_units` (and per level): dimensions whose posterior mean has variance above the
    ///   threshold across the sentences (unbiased, n − 1).
    /// - With `measuresReconstructions`: `exact_reconstruction_rate`, the share of sentences that
    ///   decoding the posterior mean gives back exactly (with beam search, what `quill reconstruct`
    ///   and the endpoints of `quill interpolate` print by default), `reconstruction_token_accuracy`,
    ///   `reconstruction_bleu`, the corpus BLEU-4 (0–100, sacreBLEU's) of the decoded texts
    ///   against the sentences' own decoded texts, and `decode_beam`, 1 for beam search and 0 for greedy.
    public func evaluate(sentences: [[Int]], options: VAEEvaluationOptions,
                         progress: (Double) -> Void = { _ in }) -> [String: Double] {
        precondition(!sentences.isEmpty && options.samples > 0, "evaluation needs sentences and at least one sample")
        let wasTraining = isTraining
        setTraining(false)
        defer { setTraining(wasTraining) }
        var generator = RandomGenerator(seed: options.seed)
        let count = sentences.count, levels = latentSizes.count, K = options.samples
        var iwNLL = [Double](repeating: 0, count: count), reconstruction = iwNLL
        var kl = [[Double]](repeating: iwNLL, count: levels)
        var means = [[Float]](repeating: [], count: count)
        let order = sentences.indices.sorted { sentences[$0].count < sentences[$1].count }
        // Predicted tokens (<eos> in, <bos> out): the perplexity's denominator, and the unit of
        // progress, since the cost follows them; sentences come shortest first, so a count of
        // sentences would run ahead of the time spent.
        let totalTokens = Double(sentences.reduce(0) { $0 + $1.count + 1 })
        var doneTokens = 0.0
        let samplesPerPass = min(K, options.rowsPerPass)
        let sentencesPerPass = max(1, options.rowsPerPass / samplesPerPass)
        for groupStart in stride(from: 0, to: count, by: 64) {
            let group = Array(order[groupStart..<min(groupStart + 64, count)])
            let groupBatch = SentenceBatch(sentences: group.map { sentences[$0] })
            let encoded = encode(groupBatch)
            let groupMeans = posteriorMean(encoded).toArray(), width = groupMeans.count / group.count
            for (row, index) in group.enumerated() { means[index] = Array(groupMeans[(row * width)..<((row + 1) * width)]) }
            for passStart in stride(from: 0, to: group.count, by: sentencesPerPass) {
                let rows = passStart..<min(passStart + sentencesPerPass, group.count)
                let batch = SentenceBatch(sentences: rows.map { sentences[group[$0]] })
                let posterior = encoded.map { $0.rows(rows) }
                var logWeights = [[Double]](repeating: [], count: rows.count)
                var remaining = K
                while remaining > 0 {
                    let n = min(samplesPerPass, remaining)
                    let draw = drawPosterior(posterior, count: n, generator: &generator)
                    let likelihoods = logLikelihoods(of: batch.repeatingEach(n), latents: draw.latents)
                    for (row, likelihood) in likelihoods.enumerated() {
                        let index = group[rows.lowerBound + row / n]
                        logWeights[row / n].append(likelihood + draw.logPrior[row] - draw.logPosterior[row])
                        reconstruction[index] -= likelihood / Double(K)
                        for level in 0..<levels { kl[level][index] += draw.klPerLevel[level][row] / Double(K) }
                    }
                    remaining -= n
                }
                for (row, weights) in logWeights.enumerated() { iwNLL[group[rows.lowerBound + row]] = -logMeanExp(weights[...]) }
            }
            doneTokens += Double(groupBatch.tokenCount)
            progress(doneTokens / totalTokens * 0.9)
        }
        var figures = aggregate(iwNLL: iwNLL, reconstruction: reconstruction, kl: kl, sentenceCount: count,
                                tokens: totalTokens, samples: K)
        figures["mutual_information"] = mutualInformation(sentences, batchSize: options.mutualInformationBatchSize,
                                                          generator: &generator)
        figures["mi_batch_size"] = Double(options.mutualInformationBatchSize)
        let active = activeUnits(means, threshold: options.activeUnitThreshold)
        figures["active_units"] = Double(active.reduce(0, +))
        if levels > 1 { for (level, units) in active.enumerated() { figures["active_units_level_\(level + 1)"] = Double(units) } }
        if options.measuresReconstructions {
            figures.merge(reconstructionFigures(sentences, means: means, order: order, decoding: options.reconstructionDecoding,
                                                generator: &generator)) { $1 }
        }
        progress(1)
        return figures
    }

    /// The per-corpus figures from the per-sentence terms.
    private func aggregate(iwNLL: [Double], reconstruction: [Double], kl: [[Double]], sentenceCount: Int,
                           tokens: Double, samples: Int) -> [String: Double] {
        let n = Double(sentenceCount)
        let totalNLL = iwNLL.reduce(0, +), totalReconstruction = reconstruction.reduce(0, +)
        let levelKL = kl.map { $0.reduce(0, +) }, totalKL = levelKL.reduce(0, +)
        var figures: [String: Double] = [
            "sentences": n, "tokens": tokens, "iw_samples": Double(samples),
            "iw_nll": totalNLL / n, "perplexity": exp(totalNLL / tokens), "nats_per_token": totalNLL / tokens,
            "reconstruction": totalReconstruction / n, "kl": totalKL / n,
            "elbo": -(totalReconstruction + totalKL) / n, "elbo_perplexity": exp((totalReconstruction + totalKL) / tokens),
            "latent_dimensions": Double(latentSizes.reduce(0, +)),
        ]
        if kl.count > 1 { for (level, total) in levelKL.enumerated() { figures["kl_level_\(level + 1)"] = total / n } }
        return figures
    }

    /// He et al.'s (2019) minibatch estimate of I(x; z) over `sentences`, alone and in inference
    /// mode: what their aggressive training watches at the end of each epoch.
    public func mutualInformation(of sentences: [[Int]], batchSize: Int = VAEEvaluationOptions().mutualInformationBatchSize,
                                  seed: UInt64 = 0) -> Double {
        let wasTraining = isTraining
        setTraining(false)
        defer { setTraining(wasTraining) }
        var generator = RandomGenerator(seed: seed)
        return mutualInformation(sentences, batchSize: batchSize, generator: &generator)
    }

    /// He et al.'s estimate of I(x; z), averaged over minibatches weighted by their size.
    private func mutualInformation(_ sentences: [[Int]], batchSize: Int, generator: inout RandomGenerator) -> Double {
        var total = 0.0
        for start in stride(from: 0, to: sentences.count, by: batchSize) {
            let batch = SentenceBatch(sentences: Array(sentences[start..<min(start + batchSize, sentences.count)]))
            let encoded = encode(batch)
            let draw = drawPosterior(encoded, count: 1, generator: &generator)
            let densities = logPosteriorDensities(of: draw.latents, encoded: encoded)
            let b = Double(batch.batchSize)
            let negativeEntropy = draw.logPosterior.reduce(0, +) / b
            let aggregate = densities.reduce(0.0) { $0 + logMeanExp($1[...]) } / b
            total += (negativeEntropy - aggregate) * b
        }
        return total / Double(sentences.count)
    }

    /// The active dimensions of each level: posterior-mean variance across sentences above `threshold`.
    private func activeUnits(_ means: [[Float]], threshold: Double) -> [Int] {
        let n = Double(means.count)
        var result: [Int] = [], offset = 0
        for size in latentSizes {
            var active = 0
            for d in offset..<(offset + size) {
                let mean = means.reduce(0.0) { $0 + Double($1[d]) } / n
                let variance = means.reduce(0.0) { $0 + (Double($1[d]) - mean) * (Double($1[d]) - mean) } / max(n - 1, 1)
                if variance > threshold { active += 1 }
            }
            result.append(active)
            offset += size
        }
        return result
    }

    /// The share of sentences that decoding their posterior mean gives back exactly, the share
    /// of their tokens (`<eos>` included) decoded at the right position, and the corpus BLEU of
    /// the decoded texts.
    private func reconstructionFigures(_ sentences: [[Int]], means: [[Float]], order: [Int], decoding: SamplingOptions.Decoding,
                                       generator: inout RandomGenerator) -> [String: Double] {
        var options = SamplingOptions()
        options.decoding = decoding
        var exact = 0, matched = 0, total = 0
        var hypotheses: [String] = [], references: [String] = []
        for start in stride(from: 0, to: order.count, by: 64) {
            let group = Array(order[start..<min(start + 64, order.count)])
            options.maxTokens = group.map { sentences[$0].count }.max()! + 10
            let latents = Tensor(group.flatMap { means[$0] }, shape: [group.count, means[group[0]].count])
            let decoded = decode(latents: latents, options: options, generator: &generator)
            for (index, ids) in zip(group, decoded) {
                let target = sentences[index] + [Vocabulary.endID], output = ids + [Vocabulary.endID]
                if target == output { exact += 1 }
                matched += zip(target, output).filter { $0 == $1 }.count
                total += target.count
                hypotheses.append(tokenizer.decode(ids))
                references.append(tokenizer.decode(sentences[index]))
            }
        }
        return ["exact_reconstruction_rate": Double(exact) / Double(sentences.count),
                "reconstruction_token_accuracy": Double(matched) / Double(total),
                "reconstruction_bleu": CorpusBLEU(hypotheses: hypotheses, references: references).score,
                "decode_beam": decoding == .beam ? 1 : 0]
    }
}
