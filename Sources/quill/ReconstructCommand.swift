import ArgumentParser
import QuillModels
import QuillTensor
import QuillTraining

struct ReconstructCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct",
        abstract: "Encodes sentences with a sentence VAE and decodes them again.",
        discussion: """
            Each sentence is encoded to its posterior mean and decoded by beam search, the most \
            likely sentence the model finds (unless --decode says otherwise); one reconstruction per \
            line, in the order given.
            """)

    @Argument(help: "The model file (.safetensors) of a vae or hvae.")
    var model: String

    @Argument(help: "The sentences to reconstruct.")
    var texts: [String]

    @OptionGroup var sampling: SamplingOptionGroup

    @Option(help: "Threads for kernels and BLAS (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard !texts.isEmpty else { throw ValidationError("Give at least one sentence to reconstruct.") }
    }

    func run() throws {
        try runReportingErrors {
            if let threads { Threads.count = threads }
            let (loaded, vae) = try loadSentenceAutoencoder(model, purpose: "reconstruct")
            warnAboutUnknownWords(in: texts, of: loaded)
            var generator = RandomGenerator(seed: sampling.effectiveSeed)
            let options = sampling.options(defaultDecoding: .beam)
            for text in texts { print(try vae.reconstruct(text, options: options, generator: &generator)) }
        }
    }
}

/// The sentence VAE at `path`, as loaded and as an autoencoder, or an error naming the kinds
/// `purpose` needs.
func loadSentenceAutoencoder(_ path: String, purpose: String) throws -> (LoadedModel, any SentenceAutoencoder) {
    let loaded = try loadModel(at: path)
    guard let vae = loaded.sentenceAutoencoder else {
        throw ModelFileError.wrongKind(path, found: loaded.kind, expected: [.vae, .hvae], purpose: purpose)
    }
    return (loaded, vae)
}
