import Foundation
import QuillModels
import QuillNN
import QuillTensor
import QuillText
import QuillTraining
import Testing
import TestSupport

/// Training a char-rnn through its task: resuming bit for bit, checkpoints that load back
/// identically, a NaN that leaves the weights alone, and corpora that cannot be trained on.
@Suite struct CharRNNTrainingTests {
    static let text = String(repeating: """
        First Citizen: Before we proceed any further, hear me speak.
        All: Speak, speak. — Ça va? 春眠不覺曉 👩‍👩‍👧 café
        First Citizen: You are all resolved rather to die than to famish?

        """, count: 12)

    static func options(rate: Float = 1e-2) -> CharRNNTrainingOptions {
        var options = CharRNNTrainingOptions()
        options.batchSize = 4
        options.sequenceLength = 12
        options.schedule = .warmupCosine(WarmupCosineDecay(maxRate: rate, minRate: rate / 10, warmupSteps: 2, decaySteps: 10))
        options.gradientClip = 1
        return options
    }

    static let configuration = CharRNN.Configuration(cell: .lstm, vocabularySize: 0, embeddingSize: 6, hiddenSize: 10,
                                                     layerCount: 2, dropout: 0.3)

    static func start(corpus: String, options: CharRNNTrainingOptions = options(), validationFraction: Double = 0.1,
                      evaluationTokens: Int? = nil) throws -> CharRNNTrainingTask {
        let data = try CharRNNData.load(corpus: corpus, validation: nil, tokenizer: nil,
                                        validationFraction: validationFraction, replacingInvalidUTF8: false)
        return try CharRNNTrainingTask.start(configuration: configuration, options: options, data: data, corpus: corpus, seed: 5,
                                             evaluationTokens: evaluationTokens)
    }

    /// With `decayTime` (a run bounded only by `--time`) the cosine follows the training time the
    /// trainer passes in, after warmup by steps.
    @Test func aTimeBoundedRunDecaysOverItsTrainingTime() throws {
        var options = Self.options()
        options.decayTime = 60
        let scratch = try ScratchDirectory("quill-charrnn")
        let task = try Self.start(corpus: try scratch.write(Self.text, to: "corpus.txt"), options: options)
        let rate = { (step: Int, elapsed: Double) in try task.trainStep(step: step, elapsed: elapsed).extra["learning_rate"]! }
        #expect(try rate(0, 30) == Double(options.schedule.rate(atStep: 0)))
        #expect(try abs(rate(50, 30) - 5.5e-3) < 1e-8)
        #expect(try rate(3, 60) == Double(Float(1e-2) / 10))
    }

