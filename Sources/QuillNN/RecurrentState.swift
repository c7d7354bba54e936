import QuillTensor

/// The hidden state an ``LSTM`` or ``GRU`` carries between timesteps and between calls.
///
/// Both tensors are [layers·directions, B, H], ordered as PyTorch orders `h_n`: layer 0
/// forward, layer 0 reverse, layer 1 forward, and so on.
public struct RecurrentState {
    /// The hidden state h [layers·directions, B, H].
    public var hidden: Tensor
    /// The LSTM cell state c [layers·directions, B, H]; nil for a GRU.
    public var cell: Tensor?

    /// Creates a state from its tensors.
    public init(hidden: Tensor, cell: Tensor? = nil) {
        self.hidden = hidden
        self.cell = cell
    }

    /// An all-zero state, the default initial state of a layer stack.
    public static func zeros(layerCount: Int, directionCount: Int = 1, batchSize: Int, hiddenSize: Int,
                             hasCell: Bool) -> RecurrentState {
        let shape = [layerCount * directionCount, batchSize, hiddenSize]
        return RecurrentState(hidden: Tensor.zeros(shape), cell: hasCell ? Tensor.zeros(shape) : nil)
    }

    /// The same values cut off from the tape, for truncated backpropagation through time:
    /// the next call starts from these values but sends no gradient into the previous batch.
    public func detached() -> RecurrentState {
        RecurrentState(hidden: hidden.detached(), cell: cell?.detached())
    }
}

/// Checks that `state` fits a stack with `rows` = layers·directions, stopping with the shapes if not.
func validatedState(_ state: RecurrentState, rows: Int, batchSize: Int, hiddenSize: Int,
                    needsCell: Bool) {
    let expected = [rows, batchSize, hiddenSize]
    precondition(state.hidden.shape == expected,
                 "recurrent state hidden has shape \(state.hidden.shape), expected \(expected) [layers·directions, B, H]")
    if needsCell {
        guard let cell = state.cell else { preconditionFailure("an LSTM state needs a cell tensor; pass RecurrentState(hidden:cell:)") }
        precondition(cell.shape == expected,
                     "recurrent state cell has shape \(cell.shape), expected \(expected) [layers·directions, B, H]")
    } else {
        precondition(state.cell == nil, "a GRU state has no cell tensor; pass RecurrentState(hidden:)")
    }
}

/// Copies a [R, B, H] tensor with any strides into dense memory.
func copyDense(_ tensor: Tensor, to destination: UnsafeMutablePointer<Float>) {
    if tensor.isContiguous {
        destination.update(from: tensor.data, count: tensor.count)
        return
    }
    let base = tensor.storage.pointer + tensor.offset
    let shape = tensor.shape, strides = tensor.strides
    var out = destination
    for i in 0..<shape[0] {
        for j in 0..<shape[1] {
            let row = base + i * strides[0] + j * strides[1]
            for k in 0..<shape[2] { out[k] = row[k * strides[2]] }
            out += shape[2]
        }
    }
}
