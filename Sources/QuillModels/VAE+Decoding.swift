#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QuillNN
import QuillTensor
import QuillText

/// Turning latent vectors into sentences: greedy, sampled (temperature, top-k, top-p) or beam
/// decoding, one timestep at a time through the recurrent layer's single-step API.
extension SentenceDecoder {
    /// Decodes `count` sentences (ids without specials), one per row of `latents` [count, Z]
    /// (nil for the LM), each ending at `<eos>` or after `options.maxTokens` tokens.
    ///
    /// `prefixes` (LM prompts) are fed after `<bos>` before anything is generated, and are not
    /// part of the result.
    func generate(embedding: Tensor, latents: Tensor?, count: Int, options: SamplingOptions,
                  prefixes: [[Int]]? = nil, generator: inout RandomGenerator) -> [[Int]] {
        if options.decoding == .beam && prefixes == nil {
            return (0..<count).map { row in
                beamSearch(embedding: embedding, latent: latents?.sliced(axis: 0, range: row..<(row + 1)),
                           width: max(1, options.beamWidth), maxTokens: options.maxTokens)
            }
        }
        return withoutGradients {
            let V = configuration.vocabularySize
            var state = initialState(latents)
            var outputs = [[Int]](repeating: [], count: count)
            var finished = [Bool](repeating: false, count: count)
            let scratch = SamplingScratch()
            // Prompts run through the same steps; their tokens are forced, not sampled.
            let forced = prefixes ?? Array(repeating: [], count: count)
            var tokens = [Int](repeating: Vocabulary.beginID, count: count)
            var step = 0
            while true {
                let (hidden, next) = rnn.step(stepInput(embedding, tokens: tokens, latents: latents), state: state)
                state = next
                let logits = VocabularyProjection.logits(hidden, weight: outputWeight, bias: outputBias)
                var generatedAny = false
                for b in 0..<count where !finished[b] {
                    if step < forced[b].count {
                        tokens[b] = forced[b][step]
                        generatedAny = true
                        continue
                    }
                    let id = pickToken(logits: logits.data + b * V, vocabularySize: V, options: options,
                                       history: outputs[b][...], excluded: neverGeneratedIDs,
                                       generator: &generator, scratch: scratch)
                    if id == Vocabulary.endID || outputs[b].count + 1 >= options.maxTokens {
                        if id != Vocabulary.endID { outputs[b].append(id) }
                        finished[b] = true
                    } else {
                        outputs[b].append(id)
                        tokens[b] = id
                        generatedAny = true
                    }
                }
                step += 1
                if !generatedAny { break }
            }
            return outputs
        }
    }

    /// Ids decoding never produces: padding and a second `<bos>`.
    static let neverGenerated: Set<Int> = [Vocabulary.paddingID, Vocabulary.beginID]

    /// The ids of tokens that contain a line break: sentences are lines, so a decoded sentence
    /// never holds one (a vocabulary counted from a file has the newline as a token).
    static func lineBreakIDs(of tokenizer: any Tokenizer) -> Set<Int> {
        Set((0..<tokenizer.vocabularySize).filter { id in
            guard let token = tokenizer.token(for: id) else { return false }
            return token.contains("\n") || token.contains("\r")
        })
    }

    /// One step's recurrent input [B, E(+Z)] for the previous `tokens`.
    func stepInput(_ embedding: Tensor, tokens: [Int], latents: Tensor?) -> Tensor {
        let embedded = Tensor.embedding(embedding, indices: IndexTensor(tokens))
        guard let latents, latentToState == nil, latentSize > 0 else { return embedded }
        return Tensor.concatenate([embedded, latents], axis: 1)
    }

    /// The most likely sentence under `latent` [1, Z] found by beam search with `width` beams.
    ///
    /// Beams grow by their `width` best continuations; a beam that emits `<eos>` is finished.
    /// The search stops when `width` beams have finished or none is alive, and returns the
    /// finished sentence with the best log-probability per token (`<eos>` counted), so short
    /// sentences are not favoured merely for having fewer factors.
    func beamSearch(embedding: Tensor, latent: Tensor?, width: Int, maxTokens: Int) -> [Int] {
        withoutGradients {
            let V = configuration.vocabularySize
            var beams: [(tokens: [Int], score: Double)] = [([], 0)]
            var finished: [(tokens: [Int], score: Double)] = []
            var state = initialState(latent)
            while !beams.isEmpty && finished.count < width {
                let rows = IndexTensor(Array(repeating: 0, count: beams.count))
                let latents = latent.map { $0.gathering(rows, alongAxis: 0) }
                let tokens = beams.map { $0.tokens.last ?? Vocabulary.beginID }
                let (hidden, next) = rnn.step(stepInput(embedding, tokens: tokens, latents: latents), state: state)
                let logits = VocabularyProjection.logits(hidden, weight: outputWeight, bias: outputBias)
                var candidates: [(beam: Int, token: Int, score: Double)] = []
                for (b, beam) in beams.enumerated() {
                    let row = logits.data + b * V
                    let normalizer = Double(logSumExp(row, count: V))
                    for (token, logit) in topTokens(row, count: V, keeping: width) {
                        candidates.append((b, token, beam.score + Double(logit) - normalizer))
                    }
                }
                candidates.sort { $0.score > $1.score }
                var survivors: [(tokens: [Int], score: Double)] = [], origins: [Int] = []
                for candidate in candidates where survivors.count < width && finished.count < width {
                    let tokens = beams[candidate.beam].tokens
                    if candidate.token == Vocabulary.endID || tokens.count + 1 >= maxTokens {
                        let ended = candidate.token == Vocabulary.endID ? tokens : tokens + [candidate.token]
                        finished.append((ended, candidate.score))
                    } else {
                        survivors.append((tokens + [candidate.token], candidate.score))
                        origins.append(candidate.beam)
                    }
                }
                beams = survivors
                let order = IndexTensor(origins)
                state = RecurrentState(hidden: next.hidden.gathering(order, alongAxis: 1),
                                       cell: next.cell?.gathering(order, alongAxis: 1))
            }
            let pool = finished.isEmpty ? beams : finished
            return pool.max { $0.score / Double($0.tokens.count + 1) < $1.score / Double($1.tokens.count + 1) }?.tokens ?? []
        }
    }

