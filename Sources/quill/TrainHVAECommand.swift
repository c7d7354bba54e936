import ArgumentParser
import QuillModels

struct TrainHVAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvae",
        abstract: "Trains a hierarchical sentence VAE with several levels of latent variables.",
        discussion: """
            Ladder-VAE inference (Sønderby et al. 2016): a bottom-up pass, then a top-down pass that \
            combines each level's estimate with its learned conditional prior. The KL is charged and \
            logged per level; --free-bits applies to every dimension of every level.
            """)

    @OptionGroup var training: TrainingOptions
    @OptionGroup var model: SentenceModelOptions

    @Option(help: "Levels of latent variables, at least 2.")
    var levels = 2

    @Option(help: "Which levels the decoder reads: lowest or all.")
    var decoderLatents: SentenceModelConfiguration.DecoderLatents = .lowest

    func validate() throws {
        guard levels >= 2 else { throw ValidationError("--levels must be at least 2, got \(levels); use `quill train vae` for one.") }
        try requireSizes(["--levels": levels])
    }

    func run() throws {
        try SentenceTrainingRun(kind: .hvae, training: training, model: model.resolvingPreset(), levels: levels,
                                decoderLatents: decoderLatents).run()
    }
}
