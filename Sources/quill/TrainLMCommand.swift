import ArgumentParser

struct TrainLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Trains an LSTM language model over sentences, the VAE's baseline.",
        discussion: """
            The VAE's decoder without z, trained by the same code on the same batches. val_loss is \
            the exact validation NLL per sentence. Options that set up a latent are refused.
            """)

    @OptionGroup var training: TrainingOptions
    @OptionGroup var model: SentenceModelOptions

    func validate() throws { try model.checkNoLatentOptions() }

    func run() throws {
        try SentenceTrainingRun(kind: .lm, training: training, model: model, levels: 0, decoderLatents: .lowest).run()
    }
}
