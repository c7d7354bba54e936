import Testing
import QuillTensor
import TestSupport

/// How a test lays out a random input: dense, or as a non-contiguous view of a larger buffer.
enum InputLayout: Sendable {
    case dense
    /// The transpose of a dense tensor with the last two axes swapped.
    case transposed
    /// The middle of a dense tensor whose last axis is 3 longer.
    case sliced
}

/// A tensor of `shape` with values uniform in [-1, 1), laid out as `layout` says.
func makeInput(_ shape: [Int], _ layout: InputLayout, using generator: inout RandomGenerator) -> Tensor {
    switch layout {
    case .dense:
        return Tensor.uniform(shape, low: -1, high: 1, using: &generator)
    case .transposed:
        var swapped = shape
        swapped.swapAt(shape.count - 2, shape.count - 1)
        return Tensor.uniform(swapped, low: -1, high: 1, using: &generator).transposed()
    case .sliced:
        var wider = shape
        wider[shape.count - 1] += 3
        return Tensor.uniform(wider, low: -1, high: 1, using: &generator)
            .sliced(axis: -1, range: 1..<(shape[shape.count - 1] + 1))
    }
}

/// A named op on random inputs, checked against finite differences.
struct GradientCase: CustomTestStringConvertible, Sendable {
    let name: String
    let shapes: [[Int]]
    var layout: InputLayout = .dense
    let op: @Sendable ([Tensor]) -> Tensor
    var testDescription: String { name }

    /// Whether the gradients `op` records match central finite differences.
    func check(seed: UInt64 = 42, epsilon: Float = 1e-2) -> GradientCheckResult {
        var generator = RandomGenerator(seed: seed)
        var inputs = shapes.map { Tensor.uniform($0, low: -1, high: 1, using: &generator) }
        inputs[0] = makeInput(shapes[0], layout, using: &generator)
        if layout != .dense { precondition(!inputs[0].isContiguous, "\(name): layout \(layout) gave a dense input") }
        return checkGradients(inputs, epsilon: epsilon, op)
    }
}

@Suite struct ShapeTests {
    static let gradientCases: [GradientCase] = [
        GradientCase(name: "reshape infers -1", shapes: [[2, 3, 4]]) { $0[0].reshaped(to: [4, -1]) },
        GradientCase(name: "reshape transposed leaf copies", shapes: [[3, 4]], layout: .transposed) {
            $0[0].reshaped(to: [12]).exp()
        },
        GradientCase(name: "reshape permuted view stays view", shapes: [[2, 3, 4]]) {
            $0[0].transposed(0, 1).reshaped(to: [3, 2, 2, 2]).tanh()
        },
        GradientCase(name: "reshape sliced leaf", shapes: [[2, 3]], layout: .sliced) { $0[0].reshaped(to: [2, 1, 3]) * 2 },
        GradientCase(name: "reshape broadcast view copies", shapes: [[3], [6]]) {
            $0[0].broadcast(to: [2, 3]).reshaped(to: [6]) * $0[1]
        },
        GradientCase(name: "transposed last two", shapes: [[2, 3, 4]]) { $0[0].transposed() },
        GradientCase(name: "transposed axes 0 and -1", shapes: [[2, 3, 4], [4, 3, 2]]) { $0[0].transposed(0, -1) * $0[1] },
        GradientCase(name: "permuted", shapes: [[2, 3, 4]]) { $0[0].permuted([2, 0, 1]).sigmoid() },
        GradientCase(name: "permuted transposed leaf", shapes: [[2, 3, 4]], layout: .transposed) { $0[0].permuted([1, 2, 0]) },
        GradientCase(name: "sliced middle axis", shapes: [[3, 5, 2]]) { $0[0].sliced(axis: 1, range: 1..<4) },
        GradientCase(name: "subscript of sliced leaf", shapes: [[5, 3]], layout: .sliced) { $0[0][1...] },
        GradientCase(name: "overlapping slices accumulate", shapes: [[6]]) { $0[0][0..<4] * $0[0][2..<6] },
        GradientCase(name: "empty slice", shapes: [[4, 3]]) { $0[0].sliced(axis: 0, range: 2..<2).sum() + $0[0].sum() },
        GradientCase(name: "selecting index", shapes: [[3, 4]]) { $0[0].selecting(2, axis: -1) },
        GradientCase(name: "selecting from transposed leaf", shapes: [[3, 4]], layout: .transposed) { $0[0].selecting(1, axis: 0) },
        GradientCase(name: "selecting down to rank 0", shapes: [[3]]) { $0[0].selecting(1, axis: 0) * 3 },
        GradientCase(name: "expanding then broadcast", shapes: [[3], [3, 4]]) {
            $0[0].expandingShape(at: 1).broadcast(to: [3, 4]) * $0[1]
        },
        GradientCase(name: "expanding rank 0", shapes: [[]]) { $0[0].expandingShape(at: 0).expandingShape(at: -1) },
        GradientCase(name: "squeezing size-1 axis", shapes: [[3, 1, 4]]) { $0[0].squeezingShape(at: 1) },
        GradientCase(name: "broadcast rank 0", shapes: [[]]) { $0[0].broadcast(to: [2, 3]) },
        GradientCase(name: "broadcast size-1 axes", shapes: [[1, 3, 1]]) { $0[0].broadcast(to: [2, 1, 3, 4]) },
        GradientCase(name: "broadcast transposed leaf", shapes: [[4, 3]], layout: .transposed) {
            $0[0].expandingShape(at: 0).broadcast(to: [2, 4, 3]).exp()
        },
        GradientCase(name: "contiguous of transposed view", shapes: [[3, 4]]) { $0[0].transposed().contiguous() },
        GradientCase(name: "contiguous of sliced leaf", shapes: [[3, 4]], layout: .sliced) { $0[0].contiguous() * 2 },
        GradientCase(name: "matmul of transposed views", shapes: [[4, 3], [2, 4]]) {
            $0[0].transposed().matmul($0[1].transposed())
        },
    ]

