import ArgumentParser
import QuillModels
import QuillText
import QuillTraining

/// The options `quill train vae`, `hvae` and `lm` share: one group, so the LM baseline trains
/// through the same code path as the VAEs.
struct SentenceModelOptions: ParsableArguments {
    @Option(help: "Start from a named recipe; flags given beside it win. interpolate: a latent that carries the sentence, for reconstruct and interpolate; vae and hvae only.")
    var preset: SentencePreset?

    @Option(help: "The recurrent cell of the encoder and decoder: lstm or gru.")
    var cell: SentenceModelConfiguration.Cell = .lstm

    @Option(help: "Width of the token embedding shared by encoder and decoder.")
    var embeddingSize = 256

    @Option(help: "Hidden units of the encoder (per direction) and decoder.")
    var hiddenSize = 256

    @Flag(help: "Use the embedding as the output layer's weight (needs --embedding-size equal to --hidden-size).")
    var tieEmbeddings = false

    @Option(help: "Latent dimensions (per level for hvae); vae and hvae only.")
    var latentSize = 32

    @Flag(help: "Read sentences in both directions in the encoder; vae and hvae only.")
    var bidirectional = false

    @Option(help: "How the decoder sees z: initial-state or concat; vae and hvae only.")
    var conditioning: SentenceModelConfiguration.Conditioning = .initialState

    @Option(help: "Replace decoder input words by <unk> with this probability (Bowman et al.).")
    var wordDropout: Float = 0

    @Option(help: "The KL weight schedule: none, linear, logistic or cyclical; vae and hvae only.")
    var klAnneal: KLAnnealing.Schedule = .linear

    @Option(help: "Steps of the KL weight's ramp, or of one cycle for cyclical.")
    var klAnnealSteps = 10_000

    @Option(help: "The linear schedule's first KL weight.")
    var klStart = 0.0

    @Option(help: "Cycles of the cyclical schedule, after which the weight stays 1.")
    var klCycles = 4

    @Option(help: "The share of each cycle spent rising.")
    var klCycleRatio = 0.5

    @Option(help: "Free bits per latent dimension, in nats (Kingma et al. 2016); vae and hvae only.")
    var freeBits: Float = 0

    @Option(help: "The weight of the KL term once annealed (a β-VAE); vae and hvae only.")
    var beta: Float = 1

    @Option(help: "Batch-normalize the posterior means (the top level's for hvae) to this fixed scale γ, as BN-VAE (Zhu et al. 2020): each dimension's KL then averages at least γ²/2, so none collapses; vae and hvae only.")
    var posteriorBatchNorm: Float?

    @Flag(help: "He et al.'s aggressive training: train the encoder alone before each update until the validation mutual information stops rising; vae and hvae only.")
    var aggressiveEncoder = false

    @Option(help: "What val_loss measures, which chooses the best checkpoint: elbo (the −ELBO, or the bound with --valid-samples) or reconstruction (its reconstruction term); vae and hvae only.")
    var selectBy: SentenceTrainingOptions.Selection = .elbo

    @Option(help: "Importance samples per validation sentence (1: val_loss is the single-sample −ELBO).")
    var validSamples = 1

    @Option(help: "Leave out training sentences longer than this many tokens.")
    var maxLength = 100

    @Option(help: "The tokenizer built when no --vocab is given: word, or whitespace for pre-tokenized text such as PTB.")
    var tokenizer: TokenizerKind = .word

    @Option(help: "Keep only tokens seen at least this often in the vocabulary built from the corpus.")
    var minCount = 1

    @Option(help: "The most ids in the vocabulary built from the corpus, the four specials included.")
    var vocabSize: Int?

    @Option(help: "The learning rate the cosine decay reaches at the last step (default: a tenth of --learning-rate).")
    var minLearningRate: Float?

