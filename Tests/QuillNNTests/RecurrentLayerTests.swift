import QuillNN
import QuillTensor
import Testing
import TestSupport

/// Behaviour shared by the LSTM and the GRU, checked on both.
@Suite struct RecurrentLayerTests {
    struct StepCase: CustomTestStringConvertible, Sendable {
        let cell: Cell
        let batchSize: Int
        var testDescription: String { "\(cell.rawValue), batch \(batchSize)" }
    }

    static let stepCases = Cell.allCases.flatMap { cell in [1, 3].map { StepCase(cell: cell, batchSize: $0) } }

    /// Stepping one timestep at a time reproduces the whole-sequence outputs and final state.
    @Test(arguments: stepCases)
    func stepMatchesSequence(_ c: StepCase) {
        let layer = makeRecurrentLayer(c.cell, inputSize: 5, hiddenSize: 10, layerCount: 2)
        var generator = RandomGenerator(seed: 21)
        let steps = 4, hasCell = c.cell == .lstm
        let x = Tensor.uniform([c.batchSize, steps, 5], low: -1, high: 1, using: &generator)
        let initial = RecurrentState(
            hidden: Tensor.uniform([2, c.batchSize, 10], low: -1, high: 1, using: &generator),
            cell: hasCell ? Tensor.uniform([2, c.batchSize, 10], low: -1, high: 1, using: &generator) : nil)
        let (expected, expectedState) = layer(x, state: initial, lengths: nil)
        var state: RecurrentState? = initial
        for t in 0..<steps {
            let input = x.sliced(axis: 1, range: t..<t + 1).reshaped(to: [c.batchSize, 5])
            let tapeBefore = Tape.count
            let (output, next) = layer.step(input, state: state)
            #expect(Tape.count == tapeBefore, "step must record nothing")
            state = next
            let reference = expected.sliced(axis: 1, range: t..<t + 1).reshaped(to: [c.batchSize, 10])
            #expect(worstRatio(output.toArray(), reference.toArray(), rtol: 1e-5, atol: 1e-6) <= 1, "step \(t)")
        }
        #expect(worstRatio(state!.hidden.toArray(), expectedState.hidden.toArray(), rtol: 1e-5, atol: 1e-6) <= 1)
        if hasCell {
            #expect(worstRatio(state!.cell!.toArray(), expectedState.cell!.toArray(), rtol: 1e-5, atol: 1e-6) <= 1)
        }
        Tape.clear()
    }

    /// Each sequence of a padded batch gives what it gives alone, and zeros past its length.
    @Test(arguments: Cell.allCases)
    func paddedBatchMatchesSeparateRuns(_ cell: Cell) {
        let layer = makeRecurrentLayer(cell, inputSize: 3, hiddenSize: 9, layerCount: 2, isBidirectional: true)
        var generator = RandomGenerator(seed: 22)
        let lengths = [5, 2, 3], steps = 5
        let x = Tensor.uniform([3, steps, 3], low: -1, high: 1, using: &generator)
        let (output, state) = withoutGradients { layer(x, state: nil, lengths: lengths) }
        for (b, length) in lengths.enumerated() {
            let alone = x.sliced(axis: 0, range: b..<b + 1).sliced(axis: 1, range: 0..<length)
            let (aloneOutput, aloneState) = withoutGradients { layer(alone, state: nil, lengths: nil) }
            let row = output.sliced(axis: 0, range: b..<b + 1)
            let real = row.sliced(axis: 1, range: 0..<length).toArray()
            #expect(worstRatio(real, aloneOutput.toArray(), rtol: 1e-5, atol: 1e-6) <= 1, "sequence \(b) outputs")
            #expect(row.sliced(axis: 1, range: length..<steps).toArray().allSatisfy { $0 == 0 }, "sequence \(b) padding")
            let finalRows = [state.hidden] + (state.cell.map { [$0] } ?? [])
            let aloneRows = [aloneState.hidden] + (aloneState.cell.map { [$0] } ?? [])
            for (ours, reference) in zip(finalRows, aloneRows) {
                let picked = ours.sliced(axis: 1, range: b..<b + 1).toArray()
                #expect(worstRatio(picked, reference.toArray(), rtol: 1e-5, atol: 1e-6) <= 1, "sequence \(b) final state")
            }
        }
    }

    /// A batch large enough to be split across threads (when there are several) gives each
    /// half what the half gives alone, and the sum of the halves' weight gradients.
    @Test(arguments: Cell.allCases)
    func largeBatchMatchesItsHalves(_ cell: Cell) {
        let layer = makeRecurrentLayer(cell, inputSize: 3, hiddenSize: 9, layerCount: 2)
        var generator = RandomGenerator(seed: 25)
        let x = Tensor.uniform([20, 3, 3], low: -1, high: 1, using: &generator)
        let lengths = (0..<20).map { 1 + $0 % 3 }
        func run(_ rows: Range<Int>) -> (output: [Float], gradients: [[Float]]) {
            layer.zeroGradients()
            let part = x.sliced(axis: 0, range: rows).contiguous()
            let output = layer(part, state: nil, lengths: Array(lengths[rows])).output
            output.sum().backward()
            return (output.toArray(), layer.parameters.map { $0.grad!.toArray() })
        }
        let whole = run(0..<20), first = run(0..<10), second = run(10..<20)
        #expect(worstRatio(whole.output, first.output + second.output, rtol: 1e-5, atol: 1e-6) <= 1)
        for (index, gradient) in whole.gradients.enumerated() {
            let sum = zip(first.gradients[index], second.gradients[index]).map { $0 + $1 }
            #expect(worstRatio(gradient, sum, rtol: 1e-4, atol: 1e-5) <= 1, "parameter \(index)")
        }
        layer.zeroGradients()
    }

