import Foundation
import Testing
import QuillModels
import QuillTensor
import TestSupport

/// Quill's GPT against nanoGPT in PyTorch: the fixture written by Fixtures/gpt/make_fixture.py.
@Suite struct GPTModelTests {
    struct Fixture: Decodable {
        var config: GPT.Configuration
        var idx: [[Int]]
        var targets: [[Int]]
        var loss: Float
        var learning_rate: Float
        var weight_decay: Float
        var betas: [Double]
        var grad_clip: Float
        var adamw_losses: [Float]

        var tokens: IndexTensor { IndexTensor(idx.flatMap { $0 }, shape: [idx.count, idx[0].count]) }
        var targetTensor: IndexTensor { IndexTensor(targets.flatMap { $0 }, shape: [targets.count, targets[0].count]) }
    }

    static func fixturePath(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/gpt")!.path
    }

    static func load() throws -> (Fixture, [String: Tensor], GPT) {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: fixturePath("tiny.json"))))
        let (tensors, _) = try SafeTensors.read(fixturePath("tiny.safetensors"))
        let weights = tensors.filter { !$0.key.hasPrefix("grad.") && $0.key != "logits" }
        let model = try GPT(configuration: fixture.config, stateDictionary: weights, origin: "tiny.safetensors")
        model.setTraining(false)
        return (fixture, tensors, model)
    }

    @Test func logitsLossAndGradientsMatchPyTorch() throws {
        let (fixture, tensors, model) = try Self.load()
        var generator = RandomGenerator(seed: 0)
        let logits = model(fixture.tokens, generator: &generator)
        let loss = logits.crossEntropy(targets: fixture.targetTensor, ignoreIndex: -1)
        loss.backward()
        #expect(worstRatio(logits.toArray(), tensors["logits"]!.toArray(), rtol: 1e-4, atol: 1e-6) <= 1)
        #expect(isClose(loss.scalar, fixture.loss, rtol: 1e-4, atol: 0))
        for (name, parameter) in model.namedParameters() {
            let expected = tensors["grad." + name]!.toArray()
            let ratio = worstRatio(parameter.grad!.toArray(), expected, rtol: 1e-4, atol: 1e-6)
            #expect(ratio <= 1, "gradient of \(name): worst ratio \(ratio)")
        }
    }

    @Test func tenAdamWStepsMatchPyTorch() throws {
        let (fixture, _, model) = try Self.load()
        let optimizer = AdamW(groups: ParameterGroup.split(model.parameters, weightDecay: fixture.weight_decay),
                              learningRate: fixture.learning_rate, beta1: fixture.betas[0], beta2: fixture.betas[1])
        var generator = RandomGenerator(seed: 0)
        var losses: [Float] = []
        for _ in fixture.adamw_losses {
            optimizer.zeroGradients()
            let loss = model.loss(tokens: fixture.tokens, targets: fixture.targetTensor, generator: &generator)
            losses.append(loss.scalar)
            loss.backward()
            optimizer.clipGradientNorm(maxNorm: fixture.grad_clip)
            optimizer.step()
        }
        for (step, (quill, torch)) in zip(losses, fixture.adamw_losses).enumerated() {
            #expect(abs(quill - torch) <= 1e-4, "step \(step): Quill \(quill), PyTorch \(torch)")
        }
    }
}

