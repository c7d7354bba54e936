/// Gathers by integer indices (NumPy's `take`) and embedding lookups, with scatter-add gradients.
extension Tensor {
    /// Picks slices along `axis` by index: [A..., N, B...] gathered with indices [I...] gives
    /// [A..., I..., B...], each index choosing one of the N slices.
    ///
    /// `axis` may be negative, counting from the last axis. Repeated indices are allowed; their
    /// gradients add up.
    public func gathering(_ indices: IndexTensor, alongAxis axis: Int) -> Tensor {
        let axis = axis < 0 ? axis + rank : axis
        precondition(axis >= 0 && axis < rank, "gather axis \(axis) out of range for shape \(shape)")
        let layout = GatherLayout(shape: shape, axis: axis, indexCount: indices.count)
        for index in indices.values where index < 0 || Int(index) >= layout.extent {
            preconditionFailure("gather index \(index) out of range 0..<\(layout.extent) along axis \(axis) of shape \(shape)")
        }
        let input = contiguousNoGrad()
        let out = Tensor(uninitializedShape: Array(shape[..<axis]) + indices.shape + Array(shape[(axis + 1)...]))
        indices.values.withUnsafeBufferPointer { gatherForward(out.data, input.data, $0.baseAddress, layout) }
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                indices.values.withUnsafeBufferPointer {
                    gatherBackward(self.gradientPointer(), g.data, $0.baseAddress, layout)
                }
            }
        }
        return out
    }

    /// Looks up the rows of `weight` [V, C] named by `indices` [I...], giving [I..., C].
    ///
    /// The backward pass scatter-adds each output row's gradient into its row of `weight`.
    public static func embedding(_ weight: Tensor, indices: IndexTensor) -> Tensor {
        precondition(weight.rank == 2, "embedding weight must be [vocabularySize, C], got shape \(weight.shape)")
        return weight.gathering(indices, alongAxis: 0)
    }
}

/// A gather seen as [outer, extent, inner] → [outer, indexCount, inner].
struct GatherLayout {
    let outer: Int, extent: Int, inner: Int, indexCount: Int

    init(shape: [Int], axis: Int, indexCount: Int) {
        outer = shape[..<axis].reduce(1, *)
        extent = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
        self.indexCount = indexCount
    }
}

/// Copies `input` [outer, extent, inner] slices into `output` [outer, indexCount, inner]:
/// `output[o, k, :] = input[o, indices[k], :]`.
func gatherForward(_ output: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>,
                   _ indices: UnsafePointer<Int32>?, _ layout: GatherLayout) {
    guard let indices else { return }
    let inner = layout.inner, extent = layout.extent, indexCount = layout.indexCount
    parallelFor(layout.outer * indexCount, grain: max(1, 16_384 / max(inner, 1))) { rows in
        for row in rows {
            let o = row / indexCount, k = row % indexCount
            let source = input + (o * extent + Int(indices[k])) * inner
            (output + row * inner).update(from: source, count: inner)
        }
    }
}

/// Scatter-adds `gradient` [outer, indexCount, inner] into `inputGradient` [outer, extent, inner]:
/// `inputGradient[o, indices[k], :] += gradient[o, k, :]`.
///
/// Threads split the inner axis, not the indices, so repeated indices never race.
func gatherBackward(_ inputGradient: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>,
                    _ indices: UnsafePointer<Int32>?, _ layout: GatherLayout) {
    guard let indices else { return }
    let inner = layout.inner, extent = layout.extent, indexCount = layout.indexCount, outer = layout.outer
    parallelFor(inner, grain: max(8, 32_768 / max(outer * indexCount, 1))) { columns in
        for o in 0..<outer {
            for k in 0..<indexCount {
                let destination = inputGradient + (o * extent + Int(indices[k])) * inner + columns.lowerBound
                let source = gradient + (o * indexCount + k) * inner + columns.lowerBound
                addInPlace(destination, source, columns.count)
            }
        }
    }
}
