import Foundation
import Testing
import QuillModels
import QuillTensor
import QuillText
import QuillTraining

/// `GPTTrainingTask`: nanoGPT's step and schedule, checkpoints that resume exactly.
@Suite struct GPTTrainingTests {
    static let configuration = GPT.Configuration(layerCount: 1, headCount: 2, embeddingSize: 8, blockSize: 6,
                                                 bias: false, dropout: 0.1, vocabularySize: 20)

    static func tokenizer() throws -> any Tokenizer {
        var builder = try VocabularyBuilder(settings: .defaults(for: .character))
        builder.add("abcdefghijklmnop")
        return try TokenizerFile.tokenizer(for: builder.build())
    }

    static func tokens(_ count: Int, seed: UInt64) -> [Int32] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { _ in Int32(4 + generator.nextInt(below: 16)) }
    }

    static func options() -> GPTTrainingOptions {
        var options = GPTTrainingOptions()
        options.batchSize = 3
        options.gradientAccumulation = 2
        options.warmupSteps = 2
        options.decaySteps = 6
        options.evaluationBatches = 2
        return options
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UInt32.random(in: 0...UInt32.max)).safetensors").path
    }

    @Test func resumedRunRepeatsTheUninterruptedRun() throws {
        let train = Self.tokens(200, seed: 1), valid = Self.tokens(50, seed: 2)
        let straight = try GPTTrainingTask(configuration: Self.configuration, tokenizer: Self.tokenizer(), trainTokens: train,
                                           validTokens: valid, options: Self.options(), seed: 7)
        let expected = try (0..<6).map { try straight.trainStep(step: $0, elapsed: 0).loss }

        let first = try GPTTrainingTask(configuration: Self.configuration, tokenizer: Self.tokenizer(), trainTokens: train,
                                        validTokens: valid, options: Self.options(), seed: 7)
        var losses = try (0..<3).map { try first.trainStep(step: $0, elapsed: 0).loss }
        let path = Self.temporaryPath("gpt-resume")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var progress = TrainingProgress()
        progress.step = 3
        try first.saveCheckpoint(to: path, progress: progress)
        let resumed = try GPTTrainingTask(resumingFrom: path, trainTokens: train, validTokens: valid, decaySteps: nil)
        #expect(resumed.progress.step == 3)
        losses += try (3..<6).map { try resumed.trainStep(step: $0, elapsed: 0).loss }
        #expect(losses == expected)
        #expect(try resumed.evaluate()["val_loss"] == straight.evaluate()["val_loss"])
    }

    @Test func checkpointLoadsAsATextModel() throws {
        let task = try GPTTrainingTask(configuration: Self.configuration, tokenizer: Self.tokenizer(),
                                       trainTokens: Self.tokens(100, seed: 3), validTokens: Self.tokens(40, seed: 4),
                                       options: Self.options(), seed: 1)
        _ = try task.trainStep(step: 0, elapsed: 0)
        let path = Self.temporaryPath("gpt-load")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try task.saveCheckpoint(to: path, progress: TrainingProgress())
        let loaded = try loadModel(at: path)
        #expect(loaded.kind == .gpt)
        // The file holds the tied head twice (nanoGPT's names); `quill info` counts it once.
        #expect(loaded.file.parameterCount == Self.configuration.parameterCount)
        let model = try #require(loaded.textGenerator as? GPTTextModel)
        #expect(model.model.configuration == Self.configuration)
        for ((name, a), (_, b)) in zip(model.model.namedParameters(), task.model.namedParameters()) {
            #expect(a.toArray() == b.toArray(), "\(name) differs after loading")
        }
    }

    @Test func learningRateFollowsWarmupThenCosine() throws {
        let task = try GPTTrainingTask(configuration: Self.configuration, tokenizer: Self.tokenizer(),
                                       trainTokens: Self.tokens(100, seed: 3), validTokens: Self.tokens(40, seed: 4),
                                       options: Self.options(), seed: 1)
        let rates = try (0..<8).map { try task.trainStep(step: $0, elapsed: 0).extra["learning_rate"]! }
        let expected = (0..<8).map { Double(Self.options().schedule.rate(atStep: $0)) }
        #expect(rates == expected)
        #expect(rates[0] < rates[1] && rates[1] < rates[2] && rates[2] > rates[5] && rates[7] == Double(Float(1e-4)))
    }

    /// With `decaySeconds` (a run bounded only by `--time`) the rate follows the training time,
    /// not the step; a decay given on resume goes back to steps.
    @Test func aTimeBoundedRunDecaysOverItsTrainingTime() throws {
        var options = Self.options()
        options.decaySeconds = 100
        let train = Self.tokens(100, seed: 3), valid = Self.tokens(40, seed: 4)
        let task = try GPTTrainingTask(configuration: Self.configuration, tokenizer: Self.tokenizer(),
                                       trainTokens: train, validTokens: valid, options: options, seed: 1)
        let rate = { (step: Int, elapsed: Double) in try task.trainStep(step: step, elapsed: elapsed).extra["learning_rate"]! }
        #expect(try rate(0, 90) == Double(options.schedule.rate(atStep: 0)))
        #expect(try rate(2, 0) == Double(Float(1e-3)))
        #expect(try abs(rate(40, 50) - 5.5e-4) < 1e-9)
        #expect(try rate(3, 100) == Double(Float(1e-4)))

        let path = Self.temporaryPath("gpt-time-decay")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try task.saveCheckpoint(to: path, progress: TrainingProgress())
        let resumed = try GPTTrainingTask(resumingFrom: path, trainTokens: train, validTokens: valid, decaySteps: nil)
        #expect(resumed.options.decaySeconds == 100)
        let stepped = try GPTTrainingTask(resumingFrom: path, trainTokens: train, validTokens: valid, decaySteps: 12)
        #expect(stepped.options.decaySeconds == nil && stepped.options.decaySteps == 12)
    }

    /// nanoGPT estimates the validation loss on random batches; a set fixed for every run would
    /// bias every run's figure the same way, so the batches follow the run's seed.
    @Test func validationBatchesFollowTheRunSeed() throws {
        let train = Self.tokens(200, seed: 1), valid = Self.tokens(300, seed: 2)
        func task(seed: UInt64) throws -> GPTTrainingTask {
            try GPTTrainingTask(configuration: Self.configuration, tokenizer: Self.tokenizer(), trainTokens: train,
                                validTokens: valid, options: Self.options(), seed: seed)
        }
        let first = try task(seed: 7), again = try task(seed: 7), other = try task(seed: 8)
        try other.model.load(stateDictionary: first.model.stateDictionary(), origin: "seed 7")
        let loss = try first.evaluate()["val_loss"]!
        #expect(try first.evaluate()["val_loss"]! == loss)
        #expect(try again.evaluate()["val_loss"]! == loss)
        #expect(try other.evaluate()["val_loss"]! != loss)
    }

    @Test func tooShortTextIsAClearError() throws {
        #expect(throws: TrainingError.self) {
            try GPTTrainingTask(configuration: Self.configuration, tokenizer: Self.tokenizer(), trainTokens: Self.tokens(5, seed: 1),
                                validTokens: Self.tokens(40, seed: 2), options: Self.options(), seed: 1)
        }
    }
}
