import Foundation
@testable import QuillModels
import QuillTensor
@testable import QuillTraining
import Testing

/// Training end to end in memory: a tiny VAE memorizes a few sentences, and batches bucket by length.
@Suite struct VAETrainingTests {
    static let sentences = [[4, 5, 6, 7], [8, 9, 10], [11, 12, 4, 4, 9], [7, 6, 5]]

    /// The rate decays by steps when the run has a step count, else over its time budget, else
    /// stays constant.
    @Test func learningRateDecaysOverStepsOrTime() {
        var options = SentenceTrainingOptions()
        options.learningRate = 1e-3
        options.minLearningRate = 1e-4
        #expect(options.learningRate(atStep: 500, elapsed: 500) == 1e-3)
        options.decaySeconds = 100
        #expect(options.learningRate(atStep: 500, elapsed: 0) == 1e-3)
        #expect(abs(options.learningRate(atStep: 1, elapsed: 50) - 5.5e-4) < 1e-9)
        #expect(options.learningRate(atStep: 1, elapsed: 150) == 1e-4)
        options.decaySteps = 10
        #expect(abs(options.learningRate(atStep: 5, elapsed: 0) - 5.5e-4) < 1e-9)
        #expect(options.learningRate(atStep: 11, elapsed: 0) == 1e-4)
    }

    @Test(arguments: [ModelKind.vae, .hvae])
    func overfitsAFewSentences(kind: ModelKind) throws {
        let configuration = SentenceModelConfiguration(cell: .lstm, vocabularySize: 13, embeddingSize: 12, hiddenSize: 24,
                                                       latentSize: 4, levels: kind == .vae ? 1 : 2)
        let model = VAETestSupport.model(kind, configuration, seed: 11)
        var options = SentenceTrainingOptions()
        options.batchSize = 4
        options.learningRate = 2e-2
        options.annealing = KLAnnealing(schedule: .none)
        options.freeBits = 0.5
        let task = try SentenceTrainingTask(model: model, train: Self.sentences, validation: Self.sentences,
                                            options: options, seed: 1)
        let vae = model as! any LatentSentenceModel
        var greedy = SamplingOptions()
        greedy.decoding = .greedy
        greedy.maxTokens = 10
        func reconstructions() -> [[Int]] {
            model.setTraining(false)
            var generator = RandomGenerator(seed: 0)
            return vae.decode(latents: vae.posteriorMean(vae.encode(SentenceBatch(sentences: Self.sentences))),
                              options: greedy, generator: &generator)
        }
        // Train until every sentence comes back exactly, checking every 10 steps.
        var step = 0
        while step < 400 && (step % 10 != 0 || step == 0 || reconstructions() != Self.sentences) {
            _ = try task.trainStep(step: step, elapsed: 0)
            step += 1
        }
        #expect(reconstructions() == Self.sentences, "not memorized after \(step) steps")
        let figures = try task.evaluate()
        #expect(figures["val_loss"]! < 5)
    }

