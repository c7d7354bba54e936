import ArgumentParser
import QuillTraining

/// A named recipe for `quill train vae` and `hvae` (`--preset`): settings applied before the
/// command line's own, so a flag given beside the preset wins.
enum SentencePreset: String, CaseIterable, ExpressibleByArgument {
    /// A latent that carries the sentence, for reconstruction and interpolation: a bidirectional
    /// encoder, z of 128 dimensions read at every decoder step, and free bits of 1.5 nats per
    /// dimension that let z hold up to 192 nats (a likelihood recipe holds about 4, too few to
    /// tell one sentence from another; 96 left the KJV model short of exact reconstruction, its
    /// budget spent); the best checkpoint is the one that reconstructs best. See the README's
    /// "Interpolation".
    case interpolate

    /// Each setting as the flag that would give it and what it sets.
    var settings: [(flag: String, apply: (inout SentenceModelOptions) -> Void)] {
        switch self {
        case .interpolate: [
            ("--bidirectional", { $0.bidirectional = true }),
            ("--conditioning", { $0.conditioning = .concat }),
            ("--latent-size", { $0.latentSize = 128 }),
            ("--free-bits", { $0.freeBits = 1.5 }),
            ("--kl-anneal", { $0.klAnneal = .none }),
            ("--word-dropout", { $0.wordDropout = 0.1 }),
            ("--select-by", { $0.selectBy = .reconstruction }),
        ]
        }
    }

    /// `options` with this preset's settings, except those whose flag is among `givenFlags`.
    func applied(to options: SentenceModelOptions, givenFlags: Set<String>) -> SentenceModelOptions {
        var result = options
        for (flag, apply) in settings where !givenFlags.contains(flag) { apply(&result) }
        return result
    }
}