    @Test(arguments: gradientCases)
    func gradientMatchesFiniteDifferences(_ c: GradientCase) {
        let result = c.check()
        #expect(result.passed, "\(result)")
    }

    struct ViewCase: CustomTestStringConvertible, Sendable {
        let name: String
        let view: @Sendable (Tensor) -> Tensor
        var testDescription: String { name }
    }

    static let viewCases: [ViewCase] = [
        ViewCase(name: "reshaped") { $0.reshaped(to: [6, 4]) },
        ViewCase(name: "transposed") { $0.transposed() },
        ViewCase(name: "permuted") { $0.permuted([1, 2, 0]) },
        ViewCase(name: "sliced") { $0.sliced(axis: 2, range: 1..<3) },
        ViewCase(name: "subscript") { $0[1...] },
        ViewCase(name: "selecting") { $0.selecting(1, axis: 1) },
        ViewCase(name: "expandingShape") { $0.expandingShape(at: -1) },
        ViewCase(name: "squeezingShape") { $0.sliced(axis: 0, range: 0..<1).squeezingShape(at: 0) },
        ViewCase(name: "broadcast") { $0.broadcast(to: [5, 2, 3, 4]) },
        ViewCase(name: "reshaped transposed, splitting an axis") { $0.transposed(0, 1).reshaped(to: [3, 2, 2, 2]) },
    ]

    @Test(arguments: viewCases)
    func viewsShareStorageAndRecordNothingWithoutGradients(_ c: ViewCase) {
        let x = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let before = Tape.count
        let v = c.view(x)
        #expect(v.storage === x.storage)
        #expect(Tape.count == before)
        #expect(!v.requiresGrad)
    }

    @Test func reshapeInfersExtent() {
        let x = Tensor((0..<12).map(Float.init), shape: [3, 4])
        let y = x.reshaped(to: [-1, 6])
        #expect(y.shape == [2, 6])
        #expect(y.toArray() == x.toArray())
        #expect(Tensor(scalar: 5).reshaped(to: [1, -1]).shape == [1, 1])
        #expect(Tensor([5], shape: [1, 1]).reshaped(to: []).scalar == 5)
    }

    @Test func reshapeCopiesOnlyWhenStridesCannotDescribeIt() {
        let x = Tensor((0..<6).map(Float.init), shape: [2, 3])
        let flat = x.transposed().reshaped(to: [6])
        #expect(flat.storage !== x.storage)
        #expect(flat.toArray() == [0, 3, 1, 4, 2, 5])
        let cube = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let split = cube.transposed(0, 1).reshaped(to: [3, 2, 2, 2])
        #expect(split.storage === cube.storage)
        #expect(split.toArray() == cube.transposed(0, 1).toArray())
        let rows = cube.sliced(axis: 1, range: 1..<3).reshaped(to: [2, 2, 2, 2])
        #expect(rows.storage === cube.storage)
        #expect(rows.toArray() == [4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23])
    }