    func validate() throws {
        try requireFinite(["--word-dropout": Double(wordDropout), "--free-bits": Double(freeBits), "--beta": Double(beta), "--posterior-batch-norm": posteriorBatchNorm.map(Double.init),
                           "--kl-start": klStart, "--kl-cycle-ratio": klCycleRatio,
                           "--min-learning-rate": minLearningRate.map(Double.init)])
        try requireSizes(["--embedding-size": embeddingSize, "--hidden-size": hiddenSize, "--latent-size": latentSize,
                          "--valid-samples": validSamples, "--max-length": maxLength])
        for (flag, value) in [("--kl-anneal-steps", klAnnealSteps), ("--kl-cycles", klCycles), ("--min-count", minCount)]
            where value <= 0 {
            throw ValidationError("\(flag) must be positive, got \(value).")
        }
        if !(wordDropout >= 0 && wordDropout <= 1) { throw ValidationError("--word-dropout must be in [0, 1], got \(wordDropout).") }
        if !(freeBits >= 0) { throw ValidationError("--free-bits must be 0 or more, got \(freeBits).") }
        if !(beta >= 0) { throw ValidationError("--beta must be 0 or more, got \(beta).") }
        if let gamma = posteriorBatchNorm, !(gamma > 0) { throw ValidationError("--posterior-batch-norm must be positive, got \(gamma).") }
        if !(klStart >= 0 && klStart <= 1) { throw ValidationError("--kl-start must be in [0, 1], got \(klStart).") }
        if !(klCycleRatio > 0 && klCycleRatio <= 1) { throw ValidationError("--kl-cycle-ratio must be in (0, 1], got \(klCycleRatio).") }
        if tokenizer == .bpe { throw ValidationError("--tokenizer bpe needs merges; build one with `quill vocab build --tokenizer bpe` and pass --vocab.") }
        if let vocabSize, vocabSize <= 4 { throw ValidationError("--vocab-size must exceed the 4 specials, got \(vocabSize).") }
        if let minLearningRate, !(minLearningRate >= 0) { throw ValidationError("--min-learning-rate must be 0 or more.") }
    }

    /// Throws when an option that only a VAE reads was changed for the LM, which has no latent.
    func checkNoLatentOptions() throws {
        let changed = [("--latent-size", latentSize != 32), ("--bidirectional", bidirectional),
                       ("--conditioning", conditioning != .initialState), ("--kl-anneal", klAnneal != .linear),
                       ("--free-bits", freeBits != 0), ("--posterior-batch-norm", posteriorBatchNorm != nil), ("--beta", beta != 1), ("--valid-samples", validSamples != 1),
                       ("--aggressive-encoder", aggressiveEncoder), ("--preset", preset != nil),
                       ("--select-by", selectBy != .elbo)]
        if let (flag, _) = changed.first(where: { $0.1 }) {
            throw ValidationError("\(flag) applies to vae and hvae; the lm baseline has no latent. Drop it.")
        }
    }

    /// These options with `--preset`'s settings under the flags given on `arguments`.
    func resolvingPreset(arguments: [String] = CommandLine.arguments) -> SentenceModelOptions {
        guard let preset else { return self }
        let given = Set(TrainingOptions.flagValues(Array(arguments.dropFirst())).map(\.flag))
        return preset.applied(to: self, givenFlags: given)
    }

    /// The KL schedule these options describe.
    var annealing: KLAnnealing {
        KLAnnealing(schedule: klAnneal, steps: klAnnealSteps, start: klStart, cycles: klCycles, ratio: klCycleRatio)
    }
}

extension SentenceModelConfiguration.Cell: ExpressibleByArgument {}
extension SentenceModelConfiguration.Conditioning: ExpressibleByArgument {}
extension SentenceModelConfiguration.DecoderLatents: ExpressibleByArgument {}
extension KLAnnealing.Schedule: ExpressibleByArgument {}
extension SentenceTrainingOptions.Selection: ExpressibleByArgument {}
