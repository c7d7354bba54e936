import QuillTensor

/// A model that continues a prompt token by token: the char RNN, the GPT and the LSTM LM.
public protocol TextGenerator: AnyObject {
    /// Generates a continuation of `prompt`, calling `onText` with each piece of text as soon as
    /// it is complete (never half a character). Generation stops after `options.maxTokens`
    /// tokens, at a stop string or end-of-sequence token, or when `onText` returns false.
    func generate(prompt: String, options: SamplingOptions, generator: inout RandomGenerator,
                  onText: (String) -> Bool) throws
}

/// A model that maps sentences to a latent space and back: the sentence VAE and HVAE.
public protocol SentenceAutoencoder: AnyObject {
    /// Decodes `count` sentences from latent points drawn from the prior (ancestrally for an HVAE).
    func sampleSentences(count: Int, options: SamplingOptions, generator: inout RandomGenerator) throws -> [String]
    /// Encodes `sentence` to its posterior mean and decodes it.
    func reconstruct(_ sentence: String, options: SamplingOptions, generator: inout RandomGenerator) throws -> String
    /// Encodes both sentences to their posterior means, walks the line (or great circle with
    /// `spherical`) between them in `steps` steps, and decodes each point. Returns each point's
    /// position in [0, 1] with its sentence; the first and last are the endpoints.
    func interpolate(from first: String, to second: String, steps: Int, spherical: Bool,
                     options: SamplingOptions, generator: inout RandomGenerator) throws -> [(position: Double, sentence: String)]
}

/// What `quill eval` asks of a model beyond the corpus; nil leaves a model its own default.
public struct CorpusEvaluationOptions: Sendable {
    /// Samples per measurement: a sentence VAE's importance samples per sentence (default 500),
    /// a GPT's generated poems for the format check on a poetry corpus (default 100).
    public var samples: Int?
    /// The sampling temperature of measurements made on generated text (the poem format check;
    /// default 0.8).
    public var temperature: Float?
    /// How a sentence VAE decodes its reconstructions: `.beam` (the default) or `.greedy`.
    public var decoding: SamplingOptions.Decoding?

    /// Options that leave every model its defaults unless given.
    public init(samples: Int? = nil, temperature: Float? = nil, decoding: SamplingOptions.Decoding? = nil) {
        self.samples = samples
        self.temperature = temperature
        self.decoding = decoding
    }
}

/// A model `quill eval` can score on a corpus.
public protocol CorpusEvaluating: AnyObject {
    /// Evaluates on the text of `path`, returning figures named as `quill eval --json` prints
    /// them (`nats_per_token`, `perplexity`, `elbo`, `iw_nll`…) plus `tokens`.
    func evaluate(corpusAt path: String, options: CorpusEvaluationOptions,
                  progress: (Double) -> Void) throws -> [String: Double]
}