/// Loading nanoGPT state dicts in the forms PyTorch writes them, and rejecting ones that do not fit.
@Suite struct GPTCheckpointTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let edit: @Sendable ([String: Tensor]) -> [String: Tensor]
        let error: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "as saved, lm_head included", edit: { $0 }, error: nil),
        Case(name: "lm_head omitted", edit: { $0.filter { $0.key != "lm_head.weight" } }, error: nil),
        Case(name: "torch.compile prefix and mask buffers", edit: { tensors in
            var result = Dictionary(uniqueKeysWithValues: tensors.map { ("_orig_mod." + $0.key, $0.value) })
            result["transformer.h.0.attn.bias"] = Tensor.ones([1, 1, 8, 8])
            return result
        }, error: nil),
        Case(name: "missing tensor", edit: { $0.filter { $0.key != "transformer.h.1.mlp.c_fc.bias" } },
             error: "transformer.h.1.mlp.c_fc.bias"),
        Case(name: "wrong shape", edit: { tensors in
            var result = tensors
            result["transformer.wpe.weight"] = Tensor.zeros([9, 16])
            return result
        }, error: "[9, 16]"),
        Case(name: "untied head", edit: { tensors in
            var result = tensors
            result["lm_head.weight"] = Tensor.zeros([13, 16])
            return result
        }, error: "lm_head.weight differs"),
        Case(name: "extra layer", edit: { tensors in
            var result = tensors
            result["transformer.h.2.ln_1.weight"] = Tensor.ones([16])
            return result
        }, error: "transformer.h.2.ln_1.weight"),
    ]

    @Test(arguments: cases)
    func loadsNanoGPTStateDicts(_ c: Case) throws {
        let (fixture, tensors, reference) = try GPTModelTests.load()
        let weights = tensors.filter { !$0.key.hasPrefix("grad.") && $0.key != "logits" }
        do {
            let model = try GPT(configuration: fixture.config, stateDictionary: c.edit(weights), origin: "fixture")
            #expect(c.error == nil, "loaded, but expected an error mentioning \(c.error ?? "")")
            for ((name, a), (_, b)) in zip(model.namedParameters(), reference.namedParameters()) {
                #expect(a.toArray() == b.toArray(), "\(name) differs after loading")
            }
        } catch let error as GPTError {
            let message = error.errorDescription ?? ""
            #expect(c.error.map { message.contains($0) && message.contains("fixture") } ?? false, "\(message)")
        }
    }

    @Test func stateDictionaryRoundTripsThroughSafeTensors() throws {
        let (fixture, _, model) = try GPTModelTests.load()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gpt-roundtrip-\(UInt32.random(in: 0...UInt32.max)).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafeTensors.write(model.stateDictionary(), to: path)
        let (read, _) = try SafeTensors.read(path)
        #expect(Set(read.keys) == Set(model.namedParameters().map(\.name) + ["lm_head.weight"]))
        let copy = try GPT(configuration: fixture.config, stateDictionary: read, origin: path)
        for ((name, a), (_, b)) in zip(copy.namedParameters(), model.namedParameters()) {
            #expect(a.toArray() == b.toArray(), "\(name) differs after the round trip")
        }
    }
}

/// A tiny GPT can memorize a small batch: the loss falls far below chance.
@Suite struct GPTOverfitTests {
    @Test func tinyModelOverfitsOneBatch() {
        let configuration = GPT.Configuration(layerCount: 2, headCount: 2, embeddingSize: 16, blockSize: 8,
                                              bias: false, dropout: 0, vocabularySize: 11)
        var generator = RandomGenerator(seed: 3)
        let model = GPT(configuration: configuration, generator: &generator)
        let ids = (0..<3 * 9).map { _ in generator.nextInt(below: 11) }
        var inputs: [Int] = [], targets: [Int] = []
        for row in 0..<3 {
            inputs += ids[row * 9..<row * 9 + 8]
            targets += ids[row * 9 + 1..<row * 9 + 9]
        }
        let x = IndexTensor(inputs, shape: [3, 8]), y = IndexTensor(targets, shape: [3, 8])
        let optimizer = AdamW(groups: ParameterGroup.split(model.parameters, weightDecay: 0.1), learningRate: 2e-2,
                              beta2: 0.99)
        var first: Float = 0, last: Float = 0
        for step in 0..<60 {
            optimizer.zeroGradients()
            let loss = model.loss(tokens: x, targets: y, generator: &generator)
            if step == 0 { first = loss.scalar }
            last = loss.scalar
            loss.backward()
            optimizer.clipGradientNorm(maxNorm: 1)
            optimizer.step()
        }
        // Chance is ln 11 ≈ 2.40; a memorized batch is far below it.
        #expect(first > 2.2)
        #expect(last < 0.2, "loss after 60 steps: \(last)")
    }
}
