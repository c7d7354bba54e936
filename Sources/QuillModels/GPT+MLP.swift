import QuillNN
import QuillTensor

/// The feed-forward half of a GPT block: `c_fc` to 4·C, exact GELU, `c_proj` back to C, dropout.
final class GPTFeedForward: Module {
    /// `c_fc`: weight [4C, C].
    let expansion: Linear
    /// `c_proj`: weight [C, 4C].
    let projection: Linear
    let dropoutProbability: Float
    private(set) var isTraining = true

    init(expansion: Linear, projection: Linear, dropoutProbability: Float) {
        self.expansion = expansion
        self.projection = projection
        self.dropoutProbability = dropoutProbability
    }

    /// [B, T, C] → [B, T, C].
    func callAsFunction(_ x: Tensor, generator: inout RandomGenerator) -> Tensor {
        projection(expansion(x).exactGELU())
            .dropout(probability: dropoutProbability, isTraining: isTraining, using: &generator)
    }

    func namedParameters() -> [(name: String, tensor: Tensor)] {
        prefixed("c_fc", expansion.namedParameters()) + prefixed("c_proj", projection.namedParameters())
    }

    func setTraining(_ training: Bool) { isTraining = training }
}
