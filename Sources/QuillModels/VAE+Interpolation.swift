import QuillTensor
import QuillText

/// How ``LatentSentenceModel/interpolationFigures(pairs:options:reference:progress:)`` walks
/// between two sentences and decodes the points.
public struct InterpolationOptions: Sendable {
    /// Steps between the two sentences; each path has `steps + 1` points.
    public var steps = 9
    /// Whether to walk the great circle (slerp) instead of the straight line.
    public var spherical = false
    /// How each point is decoded: beam search (width 5, as `quill interpolate` by default) or greedily.
    public var decoding = SamplingOptions.Decoding.beam

    /// Nine steps along the straight line, decoded by beam search.
    public init() {}
}

/// `quill eval --pairs`: how well a sentence VAE's interpolations start and end at the user's
/// sentences and move between them.
extension LatentSentenceModel {
    /// Walks between the two sentences of each pair exactly as `quill interpolate` does (the
    /// same points, decoded with its default width and token limit) and keeps the ids decoded.
    public func interpolationPaths(_ pairs: [SentencePair], options: InterpolationOptions,
                                   progress: (Double) -> Void = { _ in }) throws -> [InterpolationPath] {
        let wasTraining = isTraining
        setTraining(false)
        defer { setTraining(wasTraining) }
        var decoding = SamplingOptions()
        decoding.decoding = options.decoding
        // Greedy and beam decoding draw nothing; the generator only satisfies the signature.
        var generator = RandomGenerator(seed: 0)
        var paths: [InterpolationPath] = []
        for (index, pair) in pairs.enumerated() {
            let start = try sentenceIDs(pair.first), end = try sentenceIDs(pair.second)
            let points = interpolatedIDs(from: start, to: end, steps: options.steps, spherical: options.spherical,
                                         options: decoding, generator: &generator)
            paths.append(InterpolationPath(start: start, end: end, points: points))
            progress(Double(index + 1) / Double(pairs.count))
        }
        return paths
    }

    /// The interpolation figures of `pairs`, named as `quill eval --json` prints them:
    ///
    /// - `pairs`, `interpolation_steps` and `interpolation_slerp` (1 for the great circle);
    /// - `endpoint_exact`: the share of endpoints (two per pair) decoded to their own sentence;
    /// - `distinct_steps`: the mean number of different sentences along a path, endpoints included;
    /// - `monotone_share`: the share of paths whose edit distance (in tokens) to the first
    ///   sentence never falls and to the second never rises (``InterpolationPath/isMonotone``);
    /// - with a `reference`, `fluent_share`: the share of intermediate points (endpoints
    ///   excluded; so absent with one step) that ``FluencyReference`` judges fluent, and its
    ///   `fluency_threshold`.
    public func interpolationFigures(pairs: [SentencePair], options: InterpolationOptions, reference: FluencyReference?,
                                     progress: (Double) -> Void = { _ in }) throws -> [String: Double] {
        precondition(!pairs.isEmpty && options.steps >= 1, "interpolation figures need pairs and at least one step")
        let paths = try interpolationPaths(pairs, options: options, progress: progress)
        let count = Double(paths.count)
        var figures: [String: Double] = [
            "pairs": count, "interpolation_steps": Double(options.steps), "interpolation_slerp": options.spherical ? 1 : 0,
            "endpoint_exact": Double(paths.reduce(0) { $0 + $1.exactEndpoints }) / (2 * count),
            "distinct_steps": Double(paths.reduce(0) { $0 + $1.distinctSentenceCount }) / count,
            "monotone_share": Double(paths.filter(\.isMonotone).count) / count,
        ]
        if let reference {
            let intermediate = paths.flatMap { $0.intermediatePoints.map { tokenizer.decode($0) } }
            if !intermediate.isEmpty {
                figures["fluent_share"] = Double(try reference.areFluent(intermediate).filter { $0 }.count) / Double(intermediate.count)
            }
            figures["fluency_threshold"] = reference.threshold
        }
        return figures
    }
}
