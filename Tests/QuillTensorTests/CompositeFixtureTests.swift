import Foundation
import Testing
import QuillTensor
import TestSupport

/// Rebuilds the graph of Fixtures/composite/make_fixture.py with Quill ops and compares it with
/// PyTorch's float64 loss, logits and parameter gradients (issue #2).
@Suite struct CompositeFixtureTests {
    /// composite.json as written by make_fixture.py.
    struct Fixture: Decodable {
        struct Values: Decodable {
            let shape: [Int]
            let values: [Double]
            var tensor: Tensor { Tensor(values.map { Float($0) }, shape: shape, requiresGrad: true) }
            var floats: [Float] { values.map { Float($0) } }
        }

        struct Indices: Decodable {
            let shape: [Int]
            let values: [Int]
            var indexTensor: IndexTensor { IndexTensor(values, shape: shape) }
        }

        let layerNormEpsilon: Float
        let ignoreIndex: Int
        let tokens: Indices
        let targets: Indices
        let parameters: [String: Values]
        let logits: Values
        let loss: Double
        let gradients: [String: Values]

        static func load() throws -> Fixture {
            let url = try #require(Bundle.module.url(forResource: "composite", withExtension: "json",
                                                     subdirectory: "Fixtures/composite"),
                                   "Fixtures/composite/composite.json is missing; run make_fixture.py next to it")
            return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        }
    }

    /// The Quill graph's outputs and its parameters (holding their gradients) after one backward pass.
    struct Run {
        let loss: Tensor
        let logits: Tensor
        let parameters: [String: Tensor]
    }

    static func run(_ fixture: Fixture) -> Run {
        Tape.clear()
        let p = fixture.parameters.mapValues(\.tensor)
        let embedded = Tensor.embedding(p["embedding"]!, indices: fixture.tokens.indexTensor)
        let hidden = (embedded.matmul(p["linear1.weight"]!) + p["linear1.bias"]!)
            .layerNormalized(weight: p["norm.weight"]!, bias: p["norm.bias"]!, epsilon: fixture.layerNormEpsilon)
            .gelu()
        let logits = hidden.matmul(p["linear2.weight"]!) + p["linear2.bias"]!
        let loss = logits.crossEntropy(targets: fixture.targets.indexTensor, ignoreIndex: fixture.ignoreIndex,
                                       reduction: .mean)
        loss.backward()
        return Run(loss: loss, logits: logits, parameters: p)
    }

    static let rtol: Float = 1e-4, atol: Float = 1e-6

    @Test func lossAndLogitsMatchPyTorch() throws {
        let fixture = try Fixture.load()
        let run = Self.run(fixture)
        #expect(run.logits.shape == fixture.logits.shape)
        let ratio = worstRatio(run.logits.toArray(), fixture.logits.floats, rtol: Self.rtol, atol: Self.atol)
        #expect(ratio <= 1, "logits worst ratio \(ratio)")
        #expect(isClose(run.loss.scalar, Float(fixture.loss), rtol: Self.rtol, atol: Self.atol),
                "loss \(run.loss.scalar), PyTorch \(fixture.loss)")
    }

    @Test(arguments: ["embedding", "linear1.weight", "linear1.bias", "norm.weight", "norm.bias",
                      "linear2.weight", "linear2.bias"])
    func gradientMatchesPyTorch(_ name: String) throws {
        let fixture = try Fixture.load()
        let expected = try #require(fixture.gradients[name], "fixture has no gradient for \(name)")
        let parameter = try #require(Self.run(fixture).parameters[name])
        let gradient = try #require(parameter.grad, "\(name) received no gradient")
        #expect(gradient.shape == expected.shape)
        let ratio = worstRatio(gradient.toArray(), expected.floats, rtol: Self.rtol, atol: Self.atol)
        #expect(ratio <= 1, "\(name) gradient worst ratio \(ratio)")
    }
}
