/// The kinds of model Quill trains, as named on the command line (`quill train KIND`).
public enum ModelKind: String, Codable, CaseIterable, Sendable {
    case charRNN = "char-rnn"
    case gpt
    case vae
    case hvae
    case lm

    /// Whether the model continues a prompt token by token (char RNN, GPT, LSTM LM).
    public var isLanguageModel: Bool { self == .charRNN || self == .gpt || self == .lm }
    /// Whether the model encodes sentences to a latent space (VAE, HVAE).
    public var isSentenceVAE: Bool { self == .vae || self == .hvae }
}