    /// Input rows in runs of identical rows (importance sampling's layout) give the same outputs
    /// whether or not the layer is told they repeat, with different initial states per row.
    @Test(arguments: Cell.allCases)
    func repeatedRowsMatchPlainRun(_ cell: Cell) {
        let layer = makeRecurrentLayer(cell, inputSize: 4, hiddenSize: 6, layerCount: 2)
        var generator = RandomGenerator(seed: 26)
        let sentences = 3, repeats = 4, steps = 5, B = sentences * repeats
        let unique = Tensor.uniform([sentences, 1, steps, 4], low: -1, high: 1, using: &generator)
        let x = unique.broadcast(to: [sentences, repeats, steps, 4]).contiguous().reshaped(to: [B, steps, 4])
        let lengths = (0..<B).map { [5, 2, 4][$0 / repeats] }
        let state = RecurrentState(hidden: Tensor.uniform([2, B, 6], low: -1, high: 1, using: &generator),
                                   cell: cell == .lstm ? Tensor.uniform([2, B, 6], low: -1, high: 1, using: &generator) : nil)
        let (plain, plainState) = withoutGradients { layer(x, state: state, lengths: lengths) }
        let (repeated, repeatedState) = withoutGradients { layer(x, state: state, lengths: lengths, repeatedRows: repeats) }
        #expect(worstRatio(repeated.toArray(), plain.toArray(), rtol: 1e-5, atol: 1e-6) <= 1)
        #expect(worstRatio(repeatedState.hidden.toArray(), plainState.hidden.toArray(), rtol: 1e-5, atol: 1e-6) <= 1)
        #expect(repeated.toArray() != Array(repeating: 0, count: repeated.count))
    }

    /// Saturating gates and huge cell states give finite outputs in [-1, 1], forward and backward.
    @Test(arguments: Cell.allCases)
    func saturationStaysFinite(_ cell: Cell) {
        let layer = makeRecurrentLayer(cell, inputSize: 3, hiddenSize: 9)
        let x = Tensor((0..<18).map { Float($0 % 2 == 0 ? 1 : -1) * 1_000 }, shape: [2, 3, 3], requiresGrad: true)
        let large = Tensor((0..<18).map { Float($0 % 3 - 1) * 100 }, shape: [1, 2, 9])
        let (output, state) = layer(x, state: RecurrentState(hidden: large.tanh(), cell: cell == .lstm ? large : nil),
                                    lengths: nil)
        output.sum().backward()
        #expect(output.toArray().allSatisfy { $0.isFinite && abs($0) <= 1 })
        #expect(state.hidden.toArray().allSatisfy { $0.isFinite })
        #expect(x.grad!.toArray().allSatisfy { $0.isFinite })
        #expect(layer.parameters.allSatisfy { $0.grad!.toArray().allSatisfy { $0.isFinite } })
        layer.zeroGradients()
    }

    /// Dropout between layers follows the generator while training and is off at inference.
    @Test(arguments: Cell.allCases)
    func dropoutIsSeededAndOffAtInference(_ cell: Cell) {
        let withDropout = makeRecurrentLayer(cell, inputSize: 3, hiddenSize: 8, layerCount: 2, dropout: 0.5, seed: 7)
        let without = makeRecurrentLayer(cell, inputSize: 3, hiddenSize: 8, layerCount: 2, seed: 7)
        var generator = RandomGenerator(seed: 23)
        let x = Tensor.uniform([2, 4, 3], low: -1, high: 1, using: &generator)
        let run = { (layer: RecurrentLayer) in withoutGradients { layer(x, state: nil, lengths: nil).output.toArray() } }
        let saved = withDropout.generator
        let first = run(withDropout)
        withDropout.generator = saved
        #expect(run(withDropout) == first, "the same generator state drops the same units")
        #expect(run(withDropout) != first, "the generator advances")
        #expect(first != run(without))
        withDropout.setTraining(false)
        #expect(run(withDropout) == run(without))
    }

    /// A detached state carries values but no gradient into the previous batch.
    @Test(arguments: Cell.allCases)
    func detachedStateTruncatesBackpropagation(_ cell: Cell) {
        let layer = makeRecurrentLayer(cell, inputSize: 3, hiddenSize: 4)
        var generator = RandomGenerator(seed: 24)
        for detaches in [true, false] {
            let first = Tensor.uniform([2, 3, 3], low: -1, high: 1, using: &generator, requiresGrad: true)
            let second = Tensor.uniform([2, 3, 3], low: -1, high: 1, using: &generator, requiresGrad: true)
            let (_, state) = layer(first, state: nil, lengths: nil)
            let (output, _) = layer(second, state: detaches ? state.detached() : state, lengths: nil)
            output.sum().backward()
            #expect((first.grad == nil) == detaches)
            #expect(second.grad != nil)
            #expect(layer.parameters.allSatisfy { $0.grad != nil })
            layer.zeroGradients()
        }
    }
}
