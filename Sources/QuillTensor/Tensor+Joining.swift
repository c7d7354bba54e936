/// Joining tensors into a new one (concatenate, stack) and splitting one into views (split, chunk).
extension Tensor {
    /// The tensors joined end to end along `axis` into a new dense tensor; all other extents must match.
    public static func concatenate(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0]
        let a = normalizedAxis(axis, rank: first.rank)
        for t in tensors {
            precondition(t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                         "concatenate along axis \(a): shape \(t.shape) does not match \(first.shape) off that axis")
        }
        let outer = first.shape[..<a].reduce(1, *)
        let inner = first.shape[(a + 1)...].reduce(1, *)
        var outShape = first.shape
        outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let out = Tensor(uninitializedShape: outShape)
        // Each input fills a [outer, extent · inner] block of the [outer, total · inner] output.
        let outRow = outShape[a] * inner
        let blocks = tensors.map { $0.shape[a] * inner }
        var start = 0
        for (t, block) in zip(tensors, blocks) {
            let dense = t.contiguousNoGrad()
            copyRows(from: dense.data, stride: block, to: out.data + start, stride: outRow, rows: outer, length: block)
            withExtendedLifetime(dense) {}
            start += block
        }
        if Tape.isRecording && tensors.contains(where: { $0.requiresGrad }) {
            Tape.record(out) { g in
                let dense = g.contiguousNoGrad()
                var start = 0
                for (t, block) in zip(tensors, blocks) {
                    if t.requiresGrad {
                        addRows(from: dense.data + start, stride: outRow, to: t.gradientPointer(), stride: block,
                                rows: outer, length: block)
                    }
                    start += block
                }
                withExtendedLifetime(dense) {}
            }
        }
        return out
    }

    /// The tensors, which must share one shape, joined along a new axis `axis` into a new dense tensor.
    ///
    /// `axis` ranges over `-rank - 1` through `rank`: stacking [3, 4] tensors along 1 gives [3, n, 4].
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack needs at least one tensor")
        let shape = tensors[0].shape
        precondition(tensors.allSatisfy { $0.shape == shape }, "stack needs equal shapes, got \(tensors.map(\.shape))")
        let a = normalizedAxis(axis, rank: shape.count + 1)
        return concatenate(tensors.map { $0.expandingShape(at: a) }, axis: a)
    }

    /// Views of consecutive pieces along `axis` with the given extents, which must sum to `shape[axis]`.
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        let a = normalizedAxis(axis, rank: rank)
        precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == shape[a],
                     "split sizes \(sizes) do not add up to extent \(shape[a]) of axis \(a) in shape \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(axis: a, range: start..<(start + size))
        }
    }

    /// `count` equal views along `axis`, whose extent must be divisible by `count`.
    public func chunked(into count: Int, axis: Int = 0) -> [Tensor] {
        let a = normalizedAxis(axis, rank: rank)
        precondition(count > 0 && shape[a] % count == 0,
                     "cannot chunk extent \(shape[a]) of axis \(a) in shape \(shape) into \(count) equal pieces")
        return split(sizes: Array(repeating: shape[a] / count, count: count), axis: a)
    }
}

/// Copies `rows` runs of `length` floats between row-strided buffers.
private func copyRows(from source: UnsafePointer<Float>, stride sourceStride: Int,
                      to destination: UnsafeMutablePointer<Float>, stride destinationStride: Int,
                      rows: Int, length: Int) {
    if length == 0 { return }
    parallelFor(rows, grain: Swift.max(1, (1 << 16) / length)) { range in
        for r in range {
            (destination + r * destinationStride).update(from: source + r * sourceStride, count: length)
        }
    }
}

/// Adds `rows` runs of `length` floats from one row-strided buffer into another.
private func addRows(from source: UnsafePointer<Float>, stride sourceStride: Int,
                     to destination: UnsafeMutablePointer<Float>, stride destinationStride: Int,
                     rows: Int, length: Int) {
    if length == 0 { return }
    parallelFor(rows, grain: Swift.max(1, (1 << 16) / length)) { range in
        for r in range {
            addInPlace(destination + r * destinationStride, source + r * sourceStride, length)
        }
    }
}