    /// The `keeping` largest logits of `row` [count] with their ids, skipping ids never generated.
    private func topTokens(_ row: UnsafePointer<Float>, count: Int, keeping k: Int) -> [(Int, Float)] {
        var best: [(Int, Float)] = []
        best.reserveCapacity(k + 1)
        for id in 0..<count where !neverGeneratedIDs.contains(id) {
            let value = row[id]
            if best.count == k, let last = best.last, value <= last.1 { continue }
            let position = best.firstIndex { value > $0.1 } ?? best.count
            best.insert((id, value), at: position)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}

/// `quill sample`, `quill reconstruct` and `quill interpolate` for any sentence VAE.
extension LatentSentenceModel {
    /// The ids of typed `text` without control specials, read as the corpus reads the same words;
    /// throws when nothing is left.
    public func sentenceIDs(_ text: String) throws -> [Int] {
        guard let ids = sentenceTokenIDs(text, tokenizer: tokenizer, typed: true) else { throw SentenceModelError.emptySentence(text) }
        return ids
    }

    /// Decodes sentences from latent points drawn from the prior (ancestrally for an HVAE).
    public func sampleSentences(count: Int, options: SamplingOptions, generator: inout RandomGenerator) throws -> [String] {
        let latents = drawPrior(count: count, generator: &generator)
        return decode(latents: latents, options: options, generator: &generator).map { tokenizer.decode($0) }
    }

    /// The posterior means [N, D] of `texts`.
    public func posteriorMeans(of texts: [String]) throws -> Tensor {
        let batch = SentenceBatch(sentences: try texts.map(sentenceIDs))
        return posteriorMean(encode(batch))
    }

    /// Encodes `sentence` to its posterior mean and decodes it.
    public func reconstruct(_ sentence: String, options: SamplingOptions, generator: inout RandomGenerator) throws -> String {
        let mean = try posteriorMeans(of: [sentence])
        return tokenizer.decode(decode(latents: mean, options: options, generator: &generator)[0])
    }

    /// Encodes both sentences to their posterior means, walks the straight line (or with
    /// `spherical` the great circle, Shoemake's slerp) between them in `steps` steps, and
    /// decodes each of the `steps + 1` points.
    ///
    /// Each point is decoded on its own, exactly as ``reconstruct(_:options:generator:)``
    /// decodes, so with greedy decoding the endpoints are the two reconstructions.
    public func interpolate(from first: String, to second: String, steps: Int, spherical: Bool,
                            options: SamplingOptions, generator: inout RandomGenerator) throws -> [(position: Double, sentence: String)] {
        let points = interpolatedIDs(from: try sentenceIDs(first), to: try sentenceIDs(second), steps: steps,
                                     spherical: spherical, options: options, generator: &generator)
        return points.enumerated().map { (position: Double($0.offset) / Double(steps), sentence: tokenizer.decode($0.element)) }
    }

    /// The ids decoded at each of the `steps + 1` points of ``interpolate(from:to:steps:spherical:options:generator:)``,
    /// for two sentences given as ids without specials.
    func interpolatedIDs(from first: [Int], to second: [Int], steps: Int, spherical: Bool,
                         options: SamplingOptions, generator: inout RandomGenerator) -> [[Int]] {
        precondition(steps >= 1, "interpolation needs at least one step, got \(steps)")
        let means = posteriorMean(encode(SentenceBatch(sentences: [first, second])))
        let size = means.shape[1], values = means.toArray()
        let a = Array(values[0..<size]), b = Array(values[size...])
        return (0...steps).map { step in
            let t = Double(step) / Double(steps)
            let point = step == 0 ? a : step == steps ? b : (spherical ? slerp(a, b, t) : lerp(a, b, t))
            return decode(latents: Tensor(point, shape: [1, size]), options: options, generator: &generator)[0]
        }
    }
}

/// (1 − t)·a + t·b.
func lerp(_ a: [Float], _ b: [Float], _ t: Double) -> [Float] {
    zip(a, b).map { Float((1 - t) * Double($0) + t * Double($1)) }
}

/// Shoemake's spherical interpolation: the point a fraction `t` of the angle from `a` to `b`,
/// sin((1 − t)ω)/sin ω · a + sin(tω)/sin ω · b; the straight line when the two are (anti)parallel.
func slerp(_ a: [Float], _ b: [Float], _ t: Double) -> [Float] {
    let normA = sqrt(a.reduce(0.0) { $0 + Double($1) * Double($1) })
    let normB = sqrt(b.reduce(0.0) { $0 + Double($1) * Double($1) })
    guard normA > 0, normB > 0 else { return lerp(a, b, t) }
    let cosine = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } / (normA * normB)
    let omega = acos(min(1, max(-1, cosine)))
    guard sin(omega) > 1e-6 else { return lerp(a, b, t) }
    let wa = sin((1 - t) * omega) / sin(omega), wb = sin(t * omega) / sin(omega)
    return zip(a, b).map { Float(wa * Double($0) + wb * Double($1)) }
}