    /// BN-VAE: training moves the running statistics, a checkpoint keeps them and γ, and the
    /// reloaded model encodes exactly as the trained one does in evaluation.
    @Test(arguments: [ModelKind.vae, .hvae])
    func posteriorBatchNormIsTrainedSavedAndRestored(kind: ModelKind) throws {
        var configuration = SentenceModelConfiguration(cell: .lstm, vocabularySize: 13, embeddingSize: 12, hiddenSize: 24,
                                                       latentSize: 4, levels: kind == .vae ? 1 : 2)
        configuration.posteriorBatchNorm = 0.6
        let model = VAETestSupport.model(kind, configuration, seed: 11)
        var options = SentenceTrainingOptions()
        options.batchSize = 4
        let task = try SentenceTrainingTask(model: model, train: Self.sentences, validation: Self.sentences,
                                            options: options, seed: 1)
        for step in 0..<5 { _ = try task.trainStep(step: step, elapsed: 0) }
        let prefix = kind == .vae ? "posterior_bn" : "ladder.top_bn"
        let named = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor) })
        let running = try #require(named["\(prefix).running_mean"])
        #expect(named["\(prefix).bias"]?.requiresGrad == true && named["\(prefix).running_var"]?.requiresGrad == false)
        #expect(running.toArray().contains { $0 != 0 }, "the running means did not move")

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quill-bn-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try task.saveCheckpoint(to: path, progress: task.progress)
        let loaded = try loadSentenceModel(try ModelFile.read(path, expecting: [kind], purpose: "test"), path: path)
        #expect(loaded.configuration.posteriorBatchNorm == 0.6)
        // The 2 × 4 running statistics are saved but not counted as parameters, by the model
        // (the training log) or by `quill info`.
        #expect(model.parameterCount == model.parameters.reduce(0) { $0 + $1.count } - 8)
        #expect(try ModelFile.read(path).parameterCount == model.parameterCount)
        model.setTraining(false)
        let batch = SentenceBatch(sentences: Self.sentences)
        let trained = model as! any LatentSentenceModel, restored = loaded as! any LatentSentenceModel
        #expect(trained.posteriorMean(trained.encode(batch)).toArray() == restored.posteriorMean(restored.encode(batch)).toArray())
    }

    /// He et al.'s aggressive step: the inner loop moves the inference network alone, at least
    /// one window of updates, then one update moves everything else; Adam's per-parameter step
    /// counts in the checkpoint show which parameter took which updates.
    @Test(arguments: [ModelKind.vae, .hvae])
    func aggressiveStepTrainsTheEncoderAloneFirst(kind: ModelKind) throws {
        let model = VAETestSupport.model(kind, VAETestSupport.configuration(levels: kind == .vae ? 1 : 2))
        let latent = model as! any LatentSentenceModel
        var options = SentenceTrainingOptions()
        options.batchSize = 2
        options.aggressiveEncoder = true
        let task = try SentenceTrainingTask(model: model, train: Self.sentences, validation: Self.sentences,
                                            options: options, seed: 3)
        let first = try task.trainStep(step: 0, elapsed: 0)
        let recording = model.parameters.filter(\.requiresGrad).count
        #expect(recording == model.parameters.count, "frozen parameters record gradients again after the step")
        let inner = try #require(first.extra["aggressive_steps"])
        #expect(inner >= Double(SentenceTrainingTask.innerWindow) && inner <= Double(SentenceTrainingTask.maxInnerSteps))
        #expect(first.extra["aggressive"] == 1 && first.extra["aggressive_mi"] == nil)
        #expect(first.tokens > 2 * 5, "the inner batches' tokens count too")

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quill-aggressive-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try task.saveCheckpoint(to: path, progress: TrainingProgress())
        let state = try ModelFile.read(path).optimizerState
        let parameters = model.parameters
        #expect(Set(parameters.map(ObjectIdentifier.init)).count == parameters.count)
        let inference = Set(latent.inferenceParameters.map(ObjectIdentifier.init))
        #expect(!inference.isEmpty && inference.count < parameters.count)
        for (index, parameter) in parameters.enumerated() {
            let steps = try #require(state["adam.step.\(index)"]).scalar
            #expect(Double(steps) == (inference.contains(ObjectIdentifier(parameter)) ? inner : 1),
                    "parameter \(model.namedParameters()[index].name)")
        }

        // Two batches per epoch: the second step ends the first epoch and measures the MI.
        let second = try task.trainStep(step: 1, elapsed: 0)
        #expect(second.extra["aggressive_mi"] != nil)
    }

    @Test func aggressivePhaseEndsWhenMutualInformationFalls() {
        var phase = AggressivePhase()
        phase.record(mutualInformation: 0.5, epoch: 1)
        phase.record(mutualInformation: 0.8, epoch: 2)
        phase.record(mutualInformation: 0.8, epoch: 3)
        #expect(phase.isActive && phase.epoch == 3)
        phase.record(mutualInformation: 0.7, epoch: 4)
        #expect(!phase.isActive && phase.mutualInformation == 0.7)
    }

    /// Options saved before a setting existed decode with its default, so older runs resume.
    @Test func optionsFromAnOlderCheckpointDecode() throws {
        var options = SentenceTrainingOptions()
        options.freeBits = 0.25
        options.decaySteps = 70
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as! [String: Any]
        json["aggressiveEncoder"] = nil
        json["beta"] = nil
        let decoded = try JSONDecoder().decode(SentenceTrainingOptions.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded == options)
    }

    @Test func batchesBucketByLengthAndCoverEveryEpoch() {
        let sentences = (0..<100).map { Array(repeating: 4, count: 1 + ($0 * 7) % 23) }
        var batches = SentenceBatches(sentences: sentences, batchSize: 8, position: .init(seed: 3))
        #expect(batches.batchesPerEpoch == 13)
        #expect(SentenceBatches.batchCount(sentenceCount: 100, batchSize: 8) == 13)
        var seen = 0, padded = 0
        for _ in 0..<13 {
            let batch = batches.next()
            seen += batch.batchSize
            padded += batch.batchSize * batch.steps - batch.tokenCount
        }
        #expect(seen == 100)
        #expect(padded < 100, "bucketing should leave little padding, got \(padded) padded positions")
        let saved = batches.position
        let next = batches.next().sentences
        var resumed = SentenceBatches(sentences: sentences, batchSize: 8, position: saved)
        #expect(resumed.next().sentences == next)
        #expect(batches.position.epoch == 1)
    }
}
