import Testing
import QuillTensor
import TestSupport

@Suite struct JoiningTests {
    static let gradientCases: [GradientCase] = [
        GradientCase(name: "concatenate axis 0", shapes: [[2, 3], [1, 3], [3, 3]]) {
            Tensor.concatenate($0, axis: 0)
        },
        GradientCase(name: "concatenate last axis", shapes: [[2, 3], [2, 1], [2, 4]]) {
            Tensor.concatenate($0, axis: -1)
        },
        GradientCase(name: "concatenate middle axis with transposed leaf", shapes: [[2, 3, 4], [2, 2, 4]], layout: .transposed) {
            Tensor.concatenate($0, axis: 1).tanh()
        },
        GradientCase(name: "concatenate sliced leaf and broadcast view", shapes: [[3, 2], [2]], layout: .sliced) {
            Tensor.concatenate([$0[0], $0[1].broadcast(to: [3, 2])], axis: 1)
        },
        GradientCase(name: "concatenate the same tensor twice", shapes: [[4]]) {
            Tensor.concatenate([$0[0], $0[0].exp()]) * Tensor.concatenate([$0[0], $0[0]])
        },
        GradientCase(name: "concatenate rank 1 with empty piece", shapes: [[3], [0], [2]]) {
            Tensor.concatenate($0).sigmoid()
        },
        GradientCase(name: "stack axis 0", shapes: [[2, 3], [2, 3]]) { Tensor.stack($0) },
        GradientCase(name: "stack middle axis", shapes: [[2, 3], [2, 3], [2, 3]]) { Tensor.stack($0, axis: 1) },
        GradientCase(name: "stack new last axis of transposed leaf", shapes: [[3, 2], [3, 2]], layout: .transposed) {
            Tensor.stack($0, axis: -1)
        },
        GradientCase(name: "stack rank 0", shapes: [[], []]) { Tensor.stack($0) },
        GradientCase(name: "split pieces multiplied", shapes: [[2, 5]]) {
            let parts = $0[0].split(sizes: [2, 3], axis: 1)
            return parts[0].sum(axis: 1, keepingDimensions: true) * parts[1]
        },
        GradientCase(name: "chunked into three", shapes: [[6, 2]]) {
            let parts = $0[0].chunked(into: 3)
            return parts[0] * parts[1] + parts[2]
        },
    ]

    @Test(arguments: gradientCases)
    func gradientMatchesFiniteDifferences(_ c: GradientCase) {
        let result = c.check()
        #expect(result.passed, "\(result)")
    }

    struct ValueCase: CustomTestStringConvertible, Sendable {
        let name: String
        let join: @Sendable ([Tensor]) -> Tensor
        let shape: [Int]
        let values: [Float]
        var testDescription: String { name }
    }

    /// The inputs: a = [[1, 2, 3], [4, 5, 6]], b = [[7, 8, 9], [10, 11, 12]].
    static let valueCases: [ValueCase] = [
        ValueCase(name: "concatenate axis 0", join: { Tensor.concatenate($0, axis: 0) }, shape: [4, 3],
                  values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
        ValueCase(name: "concatenate axis 1", join: { Tensor.concatenate($0, axis: 1) }, shape: [2, 6],
                  values: [1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12]),
        ValueCase(name: "concatenate axis -1 of transposes", join: { Tensor.concatenate($0.map { $0.transposed() }, axis: -1) },
                  shape: [3, 4], values: [1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12]),
        ValueCase(name: "stack axis 0", join: { Tensor.stack($0) }, shape: [2, 2, 3],
                  values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
        ValueCase(name: "stack axis 1", join: { Tensor.stack($0, axis: 1) }, shape: [2, 2, 3],
                  values: [1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12]),
        ValueCase(name: "stack axis -1", join: { Tensor.stack($0, axis: -1) }, shape: [2, 3, 2],
                  values: [1, 7, 2, 8, 3, 9, 4, 10, 5, 11, 6, 12]),
    ]

    @Test(arguments: valueCases)
    func joinedValues(_ c: ValueCase) {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([7, 8, 9, 10, 11, 12], shape: [2, 3])
        let joined = c.join([a, b])
        #expect(joined.shape == c.shape)
        #expect(joined.toArray() == c.values)
        #expect(joined.storage !== a.storage && joined.storage !== b.storage)
    }

    @Test func splitAndChunkAreViews() {
        let x = Tensor((0..<12).map(Float.init), shape: [2, 6])
        let parts = x.split(sizes: [1, 2, 3], axis: -1)
        #expect(parts.map(\.shape) == [[2, 1], [2, 2], [2, 3]])
        #expect(parts[1].toArray() == [1, 2, 7, 8])
        #expect(parts.allSatisfy { $0.storage === x.storage })
        let chunks = x.chunked(into: 2, axis: 0)
        #expect(chunks[1].toArray() == [6, 7, 8, 9, 10, 11])
        #expect(Tensor.concatenate(x.chunked(into: 3, axis: 1), axis: 1).toArray() == x.toArray())
    }

    @Test func largeConcatenateMatchesElementwiseReference() {
        // Big enough that rows are copied on several threads.
        var generator = RandomGenerator(seed: 3)
        let a = Tensor.uniform([300, 200], using: &generator)
        let b = Tensor.uniform([300, 150], using: &generator)
        let joined = Tensor.concatenate([a, b], axis: 1)
        let (va, vb, vj) = (a.toArray(), b.toArray(), joined.toArray())
        var mismatches = 0
        for row in 0..<300 {
            for column in 0..<350 {
                let expected = column < 200 ? va[row * 200 + column] : vb[row * 150 + column - 200]
                if vj[row * 350 + column] != expected { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }
}
