/// Views that reinterpret a tensor without copying: reshape, transpose, permute, slice, size-1
/// axes and broadcasting.
///
/// A view shares storage with its source. Its gradient rule replays the same layout change on
/// the source's dense gradient buffer and adds the incoming gradient through it, so a broadcast
/// view (stride 0) sums, and a slice fills only the positions it reads.
extension Tensor {
    /// A view with the same elements in row-major order under `newShape`; one extent may be -1,
    /// which is inferred from the others.
    ///
    /// Copies only when this tensor's strides cannot describe the new shape (for example,
    /// flattening a transposed matrix).
    public func reshaped(to newShape: [Int]) -> Tensor {
        let target = inferredShape(newShape)
        let source: Tensor, targetStrides: [Int]
        if isContiguous {
            (source, targetStrides) = (self, Tensor.contiguousStrides(for: target))
        } else if let viewStrides = reshapeStrides(to: target) {
            (source, targetStrides) = (self, viewStrides)
        } else {
            (source, targetStrides) = (contiguousNoGrad(), Tensor.contiguousStrides(for: target))
        }
        let out = Tensor(storage: source.storage, shape: target, strides: targetStrides, offset: source.offset)
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let dense = g.contiguousNoGrad()
                self.accumulateGradient(Tensor(storage: dense.storage, shape: self.shape, offset: dense.offset))
            }
        }
        return out
    }

    /// A view with the last two axes swapped, [..., M, N] → [..., N, M].
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed() needs at least 2 axes, got shape \(shape)")
        return transposed(rank - 2, rank - 1)
    }

    /// A view with axes `first` and `second` swapped (negative axes count from the end).
    public func transposed(_ first: Int, _ second: Int) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(normalizedAxis(first, rank: rank), normalizedAxis(second, rank: rank))
        return permuted(axes)
    }

    /// A view whose axis `i` is this tensor's axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        let resolved = axes.map { normalizedAxis($0, rank: rank) }
        precondition(resolved.count == rank && Set(resolved).count == rank,
                     "permuted(\(axes)) is not a permutation of the \(rank) axes of shape \(shape)")
        return view { layout in
            ViewLayout(shape: resolved.map { layout.shape[$0] }, strides: resolved.map { layout.strides[$0] },
                       offset: layout.offset)
        }
    }

    /// A view of the elements whose index along `axis` lies in `range`.
    public func sliced(axis: Int, range: Range<Int>) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "slice \(range) is out of bounds for axis \(a) of shape \(shape)")
        return view { layout in
            var result = layout
            result.shape[a] = range.count
            result.offset += range.lowerBound * layout.strides[a]
            return result
        }
    }

    /// A view of the elements whose first index lies in `range`, as `tensor[1..<3]` or `tensor[2...]`.
    public subscript<R: RangeExpression>(range: R) -> Tensor where R.Bound == Int {
        precondition(rank >= 1, "range subscript needs at least 1 axis, got shape \(shape)")
        return sliced(axis: 0, range: range.relative(to: 0..<shape[0]))
    }

    /// A view of the elements at `index` along `axis`, with that axis removed.
    public func selecting(_ index: Int, axis: Int) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        precondition(index >= 0 && index < shape[a], "index \(index) is out of bounds for axis \(a) of shape \(shape)")
        return view { layout in
            var result = layout
            result.offset += index * layout.strides[a]
            result.shape.remove(at: a)
            result.strides.remove(at: a)
            return result
        }
    }

    /// A view with a new axis of extent 1 inserted at `axis` (from `-rank - 1` through `rank`).
    public func expandingShape(at axis: Int) -> Tensor {
        let a = normalizedAxis(axis, rank: rank + 1)
        return view { layout in
            var result = layout
            // Any stride is valid for extent 1; this one keeps dense tensors dense.
            let stride = a < layout.shape.count ? layout.strides[a] * layout.shape[a] : 1
            result.shape.insert(1, at: a)
            result.strides.insert(stride, at: a)
            return result
        }
    }

    /// A view with the extent-1 axis `axis` removed.
    public func squeezingShape(at axis: Int) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        precondition(shape[a] == 1, "squeezingShape(at: \(axis)) needs extent 1, got shape \(shape)")
        return view { layout in
            var result = layout
            result.shape.remove(at: a)
            result.strides.remove(at: a)
            return result
        }
    }

    /// A view of this tensor repeated to `targetShape` by NumPy broadcasting rules, with stride 0
    /// on the repeated axes; its gradient sums over them.
    public func broadcast(to targetShape: [Int]) -> Tensor {
        precondition(broadcastShape(shape, targetShape) == targetShape,
                     "cannot broadcast shape \(shape) to \(targetShape)")
        return view { layout in
            let lead = targetShape.count - layout.shape.count
            var strides = [Int](repeating: 0, count: targetShape.count)
            for axis in 0..<layout.shape.count where layout.shape[axis] != 1 { strides[lead + axis] = layout.strides[axis] }
            return ViewLayout(shape: targetShape, strides: strides, offset: layout.offset)
        }
    }

    /// This tensor if its elements are dense in row-major order, otherwise a dense copy.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let out = contiguousNoGrad()
        if Tape.needsRecord(self) {
            Tape.record(out) { g in self.accumulateGradient(g) }
        }
        return out
    }

    /// A view whose layout is `transform` of this tensor's layout.
    ///
    /// The gradient rule applies the same `transform` to the dense layout of this tensor's
    /// gradient buffer, which gives the buffer position of every element of the view.
    func view(_ transform: (ViewLayout) -> ViewLayout) -> Tensor {
        let layout = transform(ViewLayout(shape: shape, strides: strides, offset: offset))
        let out = Tensor(storage: storage, shape: layout.shape, strides: layout.strides, offset: layout.offset)
        if Tape.needsRecord(self) {
            let gradientLayout = transform(ViewLayout(shape: shape, strides: Tensor.contiguousStrides(for: shape), offset: 0))
            Tape.record(out) { g in addStrided(g, into: self.gradientPointer(), layout: gradientLayout) }
        }
        return out
    }

    /// `shape` with a -1 extent replaced by the one that keeps `count` elements.
    private func inferredShape(_ requested: [Int]) -> [Int] {
        let unknown = requested.indices.filter { requested[$0] == -1 }
        precondition(unknown.count <= 1 && requested.allSatisfy { $0 >= -1 },
                     "reshaped(to: \(requested)) allows one -1 and no other negative extent")
        var result = requested
        let known = requested.filter { $0 != -1 }.reduce(1, *)
        if let axis = unknown.first {
            precondition(known != 0 && count % known == 0, "cannot infer -1 in \(requested) for \(count) elements (shape \(shape))")
            result[axis] = count / known
        }
        precondition(result.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(requested)")
        return result
    }

    /// Strides that view this tensor's elements, in row-major order, as `target`; nil when the
    /// target splits or merges axes that are not laid out one after the other.
    ///
    /// Walks runs of axes that are mutually contiguous (`strides[i] == strides[i+1] · shape[i+1]`)
    /// from the innermost outwards and lays the target's axes over each run, as PyTorch's `view`.
    private func reshapeStrides(to target: [Int]) -> [Int]? {
        if count == 0 || rank == 0 { return Tensor.contiguousStrides(for: target) }
        var result = [Int](repeating: 1, count: target.count)
        var targetAxis = target.count - 1
        var runBase = strides[rank - 1]
        var runCount = 1, targetCount = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            runCount *= shape[axis]
            let runEnds = axis == 0 || (shape[axis - 1] != 1 && strides[axis - 1] != runCount * runBase)
            guard runEnds else { continue }
            while targetAxis >= 0 && (targetCount < runCount || target[targetAxis] == 1) {
                result[targetAxis] = targetCount * runBase
                targetCount *= target[targetAxis]
                targetAxis -= 1
            }
            if targetCount != runCount { return nil }
            if axis > 0 {
                runBase = strides[axis - 1]
                runCount = 1
                targetCount = 1
            }
        }
        return targetAxis == -1 ? result : nil
    }
}

/// The extents, strides and starting offset of a strided view.
struct ViewLayout {
    var shape: [Int]
    var strides: [Int]
    var offset: Int
}

/// `axis` as an index into `rank` axes, where -1 is the last.
func normalizedAxis(_ axis: Int, rank: Int) -> Int {
    precondition(axis >= -rank && axis < rank, "axis \(axis) is out of range for \(rank) axes")
    return axis < 0 ? axis + rank : axis
}
