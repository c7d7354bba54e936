import Foundation
import QuillModels
import QuillNN
import QuillTensor
import Testing
import TestSupport

/// Quill's CharRNN against its PyTorch peer (Fixtures/charrnn/make_fixture.py), element by element
/// within ``FixtureTolerance``, and training on one batch until it is learned by heart.
@Suite struct CharRNNModelTests {
    struct Fixture: Decodable {
        struct Weight: Decodable {
            var shape: [Int]
            var values: [Float]
        }

        var config: CharRNN.Configuration
        var tokens: [[Int]]
        var targets: [[Int]]
        var initial_hidden: [Float]
        var initial_cell: [Float]?
        var weights: [String: Weight]
        var logits: [Float]
        var loss: Float
        var final_hidden: [Float]
        var final_cell: [Float]?
        var gradients: [String: [Float]]

        func indices(_ rows: [[Int]]) -> IndexTensor { IndexTensor(rows.flatMap { $0 }, shape: [rows.count, rows[0].count]) }
        var stateShape: [Int] { [config.layerCount, tokens.count, config.hiddenSize] }
    }

    static func fixture(_ cell: String) throws -> Fixture {
        let url = Bundle.module.url(forResource: cell, withExtension: "json", subdirectory: "Fixtures/charrnn")!
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test(arguments: ["lstm", "gru"])
    func logitsStateAndGradientsMatchPyTorch(cell: String) throws {
        let fixture = try Self.fixture(cell)
        var generator = RandomGenerator(seed: 0)
        let model = CharRNN(configuration: fixture.config, generator: &generator)
        try model.load(fixture.weights.mapValues { Tensor($0.values, shape: $0.shape) })
        let state = RecurrentState(hidden: Tensor(fixture.initial_hidden, shape: fixture.stateShape),
                                   cell: fixture.initial_cell.map { Tensor($0, shape: fixture.stateShape) })
        let (logits, final) = model(fixture.indices(fixture.tokens), state: state)
        let loss = logits.crossEntropy(targets: fixture.indices(fixture.targets))
        let (rtol, atol) = (FixtureTolerance.rtol, FixtureTolerance.atol)
        #expect(worstRatio(logits.toArray(), fixture.logits, rtol: rtol, atol: atol) <= 1)
        #expect(isClose(loss.scalar, fixture.loss, rtol: rtol, atol: atol))
        #expect(worstRatio(final.hidden.toArray(), fixture.final_hidden, rtol: rtol, atol: atol) <= 1)
        if let cellState = fixture.final_cell {
            #expect(worstRatio(final.cell!.toArray(), cellState, rtol: rtol, atol: atol) <= 1)
        }
        loss.backward()
        for (name, parameter) in model.namedParameters() {
            let expected = try #require(fixture.gradients[name], "the fixture has no gradient for \(name)")
            let ratio = worstRatio(parameter.gradientTensor().toArray(), expected, rtol: rtol, atol: atol)
            #expect(ratio <= 1, "gradient of \(name) differs from PyTorch's (worst ratio \(ratio))")
        }
    }

    @Test(arguments: [CharRNN.Configuration.Cell.lstm, .gru])
    func overfitsOneBatch(cell: CharRNN.Configuration.Cell) {
        var generator = RandomGenerator(seed: 3)
        let configuration = CharRNN.Configuration(cell: cell, vocabularySize: 12, embeddingSize: 8, hiddenSize: 24,
                                                  layerCount: 2)
        let model = CharRNN(configuration: configuration, generator: &generator)
        let ids = (0..<26).map { _ in generator.nextInt(below: 12) }
        let tokens = IndexTensor(Array(ids[0..<12]) + Array(ids[13..<25]), shape: [2, 12])
        let targets = IndexTensor(Array(ids[1..<13]) + Array(ids[14..<26]), shape: [2, 12])
        let optimizer = Adam(parameters: model.parameters, learningRate: 3e-2)
        var first: Float = 0, last: Float = 0
        for step in 0..<60 {
            let (loss, _) = model.loss(tokens: tokens, targets: targets, state: nil)
            if step == 0 { first = loss.scalar }
            last = loss.scalar
            loss.backward()
            optimizer.step()
            optimizer.zeroGradients()
        }
        #expect(first > 2, "an untrained model should be near ln(12) = 2.48, got \(first)")
        #expect(last < 0.05, "60 Adam steps on one batch should learn it by heart, loss \(last)")
    }

    @Test func configurationCountsEveryParameter() {
        for cell in CharRNN.Configuration.Cell.allCases {
            var generator = RandomGenerator(seed: 1)
            let configuration = CharRNN.Configuration(cell: cell, vocabularySize: 11, embeddingSize: 5, hiddenSize: 7,
                                                      layerCount: 3, dropout: 0.25)
            let model = CharRNN(configuration: configuration, generator: &generator)
            #expect(model.parameterCount == configuration.parameterCount)
            #expect(configuration.problem == nil)
        }
        #expect(CharRNN.Configuration(vocabularySize: 5, layerCount: 0).problem != nil)
        #expect(CharRNN.Configuration(vocabularySize: 5, dropout: 1).problem != nil)
    }

    @Test func dropoutIsOffAfterSetTrainingFalse() {
        var generator = RandomGenerator(seed: 2)
        let model = CharRNN(configuration: .init(vocabularySize: 9, embeddingSize: 4, hiddenSize: 8, dropout: 0.5),
                            generator: &generator)
        let tokens = IndexTensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        model.setTraining(false)
        let first = withoutGradients { model(tokens, state: nil).logits.toArray() }
        let second = withoutGradients { model(tokens, state: nil).logits.toArray() }
        #expect(first == second)
        model.setTraining(true)
        let dropped = withoutGradients { model(tokens, state: nil).logits.toArray() }
        #expect(dropped != first)
    }
}
