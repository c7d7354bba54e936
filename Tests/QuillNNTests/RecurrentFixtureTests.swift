import Foundation
import QuillNN
import QuillTensor
import Testing
import TestSupport

/// One case of Fixtures/rnn/rnn.json, written by make_fixture.py from PyTorch's nn.LSTM / nn.GRU.
/// Tensors are flattened row-major; gradients are those of
/// loss = Σ output ⊙ outputWeights + Σ h_n ⊙ hiddenWeights [+ Σ c_n ⊙ cellWeights].
struct RecurrentFixture: Decodable, CustomTestStringConvertible, Sendable {
    struct Gradients: Decodable, Sendable {
        let input: [Float]
        let initialHidden: [Float]
        let initialCell: [Float]?
        let parameters: [String: [Float]]
    }

    let name: String
    let cell: String
    let inputSize, hiddenSize, layerCount, batchSize, steps: Int
    let bidirectional: Bool
    let lengths: [Int]?
    let parameterNames: [String]
    let input, initialHidden: [Float]
    let initialCell: [Float]?
    let parameters: [String: [Float]]
    let outputWeights, hiddenWeights: [Float]
    let cellWeights: [Float]?
    let output, finalHidden: [Float]
    let finalCell: [Float]?
    let gradients: Gradients

    var testDescription: String { name }

    static func load() throws -> [RecurrentFixture] {
        struct File: Decodable { let cases: [RecurrentFixture] }
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("rnn").appendingPathComponent("rnn.json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }
}

@Suite struct RecurrentFixtureTests {
    @Test(arguments: try RecurrentFixture.load())
    func matchesPyTorch(_ f: RecurrentFixture) throws {
        let cell = try #require(Cell(rawValue: f.cell))
        let layer = makeRecurrentLayer(cell, inputSize: f.inputSize, hiddenSize: f.hiddenSize,
                                       layerCount: f.layerCount, isBidirectional: f.bidirectional)
        #expect(layer.namedParameters().map(\.name) == f.parameterNames)
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in layer.namedParameters() {
            tensors[name] = Tensor(try #require(f.parameters[name]), shape: parameter.shape)
        }
        try layer.load(tensors)

        let rows = f.layerCount * (f.bidirectional ? 2 : 1)
        let stateShape = [rows, f.batchSize, f.hiddenSize]
        let x = Tensor(f.input, shape: [f.batchSize, f.steps, f.inputSize], requiresGrad: true)
        let h0 = Tensor(f.initialHidden, shape: stateShape, requiresGrad: true)
        let c0 = f.initialCell.map { Tensor($0, shape: stateShape, requiresGrad: true) }
        Tape.clear()
        let (output, state) = layer(x, state: RecurrentState(hidden: h0, cell: c0), lengths: f.lengths)
        var loss = (output * Tensor(f.outputWeights, shape: output.shape)).sum()
            + (state.hidden * Tensor(f.hiddenWeights, shape: stateShape)).sum()
        if let finalCell = state.cell, let weights = f.cellWeights {
            loss = loss + (finalCell * Tensor(weights, shape: stateShape)).sum()
        }
        loss.backward()

        func expectClose(_ ours: [Float]?, _ reference: [Float]?, _ what: String) {
            guard let ours, let reference else {
                #expect(ours == nil && reference == nil, "\(what): present on one side only")
                return
            }
            let ratio = worstRatio(ours, reference, rtol: 1e-4, atol: 1e-6)
            #expect(ratio <= 1, "\(what): worst |ours − PyTorch| / tolerance = \(ratio)")
        }
        expectClose(output.toArray(), f.output, "output")
        expectClose(state.hidden.toArray(), f.finalHidden, "h_n")
        expectClose(state.cell?.toArray(), f.finalCell, "c_n")
        expectClose(x.grad?.toArray(), f.gradients.input, "input gradient")
        expectClose(h0.grad?.toArray(), f.gradients.initialHidden, "h_0 gradient")
        expectClose(c0?.grad?.toArray(), f.gradients.initialCell, "c_0 gradient")
        for (name, tensor) in layer.namedParameters() {
            expectClose(tensor.grad?.toArray(), f.gradients.parameters[name], "\(name) gradient")
        }
    }
}
