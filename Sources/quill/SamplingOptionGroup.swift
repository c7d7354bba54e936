import ArgumentParser
import QuillModels

/// The generation options `sample`, `reconstruct`, `interpolate` and the REPL share.
struct SamplingOptionGroup: ParsableArguments {
    @Option(help: "Softmax temperature; lower is more conservative. Must be positive.")
    var temperature: Float = 0.8

    @Option(help: "Sample only from the K most likely tokens (0: no limit).")
    var topK: Int = 0

    @Option(help: "Sample only from the smallest set of tokens whose probability reaches P (1: no limit).")
    var topP: Float = 1

    @Option(help: "The most tokens to generate per sample.")
    var maxTokens: Int = 200

    @Option(help: "Penalize tokens already generated: their positive logits are divided by this, negative ones multiplied (1: off). About 1.3 keeps greedy decoding from repeating itself.")
    var repetitionPenalty: Float = 1

    @Option(help: "Stop a sample when this string appears (repeatable).")
    var stop: [String] = []

    @Option(help: "How to pick tokens: greedy, sample or beam (beam is for sentence VAEs); `reconstruct` and `interpolate` default to beam, the rest to sample.")
    var decode: SamplingOptions.Decoding?

    @Option(help: "The beams --decode beam keeps.")
    var beamWidth = 5

    @Option(help: "The random seed (default: a fresh one each run).")
    var seed: UInt64?

    func validate() throws {
        try requireFinite(["--temperature": Double(temperature), "--top-p": Double(topP),
                           "--repetition-penalty": Double(repetitionPenalty)])
        guard temperature > 0 else {
            throw ValidationError("--temperature must be greater than 0, got \(temperature). Use --decode greedy for the most likely tokens.")
        }
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 or more, got \(topK).") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1], got \(topP).") }
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive, got \(maxTokens).") }
        try requireSizes(["--beam-width": beamWidth])
        guard repetitionPenalty > 0 else {
            throw ValidationError("--repetition-penalty must be positive, got \(repetitionPenalty).")
        }
    }

    /// The options as the models take them, sampling unless --decode says otherwise.
    var options: SamplingOptions { options(defaultDecoding: .sample) }

    /// The options as the models take them, decoding with `defaultDecoding` unless --decode is given.
    func options(defaultDecoding: SamplingOptions.Decoding) -> SamplingOptions {
        var o = SamplingOptions()
        o.temperature = temperature
        o.topK = topK
        o.topP = topP
        o.maxTokens = maxTokens
        o.repetitionPenalty = repetitionPenalty
        o.stopStrings = stop
        o.decoding = decode ?? defaultDecoding
        o.beamWidth = beamWidth
        return o
    }

    /// The seed to use: the given one, or one from the system's generator.
    var effectiveSeed: UInt64 { seed ?? UInt64.random(in: 0...UInt64.max) }
}

extension SamplingOptions.Decoding: ExpressibleByArgument {}
