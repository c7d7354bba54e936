import ArgumentParser

struct TrainVAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae",
        abstract: "Trains a sentence VAE with an RNN encoder and decoder.",
        discussion: """
            Bowman et al.'s model: one sentence per line, an LSTM or GRU encoder giving a Gaussian \
            posterior, and a decoder conditioned on z. val_loss is the validation −ELBO per sentence \
            (the importance-weighted bound with --valid-samples above 1). Pass --tokenizer whitespace \
            for pre-tokenized corpora such as PTB.
            """)

    @OptionGroup var training: TrainingOptions
    @OptionGroup var model: SentenceModelOptions

    func run() throws {
        try SentenceTrainingRun(kind: .vae, training: training, model: model.resolvingPreset(), levels: 1, decoderLatents: .lowest).run()
    }
}