    @Test func transposeAndPermuteValues() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let t = x.transposed()
        #expect(t.shape == [3, 2])
        #expect(t.strides == [1, 3])
        #expect(t.toArray() == [1, 4, 2, 5, 3, 6])
        let cube = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let p = cube.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(p[k, i, j] == cube[i, j, k]) } } }
        #expect(cube.transposed(-1, 0).shape == [4, 3, 2])
        #expect(cube.transposed(-1, 0)[3, 1, 0] == cube[0, 1, 3])
    }

    @Test func slicingValues() {
        let x = Tensor((0..<12).map(Float.init), shape: [3, 4])
        #expect(x.sliced(axis: 1, range: 1..<3).toArray() == [1, 2, 5, 6, 9, 10])
        #expect(x[1..<2].toArray() == [4, 5, 6, 7])
        #expect(x[...1].shape == [2, 4])
        #expect(x[2...].toArray() == [8, 9, 10, 11])
        #expect(x.selecting(3, axis: -1).toArray() == [3, 7, 11])
        #expect(x.selecting(1, axis: 0).shape == [4])
        #expect(x.sliced(axis: 0, range: 1..<1).count == 0)
        // Slicing a transposed view follows its strides.
        #expect(x.transposed().sliced(axis: 0, range: 2..<4).toArray() == [2, 6, 10, 3, 7, 11])
    }

    @Test func sizeOneAxes() {
        let x = Tensor([1, 2, 3], shape: [3])
        let column = x.expandingShape(at: 1)
        #expect(column.shape == [3, 1])
        #expect(column.isContiguous)
        #expect(x.expandingShape(at: 0).shape == [1, 3])
        #expect(x.expandingShape(at: -1).shape == [3, 1])
        #expect(column.squeezingShape(at: -1).shape == [3])
        #expect(column.squeezingShape(at: 1).toArray() == [1, 2, 3])
        #expect(Tensor(scalar: 4).expandingShape(at: 0).toArray() == [4])
    }

    @Test func broadcastIsAStrideZeroView() {
        let x = Tensor([1, 2, 3], shape: [3, 1])
        let b = x.broadcast(to: [2, 3, 2])
        #expect(b.strides == [0, 1, 0])
        #expect(b.toArray() == [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
        #expect(!b.isContiguous)
        #expect(Tensor(scalar: 7).broadcast(to: [2]).toArray() == [7, 7])
        // Elementwise ops read stride-0 views without copying first.
        #expect((b + 1).toArray() == [2, 2, 3, 3, 4, 4, 2, 2, 3, 3, 4, 4])
    }

    @Test func contiguousCopiesOnlyViews() {
        let x = Tensor((0..<6).map(Float.init), shape: [2, 3])
        #expect(x.contiguous() === x)
        let t = x.transposed().contiguous()
        #expect(t.isContiguous)
        #expect(t.storage !== x.storage)
        #expect(t.toArray() == [0, 3, 1, 4, 2, 5])
    }

    struct TransposeCase: CustomTestStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        var testDescription: String { name }
    }

    static let transposeCases: [TransposeCase] = [
        TransposeCase(name: "whole 8 x 8 blocks", shape: [16, 24]),
        TransposeCase(name: "ragged edges", shape: [13, 19]),
        TransposeCase(name: "batched", shape: [3, 9, 17]),
        TransposeCase(name: "many rows, several threads", shape: [700, 130]),
    ]

    /// Transposed matrices are copied and scattered in 8 × 8 register blocks; check every element.
    @Test(arguments: transposeCases)
    func transposedCopyAndGradientMatchReference(_ c: TransposeCase) {
        var generator = RandomGenerator(seed: 8)
        let x = Tensor.uniform(c.shape, using: &generator, requiresGrad: true)
        let t = x.transposed()
        let rows = c.shape[c.shape.count - 1], columns = c.shape[c.shape.count - 2]
        let batches = x.count / (rows * columns)
        let xs = x.toArray(), copied = t.contiguous().toArray()
        let g = Tensor.uniform(t.shape, using: &generator)
        t.backward(gradient: g)
        let gs = g.toArray(), dx = x.grad!.toArray()
        var copyMismatches = 0, gradientMismatches = 0
        for b in 0..<batches {
            for r in 0..<rows {
                for col in 0..<columns {
                    let source = (b * columns + col) * rows + r, viewed = (b * rows + r) * columns + col
                    if copied[viewed] != xs[source] { copyMismatches += 1 }
                    if dx[source] != gs[viewed] { gradientMismatches += 1 }
                }
            }
        }
        #expect(copyMismatches == 0)
        #expect(gradientMismatches == 0)
    }

    @Test func largeViewGradientMatchesReference() {
        // 90 000 gradient elements: the scatter back through the view runs on several threads.
        var generator = RandomGenerator(seed: 4)
        let x = Tensor.uniform([2, 300, 200], using: &generator, requiresGrad: true)
        let y = x.permuted([2, 0, 1]).sliced(axis: 0, range: 50..<200)
        let g = Tensor.uniform(y.shape, using: &generator)
        y.backward(gradient: g)
        let dx = x.grad!.toArray(), gv = g.toArray()
        var mismatches = 0
        for b in 0..<2 {
            for t in 0..<300 {
                for c in 0..<200 {
                    let expected: Float = c < 50 ? 0 : gv[((c - 50) * 2 + b) * 300 + t]
                    if dx[(b * 300 + t) * 200 + c] != expected { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func viewGradientOfBroadcastSumsRepeats() {
        let x = Tensor([1, 2], shape: [2], requiresGrad: true)
        let y = x.broadcast(to: [3, 2]) * Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
        y.sum().backward()
        #expect(x.grad?.toArray() == [9, 12])
    }
}
