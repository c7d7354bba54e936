import QuillTensor

/// How to pick each next token during generation.
public struct SamplingOptions: Codable, Equatable, Sendable {
    /// How tokens are chosen.
    public enum Decoding: String, Codable, CaseIterable, Sendable {
        case greedy, sample, beam
    }

    /// Softmax temperature; must be positive. Lower is more conservative.
    public var temperature: Float = 1
    /// Keep only the `topK` most likely tokens (0: no limit).
    public var topK: Int = 0
    /// Keep the smallest set of tokens whose probability reaches `topP` (1: no limit).
    public var topP: Float = 1
    /// The most tokens to generate per sequence.
    public var maxTokens: Int = 200
    /// Divides the logit of each token already generated (1: off), as in CTRL (Keskar et al. 2019).
    public var repetitionPenalty: Float = 1
    /// Generation stops after any of these strings appears.
    public var stopStrings: [String] = []
    /// Greedy, sampling or beam search (beam applies to sentence VAEs).
    public var decoding: Decoding = .sample
    /// Beam width for beam search.
    public var beamWidth: Int = 5

    /// Default options: sampling at temperature 1 with no truncation.
    public init() {}
}

/// Picks a token id from `logits` [vocabularySize] according to `options`.
///
/// Applies the repetition penalty to ids in `history`, then temperature, top-k and top-p
/// (nucleus) truncation, then draws from the renormalized distribution with `generator`.
/// Greedy decoding returns the arg-max. `scratch` must hold `vocabularySize` floats and
/// indices; passing it keeps the per-token path free of allocations.
public func pickToken(logits: UnsafePointer<Float>, vocabularySize: Int, options: SamplingOptions,
                      history: ArraySlice<Int> = [], excluded: Set<Int> = [],
                      generator: inout RandomGenerator, scratch: SamplingScratch) -> Int {
    let n = vocabularySize
    scratch.reserve(n)
    let z = scratch.values
    for i in 0..<n { z[i] = logits[i] }
    for id in excluded where id < n { z[id] = -.infinity }
    if options.repetitionPenalty != 1 {
        for id in Set(history) where id < n {
            z[id] = z[id] > 0 ? z[id] / options.repetitionPenalty : z[id] * options.repetitionPenalty
        }
    }
    if options.decoding == .greedy {
        var best = 0
        for i in 1..<n where z[i] > z[best] { best = i }
        return best
    }
    let inverseTemperature = 1 / max(options.temperature, 1e-6)
    var maxLogit = -Float.infinity
    for i in 0..<n { maxLogit = max(maxLogit, z[i]) }
    var total: Float = 0
    for i in 0..<n {
        let p = z[i] == -.infinity ? 0 : expf((z[i] - maxLogit) * inverseTemperature)
        z[i] = p
        total += p
    }
    let order = scratch.indices
    var candidates = n
    if options.topK > 0 || options.topP < 1 {
        for i in 0..<n { order[i] = Int32(i) }
        var buffer = UnsafeMutableBufferPointer(start: order, count: n)
        buffer.sort { z[Int($0)] > z[Int($1)] }
        if options.topK > 0 { candidates = min(candidates, options.topK) }
        if options.topP < 1 {
            var cumulative: Float = 0
            for rank in 0..<candidates {
                cumulative += z[Int(order[rank])] / total
                if cumulative >= options.topP { candidates = rank + 1; break }
            }
        }
        total = 0
        for rank in 0..<candidates { total += z[Int(order[rank])] }
        var target = generator.nextFloat() * total
        for rank in 0..<candidates {
            target -= z[Int(order[rank])]
            if target < 0 { return Int(order[rank]) }
        }
        return Int(order[candidates - 1])
    }
    var target = generator.nextFloat() * total
    var last = 0
    for i in 0..<n where z[i] > 0 {
        target -= z[i]
        last = i
        if target < 0 { return i }
    }
    return last
}

/// Reusable buffers for ``pickToken``.
public final class SamplingScratch {
    private(set) var capacity = 0
    private(set) var values = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var indices = UnsafeMutablePointer<Int32>.allocate(capacity: 1)

    /// Empty scratch space; it grows on first use.
    public init() {}

    deinit { values.deallocate(); indices.deallocate() }

    func reserve(_ count: Int) {
        guard count > capacity else { return }
        values.deallocate(); indices.deallocate()
        values = .allocate(capacity: count)
        indices = .allocate(capacity: count)
        capacity = count
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