    @Test func resumingGivesTheSameLossesBitForBit() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.text, to: "corpus.txt")
        let straight = try Self.start(corpus: corpus)
        var expected: [Double] = []
        for step in 0..<10 {
            expected.append(try straight.trainStep(step: step, elapsed: 0).loss)
            // An evaluation between steps must not disturb training.
            if step == 4 { _ = try straight.evaluate() }
        }

        let interrupted = try Self.start(corpus: corpus)
        var losses: [Double] = []
        for step in 0..<5 { losses.append(try interrupted.trainStep(step: step, elapsed: 0).loss) }
        var progress = TrainingProgress()
        progress.step = 5
        try interrupted.saveCheckpoint(to: scratch.file("run.last.safetensors"), progress: progress)
        let (resumed, restored) = try CharRNNTrainingTask.resume(from: scratch.file("run.last.safetensors"), corpus: corpus,
                                                                 validation: nil)
        #expect(restored == progress)
        for step in 5..<10 { losses.append(try resumed.trainStep(step: step, elapsed: 0).loss) }
        #expect(losses == expected)
        #expect(Set(expected).count == expected.count, "losses should change from step to step: \(expected)")
    }

    @Test func aSavedCheckpointLoadsBackWithIdenticalLogits() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.text, to: "corpus.txt")
        let task = try Self.start(corpus: corpus)
        for step in 0..<3 { _ = try task.trainStep(step: step, elapsed: 0) }
        let path = scratch.file("model.safetensors")
        try task.saveCheckpoint(to: path, progress: TrainingProgress())

        let loaded = try loadModel(at: path)
        #expect(loaded.kind == .charRNN)
        let generator = try #require(loaded.textGenerator as? CharRNNGenerator)
        #expect(generator.model.configuration == task.model.configuration)
        #expect(generator.tokenizer.encode(Self.text) == task.tokenizer.encode(Self.text))
        let ids = task.tokenizer.encode("First Citizen: 春眠 café")
        #expect(ids.count == 22 && !ids.contains(Vocabulary.unknownID))
        let tokens = IndexTensor(ids, shape: [1, ids.count])
        task.model.setTraining(false)
        let original = withoutGradients { task.model(tokens, state: nil).logits.toArray() }
        let reloaded = withoutGradients { generator.model(tokens, state: nil).logits.toArray() }
        #expect(original == reloaded)
    }

    @Test func aNonFiniteLossLeavesTheWeightsUntouched() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.text, to: "corpus.txt")
        var options = Self.options()
        options.schedule = .constant(ConstantRate(rate: 1e38))
        options.gradientClip = 0
        let task = try Self.start(corpus: corpus, options: options)
        var result = try task.trainStep(step: 0, elapsed: 0)
        var step = 1
        // Bit patterns, since the overflowing weights themselves may already be inf or NaN.
        func weightBits() -> [[UInt32]] { task.model.parameters.map { $0.toArray().map(\.bitPattern) } }
        while result.loss.isFinite && step < 10 {
            let before = weightBits()
            result = try task.trainStep(step: step, elapsed: 0)
            if !result.loss.isFinite { #expect(weightBits() == before) }
            step += 1
        }
        #expect(!result.loss.isFinite, "a learning rate of 1e38 should overflow the logits")
    }

    /// Progress figures of a diverged run (a finite loss of 10³⁰) and absurd budgets print
    /// instead of overflowing an integer, which trapped mid-run and in `quill info`.
    @Test func hugeFiguresFormatWithoutTrapping() {
        #expect(format(123.45678, 4) == "123.4568")
        #expect(format(-2.5, 1) == "-2.5")
        #expect(format(7.2e30, 4) == "7.2e+30")
        #expect(format(-1e16, 2) == "-1e+16")
        #expect(formatDuration(3725) == "1h02m")
        #expect(formatDuration(1e300).hasSuffix("e+296h"))
    }

    struct BadCorpus: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var expected: @Sendable (Error, String) -> Bool
        var testDescription: String { name }
    }

    @Test(arguments: [
        BadCorpus(name: "empty", bytes: []) { error, path in (error as? TrainingError) == .emptyCorpus(path) },
        BadCorpus(name: "blank lines only", bytes: Array(" \n\n \t\n".utf8)) { error, path in
            (error as? TrainingError) == .emptyCorpus(path)
        },
        BadCorpus(name: "shorter than one batch", bytes: Array("to be or not to be\n".utf8)) { error, path in
            (error as? TrainingError) == .corpusTooSmall(path, tokens: 17, needed: 52)
        },
        BadCorpus(name: "Latin-1, not UTF-8", bytes: Array("caf".utf8) + [0xE9] + Array(" au lait\n".utf8)) { error, path in
            (error as? TokenizerError) == .invalidUTF8(path: path, byteOffset: 3)
        },
    ])
    func unusableCorporaAreRejected(_ bad: BadCorpus) throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let path = scratch.file("corpus.txt")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bad.bytes)))
        do {
            _ = try Self.start(corpus: path)
            Issue.record("\(bad.name) corpus was accepted")
        } catch {
            #expect(bad.expected(error, path), "unexpected error: \(error)")
        }
    }

    @Test func resumingACheckpointOfAnotherKindIsRejected() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.text, to: "corpus.txt")
        let path = scratch.file("gpt.safetensors")
        try ModelFile(kind: .gpt, configuration: "{}", tokenizer: "{}", weights: ["w": Tensor([1])]).write(to: path)
        #expect(throws: TrainingError.wrongModelKind(path, found: "gpt", expected: "char-rnn")) {
            _ = try CharRNNTrainingTask.resume(from: path, corpus: corpus, validation: nil)
        }
    }
}
